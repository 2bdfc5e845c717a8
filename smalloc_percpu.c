// SPDX-License-Identifier: GPL-2.0-only
/*
 * per-CPU heaps: page queues, the direct cache, the
 * generic (slow) allocation path, drains and CPU hotplug.
 *
 * Every function here that takes a struct smalloc_heap is called by the
 * heap's owner (see smalloc_main.c for what that means), unless it says
 * otherwise.
 */
#define pr_fmt(fmt) "smalloc: " fmt

#include "smalloc_internal.h"

struct smalloc_cpu __percpu *smalloc_cpus;

/*
 * What every direct-cache slot points at when its class has no page: free
 * is NULL, so the fast path goes to the slow path without a NULL check of
 * its own.  Never written.
 */
struct smalloc_page smalloc_empty_page;

static enum cpuhp_state smalloc_cpuhp_dead, smalloc_cpuhp_online;

/*
 * Set before module exit cancels anything: from then on nothing queues
 * work or arms a timer (smalloc_heap_arm_idle()).
 */
bool smalloc_exiting;

/* Serialises drains of dead CPUs' heaps (smalloc_drain_dead_cpus()). */
static DEFINE_MUTEX(smalloc_dead_mutex);

/* ---------------------------------------------------------------- */
/* Queues and the direct cache                                       */
/* ---------------------------------------------------------------- */

static struct smalloc_page *smalloc_queue_first(struct smalloc_heap *heap,
						unsigned int class)
{
	return list_first_entry_or_null(&heap->queue[class],
					struct smalloc_page, list);
}

/**
 * smalloc_heap_update_direct - point a class's direct-cache slots at the
 * first page of its queue
 * @heap: owned heap
 * @class: the class whose queue changed
 *
 * Called after every change to the head of a queue, so the direct cache
 * never points at a page that has left its queue (and in particular never
 * at a page given back to the page allocator).
 */
void smalloc_heap_update_direct(struct smalloc_heap *heap, unsigned int class)
{
	const struct smalloc_class *cl = &smalloc_classes[class];
	struct smalloc_page *page;
	unsigned int w;

	if (heap->ctx == SMALLOC_CTX_NMI)
		return;
	page = smalloc_queue_first(heap, class) ?: &smalloc_empty_page;
	/* The class's slots always change together: one tells for all. */
	if (heap->direct[cl->wmax] == page)
		return;
	for (w = cl->wmin; w <= cl->wmax; w++)
		heap->direct[w] = page;
}

void smalloc_heap_add_page(struct smalloc_heap *heap,
			   struct smalloc_page *page)
{
	page->heap = heap;
	list_add(&page->list, &heap->queue[page->class]);
	WRITE_ONCE(heap->nr_pages, heap->nr_pages + 1);
	smalloc_heap_update_direct(heap, page->class);
	smalloc_stat_inc(heap, SMALLOC_PAGE_ALLOC);
	smalloc_heap_arm_idle(heap);
}

/**
 * smalloc_heap_release_page - take a page off the heap and give it back
 * @heap: owned heap
 * @page: one of its pages with used == 0
 */
void smalloc_heap_release_page(struct smalloc_heap *heap,
			       struct smalloc_page *page)
{
	if (smalloc_page_is_retired(page))
		smalloc_unretire(heap, page);
	list_del(&page->list);
	WRITE_ONCE(heap->nr_pages, heap->nr_pages - 1);
	smalloc_heap_update_direct(heap, page->class);
	smalloc_stat_inc(heap, SMALLOC_PAGE_FREE);
	smalloc_page_release(page);
}

/* Off the full list: the flag and ->used's bias go together. */
static void smalloc_page_clear_full(struct smalloc_page *page)
{
	page->flags &= ~SMALLOC_PAGE_IN_FULL;
	page->used += SMALLOC_USED_FULL_BIAS;
}

static void smalloc_heap_unfull(struct smalloc_heap *heap,
				struct smalloc_page *page)
{
	smalloc_page_clear_full(page);
	list_move_tail(&page->list, &heap->queue[page->class]);
	smalloc_heap_update_direct(heap, page->class);
}

/*
 * Move a page without room to its class's full list.  A remote free into
 * it after the collect that found it without room lands on an empty
 * xthread_free and so sets the class's remote bit: the next heartbeat
 * finds the page there (smalloc_heap_collect_class()).  A page without
 * room is in use: if it was retired and the heartbeat has not come round
 * to it yet, it is retired no more.
 */
