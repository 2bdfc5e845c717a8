// SPDX-License-Identifier: GPL-2.0-only
/*
 * keeping emptied pages a little while: retire with
 * bounded hysteresis, and promotion of local_free to free.
 *
 * A burst that frees everything and then allocates again would otherwise
 * hand its pages back to the page allocator and fetch them straight back.
 * So when a page's last block comes home (used == 0, on the owner), the
 * page is *retired*: it stays in its class queue, and its local_free is
 * promoted to free at once, so the next allocation takes the fast path
 * instead of a slow path that would only move one list onto the other.
 *
 * The bound:
 *  - at most smalloc_retire_max() retired pages per class and heap (16
 *    pages' worth, at least 2 spans of any size); an emptied page beyond
 *    that goes back at once;
 *  - a retired page lives SMALLOC_RETIRE_CYCLES of its heartbeats (a
 *    quarter of that for blocks above SMALLOC_RETIRE_LARGE_SIZE) unless it
 *    is used again; a heartbeat is one pass of the heap's slow path, and
 *    it ages the retired page that has waited longest and promotes again
 *    what was freed into it since (so with N pages retired, each lives N
 *    times as many passes: at most smalloc_retire_max() per class);
 *  - however a page became empty, it is retired (or given back beyond the
 *    bound): by the owner's free of its last block, or, for pages emptied
 *    by remote frees, by the heartbeat or idle check that collects them
 *    (smalloc_heap_collect_remote());
 *  - a heap that stops taking its slow path gives back its retired pages
 *    in the idle check after smalloc_idle_drain_ms without a heartbeat
 *    (smalloc_percpu.c);
 *  - drains (debugfs, CPU death, unload) give back every retired page.
 *
 *  - over all heaps of all CPUs, retired spans hold at most
 *    smalloc_retire_budget frames (module parameter retire_budget_kb,
 *    by default SMALLOC_RETIRE_BUDGET_PER_CPU frames per possible CPU):
 *    a page whose retirement would exceed it goes back at once.  Without
 *    it the per-heap bound alone grows with CPUs x 3 context levels x 36
 *    classes, 2.25 MiB per heap.
 *
 * So once every block is freed, from anywhere, and each heap has had one
 * heartbeat or idle check, each heap holds at most smalloc_retire_max(c)
 * spans of each class c and nothing else: at most 16 frames per class
 * (2 spans for the classes whose spans are bigger than 8 frames), i.e.
 * smalloc_retire_bound_frames() frames per heap, times 3 heaps (task,
 * softirq, hardirq) per possible CPU, and all heaps together at most
 * smalloc_retire_budget frames.  One idle period later, nothing.
 *
 * The budget is one counter, smalloc_retired_frames, charged before a
 * page is retired and credited when it leaves the retired list: an add
 * that takes it over the budget is taken back and the page released, so
 * the charges that stand never exceed it, however many CPUs race.  It is
 * touched only when a page is retired or leaves that state (once per
 * emptying of a page, never on a pair that a retired page serves).
 */
#define pr_fmt(fmt) "smalloc: " fmt

#include "smalloc_internal.h"

unsigned int smalloc_idle_drain_ms = 1000;
module_param_named(idle_drain_ms, smalloc_idle_drain_ms, uint, 0644);
MODULE_PARM_DESC(idle_drain_ms,
		 "Return empty and retired pages after this long without a slow-path allocation (0: never)");

static unsigned int smalloc_param_retire_budget_kb;
module_param_named(retire_budget_kb, smalloc_param_retire_budget_kb, uint, 0444);
MODULE_PARM_DESC(retire_budget_kb,
		 "Most KiB of emptied pages kept retired over all CPUs (0: 1 MiB per possible CPU)");

unsigned long smalloc_retire_budget;		/* frames */
atomic_long_t smalloc_retired_frames = ATOMIC_LONG_INIT(0);

/* Set the budget from the module parameter, at load. */
void smalloc_retire_init(void)
{
	atomic_long_set(&smalloc_retired_frames, 0);
	if (smalloc_param_retire_budget_kb)
		smalloc_retire_budget = smalloc_param_retire_budget_kb /
					(PAGE_SIZE / 1024);
	else
		smalloc_retire_budget = SMALLOC_RETIRE_BUDGET_PER_CPU *
					num_possible_cpus();
}

/* Charge @page's frames to the budget; false (nothing charged) if over. */
static bool smalloc_retire_charge(const struct smalloc_page *page)
{
	long frames = 1L << page->order;

	if (atomic_long_add_return(frames, &smalloc_retired_frames) <=
	    (long)READ_ONCE(smalloc_retire_budget))
		return true;
	atomic_long_sub(frames, &smalloc_retired_frames);
	return false;
}

/**
 * smalloc_retired_frames_sum - the frames of retired spans, summed over
 * every heap of every possible CPU and every node pool
 *
 * For the tests, against smalloc_retired_frames: racy unless nothing
 * retires meanwhile.
 *
 * Return: the sum.
 */
