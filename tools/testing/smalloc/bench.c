// SPDX-License-Identifier: GPL-2.0-only
/*
 * One measurement of one workload with one allocator, for bench.sh.
 *
 * The allocator under test is reached through function pointers, the same
 * way for all of them: "smalloc" is this binary's user-space build of the
 * kernel sources (the fast harness: each thread owns one CPU, preemption
 * control is a thread-local counter, no interrupts), called as
 * smalloc(size, GFP_KERNEL)/sfree()/srealloc(); "glibc", "mimalloc",
 * "jemalloc" and "tcmalloc" are malloc/free/realloc of whichever library
 * bench.sh preloaded (checked here: a run never silently measures glibc).
 * "null" hands out one static buffer: the loop and call overhead, for the
 * callgrind count.
 *
 * Workloads (the seeds' list): churn of N objects then N frees (one 4 KiB
 * page worth of 16/64/256 B, and four pages), the 1024 B control, pairs
 * (malloc then free), LIFO batches, interleaved random alloc/free over a
 * pool, multi-size batches, realloc growth, multi-threaded churn, remote
 * free (one thread allocates, another frees) and larson (threads replace
 * random objects, then hand their arrays on); and the same CPU in another
 * context (ctx-softirq-to-task, ctx-task-to-softirq: pairs and batches of
 * 64, one side run as the CPU's softirq handler).  ops are malloc+free
 * pairs (for realloc: realloc calls).
 *
 * Usage: smalloc_bench -a ALLOCATOR -w WORKLOAD [-s SIZE] [-t THREADS]
 *                      [-n OPS] [-R]
 * (-R: smalloc's random_order=0, blocks carved in address order)
 * Prints: workload,size,threads,allocator,ops_per_sec
 */
#include <dlfcn.h>
#include <getopt.h>
#include <sched.h>
#include <time.h>

#include "../../../smalloc_internal.h"

struct allocator {
	const char *name;
	const char *symbol;		/* must resolve if preloaded */
	void *(*alloc)(size_t size);
	void (*free)(void *p);
	void *(*realloc)(void *p, size_t size);
};

static void *s_alloc(size_t size)
{
	return smalloc(size, GFP_KERNEL);
}

static void s_free(void *p)
{
	sfree(p);
}

static void *s_realloc(void *p, size_t size)
{
	return srealloc(p, size, GFP_KERNEL);
}

static char null_buf[65536] __attribute__((aligned(64)));

static void *null_alloc(size_t size)
{
	return null_buf;
}

static void null_free(void *p)
{
}

static void *null_realloc(void *p, size_t size)
{
	return null_buf;
}

static const struct allocator allocators[] = {
	{ "smalloc", NULL, s_alloc, s_free, s_realloc },
	{ "glibc", NULL, malloc, free, realloc },
	{ "mimalloc", "mi_malloc", malloc, free, realloc },
	{ "jemalloc", "mallctl", malloc, free, realloc },
	{ "tcmalloc", "tc_malloc", malloc, free, realloc },
	{ "null", NULL, null_alloc, null_free, null_realloc },
};

static const struct allocator *A;
static bool is_smalloc;

/* A thread's CPU, for smalloc; the others do not care. */
static void bind_cpu(unsigned int cpu)
{
	if (is_smalloc)
		harness_set_cpu(cpu);
}