static void smalloc_heap_to_full(struct smalloc_heap *heap,
				 struct smalloc_page *page)
{
	if (smalloc_page_is_retired(page)) {
		smalloc_unretire(heap, page);
		smalloc_stat_inc(heap, SMALLOC_RETIRED_REUSED);
	}
	page->flags |= SMALLOC_PAGE_IN_FULL;
	page->used -= SMALLOC_USED_FULL_BIAS;
	list_move_tail(&page->list, &heap->full[page->class]);
	smalloc_heap_update_direct(heap, page->class);
	smalloc_stat_inc(heap, SMALLOC_PAGE_FULL);
}

/*
 * Find a page of @class with a free block, collecting remote frees and
 * carving as it goes, and put it at the head of the queue.  Pages found
 * without room move to the full queue.
 */
struct smalloc_page *smalloc_heap_find_page(struct smalloc_heap *heap,
					    unsigned int class)
{
	struct smalloc_page *page, *tmp;

	list_for_each_entry_safe(page, tmp, &heap->queue[class], list) {
		smalloc_page_collect(page);
		if (page->free || smalloc_page_extend(page))
			goto found;
		smalloc_heap_to_full(heap, page);
	}
	return NULL;
found:
	if (smalloc_queue_first(heap, class) != page) {
		list_move(&page->list, &heap->queue[class]);
		smalloc_heap_update_direct(heap, class);
	}
	return page;
}

/* ---------------------------------------------------------------- */
/* Frees by the owner that need more than a push                    */
/* ---------------------------------------------------------------- */

/**
 * smalloc_heap_free_local_slow - after a local free that emptied the page
 * or freed into a page on the full queue
 * @heap: owned heap
 * @page: the page the block went back to
 */
void smalloc_heap_free_local_slow(struct smalloc_heap *heap,
				  struct smalloc_page *page)
{
	if (page->flags & SMALLOC_PAGE_IN_FULL)
		smalloc_heap_unfull(heap, page);
	if (!page->used)
		smalloc_page_retire(heap, page);
}

/*
 * Collect the remote frees of one class's pages: a full page with room
 * again goes back to its queue, a page emptied is retired (and so counted
 * against the retire bound, or given back beyond it).
 */
static void smalloc_heap_collect_class(struct smalloc_heap *heap,
				       unsigned int class)
{
	struct smalloc_page *page, *tmp;

	list_for_each_entry_safe(page, tmp, &heap->full[class], list) {
		if (!atomic_long_read(&page->xthread_free))
			continue;
		smalloc_page_collect(page);
		smalloc_heap_unfull(heap, page);
		if (!page->used)
			smalloc_page_retire(heap, page);
	}
	list_for_each_entry_safe(page, tmp, &heap->queue[class], list) {
		if (!atomic_long_read(&page->xthread_free))
			continue;
		smalloc_page_collect(page);
		if (!page->used)
			smalloc_page_retire(heap, page);
	}
}

/**
 * smalloc_heap_collect_remote - take in the remote frees other CPUs and
 * contexts made into this heap's pages since it last looked
 * @heap: owned heap
 *
 * The ctx_free stack first, then only the classes whose bit a remote free
 * set are walked, so the cost is proportional to the blocks and pages that
 * got remote frees (and the full or queued pages of their classes), not
 * to the heap.
 */
void smalloc_heap_collect_remote(struct smalloc_heap *heap)
{
	unsigned long mask;
	unsigned int c;

	smalloc_heap_collect_ctx(heap);
	/* Mostly clear: a read is cheaper than the locked exchange. */
	if (!atomic_long_read(&heap->remote_classes))
		return;
	mask = atomic_long_xchg(&heap->remote_classes, 0);
	for_each_set_bit(c, &mask, SMALLOC_NR_CLASSES)
		smalloc_heap_collect_class(heap, c);
}

/* ---------------------------------------------------------------- */
/* The generic allocation path                                       */
/* ---------------------------------------------------------------- */

/*
 * May this request use the emergency reserves?  (gfp_pfmemalloc_allowed()
 * is not exported; this is its rule for the cases a module sees.)
 */
