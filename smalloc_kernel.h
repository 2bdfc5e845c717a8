/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * the one seam between smalloc and the kernel.
 *
 * Every <linux/...> header the allocator core needs is included here and
 * nowhere else, so that a user-space harness can compile the same sources
 * against its own copy of this header (same include guard) that provides
 * per-CPU data, preemption control, atomics and a page allocator.
 */
#ifndef _SMALLOC_KERNEL_H
#define _SMALLOC_KERNEL_H

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/printk.h>
#include <linux/random.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/topology.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#endif /* _SMALLOC_KERNEL_H */
