// SPDX-License-Identifier: GPL-2.0-only
/*
 * Giving memory back under pressure: a shrinker.
 *
 * What a scan can free is the retired pages (and the pages remote frees
 * emptied, which collecting retires); pages with live blocks and large
 * allocations it can never free, so the count reports only the frames of
 * retired spans, and one for each heap with uncollected remote frees,
 * summed over every heap (read without the owners' exclusion: a count
 * may be stale, never unsafe).
 *
 * A heap's pages are only released by its owner.  So the scan frees, at
 * once, what the CPU it runs on holds (every context level excluded in
 * turn, smalloc_shrink_this_cpu()) and what offline CPUs hold (their heaps
 * have no owner running), and reports that; it asks the other CPUs that
 * have retired pages, and only those, to give them back in their idle work
 * now.  What they free is credited to the next scan, whose count is
 * lower; with nothing retired anywhere the count is SHRINK_EMPTY and no
 * CPU is disturbed.
 */
#define pr_fmt(fmt) "smalloc: " fmt

#include "smalloc_internal.h"

static struct shrinker *smalloc_shrinker;

/**
 * smalloc_heap_reclaimable - what the shrinker counts for one heap
 * @heap: any heap, read without its owner (a racy hint)
 *
 * Return: the frames of its retired spans, plus one if it has remote
 * frees or ctx_free blocks it has not collected (which may have emptied
 * pages: at least none, at most what the count cannot know without a
 * walk).
 */
unsigned long smalloc_heap_reclaimable(const struct smalloc_heap *heap)
{
	return READ_ONCE(heap->retired_frames) +
	       (READ_ONCE(heap->nr_pages) &&
		(atomic_long_read(&heap->remote_classes) ||
		 READ_ONCE(heap->ctx_free)));
}

/* smalloc_heap_reclaimable() over @cpu's heaps. */
static unsigned long smalloc_cpu_retired(unsigned int cpu)
{
	struct smalloc_cpu *sc = per_cpu_ptr(smalloc_cpus, cpu);
	unsigned long n = 0;
	int ctx;

	for (ctx = 0; ctx < SMALLOC_NR_CTX; ctx++)
		n += smalloc_heap_reclaimable(&sc->heap[ctx]);
	return n;
}

static unsigned long smalloc_shrink_count(struct shrinker *shrinker,
					  struct shrink_control *sc)
{
	unsigned long n = 0;
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		n += smalloc_cpu_retired(cpu);
	n += smalloc_pools_retired();
	return n ?: SHRINK_EMPTY;
}

unsigned long smalloc_shrink_scan(struct shrinker *shrinker,
				  struct shrink_control *sc)
{
	unsigned long freed;
	unsigned int cpu, self;

	freed = smalloc_shrink_this_cpu() + smalloc_shrink_dead_cpus() +
		smalloc_pools_drain();
	self = get_cpu();
	for_each_online_cpu(cpu)
		if (cpu != self && smalloc_cpu_retired(cpu))
			smalloc_cpu_drain_async(cpu);
	put_cpu();
	return freed ?: SHRINK_STOP;
}

int smalloc_shrinker_init(void)
{
	smalloc_shrinker = smalloc_shrinker_create("smalloc",
						   smalloc_shrink_count,
						   smalloc_shrink_scan);
	return smalloc_shrinker ? 0 : -ENOMEM;
}

void smalloc_shrinker_exit(void)
{
	smalloc_shrinker_destroy(smalloc_shrinker);
}