static bool smalloc_gfp_reserves(gfp_t gfp)
{
	if (gfp & __GFP_NOMEMALLOC)
		return false;
	return (gfp & __GFP_MEMALLOC) ||
	       (in_task() && smalloc_task_memalloc());
}

/**
 * smalloc_heap_alloc_slow - everything the direct cache could not serve
 * @size: request size, any value
 * @gfp: the caller's flags
 *
 * Runs one retire heartbeat, collects remote frees, searches the class
 * queue, and takes a new span from the page allocator if it must.  When
 * @gfp allows blocking, the heap is let go around the page allocation and
 * taken again afterwards (the task may have moved to another CPU: the new
 * page then belongs to that CPU's heap).
 *
 * Return: a block (not yet zeroed), ZERO_SIZE_PTR, NULL, or a kmalloc
 * object (zeroed as @gfp asks) where no span could serve the request
 * (frames above the ownership map, or a caller entitled to the reserves).
 */
void *smalloc_heap_alloc_slow(size_t size, gfp_t gfp)
{
	struct smalloc_heap *heap;
	struct smalloc_page *page;
	unsigned int class;
	bool blocking;
	void *block;

	if (unlikely(!size))
		return ZERO_SIZE_PTR;
	if (WARN_ONCE(in_nmi(), "smalloc: allocation from NMI context is not supported\n"))
		return NULL;
	if (unlikely(size > SMALLOC_MAX_SIZE)) {
		if (unlikely(size > SMALLOC_LARGE_MAX)) {
			if (!(gfp & __GFP_NOWARN))
				pr_warn_once("request of %zu bytes is larger than any allocation can be\n",
					     size);
			return NULL;
		}
		block = smalloc_large_alloc(size, gfp, NUMA_NO_NODE);
		smalloc_stat_count(block ? SMALLOC_LARGE_ALLOC :
					   SMALLOC_ALLOC_FAIL);
		return block;
	}

	class = smalloc_size_class(size);
	heap = smalloc_heap_get();
	smalloc_heap_heartbeat(heap);
	page = smalloc_heap_find_page(heap, class);
	if (unlikely(!page)) {
		blocking = gfpflags_allow_blocking(gfp);
		if (blocking)
			smalloc_heap_put(heap);
		/*
		 * A reserve user must not loop in the page allocator for a
		 * span (which never takes the reserves) when kmalloc could
		 * serve it from them: no __GFP_NOFAIL for its span.
		 */
		page = smalloc_page_new(class, smalloc_gfp_reserves(gfp) ?
					gfp & ~__GFP_NOFAIL : gfp, NUMA_NO_NODE);
		if (blocking)
			heap = smalloc_heap_get();
		if (IS_ERR_OR_NULL(page)) {
			smalloc_stat_inc(heap, SMALLOC_ALLOC_FAIL);
			smalloc_heap_put(heap);
			/*
			 * Frames above the map, or a caller allowed the
			 * reserves that no span takes: kmalloc can serve it.
			 */
			if (IS_ERR(page) || smalloc_gfp_reserves(gfp))
				return kmalloc(size, gfp);
			return NULL;
		}
		smalloc_heap_add_page(heap, page);
		smalloc_page_extend(page);
	}
	block = smalloc_page_pop(page);
	smalloc_stat_inc(heap, SMALLOC_ALLOC_SLOW);
	smalloc_heap_put(heap);
	return block;
}

/* ---------------------------------------------------------------- */
/* Drains                                                            */
/* ---------------------------------------------------------------- */

/**
 * smalloc_heap_drain - give back every page of the heap that holds no
 * live block
 * @heap: owned heap, or the heap of a dead CPU
 *
 * Collects remote frees first, so pages emptied by other CPUs count as
 * empty.
 *
 * Return: true if the heap holds no page afterwards.
 */
bool smalloc_heap_drain(struct smalloc_heap *heap)
{
	struct smalloc_page *page, *tmp;
	bool empty = true;
	unsigned int c;

	smalloc_heap_collect_ctx(heap);
	/* xchg: its barrier orders the walk's reads after it. */
	atomic_long_xchg(&heap->remote_classes, 0);
	for (c = 0; c < SMALLOC_NR_CLASSES; c++) {
		list_for_each_entry_safe(page, tmp, &heap->full[c], list) {
			smalloc_page_collect(page);
			if (page->free)
				smalloc_heap_unfull(heap, page);
			else
				empty = false;
		}
		list_for_each_entry_safe(page, tmp, &heap->queue[c], list) {
			smalloc_page_collect(page);
			if (!page->used)
				smalloc_heap_release_page(heap, page);
			else
				empty = false;
		}
	}
	return empty;
}

