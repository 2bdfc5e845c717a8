// SPDX-License-Identifier: GPL-2.0-only
/*
 * the free path: sfree() and everything it does.
 *
 *   - a block of one of the current heap's pages: pushed on local_free
 *     (smalloc_heap_free_block(), smalloc_internal.h);
 *   - a block of another heap's page: pushed on the page's xthread_free,
 *     or, from another context level of the owner's CPU, freed locally
 *     with interrupts off or pushed on the owner's ctx_free
 *     (smalloc_remote.c);
 *   - anything but a plain free of a live block (a pointer that is no
 *     block start, a block not live, poisoning or init_on_free): the
 *     checked path, which reports what is no live block (the per-page
 *     live bytes are the exact double-free check, smalloc_internal.h);
 *   - a large allocation: the page allocator; a kmalloc object: kfree();
 *     from NMI both are deferred to an irq_work;
 *   - bulk frees take the heap once per batch.
 *
 * The rules (smalloc_main.c's top comment): no lock, no queued work where
 * kfree() would take none; what the free path may call is the page
 * allocator's free, as kfree() does.
 */
#define pr_fmt(fmt) "smalloc: " fmt

#include "smalloc_internal.h"

/* Is @p a kmalloc object, which kfree() knows how to free? */
bool smalloc_is_kmalloc(const void *p)
{
	struct folio *folio;

	if (!virt_addr_valid(p))
		return false;
	folio = virt_to_folio(p);
	return folio_test_slab(folio) ||
	       (folio_test_large(folio) && p == folio_address(folio));
}

/* The head page of a large allocation starting in @p's frame, or NULL. */
struct page *smalloc_large_head(const void *p)
{
	unsigned long pfn = smalloc_addr_pfn(p);
	struct page *head;

	if (!smalloc_pfn_owned(pfn))
		return NULL;
	head = pfn_to_page(pfn);
	return (page_private(head) & SMALLOC_TAG_MASK) == SMALLOC_LARGE_TAG ?
	       head : NULL;
}

/*
 * Frees from NMI of what only the page allocator or kfree() can take (a
 * large allocation, a kmalloc object), and on a kmemleak kernel of blocks
 * too (kmemleak_free() takes a lock): none is NMI-safe, so the object
 * is queued on a lock-free list, its first word the link, and an irq_work
 * (NMI-safe to queue) hands it to sfree() or sfree_sensitive() from
 * hardirq context as soon as the NMI returns.  Blocks need none of this
 * elsewhere: their remote free is lock-free.
 */
static LLIST_HEAD(smalloc_nmi_frees);
static LLIST_HEAD(smalloc_nmi_frees_sensitive);
static LLIST_HEAD(smalloc_nmi_rcu);

/* What the work finishes fired its event in the NMI: these fire none. */
static void smalloc_free_one(const void *p, unsigned long ip);
static void smalloc_free_sensitive(const void *p, unsigned long ip);
static void smalloc_rcu_queue(void *ptr, struct rcu_head *head);

static void smalloc_nmi_free_work(struct irq_work *work)
{
	struct llist_node *node, *next;

	node = llist_del_all(&smalloc_nmi_frees);
	for (; node; node = next) {
		next = node->next;
		smalloc_free_one(node, _THIS_IP_);
	}
	node = llist_del_all(&smalloc_nmi_frees_sensitive);
	for (; node; node = next) {
		next = node->next;
		smalloc_free_sensitive(node, _THIS_IP_);
	}
	node = llist_del_all(&smalloc_nmi_rcu);
	for (; node; node = next) {
		struct rcu_head *head = (struct rcu_head *)node;

		next = node->next;
		smalloc_rcu_queue((void *)head->func, head);
	}
}

static DEFINE_IRQ_WORK(smalloc_nmi_work, smalloc_nmi_free_work);

/*
 * From NMI: queue @p for smalloc_nmi_free_work() if it is a large
 * allocation or a kmalloc object (both only read here: the map, the
 * frame's flags); anything else is reported by the caller.
 */
static bool smalloc_free_from_nmi(const void *p, bool sensitive)
{
	if (!smalloc_large_head(p) && !smalloc_is_kmalloc(p) &&
	    !(IS_ENABLED(CONFIG_DEBUG_KMEMLEAK) && smalloc_ptr_to_page(p)))
		return false;
	llist_add((struct llist_node *)p, sensitive ?
		  &smalloc_nmi_frees_sensitive : &smalloc_nmi_frees);
	irq_work_queue(&smalloc_nmi_work);
	return true;
}

