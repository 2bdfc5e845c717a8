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

static enum cpuhp_state smalloc_cpuhp_state;

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

static void smalloc_heap_add_page(struct smalloc_heap *heap,
				  struct smalloc_page *page)
{
	page->heap = heap;
	list_add(&page->list, &heap->queue[page->class]);
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
	smalloc_heap_update_direct(heap, page->class);
	smalloc_stat_inc(heap, SMALLOC_PAGE_FREE);
	smalloc_page_release(page);
}

static void smalloc_heap_unfull(struct smalloc_heap *heap,
				struct smalloc_page *page)
{
	page->flags &= ~SMALLOC_PAGE_IN_FULL;
	smalloc_page_set_notify(page, false);
	list_move_tail(&page->list, &heap->queue[page->class]);
	smalloc_heap_update_direct(heap, page->class);
}

/*
 * Move a page without room to the full queue.  Remote frees into it now
 * notify the heap (delayed free).  One may have landed on xthread_free
 * just before NOTIFY was set and would notify nobody: collect once more,
 * and if that found room, the page goes straight back.  A page without
 * room is in use: if it was retired and the heartbeat has not come round
 * to it yet, it is retired no more.
 *
 * Return: true if the page has room after all.
 */
static bool smalloc_heap_to_full(struct smalloc_heap *heap,
				 struct smalloc_page *page)
{
	if (smalloc_page_is_retired(page)) {
		smalloc_unretire(heap, page);
		smalloc_stat_inc(heap, SMALLOC_RETIRED_REUSED);
	}
	page->flags |= SMALLOC_PAGE_IN_FULL;
	list_move_tail(&page->list, &heap->full);
	smalloc_heap_update_direct(heap, page->class);
	smalloc_page_set_notify(page, true);
	smalloc_stat_inc(heap, SMALLOC_PAGE_FULL);

	smalloc_page_collect(page);
	if (!page->free)
		return false;
	smalloc_heap_unfull(heap, page);
	return true;
}

/*
 * Find a page of @class with a free block, collecting remote frees and
 * carving as it goes, and put it at the head of the queue.  Pages found
 * without room move to the full queue.
 */