/**
 * smalloc_heap_destroy - give back every page of the heap without live blocks
 * @heap: a heap nobody can use any more (module unload)
 *
 * A page that still holds live blocks is a client's leak, and someone may
 * still point into it: giving it back would turn the leak into a
 * use-after-free of whoever gets the frames next.  So, as
 * kmem_cache_destroy() does with a cache that still has objects, such
 * pages are kept (abandoned: out of smalloc's map, never freed) and
 * reported.
 *
 * Return: the number of blocks that were still live.
 */
unsigned long smalloc_heap_destroy(struct smalloc_heap *heap)
{
	struct smalloc_page *page, *tmp;
	unsigned long live = 0;
	unsigned int c;

	smalloc_heap_drain(heap);
	for (c = 0; c < SMALLOC_NR_CLASSES; c++) {
		list_splice_init(&heap->full[c], &heap->queue[c]);
		list_for_each_entry_safe(page, tmp, &heap->queue[c], list) {
			smalloc_page_collect(page);
			if (page->flags & SMALLOC_PAGE_IN_FULL)
				smalloc_page_clear_full(page);
			live += page->used;
			/* In use again, its retirement not noticed yet. */
			if (smalloc_page_is_retired(page))
				smalloc_unretire(heap, page);
			list_del(&page->list);
			WRITE_ONCE(heap->nr_pages, heap->nr_pages - 1);
			smalloc_page_abandon(page);
		}
	}
	return live;
}

/*
 * The idle step of one heap: collect the remote frees it has not looked
 * at (which retires pages they emptied) and give back its retired pages.
 * Proportional to what there is to give back: a heap with nothing
 * retired and no remote frees costs two reads.
 */
void smalloc_heap_idle(struct smalloc_heap *heap)
{
	smalloc_heap_collect_remote(heap);
	smalloc_heap_release_retired(heap);
}

/*
 * Run @fn on every heap of the current CPU from task context, excluding
 * each context level in turn: disabled preemption owns the task heap,
 * disabled bottom halves the softirq heap, disabled interrupts the hardirq
 * heap.  Preemption stays disabled throughout, and the softirq heap needs
 * it too: local_bh_disable() does not count in PREEMPT_MASK, so a hardirq
 * that interrupted a drain with only bottom halves off would find
 * smalloc_lower_levels_get() true and free locally into the softirq heap
 * under the drain's feet.  The NMI heap cannot be excluded, and need not be: it never holds
 * a page or an RCU batch (NMI allocations are refused, NMI frees are
 * remote or deferred to an irq_work), so @fn finds nothing to touch there
 * that an NMI could be touching.
 */
void smalloc_run_on_heaps_here(void (*fn)(struct smalloc_heap *heap))
{
	struct smalloc_cpu *sc;
	unsigned long flags;

	preempt_disable();
	sc = this_cpu_ptr(smalloc_cpus);
	fn(&sc->heap[SMALLOC_CTX_TASK]);
	local_bh_disable();
	fn(&sc->heap[SMALLOC_CTX_SOFTIRQ]);
	local_bh_enable();
	local_irq_save(flags);
	fn(&sc->heap[SMALLOC_CTX_HARDIRQ]);
	fn(&sc->heap[SMALLOC_CTX_NMI]);
	local_irq_restore(flags);
	preempt_enable();
}

static void smalloc_heap_drain_fn(struct smalloc_heap *heap)
{
	smalloc_heap_drain(heap);
}

static long smalloc_drain_this_cpu(void *unused)
{
	smalloc_run_on_heaps_here(smalloc_heap_drain_fn);
	return 0;
}

static unsigned long smalloc_cpu_pages(struct smalloc_cpu *sc)
{
	unsigned long n = 0;
	int ctx;

	for (ctx = 0; ctx < SMALLOC_NR_CTX; ctx++)
		n += READ_ONCE(sc->heap[ctx].nr_pages);
	return n;
}

