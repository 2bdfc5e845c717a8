// SPDX-License-Identifier: GPL-2.0-only
/*
 * smalloc - a per-CPU small-object allocator with a kmalloc-shaped API.
 *
 * mimalloc's free-list sharding, moved into the kernel.  This file has the
 * allocation API, its fast paths and the module's life; the others:
 *
 *   smalloc_free.c     sfree() and all its paths: local, remote, bulk,
 *                      from NMI, the double-free check
 *   smalloc_class.c    size classes
 *   smalloc_page.c     spans, their three free lists, pointer -> page
 *   smalloc_percpu.c   per-CPU heaps: queues, direct cache, slow path,
 *                      drains, CPU hotplug
 *   smalloc_retire.c   retire with hysteresis, promotion
 *   smalloc_remote.c   frees from other CPUs and contexts
 *   smalloc_node.c     smalloc_node() for another node: per-node pools
 *   smalloc_report.c   bad-input reports
 *   smalloc_shrink.c   the shrinker
 *   smalloc_harden.c   optional poisoning, randomised carve order
 *   smalloc_stats.c    counters and debugfs
 *   smalloc_trace.c    the tracepoints (smalloc_trace.h)
 *
 * Ownership
 * ---------
 * Each CPU has four heaps, one per context level: task, softirq, hardirq
 * and NMI (struct smalloc_cpu).  A heap, its queues, its direct cache and
 * the owner fields of every page it holds (free, local_free, used,
 * capacity, flags, retire_expire, list, retired) belong to code running
 * on that CPU at that context level with preemption disabled: that is
 * what smalloc_heap_get() sets up, and interrupt_context_level() picks the
 * heap.  (Each NUMA node also has a pool heap for smalloc_node() from other
 * nodes, smalloc_node.c: its owner is whoever holds the pool's spinlock,
 * interrupts off, and every free into it is a remote free.)  The owner is
 * never reentered:
 *
 *  - task context is only interrupted by softirq, hardirq and NMI, each of
 *    which uses another heap; disabled preemption keeps other tasks off;
 *  - a softirq is only interrupted by hardirq and NMI, and softirqs do not
 *    nest on one CPU (ksoftirqd runs them with bottom halves disabled);
 *  - hardirq handlers run with interrupts disabled and do not nest;
 *  - the NMI heap has no pages: NMI allocation is refused, NMI frees are
 *    remote frees.
 *
 * So the fast paths take no lock, use no atomic and leave interrupts on.
 * This relies on softirqs and hardirq handlers not being threads, so
 * smalloc depends on !PREEMPT_RT.
 *
 * Every owner access to a heap is under preempt_disable() or with
 * interrupts off (smalloc_lower_levels_get() relies on it).
 *
 * Three other parties touch a heap:
 *
 *  - remote frees (smalloc_remote.c) from any CPU and context: they only
 *    push onto a page's xthread_free, a lock-free stack emptied by the
 *    owner with one xchg; frees from another context level of the heap's
 *    own CPU either exclude the owner (interrupts off, or it was
 *    interrupted outside any preempt-disabled section) and free locally,
 *    or push onto the heap's ctx_free with cmpxchg_local();
 *  - drains from task context on the heap's own CPU, which exclude the
 *    heap's level first (preempt_disable, local_bh_disable or
 *    local_irq_save: see smalloc_drain_this_cpu()), always with
 *    preemption disabled as well: local_bh_disable() alone keeps
 *    softirqs out, but not a hardirq's free into the softirq heap
 *    (smalloc_lower_levels_get() counts only preempt_disable());
 *  - the CPU-dead callback and module unload, when nothing can run the
 *    heap's CPU or use smalloc at all.
 *
 * Constant fields of a page (start, class, block_size, key, heap) are
 * written before the page is published to a heap and never again, so
 * anyone holding one of its blocks may read them.  A page is only
 * released by its owner with used == 0, so a block in someone's hands
 * pins its page.
 *
 * There are no locks in the allocator proper.  The list of large
 * allocations has a spinlock (irqsave, leaf), taken only around the page
 * allocator.
 *
 * Sleeping: only the slow path sleeps, only in the page allocator and only
 * if the GFP flags allow it, and it lets go of its heap (preemption back
 * on) first.
 */
#define pr_fmt(fmt) "smalloc: " fmt

#include "smalloc_internal.h"

