// SPDX-License-Identifier: GPL-2.0-only
/*
 * smalloc_bench - smalloc against kmalloc, side by side in one boot.
 *
 * Loaded after smalloc.ko (scripts/bench.sh does it in a QEMU guest), it
 * runs the selected workloads for both allocators from a pool of kthreads,
 * one bound to each online CPU, and prints one line per workload, object
 * size, CPU count and allocator:
 *
 *   SMALLOC-BENCH-CSV: workload,size,cpus,allocator,ops,ns_per_op,p99_ns,pages_peak
 *
 * How a workload is measured:
 *
 *  - one untimed warm-up run per allocator, then @repeats timed runs with
 *    kmalloc and smalloc interleaved (which goes first alternates from one
 *    repeat to the next);
 *  - a run is timed with ktime_get_ns() in laps of SB_LAP allocator calls
 *    (a bulk call of n objects counts as n), never around one call;
 *    between laps the thread may reschedule.  A lap longer than
 *    SB_GAP_FACTOR times the run's median lap (per call) plus
 *    SB_GAP_NS is dropped: in QEMU that is the host descheduling the
 *    vCPU for a millisecond or more, not the allocator (the share dropped
 *    is printed).  A run's time per op is its kept laps' time per call
 *    times the calls per op, where an op is one allocation plus one free
 *    (one srealloc/krealloc call in "realloc"); ns_per_op is the median
 *    over the repeats.  On several CPUs it is the mean over the threads
 *    of each thread's time per op (the producer's in the remote
 *    workloads: per object handed over), so a perfectly scaling workload
 *    shows its one-CPU figure;
 *  - then one sampled run per allocator, not used for ns_per_op, in which
 *    every call (every k-th one when there are more than SB_SAMPLES) is
 *    timed alone with the TSC: p99_ns is the 99th percentile of those
 *    single-call times less the cost of reading the clock.  In the same
 *    run the free-page count (below) is read wherever the live set is
 *    largest: pages_peak is how far it fell below its value at the start
 *    of the run, i.e. the pages the run took from the page allocator.
 *    For the memory workloads pages_peak is the median over the timed
 *    repeats instead (mem-live), and for what is held once all is freed
 *    (mem-after-free) the first, warm-up, run's figure: later runs start
 *    from what earlier ones left, which would net it out.
 *
 * The free-page count is the page allocator's own: NR_FREE_PAGES of every
 * populated zone with the per-CPU vmstat deltas folded in, plus the pages
 * sitting on the per-CPU page lists (which NR_FREE_PAGES does not count),
 * so that neither kind of per-CPU batching shows up as memory held.
 *
 * Both allocators are called the way their users call them: kmalloc()
 * with a compile-time constant size wherever the workload has one (its
 * inline fast path then skips the size lookup), smalloc() through its
 * exported function.  GFP_KERNEL throughout.
 *
 * Workload groups (module parameter "groups", comma-separated, or "all"):
 *
 *   pairs    alloc+free pairs, 8 to 4096 bytes
 *   batch    N allocs then N frees (N = 100, 1000, 10000) of 64 bytes,
 *            freed in LIFO, FIFO and shuffled order
 *   churn    16, 64 and 256 byte objects filling 1, 2 and 4 pages, all
 *            freed (FIFO), again and again; 1024 bytes as the control
 *   mixed    256 live objects of 8..1024 bytes (log-uniform); each op
 *            frees a random one and allocates a new random size
 *   realloc  a buffer grown by 24-byte appends from 24 to 1008 bytes
 *   conc     a thread on each of 2 and of all CPUs doing pairs, and
 *            batches of 1000, at once
 *   remote   producer/consumer: allocated on one CPU, freed on another;
 *            one CPU allocating while all the others free; Lameter's
 *            slab_test remote phase (each CPU allocates 10000, then frees
 *            its neighbour's)
 *   memory   100000 live objects of 48, 64, 80, 112, 192 and 1000 bytes:
 *            pages taken (mem-live), then after freeing them all and
 *            smalloc_drain() what is still held (mem-after-free)
 *   bulk     smalloc_bulk()+sfree_bulk() against kmem_cache_alloc_bulk()
 *            on the kmalloc cache of the size + kfree_bulk(), batches of
 *            16 and 64 objects of 64 and 256 bytes; per object
 *   rcu      sfree_rcu() against kfree_rcu() of 64-byte objects, 1000 and
 *            10000 between barriers; only the free calls are timed
 *   scale    the same burst on 1, 2, 4, 8 and 16 CPUs at once (as many as
 *            are online): each allocates 20000 objects of 64 bytes, then
 *            frees them; pages_peak is what the page allocator is short
 *            of once all are freed (the first run's, as mem-after-free,
 *            but without smalloc_drain()): what each allocator keeps
 *            beyond live objects as CPUs grow (scale-burst), and the
 *            same two seconds later, after two of smalloc's idle
 *            intervals (scale-idle)
 *   ctx      the same CPU, another context: 64-byte objects allocated in
 *            softirq and freed in task context (ctx-softirq-to-task, as
 *            network receive and its reader) or the other way round
 *            (ctx-task-to-softirq, as timers and RCU callbacks), one at a
 *            time (pairs) and in batches of 64 (-n64); see sb_ctx_size()
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bottom_half.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/irqflags.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/prandom.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/timex.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>
#include <linux/wait.h>
#include <smalloc.h>

static char *groups = "all";
module_param(groups, charp, 0444);
MODULE_PARM_DESC(groups, "Workload groups: all, or a comma-separated list of pairs,batch,churn,mixed,realloc,conc,remote,memory,bulk,rcu,ctx,scale");

static unsigned int repeats = 5;
module_param(repeats, uint, 0444);
MODULE_PARM_DESC(repeats, "Timed runs per workload and allocator (median reported), 1..15");

static unsigned int scale = 100;
module_param(scale, uint, 0444);
MODULE_PARM_DESC(scale, "Operations per run, in percent of the defaults (memory workloads excepted)");

static int cpu = -1;
module_param(cpu, int, 0444);
MODULE_PARM_DESC(cpu, "CPU for the one-CPU workloads (default: the second online CPU)");

static bool profile;
module_param(profile, bool, 0444);
MODULE_PARM_DESC(profile, "One run per workload and allocator between TCG plugin markers, no timings (scripts/bench.sh BENCH_PROFILE=1)");

static bool raw = true;
module_param(raw, bool, 0444);
MODULE_PARM_DESC(raw, "Also print every repeat's ns/op (SMALLOC-BENCH-RAW lines)");

#define SB_CSV		"SMALLOC-BENCH-CSV: "
#define SB_RAW		"SMALLOC-BENCH-RAW: "
#define SB_ERR		"SMALLOC-BENCH-ERROR: "
#define SB_PROF		"SMALLOC-BENCH-PROFILE: "
#define SB_MAX_REPEATS	15
#define SB_SAMPLES	8192		/* single-call samples per thread */
#define SB_LAP		256		/* allocator calls per timed lap */
#define SB_MAX_LAPS	65536		/* laps one thread records per run */
#define SB_GAP_FACTOR	4		/* a lap this much slower than the */
#define SB_GAP_NS	200000		/* median, plus this, is a host gap */
#define SB_MAX_LIVE	100000		/* objects one thread holds at most */
#define SB_MAX_THREADS	64
#define SB_TAB		4096		/* mixed: random size and slot tables */
#define SB_MIXED_LIVE	256
#define SB_RING		256		/* remote: pointers per consumer ring */
#define SB_APPEND	24		/* realloc: bytes per append */
#define SB_APPENDS	42		/* realloc: 24 .. 1008 bytes */
#define SB_SEED		0x5a110cbe4c4ULL

enum sb_alloc_id { SB_KMALLOC, SB_SMALLOC, SB_NR_ALLOC };

static const char *const sb_alloc_name[SB_NR_ALLOC] = { "kmalloc", "smalloc" };

enum sb_kind {
	SB_PAIRS,	/* alloc+free pairs */
	SB_BATCH,	/* n allocs, n frees in job->order */
	SB_MIXED,
	SB_REALLOC,
	SB_REMOTE,	/* role 0 allocates, the others free */
	SB_SLABTEST,	/* each allocates n, then frees its neighbour's */
	SB_MEM,		/* n live objects: pages held */
	SB_BULK,	/* a bulk alloc of n, a bulk free of them */
	SB_RCU,		/* n allocs (untimed), n RCU frees, a barrier (untimed) */
	SB_CTX,		/* n allocs in one context level, n frees in another */
	SB_SCALE,	/* n allocs and n frees on every CPU at once: pages kept */
};

enum sb_order { SB_LIFO, SB_FIFO, SB_SHUF };

/* SB_CTX: which level allocates (job->order). */
enum sb_ctx_dir { SB_CTX_S2T, SB_CTX_T2S };

/* A single-producer single-consumer ring of pointers (remote workloads). */
struct sb_ring {
	unsigned long head ____cacheline_aligned;	/* producer */
	int closed;					/* producer */
	unsigned long tail ____cacheline_aligned;	/* consumer */
	void *slot[SB_RING];
};

struct sb_thread;

struct sb_lap {
	u32 ns;
	u32 calls;
};