/*
 * The heaps of CPUs that are offline: nothing runs them, so any CPU may
 * drain them, one drainer at a time (@smalloc_dead_mutex), with hotplug
 * held off by the caller (cpus_read_lock() or its trylock), so the CPU
 * cannot come back meanwhile.  This is what keeps remote frees into a
 * dead CPU's pages from being stranded until it returns.
 *
 * Return: frames given back.
 */
static unsigned long smalloc_drain_dead_cpus(void)
{
	long before = atomic_long_read(&smalloc_nr_pages);
	unsigned int cpu;
	int ctx;

	for_each_possible_cpu(cpu) {
		struct smalloc_cpu *sc = per_cpu_ptr(smalloc_cpus, cpu);

		if (cpu_online(cpu) || !smalloc_cpu_pages(sc))
			continue;
		for (ctx = 0; ctx < SMALLOC_NR_CTX; ctx++)
			smalloc_heap_drain(&sc->heap[ctx]);
	}
	return max_t(long, before - atomic_long_read(&smalloc_nr_pages), 0);
}

/**
 * smalloc_drain_all - give back every empty page of every CPU
 *
 * Online CPUs drain their own heaps (a work item on each); the heaps of
 * offline CPUs are drained from here.
 *
 * Context: process context; sleeps.
 */
void smalloc_drain_all(void)
{
	unsigned int cpu;

	cpus_read_lock();
	for_each_online_cpu(cpu)
		work_on_cpu(cpu, smalloc_drain_this_cpu, NULL);
	mutex_lock(&smalloc_dead_mutex);
	smalloc_drain_dead_cpus();
	mutex_unlock(&smalloc_dead_mutex);
	cpus_read_unlock();
	smalloc_pools_drain();
}

/**
 * smalloc_shrink_dead_cpus - the shrinker's share of smalloc_drain_all()
 * for offline CPUs, without sleeping
 *
 * Context: any that may take a mutex with trylock (reclaim).
 * Return: frames given back, 0 if hotplug or another drainer was busy.
 */
unsigned long smalloc_shrink_dead_cpus(void)
{
	unsigned long freed = 0;

	if (!cpus_read_trylock())
		return 0;
	if (mutex_trylock(&smalloc_dead_mutex)) {
		freed = smalloc_drain_dead_cpus();
		mutex_unlock(&smalloc_dead_mutex);
	}
	cpus_read_unlock();
	return freed;
}

/**
 * smalloc_shrink_this_cpu - give back the current CPU's retired pages and
 * what remote frees emptied, now
 *
 * Context: process context (reclaim); takes no lock, disables interrupts
 * for as long as the pages it gives back take.
 * Return: frames given back.
 */
unsigned long smalloc_shrink_this_cpu(void)
{
	long before;

	before = atomic_long_read(&smalloc_nr_pages);
	smalloc_run_on_heaps_here(smalloc_heap_idle);
	before -= atomic_long_read(&smalloc_nr_pages);
	/* Other CPUs may have given back or taken pages meanwhile. */
	return max_t(long, before, 0);
}

/*
 * The idle check.  A retired page lives SMALLOC_RETIRE_CYCLES heartbeats,
 * but heartbeats only happen when the heap takes its slow path; a CPU that
 * stops allocating would keep its retired pages, and the pages remote
 * frees emptied, forever.  So while a CPU's heaps hold pages, a deferrable
 * work item on it looks at them every smalloc_idle_drain_ms: a heap that
 * had no heartbeat for a whole interval takes in its remote frees and
 * gives back its retired pages (smalloc_heap_idle()).  A busy heap is left
 * to its heartbeats.  Deferrable: the check never wakes an idle or
 * nohz_full CPU by itself, it runs when the CPU next has a tick.  With
 * nothing to give back it costs a few reads per heap; it walks nothing
 * but the retired list and the classes remote frees touched.
 *
 * The work item is armed only from the allocation slow path (a heap got a
 * page, or a heartbeat), from the CPU-online callback, and by itself;
 * never from sfree(), which, as kfree(), must take no timer lock.
 */
