/* SPDX-License-Identifier: GPL-2.0-only */
/* What include/smalloc.h takes from <linux/slab.h> is in the harness seam. */