struct sb_job {
	char name[32];
	enum sb_kind kind;
	enum sb_order order;
	enum sb_ctx_dir dir;		/* SB_CTX */
	bool idle;			/* SB_SCALE: measure after an idle wait */
	size_t size;
	struct kmem_cache *cache;	/* bulk: the kmalloc cache of size */
	unsigned int n;			/* objects per batch / live set */
	unsigned int nr_cpus;
	unsigned long ops;		/* per thread (per producer) */
	unsigned long calls;		/* allocator calls per thread, about */
	unsigned int cpus[SB_MAX_THREADS];
	struct sb_thread *member[SB_MAX_THREADS];

	/* Per run. */
	int alloc;
	bool sampled;
	atomic_t ready;
	atomic_t pending;
	struct completion done;
	atomic_t bar_count;
	unsigned int bar_gen;
};

struct sb_thread {
	struct task_struct *task;
	unsigned int cpu;
	unsigned long gen;		/* last run generation seen */
	struct sb_job *job;
	int role;
	void **obj;			/* SB_MAX_LIVE pointers */
	int err;
	/* Laps: SB_LAP allocator calls each, timed. */
	struct sb_lap *laps;		/* SB_MAX_LAPS */
	unsigned int nlaps, lap_calls;
	u64 t0, lap_ns;			/* lap start, time paused laps had */
	/* The run's result, laps the host cut into left out. */
	u64 kept_ns, kept_calls, calls;
	unsigned int dropped;
	/* Sampled runs. */
	u32 *samples;
	unsigned int nsamples, stride, seen;
	long base, peak;
	/* Memory workloads. */
	long mem_live, mem_after;
};

static struct sb_thread *sb_threads;
static unsigned int sb_nr_threads;
static DECLARE_WAIT_QUEUE_HEAD(sb_wq);
static unsigned long sb_gen;
static struct sb_job *sb_cur;

static u32 *sb_perm;			/* SB_MAX_LIVE: shuffled free order */
static u16 *sb_mixed_size;		/* SB_TAB */
static u8 *sb_mixed_slot;		/* SB_TAB */
static struct sb_ring *sb_rings;	/* SB_MAX_THREADS */
static u32 *sb_merge;			/* SB_SAMPLES * SB_MAX_THREADS */
static u64 sb_clock_cost;		/* cycles of an empty timed call */
static int sb_cpu;			/* for the one-CPU workloads */

/* ---------------------------------------------------------------- */
/* The two allocators                                                */
/* ---------------------------------------------------------------- */

static __always_inline void *sb_alloc(const int a, const size_t size)
{
	if (a == SB_KMALLOC)
		return kmalloc(size, GFP_KERNEL);
	return smalloc(size, GFP_KERNEL);
}

/* In atomic context (the ctx workloads' softirq side). */
static __always_inline void *sb_alloc_atomic(const int a, const size_t size)
{
	if (a == SB_KMALLOC)
		return kmalloc(size, GFP_ATOMIC);
	return smalloc(size, GFP_ATOMIC);
}

static __always_inline void sb_free(const int a, const void *p)
{
	if (a == SB_KMALLOC)
		kfree(p);
	else
		sfree(p);
}

static __always_inline void *sb_realloc(const int a, const void *p,
					const size_t size)
{
	if (a == SB_KMALLOC)
		return krealloc(p, size, GFP_KERNEL);
	return srealloc(p, size, GFP_KERNEL);
}

/*
 * Bulk: kmem_cache_alloc_bulk() needs a cache; kmalloc's is the kmalloc
 * cache of the size (job->cache, see sb_kmalloc_cache()), the objects
 * kmalloc(size) hands out.  Both return n or 0 (all or nothing).
 */
static __always_inline int sb_alloc_bulk(const int a, struct kmem_cache *s,
					 const size_t size, unsigned int n,
					 void **p)
{
	if (a == SB_KMALLOC)
		return kmem_cache_alloc_bulk(s, GFP_KERNEL, n, p);
	return smalloc_bulk(size, GFP_KERNEL, n, p);
}

static __always_inline void sb_free_bulk(const int a, unsigned int n,
					 void **p)
{
	if (a == SB_KMALLOC)
		kfree_bulk(n, p);
	else
		sfree_bulk(n, p);
}

/* What the rcu workload frees: an object with an rcu_head, as its users. */
struct sb_rcu_obj {
	unsigned long v;
	struct rcu_head rh;
};

static __always_inline void sb_free_rcu(const int a, struct sb_rcu_obj *p)
{
	if (a == SB_KMALLOC)
		kfree_rcu(p, rh);
	else
		sfree_rcu(p, rh);
}

/*
 * Wait until every object freed with sb_free_rcu() is back.  For kfree_rcu()
 * that is kvfree_rcu_barrier(), not rcu_barrier(): kfree_rcu() keeps its
 * objects in per-CPU batches for up to 5 s (KFREE_DRAIN_JIFFIES) before it
 * asks for a grace period, and rcu_barrier() waits only for call_rcu()
 * callbacks already queued.  smalloc_rcu_barrier() hands smalloc's partial batches
 * over and waits for their callbacks.
 */
static void sb_rcu_barrier(const int a)
{
	if (a == SB_KMALLOC)
		kvfree_rcu_barrier();
	else
		smalloc_rcu_barrier();
}

/* Write the object, as its user would; also keeps the pair from folding. */
static __always_inline void sb_touch(void *p, unsigned long v)
{
	WRITE_ONCE(*(unsigned long *)p, v);
}

/* ---------------------------------------------------------------- */
/* Clocks, samples and the free-page count                           */
/* ---------------------------------------------------------------- */

static __always_inline u64 sb_stamp(void)
{
	return get_cycles();
}

static u64 sb_stamp_ns(u64 cycles)
{
#ifdef CONFIG_X86_TSC
	return div_u64(cycles * 1000000, tsc_khz);
#else
	return cycles;	/* get_cycles() may be 0: p99 then reads 0 */
#endif
}

static void sb_sample(struct sb_thread *t, u64 cycles)
{
	if (t->seen++ % t->stride == 0 && t->nsamples < SB_SAMPLES)
		t->samples[t->nsamples++] = min_t(u64, cycles, U32_MAX);
}

static void sb_lap_end(struct sb_thread *t);

/*
 * One more allocator call: SB_LAP of them make a lap.  A loop counts in a
 * local variable (a register), taken from the thread's count of the lap
 * under way with sb_lap_calls() and handed back with sb_lap_flush().
 */
static __always_inline void sb_tick(struct sb_thread *t, unsigned int *lap)
{
	if (unlikely(++*lap == SB_LAP)) {
		t->lap_calls = SB_LAP;
		*lap = 0;
		sb_lap_end(t);
	}
}

/*
 * A bulk call of @n objects counts as @n calls (@n divides SB_LAP), so that
 * a lap is SB_LAP objects for the bulk workloads too.
 */
static __always_inline void sb_tick_n(struct sb_thread *t, unsigned int *lap,
				      unsigned int n)
{
	*lap += n;
	if (unlikely(*lap >= SB_LAP)) {
		t->lap_calls = *lap;
		*lap = 0;
		sb_lap_end(t);
	}
}

static __always_inline unsigned int sb_lap_calls(const struct sb_thread *t)
{
	return t->lap_calls;
}

static __always_inline void sb_lap_flush(struct sb_thread *t,
					 unsigned int lap)
{
	t->lap_calls = lap;
}

/*
 * Run @stmt, one allocator call; in a sampled run, time it alone.  The
 * timed and the sampled versions of every workload are separate instances
 * (@smp is a constant).  Uncounted: for calls made where a lap may not end
 * (in softirq context: a lap's end may reschedule), which the caller
 * counts with sb_tick_n() afterwards.
 */
#define SB_CALL_UNCOUNTED(t, smp, stmt)				\
	do {							\
		struct sb_thread *__t = (t);			\
		const bool __smp = (smp);			\
		u64 __c0 = __smp ? sb_stamp() : 0;		\
								\
		stmt;						\
		if (__smp)					\
			sb_sample(__t, sb_stamp() - __c0);	\
	} while (0)

/* The same, counted in @lap. */
#define SB_CALL(t, smp, lap, stmt)				\
	do {							\
		struct sb_thread *__u = (t);			\
								\
		SB_CALL_UNCOUNTED(__u, smp, stmt);		\
		sb_tick(__u, &(lap));				\
	} while (0)

/* SB_CALL() of a bulk call of @n objects: it counts as @n calls. */
#define SB_CALL_N(t, smp, lap, n, stmt)				\
	do {							\
		struct sb_thread *__u = (t);			\
								\
		SB_CALL_UNCOUNTED(__u, smp, stmt);		\
		sb_tick_n(__u, &(lap), (n));			\
	} while (0)

/* Free pages in the page allocator, per-CPU lists and vmstat deltas in. */
static long sb_free_pages(void)
{
	long sum = 0;
	int nid, z, c;

	for_each_online_node(nid) {
		pg_data_t *pgdat = NODE_DATA(nid);

		for (z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &pgdat->node_zones[z];

			if (!populated_zone(zone))
				continue;
			sum += zone_page_state_snapshot(zone, NR_FREE_PAGES);
			for_each_online_cpu(c)
				sum += READ_ONCE(per_cpu_ptr(zone->per_cpu_pageset,
							     c)->count);
		}
	}
	return sum;
}

