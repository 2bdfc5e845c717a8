// SPDX-License-Identifier: GPL-2.0-only
/*
 * smalloc_node() for a node other than the caller's: one pool per node.
 *
 * A CPU's heaps hold spans of that CPU's node only, so that its fast paths
 * never hand out far memory.  A request for another node (a driver
 * allocating next to its device, a queue for another node's CPUs) is
 * served by that node's pool: a heap like any other, its spans taken with
 * __GFP_THISNODE, but owned by whoever holds the pool's spinlock (irqsave)
 * instead of by a CPU and a context level.  This is the node-aware slow
 * path SLUB has too: a kmalloc_node() that does not match the CPU slab's
 * node takes the node's partial list under its list_lock.  The choice,
 * against a per-node queue in every per-CPU heap:
 *
 *  - a per-CPU heap stays what it is, its fast paths untouched, and its
 *    memory grows with nothing but its own node's use;
 *  - what smalloc keeps for other nodes grows with the nodes, not with
 *    CPUs x context levels x nodes: one heap per node, held to the same
 *    per-heap retire bound and the global retire budget as every heap;
 *  - the price is a lock per far allocation, which is what it costs in
 *    SLUB, and far allocations are the exception there as here.
 *
 * Frees need nothing new: a pool's pages belong to its heap, which no CPU
 * owns (heap->cpu is SMALLOC_POOL_CPU), so every free into them is a
 * remote free, lock-free, from any CPU and context (NMI too), onto the
 * page's own xthread_free: the block goes home to its node's page with one
 * atomic, never through another node's lists.  The pool collects them at
 * its next allocation (its heartbeat) or in its idle work, which also gives
 * back its retired pages after idle_drain_ms without an allocation, as a
 * CPU's idle check does; drains, the shrinker and unload cover the pools.
 *
 * Context: smalloc_pool_alloc() in any context but NMI; with GFP flags that
 * allow it, it sleeps in the page allocator with the lock dropped.
 *
 * Locking: a pool's lock is taken with interrupts off, from any context
 * but NMI, and nothing smalloc does takes another pool's lock or a CPU
 * heap under it.  Under it the pool's heap may give pages back to the
 * page allocator (zone lock) and arm its idle work (timer and workqueue
 * locks); none of those calls back into smalloc, so the order is always
 * pool lock first.
 */
#define pr_fmt(fmt) "smalloc: " fmt

#include "smalloc_internal.h"

struct smalloc_node_pool *smalloc_pools;

static bool smalloc_pool_valid(int node)
{
	return smalloc_pools && node >= 0 && node < nr_node_ids &&
	       node_online(node);
}

/*
 * The idle check of one pool: as smalloc_idle_work() does for a CPU's
 * heaps, a pool that had no allocation for a whole interval takes in its
 * remote frees and gives back its retired pages.
 */
static void smalloc_pool_idle_work(struct work_struct *work)
{
	struct smalloc_node_pool *pool =
		container_of(to_delayed_work(work), struct smalloc_node_pool,
			     idle_work);
	unsigned int ms = READ_ONCE(smalloc_idle_drain_ms);
	struct smalloc_heap *heap = &pool->heap;
	unsigned long flags, pages;

	spin_lock_irqsave(&pool->lock, flags);
	if (ms && heap->heartbeats == heap->idle_mark)
		smalloc_heap_idle(heap);
	heap->idle_mark = heap->heartbeats;
	pages = heap->nr_pages;
	spin_unlock_irqrestore(&pool->lock, flags);
	if (pages && !READ_ONCE(smalloc_exiting))
		queue_delayed_work(system_unbound_wq, &pool->idle_work,
				   msecs_to_jiffies(ms ?: MSEC_PER_SEC));
}

/**
 * smalloc_pool_arm_idle - make sure a pool's idle check is coming
 * @heap: a pool's heap, its lock held
 *
 * Context: the pool's allocation path (it may take the timer lock).
 */
void smalloc_pool_arm_idle(struct smalloc_heap *heap)
{
	struct smalloc_node_pool *pool =
		container_of(heap, struct smalloc_node_pool, heap);
	unsigned int ms = READ_ONCE(smalloc_idle_drain_ms);

	if (!READ_ONCE(smalloc_exiting) && !delayed_work_pending(&pool->idle_work))
		queue_delayed_work(system_unbound_wq, &pool->idle_work,
				   msecs_to_jiffies(ms ?: MSEC_PER_SEC));
}