static void smalloc_idle_work(struct work_struct *work)
{
	struct smalloc_cpu *sc = container_of(to_delayed_work(work),
					      struct smalloc_cpu, idle_work);
	unsigned int ms = READ_ONCE(smalloc_idle_drain_ms);
	bool now;
	int ctx;

	preempt_disable();
	/* Unbound because the CPU went down: the CPU-dead drain did it. */
	if (sc != this_cpu_ptr(smalloc_cpus)) {
		preempt_enable();
		return;
	}
	now = xchg(&sc->drain_now, false);
	for (ctx = 0; ctx < SMALLOC_NR_CTX; ctx++) {
		struct smalloc_heap *heap = &sc->heap[ctx];
		unsigned long flags;

		/*
		 * Interrupts off: no context level is in this heap, for a few
		 * reads, or for as long as giving back what it holds takes.
		 */
		local_irq_save(flags);
		if (now || (ms && heap->heartbeats == heap->idle_mark))
			smalloc_heap_idle(heap);
		heap->idle_mark = heap->heartbeats;
		local_irq_restore(flags);
	}
	preempt_enable();
	/*
	 * With idle_drain_ms 0 the check keeps its rhythm without giving
	 * anything back, so that setting it again needs no slow path to
	 * start it: a CPU that only takes fast paths and remote frees would
	 * otherwise never be checked again.
	 */
	if (smalloc_cpu_pages(sc) && !READ_ONCE(smalloc_exiting))
		queue_delayed_work_on(sc->cpu, system_wq, &sc->idle_work,
				      msecs_to_jiffies(ms ?: MSEC_PER_SEC));
}

static void smalloc_cpu_arm_idle(struct smalloc_cpu *sc)
{
	unsigned int ms = READ_ONCE(smalloc_idle_drain_ms);

	if (!READ_ONCE(smalloc_exiting) &&
	    !delayed_work_pending(&sc->idle_work))
		queue_delayed_work_on(sc->cpu, system_wq, &sc->idle_work,
				      msecs_to_jiffies(ms ?: MSEC_PER_SEC));
}

/**
 * smalloc_heap_arm_idle - make sure an idle check is coming
 * @heap: owned heap that got a page or ran a heartbeat
 *
 * Context: the allocation slow path only (it may take the timer lock).
 */
void smalloc_heap_arm_idle(struct smalloc_heap *heap)
{
	if (heap->cpu == SMALLOC_POOL_CPU) {
		smalloc_pool_arm_idle(heap);
		return;
	}
	smalloc_cpu_arm_idle(container_of(heap - heap->ctx, struct smalloc_cpu,
					  heap[0]));
}

/**
 * smalloc_cpu_drain_async - have a CPU give back its idle pages soon
 * @cpu: an online CPU
 *
 * For the shrinker, which may run on any CPU and must not wait.
 *
 * Context: any but NMI.
 */
void smalloc_cpu_drain_async(unsigned int cpu)
{
	struct smalloc_cpu *sc = per_cpu_ptr(smalloc_cpus, cpu);

	if (READ_ONCE(smalloc_exiting))
		return;
	WRITE_ONCE(sc->drain_now, true);
	mod_delayed_work_on(cpu, system_wq, &sc->idle_work, 0);
}

/*
 * A CPU has died: nothing runs on it, so its heaps may be drained from
 * here.  Remote frees into its pages keep working (they are atomic); pages
 * still holding live blocks stay with the heap, and smalloc_drain_all()
 * and the shrinker drain it while the CPU is away.
 */
static int smalloc_cpu_dead(unsigned int cpu)
{
	struct smalloc_cpu *sc = per_cpu_ptr(smalloc_cpus, cpu);
	int ctx;

	cancel_delayed_work(&sc->idle_work);
	cancel_delayed_work(&sc->rcu_work);
	for (ctx = 0; ctx < SMALLOC_NR_CTX; ctx++) {
		smalloc_rcu_flush_heap(&sc->heap[ctx]);
		smalloc_heap_drain(&sc->heap[ctx]);
	}
	return 0;
}

/* A CPU is back: if its heaps kept pages, their idle check resumes. */
static int smalloc_cpu_online(unsigned int cpu)
{
	struct smalloc_cpu *sc = per_cpu_ptr(smalloc_cpus, cpu);

	if (smalloc_cpu_pages(sc))
		smalloc_cpu_arm_idle(sc);
	return 0;
}

/* ---------------------------------------------------------------- */
/* Checks for the tests                                              */
/* ---------------------------------------------------------------- */