/* A point of largest live set in a sampled run. */
static void sb_peak(struct sb_thread *t)
{
	long held = t->base - sb_free_pages();

	if (held > t->peak)
		t->peak = held;
}

/* Record the lap that ends now (if it had calls). */
static void sb_lap_record(struct sb_thread *t, u64 now)
{
	u64 ns = t->lap_ns + now - t->t0;
	struct sb_lap *lap;

	if (t->lap_calls) {
		/* Out of room: the last lap takes the rest. */
		if (t->nlaps < SB_MAX_LAPS)
			t->laps[t->nlaps++] = (struct sb_lap){ };
		lap = &t->laps[t->nlaps - 1];
		lap->ns = min_t(u64, (u64)lap->ns + ns, U32_MAX);
		lap->calls += t->lap_calls;
	}
	t->lap_calls = 0;
	t->lap_ns = 0;
}

/* A lap is complete: record it, let others run, start the next. */
static noinline void sb_lap_end(struct sb_thread *t)
{
	sb_lap_record(t, ktime_get_ns());
	cond_resched();
	t->t0 = ktime_get_ns();
}

/* Stop and restart the clock around work that is not measured. */
static void sb_pause(struct sb_thread *t)
{
	t->lap_ns += ktime_get_ns() - t->t0;
}

static void sb_resume(struct sb_thread *t)
{
	t->t0 = ktime_get_ns();
}

static void sb_nomem(struct sb_thread *t)
{
	if (!t->err)
		pr_err("%s: allocation failed\n", t->job->name);
	t->err = -ENOMEM;
}

/* All the threads of the job meet here. */
static void sb_barrier(struct sb_thread *t)
{
	struct sb_job *job = t->job;
	/* The generation before arriving (the fully ordered inc follows). */
	unsigned int gen = smp_load_acquire(&job->bar_gen);

	if (atomic_inc_return(&job->bar_count) == job->nr_cpus) {
		atomic_set(&job->bar_count, 0);
		/* Last in: the reset count and all our writes before the release. */
		smp_store_release(&job->bar_gen, gen + 1);
		return;
	}
	/* Pairs with the release above: see everyone's writes. */
	while (smp_load_acquire(&job->bar_gen) == gen)
		cpu_relax();
}

/*
 * Call @fn with the object size as a compile-time constant for the sizes
 * the workloads use, so that kmalloc() takes the constant-size path that
 * kmalloc(sizeof(*p), ...) callers get.  Any other size stays variable.
 * @fn is an __always_inline workload body: with a constant pointer the
 * compiler inlines each call, one specialised copy per size.
 */
static __always_inline void
sb_const_size(struct sb_thread *t, const int a, const bool smp,
	      void (*fn)(struct sb_thread *t, const int a, const bool smp,
			 const size_t size))
{
	switch (t->job->size) {
	case 8:
		fn(t, a, smp, 8);
		break;
	case 16:
		fn(t, a, smp, 16);
		break;
	case 32:
		fn(t, a, smp, 32);
		break;
	case 48:
		fn(t, a, smp, 48);
		break;
	case 64:
		fn(t, a, smp, 64);
		break;
	case 80:
		fn(t, a, smp, 80);
		break;
	case 112:
		fn(t, a, smp, 112);
		break;
	case 128:
		fn(t, a, smp, 128);
		break;
	case 192:
		fn(t, a, smp, 192);
		break;
	case 256:
		fn(t, a, smp, 256);
		break;
	case 512:
		fn(t, a, smp, 512);
		break;
	case 1000:
		fn(t, a, smp, 1000);
		break;
	case 1024:
		fn(t, a, smp, 1024);
		break;
	case 2048:
		fn(t, a, smp, 2048);
		break;
	case 4096:
		fn(t, a, smp, 4096);
		break;
	default:
		fn(t, a, smp, t->job->size);
		break;
	}
}

/*
 * The run's instance of workload body @fn: four copies of the loop, for
 * each allocator timed and sampled, each with its allocator calls inlined
 * and no test on the way.
 */
static __always_inline void
sb_instances(struct sb_thread *t,
	     void (*fn)(struct sb_thread *t, const int a, const bool smp))
{
	if (t->job->alloc == SB_KMALLOC) {
		if (t->job->sampled)
			fn(t, SB_KMALLOC, true);
		else
			fn(t, SB_KMALLOC, false);
	} else {
		if (t->job->sampled)
			fn(t, SB_SMALLOC, true);
		else
			fn(t, SB_SMALLOC, false);
	}
}

/* ---------------------------------------------------------------- */
/* Workloads                                                         */
/* ---------------------------------------------------------------- */

static __always_inline void sb_pairs_size(struct sb_thread *t, const int a,
					  const bool smp, const size_t size)
{
	unsigned long i, ops = t->job->ops;
	unsigned int lap = sb_lap_calls(t);
	void *p;

	for (i = 0; i < ops; i++) {
		SB_CALL(t, smp, lap, p = sb_alloc(a, size));
		if (unlikely(!p)) {
			sb_nomem(t);
			break;
		}
		sb_touch(p, i);
		SB_CALL(t, smp, lap, sb_free(a, p));
		if (smp && !(i & (SB_LAP - 1)))
			sb_peak(t);
	}
	sb_lap_flush(t, lap);
}

static __always_inline void sb_pairs(struct sb_thread *t, const int a,
				     const bool smp)
{
	sb_const_size(t, a, smp, sb_pairs_size);
}

static noinline void sb_pairs_run(struct sb_thread *t)
{
	sb_instances(t, sb_pairs);
}

static __always_inline void sb_free_batch(struct sb_thread *t, const int a,
					  const bool smp, unsigned int n,
					  enum sb_order order)
{
	unsigned int i, lap = sb_lap_calls(t);
	void **obj = t->obj;

	switch (order) {
	case SB_LIFO:
		for (i = n; i-- > 0;)
			SB_CALL(t, smp, lap, sb_free(a, obj[i]));
		break;
	case SB_FIFO:
		for (i = 0; i < n; i++)
			SB_CALL(t, smp, lap, sb_free(a, obj[i]));
		break;
	case SB_SHUF:
		for (i = 0; i < n; i++)
			SB_CALL(t, smp, lap, sb_free(a, obj[sb_perm[i]]));
		break;
	}
	sb_lap_flush(t, lap);
}

/* Free obj[0..n), untimed and uncounted (teardown, error paths). */
static __always_inline void sb_free_untimed(struct sb_thread *t, const int a,
					    unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		sb_free(a, t->obj[i]);
}

/* Allocate obj[0..n); on failure free what was allocated. */
static __always_inline bool sb_alloc_batch(struct sb_thread *t, const int a,
					   const bool smp, unsigned int n,
					   const size_t size)
{
	unsigned int i, lap = sb_lap_calls(t);
	void **obj = t->obj;

	for (i = 0; i < n; i++) {
		SB_CALL(t, smp, lap, obj[i] = sb_alloc(a, size));
		if (unlikely(!obj[i])) {
			sb_lap_flush(t, lap);
			sb_free_untimed(t, a, i);
			sb_nomem(t);
			return false;
		}
		sb_touch(obj[i], i);
	}
	sb_lap_flush(t, lap);
	return true;
}

static __always_inline void sb_batch_size(struct sb_thread *t, const int a,
					  const bool smp, const size_t size)
{
	const struct sb_job *job = t->job;
	unsigned int n = job->n;
	unsigned long done;

	for (done = 0; done < job->ops; done += n) {
		if (!sb_alloc_batch(t, a, smp, n, size))
			return;
		if (smp)
			sb_peak(t);
		sb_free_batch(t, a, smp, n, job->order);
	}
}

static __always_inline void sb_batch(struct sb_thread *t, const int a,
				     const bool smp)
{
	sb_const_size(t, a, smp, sb_batch_size);
}

static noinline void sb_batch_run(struct sb_thread *t)
{
	sb_instances(t, sb_batch);
}

static __always_inline void sb_mixed(struct sb_thread *t, const int a,
				     const bool smp)
{
	unsigned long i, ops = t->job->ops;
	unsigned int j, lap = sb_lap_calls(t);
	void **win = t->obj;

	sb_pause(t);
	for (i = 0; i < SB_MIXED_LIVE; i++) {
		win[i] = sb_alloc(a, sb_mixed_size[i]);
		if (!win[i]) {
			sb_free_untimed(t, a, i);
			sb_nomem(t);
			return;
		}
	}
	sb_resume(t);
	for (i = 0; i < ops; i++) {
		void **slot;

		j = i & (SB_TAB - 1);
		slot = &win[sb_mixed_slot[j]];
		SB_CALL(t, smp, lap, sb_free(a, *slot));
		SB_CALL(t, smp, lap, *slot = sb_alloc(a, sb_mixed_size[j]));
		if (unlikely(!*slot)) {
			*slot = ZERO_SIZE_PTR;
			sb_nomem(t);
			break;
		}
		sb_touch(*slot, i);
		if (smp && !(i & (SB_LAP - 1)))
			sb_peak(t);
	}
	sb_lap_flush(t, lap);
	sb_pause(t);
	sb_free_untimed(t, a, SB_MIXED_LIVE);
	sb_resume(t);
}

