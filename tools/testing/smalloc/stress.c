// SPDX-License-Identifier: GPL-2.0-only
/*
 * Multi-threaded remote-free stress, built for ThreadSanitizer.
 *
 * Four task threads, one per CPU, allocate objects of random sizes, fill
 * them with a canary, keep some and send the rest to the other threads,
 * which check and free them: remote frees, delayed frees into full pages,
 * collection by the owners.  Around them, on the same CPUs, run what the
 * kernel would run there: a hardirq handler (CPU 0) and a softirq handler
 * (CPU 1) allocating GFP_ATOMIC and sending their objects to the task
 * threads, and freeing what the task threads send them (from the task of
 * their own CPU, frees into a lower level's heap of the same CPU: locally
 * or onto its ctx_free, see smalloc_remote.c); the idle work every few milliseconds; and a control thread
 * that drains every CPU, calls the shrinker, reads debugfs and takes CPU 3
 * offline and back.  Under the harness's checked model each of those
 * holds exactly the exclusion the kernel gives it, so a heap touched
 * without the exclusion smalloc's rules require is a race TSan reports.
 *
 * At the end everything is freed: every heap must be consistent and every
 * page back with the page allocator.
 *
 * Usage: smalloc_stress [SECONDS]
 */
#include <time.h>
#include <unistd.h>
#include <linux/sched.h>

#include "../../../smalloc_internal.h"

#define NR_TASKS	4
#define KEEP		256
#define OBJ_MAGIC	0x5ca1ab1e

struct obj {
	struct llist_node node;
	u32 magic;
	u32 size;
	u64 seed;
};

struct worker {
	pthread_t thread;
	unsigned int cpu;
	struct llist_head inbox;
	struct obj *keep[KEEP];
	unsigned long allocs, remote, bad;
};

static struct worker workers[NR_TASKS];

struct handler {
	pthread_t thread;
	unsigned int cpu;
	enum harness_ctx ctx;
	unsigned long runs, frees;
	struct llist_head inbox;	/* task objects it frees */
};

static struct handler handlers[2] = {
	{ .cpu = 0, .ctx = HARNESS_CTX_HARDIRQ },
	{ .cpu = 1, .ctx = HARNESS_CTX_SOFTIRQ },
};
static int stop;			/* atomic */
static unsigned long bad_total;		/* atomic */

static size_t random_size(void)
{
	switch (harness_random() % 10) {
	case 0:
		return sizeof(struct obj) + harness_random() % 8000;
	case 1:
		return sizeof(struct obj) + harness_random() % 1000;
	case 2:
		return 9000 + harness_random() % 30000;	/* large */
	default:
		return sizeof(struct obj) + harness_random() % 200;
	}
}

static u8 canary(u64 seed, size_t i)
{
	return (u8)(seed * 131 + i);
}

static struct obj *obj_new(gfp_t gfp)
{
	size_t size = random_size(), i;
	struct obj *o = smalloc(size, gfp);

	if (!o)
		return NULL;
	o->magic = OBJ_MAGIC;
	o->size = size;
	o->seed = harness_random();
	for (i = sizeof(*o); i < size; i++)
		((u8 *)o)[i] = canary(o->seed, i);
	return o;
}

static bool obj_ok(const struct obj *o)
{
	size_t i;

	if (o->magic != OBJ_MAGIC)
		return false;
	for (i = sizeof(*o); i < o->size; i++)
		if (((const u8 *)o)[i] != canary(o->seed, i))
			return false;
	return true;
}

static void obj_free(struct obj *o)
{
	if (!obj_ok(o))
		__atomic_fetch_add(&bad_total, 1, __ATOMIC_RELAXED);
	o->magic = 0;
	sfree(o);
}

static void send(struct obj *o)
{
	llist_add(&o->node, &workers[harness_random() % NR_TASKS].inbox);
}

/*
 * To a handler, which frees it at its level: from a task of the same CPU
 * a free into a lower level's heap of that CPU (smalloc_remote.c), from
 * the others a remote one.
 */
static void send_to_handler(struct obj *o)
{
	llist_add(&o->node, &handlers[harness_random() % 2].inbox);
}

/* Free everything sent to @inbox; return how many. */
static unsigned long free_inbox(struct llist_head *inbox)
{
	struct llist_node *n = llist_del_all(inbox);
	unsigned long nr = 0;
	struct obj *o, *t;

	llist_for_each_entry_safe(o, t, n, node) {
		obj_free(o);
		nr++;
	}
	return nr;
}

static void drain_inbox(struct worker *w)
{
	w->remote += free_inbox(&w->inbox);
}

static void *task_fn(void *arg)
{
	struct worker *w = arg;
	unsigned int i;

	harness_set_cpu(w->cpu);
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		for (i = 0; i < 64; i++) {
			unsigned int slot = harness_random() % KEEP;
			struct obj *o;

			if (w->keep[slot]) {
				if (harness_random() % 4 == 0) {
					send_to_handler(w->keep[slot]);
				} else if (harness_random() & 1) {
					send(w->keep[slot]);
				} else if (harness_random() % 8 == 0) {
					o = srealloc(w->keep[slot],
						     w->keep[slot]->size + 100,
						     GFP_KERNEL);
					if (o) {
						size_t k;

						for (k = o->size; k < o->size + 100; k++)
							((u8 *)o)[k] = canary(o->seed, k);
						o->size += 100;
						w->keep[slot] = o;
						continue;
					}
					obj_free(w->keep[slot]);
				} else {
					obj_free(w->keep[slot]);
				}
				w->keep[slot] = NULL;
			} else {
				w->keep[slot] = obj_new(GFP_KERNEL);
				w->allocs++;
			}
		}
		drain_inbox(w);
	}
	for (i = 0; i < KEEP; i++)
		if (w->keep[i])
			obj_free(w->keep[i]);
	return NULL;
}


