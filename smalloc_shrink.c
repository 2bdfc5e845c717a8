// SPDX-License-Identifier: GPL-2.0-only
/*
 * Giving memory back under pressure: a shrinker.
 *
 * Empty pages (retired, or emptied by remote frees) are only reclaimable
 * by their heap's owner, and reclaim may run anywhere.  So the scan does
 * not free anything itself: it asks every online CPU to drain its heaps
 * in its idle work, now, whatever the heartbeat says, and tells reclaim
 * to stop asking (SHRINK_STOP).  The count reports every page smalloc
 * holds; only the empty ones come back.
 */
#define pr_fmt(fmt) "smalloc: " fmt

#include "smalloc_internal.h"

static struct shrinker *smalloc_shrinker;

static unsigned long smalloc_shrink_count(struct shrinker *shrinker,
					  struct shrink_control *sc)
{
	long held = atomic_long_read(&smalloc_nr_pages);

	return held > 0 ? held : SHRINK_EMPTY;
}

unsigned long smalloc_shrink_scan(struct shrinker *shrinker,
				  struct shrink_control *sc)
{
	unsigned int cpu;

	for_each_online_cpu(cpu)
		smalloc_cpu_drain_async(cpu);
	return SHRINK_STOP;
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