static noinline void sb_mixed_run(struct sb_thread *t)
{
	sb_instances(t, sb_mixed);
}

static __always_inline void sb_realloc_grow(struct sb_thread *t, const int a,
					    const bool smp)
{
	unsigned long done, ops = t->job->ops;
	unsigned int k, lap = sb_lap_calls(t);
	void *p, *q;

	for (done = 0; done < ops; done += SB_APPENDS - 1) {
		SB_CALL(t, smp, lap, p = sb_alloc(a, SB_APPEND));
		if (unlikely(!p)) {
			sb_nomem(t);
			break;
		}
		sb_touch(p, 0);
		for (k = 2; k <= SB_APPENDS; k++) {
			SB_CALL(t, smp, lap, q = sb_realloc(a, p, k * SB_APPEND));
			if (unlikely(!q)) {
				sb_free(a, p);
				sb_nomem(t);
				p = NULL;
				break;
			}
			p = q;
			sb_touch(p + (k - 1) * SB_APPEND, k);
		}
		if (!p)
			break;
		if (smp)
			sb_peak(t);
		SB_CALL(t, smp, lap, sb_free(a, p));
	}
	sb_lap_flush(t, lap);
}

static noinline void sb_realloc_grow_run(struct sb_thread *t)
{
	sb_instances(t, sb_realloc_grow);
}

/*
 * Role 0 allocates and hands the objects round-robin to the other roles
 * through one ring each; they free them.
 */
static __always_inline void sb_produce(struct sb_thread *t, const int a,
				       const bool smp)
{
	const struct sb_job *job = t->job;
	unsigned int c = 0, nc = job->nr_cpus - 1, lap = sb_lap_calls(t);
	unsigned long i;
	void *p;

	for (i = 0; i < job->ops; i++) {
		struct sb_ring *ring = &sb_rings[c];

		SB_CALL(t, smp, lap, p = sb_alloc(a, job->size));
		if (unlikely(!p)) {
			sb_nomem(t);
			break;
		}
		sb_touch(p, i);
		/* Pairs with the consumer's release of tail: slot read. */
		while (ring->head - smp_load_acquire(&ring->tail) >= SB_RING)
			cpu_relax();
		ring->slot[ring->head & (SB_RING - 1)] = p;
		/* The slot, and the object's contents, before the new head. */
		smp_store_release(&ring->head, ring->head + 1);
		if (++c == nc)
			c = 0;
	}
	sb_lap_flush(t, lap);
	for (c = 0; c < nc; c++) {
		/* After the last head: a consumer that sees closed sees all. */
		smp_store_release(&sb_rings[c].closed, 1);
	}
}

static __always_inline void sb_consume(struct sb_thread *t, const int a,
				       const bool smp)
{
	struct sb_ring *ring = &sb_rings[t->role - 1];
	unsigned long head, tail = 0;
	unsigned int lap = sb_lap_calls(t);

	for (;;) {
		/* Pairs with the producer's release: the slots up to head. */
		head = smp_load_acquire(&ring->head);
		if (head == tail) {
			/* Pairs with the release of closed: the final head. */
			if (smp_load_acquire(&ring->closed) &&
			    READ_ONCE(ring->head) == tail)
				break;
			cpu_relax();
			continue;
		}
		for (; tail != head; tail++)
			SB_CALL(t, smp, lap,
				sb_free(a, ring->slot[tail & (SB_RING - 1)]));
		/* The slots are read: the producer may reuse them. */
		smp_store_release(&ring->tail, tail);
	}
	sb_lap_flush(t, lap);
}

static __always_inline void sb_remote(struct sb_thread *t, const int a,
				      const bool smp)
{
	if (t->role == 0)
		sb_produce(t, a, smp);
	else
		sb_consume(t, a, smp);
}

static noinline void sb_remote_run(struct sb_thread *t)
{
	sb_instances(t, sb_remote);
}

/* Lameter's slab_test remote free phase, round after round. */
static __always_inline void sb_slabtest(struct sb_thread *t, const int a,
					const bool smp)
{
	const struct sb_job *job = t->job;
	struct sb_thread *next = job->member[(t->role + 1) % job->nr_cpus];
	unsigned int i, n = job->n, lap;
	unsigned long done;

	for (done = 0; done < job->ops; done += n) {
		bool ok = sb_alloc_batch(t, a, smp, n, job->size);

		if (smp)
			sb_peak(t);
		sb_barrier(t);
		/* Neighbours that failed left nothing to free. */
		lap = sb_lap_calls(t);
		if (!READ_ONCE(next->err))
			for (i = 0; i < n; i++)
				SB_CALL(t, smp, lap, sb_free(a, next->obj[i]));
		sb_lap_flush(t, lap);
		sb_barrier(t);
		if (!ok || READ_ONCE(next->err))
			break;
	}
}

static noinline void sb_slabtest_run(struct sb_thread *t)
{
	sb_instances(t, sb_slabtest);
}

/* n live objects: pages taken; then freed, drained: pages still held. */
static __always_inline void sb_mem_size(struct sb_thread *t, const int a,
					const bool smp, const size_t size)
{
	unsigned int n = t->job->n;
	long base;

	sb_pause(t);
	if (a == SB_SMALLOC)
		smalloc_drain();
	base = sb_free_pages();
	sb_resume(t);
	if (!sb_alloc_batch(t, a, smp, n, size))
		return;
	sb_pause(t);
	t->mem_live = base - sb_free_pages();
	sb_resume(t);
	sb_free_batch(t, a, smp, n, SB_FIFO);
	sb_pause(t);
	if (a == SB_SMALLOC)
		smalloc_drain();
	t->mem_after = base - sb_free_pages();
	sb_resume(t);
}

static __always_inline void sb_mem(struct sb_thread *t, const int a,
				   const bool smp)
{
	sb_const_size(t, a, smp, sb_mem_size);
}

static noinline void sb_mem_run(struct sb_thread *t)
{
	sb_instances(t, sb_mem);
}

/*
 * Bulk: one bulk allocation of n objects, each written, one bulk free of
 * them, again and again.  A bulk call counts as n calls in the laps
 * (SB_CALL_N(): a lap is SB_LAP objects) but is one call in the sampled
 * run (p99_ns is of one bulk call); ns_per_op is per object (one
 * allocation and one free), as job->ops counts objects.
 */
static __always_inline void sb_bulk(struct sb_thread *t, const int a,
				    const bool smp)
{
	const struct sb_job *job = t->job;
	unsigned int i, n = job->n, lap = sb_lap_calls(t);
	void **obj = t->obj;
	unsigned long done;
	int got;

	for (done = 0; done < job->ops; done += n) {
		SB_CALL_N(t, smp, lap, n,
			  got = sb_alloc_bulk(a, job->cache, job->size, n, obj));
		if (unlikely(!got)) {
			sb_nomem(t);
			break;
		}
		for (i = 0; i < n; i++)
			sb_touch(obj[i], i);
		if (smp)
			sb_peak(t);
		SB_CALL_N(t, smp, lap, n, sb_free_bulk(a, n, obj));
	}
	sb_lap_flush(t, lap);
}

static noinline void sb_bulk_run(struct sb_thread *t)
{
	sb_instances(t, sb_bulk);
}

/*
 * RCU: n objects allocated with the clock stopped, then n sfree_rcu() or
 * kfree_rcu() calls timed, then, with the clock stopped again, the
 * allocator's RCU barrier (sb_rcu_barrier()), so that no more than n
 * objects wait for a grace period at a time.  The grace period is left
 * out for both allocators: ns_per_op is what the caller of the free pays,
 * per object, batching and the call_rcu() of full batches included, but
 * neither the wait nor the frees after it (those of a batch handed over
 * in the barrier included), which the barrier does untimed.  Only when a
 * grace period ends in the middle of a round can its callbacks' frees
 * land in a timed lap (smalloc's in softirq on this CPU; kfree_rcu()
 * frees from a kworker).  pages_peak is read just before the barrier,
 * with all n objects still held.
 */
static __always_inline void sb_rcu(struct sb_thread *t, const int a,
				   const bool smp)
{
	const struct sb_job *job = t->job;
	unsigned int i, n = job->n, lap;
	void **obj = t->obj;
	unsigned long done;

	for (done = 0; done < job->ops; done += n) {
		sb_pause(t);
		for (i = 0; i < n; i++) {
			obj[i] = sb_alloc(a, job->size);
			if (unlikely(!obj[i])) {
				sb_free_untimed(t, a, i);
				sb_nomem(t);
				sb_resume(t);
				return;
			}
			sb_touch(obj[i], i);
		}
		sb_resume(t);
		lap = sb_lap_calls(t);
		for (i = 0; i < n; i++)
			SB_CALL(t, smp, lap, sb_free_rcu(a, obj[i]));
		sb_lap_flush(t, lap);
		sb_pause(t);
		if (smp)
			sb_peak(t);
		sb_rcu_barrier(a);
		sb_resume(t);
	}
}

static noinline void sb_rcu_run(struct sb_thread *t)
{
	sb_instances(t, sb_rcu);
}