/* Free what tasks sent @h, at its level. */
static void handler_drain(struct handler *h)
{
	h->frees += free_inbox(&h->inbox);
}

/*
 * An interrupt handler: every 200us, a few GFP_ATOMIC objects sent on,
 * and the task objects sent to it freed.
 */
static void *handler_fn(void *arg)
{
	struct handler *h = arg;
	struct timespec ts = { 0, 200000 };
	int i;

	harness_set_cpu(h->cpu);
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		harness_enter_ctx(h->ctx);
		for (i = 0; i < 4; i++) {
			struct obj *o = obj_new(GFP_ATOMIC);

			if (o)
				send(o);
		}
		handler_drain(h);
		harness_exit_ctx();
		h->runs++;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static long check_all(void)
{
	unsigned int cpu;
	long err = 0;

	cpus_read_lock();
	for_each_online_cpu(cpu)
		err = err ?: work_on_cpu(cpu, smalloc_check_this_cpu, NULL);
	cpus_read_unlock();
	return err;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 8, t0;
	unsigned long allocs = 0, remote = 0, rounds = 0, offlines = 0;
	char *stats = malloc(65536);
	int i, failed = 0;
	long err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (harness_init(NR_TASKS, 1024)) {
		printf("stress: 0 passed, 1 failed\n");
		return 1;
	}
	WRITE_ONCE(smalloc_idle_drain_ms, 5);
	harness_start_kworker();

	for (i = 0; i < NR_TASKS; i++) {
		workers[i].cpu = i;
		init_llist_head(&workers[i].inbox);
	}
	for (i = 0; i < 2; i++)
		init_llist_head(&handlers[i].inbox);
	for (i = 0; i < NR_TASKS; i++)
		pthread_create(&workers[i].thread, NULL, task_fn, &workers[i]);
	for (i = 0; i < 2; i++)
		pthread_create(&handlers[i].thread, NULL, handler_fn, &handlers[i]);

	/* The control thread: drains, reclaim, debugfs, hotplug. */
	t0 = now();
	while (now() - t0 < secs) {
		usleep(20000);
		switch (rounds++ % 4) {
		case 0:
			smalloc_drain_all();
			break;
		case 1:
			harness_shrink(128, NULL);
			harness_debugfs_read("smalloc/stats", stats, 65536);
			harness_debugfs_read("smalloc/cpus", stats, 65536);
			break;
		case 2:
			if (!remove_cpu(3))
				offlines++;
			break;
		default:
			add_cpu(3);
			break;
		}
	}
	add_cpu(3);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < 2; i++)
		pthread_join(handlers[i].thread, NULL);
	for (i = 0; i < NR_TASKS; i++)
		pthread_join(workers[i].thread, NULL);
	for (i = 0; i < 2; i++) {
		harness_set_cpu(handlers[i].cpu);
		harness_enter_ctx(handlers[i].ctx);
		handler_drain(&handlers[i]);
		harness_exit_ctx();
		harness_set_cpu(-1);
	}
	for (i = 0; i < NR_TASKS; i++) {
		drain_inbox(&workers[i]);
		allocs += workers[i].allocs;
		remote += workers[i].remote;
	}

	err = check_all();
	WRITE_ONCE(smalloc_idle_drain_ms, 0);
	smalloc_drain_all();
	printf("stress: %.1fs, %lu task allocations, %lu freed by another thread, hardirq %lu softirq %lu runs (%lu and %lu task objects freed), %lu offlines; remote frees %lu, delayed %lu, ctx %lu, collected %lu\n",
	       now() - t0, allocs, remote, handlers[0].runs, handlers[1].runs,
	       handlers[0].frees, handlers[1].frees,
	       offlines, smalloc_stat_sum(SMALLOC_FREE_REMOTE),
	       smalloc_stat_sum(SMALLOC_FREE_DELAYED),
	       smalloc_stat_sum(SMALLOC_FREE_CTX),
	       smalloc_stat_sum(SMALLOC_REMOTE_COLLECTED));
	if (err) {
		printf("stress: heap check failed: %ld\n", err);
		failed = 1;
	}
	if (bad_total) {
		printf("stress: %lu objects with a broken canary\n", bad_total);
		failed = 1;
	}
	if (atomic_long_read(&smalloc_nr_pages)) {
		printf("stress: %ld pages still held after freeing everything\n",
		       atomic_long_read(&smalloc_nr_pages));
		if (harness_debugfs_read("smalloc/cpus", stats, 65536) > 0)
			printf("%s", stats);
		if (harness_debugfs_read("smalloc/classes", stats, 65536) > 0)
			printf("%s", stats);
		failed = 1;
	}
	if (READ_ONCE(harness_warnings)) {
		printf("stress: %ld warnings\n", READ_ONCE(harness_warnings));
		failed = 1;
	}
	harness_exit();
	if (READ_ONCE(harness_pages_out) || harness_kmem_live()) {
		printf("stress: unload left %ld pages, %ld descriptors\n",
		       READ_ONCE(harness_pages_out), harness_kmem_live());
		failed = 1;
	}
	free(stats);
	printf("stress: %d passed, %d failed\n", !failed, failed);
	return failed;
}