/*
 * Requests smalloc does not implement itself go to kmalloc, which knows
 * them: DMA zones and memcg accounting.  sfree() takes the result back.
 */
#define SMALLOC_GFP_KMALLOC	(__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM | \
				 __GFP_ACCOUNT)

/* ---------------------------------------------------------------- */
/* Allocation                                                        */
/* ---------------------------------------------------------------- */

/*
 * The fast path's block, poison-checked and zeroed as asked, and on a
 * memory-debugging kernel shown to the debuggers (smalloc_debug.c); out
 * of line, so that the fast path itself saves no registers.
 */
static noinline void *smalloc_alloc_prepare(struct smalloc_page *page,
					    void *block, size_t size,
					    gfp_t gfp)
{
	/* Our block pins the page: block_size is stable. */
	if (SMALLOC_DEBUG)
		return smalloc_debug_alloc(page, block, size, gfp);
	if (static_branch_unlikely(&smalloc_poison))
		smalloc_poison_verify(page, block);
	if (want_init_on_alloc(gfp))
		memset(block, 0, page->block_size);
	return block;
}

static noinline void *smalloc_alloc_slow(size_t size, gfp_t gfp)
{
	void *block = smalloc_heap_alloc_slow(size, gfp);
	struct smalloc_page *page;

	if (unlikely(ZERO_OR_NULL_PTR(block)) || size > SMALLOC_MAX_SIZE)
		return block;
	page = smalloc_ptr_to_page(block);
	if (unlikely(!page))
		return block;		/* kmalloc's: zeroed as asked */
	return smalloc_alloc_prepare(page, block, size, gfp);
}

/*
 * The slow path for smalloc() and the other single-object calls: fires
 * smalloc_alloc for the caller @ip.  smalloc_bulk() calls
 * smalloc_alloc_slow() itself and fires its own event.
 */
static noinline void *smalloc_alloc_slow_trace(size_t size, gfp_t gfp,
					       unsigned long ip)
{
	void *block = smalloc_alloc_slow(size, gfp);

	smalloc_trace_alloc(ip, block, size, gfp, NUMA_NO_NODE);
	return block;
}

/* A request passed to kmalloc, with its smalloc_alloc event. */
static noinline void *smalloc_alloc_kmalloc(size_t size, gfp_t gfp, int node,
					    unsigned long ip)
{
	void *p = kmalloc_node(size, gfp, node);

	smalloc_trace_alloc(ip, p, size, gfp, node);
	return p;
}

/* The smalloc_alloc event, then as smalloc_alloc_prepare(). */
static noinline void *smalloc_alloc_event(struct smalloc_page *page,
					  void *block, size_t size, gfp_t gfp,
					  unsigned long ip)
{
	trace_smalloc_alloc(ip, block, size, page->block_size, gfp,
			    NUMA_NO_NODE);
	return smalloc_alloc_prepare(page, block, size, gfp);
}

/*
 * The fast path's block when smalloc_alloc_hooks is on: zeroed at once
 * if the init_on_alloc policy is all the key stands for (the distro's
 * default: smalloc_alloc_zero_only), else the smalloc_alloc event (the
 * key is on while it is enabled, see smalloc_trace.c) and the rest.  Out
 * of line and tail-called; it tail-calls memset() or the rest, and so
 * saves no registers.
 */
static noinline void *smalloc_alloc_traced(struct smalloc_page *page,
					   void *block, size_t size, gfp_t gfp,
					   unsigned long ip)
{
	if (static_branch_likely(&smalloc_alloc_zero_only))
		return memset(block, 0, page->block_size);
	return smalloc_alloc_event(page, block, size, gfp, ip);
}

/*
 * The fast path: the direct cache and a pop.  @zero is a constant: true
 * for the zeroing calls, whose block is cleared here; the caller has sent
 * GFP_KMALLOC requests to kmalloc.  What more a block may need (the
 * smalloc_alloc event, poisoning, init_on_alloc, the memory debuggers)
 * costs the fast path one static key (smalloc_alloc_hooks,
 * smalloc_harden.c), and goes out of line.
 */
