// SPDX-License-Identifier: GPL-2.0-only
/*
 * Counters, snapshots of the heaps, and the debugfs interface.
 *
 * Counters live in each heap and are incremented by the heap's owner with
 * a plain add: no atomics, no shared cache lines.  Readers sum them over
 * all heaps without synchronisation; a sum may be a few events behind.
 * Without CONFIG_SMALLOC_STATS the counters and their increments compile
 * away; the gauges are kept regardless.
 *
 * Gauges that need the heaps' lists (pages per class, blocks in use) come
 * from a snapshot: each online CPU walks its own heaps with interrupts
 * off (which excludes every context level on that CPU), in a work item
 * on that CPU; an offline CPU's heaps are walked from here, since nothing
 * runs there.  Reading those files costs a work item per CPU.
 *
 * /sys/kernel/debug/smalloc/
 *   stats    one "name value" line per counter and gauge
 *   cpus     one line per CPU and context level: pages and counters
 *   classes  one line per size class: pages, blocks, fragmentation
 *   nodes    one line per node: frames of spans there, CPUs' and pools'
 *   info     smallocinfo's input: versioned tables, one snapshot (below)
 *   drain    write anything: give back every empty page of every CPU
 *   fail_pages  fault injection: the next N page allocations fail
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
	[SMALLOC_FREE_CTX]		= "free_ctx",
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
	[SMALLOC_DOUBLE_FREE]		= "double_free",
	[SMALLOC_RCU_QUEUED]		= "rcu_queued",
	[SMALLOC_RCU_BATCHES]		= "rcu_batches",
	[SMALLOC_RCU_SINGLE]		= "rcu_single",
	[SMALLOC_POISON_BAD]		= "poison_bad",
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
	if (smalloc_pools) {
		int node;

		for (node = 0; node < nr_node_ids; node++) {
			/* Added to under the pool's lock; stale is fine. */
			sum += data_race(smalloc_pools[node].heap.stat[item]);
		}
	}
	return sum;
}
#endif

/* ---------------------------------------------------------------- */
/* Snapshots                                                         */
/* ---------------------------------------------------------------- */

/*
 * used: live blocks; remote: freed remotely or from another context level
 * (ctx_free), not yet collected; spans:
 * descriptors; pages: their 4 KiB frames; capacity: blocks carved;
 * reserved: blocks the spans can hold; bytes_used: used * block size.
 */
struct smalloc_page_sum {
	unsigned long pages, full, retired, used, remote, capacity;
	unsigned long spans, reserved, bytes_used;
};

struct smalloc_snap {
	struct smalloc_page_sum class[SMALLOC_NR_CLASSES];
	struct smalloc_page_sum *heap;	/* [cpu * SMALLOC_NR_CTX + ctx] */
	struct smalloc_page_sum pools;	/* the node pools together */
	/* Frames of spans per node: [node * 2] CPUs' heaps, [+ 1] pools. */
	unsigned long *node_frames;
};

static void smalloc_sum_page(struct smalloc_page_sum *sum,
			     const struct smalloc_page *page)
{
	unsigned int remote = smalloc_page_remote_count(page);
	unsigned int used = smalloc_page_used(page);

	sum->pages += 1UL << page->order;
	sum->full += !!(page->flags & SMALLOC_PAGE_IN_FULL);
	sum->retired += smalloc_page_is_retired(page);
	sum->used += used - remote;
	sum->remote += remote;
	sum->capacity += page->capacity;
	sum->spans++;
	sum->reserved += page->reserved;
	sum->bytes_used += (unsigned long)(used - remote) *
			   page->block_size;
}

/* A block of @page on its heap's ctx_free: freed, not yet collected. */
static void smalloc_sum_ctx_free(struct smalloc_page_sum *sum,
				 const struct smalloc_page *page)
{
	sum->used--;
	sum->remote++;
	sum->bytes_used -= page->block_size;
}

/* Where @page's frames are, by node: its first frame's node. */
static void smalloc_snap_node(struct smalloc_snap *snap,
			      const struct smalloc_heap *heap,
			      const struct smalloc_page *page)
{
	int node = page_to_nid(virt_to_page(page->start));

	snap->node_frames[node * 2 + (heap->cpu == SMALLOC_POOL_CPU)] +=
		1UL << page->order;
}

/* Owner of @heap (or its CPU is dead): add its pages to @snap. */
static void smalloc_snap_heap(struct smalloc_snap *snap,
			      struct smalloc_heap *heap)
{
	struct smalloc_page_sum *hs = heap->cpu == SMALLOC_POOL_CPU ?
		&snap->pools :
		&snap->heap[heap->cpu * SMALLOC_NR_CTX + heap->ctx];
	unsigned long nr_ctx = 0;
	struct smalloc_page *page;
	unsigned int c;
	void *block;

