/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * smalloc - a per-CPU small-object allocator with a kmalloc-shaped API.
 *
 * Use it in place of kmalloc()/kfree() for code that allocates and frees
 * many small objects in short bursts.  Semantics follow kmalloc: GFP flags,
 * alignment (at least ARCH_KMALLOC_MINALIGN, power-of-two sizes naturally
 * aligned), ZERO_SIZE_PTR for size 0, NULL on failure.  sfree() also accepts
 * objects from kmalloc(), so a module can switch over one call site at a
 * time.  See Documentation/smalloc.rst.
 */
#ifndef _SMALLOC_H
#define _SMALLOC_H

#include <linux/gfp_types.h>
#include <linux/slab.h>
#include <linux/types.h>

/*
 * The kmalloc family's annotations, so that the compiler and
 * FORTIFY_SOURCE know an object's size and alignment as they know a
 * kmalloc object's.  As with ksize(): an object is as large as asked for;
 * to use the slack smalloc_usable_size() reports, claim it first with
 * srealloc(p, smalloc_usable_size(p), gfp), which returns p.
 */
void *smalloc(size_t size, gfp_t gfp) __assume_kmalloc_alignment __alloc_size(1);
void *szalloc(size_t size, gfp_t gfp) __assume_kmalloc_alignment __alloc_size(1);
void *scalloc(size_t n, size_t size, gfp_t gfp)
	__assume_kmalloc_alignment __alloc_size(1, 2);
void *smalloc_array(size_t n, size_t size, gfp_t gfp)
	__assume_kmalloc_alignment __alloc_size(1, 2);
void *smalloc_node(size_t size, gfp_t gfp, int node)
	__assume_kmalloc_alignment __alloc_size(1);
void *szalloc_node(size_t size, gfp_t gfp, int node)
	__assume_kmalloc_alignment __alloc_size(1);
void *scalloc_node(size_t n, size_t size, gfp_t gfp, int node)
	__assume_kmalloc_alignment __alloc_size(1, 2);
void *smemdup(const void *src, size_t len, gfp_t gfp) __alloc_size(2);
char *sstrdup(const char *s, gfp_t gfp) __malloc;
char *sstrndup(const char *s, size_t max, gfp_t gfp) __malloc;
void *srealloc(const void *p, size_t new_size, gfp_t gfp) __realloc_size(2);
void *srealloc_array(const void *p, size_t new_n, size_t new_size, gfp_t gfp)
	__realloc_size(2, 3);
void sfree(const void *p);
void sfree_sensitive(const void *p);
int smalloc_bulk(size_t size, gfp_t gfp, size_t n, void **p);
void sfree_bulk(size_t n, void **p);
void smalloc_free_rcu(void *ptr, struct rcu_head *head);
void smalloc_free_rcu_mightsleep(void *ptr);
void smalloc_rcu_barrier(void);
size_t smalloc_usable_size(const void *p);
void smalloc_drain(void);

/**
 * sfree_rcu - free an smalloc (or kmalloc) object after an RCU grace period
 * @ptr: the object, or NULL
 * @rhf: the name of a struct rcu_head member of *@ptr
 *
 * As kfree_rcu(ptr, rhf).  Objects are batched (one callback per batch);
 * @rhf is used only when no batch can be had.
 *
 * Context: any context sfree() may be called from.
 */
#define sfree_rcu(ptr, rhf)						\
do {									\
	typeof(ptr) ___p = (ptr);					\
									\
	if (___p)							\
		smalloc_free_rcu(___p, (void *)___p +			\
				 offsetof(typeof(*___p), rhf));		\
} while (0)

/**
 * sfree_rcu_mightsleep - sfree_rcu() for an object without an rcu_head
 * @ptr: the object, or NULL
 *
 * As kfree_rcu_mightsleep(): may wait for a grace period itself.
 *
 * Context: process context; may sleep.
 */
#define sfree_rcu_mightsleep(ptr)	smalloc_free_rcu_mightsleep(ptr)

#endif /* _SMALLOC_H */