static __always_inline void *smalloc_alloc_fast(size_t size, gfp_t gfp,
						bool zero, unsigned long ip)
{
	struct smalloc_heap *heap;
	struct smalloc_page *page;
	unsigned long slot;
	void *block;

	/* The slot less one: the one folds into the load's displacement. */
	if (likely(size - 1 < SMALLOC_DIRECT_MAX))
		slot = smalloc_direct_slot(size) - 1;
	else if (size - 1 < SMALLOC_MAX_SIZE)
		slot = smalloc_direct_big_slot(size) - 1;
	else
		return smalloc_alloc_slow_trace(size, gfp, ip);

	heap = smalloc_heap_get();
	page = heap->direct[slot + 1];
	if (likely(page->free)) {
		block = smalloc_page_pop(page);
		smalloc_stat_inc(heap, SMALLOC_ALLOC_FAST);
		smalloc_heap_put(heap);
		if (SMALLOC_DEBUG || static_branch_unlikely(&smalloc_alloc_hooks))
			return smalloc_alloc_traced(page, block, size, gfp, ip);
		/* memset() returns the block: a tail call. */
		if (zero)
			return memset(block, 0, page->block_size);
		return block;
	}
	smalloc_heap_put(heap);
	return smalloc_alloc_slow_trace(size, gfp, ip);
}

/*
 * smalloc() of a request with a flag its fast path does not test: to
 * kmalloc (GFP_KMALLOC), or zeroed (__GFP_ZERO).  Both in one test there.
 */
static noinline void *smalloc_alloc_flagged(size_t size, gfp_t gfp,
					    unsigned long ip)
{
	if (gfp & SMALLOC_GFP_KMALLOC)
		return smalloc_alloc_kmalloc(size, gfp, NUMA_NO_NODE, ip);
	return smalloc_alloc_fast(size, gfp, true, ip);
}

/**
 * smalloc - allocate memory
 * @size: how many bytes of memory are required
 * @gfp: the type of memory to allocate, as for kmalloc(): GFP_KERNEL may
 *       sleep, GFP_ATOMIC and GFP_NOWAIT never do; __GFP_ZERO zeroes;
 *       __GFP_NOWARN silences failure warnings.  GFP_DMA, GFP_DMA32 and
 *       __GFP_ACCOUNT requests are passed to kmalloc().
 *
 * Requests up to 8 KiB come from per-CPU size classes, larger ones straight
 * from the page allocator.  The memory is aligned to at least
 * ARCH_KMALLOC_MINALIGN, and power-of-two sizes are naturally aligned.
 * The init_on_alloc boot policy is honoured as kmalloc honours it.
 *
 * Context: process, softirq or hardirq context; with a GFP mask that does
 * not allow blocking in atomic context.  Not from NMI.
 * Return: a pointer to the memory, ZERO_SIZE_PTR if @size is 0, or NULL on
 * failure (or if @size is larger than any allocation can be).
 */
void *smalloc(size_t size, gfp_t gfp)
{
	might_alloc(gfp);
	if (unlikely(gfp & (SMALLOC_GFP_KMALLOC | __GFP_ZERO)))
		return smalloc_alloc_flagged(size, gfp, _RET_IP_);
	return smalloc_alloc_fast(size, gfp, false, _RET_IP_);
}
EXPORT_SYMBOL_GPL(smalloc);

/**
 * szalloc - allocate zeroed memory
 * @size: how many bytes of memory are required
 * @gfp: the type of memory to allocate, as for smalloc()
 *
 * Context: as smalloc().
 * Return: a pointer to @size zeroed bytes, ZERO_SIZE_PTR if @size is 0, or
 * NULL on failure.
 */
void *szalloc(size_t size, gfp_t gfp)
{
	gfp |= __GFP_ZERO;
	might_alloc(gfp);
	if (unlikely(gfp & SMALLOC_GFP_KMALLOC))
		return smalloc_alloc_kmalloc(size, gfp, NUMA_NO_NODE, _RET_IP_);
	return smalloc_alloc_fast(size, gfp, true, _RET_IP_);
}
EXPORT_SYMBOL_GPL(szalloc);

/**
 * smalloc_array - allocate memory for an array
 * @n: number of elements
 * @size: element size
 * @gfp: the type of memory to allocate, as for smalloc()
 *
 * Context: as smalloc().
 * Return: a pointer to the array, or NULL if @n * @size overflows or the
 * allocation fails.
 */
void *smalloc_array(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes)))
		return NULL;
	return smalloc(bytes, gfp);
}
EXPORT_SYMBOL_GPL(smalloc_array);