long smalloc_retired_frames_sum(void)
{
	unsigned int cpu;
	int ctx, node;
	long n = 0;

	for_each_possible_cpu(cpu)
		for (ctx = 0; ctx < SMALLOC_NR_CTX; ctx++)
			n += READ_ONCE(per_cpu_ptr(smalloc_cpus, cpu)->heap[ctx].retired_frames);
	for (node = 0; smalloc_pools && node < nr_node_ids; node++)
		n += READ_ONCE(smalloc_pools[node].heap.retired_frames);
	return n;
}

void smalloc_unretire(struct smalloc_heap *heap, struct smalloc_page *page)
{
	atomic_long_sub(1L << page->order, &smalloc_retired_frames);
	list_del_init(&page->retired);
	page->flags &= ~SMALLOC_PAGE_IN_RETIRED;
	heap->nr_retired[page->class]--;
	WRITE_ONCE(heap->retired_frames,
		   heap->retired_frames - (1UL << page->order));
	page->retire_expire = 0;
}

/**
 * smalloc_page_retire - a page's last live block came back to its owner
 * @heap: owned heap
 * @page: its page, used == 0, not on the full queue
 */
void smalloc_page_retire(struct smalloc_heap *heap, struct smalloc_page *page)
{
	if (!smalloc_page_is_retired(page)) {
		if (heap->nr_retired[page->class] >=
		    smalloc_retire_max(page->class) ||
		    !smalloc_retire_charge(page)) {
			smalloc_heap_release_page(heap, page);
			return;
		}
		list_add_tail(&page->retired, &heap->retired);
		page->flags |= SMALLOC_PAGE_IN_RETIRED;
		heap->nr_retired[page->class]++;
		WRITE_ONCE(heap->retired_frames,
			   heap->retired_frames + (1UL << page->order));
		smalloc_stat_inc(heap, SMALLOC_PAGE_RETIRED);
		/*
		 * No arming of the idle work here: this runs in sfree(), which
		 * must take no timer lock.  A heap holding pages has its idle
		 * check queued already (smalloc_idle_work()).
		 */
	}
	/* New, or reused and emptied again before a heartbeat noticed. */
	page->retire_expire = page->retire_cycles;
	smalloc_page_promote(page);
}

/**
 * smalloc_heap_heartbeat - one tick of the retire clock
 * @heap: owned heap
 *
 * Called once per slow-path allocation.  Takes in the remote frees, then
 * ages one retired page, the one that has waited longest: pages at the
 * head of the retired list that are in use again leave it, and the first
 * empty one counts down; at zero it goes back to the page allocator, or
 * else what was freed into it is promoted again and it goes to the tail.
 *
 * One page per tick, not every page: with N pages retired each lives N
 * times SMALLOC_RETIRE_CYCLES heartbeats.  A workload cycling through more
 * classes than that many allocations would otherwise see every retired
 * page expire before its class came round again, and then take the slow
 * path, and a fresh span, on every allocation (the slow paths being the
 * heartbeats that expired the pages).
 */
void smalloc_heap_heartbeat(struct smalloc_heap *heap)
{
	struct smalloc_page *page;

	heap->heartbeats++;
	smalloc_stat_inc(heap, SMALLOC_HEARTBEAT);
	smalloc_heap_collect_remote(heap);
	/*
	 * The heap is in use: its idle check must come (idle_drain_ms may
	 * have been 0 when it took its pages).
	 */
	smalloc_heap_arm_idle(heap);

	while ((page = list_first_entry_or_null(&heap->retired,
						struct smalloc_page, retired))) {
		if (!page->used)
			break;
		smalloc_unretire(heap, page);
		smalloc_stat_inc(heap, SMALLOC_RETIRED_REUSED);
	}
	if (!page)
		return;
	if (--page->retire_expire == 0) {
		smalloc_heap_release_page(heap, page);
		smalloc_stat_inc(heap, SMALLOC_RETIRED_RELEASED);
	} else {
		smalloc_page_promote(page);
		list_move_tail(&page->retired, &heap->retired);
	}
}

/**
 * smalloc_heap_release_retired - give back every retired page
 * @heap: owned heap
 */
void smalloc_heap_release_retired(struct smalloc_heap *heap)
{
	struct smalloc_page *page, *tmp;

	list_for_each_entry_safe(page, tmp, &heap->retired, retired) {
		/* In use again, and the heartbeat has not noticed yet. */
		if (page->used) {
			smalloc_unretire(heap, page);
			smalloc_stat_inc(heap, SMALLOC_RETIRED_REUSED);
			continue;
		}
		smalloc_heap_release_page(heap, page);
		smalloc_stat_inc(heap, SMALLOC_RETIRED_RELEASED);
	}
}

/**
 * smalloc_retire_bound_frames - the most frames one heap keeps retired
 *
 * Return: the sum over classes of smalloc_retire_max() spans of the
 * class's preferred order (a span of its fallback order is smaller).
 */
unsigned long smalloc_retire_bound_frames(void)
{
	unsigned long frames = 0;
	unsigned int c;

	for (c = 0; c < SMALLOC_NR_CLASSES; c++)
		frames += (unsigned long)smalloc_retire_max(c) <<
			  smalloc_classes[c].order;
	return frames;
}