/* Everything sfree() gets that is not a block of a class span. */
static noinline void smalloc_free_other(const void *p, unsigned long ip)
{
	struct page *head;

	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return;
	if (unlikely(in_nmi())) {
		if (!smalloc_free_from_nmi(p, false))
			smalloc_report_invalid_free(p, "not allocated by smalloc or kmalloc",
						    ip);
		return;
	}
	head = smalloc_large_head(p);
	if (head) {
		if (!smalloc_large_free((void *)p, head)) {
			smalloc_report_invalid_free(p, "inside a large allocation",
						    ip);
			return;
		}
		smalloc_stat_count(SMALLOC_LARGE_FREE);
		return;
	}
	if (smalloc_is_kmalloc(p)) {
		kfree(p);
		smalloc_stat_count(SMALLOC_FOREIGN_FREE);
		return;
	}
	smalloc_report_invalid_free(p, "not allocated by smalloc or kmalloc", ip);
}

/*
 * Give @block, number @index of @page and live when the caller looked,
 * back to its page from the current heap @heap (taken by the caller):
 * locally if @heap owns the page, else as smalloc_free_foreign() does.
 * Return: false if the block was found freed meanwhile (freed twice at
 * once), which the caller reports once it let go of the heap.
 */
static __always_inline bool smalloc_free_to(struct smalloc_heap *heap,
					    struct smalloc_page *page,
					    void *block, unsigned long index)
{
	if (unlikely(page->heap != heap))
		return smalloc_free_foreign(heap, page, block, index);
	WRITE_ONCE(page->live[index], 0);
	smalloc_stat_inc(heap, SMALLOC_FREE_LOCAL);
	smalloc_heap_free_block(heap, page, block);
	return true;
}

/*
 * The out-of-line ends of smalloc_free_block(), which let go of the heap
 * themselves: sfree() tail-calls them and so needs no stack frame
 * (smalloc_free_foreign_put() is smalloc_remote.c's).
 */
static noinline void smalloc_free_local_slow_put(struct smalloc_heap *heap,
						 struct smalloc_page *page)
{
	smalloc_heap_free_local_slow(heap, page);
	smalloc_heap_put(heap);
}

/* smalloc_free_to() with the heap taken here. */
static __always_inline void smalloc_free_block(struct smalloc_page *page,
					       void *block, unsigned long index)
{
	struct smalloc_heap *heap = smalloc_heap_get();

	if (unlikely(page->heap != heap)) {
		smalloc_free_foreign_put(heap, page, block, index);
		return;
	}
	WRITE_ONCE(page->live[index], 0);
	smalloc_stat_inc(heap, SMALLOC_FREE_LOCAL);
	if (smalloc_heap_push_block(page, block)) {
		smalloc_free_local_slow_put(heap, page);
		return;
	}
	smalloc_heap_put(heap);
}

/* Clear a whole block or large allocation, KASAN's redzone included. */
static void smalloc_clear_whole(const void *p, size_t size)
{
	kasan_disable_current();
	memzero_explicit((void *)p, size);
	kasan_enable_current();
}

/*
 * Give back a block whose live byte the caller took: nobody else can
 * free it now, so it may be written first.  Locally if this heap owns
 * the page, else as smalloc_free_foreign_claimed() does.
 */
static void smalloc_free_claimed(struct smalloc_page *page, void *block)
{
	struct smalloc_heap *heap = smalloc_heap_get();

	if (page->heap == heap) {
		smalloc_stat_inc(heap, SMALLOC_FREE_LOCAL);
		smalloc_heap_free_block(heap, page, block);
	} else {
		smalloc_free_foreign_claimed(heap, page, block);
	}
	smalloc_heap_put(heap);
}

/*
 * sfree() of a block that failed a fast-path check or needs more than a
 * push: report a pointer that is not a block or a block freed twice (and
 * leave it alone), clear (@sensitive), poison or zero the block as asked,
 * then free it.  The block's live byte is taken (xchg) before anything
 * writes to it: a second free racing this one, from any CPU, finds it
 * taken and is reported, and no write lands on a block another free has
 * put on a list.
 */