static struct smalloc_page *smalloc_heap_find_page(struct smalloc_heap *heap,
						   unsigned int class)
{
	struct smalloc_page *page, *tmp;

	list_for_each_entry_safe(page, tmp, &heap->queue[class], list) {
		smalloc_page_collect(page);
		if (page->free || smalloc_page_extend(page))
			goto found;
		if (smalloc_heap_to_full(heap, page))
			goto found;
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

/**
 * smalloc_heap_collect_delayed - free the blocks remote CPUs sent to this
 * heap because their page was full
 * @heap: owned heap
 */
void smalloc_heap_collect_delayed(struct smalloc_heap *heap)
{
	void *block;

	/* Mostly empty: a read is cheaper than the locked exchange. */
	if (!atomic_long_read(&heap->delayed_free))
		return;
	block = (void *)atomic_long_xchg(&heap->delayed_free, 0);
	while (block) {
		struct smalloc_page *page = smalloc_ptr_to_page(block);
		void *next = smalloc_block_next(page, block);

		smalloc_heap_free_block(heap, page, block);
		smalloc_stat_inc(heap, SMALLOC_REMOTE_COLLECTED);
		block = next;
	}
}

/* ---------------------------------------------------------------- */
/* The generic allocation path                                       */
/* ---------------------------------------------------------------- */

/**
 * smalloc_heap_alloc_slow - everything the direct cache could not serve
 * @size: request size, any value
 * @gfp: the caller's flags
 *
 * Runs one retire heartbeat, collects delayed frees, searches the class
 * queue, and takes a new span from the page allocator if it must.  When
 * @gfp allows blocking, the heap is let go around the page allocation and
 * taken again afterwards (the task may have moved to another CPU: the new
 * page then belongs to that CPU's heap).
 *
 * Return: a block (not yet zeroed), ZERO_SIZE_PTR, or NULL.
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
		page = smalloc_page_new(class, gfp, NUMA_NO_NODE);
		if (blocking)
			heap = smalloc_heap_get();
		if (!page) {
			smalloc_stat_inc(heap, SMALLOC_ALLOC_FAIL);
			smalloc_heap_put(heap);
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
 * Collects delayed and remote frees first, so pages emptied by other CPUs
 * count as empty.
 *
 * Return: true if the heap holds no page afterwards.
 */
bool smalloc_heap_drain(struct smalloc_heap *heap)
{
	struct smalloc_page *page, *tmp;
	bool empty = true;
	unsigned int c;

	smalloc_heap_collect_delayed(heap);
	list_for_each_entry_safe(page, tmp, &heap->full, list) {
		smalloc_page_collect(page);
		if (page->free)
			smalloc_heap_unfull(heap, page);
	}
	empty = list_empty(&heap->full);
	for (c = 0; c < SMALLOC_NR_CLASSES; c++) {
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
 * smalloc_heap_destroy - give back every page of the heap, live or not
 * @heap: a heap nobody can use any more (module unload)
 *
 * Return: the number of blocks that were still live.
 */
unsigned long smalloc_heap_destroy(struct smalloc_heap *heap)
{
	struct smalloc_page *page, *tmp;
	unsigned long live = 0;
	unsigned int c;

	smalloc_heap_drain(heap);
	list_splice_init(&heap->full, &heap->queue[0]);
	for (c = 0; c < SMALLOC_NR_CLASSES; c++) {
		list_for_each_entry_safe(page, tmp, &heap->queue[c], list) {
			smalloc_page_collect(page);
			live += page->used;
			page->used = 0;
			smalloc_heap_release_page(heap, page);
		}
	}
	return live;
}

/*
 * Drain the current CPU's heaps from task context, excluding each context
 * level in turn: disabled preemption owns the task heap, disabled bottom
 * halves the softirq heap, disabled interrupts the hardirq heap.
 */
static long smalloc_drain_this_cpu(void *unused)
{
	struct smalloc_cpu *sc;
	unsigned long flags;

	preempt_disable();
	sc = this_cpu_ptr(smalloc_cpus);
	smalloc_heap_drain(&sc->heap[SMALLOC_CTX_TASK]);
	local_bh_disable();
	smalloc_heap_drain(&sc->heap[SMALLOC_CTX_SOFTIRQ]);
	local_bh_enable();
	local_irq_save(flags);
	smalloc_heap_drain(&sc->heap[SMALLOC_CTX_HARDIRQ]);
	local_irq_restore(flags);
	preempt_enable();
	return 0;
}

/**
 * smalloc_drain_all - give back every empty page of every online CPU
 *
 * Context: process context; sleeps.
 */
void smalloc_drain_all(void)
{
	unsigned int cpu;

	cpus_read_lock();
	for_each_online_cpu(cpu)
		work_on_cpu(cpu, smalloc_drain_this_cpu, NULL);
	cpus_read_unlock();
}

/*
 * The idle drain.  A retired page lives SMALLOC_RETIRE_CYCLES heartbeats,
 * but heartbeats only happen when the heap takes its slow path; and pages
 * emptied by remote frees are only noticed when the owner collects them.
 * A CPU that stops allocating would keep both forever.  So while a heap
 * holds pages, a work item on its CPU looks at it every
 * smalloc_idle_drain_ms; if a whole interval passed without a heartbeat,
 * the heap is drained: remote frees collected, every empty page (retired
 * or not) given back.  A busy heap is left alone.
 */
static bool smalloc_heap_has_pages(struct smalloc_heap *heap)
{
	unsigned int c;

	if (!list_empty(&heap->full))
		return true;
	for (c = 0; c < SMALLOC_NR_CLASSES; c++)
		if (!list_empty(&heap->queue[c]))
			return true;
	return false;
}

static void smalloc_idle_work(struct work_struct *work)
{
	struct smalloc_cpu *sc = container_of(to_delayed_work(work),
					      struct smalloc_cpu, idle_work);
	unsigned int ms = READ_ONCE(smalloc_idle_drain_ms);
	bool again = false, now;
	unsigned long flags;
	int ctx;

	preempt_disable();
	/* Unbound because the CPU went down: the CPU-dead drain did it. */
	if (sc != this_cpu_ptr(smalloc_cpus)) {
		preempt_enable();
		return;
	}
	now = xchg(&sc->drain_now, false);
	/* Interrupts off: no context level of this CPU is in its heap. */
	local_irq_save(flags);
	for (ctx = 0; ctx < SMALLOC_NR_CTX; ctx++) {
		struct smalloc_heap *heap = &sc->heap[ctx];

		if (now || (ms && heap->heartbeats == heap->idle_mark))
			smalloc_heap_drain(heap);
		heap->idle_mark = heap->heartbeats;
		again |= smalloc_heap_has_pages(heap);
	}
	local_irq_restore(flags);
	preempt_enable();
	if (again && ms)
		queue_delayed_work_on(sc->cpu, system_wq, &sc->idle_work,
				      msecs_to_jiffies(ms));
}

/* A heap got a page or retired one: make sure an idle check is coming. */
void smalloc_heap_arm_idle(struct smalloc_heap *heap)
{
	unsigned int ms = READ_ONCE(smalloc_idle_drain_ms);
	struct smalloc_cpu *sc = container_of(heap - heap->ctx,
					      struct smalloc_cpu, heap[0]);

	if (ms && !delayed_work_pending(&sc->idle_work))
		queue_delayed_work_on(heap->cpu, system_wq, &sc->idle_work,
				      msecs_to_jiffies(ms));
}

/**
 * smalloc_cpu_drain_async - have a CPU drain its heaps soon
 * @cpu: an online CPU
 *
 * For the shrinker, which may run on any CPU and must not wait.
 *
 * Context: any but NMI.
 */
void smalloc_cpu_drain_async(unsigned int cpu)
{
	struct smalloc_cpu *sc = per_cpu_ptr(smalloc_cpus, cpu);

	WRITE_ONCE(sc->drain_now, true);
	mod_delayed_work_on(cpu, system_wq, &sc->idle_work, 0);
}

/*
 * A CPU has died: nothing runs on it, so its heaps may be drained from
 * here.  Remote frees into its pages keep working (they are atomic); pages
 * still holding live blocks stay with the heap until the CPU comes back
 * or the module is unloaded.
 */
static int smalloc_cpu_dead(unsigned int cpu)
{
	struct smalloc_cpu *sc = per_cpu_ptr(smalloc_cpus, cpu);
	int ctx;

	cancel_delayed_work(&sc->idle_work);
	for (ctx = 0; ctx < SMALLOC_NR_CTX; ctx++)
		smalloc_heap_drain(&sc->heap[ctx]);
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
	struct smalloc_page *page;
	unsigned int c, w;
	int err = 0;

	for (c = 0; c < SMALLOC_NR_CLASSES && !err; c++) {
		const struct smalloc_class *cl = &smalloc_classes[c];
		struct smalloc_page *first = smalloc_queue_first(heap, c);

		list_for_each_entry(page, &heap->queue[c], list) {
			if (page->heap != heap || page->class != c ||
			    (page->flags & SMALLOC_PAGE_IN_FULL))
				err = -EINVAL;
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
	}
	list_for_each_entry(page, &heap->full, list) {
		if (err)
			break;
		/* Full pages are never retired (smalloc_heap_to_full()). */
		if (page->heap != heap || page->flags != SMALLOC_PAGE_IN_FULL)
			err = -EINVAL;
		else
			err = smalloc_page_check(page);
	}
	list_for_each_entry(page, &heap->retired, retired) {
		if (err)
			break;
		if (page->heap != heap ||
		    page->flags != SMALLOC_PAGE_IN_RETIRED)
			err = -EINVAL;
		nr_retired[page->class]++;
		listed++;
	}
	/* Retired pages sit in their class queue, never on the full one. */
	if (!err && flagged != listed)
		err = -EBADE;
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

static void smalloc_heap_init(struct smalloc_heap *heap, unsigned int cpu,
			      enum smalloc_ctx ctx)
{
	unsigned int i;

	heap->cpu = cpu;
	heap->ctx = ctx;
	for (i = 0; i < SMALLOC_DIRECT_NR; i++)
		heap->direct[i] = &smalloc_empty_page;
	for (i = 0; i < SMALLOC_NR_CLASSES; i++)
		INIT_LIST_HEAD(&heap->queue[i]);
	INIT_LIST_HEAD(&heap->full);
	INIT_LIST_HEAD(&heap->retired);
	atomic_long_set(&heap->delayed_free, 0);
}

int smalloc_heaps_init(void)
{
	unsigned int cpu;
	int ctx, ret;

	smalloc_cpus = alloc_percpu(struct smalloc_cpu);
	if (!smalloc_cpus)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct smalloc_cpu *sc = per_cpu_ptr(smalloc_cpus, cpu);

		sc->cpu = cpu;
		INIT_DELAYED_WORK(&sc->idle_work, smalloc_idle_work);
		for (ctx = 0; ctx < SMALLOC_NR_CTX; ctx++)
			smalloc_heap_init(&sc->heap[ctx], cpu, ctx);
	}
	ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "smalloc:dead",
					NULL, smalloc_cpu_dead);
	if (ret < 0) {
		free_percpu(smalloc_cpus);
		return ret;
	}
	smalloc_cpuhp_state = ret;
	return 0;
}

/*
 * Module unload: no client is left (each holds a module reference while
 * loaded), so no CPU can be inside smalloc.  Whatever is still allocated
 * outlived its owner: report it and give the memory back.
 */
void smalloc_heaps_exit(void)
{
	unsigned long live = 0, large;
	unsigned int cpu;
	int ctx;

	cpuhp_remove_state_nocalls(smalloc_cpuhp_state);
	for_each_possible_cpu(cpu) {
		struct smalloc_cpu *sc = per_cpu_ptr(smalloc_cpus, cpu);

		cancel_delayed_work_sync(&sc->idle_work);
		for (ctx = 0; ctx < SMALLOC_NR_CTX; ctx++)
			live += smalloc_heap_destroy(&sc->heap[ctx]);
	}
	large = smalloc_large_release_all();
	if (live || large)
		pr_warn("unload: %lu objects and %lu large allocations were never freed; their memory is returned\n",
			live, large);
	WARN_ON(atomic_long_read(&smalloc_nr_pages));
	free_percpu(smalloc_cpus);
}