/**
 * smalloc_heap_check - verify a heap's queues, direct cache and retired
 * list, and every page's invariant
 * @heap: owned heap (or one whose owner is excluded)
 *
 * Return: 0 if consistent, a negative errno otherwise (with a warning).
 */
int smalloc_heap_check(struct smalloc_heap *heap)
{
	unsigned int nr_retired[SMALLOC_NR_CLASSES] = { };
	unsigned int flagged = 0, listed = 0;
	unsigned long pages = 0, frames = 0, nr_ctx = 0;
	struct smalloc_page *page;
	unsigned int c, w;
	void *block;
	int err = 0;

	/*
	 * What higher levels freed here: blocks of its pages, not live, and
	 * no more than its pages can hold (a cycle is reported, not walked
	 * for ever, as smalloc_list_check() does for a page's lists).
	 */
	for (block = READ_ONCE(heap->ctx_free); block && !err;) {
		page = smalloc_ptr_to_page(block);
		if (!page || page->heap != heap ||
		    !smalloc_block_valid(page, block) ||
		    page->live[smalloc_block_number(page, block)])
			err = -EFAULT;
		else if (++nr_ctx > smalloc_heap_ctx_free_max(heap))
			err = -ELOOP;
		else
			block = smalloc_block_next(page, block);
	}
	for (c = 0; c < SMALLOC_NR_CLASSES && !err; c++) {
		const struct smalloc_class *cl = &smalloc_classes[c];
		struct smalloc_page *first = smalloc_queue_first(heap, c);

		list_for_each_entry(page, &heap->queue[c], list) {
			pages++;
			if (page->heap != heap || page->class != c ||
			    (page->flags & SMALLOC_PAGE_IN_FULL))
				err = -EINVAL;
			/* However it emptied, an empty page is retired. */
			if (!page->used && !smalloc_page_is_retired(page))
				err = -ENOTEMPTY;
			flagged += smalloc_page_is_retired(page);
			if (!err)
				err = smalloc_page_check(page);
			if (err)
				break;
		}
		for (w = cl->wmin; w <= cl->wmax && !err; w++)
			if (heap->ctx != SMALLOC_CTX_NMI &&
			    heap->direct[w] != (first ?: &smalloc_empty_page))
				err = -ESTALE;
		list_for_each_entry(page, &heap->full[c], list) {
			if (err)
				break;
			pages++;
			/* Full pages are never retired (smalloc_heap_to_full()). */
			if (page->heap != heap || page->class != c ||
			    page->flags != SMALLOC_PAGE_IN_FULL)
				err = -EINVAL;
			else
				err = smalloc_page_check(page);
		}
	}
	list_for_each_entry(page, &heap->retired, retired) {
		if (err)
			break;
		if (page->heap != heap ||
		    page->flags != SMALLOC_PAGE_IN_RETIRED)
			err = -EINVAL;
		nr_retired[page->class]++;
		frames += 1UL << page->order;
		listed++;
	}
	/* Retired pages sit in their class queue, never on the full one. */
	if (!err && (flagged != listed || frames != heap->retired_frames))
		err = -EBADE;
	if (!err && pages != heap->nr_pages)
		err = -EBADFD;
	for (c = 0; c < SMALLOC_NR_CLASSES && !err; c++)
		if (nr_retired[c] != heap->nr_retired[c] ||
		    nr_retired[c] > smalloc_retire_max(c))
			err = -EBADE;
	if (err)
		pr_warn("heap cpu %u ctx %d inconsistent: %d\n", heap->cpu,
			heap->ctx, err);
	return err;
}

/**
 * smalloc_check_this_cpu - check every heap of the current CPU
 * @unused: for work_on_cpu()
 *
 * Runs smalloc_heap_check() on the CPU's heaps of all context levels with
 * interrupts off, which makes the caller the owner of each of them.  For
 * the test suites (KUnit, the user-space fuzzer and stress), which call it
 * through work_on_cpu().
 *
 * Context: process context, bound to the CPU.
 * Return: 0 if every heap is consistent, else the first error.
 */