static noinline void smalloc_free_checked(struct smalloc_page *page,
					  void *block, unsigned long ip,
					  bool sensitive)
{
	unsigned long index;

	if (unlikely(!smalloc_block_valid(page, block))) {
		smalloc_report_invalid_free(block, "not the start of a block",
					    ip);
		return;
	}
	/* KASAN reports a freed block here; the check below contains it. */
	smalloc_debug_check_free(page, block);
	/* A carved block start that is not live is on a free list. */
	if (!smalloc_block_live(page, block, &index)) {
		smalloc_double_free(block, ip);
		return;
	}
	/* kmemleak_free() may not be called from NMI. */
	if (IS_ENABLED(CONFIG_DEBUG_KMEMLEAK) && unlikely(in_nmi())) {
		smalloc_free_from_nmi(block, sensitive);
		return;
	}
	if (unlikely(!xchg(&page->live[index], 0))) {
		smalloc_double_free(block, ip);
		return;
	}
	if (sensitive)
		smalloc_clear_whole(block, page->block_size);
	if (SMALLOC_DEBUG)
		smalloc_debug_free(page, block);
	else if (static_branch_unlikely(&smalloc_poison))
		smalloc_poison_block(page, block);
	else if (want_init_on_free())
		memset(block, 0, page->block_size);
	smalloc_free_claimed(page, block);
}

/*
 * sfree() without its event, always by the checked path: for the paths
 * that fire their own (bulk, RCU) or fired it already (from NMI).  @ip is
 * the call site reports name.
 */
static void smalloc_free_one(const void *p, unsigned long ip)
{
	unsigned long priv = smalloc_ptr_private(p);

	if (!smalloc_priv_is_span(priv))
		smalloc_free_other(p, ip);
	else
		smalloc_free_checked(smalloc_span_of(priv), (void *)p, ip,
				     false);
}

/*
 * sfree() of anything but a plain free of a live block: the smalloc_free
 * event, then the free by the checked path.  While the event is enabled
 * smalloc_free_hooks sends every sfree() here (smalloc_trace.c), so the
 * disabled event costs the fast path nothing of its own.
 */
static noinline void smalloc_free_traced(const void *p, unsigned long ip)
{
	trace_smalloc_free(ip, p);
	smalloc_free_one(p, ip);
}

/**
 * sfree - free memory
 * @p: a pointer smalloc() (or kmalloc()) returned, NULL or ZERO_SIZE_PTR
 *
 * A block goes back onto its page's local_free if this CPU and context
 * own the page, onto the page's remote free list otherwise.  A kmalloc
 * object is passed to kfree().  A pointer neither allocator handed out
 * is reported (rate-limited) and left alone.  The init_on_free boot
 * policy is honoured as kfree honours it.  Takes no lock and queues no
 * work: what it may call is the page allocator's free, as kfree() does.
 *
 * Context: any context, on any CPU.  From NMI, a block is freed at once
 * (lock-free); a large allocation or a kmalloc object is freed from an
 * irq_work as soon as the NMI returns.
 */
void sfree(const void *p)
{
	unsigned long priv = smalloc_ptr_private(p);
	struct smalloc_page *page;
	void *block = (void *)p;
	unsigned long index;

	if (unlikely(!smalloc_priv_is_span(priv))) {
		smalloc_free_traced(p, _RET_IP_);
		return;
	}
	page = smalloc_span_of(priv);
	/*
	 * Anything but a plain free of a live block goes out of line, where
	 * the checks are made again with their reports.  The fast path so
	 * makes no call that returns here, and saves no registers.
	 */
	if (unlikely(SMALLOC_DEBUG || !smalloc_block_live(page, block, &index) ||
		     static_branch_unlikely(&smalloc_free_hooks))) {
		smalloc_free_traced(p, _RET_IP_);
		return;
	}
	smalloc_free_block(page, block, index);
}
EXPORT_SYMBOL_GPL(sfree);

/*
 * sfree_bulk() without its event, for smalloc_bulk()'s failure and the
 * RCU batches too: blocks are freed with the heap taken once per batch of
 * up to 32 (locally or remotely, as sfree() would); anything sfree() would
 * check or report goes through its checked path.  No object fires
 * smalloc_free.
 */