/**
 * scalloc - allocate zeroed memory for an array
 * @n: number of elements
 * @size: element size
 * @gfp: the type of memory to allocate, as for smalloc()
 *
 * Context: as smalloc().
 * Return: a pointer to the zeroed array, or NULL if @n * @size overflows
 * or the allocation fails.
 */
void *scalloc(size_t n, size_t size, gfp_t gfp)
{
	return smalloc_array(n, size, gfp | __GFP_ZERO);
}
EXPORT_SYMBOL_GPL(scalloc);

/* smalloc_node() for another node: its pool, or kmalloc_node(). */
static noinline void *smalloc_alloc_far(size_t size, gfp_t gfp, int node,
					unsigned long ip)
{
	struct smalloc_page *page;
	void *p;

	if (!size)
		return ZERO_SIZE_PTR;
	might_alloc(gfp);
	p = smalloc_pool_alloc(size, gfp, node, &page);
	if (!p)
		return smalloc_alloc_kmalloc(size, gfp, node, ip);
	p = smalloc_alloc_prepare(page, p, size, gfp);
	smalloc_trace_alloc(ip, p, size, gfp, node);
	return p;
}

/**
 * smalloc_node - allocate memory on a NUMA node
 * @size: how many bytes of memory are required
 * @gfp: the type of memory to allocate, as for smalloc()
 * @node: the node, or NUMA_NO_NODE
 *
 * smalloc's per-CPU heaps hold pages of their CPU's node only.  A small
 * request for another node is served by that node's pool, whose spans
 * are on that node (smalloc_node.c), under the pool's lock; if the node
 * has no memory left, kmalloc_node() serves it (sfree() takes either
 * back).  A large one comes from that node's page allocator.
 *
 * Context: as smalloc().
 * Return: as smalloc().
 */
void *smalloc_node(size_t size, gfp_t gfp, int node)
{
	void *p;

	if (node == NUMA_NO_NODE || node == numa_mem_id())
		return smalloc(size, gfp);
	if (size <= SMALLOC_MAX_SIZE && !(gfp & SMALLOC_GFP_KMALLOC) &&
	    !in_nmi() && smalloc_pools)
		return smalloc_alloc_far(size, gfp, node, _RET_IP_);
	might_alloc(gfp);
	if (size > SMALLOC_MAX_SIZE && size <= SMALLOC_LARGE_MAX &&
	    !(gfp & SMALLOC_GFP_KMALLOC) && !in_nmi()) {
		p = smalloc_large_alloc(size, gfp, node);
		smalloc_trace_alloc(_RET_IP_, p, size, gfp, node);
		return p;
	}
	return smalloc_alloc_kmalloc(size, gfp, node, _RET_IP_);
}
EXPORT_SYMBOL_GPL(smalloc_node);

/**
 * szalloc_node - allocate zeroed memory on a NUMA node
 * @size: how many bytes of memory are required
 * @gfp: the type of memory to allocate, as for smalloc()
 * @node: the node, or NUMA_NO_NODE
 *
 * As kzalloc_node(): smalloc_node() with __GFP_ZERO.
 *
 * Context: as smalloc().
 * Return: as smalloc(), the memory zeroed.
 */
void *szalloc_node(size_t size, gfp_t gfp, int node)
{
	return smalloc_node(size, gfp | __GFP_ZERO, node);
}
EXPORT_SYMBOL_GPL(szalloc_node);

/**
 * scalloc_node - allocate zeroed memory for an array on a NUMA node
 * @n: number of elements
 * @size: element size
 * @gfp: the type of memory to allocate, as for smalloc()
 * @node: the node, or NUMA_NO_NODE
 *
 * As kcalloc_node().
 *
 * Context: as smalloc().
 * Return: a pointer to the zeroed array, or NULL if @n * @size overflows
 * or the allocation fails.
 */
void *scalloc_node(size_t n, size_t size, gfp_t gfp, int node)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes)))
		return NULL;
	return szalloc_node(bytes, gfp, node);
}
EXPORT_SYMBOL_GPL(scalloc_node);

/**
 * smemdup - duplicate a region of memory
 * @src: the memory to copy
 * @len: how many bytes
 * @gfp: the type of memory to allocate, as for smalloc()
 *
 * As kmemdup(): @len 0 gives ZERO_SIZE_PTR.
 *
 * Context: as smalloc().
 * Return: a new object holding a copy of @src, or NULL on failure.
 */
