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
#include <linux/gcd.h>
#include <linux/gfp.h>
#include <linux/irq_work.h>
#include <linux/kasan.h>
#include <linux/kasan-checks.h>
#include <linux/kernel.h>
#include <linux/kmemleak.h>
#include <linux/kmsan-checks.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/poison.h>
#include <linux/preempt.h>
#include <linux/printk.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/static_key.h>
#include <linux/string.h>
#include <linux/topology.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include <asm/asm.h>

/*
 * The two Debian kernels a user has, 6.1 and 6.12, differ in a few
 * interfaces smalloc uses; the differences end here.
 */
/*
 * What smalloc relies on, said where a build against the wrong kernel
 * stops (Kconfig says the same for in-tree builds).
 */
#ifdef CONFIG_PREEMPT_RT
/* Softirqs and hardirq handlers are threads there (see smalloc_main.c). */
#error "smalloc does not support PREEMPT_RT kernels"
#endif
#ifndef CONFIG_X86_64
/* smalloc_addr_pfn() is the x86_64 direct map's arithmetic. */
#error "smalloc is x86_64 only (smalloc_addr_pfn() assumes its direct map)"
#endif

#ifndef MAX_PAGE_ORDER
#define MAX_PAGE_ORDER	(MAX_ORDER - 1)	/* before 6.8 MAX_ORDER was exclusive */
#endif

/*
 * kfree_rcu() of a kmalloc object whose rcu_head is @head: 6.3 made
 * kvfree_call_rcu() take the object; before, the offset of @head in it.
 */
static inline void smalloc_kfree_call_rcu(struct rcu_head *head, void *ptr)
{
#ifdef SMALLOC_KVFREE_CALL_RCU_PTR	/* set by Kbuild from the prototype */
	kvfree_call_rcu(head, ptr);
#else
	kvfree_call_rcu(head, (rcu_callback_t)(unsigned long)
				((char *)head - (char *)ptr));
#endif
}

/* Is the current task allowed the emergency reserves (reclaim, swap)? */
static inline bool smalloc_task_memalloc(void)
{
	return current->flags & PF_MEMALLOC;
}

static inline struct shrinker *
smalloc_shrinker_create(const char *name,
			unsigned long (*count)(struct shrinker *,
					       struct shrink_control *),
			unsigned long (*scan)(struct shrinker *,
					      struct shrink_control *))
{
	struct shrinker *s;

#ifdef SHRINKER_ALLOCATED	/* 6.7: shrinker_alloc() */
	s = shrinker_alloc(0, "%s", name);
	if (!s)
		return NULL;
	s->count_objects = count;
	s->scan_objects = scan;
	shrinker_register(s);
#else
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return NULL;
	s->count_objects = count;
	s->scan_objects = scan;
	s->seeks = DEFAULT_SEEKS;
	if (register_shrinker(s, "%s", name)) {
		kfree(s);
		return NULL;
	}
#endif
	return s;
}

/*
 * Was the code this context interrupted on this CPU (every lower context
 * level) outside any preempt-disabled or bottom-half-disabled section?
 * The caller holds one preempt_disable() of its own (smalloc_heap_get()).
 * Every owner access to a heap is under preempt_disable() or with
 * interrupts off (see smalloc_main.c), so then no lower level of this CPU
 * is inside its heap, and none can enter it before the caller returns:
 * the caller may use those heaps until smalloc_lower_levels_put().  A
 * local_bh_disable() count (softirq bits other than the serving one)
 * answers no as well, so that code which owned the softirq heap with
 * bottom halves off alone would still be safe.  Without
 * CONFIG_PREEMPT_COUNT, preempt_disable() counts nothing and the answer
 * is always no.
 */
#define SMALLOC_LOWER_BUSY	(PREEMPT_MASK | (SOFTIRQ_MASK & ~SOFTIRQ_OFFSET))

static __always_inline bool smalloc_lower_levels_get(void)
{
	return IS_ENABLED(CONFIG_PREEMPT_COUNT) &&
	       (preempt_count() & SMALLOC_LOWER_BUSY) == 1;
}

static __always_inline void smalloc_lower_levels_put(void)
{
}

static inline void smalloc_shrinker_destroy(struct shrinker *s)
{
#ifdef SHRINKER_ALLOCATED
	shrinker_free(s);
#else
	unregister_shrinker(s);
	kfree(s);
#endif
}

#endif /* _SMALLOC_KERNEL_H */
