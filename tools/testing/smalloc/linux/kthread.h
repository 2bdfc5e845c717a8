/* SPDX-License-Identifier: GPL-2.0-only */
/* Everything the tests use from <linux/kthread.h> is in the harness seam. */
#include <linux/sched.h>