void *smemdup(const void *src, size_t len, gfp_t gfp)
{
	void *p = smalloc(len, gfp);

	if (p)
		memcpy(p, src, len);
	return p;
}
EXPORT_SYMBOL_GPL(smemdup);

/**
 * sstrdup - duplicate a string
 * @s: the string, or NULL
 * @gfp: the type of memory to allocate, as for smalloc()
 *
 * As kstrdup().
 *
 * Context: as smalloc().
 * Return: a new NUL-terminated copy of @s, or NULL if @s is NULL or the
 * allocation fails.
 */
char *sstrdup(const char *s, gfp_t gfp)
{
	return s ? smemdup(s, strlen(s) + 1, gfp) : NULL;
}
EXPORT_SYMBOL_GPL(sstrdup);

/**
 * sstrndup - duplicate at most a given length of a string
 * @s: the string, or NULL
 * @max: read at most this many characters of @s
 * @gfp: the type of memory to allocate, as for smalloc()
 *
 * As kstrndup(): the copy is NUL-terminated even if @s was longer.
 *
 * Context: as smalloc().
 * Return: a new string of at most @max characters, or NULL if @s is NULL
 * or the allocation fails.
 */
char *sstrndup(const char *s, size_t max, gfp_t gfp)
{
	size_t len;
	char *p;

	if (!s)
		return NULL;
	len = strnlen(s, max);
	p = smalloc(len + 1, gfp);
	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}
EXPORT_SYMBOL_GPL(sstrndup);

/* ---------------------------------------------------------------- */
/* Bulk allocation                                                   */
/* ---------------------------------------------------------------- */

/*
 * smalloc_bulk() without its event: blocks are popped from the class's
 * page with the heap taken once per batch of up to 32, and prepared
 * (zeroed, poison-checked) after it is let go; when the page runs dry the
 * slow path refills it.  Requests smalloc() passes to kmalloc or the page
 * allocator are made one by one.  No object fires smalloc_alloc.
 */
static int smalloc_bulk_untraced(size_t size, gfp_t gfp, size_t n, void **p)
{
	unsigned int slot;
	size_t i = 0;

	might_alloc(gfp);
	if (unlikely(!n || n > INT_MAX))
		return 0;
	if (unlikely(size - 1 >= SMALLOC_MAX_SIZE || (gfp & SMALLOC_GFP_KMALLOC))) {
		for (; i < n; i++) {
			p[i] = gfp & SMALLOC_GFP_KMALLOC ? kmalloc(size, gfp) :
			       smalloc_alloc_slow(size, gfp);
			if (ZERO_OR_NULL_PTR(p[i]) && size)
				goto fail;
		}
		return n;
	}
	slot = size <= SMALLOC_DIRECT_MAX ? smalloc_direct_slot(size) :
					    smalloc_direct_big_slot(size);
	while (i < n) {
		struct smalloc_heap *heap = smalloc_heap_get();
		struct smalloc_page *page = heap->direct[slot];
		size_t start = i, end = min(n, i + SMALLOC_BULK_BATCH);

		while (i < end && page->free)
			p[i++] = smalloc_page_pop(page);
		smalloc_stat_add(heap, SMALLOC_ALLOC_FAST, i - start);
		smalloc_heap_put(heap);
		/* Our blocks pin the page: block_size is stable. */
		for (; start < i; start++)
			if (SMALLOC_DEBUG ||
			    static_branch_unlikely(&smalloc_poison) ||
			    want_init_on_alloc(gfp))
				smalloc_alloc_prepare(page, p[start], size,
						      gfp);
		if (i < end) {
			p[i] = smalloc_alloc_slow(size, gfp);
			if (!p[i])
				goto fail;
			i++;
		}
	}
	return n;

fail:
	smalloc_free_bulk_untraced(i, p);
	return 0;
}

/**
 * smalloc_bulk - allocate many objects of one size
 * @size: bytes per object
 * @gfp: the type of memory to allocate, as for smalloc()
 * @n: how many objects
 * @p: an array of @n pointers, filled in
 *
 * As kmem_cache_alloc_bulk(): all or nothing, and one event for the call
 * (smalloc_alloc_bulk), none per object.  Blocks are taken with the heap
 * held once per batch of up to 32.
 *
 * Context: as smalloc().
 * Return: @n, or 0 (nothing allocated, @p undefined) on failure.
 */
