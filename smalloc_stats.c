// SPDX-License-Identifier: GPL-2.0-only
/*
 * counters and the debugfs interface.
 *
 * Counters live in each heap and are incremented by the heap's owner with
 * a plain add: no atomics, no shared cache lines.  Readers sum them over
 * all heaps without synchronisation; a sum may be a few events behind.
 * Without CONFIG_SMALLOC_STATS the counters and their increments compile
 * away; the gauges (pages held) are kept regardless since the allocator
 * needs them.
 *
 * /sys/kernel/debug/smalloc/
 *   stats    one "name value" line per counter and gauge
 *   drain    write anything: give back every empty page of every CPU
 */
#define pr_fmt(fmt) "smalloc: " fmt

#include "smalloc_internal.h"

const char *const smalloc_stat_names[SMALLOC_NR_STATS] = {
	[SMALLOC_ALLOC_FAST]		= "alloc_fast",
	[SMALLOC_ALLOC_SLOW]		= "alloc_slow",
	[SMALLOC_ALLOC_FAIL]		= "alloc_fail",
	[SMALLOC_FREE_LOCAL]		= "free_local",
	[SMALLOC_FREE_REMOTE]		= "free_remote",
	[SMALLOC_FREE_DELAYED]		= "free_delayed",
	[SMALLOC_REMOTE_COLLECTED]	= "remote_collected",
	[SMALLOC_PAGE_ALLOC]		= "page_alloc",
	[SMALLOC_PAGE_FREE]		= "page_free",
	[SMALLOC_PAGE_FULL]		= "page_full",
	[SMALLOC_PAGE_RETIRED]		= "page_retired",
	[SMALLOC_PROMOTE]		= "promote",
	[SMALLOC_RETIRED_REUSED]	= "retired_reused",
	[SMALLOC_RETIRED_RELEASED]	= "retired_released",
	[SMALLOC_HEARTBEAT]		= "heartbeat",
	[SMALLOC_LARGE_ALLOC]		= "large_alloc",
	[SMALLOC_LARGE_FREE]		= "large_free",
	[SMALLOC_FOREIGN_FREE]		= "foreign_free",
	[SMALLOC_INVALID_FREE]		= "invalid_free",
};

static_assert(ARRAY_SIZE(smalloc_stat_names) == SMALLOC_NR_STATS);

#ifdef CONFIG_SMALLOC_STATS
/**
 * smalloc_stat_sum - a counter summed over every heap
 * @item: the counter
 *
 * Context: any.  The sum is racy by design (see above).
 * Return: the sum.
 */
unsigned long smalloc_stat_sum(enum smalloc_stat item)
{
	unsigned long sum = 0;
	unsigned int cpu;
	int ctx;

	for_each_possible_cpu(cpu) {
		struct smalloc_cpu *sc = per_cpu_ptr(smalloc_cpus, cpu);

		for (ctx = 0; ctx < SMALLOC_NR_CTX; ctx++) {
			/* Owners add without atomics; a stale sum is fine. */
			sum += data_race(sc->heap[ctx].stat[item]);
		}
	}
	return sum;
}
#endif

static struct dentry *smalloc_debugfs_dir;

static int stats_show(struct seq_file *m, void *v)
{
	int i;

	seq_printf(m, "%-20s %lu\n", "enabled",
		   (unsigned long)IS_ENABLED(CONFIG_SMALLOC_STATS));
	for (i = 0; i < SMALLOC_NR_STATS; i++)
		seq_printf(m, "%-20s %lu\n", smalloc_stat_names[i],
			   smalloc_stat_sum(i));
	seq_printf(m, "%-20s %ld\n", "pages_held",
		   atomic_long_read(&smalloc_nr_pages));
	seq_printf(m, "%-20s %ld\n", "bytes_held",
		   atomic_long_read(&smalloc_nr_pages) * (long)PAGE_SIZE);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

static ssize_t drain_write(struct file *file, const char __user *buf,
			   size_t count, loff_t *ppos)
{
	smalloc_drain_all();
	return count;
}

static const struct file_operations drain_fops = {
	.owner	= THIS_MODULE,
	.write	= drain_write,
	.llseek	= noop_llseek,
};

void smalloc_debugfs_init(void)
{
	smalloc_debugfs_dir = debugfs_create_dir("smalloc", NULL);
	debugfs_create_file("stats", 0444, smalloc_debugfs_dir, NULL,
			    &stats_fops);
	debugfs_create_file("drain", 0200, smalloc_debugfs_dir, NULL,
			    &drain_fops);
}

void smalloc_debugfs_exit(void)
{
	debugfs_remove_recursive(smalloc_debugfs_dir);
}