/*
 * Softirq context, entered as __do_softirq() enters it: SOFTIRQ_OFFSET
 * added to preempt_count, so in_serving_softirq() holds, no softirq can
 * start on this CPU and preemption is off, while hardirqs still come.
 * No softirq handler runs around it, so that the laps time the allocator
 * calls and two per-CPU adds, the same for both allocators.  What was
 * raised meanwhile runs at the next interrupt's exit.  On a kernel that
 * traces irq flags (lockdep) the entry and exit are instead the exported
 * calls that keep lockdep's view right, slower but the same for both.
 */
static __always_inline void sb_softirq_enter(void)
{
	if (IS_ENABLED(CONFIG_TRACE_IRQFLAGS)) {
		/*
		 * Lockdep tracks whether softirqs are on: tell it, as
		 * softirq_handle_begin() and lockdep_softirq_start() do, or
		 * its check_flags() sees softirqs on inside one.
		 */
		__local_bh_disable_ip(_THIS_IP_, SOFTIRQ_OFFSET);
		lockdep_softirq_enter();
		return;
	}
	__preempt_count_add(SOFTIRQ_OFFSET);
	barrier();
}

static __always_inline void sb_softirq_exit(void)
{
	if (IS_ENABLED(CONFIG_TRACE_IRQFLAGS)) {
		lockdep_softirq_exit();
		/*
		 * softirq_handle_end()'s __local_bh_enable() is not exported:
		 * end it as the end of a local_bh_disable() section, which
		 * turns lockdep's softirqs on again and runs what was raised.
		 */
		__preempt_count_add(SOFTIRQ_OFFSET);
		local_bh_enable();
		return;
	}
	barrier();
	__preempt_count_sub(SOFTIRQ_OFFSET);
}

/*
 * n objects (1 for pairs) allocated at one context level of this CPU and
 * freed at the other: GFP_ATOMIC in softirq, GFP_KERNEL in task context.
 * kmalloc's frees are its per-CPU slab's whichever the level; smalloc's
 * cross from one level's heap to the other's (smalloc_remote.c).  Laps
 * end only in task context.
 */
static __always_inline void sb_ctx_size(struct sb_thread *t, const int a,
					const bool smp, const size_t size)
{
	const struct sb_job *job = t->job;
	const bool s2t = job->dir == SB_CTX_S2T;
	unsigned int i, n = job->n, lap = sb_lap_calls(t);
	void **obj = t->obj;
	unsigned long done;

	for (done = 0; done < job->ops; done += n) {
		if (s2t)
			sb_softirq_enter();
		for (i = 0; i < n; i++) {
			SB_CALL_UNCOUNTED(t, smp, obj[i] = s2t ?
					  sb_alloc_atomic(a, size) :
					  sb_alloc(a, size));
			if (unlikely(!obj[i]))
				break;
			sb_touch(obj[i], i);
		}
		if (s2t)
			sb_softirq_exit();
		if (unlikely(i < n)) {
			sb_lap_flush(t, lap);
			sb_free_untimed(t, a, i);
			sb_nomem(t);
			return;
		}
		if (smp)
			sb_peak(t);
		if (!s2t)
			sb_softirq_enter();
		for (i = 0; i < n; i++)
			SB_CALL_UNCOUNTED(t, smp, sb_free(a, obj[i]));
		if (!s2t)
			sb_softirq_exit();
		sb_tick_n(t, &lap, 2 * n);
	}
	sb_lap_flush(t, lap);
}

static __always_inline void sb_ctx(struct sb_thread *t, const int a,
				   const bool smp)
{
	sb_const_size(t, a, smp, sb_ctx_size);
}

static noinline void sb_ctx_run(struct sb_thread *t)
{
	bool level;

	/* What the allocators will see: softirq context. */
	sb_softirq_enter();
	level = in_serving_softirq() && !in_task();
	sb_softirq_exit();
	if (WARN_ON_ONCE(!level)) {
		t->err = -EINVAL;
		return;
	}
	sb_instances(t, sb_ctx);
}

/*
 * Every thread of the job allocates n objects, then frees them, between
 * barriers; role 0 reads the free pages before and after (the clock
 * stopped), so mem_after is what the allocator kept of the burst once
 * nothing is live, on as many CPUs as the job has.
 */
static __always_inline void sb_scale_size(struct sb_thread *t, const int a,
					  const bool smp, const size_t size)
{
	const struct sb_job *job = t->job;
	long base = 0;

	sb_pause(t);
	sb_barrier(t);
	if (t->role == 0)
		base = sb_free_pages();
	sb_barrier(t);
	sb_resume(t);
	if (sb_alloc_batch(t, a, smp, job->n, size))
		sb_free_batch(t, a, smp, job->n, SB_FIFO);
	sb_pause(t);
	sb_barrier(t);
	/* Longer than smalloc's default idle_drain_ms, twice over. */
	if (t->role == 0 && job->idle)
		msleep(2 * MSEC_PER_SEC + 100);
	if (t->role == 0)
		t->mem_after = base - sb_free_pages();
	sb_resume(t);
}

static __always_inline void sb_scale(struct sb_thread *t, const int a,
				     const bool smp)
{
	sb_const_size(t, a, smp, sb_scale_size);
}

static noinline void sb_scale_run(struct sb_thread *t)
{
	sb_instances(t, sb_scale);
}

static void sb_body(struct sb_thread *t)
{
	switch (t->job->kind) {
	case SB_PAIRS:
		sb_pairs_run(t);
		break;
	case SB_BATCH:
		sb_batch_run(t);
		break;
	case SB_MIXED:
		sb_mixed_run(t);
		break;
	case SB_REALLOC:
		sb_realloc_grow_run(t);
		break;
	case SB_REMOTE:
		sb_remote_run(t);
		break;
	case SB_SLABTEST:
		sb_slabtest_run(t);
		break;
	case SB_MEM:
		sb_mem_run(t);
		break;
	case SB_BULK:
		sb_bulk_run(t);
		break;
	case SB_RCU:
		sb_rcu_run(t);
		break;
	case SB_CTX:
		sb_ctx_run(t);
		break;
	case SB_SCALE:
		sb_scale_run(t);
		break;
	}
}

/* ---------------------------------------------------------------- */
/* The thread pool                                                   */
/* ---------------------------------------------------------------- */

static void sb_thread_run(struct sb_thread *t, struct sb_job *job, int role)
{
	t->job = job;
	t->role = role;
	t->err = 0;
	t->nlaps = 0;
	t->lap_calls = 0;
	t->lap_ns = 0;
	t->nsamples = 0;
	t->seen = 0;
	t->stride = max_t(unsigned long, 1, job->calls / SB_SAMPLES);
	t->peak = 0;
	t->mem_live = 0;
	t->mem_after = 0;
	if (job->sampled)
		t->base = sb_free_pages();

	atomic_inc(&job->ready);
	while (atomic_read(&job->ready) < job->nr_cpus)
		cpu_relax();
	t->t0 = ktime_get_ns();
	sb_body(t);
	sb_lap_record(t, ktime_get_ns());
}

static int sb_role(const struct sb_job *job, unsigned int cpu)
{
	unsigned int i;

	for (i = 0; i < job->nr_cpus; i++)
		if (job->cpus[i] == cpu)
			return i;
	return -1;
}

static int sb_thread_fn(void *arg)
{
	struct sb_thread *t = arg;

	for (;;) {
		struct sb_job *job;
		int role;

		wait_event_idle(sb_wq, kthread_should_stop() ||
				READ_ONCE(sb_gen) != t->gen);
		if (kthread_should_stop())
			break;
		/* Pairs with sb_exec()'s release: the job is set up. */
		t->gen = smp_load_acquire(&sb_gen);
		job = READ_ONCE(sb_cur);
		role = sb_role(job, t->cpu);
		if (role < 0)
			continue;
		sb_thread_run(t, job, role);
		if (atomic_dec_and_test(&job->pending))
			complete(&job->done);
	}
	return 0;
}

static void sb_pool_stop(void)
{
	unsigned int i;

	for (i = 0; i < sb_nr_threads; i++) {
		if (sb_threads[i].task)
			kthread_stop(sb_threads[i].task);
		vfree(sb_threads[i].obj);
		vfree(sb_threads[i].samples);
		vfree(sb_threads[i].laps);
	}
	kfree(sb_threads);
	sb_threads = NULL;
	sb_nr_threads = 0;
}

static int sb_pool_start(void)
{
	unsigned int c;

	sb_threads = kcalloc(num_online_cpus(), sizeof(*sb_threads), GFP_KERNEL);
	if (!sb_threads)
		return -ENOMEM;
	for_each_online_cpu(c) {
		struct sb_thread *t = &sb_threads[sb_nr_threads];

		if (sb_nr_threads == min_t(unsigned int, num_online_cpus(),
					   SB_MAX_THREADS))
			break;
		sb_nr_threads++;
		t->cpu = c;
		t->obj = vmalloc(array_size(SB_MAX_LIVE, sizeof(void *)));
		t->samples = vmalloc(array_size(SB_SAMPLES, sizeof(u32)));
		t->laps = vmalloc(array_size(SB_MAX_LAPS, sizeof(*t->laps)));
		if (!t->obj || !t->samples || !t->laps)
			goto fail;
		t->task = kthread_create_on_cpu(sb_thread_fn, t, c, "smalloc_bench/%u");
		if (IS_ERR(t->task)) {
			t->task = NULL;
			goto fail;
		}
		wake_up_process(t->task);
	}
	return 0;
fail:
	sb_pool_stop();
	return -ENOMEM;
}