	/*
	 * Counted as used by their pages, summed below.  This walk runs
	 * with interrupts off: stop at a block that is not this heap's, or
	 * at smalloc_heap_ctx_free_max().
	 */
	for (block = READ_ONCE(heap->ctx_free); block;
	     block = smalloc_block_next(page, block)) {
		page = smalloc_ptr_to_page(block);
		if (!page || page->heap != heap ||
		    ++nr_ctx > smalloc_heap_ctx_free_max(heap)) {
			pr_warn_ratelimited("ctx_free of a heap of CPU %d is corrupt\n",
					    heap->cpu);
			break;
		}
		smalloc_sum_ctx_free(hs, page);
		smalloc_sum_ctx_free(&snap->class[page->class], page);
	}

	for (c = 0; c < SMALLOC_NR_CLASSES; c++) {
		list_for_each_entry(page, &heap->queue[c], list) {
			smalloc_sum_page(hs, page);
			smalloc_sum_page(&snap->class[c], page);
			smalloc_snap_node(snap, heap, page);
		}
		list_for_each_entry(page, &heap->full[c], list) {
			smalloc_sum_page(hs, page);
			smalloc_sum_page(&snap->class[c], page);
			smalloc_snap_node(snap, heap, page);
		}
	}
}

static long smalloc_snap_this_cpu(void *arg)
{
	struct smalloc_cpu *sc;
	unsigned long flags;
	int ctx;

	local_irq_save(flags);
	sc = this_cpu_ptr(smalloc_cpus);
	for (ctx = 0; ctx < SMALLOC_NR_CTX; ctx++)
		smalloc_snap_heap(arg, &sc->heap[ctx]);
	local_irq_restore(flags);
	return 0;
}

static long smalloc_snap_pool(struct smalloc_heap *heap, void *snap)
{
	smalloc_snap_heap(snap, heap);
	return 0;
}

static struct smalloc_snap *smalloc_snapshot(void)
{
	struct smalloc_snap *snap;
	unsigned int cpu;
	int ctx;

	snap = kzalloc(sizeof(*snap), GFP_KERNEL);
	if (!snap)
		return NULL;
	snap->heap = kcalloc(nr_cpu_ids * SMALLOC_NR_CTX, sizeof(*snap->heap),
			     GFP_KERNEL);
	snap->node_frames = kcalloc(nr_node_ids * 2, sizeof(*snap->node_frames),
				    GFP_KERNEL);
	if (!snap->heap || !snap->node_frames) {
		kfree(snap->heap);
		kfree(snap->node_frames);
		kfree(snap);
		return NULL;
	}
	cpus_read_lock();
	for_each_possible_cpu(cpu) {
		struct smalloc_cpu *sc = per_cpu_ptr(smalloc_cpus, cpu);

		if (cpu_online(cpu)) {
			work_on_cpu(cpu, smalloc_snap_this_cpu, snap);
			continue;
		}
		for (ctx = 0; ctx < SMALLOC_NR_CTX; ctx++)
			smalloc_snap_heap(snap, &sc->heap[ctx]);
	}
	cpus_read_unlock();
	smalloc_pools_call(smalloc_snap_pool, snap);
	return snap;
}

static void smalloc_snap_free(struct smalloc_snap *snap)
{
	kfree(snap->node_frames);
	kfree(snap->heap);
	kfree(snap);
}

/* ---------------------------------------------------------------- */
/* debugfs                                                           */
/* ---------------------------------------------------------------- */

static struct dentry *smalloc_debugfs_dir;