int smalloc_bulk(size_t size, gfp_t gfp, size_t n, void **p)
{
	int done = smalloc_bulk_untraced(size, gfp, n, p);

	if (trace_smalloc_alloc_bulk_enabled())
		trace_smalloc_alloc_bulk(_RET_IP_, size,
					 done ? smalloc_usable_size(p[0]) : 0,
					 gfp, n, done);
	return done;
}
EXPORT_SYMBOL_GPL(smalloc_bulk);

/**
 * smalloc_usable_size - how much of an allocation may be used
 * @p: a pointer smalloc() or kmalloc() returned
 *
 * As ksize(): the block size, at least what was asked for.  The rule is
 * ksize()'s: the compiler and FORTIFY_SOURCE know an object as the size it
 * was asked for (include/smalloc.h's annotations), so a caller that wants
 * the slack claims it first with srealloc(p, smalloc_usable_size(p), gfp),
 * which returns @p.  For a kmalloc object it is ksize(), where KASAN on
 * 6.12 also reports accesses beyond the request.
 *
 * Context: any.
 * Return: the usable size, or 0 for NULL, ZERO_SIZE_PTR and pointers
 * neither allocator handed out.
 */
size_t smalloc_usable_size(const void *p)
{
	struct smalloc_page *page = smalloc_ptr_to_page(p);
	struct page *head;

	if (page)
		return smalloc_block_valid(page, p) ? page->block_size : 0;
	if (ZERO_OR_NULL_PTR(p))
		return 0;
	head = smalloc_large_head(p);
	if (head)
		return p == page_address(head) ? smalloc_large_size(head) : 0;
	return smalloc_is_kmalloc(p) ? ksize(p) : 0;
}
EXPORT_SYMBOL_GPL(smalloc_usable_size);

/*
 * The size srealloc() asks for when @new_size outgrows a block of @ks
 * bytes: half as much again as the block, within the size classes, so a
 * buffer grown by small steps moves a logarithmic number of times, as
 * krealloc()'s power-of-two caches make it move, rather than once for
 * each of smalloc's finer classes.  It asks for less than 1.5 times what
 * the caller asked for, and rounding up to a class keeps the block under
 * twice the request, as with kmalloc's power-of-two sizes.
 */
static size_t smalloc_realloc_size(size_t ks, size_t new_size)
{
	size_t grown = ks + ks / 2;

	if (new_size >= grown || grown > SMALLOC_MAX_SIZE)
		return new_size;
	return grown;
}

/**
 * srealloc - change the size of an allocation
 * @p: as for sfree(); NULL allocates
 * @new_size: the new size; 0 frees @p and returns ZERO_SIZE_PTR
 * @gfp: as for smalloc()
 *
 * As krealloc(): the contents are kept up to the smaller of the old and
 * new sizes; if the block is already big enough, @p itself is returned
 * (with the slack beyond @new_size zeroed if init_on_alloc or __GFP_ZERO
 * ask for it).  A block that must grow moves to one of at least half as
 * much again while that fits in the size classes, so that growing a buffer
 * step by step copies it O(log n) times.  A kmalloc object is passed to
 * krealloc().  On failure @p is left as it was.
 *
 * Context: as smalloc().
 * Return: the new pointer, or NULL on failure or if @p is not a pointer
 * smalloc or kmalloc handed out.
 */
void *srealloc(const void *p, size_t new_size, gfp_t gfp)
{
	struct smalloc_page *page;
	struct page *head;
	size_t ks;
	void *n;

	if (ZERO_OR_NULL_PTR(p))
		return smalloc(new_size, gfp);
	if (unlikely(!new_size)) {
		sfree(p);
		return ZERO_SIZE_PTR;
	}
	page = smalloc_ptr_to_page(p);
	head = page ? NULL : smalloc_large_head(p);
	if (!page && !head) {
		if (smalloc_is_kmalloc(p))
			return krealloc(p, new_size, gfp);
		smalloc_report_invalid_free(p, "not allocated by smalloc or kmalloc",
					    _RET_IP_);
		return NULL;
	}
	if (page) {
		unsigned long index;

		if (unlikely(smalloc_block_valid(page, p) &&
			     !smalloc_block_live(page, p, &index))) {
			/* Freed: writing its slack would corrupt a list. */
			smalloc_report_invalid_free(p, "resize of a freed block",
						    _RET_IP_);
			return NULL;
		}
		ks = smalloc_block_valid(page, p) ? page->block_size : 0;
	} else {
		ks = p == page_address(head) ? smalloc_large_size(head) : 0;
	}
	if (unlikely(!ks)) {
		smalloc_report_invalid_free(p, "not the start of a block",
					    _RET_IP_);
		return NULL;
	}
	if (new_size <= ks) {
		/* The slack is KASAN's redzone: smalloc's own write. */
		kasan_disable_current();
		if (want_init_on_alloc(gfp))
			memset((void *)p + new_size, 0, ks - new_size);
		kasan_enable_current();
		if (page)
			smalloc_debug_resize(page, (void *)p, new_size);
		else
			smalloc_debug_large_alloc((void *)p, new_size, ks);
		return (void *)p;
	}
	n = smalloc(page ? smalloc_realloc_size(ks, new_size) : new_size, gfp);
	if (!n)
		return NULL;
	/* The whole old block, redzone included, as krealloc() copies. */
	kasan_disable_current();
	memcpy(n, p, ks);
	kasan_enable_current();
	sfree(p);
	return n;
}
EXPORT_SYMBOL_GPL(srealloc);