static struct sb_thread *sb_thread_on(unsigned int c)
{
	unsigned int i;

	for (i = 0; i < sb_nr_threads; i++)
		if (sb_threads[i].cpu == c)
			return &sb_threads[i];
	return NULL;
}

/* One run of @job with allocator @a on its threads; 0 or an errno. */
static int sb_exec(struct sb_job *job, int a, bool sampled)
{
	unsigned int i;
	int err = 0;

	job->alloc = a;
	job->sampled = sampled;
	atomic_set(&job->ready, 0);
	atomic_set(&job->pending, job->nr_cpus);
	atomic_set(&job->bar_count, 0);
	job->bar_gen = 0;
	init_completion(&job->done);
	for (i = 0; i < job->nr_cpus; i++) {
		memset(&sb_rings[i], 0, offsetof(struct sb_ring, slot));
		job->member[i] = sb_thread_on(job->cpus[i]);
	}
	WRITE_ONCE(sb_cur, job);
	/* The job and the rings before the new generation. */
	smp_store_release(&sb_gen, sb_gen + 1);
	wake_up_all(&sb_wq);
	wait_for_completion(&job->done);
	for (i = 0; i < job->nr_cpus; i++)
		err = err ?: job->member[i]->err;
	return err;
}

/* ---------------------------------------------------------------- */
/* Results                                                           */
/* ---------------------------------------------------------------- */

struct sb_result {
	u64 ns10[SB_MAX_REPEATS];	/* ns/op x 10 per timed repeat */
	unsigned int laps, dropped;
	long live[SB_MAX_REPEATS];
	long after[SB_MAX_REPEATS];
	long first_after;		/* the warm-up run's */
	u64 p99;
	long peak;
};

static int sb_cmp_u32(const void *a, const void *b);

/*
 * A thread's run without the laps the host cut into: the median lap cost
 * per call, and every lap slower than SB_GAP_FACTOR times that plus
 * SB_GAP_NS left out.
 */
static void sb_filter_laps(struct sb_thread *t)
{
	unsigned int i, n = t->nlaps;
	u64 med, limit;

	t->kept_ns = 0;
	t->kept_calls = 0;
	t->calls = 0;
	t->dropped = 0;
	if (!n)
		return;
	for (i = 0; i < n; i++)
		sb_merge[i] = div_u64((u64)t->laps[i].ns * SB_LAP,
				      max(t->laps[i].calls, 1U));
	sort(sb_merge, n, sizeof(u32), sb_cmp_u32, NULL);
	med = sb_merge[n / 2];
	for (i = 0; i < n; i++) {
		const struct sb_lap *lap = &t->laps[i];

		t->calls += lap->calls;
		limit = div_u64(SB_GAP_FACTOR * med * lap->calls, SB_LAP) +
			SB_GAP_NS;
		if (lap->ns > limit) {
			t->dropped++;
			continue;
		}
		t->kept_ns += lap->ns;
		t->kept_calls += lap->calls;
	}
}

/* A thread's time per op x 10 in the run just finished. */
static u64 sb_thread_ns10(const struct sb_thread *t, unsigned long ops)
{
	if (!t->kept_calls || !ops)
		return 0;
	return div64_u64(div64_u64(t->kept_ns * t->calls * 10, t->kept_calls),
			 ops);
}

/* ns/op x 10 of the run just finished; counts its laps in @res. */
static u64 sb_ns10(const struct sb_job *job, struct sb_result *res)
{
	unsigned int i, n = job->nr_cpus;
	u64 sum = 0;

	for (i = 0; i < n; i++) {
		sb_filter_laps(job->member[i]);
		res->laps += job->member[i]->nlaps;
		res->dropped += job->member[i]->dropped;
	}
	/* Remote: per object, which is one call of the producer. */
	if (job->kind == SB_REMOTE)
		return sb_thread_ns10(job->member[0], job->ops);
	for (i = 0; i < n; i++)
		sum += sb_thread_ns10(job->member[i], job->ops);
	return div_u64(sum, n);
}

static int sb_cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

static int sb_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static int sb_cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/* p99 and pages of the sampled run just finished. */
static void sb_collect_sampled(const struct sb_job *job, struct sb_result *res)
{
	unsigned int i, n = 0;
	u64 p99;

	res->peak = 0;
	for (i = 0; i < job->nr_cpus; i++) {
		const struct sb_thread *t = job->member[i];

		memcpy(sb_merge + n, t->samples, t->nsamples * sizeof(u32));
		n += t->nsamples;
		res->peak = max(res->peak, t->peak);
	}
	res->p99 = 0;
	if (!n)
		return;
	sort(sb_merge, n, sizeof(u32), sb_cmp_u32, NULL);
	p99 = sb_merge[min(n - 1, n * 99 / 100)];
	res->p99 = sb_stamp_ns(p99 > sb_clock_cost ? p99 - sb_clock_cost : 0);
}