void smalloc_free_bulk_untraced(size_t n, void **p)
{
	size_t i = 0;

	if (SMALLOC_DEBUG || static_branch_unlikely(&smalloc_poison) ||
	    want_init_on_free() || in_nmi()) {
		for (; i < n; i++)
			smalloc_free_one(p[i], _RET_IP_);
		return;
	}
	while (i < n) {
		struct smalloc_heap *heap = smalloc_heap_get();
		size_t end = min(n, i + SMALLOC_BULK_BATCH);

		void *twice = NULL;

		for (; i < end; i++) {
			void *block = p[i];
			unsigned long priv = smalloc_ptr_private(block);
			struct smalloc_page *page = smalloc_span_of(priv);
			unsigned long index;

			if (unlikely(!smalloc_priv_is_span(priv) ||
				     !smalloc_block_live(page, block, &index)))
				break;
			if (unlikely(!smalloc_free_to(heap, page, block,
						      index))) {
				twice = block;
				i++;
				break;
			}
		}
		smalloc_heap_put(heap);
		if (twice) {
			smalloc_double_free(twice, _RET_IP_);
			continue;
		}
		/* What the loop would not take: the checked path. */
		if (i < end)
			smalloc_free_one(p[i++], _RET_IP_);
	}
}

/**
 * sfree_bulk - free many objects
 * @n: how many
 * @p: an array of @n pointers, each as for sfree()
 *
 * As kfree_bulk(): the objects may come from any pages, CPUs, sizes, or
 * from kmalloc, and the call fires one event (smalloc_free_bulk), none
 * per object.  Blocks are freed with the heap taken once per batch of up
 * to 32.
 *
 * Context: as sfree().
 */
void sfree_bulk(size_t n, void **p)
{
	trace_smalloc_free_bulk(_RET_IP_, n);
	smalloc_free_bulk_untraced(n, p);
}
EXPORT_SYMBOL_GPL(sfree_bulk);

/* sfree_sensitive() without its event; @ip for the reports. */
static void smalloc_free_sensitive(const void *p, unsigned long ip)
{
	struct smalloc_page *page = smalloc_ptr_to_page(p);
	struct page *head = NULL;

	if (!page && !ZERO_OR_NULL_PTR(p))
		head = smalloc_large_head(p);
	if (page) {
		/* Cleared once its live byte is taken, not before. */
		smalloc_free_checked(page, (void *)p, ip, true);
		return;
	} else if (ZERO_OR_NULL_PTR(p)) {
		return;
	} else if (head) {
		if (p == page_address(head))
			smalloc_clear_whole(p, smalloc_large_size(head));
	} else if (in_nmi()) {
		if (smalloc_free_from_nmi(p, true))
			return;
	} else if (smalloc_is_kmalloc(p)) {
		kfree_sensitive(p);
		smalloc_stat_count(SMALLOC_FOREIGN_FREE);
		return;
	}
	smalloc_free_one(p, ip);
}

/**
 * sfree_sensitive - zero memory, then free it
 * @p: as for sfree()
 *
 * For objects that held keys or other secrets: a block or large
 * allocation of smalloc's is cleared whole with memzero_explicit() before
 * the free; a kmalloc object goes to kfree_sensitive(), which clears it as
 * KASAN allows (on 6.12 ksize() no longer unpoisons the slack beyond the
 * request, so clearing ksize() bytes here would be an out-of-bounds
 * write).  A pointer that is no live block (a double free) is not
 * written: sfree() reports it.  Fires smalloc_free, as sfree() does.
 *
 * Context: as sfree().
 */
void sfree_sensitive(const void *p)
{
	trace_smalloc_free(_RET_IP_, p);
	smalloc_free_sensitive(p, _RET_IP_);
}
EXPORT_SYMBOL_GPL(sfree_sensitive);

/* ---------------------------------------------------------------- */
/* RCU-deferred frees                                                */
/* ---------------------------------------------------------------- */

/*
 * sfree_rcu() batches as kvfree_rcu() does: each heap (CPU and context
 * level, owner only, as the heap itself) fills an array of pointers; a
 * full array, or the partial one the CPU's rcu_work finds after
 * SMALLOC_RCU_DELAY, is handed to call_rcu() once, and its callback frees
 * every pointer with sfree_bulk().  So the common case costs one store
 * per object and one callback per SMALLOC_RCU_PTRS objects.  Only when no
 * array can be had (GFP_NOWAIT fails) does an object get a callback of
 * its own, on the rcu_head it carries (sfree_rcu()), or a
 * synchronize_rcu() (sfree_rcu_mightsleep()).  The array is a 512-byte
 * smalloc block.
 */