/**
 * smalloc_pool_alloc - a block from @node's pool
 * @size: request size, at most SMALLOC_MAX_SIZE
 * @gfp: the caller's flags (no GFP_KMALLOC ones)
 * @node: an online node other than the caller's
 * @pagep: where to say which page the block is of
 *
 * Return: the block (not yet zeroed or prepared), or NULL if the pool
 * could not get a span on @node (the caller may then ask kmalloc_node()).
 */
void *smalloc_pool_alloc(size_t size, gfp_t gfp, int node,
			 struct smalloc_page **pagep)
{
	struct smalloc_node_pool *pool;
	unsigned int class = smalloc_size_class(size);
	struct smalloc_page *page;
	unsigned long flags;
	void *block;

	if (!smalloc_pool_valid(node))
		return NULL;
	pool = &smalloc_pools[node];
	spin_lock_irqsave(&pool->lock, flags);
	smalloc_heap_heartbeat(&pool->heap);
	page = smalloc_heap_find_page(&pool->heap, class);
	if (!page) {
		spin_unlock_irqrestore(&pool->lock, flags);
		page = smalloc_page_new(class, gfp | __GFP_THISNODE, node);
		if (IS_ERR_OR_NULL(page))
			return NULL;
		spin_lock_irqsave(&pool->lock, flags);
		smalloc_heap_add_page(&pool->heap, page);
		smalloc_page_extend(page);
	}
	block = smalloc_page_pop(page);
	smalloc_stat_inc(&pool->heap, SMALLOC_ALLOC_SLOW);
	spin_unlock_irqrestore(&pool->lock, flags);
	*pagep = page;
	return block;
}

/**
 * smalloc_pools_call - run @fn on every pool's heap under its lock
 * @fn: what to run (a drain, a check, a snapshot)
 * @arg: passed on
 *
 * Return: the first non-zero return of @fn, else 0.
 */
long smalloc_pools_call(long (*fn)(struct smalloc_heap *heap, void *arg),
			void *arg)
{
	unsigned long flags;
	long ret = 0;
	int node;

	if (!smalloc_pools)
		return 0;
	for (node = 0; node < nr_node_ids && !ret; node++) {
		struct smalloc_node_pool *pool = &smalloc_pools[node];

		spin_lock_irqsave(&pool->lock, flags);
		ret = fn(&pool->heap, arg);
		spin_unlock_irqrestore(&pool->lock, flags);
	}
	return ret;
}

static long smalloc_pool_drain_fn(struct smalloc_heap *heap, void *arg)
{
	smalloc_heap_drain(heap);
	return 0;
}

/*
 * Give back every pool page that holds no live block.  Return: the frames
 * given back (other CPUs may move the count meanwhile: at least 0).
 */
unsigned long smalloc_pools_drain(void)
{
	long before = atomic_long_read(&smalloc_nr_pages);

	smalloc_pools_call(smalloc_pool_drain_fn, NULL);
	return max_t(long, before - atomic_long_read(&smalloc_nr_pages), 0);
}

/* smalloc_heap_reclaimable() over the pools (the shrinker's count). */
unsigned long smalloc_pools_retired(void)
{
	unsigned long n = 0;
	int node;

	if (!smalloc_pools)
		return 0;
	for (node = 0; node < nr_node_ids; node++)
		n += smalloc_heap_reclaimable(&smalloc_pools[node].heap);
	return n;
}

/* At load: one pool per possible node, when there is more than one. */
int smalloc_pools_init(void)
{
	int node;

	if (nr_node_ids < 2)
		return 0;
	smalloc_pools = vzalloc(nr_node_ids * sizeof(*smalloc_pools));
	if (!smalloc_pools)
		return -ENOMEM;
	for (node = 0; node < nr_node_ids; node++) {
		struct smalloc_node_pool *pool = &smalloc_pools[node];

		spin_lock_init(&pool->lock);
		smalloc_heap_init(&pool->heap, SMALLOC_POOL_CPU,
				  SMALLOC_CTX_TASK);
		INIT_DEFERRABLE_WORK(&pool->idle_work, smalloc_pool_idle_work);
		pool->node = node;
	}
	return 0;
}

/**
 * smalloc_pools_exit - tear the pools down at unload
 *
 * After smalloc_exiting is set: no idle work is queued any more.
 *
 * Return: the blocks still live in them (kept, as for the CPUs' heaps).
 */
unsigned long smalloc_pools_exit(void)
{
	unsigned long live = 0;
	int node;

	if (!smalloc_pools)
		return 0;
	for (node = 0; node < nr_node_ids; node++)
		cancel_delayed_work_sync(&smalloc_pools[node].idle_work);
	for (node = 0; node < nr_node_ids; node++)
		live += smalloc_heap_destroy(&smalloc_pools[node].heap);
	vfree(smalloc_pools);
	smalloc_pools = NULL;
	return live;
}