static u64 sb_median_u64(u64 *v, unsigned int n)
{
	sort(v, n, sizeof(*v), sb_cmp_u64, NULL);
	return n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static long sb_median_long(long *v, unsigned int n)
{
	sort(v, n, sizeof(*v), sb_cmp_long, NULL);
	return n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void sb_print_raw(const struct sb_job *job, int a,
			 const struct sb_result *res)
{
	char buf[SB_MAX_REPEATS * 36 + 16];
	unsigned int r, len = 0;

	for (r = 0; r < repeats; r++)
		len += scnprintf(buf + len, sizeof(buf) - len, "%s%llu.%llu",
				 r ? ";" : "", res->ns10[r] / 10,
				 res->ns10[r] % 10);
	if (job->kind == SB_MEM) {
		for (r = 0; r < repeats; r++)
			len += scnprintf(buf + len, sizeof(buf) - len, "%s%ld/%ld",
					 r ? ";" : " pages ", res->live[r],
					 res->after[r]);
	}
	pr_info(SB_RAW "%s,%zu,%u,%s,%s,%u/%u\n", job->name, job->size,
		job->nr_cpus, sb_alloc_name[a], buf, res->dropped, res->laps);
}

static void sb_report(struct sb_job *job, struct sb_result res[SB_NR_ALLOC])
{
	int a;

	for (a = 0; a < SB_NR_ALLOC; a++) {
		struct sb_result *r = &res[a];
		u64 ns10;

		if (raw)
			sb_print_raw(job, a, r);
		ns10 = sb_median_u64(r->ns10, repeats);
		if (job->kind == SB_MEM) {
			pr_info(SB_CSV "mem-live,%zu,%u,%s,%u,%llu.%llu,%llu,%ld\n",
				job->size, job->nr_cpus, sb_alloc_name[a],
				job->n, ns10 / 10, ns10 % 10, r->p99,
				sb_median_long(r->live, repeats));
			pr_info(SB_CSV "mem-after-free,%zu,%u,%s,%u,,,%ld\n",
				job->size, job->nr_cpus, sb_alloc_name[a],
				job->n, r->first_after);
			continue;
		}
		pr_info(SB_CSV "%s,%zu,%u,%s,%lu,%llu.%llu,%llu,%ld\n",
			job->name, job->size, job->nr_cpus, sb_alloc_name[a],
			job->ops * (job->kind == SB_REMOTE ? 1 : job->nr_cpus),
			ns10 / 10, ns10 % 10, r->p99,
			job->kind == SB_SCALE ? r->first_after : r->peak);
	}
}

/*
 * Profile mode: QEMU's TCG plugin (scripts/bench.sh, BENCH_PROFILE=1)
 * counts the instructions and memory accesses every guest block executes
 * between these two markers, "nopw 0x5a110c01(%rax,%rax,1)" and ...02, a
 * window per run.  On anything else they are the no-ops they look like.
 */
static noinline void sb_profile_mark(bool start)
{
#ifdef CONFIG_X86_64
	if (start)
		asm volatile(".byte 0x66, 0x0f, 0x1f, 0x84, 0x00, 0x01, 0x0c, 0x11, 0x5a"
			     ::: "memory");
	else
		asm volatile(".byte 0x66, 0x0f, 0x1f, 0x84, 0x00, 0x02, 0x0c, 0x11, 0x5a"
			     ::: "memory");
#endif
}

/* One run per allocator, each in a profile window. */
static int sb_profile_job(struct sb_job *job)
{
	static unsigned int window;
	int a, err = 0;

	for (a = 0; a < SB_NR_ALLOC && !err; a++)
		err = sb_exec(job, a, false);
	for (a = 0; a < SB_NR_ALLOC && !err; a++) {
		sb_profile_mark(true);
		err = sb_exec(job, a, false);
		sb_profile_mark(false);
		pr_info(SB_PROF "%u,%s,%zu,%u,%s,%lu\n", window++, job->name,
			job->size, job->nr_cpus, sb_alloc_name[a],
			job->ops * (job->kind == SB_REMOTE ? 1 : job->nr_cpus));
	}
	return err;
}

/* Warm-up, interleaved timed repeats, sampled runs; print the results. */
static int sb_run_job(struct sb_job *job)
{
	struct sb_result *res;
	unsigned int r, k;
	int a, err = 0;

	if (profile)
		return sb_profile_job(job);
	res = kcalloc(SB_NR_ALLOC, sizeof(*res), GFP_KERNEL);
	if (!res)
		return -ENOMEM;
	for (a = 0; a < SB_NR_ALLOC && !err; a++) {
		err = sb_exec(job, a, false);
		res[a].first_after = job->member[0]->mem_after;
	}
	for (r = 0; r < repeats && !err; r++) {
		for (k = 0; k < SB_NR_ALLOC && !err; k++) {
			a = (r & 1) ? SB_NR_ALLOC - 1 - k : k;
			err = sb_exec(job, a, false);
			res[a].ns10[r] = sb_ns10(job, &res[a]);
			res[a].live[r] = job->member[0]->mem_live;
			res[a].after[r] = job->member[0]->mem_after;
		}
	}
	for (a = 0; a < SB_NR_ALLOC && !err; a++) {
		err = sb_exec(job, a, true);
		sb_collect_sampled(job, &res[a]);
	}
	if (!err)
		sb_report(job, res);
	else
		pr_err("%s size %zu on %u CPUs: error %d\n", job->name,
		       job->size, job->nr_cpus, err);
	kfree(res);
	return err;
}

/* ---------------------------------------------------------------- */
/* The workload list                                                 */
/* ---------------------------------------------------------------- */

static unsigned long sb_scaled(unsigned long ops, unsigned int multiple)
{
	ops = div_u64((u64)ops * scale, 100);
	return max_t(unsigned long, roundup(ops, multiple), multiple);
}

/* A job on the first @nr_cpus online CPUs, or on sb_cpu if 1. */
static void sb_job_init(struct sb_job *job, const char *name,
			enum sb_kind kind, size_t size, unsigned int nr_cpus)
{
	unsigned int i = 0, c;

	memset(job, 0, sizeof(*job));
	strscpy(job->name, name, sizeof(job->name));
	job->kind = kind;
	job->size = size;
	job->nr_cpus = nr_cpus;
	if (nr_cpus == 1) {
		job->cpus[0] = sb_cpu;
		return;
	}
	for_each_online_cpu(c) {
		if (i == nr_cpus)
			break;
		if (sb_thread_on(c))
			job->cpus[i++] = c;
	}
	job->nr_cpus = i;
}

/* A fixed permutation of 0..n-1 for the shuffled frees. */
static void sb_shuffle(unsigned int n)
{
	struct rnd_state rnd;
	unsigned int i, j;

	prandom_seed_state(&rnd, SB_SEED + n);
	for (i = 0; i < n; i++)
		sb_perm[i] = i;
	for (i = n - 1; i > 0; i--) {
		j = prandom_u32_state(&rnd) % (i + 1);
		swap(sb_perm[i], sb_perm[j]);
	}
}

static bool sb_group(const char *name)
{
	const char *p = groups;
	size_t len = strlen(name);

	if (!strcmp(groups, "all"))
		return true;
	while ((p = strstr(p, name))) {
		if ((p == groups || p[-1] == ',') &&
		    (p[len] == '\0' || p[len] == ','))
			return true;
		p += len;
	}
	return false;
}

static int sb_group_pairs(struct sb_job *job)
{
	static const size_t sizes[] = { 8, 16, 32, 64, 128, 256, 512, 1024,
					2048, 4096 };
	unsigned int i;
	int err = 0;

	for (i = 0; i < ARRAY_SIZE(sizes) && !err; i++) {
		sb_job_init(job, "pairs", SB_PAIRS, sizes[i], 1);
		job->ops = sb_scaled(200000, SB_LAP);
		job->calls = 2 * job->ops;
		err = sb_run_job(job);
	}
	return err;
}

static int sb_group_batch(struct sb_job *job)
{
	static const char *const order[] = { "lifo", "fifo", "shuf" };
	static const unsigned int ns[] = { 100, 1000, 10000 };
	unsigned int i, o;
	char name[32];
	int err = 0;

	for (i = 0; i < ARRAY_SIZE(ns) && !err; i++) {
		sb_shuffle(ns[i]);
		for (o = 0; o < ARRAY_SIZE(order) && !err; o++) {
			snprintf(name, sizeof(name), "batch-%s-n%u", order[o],
				 ns[i]);
			sb_job_init(job, name, SB_BATCH, 64, 1);
			job->order = o;
			job->n = ns[i];
			job->ops = sb_scaled(200000, ns[i]);
			job->calls = 2 * job->ops;
			err = sb_run_job(job);
		}
	}
	return err;
}

static int sb_group_churn(struct sb_job *job)
{
	static const size_t sizes[] = { 16, 64, 256, 1024 };
	static const unsigned int pages[] = { 1, 2, 4 };
	unsigned int i, k;
	char name[32];
	int err = 0;

	for (i = 0; i < ARRAY_SIZE(sizes) && !err; i++) {
		for (k = 0; k < ARRAY_SIZE(pages) && !err; k++) {
			snprintf(name, sizeof(name), "churn-%upage%s", pages[k],
				 pages[k] > 1 ? "s" : "");
			sb_job_init(job, name, SB_BATCH, sizes[i], 1);
			job->order = SB_FIFO;
			job->n = pages[k] * PAGE_SIZE / sizes[i];
			job->ops = sb_scaled(200000, job->n);
			job->calls = 2 * job->ops;
			err = sb_run_job(job);
		}
	}
	return err;
}

static int sb_group_mixed(struct sb_job *job)
{
	sb_job_init(job, "mixed", SB_MIXED, 0, 1);
	job->ops = sb_scaled(200000, SB_LAP);
	job->calls = 2 * job->ops;
	return sb_run_job(job);
}

static int sb_group_realloc(struct sb_job *job)
{
	sb_job_init(job, "realloc", SB_REALLOC, SB_APPENDS * SB_APPEND, 1);
	job->ops = sb_scaled(200000, SB_APPENDS - 1);
	job->calls = job->ops + 2 * job->ops / (SB_APPENDS - 1);
	return sb_run_job(job);
}

/*
 * The CPU counts the concurrent groups run at: 2 and all of them, and in
 * profile mode every power of two from 2 to 16 that is online, so that
 * the per-op counts show how each allocator scales (issue 15).  Return:
 * how many counts were written to @counts (room for 5).
 */
static unsigned int sb_cpu_counts(unsigned int *counts)
{
	unsigned int n = 0, c;

	if (!profile) {
		counts[n++] = 2;
		if (sb_nr_threads > 2)
			counts[n++] = sb_nr_threads;
		return sb_nr_threads < 2 ? 0 : n;
	}
	for (c = 2; c <= 16 && c <= sb_nr_threads; c *= 2)
		counts[n++] = c;
	return n;
}

static int sb_group_conc(struct sb_job *job)
{
	unsigned int counts[5], nc = sb_cpu_counts(counts), i;
	int err = 0;

	for (i = 0; i < nc && !err; i++) {
		sb_job_init(job, "conc-pairs", SB_PAIRS, 64, counts[i]);
		job->ops = sb_scaled(200000, SB_LAP);
		job->calls = 2 * job->ops;
		err = sb_run_job(job);
		if (err)
			break;
		sb_job_init(job, "conc-batch-n1000", SB_BATCH, 64, counts[i]);
		job->order = SB_LIFO;
		job->n = 1000;
		job->ops = sb_scaled(200000, job->n);
		job->calls = 2 * job->ops;
		err = sb_run_job(job);
	}
	return err;
}

static int sb_group_remote(struct sb_job *job)
{
	unsigned int counts[5], nc = sb_cpu_counts(counts), i;
	int err = 0;

	if (sb_nr_threads < 2)
		return 0;
	sb_job_init(job, "remote-pc", SB_REMOTE, 64, 2);
	job->ops = sb_scaled(200000, SB_LAP);
	job->calls = job->ops;
	err = sb_run_job(job);
	for (i = 0; i < nc && !err; i++) {
		if (counts[i] <= 2)
			continue;
		sb_job_init(job, "remote-1toN", SB_REMOTE, 64, counts[i]);
		job->ops = sb_scaled(200000, SB_LAP);
		job->calls = job->ops;
		err = sb_run_job(job);
	}
	for (i = 0; i < nc && !err; i++) {
		sb_job_init(job, "slabtest-remote", SB_SLABTEST, 64, counts[i]);
		job->n = 10000;
		job->ops = sb_scaled(100000, job->n);
		job->calls = 2 * job->ops;
		err = sb_run_job(job);
	}
	return err;
}

static int sb_group_memory(struct sb_job *job)
{
	static const size_t sizes[] = { 48, 64, 80, 112, 192, 1000 };
	unsigned int i;
	int err = 0;

	for (i = 0; i < ARRAY_SIZE(sizes) && !err; i++) {
		sb_job_init(job, "mem", SB_MEM, sizes[i], 1);
		job->n = SB_MAX_LIVE;
		job->ops = job->n;
		job->calls = 2 * job->ops;
		err = sb_run_job(job);
	}
	return err;
}

/*
 * The kmalloc cache kmalloc(size, GFP_KERNEL) takes its objects from:
 * kmalloc_caches is exported, and with CONFIG_RANDOM_KMALLOC_CACHES off
 * (Debian's 6.12) GFP_KERNEL maps to KMALLOC_NORMAL.  The size is not a
 * constant here, hence __kmalloc_index(size, false).
 */
static struct kmem_cache *sb_kmalloc_cache(size_t size)
{
	return kmalloc_caches[kmalloc_type(GFP_KERNEL, 0)]
			     [__kmalloc_index(size, false)];
}

static int sb_group_bulk(struct sb_job *job)
{
	static const size_t sizes[] = { 64, 256 };
	static const unsigned int ns[] = { 16, 64 };	/* divide SB_LAP */
	unsigned int i, k;
	char name[32];
	int err = 0;

	for (i = 0; i < ARRAY_SIZE(sizes) && !err; i++) {
		for (k = 0; k < ARRAY_SIZE(ns) && !err; k++) {
			snprintf(name, sizeof(name), "bulk-n%u", ns[k]);
			sb_job_init(job, name, SB_BULK, sizes[i], 1);
			job->cache = sb_kmalloc_cache(sizes[i]);
			if (!job->cache)
				return -ENOENT;
			job->n = ns[k];
			job->ops = sb_scaled(200000, ns[k]);
			/* For the sampling stride: bulk calls. */
			job->calls = 2 * job->ops / ns[k];
			err = sb_run_job(job);
		}
	}
	return err;
}

static int sb_group_rcu(struct sb_job *job)
{
	static const unsigned int ns[] = { 1000, 10000 };
	unsigned int k;
	char name[32];
	int err = 0;

	BUILD_BUG_ON(sizeof(struct sb_rcu_obj) > 64);
	for (k = 0; k < ARRAY_SIZE(ns) && !err; k++) {
		snprintf(name, sizeof(name), "rcu-n%u", ns[k]);
		sb_job_init(job, name, SB_RCU, 64, 1);
		job->n = ns[k];
		job->ops = sb_scaled(20000, ns[k]);
		job->calls = job->ops;
		err = sb_run_job(job);
	}
	return err;
}

static int sb_group_ctx(struct sb_job *job)
{
	static const char *const dir[] = { "ctx-softirq-to-task",
					   "ctx-task-to-softirq" };
	static const unsigned int ns[] = { 1, 64 };	/* 2n divides SB_LAP */
	unsigned int d, k;
	char name[32];
	int err = 0;

	for (d = 0; d < ARRAY_SIZE(dir) && !err; d++) {
		for (k = 0; k < ARRAY_SIZE(ns) && !err; k++) {
			if (ns[k] == 1)
				strscpy(name, dir[d], sizeof(name));
			else
				snprintf(name, sizeof(name), "%s-n%u", dir[d],
					 ns[k]);
			sb_job_init(job, name, SB_CTX, 64, 1);
			job->dir = d;
			job->n = ns[k];
			job->ops = sb_scaled(200000, SB_LAP);
			job->calls = 2 * job->ops;
			err = sb_run_job(job);
		}
	}
	return err;
}

static int sb_group_scale(struct sb_job *job)
{
	static const unsigned int counts[] = { 1, 2, 4, 8, 16 };
	unsigned int i;
	int err = 0;

	for (i = 0; i < ARRAY_SIZE(counts) && !err; i++) {
		if (counts[i] > sb_nr_threads)
			break;
		sb_job_init(job, "scale-burst", SB_SCALE, 64, counts[i]);
		job->n = 20000;
		job->ops = job->n;
		job->calls = 2 * job->ops;
		err = sb_run_job(job);
		if (err)
			break;
		/* The same, two idle intervals later: what stays for good. */
		sb_job_init(job, "scale-idle", SB_SCALE, 64, counts[i]);
		job->idle = true;
		job->n = 20000;
		job->ops = job->n;
		job->calls = 2 * job->ops;
		err = sb_run_job(job);
	}
	return err;
}

static const struct {
	const char *name;
	int (*run)(struct sb_job *job);
} sb_groups[] = {
	{ "pairs", sb_group_pairs },
	{ "batch", sb_group_batch },
	{ "churn", sb_group_churn },
	{ "mixed", sb_group_mixed },
	{ "realloc", sb_group_realloc },
	{ "conc", sb_group_conc },
	{ "remote", sb_group_remote },
	{ "memory", sb_group_memory },
	{ "bulk", sb_group_bulk },
	{ "rcu", sb_group_rcu },
	{ "ctx", sb_group_ctx },
	{ "scale", sb_group_scale },
};

/* ---------------------------------------------------------------- */
/* Module life                                                       */
/* ---------------------------------------------------------------- */

static void sb_tables_init(void)
{
	struct rnd_state rnd;
	unsigned int i, octave, base;

	prandom_seed_state(&rnd, SB_SEED);
	for (i = 0; i < SB_TAB; i++) {
		/* Log-uniform over 8..1024: an octave, then a size in it. */
		octave = prandom_u32_state(&rnd) % 7;
		base = 8U << octave;
		sb_mixed_size[i] = base + prandom_u32_state(&rnd) % (base + 1);
		sb_mixed_slot[i] = prandom_u32_state(&rnd) % SB_MIXED_LIVE;
	}
}

/* The TSC cycles of an empty timed call: the median of a few hundred. */
static void sb_clock_init(void)
{
	u64 v[101];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(v); i++) {
		u64 c0 = sb_stamp();

		v[i] = sb_stamp() - c0;
	}
	sb_clock_cost = sb_median_u64(v, ARRAY_SIZE(v));
}

static void sb_free_tables(void)
{
	vfree(sb_perm);
	vfree(sb_mixed_size);
	vfree(sb_mixed_slot);
	vfree(sb_rings);
	vfree(sb_merge);
}

static int __init sb_init(void)
{
	struct sb_job *job;
	unsigned int i, ran = 0;
	ktime_t t0 = ktime_get();
	int err = 0;

	if (!repeats || repeats > SB_MAX_REPEATS) {
		pr_err("repeats must be 1..%d\n", SB_MAX_REPEATS);
		return -EINVAL;
	}
	if (!scale) {
		pr_err("scale must be > 0\n");
		return -EINVAL;
	}
	sb_perm = vmalloc(array_size(SB_MAX_LIVE, sizeof(*sb_perm)));
	sb_mixed_size = vmalloc(array_size(SB_TAB, sizeof(*sb_mixed_size)));
	sb_mixed_slot = vmalloc(array_size(SB_TAB, sizeof(*sb_mixed_slot)));
	sb_rings = vzalloc(array_size(SB_MAX_THREADS, sizeof(*sb_rings)));
	sb_merge = vmalloc(array_size(SB_SAMPLES * SB_MAX_THREADS, sizeof(u32)));
	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!sb_perm || !sb_mixed_size || !sb_mixed_slot || !sb_rings ||
	    !sb_merge || !job) {
		err = -ENOMEM;
		goto out;
	}
	sb_tables_init();
	sb_clock_init();
	err = sb_pool_start();
	if (err)
		goto out;
	sb_cpu = cpu;
	if (sb_cpu < 0 || !sb_thread_on(sb_cpu))
		sb_cpu = sb_nr_threads > 1 ? sb_threads[1].cpu : sb_threads[0].cpu;

	pr_info("groups=%s repeats=%u scale=%u%%, %u CPUs (one-CPU workloads on CPU %d), clock cost %llu cycles, tsc_khz %u\n",
		groups, repeats, scale, sb_nr_threads, sb_cpu, sb_clock_cost,
		IS_ENABLED(CONFIG_X86_TSC) ? tsc_khz : 0);
	pr_info("policy: init_on_alloc=%d init_on_free=%d; kmalloc: SLAB_FREELIST_HARDENED=%d SLAB_FREELIST_RANDOM=%d\n",
		want_init_on_alloc(GFP_KERNEL), want_init_on_free(),
		IS_ENABLED(CONFIG_SLAB_FREELIST_HARDENED),
		IS_ENABLED(CONFIG_SLAB_FREELIST_RANDOM));

	for (i = 0; i < ARRAY_SIZE(sb_groups) && !err; i++) {
		if (!sb_group(sb_groups[i].name))
			continue;
		err = sb_groups[i].run(job);
		ran++;
	}
	if (!ran && !err) {
		pr_err("no workload group matches '%s'\n", groups);
		err = -EINVAL;
	}
	pr_info("done in %lld ms\n", ktime_ms_delta(ktime_get(), t0));
	if (err)
		pr_err(SB_ERR "groups=%s: error %d\n", groups, err);
	sb_pool_stop();
	/*
	 * The workloads ran: load even if one failed, since busybox insmod
	 * runs a failing init a second time.  SB_ERR says what went wrong.
	 */
	err = 0;
out:
	kfree(job);
	sb_free_tables();
	return err;
}

static void __exit sb_exit(void)
{
}

module_init(sb_init);
module_exit(sb_exit);

MODULE_DESCRIPTION("smalloc against kmalloc: in-kernel benchmark");
MODULE_LICENSE("GPL");