#define SMALLOC_RCU_PTRS	61
#define SMALLOC_RCU_DELAY	(HZ / 50)

struct smalloc_rcu_batch {
	struct rcu_head rcu;
	unsigned long nr;
	void *ptrs[SMALLOC_RCU_PTRS];
};

/* Test hook: fail this many batch allocations. */
atomic_t smalloc_fail_rcu_batch = ATOMIC_INIT(0);

static void smalloc_rcu_batch_free(struct rcu_head *rcu)
{
	struct smalloc_rcu_batch *b = container_of(rcu, struct smalloc_rcu_batch,
						   rcu);

	trace_smalloc_rcu_batch(b->nr);
	smalloc_free_bulk_untraced(b->nr, b->ptrs);
	sfree(b);
}

static void smalloc_rcu_submit(struct smalloc_heap *heap,
			       struct smalloc_rcu_batch *b)
{
	smalloc_stat_inc(heap, SMALLOC_RCU_BATCHES);
	call_rcu(&b->rcu, smalloc_rcu_batch_free);
}

/**
 * smalloc_rcu_flush_heap - hand a heap's partial batch to RCU
 * @heap: owned heap, or a dead CPU's
 */
void smalloc_rcu_flush_heap(struct smalloc_heap *heap)
{
	struct smalloc_rcu_batch *b = heap->rcu_batch;

	if (b) {
		heap->rcu_batch = NULL;
		smalloc_rcu_submit(heap, b);
	}
}

/**
 * smalloc_rcu_work - the per-CPU work that hands partial batches over
 * @work: the CPU's rcu_work
 *
 * Queued when a heap starts a batch, SMALLOC_RCU_DELAY ahead, as
 * kvfree_rcu()'s monitor work is, so that an object waits at most that
 * long plus a grace period.
 */
void smalloc_rcu_work(struct work_struct *work)
{
	struct smalloc_cpu *sc = container_of(to_delayed_work(work),
					      struct smalloc_cpu, rcu_work);
	bool here;

	preempt_disable();
	here = sc == this_cpu_ptr(smalloc_cpus);
	preempt_enable();
	/* Unbound because the CPU went down: the CPU-dead callback did it. */
	if (here)
		smalloc_run_on_heaps_here(smalloc_rcu_flush_heap);
}

/*
 * Add @ptr to the current heap's batch, starting one if needed.
 * Return: false if no batch could be had.
 */
static bool smalloc_rcu_batch_add(void *ptr)
{
	struct smalloc_rcu_batch *b, *full = NULL, *spare = NULL;
	struct smalloc_heap *heap;
	unsigned int cpu;
	bool started = false;

	for (;;) {
		heap = smalloc_heap_get();
		b = heap->rcu_batch;
		if (!b && spare) {
			b = spare;
			spare = NULL;
			b->nr = 0;
			heap->rcu_batch = b;
			started = true;
		}
		if (b)
			break;
		smalloc_heap_put(heap);
		if (smalloc_should_fail(&smalloc_fail_rcu_batch))
			return false;
		/* Taken outside the heap: the slow path may need it. */
		spare = smalloc(sizeof(*spare), GFP_NOWAIT | __GFP_NOWARN);
		if (!spare)
			return false;
	}
	b->ptrs[b->nr++] = ptr;
	if (b->nr == SMALLOC_RCU_PTRS) {
		heap->rcu_batch = NULL;
		full = b;
	}
	smalloc_stat_inc(heap, SMALLOC_RCU_QUEUED);
	if (full)
		smalloc_rcu_submit(heap, full);
	cpu = heap->cpu;
	smalloc_heap_put(heap);
	if (spare)		/* an interrupt started a batch meanwhile */
		sfree(spare);
	if (started && !full && !READ_ONCE(smalloc_exiting))
		queue_delayed_work_on(cpu, system_wq,
				      &per_cpu_ptr(smalloc_cpus, cpu)->rcu_work,
				      SMALLOC_RCU_DELAY);
	return true;
}

/* The start of the smalloc object @p points into. */
static void *smalloc_object_start(void *p)
{
	struct smalloc_page *page = smalloc_ptr_to_page(p);
	unsigned long off;

	if (!page)	/* a large allocation: a compound page */
		return page_address(compound_head(virt_to_page(p)));
	off = (unsigned long)p - (unsigned long)page->start;
	return page->start + off / page->block_size * page->block_size;
}