/**
 * srealloc_array - change the size of an array
 * @p: as for srealloc()
 * @new_n: the new number of elements
 * @new_size: element size
 * @gfp: as for smalloc()
 *
 * As krealloc_array().
 *
 * Context: as smalloc().
 * Return: as srealloc(), or NULL (with @p unchanged) if @new_n * @new_size
 * overflows.
 */
void *srealloc_array(const void *p, size_t new_n, size_t new_size, gfp_t gfp)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(new_n, new_size, &bytes)))
		return NULL;
	return srealloc(p, bytes, gfp);
}
EXPORT_SYMBOL_GPL(srealloc_array);

/**
 * smalloc_drain - give back every empty page now
 *
 * Collects the frees other CPUs made into each online CPU's pages and
 * returns every page that holds no live block, retired pages included, to
 * the page allocator, as writing to /sys/kernel/debug/smalloc/drain does.
 * For a caller that has just freed a large working set and wants the
 * memory back at once rather than after the idle drain; the next burst
 * then starts with fresh pages.
 *
 * Context: process context; sleeps (a work item runs on each online CPU).
 */
void smalloc_drain(void)
{
	might_sleep();
	smalloc_drain_all();
}
EXPORT_SYMBOL_GPL(smalloc_drain);

/* ---------------------------------------------------------------- */
/* Module life                                                       */
/* ---------------------------------------------------------------- */

static int __init smalloc_init(void)
{
	int ret;

	ret = smalloc_classes_init();
	if (ret)
		return ret;
	ret = smalloc_pfn_map_init();
	if (ret)
		return ret;
	ret = smalloc_page_cache_init();
	if (ret)
		goto err_map;
	smalloc_retire_init();
	ret = smalloc_heaps_init();
	if (ret)
		goto err_cache;
	ret = smalloc_pools_init();
	if (ret)
		goto err_heaps;
	ret = smalloc_shrinker_init();
	if (ret)
		goto err_heaps;
	smalloc_harden_init();
	smalloc_debugfs_init();
	pr_info("%u size classes up to %u bytes, %u possible CPUs, %lu page frames mapped\n",
		SMALLOC_NR_CLASSES, SMALLOC_MAX_SIZE, num_possible_cpus(),
		smalloc_pfn_limit);
	return 0;

err_heaps:
	smalloc_heaps_exit();
err_cache:
	smalloc_page_cache_exit();
err_map:
	smalloc_pfn_map_exit();
	return ret;
}

static void __exit smalloc_exit(void)
{
	smalloc_free_exit();
	smalloc_debugfs_exit();
	smalloc_shrinker_exit();
	smalloc_heaps_exit();
	smalloc_page_cache_exit();
	smalloc_pfn_map_exit();
	/* Every retired page was released or unretired on its way out. */
	WARN_ON(atomic_long_read(&smalloc_retired_frames));
	pr_info("unloaded, %ld pages held\n", atomic_long_read(&smalloc_nr_pages));
}

module_init(smalloc_init);
module_exit(smalloc_exit);

MODULE_DESCRIPTION("Per-CPU small-object allocator with a kmalloc-shaped API");
MODULE_LICENSE("GPL");
/* The one version: "make install", dkms.conf and "make deb" read it here. */
MODULE_VERSION("0.1.0");