static int stats_show(struct seq_file *m, void *v)
{
	struct smalloc_snap *snap = smalloc_snapshot();
	unsigned long used = 0, remote = 0;
	unsigned int c;
	int i;

	if (!snap)
		return -ENOMEM;
	for (c = 0; c < SMALLOC_NR_CLASSES; c++) {
		used += snap->class[c].used;
		remote += snap->class[c].remote;
	}
	smalloc_snap_free(snap);

	seq_printf(m, "%-20s %lu\n", "enabled",
		   (unsigned long)IS_ENABLED(CONFIG_SMALLOC_STATS));
	for (i = 0; i < SMALLOC_NR_STATS; i++)
		seq_printf(m, "%-20s %lu\n", smalloc_stat_names[i],
			   smalloc_stat_sum(i));
	seq_printf(m, "%-20s %ld\n", "pages_held",
		   atomic_long_read(&smalloc_nr_pages));
	seq_printf(m, "%-20s %ld\n", "bytes_held",
		   atomic_long_read(&smalloc_nr_pages) * (long)PAGE_SIZE);
	seq_printf(m, "%-20s %lu\n", "blocks_used", used);
	seq_printf(m, "%-20s %lu\n", "blocks_remote", remote);
	seq_printf(m, "%-20s %lu\n", "large_live", smalloc_large_count());
	seq_printf(m, "%-20s %ld\n", "retired_pages",
		   atomic_long_read(&smalloc_retired_frames));
	seq_printf(m, "%-20s %lu\n", "retire_budget",
		   READ_ONCE(smalloc_retire_budget));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

static const char *const smalloc_ctx_names[SMALLOC_NR_CTX] = {
	[SMALLOC_CTX_TASK]	= "task",
	[SMALLOC_CTX_SOFTIRQ]	= "softirq",
	[SMALLOC_CTX_HARDIRQ]	= "hardirq",
	[SMALLOC_CTX_NMI]	= "nmi",
};

static int cpus_show(struct seq_file *m, void *v)
{
	struct smalloc_snap *snap = smalloc_snapshot();
	unsigned int cpu;
	int ctx;

	if (!snap)
		return -ENOMEM;
	seq_printf(m, "%4s %-8s %7s %5s %7s %9s %9s %12s %12s %12s %12s %12s\n",
		   "cpu", "ctx", "pages", "full", "retired", "used", "remote",
		   "alloc_fast", "alloc_slow", "free_local", "free_remote",
		   "collected");
	for_each_possible_cpu(cpu) {
		struct smalloc_cpu *sc = per_cpu_ptr(smalloc_cpus, cpu);

		for (ctx = 0; ctx < SMALLOC_NR_CTX; ctx++) {
			const struct smalloc_page_sum *hs =
				&snap->heap[cpu * SMALLOC_NR_CTX + ctx];
			unsigned long st[SMALLOC_NR_STATS] = { };

#ifdef CONFIG_SMALLOC_STATS
			/* Owners add without atomics; a stale copy is fine. */
			data_race(memcpy(st, sc->heap[ctx].stat, sizeof(st)));
#endif
			seq_printf(m, "%4u %-8s %7lu %5lu %7lu %9lu %9lu %12lu %12lu %12lu %12lu %12lu\n",
				   cpu, smalloc_ctx_names[ctx], hs->pages,
				   hs->full, hs->retired, hs->used, hs->remote,
				   st[SMALLOC_ALLOC_FAST], st[SMALLOC_ALLOC_SLOW],
				   st[SMALLOC_FREE_LOCAL],
				   st[SMALLOC_FREE_REMOTE] +
				   st[SMALLOC_FREE_DELAYED],
				   st[SMALLOC_REMOTE_COLLECTED]);
		}
	}
	smalloc_snap_free(snap);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(cpus);

static int classes_show(struct seq_file *m, void *v)
{
	struct smalloc_snap *snap = smalloc_snapshot();
	unsigned int c;

	if (!snap)
		return -ENOMEM;
	seq_printf(m, "%5s %5s %5s %6s %7s %5s %7s %9s %9s %9s %5s\n",
		   "class", "size", "order", "blocks", "pages", "full",
		   "retired", "used", "remote", "capacity", "frag%");
	for (c = 0; c < SMALLOC_NR_CLASSES; c++) {
		const struct smalloc_class *cl = &smalloc_classes[c];
		const struct smalloc_page_sum *cs = &snap->class[c];
		unsigned long bytes = cs->pages * PAGE_SIZE;
		unsigned long frag = 0;

		if (bytes)
			frag = 100 - div64_ul(100ULL * cs->used * cl->size, bytes);
		seq_printf(m, "%5u %5u %5u %6u %7lu %5lu %7lu %9lu %9lu %9lu %5lu\n",
			   c, cl->size, cl->order, cl->blocks, cs->pages,
			   cs->full, cs->retired, cs->used, cs->remote,
			   cs->capacity, frag);
	}
	smalloc_snap_free(snap);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(classes);

/*
 * One line per online node: the 4 KiB frames of spans on it held by the
 * CPUs' heaps and by the node pools (smalloc_node.c), and the pool's
 * blocks in use and remote frees not yet collected.
 */
static int nodes_show(struct seq_file *m, void *v)
{
	struct smalloc_snap *snap = smalloc_snapshot();
	int node;

	if (!snap)
		return -ENOMEM;
	seq_printf(m, "%-5s %10s %10s\n", "node", "cpu_pages", "pool_pages");
	for_each_online_node(node)
		seq_printf(m, "%-5d %10lu %10lu\n", node,
			   snap->node_frames[node * 2],
			   snap->node_frames[node * 2 + 1]);
	seq_printf(m, "pools: %lu spans, %lu used, %lu remote\n",
		   snap->pools.spans, snap->pools.used, snap->pools.remote);
	smalloc_snap_free(snap);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(nodes);

/*
 * "info": what tools/smalloc/smallocinfo reads, from one snapshot.  The
 * first line names the format and its version; then tables separated by
 * an empty line, each a header line of column names and rows of numbers
 * (the heap table's second column is the context level's name):
 *
 *   smallocinfo 1
 *
 *   page_size pages_held large_live
 *   4096 688 50
 *
 *   class size order spans pages full retired used remote carved reserved bytes_used
 *   5 48 2 1 4 0 1 50 0 85 341 2400
 *   ... one row per size class
 *
 *   cpu ctx spans pages full retired used remote carved reserved bytes_used
 *   0 task 19 135 0 19 50 0 1357 3409 2400
 *   ... one row per possible CPU and context level
 *
 * A table is known by its first column's name.  Columns may be added at
 * the end of a table, and tables at the end of the file, without a new
 * version; the version changes when a column changes meaning or goes.
 * pages_held (frames of spans and of large allocations) is read just
 * after the snapshot, so while smalloc is busy it need not match the sum
 * of the tables' pages.  Documentation/smalloc.rst has every column.
 */
#define SMALLOC_INFO_VERSION	1

static void info_row(struct seq_file *m, const struct smalloc_page_sum *s)
{
	seq_printf(m, " %lu %lu %lu %lu %lu %lu %lu %lu %lu\n", s->spans,
		   s->pages, s->full, s->retired, s->used, s->remote,
		   s->capacity, s->reserved, s->bytes_used);
}

static int info_show(struct seq_file *m, void *v)
{
	static const char sum_cols[] =
		"spans pages full retired used remote carved reserved bytes_used";
	struct smalloc_snap *snap = smalloc_snapshot();
	unsigned int c, cpu;
	int ctx;

	if (!snap)
		return -ENOMEM;
	seq_printf(m, "smallocinfo %d\n\n", SMALLOC_INFO_VERSION);
	seq_puts(m, "page_size pages_held large_live\n");
	seq_printf(m, "%lu %ld %lu\n\n", PAGE_SIZE,
		   atomic_long_read(&smalloc_nr_pages), smalloc_large_count());
	seq_printf(m, "class size order %s\n", sum_cols);
	for (c = 0; c < SMALLOC_NR_CLASSES; c++) {
		seq_printf(m, "%u %u %u", c, smalloc_classes[c].size,
			   smalloc_classes[c].order);
		info_row(m, &snap->class[c]);
	}
	seq_printf(m, "\ncpu ctx %s\n", sum_cols);
	for_each_possible_cpu(cpu) {
		for (ctx = 0; ctx < SMALLOC_NR_CTX; ctx++) {
			seq_printf(m, "%u %s", cpu, smalloc_ctx_names[ctx]);
			info_row(m, &snap->heap[cpu * SMALLOC_NR_CTX + ctx]);
		}
	}
	smalloc_snap_free(snap);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(info);

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

static int fail_pages_get(void *data, u64 *val)
{
	*val = atomic_read(&smalloc_fail_pages);
	return 0;
}

static int fail_pages_set(void *data, u64 val)
{
	if (val > INT_MAX)
		return -EINVAL;
	atomic_set(&smalloc_fail_pages, val);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(fail_pages_fops, fail_pages_get, fail_pages_set,
			 "%llu\n");

void smalloc_debugfs_init(void)
{
	smalloc_debugfs_dir = debugfs_create_dir("smalloc", NULL);
	debugfs_create_file("stats", 0444, smalloc_debugfs_dir, NULL,
			    &stats_fops);
	debugfs_create_file("cpus", 0444, smalloc_debugfs_dir, NULL,
			    &cpus_fops);
	debugfs_create_file("classes", 0444, smalloc_debugfs_dir, NULL,
			    &classes_fops);
	debugfs_create_file("nodes", 0444, smalloc_debugfs_dir, NULL,
			    &nodes_fops);
	debugfs_create_file("info", 0444, smalloc_debugfs_dir, NULL,
			    &info_fops);
	debugfs_create_file("drain", 0200, smalloc_debugfs_dir, NULL,
			    &drain_fops);
	debugfs_create_file_unsafe("fail_pages", 0600, smalloc_debugfs_dir,
				   NULL, &fail_pages_fops);
}

void smalloc_debugfs_exit(void)
{
	debugfs_remove_recursive(smalloc_debugfs_dir);
}