long smalloc_check_this_cpu(void *unused)
{
	struct smalloc_cpu *sc;
	unsigned long flags;
	long err = 0;
	int ctx;

	local_irq_save(flags);
	sc = this_cpu_ptr(smalloc_cpus);
	for (ctx = 0; ctx < SMALLOC_NR_CTX && !err; ctx++)
		err = smalloc_heap_check(&sc->heap[ctx]);
	local_irq_restore(flags);
	return err;
}

/* ---------------------------------------------------------------- */
/* Set-up and tear-down                                              */
/* ---------------------------------------------------------------- */

void smalloc_heap_init(struct smalloc_heap *heap, unsigned int cpu,
		       enum smalloc_ctx ctx)
{
	unsigned int i;

	heap->cpu = cpu;
	heap->ctx = ctx;
	for (i = 0; i < SMALLOC_DIRECT_NR; i++)
		heap->direct[i] = &smalloc_empty_page;
	for (i = 0; i < SMALLOC_NR_CLASSES; i++) {
		INIT_LIST_HEAD(&heap->queue[i]);
		INIT_LIST_HEAD(&heap->full[i]);
	}
	INIT_LIST_HEAD(&heap->retired);
	atomic_long_set(&heap->remote_classes, 0);
}

int smalloc_heaps_init(void)
{
	unsigned int cpu;
	int ctx, ret;

	BUILD_BUG_ON(SMALLOC_NR_CLASSES > BITS_PER_LONG);
	smalloc_exiting = false;
	smalloc_cpus = alloc_percpu(struct smalloc_cpu);
	if (!smalloc_cpus)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct smalloc_cpu *sc = per_cpu_ptr(smalloc_cpus, cpu);

		sc->cpu = cpu;
		INIT_DEFERRABLE_WORK(&sc->idle_work, smalloc_idle_work);
		INIT_DELAYED_WORK(&sc->rcu_work, smalloc_rcu_work);
		for (ctx = 0; ctx < SMALLOC_NR_CTX; ctx++)
			smalloc_heap_init(&sc->heap[ctx], cpu, ctx);
	}
	ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "smalloc:dead",
					NULL, smalloc_cpu_dead);
	if (ret < 0)
		goto err_percpu;
	smalloc_cpuhp_dead = ret;
	ret = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "smalloc:online",
					smalloc_cpu_online, NULL);
	if (ret < 0)
		goto err_dead;
	smalloc_cpuhp_online = ret;
	return 0;

err_dead:
	cpuhp_remove_state_nocalls(smalloc_cpuhp_dead);
err_percpu:
	free_percpu(smalloc_cpus);
	return ret;
}

/*
 * Module unload: no client is left (each holds a module reference while
 * loaded), so no CPU can be inside smalloc.  First nothing may queue work
 * or arm a timer any more (smalloc_exiting), then the idle works are
 * cancelled, then the heaps are torn down: collecting their remote frees
 * retires pages, which must not (and now cannot) arm anything.  Whatever
 * is still allocated outlived its owner: it is reported and kept, never
 * handed to the page allocator under someone's pointer.
 */
void smalloc_heaps_exit(void)
{
	unsigned long live = 0, large;
	unsigned int cpu;
	int ctx;

	WRITE_ONCE(smalloc_exiting, true);
	cpuhp_remove_state_nocalls(smalloc_cpuhp_online);
	cpuhp_remove_state_nocalls(smalloc_cpuhp_dead);
	for_each_possible_cpu(cpu) {
		cancel_delayed_work_sync(&per_cpu_ptr(smalloc_cpus, cpu)->idle_work);
		cancel_delayed_work_sync(&per_cpu_ptr(smalloc_cpus, cpu)->rcu_work);
	}
	for_each_possible_cpu(cpu) {
		struct smalloc_cpu *sc = per_cpu_ptr(smalloc_cpus, cpu);

		for (ctx = 0; ctx < SMALLOC_NR_CTX; ctx++)
			live += smalloc_heap_destroy(&sc->heap[ctx]);
		WARN_ON_ONCE(delayed_work_pending(&sc->idle_work) ||
			     delayed_work_pending(&sc->rcu_work));
	}
	live += smalloc_pools_exit();
	large = smalloc_large_abandon_all();
	if (live || large)
		pr_warn("unload: %lu objects and %lu large allocations were never freed; their memory is kept, not returned\n",
			live, large);
	WARN_ON(atomic_long_read(&smalloc_nr_pages));
	free_percpu(smalloc_cpus);
}