static inline u64 rnd(u64 *s)
{
	u64 x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static inline void touch(void *p)
{
	*(volatile char *)p = 1;
}

/* ---------------------------------------------------------------- */
/* Single-threaded workloads: each returns the ops it did            */
/* ---------------------------------------------------------------- */

static void *objs[1 << 16];

static unsigned long churn(size_t size, unsigned long ops, unsigned int n)
{
	unsigned long done = 0;
	unsigned int i;

	while (done < ops) {
		for (i = 0; i < n; i++) {
			objs[i] = A->alloc(size);
			touch(objs[i]);
		}
		for (i = 0; i < n; i++)
			A->free(objs[i]);
		done += n;
	}
	return done;
}

static unsigned long pairs(size_t size, unsigned long ops)
{
	unsigned long i;

	for (i = 0; i < ops; i++) {
		void *p = A->alloc(size);

		touch(p);
		A->free(p);
	}
	return ops;
}

static unsigned long lifo(size_t size, unsigned long ops)
{
	const unsigned int batch = 100;
	unsigned long done = 0;
	unsigned int i;

	while (done < ops) {
		for (i = 0; i < batch; i++) {
			objs[i] = A->alloc(size);
			touch(objs[i]);
		}
		for (i = batch; i-- > 0;)
			A->free(objs[i]);
		done += batch;
	}
	return done;
}

/*
 * Batches of 64 allocated and freed: "batch" one call per object for every
 * allocator; "bulk" the same with smalloc_bulk()/sfree_bulk() for smalloc
 * (the others have no bulk API and run the loop).  smalloc's bulk against
 * its own batch row is what one taking of the heap per batch saves.
 */
#define BATCH	64

static unsigned long batch(size_t size, unsigned long ops, bool bulk)
{
	unsigned long done = 0;
	unsigned int i;

	while (done < ops) {
		if (bulk && is_smalloc) {
			if (smalloc_bulk(size, GFP_KERNEL, BATCH, objs) != BATCH)
				abort();
		} else {
			for (i = 0; i < BATCH; i++)
				objs[i] = A->alloc(size);
		}
		for (i = 0; i < BATCH; i++)
			touch(objs[i]);
		if (bulk && is_smalloc) {
			sfree_bulk(BATCH, objs);
		} else {
			for (i = 0; i < BATCH; i++)
				A->free(objs[i]);
		}
		done += BATCH;
	}
	return done;
}

/*
 * The same CPU, another context: network receive allocates in softirq and
 * the reader frees in task context (@s2t), timers free in softirq what a
 * task allocated.  n objects (1: pairs) allocated at one level, freed at
 * the other.  For smalloc the thread acts as its CPU's softirq handler for
 * one side: it sets its context level, one thread-local store each way as
 * the kernel's SOFTIRQ_OFFSET add to preempt_count is one per-CPU add.
 * The other allocators have no levels, and run the same loop.
 */
static inline void ctx_softirq(bool on)
{
	if (is_smalloc)
		harness_ctx = on ? HARNESS_CTX_SOFTIRQ : HARNESS_CTX_TASK;
	barrier();
}

static unsigned long ctx_cross(size_t size, unsigned long ops, unsigned int n,
			       bool s2t)
{
	unsigned long done = 0;
	unsigned int i;

	/* Pairs: pairs()'s loop, with the level switches. */
	for (; n == 1 && done < ops; done++) {
		void *p;

		ctx_softirq(s2t);
		p = A->alloc(size);
		touch(p);
		ctx_softirq(!s2t);
		A->free(p);
	}
	while (done < ops) {
		ctx_softirq(s2t);
		for (i = 0; i < n; i++) {
			objs[i] = A->alloc(size);
			touch(objs[i]);
		}
		ctx_softirq(!s2t);
		for (i = 0; i < n; i++)
			A->free(objs[i]);
		done += n;
	}
	ctx_softirq(false);
	return done;
}

/* Random slots of a pool of 1000: free if full, else allocate 16..256 B. */
static unsigned long interleaved(unsigned long ops)
{
	const unsigned int pool = 1000;
	unsigned long i, frees = 0;
	u64 s = 42;

	memset(objs, 0, pool * sizeof(void *));
	for (i = 0; i < pool; i += 2)
		objs[i] = A->alloc(16 + rnd(&s) % 241);
	for (i = 0; frees < ops; i++) {
		unsigned int k = rnd(&s) % pool;

		if (objs[k]) {
			A->free(objs[k]);
			objs[k] = NULL;
			frees++;
		} else {
			objs[k] = A->alloc(16 + rnd(&s) % 241);
			touch(objs[k]);
		}
	}
	for (i = 0; i < pool; i++)
		if (objs[i])
			A->free(objs[i]);
	return frees;
}

static unsigned long multisize(unsigned long ops)
{
	static const size_t sizes[] = { 8, 16, 32, 48, 64, 96, 128, 256 };
	const unsigned int n = 64;
	unsigned long done = 0;
	unsigned int i;

	while (done < ops) {
		for (i = 0; i < n; i++) {
			objs[i] = A->alloc(sizes[i % ARRAY_SIZE(sizes)]);
			touch(objs[i]);
		}
		for (i = 0; i < n; i++)
			A->free(objs[i]);
		done += n;
	}
	return done;
}

/* Grow one object 16 bytes at a time up to 1 KiB, then free it. */
static unsigned long realloc_growth(unsigned long ops)
{
	unsigned long done = 0;

	while (done < ops) {
		void *p = NULL;
		size_t size;

		for (size = 16; size <= 1024; size += 16) {
			p = A->realloc(p, size);
			touch((char *)p + size - 1);
			done++;
		}
		A->free(p);
	}
	return done;
}

/* ---------------------------------------------------------------- */
/* Multi-threaded workloads                                          */
/* ---------------------------------------------------------------- */

struct mt {
	pthread_t thread;
	unsigned int id, nr;
	size_t size;
	unsigned long ops, done;
	void **objs;
};

static pthread_barrier_t barrier;

static void *mt_churn_fn(void *arg)
{
	struct mt *t = arg;
	unsigned int i, n = 4096 / t->size;

	bind_cpu(t->id);
	pthread_barrier_wait(&barrier);
	while (t->done < t->ops) {
		for (i = 0; i < n; i++) {
			t->objs[i] = A->alloc(t->size);
			touch(t->objs[i]);
		}
		for (i = 0; i < n; i++)
			A->free(t->objs[i]);
		t->done += n;
	}
	return NULL;
}

/* Wait politely: the other thread may be sharing our core. */
static void spin_wait(unsigned int *spins)
{
	if (++*spins < 256) {
		__builtin_ia32_pause();
		return;
	}
	*spins = 0;
	sched_yield();
}

/* Remote free: thread 0 allocates batches, thread 1 frees them. */
#define RING		64
#define BATCH		64

struct ring {
	void *slot[RING][BATCH];
	unsigned long head;		/* atomic: batches produced */
	unsigned long tail;		/* atomic: batches consumed */
};

static struct ring ring __attribute__((aligned(64)));

static void *remote_fn(void *arg)
{
	struct mt *t = arg;
	unsigned long b, batches = t->ops / BATCH;
	unsigned int i, spins = 0;

	bind_cpu(t->id);
	pthread_barrier_wait(&barrier);
	for (b = 0; b < batches; b++) {
		void **slot = ring.slot[b % RING];

		if (t->id == 0) {
			while (b - __atomic_load_n(&ring.tail, __ATOMIC_ACQUIRE) >= RING)
				spin_wait(&spins);
			for (i = 0; i < BATCH; i++) {
				slot[i] = A->alloc(t->size);
				touch(slot[i]);
			}
			__atomic_store_n(&ring.head, b + 1, __ATOMIC_RELEASE);
		} else {
			while (__atomic_load_n(&ring.head, __ATOMIC_ACQUIRE) <= b)
				spin_wait(&spins);
			for (i = 0; i < BATCH; i++)
				A->free(slot[i]);
			__atomic_store_n(&ring.tail, b + 1, __ATOMIC_RELEASE);
		}
		if (t->id)
			t->done += BATCH;	/* objects through the ring */
	}
	return NULL;
}

/*
 * larson: each thread replaces random objects of its array (16..512 B),
 * then, at the end of a round, hands the array to the next thread, which
 * frees what the previous one allocated.
 */
#define LARSON_SLOTS	1000
#define LARSON_ROUNDS	20

static void **larson_arrays[16];

static void *larson_fn(void *arg)
{
	struct mt *t = arg;
	unsigned long per_round = t->ops / LARSON_ROUNDS, i;
	unsigned int r;
	u64 s = 1234 + t->id;

	bind_cpu(t->id);
	pthread_barrier_wait(&barrier);
	for (r = 0; r < LARSON_ROUNDS; r++) {
		void **a = larson_arrays[(t->id + r) % t->nr];

		for (i = 0; i < per_round; i++) {
			unsigned int k = rnd(&s) % LARSON_SLOTS;

			A->free(a[k]);
			a[k] = A->alloc(16 + rnd(&s) % 497);
			touch(a[k]);
		}
		t->done += per_round;
		pthread_barrier_wait(&barrier);
	}
	return NULL;
}

static unsigned long run_threads(void *(*fn)(void *), unsigned int nr,
				 size_t size, unsigned long ops, double *secs)
{
	struct mt t[16] = { };
	unsigned long done = 0;
	struct timespec a, b;
	unsigned int i;

	pthread_barrier_init(&barrier, NULL, nr + 1);
	for (i = 0; i < nr; i++) {
		t[i].id = i;
		t[i].nr = nr;
		t[i].size = size;
		t[i].ops = fn == remote_fn ? ops : ops / nr;
		t[i].objs = calloc(4096, sizeof(void *));
		pthread_create(&t[i].thread, NULL, fn, &t[i]);
	}
	pthread_barrier_wait(&barrier);
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (fn == larson_fn)
		for (i = 0; i < LARSON_ROUNDS; i++)
			pthread_barrier_wait(&barrier);
	for (i = 0; i < nr; i++) {
		pthread_join(t[i].thread, NULL);
		done += t[i].done;
		free(t[i].objs);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	*secs = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	pthread_barrier_destroy(&barrier);
	return done;
}

/* ---------------------------------------------------------------- */
/* The fast path, for callgrind                                      */
/* ---------------------------------------------------------------- */

/* callgrind --toggle-collect=fastpath_loop counts only this. */
noinline unsigned long fastpath_loop(size_t size, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		void *p = A->alloc(size);

		A->free(p);
	}
	return n;
}

/* ---------------------------------------------------------------- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned long run_single(const char *w, size_t size, unsigned long ops)
{
	if (!strcmp(w, "churn-1p"))
		return churn(size, ops, 4096 / size);
	if (!strcmp(w, "churn-4p"))
		return churn(size, ops, 4 * 4096 / size);
	if (!strcmp(w, "control"))
		return churn(size, ops, 16);
	if (!strcmp(w, "pairs"))
		return pairs(size, ops);
	if (!strcmp(w, "lifo"))
		return lifo(size, ops);
	if (!strcmp(w, "batch"))
		return batch(size, ops, false);
	if (!strcmp(w, "bulk"))
		return batch(size, ops, true);
	if (!strcmp(w, "ctx-softirq-to-task"))
		return ctx_cross(size, ops, 1, true);
	if (!strcmp(w, "ctx-softirq-to-task-n64"))
		return ctx_cross(size, ops, BATCH, true);
	if (!strcmp(w, "ctx-task-to-softirq"))
		return ctx_cross(size, ops, 1, false);
	if (!strcmp(w, "ctx-task-to-softirq-n64"))
		return ctx_cross(size, ops, BATCH, false);
	if (!strcmp(w, "interleaved"))
		return interleaved(ops);
	if (!strcmp(w, "multisize"))
		return multisize(ops);
	if (!strcmp(w, "realloc"))
		return realloc_growth(ops);
	if (!strcmp(w, "fastpath")) {
		/* A neighbour keeps the page in use: no retire on each free. */
		void *keep = A->alloc(size);
		unsigned long n = fastpath_loop(size, ops);

		A->free(keep);
		return n;
	}
	fprintf(stderr, "bench: unknown workload %s\n", w);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *aname = "smalloc", *w = "pairs";
	unsigned long ops = 0, done;
	unsigned int threads = 1, i;
	size_t size = 64;
	double secs;
	int opt;

	while ((opt = getopt(argc, argv, "a:w:s:t:n:R")) != -1) {
		switch (opt) {
		case 'R': smalloc_random_order = false; break;
		case 'a': aname = optarg; break;
		case 'w': w = optarg; break;
		case 's': size = strtoul(optarg, NULL, 0); break;
		case 't': threads = atoi(optarg); break;
		case 'n': ops = strtoul(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: %s -a ALLOC -w WORKLOAD [-s SIZE] [-t THREADS] [-n OPS]\n",
				argv[0]);
			return 2;
		}
	}
	for (i = 0; i < ARRAY_SIZE(allocators); i++)
		if (!strcmp(allocators[i].name, aname))
			A = &allocators[i];
	if (!A) {
		fprintf(stderr, "bench: unknown allocator %s\n", aname);
		return 2;
	}
	if (A->symbol && !dlsym(RTLD_DEFAULT, A->symbol)) {
		fprintf(stderr, "bench: %s is not loaded (LD_PRELOAD it)\n", aname);
		return 2;
	}
	is_smalloc = A->alloc == s_alloc;
	if (is_smalloc) {
		harness_quiet = 1;
		if (harness_init(16, 1024)) {
			fprintf(stderr, "bench: harness_init failed\n");
			return 1;
		}
		harness_quiet = 0;
	}
	bind_cpu(0);
	if (!ops)
		ops = 20000000;
	if (threads > 16)
		threads = 16;

	if (!strcmp(w, "mt-churn") || !strcmp(w, "remote") ||
	    !strcmp(w, "larson")) {
		void *(*fn)(void *) = mt_churn_fn;

		if (!strcmp(w, "remote")) {
			fn = remote_fn;
			threads = 2;
		} else if (!strcmp(w, "larson")) {
			fn = larson_fn;
			for (i = 0; i < threads; i++) {
				unsigned int k;

				larson_arrays[i] = calloc(LARSON_SLOTS, sizeof(void *));
				for (k = 0; k < LARSON_SLOTS; k++)
					larson_arrays[i][k] = A->alloc(16 + k % 497);
			}
		}
		run_threads(fn, threads, size, ops / 10, &secs);	/* warm */
		memset(&ring, 0, sizeof(ring));
		done = run_threads(fn, threads, size, ops, &secs);
	} else {
		double t0;

		run_single(w, size, ops / 10);				/* warm */
		t0 = now();
		done = run_single(w, size, ops);
		secs = now() - t0;
	}
	printf("%s,%zu,%u,%s,%.0f\n", w, size, threads, aname, done / secs);
	if (is_smalloc && getenv("BENCH_STATS")) {
		static char buf[65536];

		if (harness_debugfs_read("smalloc/stats", buf, sizeof(buf)) > 0)
			fputs(buf, stderr);
	}
	return 0;
}