static void smalloc_rcu_head_free(struct rcu_head *head)
{
	smalloc_free_one(smalloc_object_start(head), _THIS_IP_);
}

static void smalloc_rcu_count_single(void)
{
	smalloc_stat_count(SMALLOC_RCU_SINGLE);
}

/*
 * Queue @ptr (not NULL) for freeing after a grace period, its event fired:
 * in a batch, or on its own @head when no batch can be had.
 */
static void smalloc_rcu_queue(void *ptr, struct rcu_head *head)
{
	if (likely(smalloc_rcu_batch_add(ptr)))
		return;
	smalloc_rcu_count_single();
	if (smalloc_ptr_to_page(ptr) || smalloc_large_head(ptr))
		call_rcu(head, smalloc_rcu_head_free);
	else
		smalloc_kfree_call_rcu(head, ptr);
}

/**
 * smalloc_free_rcu - free an object after an RCU grace period
 * @ptr: as for sfree()
 * @head: an rcu_head inside *@ptr
 *
 * What sfree_rcu(ptr, rhf) calls: kfree_rcu()'s two-argument form.
 * Batched (see above); the object's own @head is used only when no batch
 * can be had.  From NMI the request is passed to an irq_work first (the
 * object's @head holds it meanwhile).
 *
 * Context: any context sfree() is called from.
 */
void smalloc_free_rcu(void *ptr, struct rcu_head *head)
{
	if (ZERO_OR_NULL_PTR(ptr))
		return;
	trace_smalloc_free_rcu(_RET_IP_, ptr);
	if (unlikely(in_nmi())) {
		/* head->func keeps @ptr until the irq_work runs. */
		head->func = (rcu_callback_t)ptr;
		llist_add((struct llist_node *)head, &smalloc_nmi_rcu);
		irq_work_queue(&smalloc_nmi_work);
		return;
	}
	smalloc_rcu_queue(ptr, head);
}
EXPORT_SYMBOL_GPL(smalloc_free_rcu);

/**
 * smalloc_free_rcu_mightsleep - free an object after an RCU grace period,
 * with no rcu_head in it
 * @ptr: as for sfree()
 *
 * What sfree_rcu_mightsleep(ptr) calls: kfree_rcu_mightsleep().  Batched;
 * when no batch can be had it waits for a grace period itself.
 *
 * Context: process context; may sleep.
 */
void smalloc_free_rcu_mightsleep(void *ptr)
{
	might_sleep();
	if (ZERO_OR_NULL_PTR(ptr))
		return;
	trace_smalloc_free_rcu(_RET_IP_, ptr);
	if (likely(smalloc_rcu_batch_add(ptr)))
		return;
	smalloc_rcu_count_single();
	synchronize_rcu();
	smalloc_free_one(ptr, _RET_IP_);
}
EXPORT_SYMBOL_GPL(smalloc_free_rcu_mightsleep);

static long smalloc_rcu_flush_here(void *unused)
{
	smalloc_run_on_heaps_here(smalloc_rcu_flush_heap);
	return 0;
}

/**
 * smalloc_rcu_barrier - wait until every sfree_rcu() so far has freed
 *
 * Hands every CPU's partial batch to RCU, then waits for the callbacks,
 * as rcu_barrier() does for call_rcu().  For a client's exit path: after
 * it, no object the client passed to sfree_rcu() is left.
 *
 * Context: process context; sleeps.
 */
void smalloc_rcu_barrier(void)
{
	unsigned int cpu;

	might_sleep();
	/* What NMIs deferred first: it may start batches. */
	irq_work_sync(&smalloc_nmi_work);
	smalloc_nmi_free_work(NULL);
	cpus_read_lock();
	for_each_online_cpu(cpu)
		work_on_cpu(cpu, smalloc_rcu_flush_here, NULL);
	cpus_read_unlock();
	rcu_barrier();
}
EXPORT_SYMBOL_GPL(smalloc_rcu_barrier);

/**
 * smalloc_free_exit - take in the frees an NMI deferred (module unload)
 *
 * No client is left to free from NMI any more.
 */
void smalloc_free_exit(void)
{
	smalloc_rcu_barrier();
}
