// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for smalloc.
 *
 * Built into smalloc itself (Kbuild: smalloc-$(CONFIG_SMALLOC_KUNIT_TEST)),
 * so they can look at heaps and pages directly.  Each test is named for
 * the invariant it holds.  Tests that look at a heap pin the test thread
 * to one CPU: the task-context heap of that CPU is then the one smalloc()
 * uses, and reading it with preemption disabled is reading it as its
 * owner.  Nothing else in the test kernel uses smalloc, and the idle drain
 * is turned off while a test runs, so counts are exact.
 *
 * Run with: scripts/kunit.sh (kunit_tool, x86_64 QEMU, -smp 4).
 */
#include <kunit/test.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/llist.h>
#include <linux/random.h>
#include <linux/sched.h>

#include "../smalloc_internal.h"
#include "smalloc_kasan_expect.h"

struct smalloc_test_ctx {
	unsigned int saved_idle_ms;
	bool saved_random_order;	/* restored even if a case stops early */
	long base_pages;
};

/* ---------------------------------------------------------------- */
/* Helpers                                                           */
/* ---------------------------------------------------------------- */

static struct smalloc_heap *task_heap(unsigned int cpu)
{
	return &per_cpu_ptr(smalloc_cpus, cpu)->heap[SMALLOC_CTX_TASK];
}

static void pin_to(struct kunit *test, unsigned int cpu)
{
	KUNIT_ASSERT_EQ(test, set_cpus_allowed_ptr(current, cpumask_of(cpu)), 0);
	KUNIT_ASSERT_EQ(test, raw_smp_processor_id(), cpu);
}

static unsigned int other_cpu(struct kunit *test, unsigned int cpu)
{
	unsigned int o;

	for_each_online_cpu(o)
		if (o != cpu)
			return o;
	kunit_skip(test, "needs two online CPUs");
	return cpu;
}

static unsigned int list_len(const struct smalloc_page *page, void *head)
{
	unsigned int n = 0;

	for (; head && n <= page->reserved; head = smalloc_block_next(page, head))
		n++;
	return n;
}

/*
 * Calls into the owner-only internals.  The test thread is pinned and is
 * the only user of its CPU's task heap, so it may read the heap between
 * these calls with preemption on (KUnit expectations may sleep).
 */
#define as_owner(call) ({			\
	typeof(call) __ret;			\
						\
	preempt_disable();			\
	__ret = (call);				\
	preempt_enable();			\
	__ret;					\
})

#define check_heap_owned(heap)	as_owner(smalloc_heap_check(heap))
#define check_page_owned(page)	as_owner(smalloc_page_check(page))

static void heartbeat(struct smalloc_heap *heap)
{
	preempt_disable();
	smalloc_heap_heartbeat(heap);
	preempt_enable();
}

static void expect_all_heaps_consistent(struct kunit *test)
{
	unsigned int cpu;

	cpus_read_lock();
	for_each_online_cpu(cpu)
		KUNIT_EXPECT_EQ_MSG(test, work_on_cpu(cpu, smalloc_check_this_cpu, NULL),
				    0, "heaps of CPU %u", cpu);
	cpus_read_unlock();
}

static void fill(void *p, size_t size, unsigned long seed)
{
	u8 *b = p;
	size_t i;

	for (i = 0; i < size; i++)
		b[i] = (u8)(seed * 31 + i);
}

static bool verify(const void *p, size_t size, unsigned long seed)
{
	const u8 *b = p;
	size_t i;

	for (i = 0; i < size; i++)
		if (b[i] != (u8)(seed * 31 + i))
			return false;
	return true;
}

/* Allocate every block a fresh page of @size holds; return its page. */
static struct smalloc_page *fill_one_page(struct kunit *test, size_t size,
					  void **objs, unsigned int *nr)
{
	struct smalloc_page *page;
	unsigned int i, n;

	objs[0] = smalloc(size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, objs[0]);
	page = smalloc_ptr_to_page(objs[0]);
	KUNIT_ASSERT_NOT_NULL(test, page);
	n = page->reserved;
	/* The callers' arrays hold SMALLOC_MAX_BLOCKS. */
	KUNIT_ASSERT_LE(test, n, SMALLOC_MAX_BLOCKS);
	for (i = 1; i < n; i++) {
		objs[i] = smalloc(size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, objs[i]);
		KUNIT_ASSERT_PTR_EQ(test, smalloc_ptr_to_page(objs[i]), page);
	}
	*nr = n;
	return page;
}

/* fill_one_page(), then free every block: the page is retired. */
static struct smalloc_page *retire_one_page(struct kunit *test, size_t size,
					    void **objs, unsigned int *nr)
{
	struct smalloc_page *page = fill_one_page(test, size, objs, nr);
	unsigned int i;

	for (i = 0; i < *nr; i++)
		sfree(objs[i]);
	return page;
}

struct remote_free_args {
	void **objs;
	unsigned int nr;
};

static long free_here(void *arg)
{
	struct remote_free_args *a = arg;
	unsigned int i;

	for (i = 0; i < a->nr; i++)
		sfree(a->objs[i]);
	return 0;
}

static long bulk_free_here(void *arg)
{
	struct remote_free_args *a = arg;

	sfree_bulk(a->nr, a->objs);
	return 0;
}

static void free_on(unsigned int cpu, void **objs, unsigned int nr)
{
	struct remote_free_args a = { .objs = objs, .nr = nr };

	work_on_cpu(cpu, free_here, &a);
}

/* ---------------------------------------------------------------- */
/* Retire and promotion                                              */
/* ---------------------------------------------------------------- */

/*
 * After the last block of a page is freed on its own CPU, the page is
 * retired with local_free empty and free holding every block, and the
 * next allocation of the class comes from it on the fast path.
 */
static void retire_promotes_local_free(struct kunit *test)
{
	void **objs = kunit_kcalloc(test, SMALLOC_MAX_BLOCKS, sizeof(void *), GFP_KERNEL);
	unsigned long slow, fast;
	struct smalloc_page *page;
	unsigned int i, nr;
	void *p;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	pin_to(test, 0);
	page = fill_one_page(test, 64, objs, &nr);
	KUNIT_EXPECT_EQ(test, smalloc_page_used(page), nr);
	KUNIT_EXPECT_NULL(test, page->free);

	for (i = 0; i < nr; i++)
		sfree(objs[i]);

	KUNIT_EXPECT_EQ(test, smalloc_page_used(page), 0);
	KUNIT_EXPECT_EQ(test, page->retire_expire, SMALLOC_RETIRE_CYCLES);
	KUNIT_EXPECT_NULL(test, page->local_free);
	KUNIT_EXPECT_EQ(test, list_len(page, page->free), page->capacity);
	KUNIT_EXPECT_EQ(test, check_page_owned(page), 0);

	slow = smalloc_stat_sum(SMALLOC_ALLOC_SLOW);
	fast = smalloc_stat_sum(SMALLOC_ALLOC_FAST);
	p = smalloc(64, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, smalloc_ptr_to_page(p), page);
	if (IS_ENABLED(CONFIG_SMALLOC_STATS)) {
		KUNIT_EXPECT_EQ(test, smalloc_stat_sum(SMALLOC_ALLOC_SLOW), slow);
		KUNIT_EXPECT_EQ(test, smalloc_stat_sum(SMALLOC_ALLOC_FAST),
				fast + 1);
	}
	sfree(p);
}

/*
 * Without promotion the emptied page would have every block on local_free
 * and the next allocation would need the slow path: check that a page
 * emptied while blocks remain on free still ends with one list.
 */
static void retire_merges_free_and_local_free(struct kunit *test)
{
	void **objs = kunit_kcalloc(test, SMALLOC_MAX_BLOCKS, sizeof(void *), GFP_KERNEL);
	struct smalloc_page *page;
	unsigned int i, nr;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	pin_to(test, 0);
	page = fill_one_page(test, 128, objs, &nr);
	/* Free half, take a quarter back from the fast path, free all. */
	for (i = 0; i < nr / 2; i++)
		sfree(objs[i]);
	preempt_disable();
	smalloc_page_collect(page);	/* free is empty: local_free moves */
	preempt_enable();
	for (i = 0; i < nr / 4; i++)
		objs[i] = smalloc(128, GFP_KERNEL);
	for (i = 0; i < nr / 4; i++)
		sfree(objs[i]);
	for (i = nr / 2; i < nr; i++)
		sfree(objs[i]);

	KUNIT_EXPECT_EQ(test, smalloc_page_used(page), 0);
	KUNIT_EXPECT_NULL(test, page->local_free);
	KUNIT_EXPECT_EQ(test, list_len(page, page->free), page->capacity);
	KUNIT_EXPECT_EQ(test, check_page_owned(page), 0);
}

/*
 * A retired page goes back to the page allocator on exactly its
 * SMALLOC_RETIRE_CYCLES-th heartbeat, and the page count returns to where
 * it was; until then it stays in its queue.
 */
static void retire_releases_after_exact_heartbeats(struct kunit *test)
{
	void **objs = kunit_kcalloc(test, SMALLOC_MAX_BLOCKS, sizeof(void *), GFP_KERNEL);
	struct smalloc_test_ctx *ctx = test->priv;
	struct smalloc_heap *heap = task_heap(0);
	unsigned long released;
	struct smalloc_page *page;
	unsigned int i, nr, cycles;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	pin_to(test, 0);
	page = retire_one_page(test, 48, objs, &nr);
	cycles = page->retire_cycles;
	KUNIT_EXPECT_EQ(test, cycles, SMALLOC_RETIRE_CYCLES);
	KUNIT_EXPECT_GT(test, atomic_long_read(&smalloc_nr_pages),
			ctx->base_pages);
	released = smalloc_stat_sum(SMALLOC_RETIRED_RELEASED);

	for (i = 1; i < cycles; i++) {
		heartbeat(heap);
		KUNIT_EXPECT_EQ(test, page->retire_expire, cycles - i);
	}
	KUNIT_EXPECT_PTR_EQ(test, list_first_entry(&heap->queue[page->class],
						   struct smalloc_page, list),
			    page);
	KUNIT_EXPECT_EQ(test, heap->nr_retired[page->class], 1);
	heartbeat(heap);	/* the last one: the page is gone */
	KUNIT_EXPECT_TRUE(test, list_empty(&heap->queue[smalloc_size_class(48)]));
	KUNIT_EXPECT_EQ(test, heap->nr_retired[smalloc_size_class(48)], 0);
	KUNIT_EXPECT_EQ(test, check_heap_owned(heap), 0);

	KUNIT_EXPECT_EQ(test, atomic_long_read(&smalloc_nr_pages),
			ctx->base_pages);
	if (IS_ENABLED(CONFIG_SMALLOC_STATS))
		KUNIT_EXPECT_EQ(test, smalloc_stat_sum(SMALLOC_RETIRED_RELEASED),
				released + 1);
}

/* Blocks above SMALLOC_RETIRE_LARGE_SIZE retire for a quarter as long. */
static void retire_bound_is_shorter_for_large_blocks(struct kunit *test)
{
	void **objs = kunit_kcalloc(test, 64, sizeof(void *), GFP_KERNEL);
	struct smalloc_test_ctx *ctx = test->priv;
	struct smalloc_heap *heap = task_heap(0);
	struct smalloc_page *page;
	unsigned int i, nr;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	pin_to(test, 0);
	page = retire_one_page(test, 3000, objs, &nr);
	KUNIT_EXPECT_EQ(test, page->retire_expire, SMALLOC_RETIRE_CYCLES_LARGE);
	for (i = 0; i < SMALLOC_RETIRE_CYCLES_LARGE; i++)
		heartbeat(heap);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&smalloc_nr_pages),
			ctx->base_pages);
}

/* A retired page that is allocated from again is no longer retired. */
static void retire_ends_when_page_is_reused(struct kunit *test)
{
	void **objs = kunit_kcalloc(test, SMALLOC_MAX_BLOCKS, sizeof(void *), GFP_KERNEL);
	struct smalloc_heap *heap = task_heap(0);
	struct smalloc_page *page;
	unsigned int i, nr;
	void *p;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	pin_to(test, 0);
	page = retire_one_page(test, 96, objs, &nr);
	KUNIT_EXPECT_NE(test, page->retire_expire, 0);
	p = smalloc(96, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, smalloc_ptr_to_page(p), page);

	for (i = 0; i < 2 * SMALLOC_RETIRE_CYCLES; i++)
		heartbeat(heap);
	KUNIT_EXPECT_EQ(test, page->retire_expire, 0);
	KUNIT_EXPECT_TRUE(test, list_empty(&page->retired));
	KUNIT_EXPECT_EQ(test, check_heap_owned(heap), 0);
	sfree(p);
}

/*
 * At most smalloc_retire_max() emptied spans of a class are kept; more go
 * back at once.
 */
static void retire_keeps_at_most_max_pages(struct kunit *test)
{
	const unsigned int class = smalloc_size_class(256);
	const struct smalloc_class *cl = &smalloc_classes[class];
	unsigned int max = smalloc_retire_max(class);
	unsigned int spans = max + 3, i, n = spans * cl->blocks;
	void **objs = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	struct smalloc_test_ctx *ctx = test->priv;
	struct smalloc_heap *heap = task_heap(0);
	struct smalloc_page *page, *prev = NULL;
	long held, pages = 0;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	pin_to(test, 0);
	for (i = 0; i < n; i++) {
		objs[i] = smalloc(256, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		/* A span fills before the next one opens. */
		page = smalloc_ptr_to_page(objs[i]);
		if (page != prev)
			pages += 1L << page->order;
		prev = page;
	}
	held = atomic_long_read(&smalloc_nr_pages) - ctx->base_pages;
	KUNIT_EXPECT_EQ(test, held, pages);
	for (i = 0; i < n; i++)
		sfree(objs[i]);
	KUNIT_EXPECT_EQ(test, heap->nr_retired[class], max);
	/* Spans of the fallback order count as what they are. */
	pages = 0;
	list_for_each_entry(page, &heap->retired, retired)
		if (page->class == class)
			pages += 1L << page->order;
	KUNIT_EXPECT_LE(test, pages, (long)max << cl->order);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&smalloc_nr_pages) -
			ctx->base_pages, pages);
	KUNIT_EXPECT_EQ(test, check_heap_owned(heap), 0);
}

/*
 * Bursts of a span and a half of objects, each freed in the order it was
 * allocated, one after the other: what retiring is for (smalloc_retire.c:
 * "a burst that frees everything and then allocates again").  Once warm,
 * the bursts must run on the spans kept, not take a span from the page
 * allocator and give one back on every burst.
 */
static void retire_keeps_repeated_bursts_off_the_page_allocator(struct kunit *test)
{
	const unsigned int class = smalloc_size_class(256);
	const struct smalloc_class *cl = &smalloc_classes[class];
	unsigned int n = cl->blocks + cl->blocks / 2, burst, i;
	void **objs = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	long allocs = 0, frees = 0;

	if (!IS_ENABLED(CONFIG_SMALLOC_STATS))
		kunit_skip(test, "needs CONFIG_SMALLOC_STATS");
	KUNIT_ASSERT_NOT_NULL(test, objs);
	pin_to(test, 0);
	for (burst = 0; burst < 10; burst++) {
		if (burst == 2) {	/* warm */
			allocs = smalloc_stat_sum(SMALLOC_PAGE_ALLOC);
			frees = smalloc_stat_sum(SMALLOC_PAGE_FREE);
		}
		for (i = 0; i < n; i++) {
			objs[i] = smalloc(256, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		}
		for (i = 0; i < n; i++)
			sfree(objs[i]);
	}
	KUNIT_EXPECT_EQ(test, smalloc_stat_sum(SMALLOC_PAGE_ALLOC) - allocs, 0);
	KUNIT_EXPECT_EQ(test, smalloc_stat_sum(SMALLOC_PAGE_FREE) - frees, 0);
	KUNIT_EXPECT_EQ(test, check_heap_owned(task_heap(0)), 0);
}

/* The idle work gives retired pages back when the heap goes quiet. */
static void idle_drain_releases_retired_pages(struct kunit *test)
{
	void **objs = kunit_kcalloc(test, SMALLOC_MAX_BLOCKS, sizeof(void *), GFP_KERNEL);
	struct smalloc_test_ctx *ctx = test->priv;
	unsigned int nr;
	int waited;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	pin_to(test, 0);
	WRITE_ONCE(smalloc_idle_drain_ms, 20);
	retire_one_page(test, 32, objs, &nr);
	KUNIT_EXPECT_GT(test, atomic_long_read(&smalloc_nr_pages),
			ctx->base_pages);
	for (waited = 0; waited < 5000; waited += 20) {
		if (atomic_long_read(&smalloc_nr_pages) == ctx->base_pages)
			break;
		msleep(20);
	}
	KUNIT_EXPECT_EQ(test, atomic_long_read(&smalloc_nr_pages),
			ctx->base_pages);
}

/* ---------------------------------------------------------------- */
/* The list invariant                                                */
/* ---------------------------------------------------------------- */

static size_t random_size(void)
{
	switch (get_random_u32_below(8)) {
	case 0:
		return get_random_u32_inclusive(1, SMALLOC_MAX_SIZE);
	case 1:
		return get_random_u32_inclusive(1, 1024);
	default:
		return get_random_u32_inclusive(1, 256);
	}
}

struct live_obj {
	void *p;
	size_t size;
	unsigned long seed;
};

static void churn_random(struct kunit *test, struct live_obj *live,
			 unsigned int slots, unsigned int ops,
			 unsigned int check_every)
{
	unsigned int i, s;

	for (i = 0; i < ops; i++) {
		struct live_obj *o = &live[get_random_u32_below(slots)];

		if (o->p) {
			KUNIT_ASSERT_TRUE(test, verify(o->p, o->size, o->seed));
			sfree(o->p);
			o->p = NULL;
		} else {
			o->size = random_size();
			o->seed = get_random_long();
			o->p = smalloc(o->size, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, o->p);
			fill(o->p, o->size, o->seed);
		}
		if (check_every && i % check_every == 0) {
			s = raw_smp_processor_id();
			KUNIT_ASSERT_EQ(test, check_heap_owned(task_heap(s)), 0);
		}
	}
}

static void free_live(struct kunit *test, struct live_obj *live,
		      unsigned int slots)
{
	unsigned int i;

	for (i = 0; i < slots; i++) {
		if (!live[i].p)
			continue;
		KUNIT_EXPECT_TRUE(test, verify(live[i].p, live[i].size,
					       live[i].seed));
		sfree(live[i].p);
		live[i].p = NULL;
	}
}

/* used + |free| + |local_free| == capacity through random alloc/free. */
static void invariant_holds_random_single_cpu(struct kunit *test)
{
	const unsigned int slots = 1500;
	struct live_obj *live = kunit_kcalloc(test, slots, sizeof(*live),
					      GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, live);
	pin_to(test, 0);
	churn_random(test, live, slots, 30000, 500);
	KUNIT_EXPECT_EQ(test, check_heap_owned(task_heap(0)), 0);
	free_live(test, live, slots);
	KUNIT_EXPECT_EQ(test, check_heap_owned(task_heap(0)), 0);
}

struct cross_args {
	struct live_obj *live;
	unsigned int from, to;
};

static long free_slice(void *arg)
{
	struct cross_args *a = arg;
	unsigned int i;
	long bad = 0;

	for (i = a->from; i < a->to; i++) {
		if (!a->live[i].p)
			continue;
		if (!verify(a->live[i].p, a->live[i].size, a->live[i].seed))
			bad++;
		sfree(a->live[i].p);
		a->live[i].p = NULL;
	}
	return bad;
}

/*
 * The same, with a share of the frees done by the other CPUs: their blocks
 * go through xthread_free (and the delayed list for full pages) and the
 * counts still add up.
 */
static void invariant_holds_random_cross_cpu(struct kunit *test)
{
	const unsigned int slots = 1200;
	struct live_obj *live = kunit_kcalloc(test, slots, sizeof(*live),
					      GFP_KERNEL);
	unsigned int round, cpu, o;
	unsigned long remote;

	KUNIT_ASSERT_NOT_NULL(test, live);
	o = other_cpu(test, 0);
	pin_to(test, 0);
	remote = smalloc_stat_sum(SMALLOC_FREE_REMOTE) +
		 smalloc_stat_sum(SMALLOC_FREE_DELAYED);
	for (round = 0; round < 8; round++) {
		struct cross_args a = { .live = live };
		unsigned int part = slots / num_online_cpus(), n = 0;

		churn_random(test, live, slots, 4000, 1000);
		for_each_online_cpu(cpu) {
			if (cpu == 0)
				continue;
			a.from = n * part;
			a.to = a.from + part;
			n++;
			KUNIT_EXPECT_EQ(test, work_on_cpu(cpu, free_slice, &a), 0);
		}
		KUNIT_ASSERT_EQ(test, check_heap_owned(task_heap(0)), 0);
	}
	if (IS_ENABLED(CONFIG_SMALLOC_STATS))
		KUNIT_EXPECT_GT(test, smalloc_stat_sum(SMALLOC_FREE_REMOTE) +
				smalloc_stat_sum(SMALLOC_FREE_DELAYED), remote);
	free_live(test, live, slots);
	KUNIT_EXPECT_EQ(test, check_heap_owned(task_heap(0)), 0);
	KUNIT_EXPECT_EQ(test, check_heap_owned(task_heap(o)), 0);
}

/* ---------------------------------------------------------------- */
/* Remote frees                                                      */
/* ---------------------------------------------------------------- */

/*
 * A block freed on another CPU lands on its page's xthread_free, and the
 * owner collects it and hands it out again.
 */
static void remote_free_is_collected_and_reused(struct kunit *test)
{
	void **objs = kunit_kcalloc(test, SMALLOC_MAX_BLOCKS, sizeof(void *), GFP_KERNEL);
	struct smalloc_page *page;
	unsigned int i, nr, o;
	unsigned long remote;
	void *victim, *p;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	o = other_cpu(test, 0);
	pin_to(test, 0);
	page = fill_one_page(test, 128, objs, &nr);
	victim = objs[nr / 2];
	remote = smalloc_stat_sum(SMALLOC_FREE_REMOTE) +
		 smalloc_stat_sum(SMALLOC_FREE_DELAYED);

	free_on(o, &victim, 1);
	KUNIT_EXPECT_PTR_EQ(test, (void *)atomic_long_read(&page->xthread_free),
			    victim);
	KUNIT_EXPECT_EQ(test, smalloc_page_used(page), nr);	/* still counted as used */
	if (IS_ENABLED(CONFIG_SMALLOC_STATS))
		KUNIT_EXPECT_EQ(test, smalloc_stat_sum(SMALLOC_FREE_REMOTE) +
				smalloc_stat_sum(SMALLOC_FREE_DELAYED),
				remote + 1);

	/* The page is exhausted: the slow path collects the remote free. */
	p = smalloc(128, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, p, victim);
	KUNIT_EXPECT_EQ(test, smalloc_page_used(page), nr);
	KUNIT_EXPECT_EQ(test, check_heap_owned(task_heap(0)), 0);
	objs[nr / 2] = p;
	for (i = 0; i < nr; i++)
		sfree(objs[i]);
}

/*
 * A page on the full list that gets a remote free comes back to its class
 * queue: the free that finds its remote list empty flags the class to the
 * owner, and the owner's next heartbeat collects it.
 */
static void remote_free_returns_full_page_to_queue(struct kunit *test)
{
	void **objs = kunit_kcalloc(test, SMALLOC_MAX_BLOCKS, sizeof(void *), GFP_KERNEL);
	struct smalloc_heap *heap = task_heap(0);
	struct smalloc_page *page;
	unsigned long notified;
	unsigned int i, nr, o;
	void *extra, *victim;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	o = other_cpu(test, 0);
	pin_to(test, 0);
	page = fill_one_page(test, 160, objs, &nr);
	extra = smalloc(160, GFP_KERNEL);	/* sends page to the full list */
	KUNIT_ASSERT_NOT_NULL(test, extra);
	KUNIT_EXPECT_PTR_NE(test, smalloc_ptr_to_page(extra), page);
	KUNIT_EXPECT_TRUE(test, page->flags & SMALLOC_PAGE_IN_FULL);

	notified = smalloc_stat_sum(SMALLOC_FREE_DELAYED);
	victim = objs[0];
	free_on(o, &victim, 1);
	KUNIT_EXPECT_PTR_EQ(test, (void *)atomic_long_read(&page->xthread_free),
			    victim);
	KUNIT_EXPECT_TRUE(test, atomic_long_read(&heap->remote_classes) &
			  BIT(page->class));
	if (IS_ENABLED(CONFIG_SMALLOC_STATS))
		KUNIT_EXPECT_EQ(test, smalloc_stat_sum(SMALLOC_FREE_DELAYED),
				notified + 1);

	heartbeat(heap);	/* what the next slow path does */
	KUNIT_EXPECT_FALSE(test, page->flags & SMALLOC_PAGE_IN_FULL);
	KUNIT_EXPECT_EQ(test, smalloc_page_used(page), nr - 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&heap->remote_classes), 0);
	KUNIT_EXPECT_EQ(test, check_heap_owned(heap), 0);

	for (i = 1; i < nr; i++)
		sfree(objs[i]);
	sfree(extra);
}

/*
 * A block freed remotely into a page on the full queue and then freed
 * again, by the same CPU, by the owner or by a third party, is reported
 * every time and corrupts nothing: the page's lists stay consistent and
 * no block is handed out twice.
 */
static void double_free_of_block_in_full_page_is_detected(struct kunit *test)
{
	void **objs = kunit_kcalloc(test, SMALLOC_MAX_BLOCKS + 1, sizeof(void *),
				    GFP_KERNEL);
	unsigned long invalid = smalloc_stat_sum(SMALLOC_INVALID_FREE);
	struct smalloc_heap *heap = task_heap(0);
	struct smalloc_page *page;
	unsigned int i, j, nr, o;
	void *extra, *victim;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	o = other_cpu(test, 0);
	pin_to(test, 0);
	page = fill_one_page(test, 160, objs, &nr);
	extra = smalloc(160, GFP_KERNEL);	/* sends page to the full queue */
	KUNIT_ASSERT_NOT_NULL(test, extra);
	KUNIT_EXPECT_TRUE(test, page->flags & SMALLOC_PAGE_IN_FULL);

	victim = objs[0];
	free_on(o, &victim, 1);			/* the legitimate free */
	SMALLOC_KASAN_REPORTS(test, free_on(o, &victim, 1));	/* twice, same CPU */
	SMALLOC_KASAN_REPORTS(test, sfree(victim));		/* and by the owner */
	if (IS_ENABLED(CONFIG_SMALLOC_STATS))
		KUNIT_EXPECT_EQ(test, smalloc_stat_sum(SMALLOC_INVALID_FREE),
				invalid + 2);
	KUNIT_EXPECT_EQ(test, check_heap_owned(heap), 0);
	heartbeat(heap);
	KUNIT_EXPECT_EQ(test, check_heap_owned(heap), 0);
	KUNIT_EXPECT_EQ(test, check_page_owned(page), 0);

	/* The freed block comes back once, not twice. */
	objs[0] = smalloc(160, GFP_KERNEL);
	objs[nr] = smalloc(160, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs[0]);
	KUNIT_ASSERT_NOT_NULL(test, objs[nr]);
	for (i = 0; i <= nr; i++)
		for (j = i + 1; j <= nr; j++)
			KUNIT_ASSERT_PTR_NE(test, objs[i], objs[j]);
	for (i = 0; i <= nr; i++)
		sfree(objs[i]);
	sfree(extra);
	KUNIT_EXPECT_EQ(test, check_heap_owned(heap), 0);
}

/* Pages of @class @heap holds (owner-side walk of its queue and full list). */
static unsigned int class_pages(struct smalloc_heap *heap, unsigned int class)
{
	struct smalloc_page *page;
	unsigned int n = 0;

	preempt_disable();
	list_for_each_entry(page, &heap->queue[class], list)
		n++;
	list_for_each_entry(page, &heap->full[class], list)
		n++;
	preempt_enable();
	return n;
}

/*
 * Pages emptied by remote frees are retired, and so bounded, even while
 * their heap stays busy in other classes: the owner's heartbeats, not only
 * the idle drain, take them back.  The README's producer/consumer pattern.
 */
static void remote_emptied_pages_are_bounded_while_busy(struct kunit *test)
{
	const unsigned int spans = 6;
	unsigned int class = smalloc_size_class(64), i, n, o, beat;
	struct smalloc_heap *heap = task_heap(0);
	void **objs, *big[8];

	n = spans * smalloc_classes[class].blocks;
	objs = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	o = other_cpu(test, 0);
	pin_to(test, 0);
	for (i = 0; i < n; i++) {
		objs[i] = smalloc(64, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
	KUNIT_EXPECT_GE(test, class_pages(heap, class), spans);
	free_on(o, objs, n);			/* the consumer */

	/* The producer keeps allocating, in another class only. */
	for (beat = 0; beat < 8; beat++) {
		big[beat] = smalloc(8000, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, big[beat]);
		heartbeat(heap);
	}
	KUNIT_EXPECT_LE(test, class_pages(heap, class),
			smalloc_retire_max(class));
	KUNIT_EXPECT_EQ(test, check_heap_owned(heap), 0);
	for (beat = 0; beat < 8; beat++)
		sfree(big[beat]);
}

/* ---------------------------------------------------------------- */
/* Frees from another context level of the owner's CPU               */
/* ---------------------------------------------------------------- */

static bool owner_holds_free(void *p);

/* Objects a level allocates or frees in one go: one 64 B span's worth. */
#define CTX_OBJS	64

struct ctx_call {
	struct hrtimer timer;
	bool alloc;		/* allocate objs[] (else free them) */
	bool soft;
	bool in_ctx;		/* the callback ran in the level asked for */
	bool lower_free;	/* ... over lower levels outside their heaps */
	int done;
	unsigned int nr;
	size_t size;		/* 64 unless set */
	void **objs;
	void *some[CTX_OBJS];
};

static struct ctx_call *ctx_call_new(struct kunit *test, unsigned int nr)
{
	struct ctx_call *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->nr = nr;
	c->size = 64;
	c->objs = nr <= CTX_OBJS ? c->some :
		  kunit_kcalloc(test, nr, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->objs);
	return c;
}

static enum hrtimer_restart ctx_call_fire(struct hrtimer *timer)
{
	struct ctx_call *c = container_of(timer, struct ctx_call, timer);
	unsigned int i;

	c->in_ctx = c->soft ? in_serving_softirq() : in_hardirq();
	/*
	 * What the frees below will find: whether the context this one
	 * interrupted (the test's task, or whatever else ran on the CPU
	 * then) was outside any preempt-disabled section.
	 */
	preempt_disable();
	c->lower_free = smalloc_lower_levels_get();
	if (c->lower_free)
		smalloc_lower_levels_put();
	preempt_enable();
	for (i = 0; i < c->nr; i++) {
		if (c->alloc)
			c->objs[i] = smalloc(c->size, GFP_ATOMIC);
		else
			sfree(c->objs[i]);
	}
	/* Pairs with ctx_run_as()'s acquire: objs[] before done. */
	smp_store_release(&c->done, 1);
	return HRTIMER_NORESTART;
}

/*
 * Allocate or free c->objs[] at context level @ctx of this CPU (the
 * caller is pinned): directly for task context, from a pinned hrtimer
 * (soft or hard) otherwise.  The caller spins until it has run, with
 * preemption disabled if @busy: a higher level that interrupts a
 * preempt-disabled section cannot know that the lower heaps are not in
 * use (smalloc_lower_levels_get()).  Return: false if the timer did not
 * run within a second (the caller then cannot say which way it went).
 */
static bool ctx_run_as(struct kunit *test, struct ctx_call *c, bool alloc,
		       enum smalloc_ctx ctx, bool busy)
{
	enum hrtimer_mode mode = ctx == SMALLOC_CTX_SOFTIRQ ?
		HRTIMER_MODE_REL_PINNED_SOFT : HRTIMER_MODE_REL_PINNED_HARD;
	unsigned long end = jiffies + HZ;
	unsigned int i;
	bool in_time;

	c->alloc = alloc;
	if (ctx == SMALLOC_CTX_TASK) {
		for (i = 0; i < c->nr; i++) {
			if (alloc)
				c->objs[i] = smalloc(c->size, GFP_KERNEL);
			else
				sfree(c->objs[i]);
		}
		return true;
	}
	c->soft = ctx == SMALLOC_CTX_SOFTIRQ;
	c->done = 0;
	hrtimer_init(&c->timer, CLOCK_MONOTONIC, mode);
	c->timer.function = ctx_call_fire;
	if (busy)
		preempt_disable();
	hrtimer_start(&c->timer, ns_to_ktime(10 * NSEC_PER_USEC), mode);
	/* The acquires pair with ctx_call_fire()'s release: objs[] read after. */
	while (!smp_load_acquire(&c->done) && time_before(jiffies, end))
		cpu_relax();
	if (busy)
		preempt_enable();
	/* As above. */
	in_time = smp_load_acquire(&c->done);
	/* As above: a timer that came late. */
	while (!smp_load_acquire(&c->done))
		usleep_range(100, 200);
	hrtimer_cancel(&c->timer);
	KUNIT_EXPECT_TRUE(test, c->in_ctx);
	return in_time;
}

static void ctx_run(struct kunit *test, struct ctx_call *c, bool alloc,
		    enum smalloc_ctx ctx)
{
	ctx_run_as(test, c, alloc, ctx, true);
}

static unsigned long remote_frees(void)
{
	return smalloc_stat_sum(SMALLOC_FREE_REMOTE) +
	       smalloc_stat_sum(SMALLOC_FREE_DELAYED);
}

static void collect_heaps_here(struct smalloc_heap *heap)
{
	smalloc_heap_collect_remote(heap);
}

/*
 * Network receive allocates in softirq and the reader frees in task
 * context; timers free in softirq what a task allocated.  On the owner's
 * CPU neither takes the remote path: a lower level frees locally with
 * interrupts off (the block is on its page's local_free at once); a
 * higher one frees locally too if it interrupted no preempt-disabled
 * section, and else pushes onto the owner heap's ctx_free, which the
 * owner's next heartbeat takes back.  Every pair of task, softirq and
 * hardirq, each higher level both ways.
 */
/*
 * One case of the test below: allocate at level @a, free at level @f.
 * Return: false if a higher level's free, asked to interrupt a section
 * with preemption on (!@busy), found the lower levels busy all the same:
 * it interrupted something else that ran on the CPU (checked as such).
 */
static bool cross_level_case(struct kunit *test, struct ctx_call *c,
			     unsigned int a, unsigned int f, bool busy)
{
	struct smalloc_heap *owner = &per_cpu_ptr(smalloc_cpus, 0)->heap[a];
	unsigned long ctx0, remote0, local0;
	unsigned int i;
	bool known;

	ctx_run(test, c, true, a);
	for (i = 0; i < c->nr; i++) {
		KUNIT_ASSERT_NOT_NULL(test, c->objs[i]);
		KUNIT_ASSERT_PTR_EQ(test, smalloc_ptr_to_page(c->objs[i])->heap,
				    owner);
	}
	ctx0 = smalloc_stat_sum(SMALLOC_FREE_CTX);
	remote0 = remote_frees();
	local0 = smalloc_stat_sum(SMALLOC_FREE_LOCAL);
	known = ctx_run_as(test, c, false, f, busy);

	if (IS_ENABLED(CONFIG_SMALLOC_STATS)) {
		KUNIT_EXPECT_EQ_MSG(test, smalloc_stat_sum(SMALLOC_FREE_CTX),
				    ctx0 + c->nr, "alloc %u free %u", a, f);
		KUNIT_EXPECT_EQ(test, remote_frees(), remote0);
		KUNIT_EXPECT_EQ(test, smalloc_stat_sum(SMALLOC_FREE_LOCAL), local0);
	}
	for (i = 0; i < c->nr; i++) {
		struct smalloc_page *page = smalloc_ptr_to_page(c->objs[i]);

		KUNIT_EXPECT_EQ(test, atomic_long_read(&page->xthread_free), 0);
		KUNIT_EXPECT_TRUE(test, owner_holds_free(c->objs[i]));
	}
	/*
	 * A higher level that interrupted a preempt-disabled section leaves
	 * them on ctx_free; without CONFIG_PREEMPT_COUNT it cannot tell, and
	 * always does.  Interrupting the test's own preempt-disabled spin,
	 * it must find the lower levels busy.
	 */
	if (known && f > a) {
		bool on_ctx = READ_ONCE(owner->ctx_free);

		if (busy)
			KUNIT_EXPECT_FALSE(test, c->lower_free);
		KUNIT_EXPECT_EQ_MSG(test, on_ctx, !c->lower_free,
				    "alloc %u free %u busy %d", a, f, busy);
	} else if (known) {
		KUNIT_EXPECT_NULL(test, READ_ONCE(owner->ctx_free));
	}
	KUNIT_EXPECT_EQ(test, atomic_long_read(&owner->remote_classes), 0);
	KUNIT_EXPECT_EQ(test, work_on_cpu(0, smalloc_check_this_cpu, NULL), 0);

	smalloc_run_on_heaps_here(collect_heaps_here);
	KUNIT_EXPECT_NULL(test, READ_ONCE(owner->ctx_free));
	for (i = 0; i < c->nr; i++)
		KUNIT_EXPECT_TRUE(test, owner_holds_free(c->objs[i]));
	KUNIT_EXPECT_EQ(test, work_on_cpu(0, smalloc_check_this_cpu, NULL), 0);
	return busy || f <= a || !known || c->lower_free ||
	       !IS_ENABLED(CONFIG_PREEMPT_COUNT);
}

static void cross_level_frees_skip_the_remote_path(struct kunit *test)
{
	struct ctx_call *c = ctx_call_new(test, CTX_OBJS);
	unsigned int a, f, tries;

	pin_to(test, 0);
	for (a = SMALLOC_CTX_TASK; a <= SMALLOC_CTX_HARDIRQ; a++) {
		for (f = SMALLOC_CTX_TASK; f <= SMALLOC_CTX_HARDIRQ; f++) {
			if (a == f)
				continue;
			cross_level_case(test, c, a, f, true);
			if (f <= a)
				continue;
			/* The local path must be taken: retry interference. */
			for (tries = 0; tries < 5; tries++)
				if (cross_level_case(test, c, a, f, false))
					break;
			KUNIT_EXPECT_TRUE_MSG(test, tries < 5, "alloc %u free %u", a, f);
		}
	}
}

/*
 * A block waiting on ctx_free is free: freeing it again is reported and
 * changes nothing, and the heartbeat that takes the stack back empties
 * and retires the page as local frees would have.
 */
static void ctx_free_block_is_free_and_collected(struct kunit *test)
{
	struct ctx_call *c = ctx_call_new(test, CTX_OBJS);
	struct smalloc_heap *heap = task_heap(0);
	unsigned long twice = smalloc_stat_sum(SMALLOC_DOUBLE_FREE);
	struct smalloc_page *page;
	void *head;

	pin_to(test, 0);
	ctx_run(test, c, true, SMALLOC_CTX_TASK);
	page = smalloc_ptr_to_page(c->objs[c->nr - 1]);
	ctx_run(test, c, false, SMALLOC_CTX_SOFTIRQ);
	head = READ_ONCE(heap->ctx_free);
	KUNIT_ASSERT_NOT_NULL(test, head);

	SMALLOC_KASAN_REPORTS(test, sfree(c->objs[c->nr - 1]));
	KUNIT_EXPECT_PTR_EQ(test, READ_ONCE(heap->ctx_free), head);
	if (IS_ENABLED(CONFIG_SMALLOC_STATS))
		KUNIT_EXPECT_EQ(test, smalloc_stat_sum(SMALLOC_DOUBLE_FREE),
				twice + 1);
	KUNIT_EXPECT_EQ(test, check_heap_owned(heap), 0);

	heartbeat(heap);
	KUNIT_EXPECT_NULL(test, READ_ONCE(heap->ctx_free));
	/* Nothing else of the class is live here: its pages are empty. */
	KUNIT_EXPECT_EQ(test, smalloc_page_used(page), 0);
	KUNIT_EXPECT_TRUE(test, smalloc_page_is_retired(page));
	KUNIT_EXPECT_EQ(test, check_heap_owned(heap), 0);
}

/*
 * What higher levels free into a busy heap is bounded as remote frees are:
 * pages a softirq emptied are retired by the owner's heartbeats while it
 * allocates in another class.
 */
static void ctx_emptied_pages_are_bounded(struct kunit *test)
{
	const unsigned int spans = 6;
	unsigned int class = smalloc_size_class(64), beat;
	struct smalloc_heap *heap = task_heap(0);
	struct ctx_call *c;
	void *big[8];

	c = ctx_call_new(test, spans * smalloc_classes[class].blocks);
	pin_to(test, 0);
	ctx_run(test, c, true, SMALLOC_CTX_TASK);
	KUNIT_EXPECT_GE(test, class_pages(heap, class), spans);
	ctx_run(test, c, false, SMALLOC_CTX_SOFTIRQ);
	KUNIT_EXPECT_GE(test, class_pages(heap, class), spans);

	for (beat = 0; beat < 8; beat++) {
		big[beat] = smalloc(8000, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, big[beat]);
		heartbeat(heap);
	}
	KUNIT_EXPECT_NULL(test, READ_ONCE(heap->ctx_free));
	KUNIT_EXPECT_LE(test, class_pages(heap, class),
			smalloc_retire_max(class));
	KUNIT_EXPECT_EQ(test, check_heap_owned(heap), 0);
	for (beat = 0; beat < 8; beat++)
		sfree(big[beat]);
}

/*
 * The budget cases: a small global retire budget for the case, the
 * retired frames' peak after each step, and at the end that the peak
 * reached the budget (within one span: 8 frames at most) and never
 * passed it, and that the counter is the sum of what the heaps hold.
 */
#define BUDGET_FRAMES	24UL

static unsigned long budget_begin(struct kunit *test)
{
	unsigned long saved = smalloc_retire_budget;

	smalloc_drain();
	KUNIT_ASSERT_EQ(test, atomic_long_read(&smalloc_retired_frames), 0);
	WRITE_ONCE(smalloc_retire_budget, BUDGET_FRAMES);
	return saved;
}

static void budget_step(struct kunit *test, unsigned long *peak)
{
	long now = atomic_long_read(&smalloc_retired_frames);

	*peak = max_t(unsigned long, *peak, now);
	KUNIT_EXPECT_LE(test, now, BUDGET_FRAMES);
}

static void budget_end(struct kunit *test, unsigned long saved,
		       unsigned long peak)
{
	KUNIT_EXPECT_EQ(test, atomic_long_read(&smalloc_retired_frames),
			smalloc_retired_frames_sum());
	KUNIT_EXPECT_GT(test, peak + 8, BUDGET_FRAMES);
	KUNIT_EXPECT_LE(test, peak, BUDGET_FRAMES);
	WRITE_ONCE(smalloc_retire_budget, saved);
	smalloc_drain();
	KUNIT_EXPECT_EQ(test, atomic_long_read(&smalloc_retired_frames), 0);
	expect_all_heaps_consistent(test);
}

/*
 * The per-heap bound alone grows with CPUs x context levels x classes;
 * the global budget does not.  Every online CPU, in task, softirq and
 * hardirq context, fills and empties three spans of each of several
 * classes, far more than a small budget: what is kept retired reaches the
 * budget (less one span) and never passes it, and the counter is the sum
 * of what the heaps hold.
 */
static void retired_pages_stay_within_the_global_budget(struct kunit *test)
{
	static const size_t sizes[] = { 64, 256, 1024, 4096 };
	unsigned long saved = budget_begin(test), peak = 0;
	unsigned int cpu, ctx, k, i;

	for_each_online_cpu(cpu) {
		pin_to(test, cpu);
		for (ctx = SMALLOC_CTX_TASK; ctx <= SMALLOC_CTX_HARDIRQ; ctx++) {
			for (k = 0; k < ARRAY_SIZE(sizes); k++) {
				unsigned int class = smalloc_size_class(sizes[k]);
				struct ctx_call *c;

				c = ctx_call_new(test, 3 * smalloc_classes[class].blocks);
				c->size = sizes[k];
				ctx_run(test, c, true, ctx);
				for (i = 0; i < c->nr; i++)
					KUNIT_ASSERT_NOT_NULL(test, c->objs[i]);
				ctx_run(test, c, false, ctx);
				budget_step(test, &peak);
			}
		}
	}
	budget_end(test, saved, peak);
}

/* ---------------------------------------------------------------- */
/* NUMA: smalloc_node() for every node                               */
/* ---------------------------------------------------------------- */

static long check_pool(struct smalloc_heap *heap, void *arg)
{
	return smalloc_heap_check(heap);
}

/* What the pool's next allocation would do first: take in the frees. */
static long collect_pool(struct smalloc_heap *heap, void *arg)
{
	smalloc_heap_collect_remote(heap);
	return 0;
}

static long pool_pages(struct smalloc_heap *heap, void *arg)
{
	*(unsigned long *)arg += heap->nr_pages;
	return 0;
}

/*
 * smalloc_node() serves every online node from spans on that node: the
 * caller's own node from its CPU's heap, any other from that node's pool,
 * never from kmalloc.  Frees from the owner's CPU, another CPU and a
 * softirq all go home (remote frees into the pool's pages), the pools stay
 * consistent, and a drain gives every pool page back.
 */
static void smalloc_node_places_every_block_on_its_node(struct kunit *test)
{
	static const size_t sizes[] = { 8, 64, 256, 1000, 4096, 8192 };
	const unsigned int per = 40;
	unsigned long foreign = smalloc_stat_sum(SMALLOC_FOREIGN_FREE);
	unsigned long pages = 0;
	struct ctx_call *c;
	void **objs;
	unsigned int i, k, n = 0, o;
	int node, here;

	if (num_online_nodes() < 2)
		kunit_skip(test, "needs two online NUMA nodes");
	o = other_cpu(test, 0);
	pin_to(test, 0);
	here = numa_mem_id();
	objs = kunit_kcalloc(test, nr_node_ids * ARRAY_SIZE(sizes) * per,
			     sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	for_each_online_node(node) {
		for (k = 0; k < ARRAY_SIZE(sizes); k++) {
			for (i = 0; i < per; i++) {
				void *p = smalloc_node(sizes[k], GFP_KERNEL, node);
				struct smalloc_page *page;

				KUNIT_ASSERT_NOT_NULL(test, p);
				page = smalloc_ptr_to_page(p);
				/* smalloc's, not a kmalloc fallback. */
				KUNIT_ASSERT_NOT_NULL(test, page);
				KUNIT_EXPECT_EQ_MSG(test, page_to_nid(virt_to_page(p)),
						    node, "size %zu", sizes[k]);
				if (node == here)
					KUNIT_EXPECT_PTR_EQ(test, page->heap, task_heap(0));
				else
					KUNIT_EXPECT_EQ(test, page->heap->cpu,
							SMALLOC_POOL_CPU);
				memset(p, 0x5a, sizes[k]);
				objs[n++] = p;
			}
		}
	}
	KUNIT_EXPECT_EQ(test, smalloc_pools_call(check_pool, NULL), 0);
	smalloc_pools_call(pool_pages, &pages);
	KUNIT_EXPECT_GT(test, pages, 0);

	/* A third freed here, a third on another CPU, a third in softirq. */
	c = ctx_call_new(test, 0);
	c->objs = objs + 2 * (n / 3);
	c->nr = n - 2 * (n / 3);
	free_on(o, objs + n / 3, n / 3);
	for (i = 0; i < n / 3; i++)
		sfree(objs[i]);
	ctx_run(test, c, false, SMALLOC_CTX_SOFTIRQ);
	KUNIT_EXPECT_EQ(test, smalloc_pools_call(check_pool, NULL), 0);
	if (IS_ENABLED(CONFIG_SMALLOC_STATS))
		KUNIT_EXPECT_EQ(test, smalloc_stat_sum(SMALLOC_FOREIGN_FREE), foreign);

	smalloc_drain();
	pages = 0;
	smalloc_pools_call(pool_pages, &pages);
	KUNIT_EXPECT_EQ(test, pages, 0);
	expect_all_heaps_consistent(test);
}

/*
 * The node pools' retired spans count against the same global budget as
 * the CPUs' heaps: spans of several classes filled from another node's
 * pool and emptied again (remote frees, which the pool takes in as its
 * next allocation would), far more than a small budget, leave retired at
 * most the budget (and within one span of it), all of it in the pool.
 */
static void pool_retired_pages_stay_within_the_global_budget(struct kunit *test)
{
	static const size_t sizes[] = { 64, 256, 1024, 4096 };
	unsigned long saved, peak = 0;
	unsigned int k, i, n;
	void **objs;
	int node;

	if (num_online_nodes() < 2)
		kunit_skip(test, "needs two online NUMA nodes");
	pin_to(test, 0);
	for_each_online_node(node)
		if (node != numa_mem_id())
			break;
	saved = budget_begin(test);
	for (k = 0; k < ARRAY_SIZE(sizes); k++) {
		n = 3 * smalloc_classes[smalloc_size_class(sizes[k])].blocks;
		objs = kcalloc(n, sizeof(void *), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs);
		for (i = 0; i < n; i++) {
			objs[i] = smalloc_node(sizes[k], GFP_KERNEL, node);
			KUNIT_ASSERT_NOT_NULL(test, objs[i]);
			KUNIT_ASSERT_EQ(test, smalloc_ptr_to_page(objs[i])->heap->cpu,
					SMALLOC_POOL_CPU);
		}
		for (i = 0; i < n; i++)
			sfree(objs[i]);
		kfree(objs);
		/* Remote frees, every one: emptied spans retire as collected. */
		smalloc_pools_call(collect_pool, NULL);
		budget_step(test, &peak);
	}
	/* All of it the pool's. */
	KUNIT_EXPECT_EQ(test, smalloc_pools_retired(),
			atomic_long_read(&smalloc_retired_frames));
	KUNIT_EXPECT_EQ(test, smalloc_pools_call(check_pool, NULL), 0);
	budget_end(test, saved, peak);
}

/* smemdup(), sstrdup(), sstrndup(), srealloc_array(), the _node forms. */
static void dup_and_node_helpers_follow_kmalloc(struct kunit *test)
{
	static const char src[] = "smalloc: a per-CPU small-object allocator";
	char *s;
	u8 *p, *q;
	size_t i;

	p = smemdup(src, sizeof(src), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, memcmp(p, src, sizeof(src)), 0);
	sfree(p);
	KUNIT_EXPECT_PTR_EQ(test, smemdup(src, 0, GFP_KERNEL), ZERO_SIZE_PTR);

	KUNIT_EXPECT_NULL(test, sstrdup(NULL, GFP_KERNEL));
	s = sstrdup(src, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_EXPECT_STREQ(test, s, src);
	sfree(s);
	KUNIT_EXPECT_NULL(test, sstrndup(NULL, 4, GFP_KERNEL));
	s = sstrndup(src, 7, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_EXPECT_STREQ(test, s, "smalloc");
	sfree(s);
	s = sstrndup("ab", 100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_EXPECT_STREQ(test, s, "ab");
	sfree(s);

	p = smalloc_array(10, 4, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	fill(p, 40, 3);
	KUNIT_EXPECT_NULL(test, srealloc_array(p, SIZE_MAX / 2, 4, GFP_KERNEL));
	KUNIT_EXPECT_TRUE(test, verify(p, 40, 3));	/* left as it was */
	q = srealloc_array(p, 100, 4, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_TRUE(test, verify(q, 40, 3));
	KUNIT_EXPECT_GE(test, smalloc_usable_size(q), 400);
	sfree(q);

	p = szalloc_node(300, GFP_KERNEL, numa_mem_id());
	KUNIT_ASSERT_NOT_NULL(test, p);
	for (i = 0; i < 300; i++)
		KUNIT_EXPECT_EQ(test, p[i], 0);
	sfree(p);
	KUNIT_EXPECT_NULL(test, scalloc_node(SIZE_MAX / 2, 4, GFP_KERNEL,
					     NUMA_NO_NODE));
	p = scalloc_node(25, 4, GFP_KERNEL, NUMA_NO_NODE);
	KUNIT_ASSERT_NOT_NULL(test, p);
	for (i = 0; i < 100; i++)
		KUNIT_EXPECT_EQ(test, p[i], 0);
	sfree(p);
}

/*
 * smalloc_bulk() is all or nothing and hands out distinct, usable (and
 * zeroed if asked) objects across page refills; sfree_bulk() takes any
 * mix: blocks of several pages and sizes, remote ones, kmalloc objects,
 * large allocations.
 */
static void bulk_alloc_and_free(struct kunit *test)
{
	struct smalloc_test_ctx *ctx = test->priv;
	const unsigned int n = 1500;
	void **p = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	unsigned int i, j, o;
	u8 *b;

	KUNIT_ASSERT_NOT_NULL(test, p);
	o = other_cpu(test, 0);
	pin_to(test, 0);
	KUNIT_ASSERT_EQ(test, smalloc_bulk(72, GFP_KERNEL | __GFP_ZERO, n, p), n);
	for (i = 0; i < n; i++) {
		b = p[i];
		KUNIT_ASSERT_NOT_NULL(test, b);
		KUNIT_EXPECT_GE(test, smalloc_usable_size(b), 72);
		for (j = 0; j < 72; j++)
			KUNIT_ASSERT_EQ(test, b[j], 0);
		memset(b, 0x5a, 72);
	}
	for (i = 1; i < n; i++)
		KUNIT_ASSERT_PTR_NE(test, p[i], p[i - 1]);
	KUNIT_EXPECT_EQ(test, check_heap_owned(task_heap(0)), 0);
	/* A mix: every fifth from kmalloc, large, another size. */
	for (i = 0; i < n; i += 5) {
		sfree(p[i]);
		p[i] = (i % 15 == 0) ? kmalloc(40, GFP_KERNEL) :
		       (i % 15 == 5) ? smalloc(20000, GFP_KERNEL) :
				       smalloc(1000, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	sfree_bulk(n / 2, p);			/* the owner */
	{
		struct remote_free_args a = { .objs = p + n / 2, .nr = n - n / 2 };

		work_on_cpu(o, bulk_free_here, &a);	/* another CPU */
	}
	expect_all_heaps_consistent(test);
	smalloc_drain_all();
	KUNIT_EXPECT_EQ(test, atomic_long_read(&smalloc_nr_pages), ctx->base_pages);

	/* A failure part way (one span's worth in) leaves nothing allocated. */
	b = smalloc(72, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b);
	atomic_set(&smalloc_fail_pages, 1);
	KUNIT_EXPECT_EQ(test, smalloc_bulk(72, GFP_KERNEL | __GFP_NOWARN, n, p), 0);
	atomic_set(&smalloc_fail_pages, 0);
	KUNIT_EXPECT_EQ(test, smalloc_page_used(smalloc_ptr_to_page(b)), 1);
	sfree(b);
	smalloc_drain_all();
	KUNIT_EXPECT_EQ(test, atomic_long_read(&smalloc_nr_pages), ctx->base_pages);
	KUNIT_EXPECT_EQ(test, check_heap_owned(task_heap(0)), 0);
}

struct rcu_obj {
	unsigned long payload[5];
	struct rcu_head rh;
};

static bool owner_holds_free(void *p)
{
	return as_owner(smalloc_page_holds_free(smalloc_ptr_to_page(p), p));
}

/*
 * sfree_rcu() frees nothing before a grace period (readers inside
 * rcu_read_lock() keep the objects), batches (one callback per up to 61
 * objects, none per object), and smalloc_rcu_barrier() waits for all.
 */
static void sfree_rcu_batches_after_a_grace_period(struct kunit *test)
{
	unsigned long queued = smalloc_stat_sum(SMALLOC_RCU_QUEUED);
	unsigned long batches = smalloc_stat_sum(SMALLOC_RCU_BATCHES);
	unsigned long single = smalloc_stat_sum(SMALLOC_RCU_SINGLE);
	const unsigned int n = 200;
	struct rcu_obj **o = kunit_kcalloc(test, n, sizeof(*o), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, o);
	pin_to(test, 0);
	smalloc_rcu_barrier();
	for (i = 0; i < n; i++) {
		o[i] = smalloc(sizeof(**o), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, o[i]);
		o[i]->payload[0] = i;
	}
	rcu_read_lock();
	for (i = 0; i < n; i++)
		sfree_rcu(o[i], rh);
	sfree_rcu((struct rcu_obj *)NULL, rh);
	/* A reader still sees every object intact. */
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ(test, o[i]->payload[0], i);
		KUNIT_EXPECT_FALSE(test, owner_holds_free(o[i]));
	}
	rcu_read_unlock();
	smalloc_rcu_barrier();
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_TRUE(test, owner_holds_free(o[i]));
	if (IS_ENABLED(CONFIG_SMALLOC_STATS)) {
		KUNIT_EXPECT_EQ(test, smalloc_stat_sum(SMALLOC_RCU_QUEUED),
				queued + n);
		KUNIT_EXPECT_GE(test, smalloc_stat_sum(SMALLOC_RCU_BATCHES),
				batches + DIV_ROUND_UP(n, 61));
		KUNIT_EXPECT_LE(test, smalloc_stat_sum(SMALLOC_RCU_BATCHES),
				batches + DIV_ROUND_UP(n, 61) + 1);
		KUNIT_EXPECT_EQ(test, smalloc_stat_sum(SMALLOC_RCU_SINGLE), single);
	}
	KUNIT_EXPECT_EQ(test, check_heap_owned(task_heap(0)), 0);
}

/*
 * Without a batch (its allocation failing), each object gets a callback
 * on its own rcu_head, wherever that sits: in a block, deep inside a large
 * allocation, in a kmalloc object; sfree_rcu_mightsleep() waits itself.
 */
static void sfree_rcu_falls_back_to_the_objects_head(struct kunit *test)
{
	unsigned long single = smalloc_stat_sum(SMALLOC_RCU_SINGLE);
	struct rcu_obj *blk, *kobj;
	struct rcu_head *deep;
	long large = smalloc_large_count();
	u8 *big, *plain;

	pin_to(test, 0);
	smalloc_rcu_barrier();
	blk = smalloc(sizeof(*blk), GFP_KERNEL);
	kobj = kmalloc(sizeof(*kobj), GFP_KERNEL);
	big = smalloc(20000, GFP_KERNEL);
	plain = smalloc(100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, blk);
	KUNIT_ASSERT_NOT_NULL(test, kobj);
	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_ASSERT_NOT_NULL(test, plain);
	deep = (struct rcu_head *)(big + 16000);
	atomic_set(&smalloc_fail_rcu_batch, 100);
	sfree_rcu(blk, rh);
	sfree_rcu(kobj, rh);
	smalloc_free_rcu(big, deep);
	sfree_rcu_mightsleep(plain);
	/* The one-argument form waited for its grace period and freed. */
	KUNIT_EXPECT_TRUE(test, owner_holds_free(plain));
	atomic_set(&smalloc_fail_rcu_batch, 0);
	smalloc_rcu_barrier();
	KUNIT_EXPECT_TRUE(test, owner_holds_free(blk));
	KUNIT_EXPECT_EQ(test, smalloc_large_count(), large);
	if (IS_ENABLED(CONFIG_SMALLOC_STATS))
		KUNIT_EXPECT_EQ(test, smalloc_stat_sum(SMALLOC_RCU_SINGLE),
				single + 4);
}

/* ---------------------------------------------------------------- */
/* API semantics                                                     */
/* ---------------------------------------------------------------- */

/*
 * All of @p's block, claimed as the usable-size rule asks (ksize()'s on
 * 6.12): srealloc() to it, which keeps @p.  On a KASAN kernel a touch past
 * the request is reported until then.
 */
static size_t claim_usable(struct kunit *test, void *p)
{
	size_t us = smalloc_usable_size(p);

	KUNIT_EXPECT_PTR_EQ(test, srealloc(p, us, GFP_KERNEL), p);
	return us;
}

/* Canaries survive many rounds of fill/free for every class. */
static void churn_keeps_canaries_every_class(struct kunit *test)
{
	const unsigned int per_round = 96, rounds = 6;
	void **objs = kunit_kcalloc(test, per_round, sizeof(void *), GFP_KERNEL);
	unsigned int c, r, i;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	for (c = 0; c < SMALLOC_NR_CLASSES; c++) {
		size_t sizes[2] = { smalloc_classes[c].size,
				    c ? smalloc_classes[c - 1].size + 1 : 1 };

		for (r = 0; r < rounds; r++) {
			size_t size = sizes[r & 1];

			for (i = 0; i < per_round; i++) {
				objs[i] = smalloc(size, GFP_KERNEL);
				KUNIT_ASSERT_NOT_NULL(test, objs[i]);
				KUNIT_ASSERT_GE(test, smalloc_usable_size(objs[i]),
						size);
				fill(objs[i], claim_usable(test, objs[i]),
				     (unsigned long)objs[i] + r);
			}
			for (i = 0; i < per_round; i++) {
				size_t us = smalloc_usable_size(objs[i]);
				unsigned long seed = (unsigned long)objs[i] + r;

				KUNIT_ASSERT_TRUE_MSG(test, verify(objs[i], us, seed),
						      "class %u round %u object %u",
						      c, r, i);
			}
			/* Free in an order that differs round to round. */
			for (i = 0; i < per_round; i++) {
				unsigned int j = (i * 37 + r) % per_round;

				sfree(objs[j]);
				objs[j] = NULL;
			}
			for (i = 0; i < per_round; i++)
				KUNIT_EXPECT_NULL(test, objs[i]);
		}
	}
	expect_all_heaps_consistent(test);
}

/* szalloc/scalloc return zeroes even where freed dirty blocks are reused. */
static void restore_direct(struct smalloc_heap *heap, size_t size)
{
	preempt_disable();
	smalloc_heap_update_direct(heap, smalloc_size_class(size));
	preempt_enable();
}

static void zeroing_after_dirty_free(struct kunit *test)
{
	static const size_t sizes[] = { 8, 41, 64, 201, 1000, 3001, 8192, 20000 };
	struct smalloc_heap *heap = task_heap(0);
	unsigned int i, r;

	pin_to(test, 0);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (r = 0; r < 4; r++) {
			bool slow = r >= 2 && sizes[i] <= SMALLOC_MAX_SIZE;
			unsigned int slot = 0;
			size_t k, usable;
			u8 *p, *q;

			p = smalloc(sizes[i], GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, p);
			usable = claim_usable(test, p);
			memset(p, 0xa5, usable);
			sfree(p);
			if (slow) {
				/* The next allocation takes the slow path. */
				const struct smalloc_class *cl =
					&smalloc_classes[smalloc_size_class(sizes[i])];

				for (slot = cl->wmin; slot <= cl->wmax; slot++)
					heap->direct[slot] = &smalloc_empty_page;
			}
			q = (r & 1) ? szalloc(sizes[i], GFP_KERNEL) :
				      scalloc(1, sizes[i], GFP_KERNEL);
			if (slow)
				restore_direct(heap, sizes[i]);
			KUNIT_ASSERT_NOT_NULL(test, q);
			if (sizes[i] <= SMALLOC_MAX_SIZE)
				KUNIT_EXPECT_PTR_EQ(test, q, p);
			/* All of what may be used, not only the request. */
			usable = claim_usable(test, q);
			for (k = 0; k < usable; k++)
				if (q[k])
					break;
			KUNIT_EXPECT_EQ_MSG(test, k, usable, "size %zu, %s path",
					    sizes[i], slow ? "slow" : "fast");
			sfree(q);
		}
	}
	KUNIT_EXPECT_EQ(test, check_heap_owned(heap), 0);
}

/*
 * The slow path takes back remote frees before it carves more of a span:
 * freed blocks are reused first (locality, and no span grows while its
 * blocks sit freed).
 */
static void remote_frees_are_reused_before_carving(struct kunit *test)
{
	unsigned int class = smalloc_size_class(64), i, n, o;
	struct smalloc_page *page;
	void **objs, *p;

	o = other_cpu(test, 0);
	pin_to(test, 0);
	objs = kunit_kcalloc(test, SMALLOC_MAX_BLOCKS, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	objs[0] = smalloc(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs[0]);
	page = smalloc_ptr_to_page(objs[0]);
	KUNIT_ASSERT_LT(test, page->capacity, page->reserved);
	/* Exhaust what the first extension carved. */
	n = page->capacity;
	for (i = 1; i < n; i++) {
		objs[i] = smalloc(64, GFP_KERNEL);
		KUNIT_ASSERT_PTR_EQ(test, smalloc_ptr_to_page(objs[i]), page);
	}
	KUNIT_ASSERT_NULL(test, page->free);
	free_on(o, objs, n / 2);
	p = smalloc(64, GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, page->capacity, n);	/* nothing more carved */
	for (i = 0; i < n / 2; i++)
		if (objs[i] == p)
			break;
	KUNIT_EXPECT_TRUE_MSG(test, i < n / 2, "a remotely freed block comes back");
	KUNIT_EXPECT_EQ(test, page->class, class);
	sfree(p);
	for (i = n / 2; i < n; i++)
		sfree(objs[i]);
	KUNIT_EXPECT_EQ(test, check_heap_owned(task_heap(0)), 0);
}

/*
 * A span given back leaves nothing of smalloc's on its frames: no bit in
 * the ownership map (the frames may become a slab page, whose objects
 * sfree() would otherwise take for blocks).
 */
static void released_span_leaves_no_trace(struct kunit *test)
{
	unsigned long pfn, i, nr;
	struct smalloc_page *page;
	void *p;

	pin_to(test, 0);
	p = smalloc(4000, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	page = smalloc_ptr_to_page(p);
	KUNIT_ASSERT_NOT_NULL(test, page);
	pfn = smalloc_addr_pfn(page->start);
	nr = 1UL << page->order;
	for (i = 0; i < nr; i++)
		KUNIT_EXPECT_TRUE(test, smalloc_pfn_owned(pfn + i));
	sfree(p);
	smalloc_drain_all();
	for (i = 0; i < nr; i++)
		KUNIT_EXPECT_FALSE_MSG(test, smalloc_pfn_owned(pfn + i),
				       "frame %lu of a released span", i);
	KUNIT_EXPECT_NULL(test, smalloc_ptr_to_page(p));
}

/*
 * Frames the ownership map cannot cover (memory hot-added after load) are
 * handed back and kmalloc serves the request: a __GFP_NOFAIL allocation
 * does not fail for it, small or large, and sfree() takes it back.
 */
static void memory_above_map_is_served_by_kmalloc(struct kunit *test)
{
	unsigned long foreign = smalloc_stat_sum(SMALLOC_FOREIGN_FREE);
	static const size_t sizes[] = { 3000, 20000 };
	unsigned int i;

	pin_to(test, 0);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		void *p;

		atomic_set(&smalloc_fail_above_map, 2);
		p = smalloc(sizes[i], GFP_KERNEL | __GFP_NOFAIL);
		atomic_set(&smalloc_fail_above_map, 0);
		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_NULL(test, smalloc_ptr_to_page(p));
		KUNIT_EXPECT_GE(test, smalloc_usable_size(p), sizes[i]);
		memset(p, 0x5a, sizes[i]);
		sfree(p);
	}
	if (IS_ENABLED(CONFIG_SMALLOC_STATS))
		KUNIT_EXPECT_EQ(test, smalloc_stat_sum(SMALLOC_FOREIGN_FREE),
				foreign + ARRAY_SIZE(sizes));
}

/* Usable size is at least the request and at most the class above it. */
static void usable_size_covers_request(struct kunit *test)
{
	size_t size;

	for (size = 1; size <= SMALLOC_MAX_SIZE + 4096; size += 7) {
		void *p = smalloc(size, GFP_KERNEL);
		size_t us = smalloc_usable_size(p);

		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_GE(test, us, size);
		if (size <= SMALLOC_MAX_SIZE) {
			unsigned int c = smalloc_size_class(size);

			KUNIT_EXPECT_EQ(test, us, smalloc_classes[c].size);
		}
		claim_usable(test, p);
		memset(p, 0x5a, us);
		sfree(p);
	}
	KUNIT_EXPECT_EQ(test, smalloc_usable_size(NULL), 0);
	KUNIT_EXPECT_EQ(test, smalloc_usable_size(ZERO_SIZE_PTR), 0);
}

/* ARCH_KMALLOC_MINALIGN always; power-of-two sizes naturally aligned. */
static void alignment_matches_kmalloc(struct kunit *test)
{
	size_t size;
	int i;

	for (size = 1; size <= SMALLOC_MAX_SIZE; size++) {
		void *p[3];

		for (i = 0; i < 3; i++) {
			unsigned long a;

			p[i] = smalloc(size, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, p[i]);
			a = (unsigned long)p[i];
			KUNIT_EXPECT_TRUE(test, IS_ALIGNED(a, ARCH_KMALLOC_MINALIGN));
			if (is_power_of_2(size))
				KUNIT_EXPECT_TRUE_MSG(test, IS_ALIGNED(a, size),
						      "size %zu at %p", size, p[i]);
		}
		for (i = 0; i < 3; i++)
			sfree(p[i]);
		if (size > 512)
			size += 63;
	}
}

/* srealloc keeps contents when growing and shrinking. */
static void srealloc_keeps_contents(struct kunit *test)
{
	static const size_t steps[] = { 1, 24, 100, 1000, 5000, 12000, 300, 16 };
	size_t prev = 0;
	u8 *p = NULL;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		size_t keep = min(prev, steps[i]);
		u8 *n = srealloc(p, steps[i], GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, n);
		KUNIT_EXPECT_TRUE_MSG(test, verify(n, keep, 7),
				      "step %u (%zu -> %zu)", i, prev, steps[i]);
		fill(n, steps[i], 7);
		p = n;
		prev = steps[i];
	}
	/* Shrinking within the block keeps the pointer. */
	KUNIT_EXPECT_PTR_EQ(test, srealloc(p, 8, GFP_KERNEL), (void *)p);
	KUNIT_EXPECT_PTR_EQ(test, srealloc(p, 0, GFP_KERNEL), ZERO_SIZE_PTR);
}

/*
 * A buffer grown by small appends moves to a block of at least half as
 * much again each time it outgrows one, so it moves O(log n) times, and
 * never holds more than twice what it asked for (kmalloc's bound).
 */
static void srealloc_grows_geometrically(struct kunit *test)
{
	unsigned int moves = 0;
	size_t size, ks = 0;
	u8 *p = NULL, *n;

	for (size = 24; size <= 4096; size += 24) {
		n = srealloc(p, size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, n);
		KUNIT_EXPECT_TRUE(test, verify(n, size - 24, 3));
		fill(n, size, 3);
		if (p && n != p) {
			moves++;
			KUNIT_EXPECT_GE_MSG(test, smalloc_usable_size(n),
					    ks + ks / 2, "at %zu bytes", size);
		}
		KUNIT_EXPECT_LE_MSG(test, smalloc_usable_size(n), 2 * size,
				    "at %zu bytes", size);
		ks = smalloc_usable_size(n);
		p = n;
	}
	/* 24 -> 4096 bytes: log1.5(4096 / 24) is under 13. */
	KUNIT_EXPECT_LE(test, moves, 13);
	sfree(p);
}

/* Size 0, overflows and absurd sizes are answered as kmalloc does. */
static void bad_sizes_return_zero_ptr_or_null(struct kunit *test)
{
	unsigned long fails = smalloc_stat_sum(SMALLOC_ALLOC_FAIL);

	KUNIT_EXPECT_PTR_EQ(test, smalloc(0, GFP_KERNEL), ZERO_SIZE_PTR);
	sfree(ZERO_SIZE_PTR);
	sfree(NULL);
	KUNIT_EXPECT_NULL(test, smalloc_array(SIZE_MAX / 2, 4, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, scalloc(3, SIZE_MAX / 2, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, smalloc(SIZE_MAX, GFP_KERNEL | __GFP_NOWARN));
	KUNIT_EXPECT_NULL(test, smalloc(SMALLOC_LARGE_MAX + 1,
					GFP_KERNEL | __GFP_NOWARN));
	KUNIT_EXPECT_NULL(test, srealloc(NULL, SIZE_MAX,
					 GFP_KERNEL | __GFP_NOWARN));
	/* Refusals are not allocation failures. */
	KUNIT_EXPECT_EQ(test, smalloc_stat_sum(SMALLOC_ALLOC_FAIL), fails);
}

/* Large requests come from the page allocator and go back to it. */
static void large_allocations_round_trip(struct kunit *test)
{
	struct smalloc_test_ctx *ctx = test->priv;
	static const size_t sizes[] = { SMALLOC_MAX_SIZE + 1, 16384, 100000,
					1 << 20 };
	void *p[ARRAY_SIZE(sizes)];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		p[i] = smalloc(sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		KUNIT_EXPECT_TRUE(test, PAGE_ALIGNED(p[i]));
		KUNIT_EXPECT_EQ(test, smalloc_usable_size(p[i]),
				PAGE_SIZE << get_order(sizes[i]));
		fill(p[i], sizes[i], i);
	}
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		KUNIT_EXPECT_TRUE(test, verify(p[i], sizes[i], i));
		sfree(p[i]);
	}
	KUNIT_EXPECT_EQ(test, atomic_long_read(&smalloc_nr_pages),
			ctx->base_pages);
}

/*
 * sfree() passes kmalloc objects to kfree(), and reports (without
 * touching anything) pointers that are not the start of a live block.
 */
static void foreign_and_invalid_frees_are_contained(struct kunit *test)
{
	unsigned long foreign = smalloc_stat_sum(SMALLOC_FOREIGN_FREE);
	unsigned long invalid = smalloc_stat_sum(SMALLOC_INVALID_FREE);
	struct smalloc_page *page;
	unsigned int used;
	int on_stack;
	u8 *p, *big;

	pin_to(test, 0);
	sfree(kmalloc(100, GFP_KERNEL));
	sfree(kmalloc(3 * PAGE_SIZE, GFP_KERNEL));

	p = smalloc(64, GFP_KERNEL);
	big = smalloc(3 * PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, big);
	page = smalloc_ptr_to_page(p);
	used = smalloc_page_used(page);
	sfree(p + 8);			/* inside a block */
	sfree(big + 64);		/* inside a large allocation */
	sfree(&on_stack);		/* not heap memory at all */
	KUNIT_EXPECT_EQ(test, smalloc_page_used(page), used);
	KUNIT_EXPECT_EQ(test, smalloc_usable_size(p + 8), 0);
	KUNIT_EXPECT_EQ(test, check_heap_owned(task_heap(0)), 0);
	if (IS_ENABLED(CONFIG_SMALLOC_STATS)) {
		KUNIT_EXPECT_EQ(test, smalloc_stat_sum(SMALLOC_FOREIGN_FREE),
				foreign + 2);
		KUNIT_EXPECT_EQ(test, smalloc_stat_sum(SMALLOC_INVALID_FREE),
				invalid + 3);
	}
	sfree(p);
	sfree(big);
}

/*
 * A block boundary the span has not carved yet is no block: sfree()
 * reports it and leaves the page alone, smalloc_usable_size() says 0.
 */
static void uncarved_block_is_not_a_block(struct kunit *test)
{
	unsigned long invalid = smalloc_stat_sum(SMALLOC_INVALID_FREE);
	struct smalloc_page *page;
	unsigned int used;
	u8 *p, *uncarved;

	pin_to(test, 0);
	smalloc_drain_all();
	p = smalloc(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	page = smalloc_ptr_to_page(p);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_LT(test, page->capacity, page->reserved);
	uncarved = page->start + page->capacity * page->block_size;
	used = smalloc_page_used(page);
	sfree(uncarved);
	KUNIT_EXPECT_EQ(test, smalloc_page_used(page), used);
	KUNIT_EXPECT_EQ(test, smalloc_usable_size(uncarved), 0);
	KUNIT_EXPECT_EQ(test, check_heap_owned(task_heap(0)), 0);
	if (IS_ENABLED(CONFIG_SMALLOC_STATS))
		KUNIT_EXPECT_EQ(test, smalloc_stat_sum(SMALLOC_INVALID_FREE),
				invalid + 1);
	sfree(p);
}

/*
 * smalloc_block_index() with the page's address in %rdx on entry (the
 * third argument): its asm reads page->magic a second time after mulq
 * wrote %rdx, so the index output must be early-clobber, or the compiler
 * may address that second read through the product's high half.  Not
 * instrumented, so that the sanitizers' checks do not move @page first.
 */
static noinline __no_sanitize_address __no_sanitize_thread bool
block_index_page_third(const void *p, unsigned long unused,
		       const struct smalloc_page *page, unsigned long *index)
{
	return smalloc_block_index(page, p, index);
}

static void block_index_is_exact_wherever_the_page_is(struct kunit *test)
{
	/* Called through a pointer: no build may change its registers. */
	bool (*block_index_fn)(const void *p, unsigned long unused,
			       const struct smalloc_page *page,
			       unsigned long *index) = block_index_page_third;
	struct smalloc_page *page;
	unsigned long index;
	void *objs[2];
	u8 *b;

	OPTIMIZER_HIDE_VAR(block_index_fn);

	objs[0] = smalloc(48, GFP_KERNEL);
	objs[1] = smalloc(48, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs[0]);
	KUNIT_ASSERT_NOT_NULL(test, objs[1]);
	page = smalloc_ptr_to_page(objs[1]);
	KUNIT_ASSERT_NOT_NULL(test, page);
	b = objs[1];
	KUNIT_EXPECT_TRUE(test, block_index_fn(b, 0, page, &index));
	KUNIT_EXPECT_EQ(test, index, (unsigned long)(b - (u8 *)page->start) / 48);
	KUNIT_EXPECT_FALSE(test, block_index_fn(b + 8, 0, page, &index));
	KUNIT_EXPECT_TRUE(test, block_index_fn(page->start, 0, page, &index));
	KUNIT_EXPECT_EQ(test, index, 0);
	sfree(objs[0]);
	sfree(objs[1]);
}

/*
 * A frame the ownership map marks but whose ->private is still zero (a
 * span being set up or torn down, seen by a racing bad pointer) is not
 * taken for a block: the pointer is reported and nothing is touched.
 */
static void frame_without_descriptor_is_not_a_block(struct kunit *test)
{
	unsigned long invalid = smalloc_stat_sum(SMALLOC_INVALID_FREE);
	struct page *pg = alloc_page(GFP_KERNEL);
	unsigned long pfn;
	u8 *p;

	KUNIT_ASSERT_NOT_NULL(test, pg);
	pfn = page_to_pfn(pg);
	p = page_address(pg);
	KUNIT_ASSERT_LT(test, pfn, smalloc_pfn_limit);
	KUNIT_ASSERT_EQ(test, page_private(pg), 0);
	memset(p, 0xa5, PAGE_SIZE);
	set_bit(pfn, smalloc_pfn_map);
	KUNIT_EXPECT_NULL(test, smalloc_ptr_to_page(p));
	sfree(p);
	sfree(p + 64);
	KUNIT_EXPECT_EQ(test, smalloc_usable_size(p), 0);
	clear_bit(pfn, smalloc_pfn_map);
	KUNIT_EXPECT_EQ(test, p[0], 0xa5);
	KUNIT_EXPECT_EQ(test, p[64], 0xa5);
	if (IS_ENABLED(CONFIG_SMALLOC_STATS))
		KUNIT_EXPECT_EQ(test, smalloc_stat_sum(SMALLOC_INVALID_FREE),
				invalid + 2);
	__free_page(pg);
}

/*
 * A block freed twice is reported and left alone, whether the second free
 * comes from the owner or from another CPU; a live block whose first word
 * is zero is not mistaken for a free one.
 */
static void double_free_is_detected_and_contained(struct kunit *test)
{
	unsigned long df = smalloc_stat_sum(SMALLOC_DOUBLE_FREE);
	struct smalloc_page *page;
	void *p, *q, *keep, *zero;
	unsigned int used, o;

	o = other_cpu(test, 0);
	pin_to(test, 0);
	keep = smalloc(64, GFP_KERNEL);
	p = smalloc(64, GFP_KERNEL);
	q = smalloc(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, keep);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, q);
	page = smalloc_ptr_to_page(p);
	KUNIT_ASSERT_PTR_EQ(test, smalloc_ptr_to_page(q), page);

	sfree(p);
	used = smalloc_page_used(page);
	SMALLOC_KASAN_REPORTS(test, sfree(p));	/* owner frees twice */
	KUNIT_EXPECT_EQ(test, smalloc_page_used(page), used);
	KUNIT_EXPECT_EQ(test, check_page_owned(page), 0);

	free_on(o, &q, 1);
	SMALLOC_KASAN_REPORTS(test, free_on(o, &q, 1));	/* another CPU frees twice */
	KUNIT_EXPECT_EQ(test, smalloc_page_remote_count(page), 1);
	KUNIT_EXPECT_EQ(test, check_page_owned(page), 0);
	SMALLOC_KASAN_REPORTS(test, sfree(q));	/* and the owner, a third time */
	KUNIT_EXPECT_EQ(test, smalloc_page_remote_count(page), 1);
	KUNIT_EXPECT_EQ(test, smalloc_page_used(page), used);
	KUNIT_EXPECT_EQ(test, check_page_owned(page), 0);
	if (IS_ENABLED(CONFIG_SMALLOC_STATS))
		KUNIT_EXPECT_EQ(test, smalloc_stat_sum(SMALLOC_DOUBLE_FREE),
				df + 3);

	zero = szalloc(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, zero);
	sfree(zero);
	if (IS_ENABLED(CONFIG_SMALLOC_STATS))
		KUNIT_EXPECT_EQ(test, smalloc_stat_sum(SMALLOC_DOUBLE_FREE),
				df + 3);
	sfree(keep);
	KUNIT_EXPECT_EQ(test, check_heap_owned(task_heap(0)), 0);
}

/*
 * A second free of a block of a page that emptied, was retired and had
 * its blocks promoted onto free is reported, from the owner and from
 * another CPU, and touches nothing.  A live block holding exactly what a
 * free block's first word would hold is freed, on either path, and not
 * reported: the check is the block's live byte, not its contents.
 */
static void double_free_after_promotion_is_detected(struct kunit *test)
{
	void **objs = kunit_kcalloc(test, SMALLOC_MAX_BLOCKS, sizeof(void *),
				    GFP_KERNEL);
	unsigned long df = smalloc_stat_sum(SMALLOC_DOUBLE_FREE);
	struct smalloc_heap *heap = task_heap(0);
	struct smalloc_page *page;
	unsigned int nr, o;
	void *a, *b;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	o = other_cpu(test, 0);
	pin_to(test, 0);
	page = retire_one_page(test, 96, objs, &nr);
	KUNIT_EXPECT_TRUE(test, smalloc_page_is_retired(page));
	KUNIT_EXPECT_NULL(test, page->local_free);
	KUNIT_EXPECT_EQ(test, list_len(page, page->free), page->capacity);

	a = objs[0];
	b = objs[nr - 1];
	SMALLOC_KASAN_REPORTS(test, sfree(a));		/* the owner */
	SMALLOC_KASAN_REPORTS(test, free_on(o, &b, 1));	/* another CPU */
	KUNIT_EXPECT_EQ(test, smalloc_page_used(page), 0);
	KUNIT_EXPECT_EQ(test, smalloc_page_remote_count(page), 0);
	KUNIT_EXPECT_NULL(test, page->local_free);
	KUNIT_EXPECT_EQ(test, list_len(page, page->free), page->capacity);
	KUNIT_EXPECT_EQ(test, check_page_owned(page), 0);
	if (IS_ENABLED(CONFIG_SMALLOC_STATS))
		KUNIT_EXPECT_EQ(test, smalloc_stat_sum(SMALLOC_DOUBLE_FREE),
				df + 2);

	a = smalloc(96, GFP_KERNEL);
	b = smalloc(96, GFP_KERNEL);
	KUNIT_ASSERT_PTR_EQ(test, smalloc_ptr_to_page(a), page);
	KUNIT_ASSERT_PTR_EQ(test, smalloc_ptr_to_page(b), page);
	smalloc_block_set_next(page, a, page->free);
	smalloc_block_set_next(page, b, NULL);
	sfree(a);
	free_on(o, &b, 1);
	KUNIT_EXPECT_EQ(test, smalloc_page_remote_count(page), 1);
	heartbeat(heap);
	KUNIT_EXPECT_EQ(test, smalloc_page_used(page), 0);
	KUNIT_EXPECT_EQ(test, check_heap_owned(heap), 0);
	if (IS_ENABLED(CONFIG_SMALLOC_STATS))
		KUNIT_EXPECT_EQ(test, smalloc_stat_sum(SMALLOC_DOUBLE_FREE),
				df + 2);
}

/* With poisoning on, a write to a freed block is caught when it is reused. */
static void poison_catches_write_after_free(struct kunit *test)
{
	void **objs = kunit_kcalloc(test, SMALLOC_MAX_BLOCKS, sizeof(void *), GFP_KERNEL);
	unsigned long bad = smalloc_stat_sum(SMALLOC_POISON_BAD);
	unsigned int i, nr;
	u8 *victim;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	pin_to(test, 0);
	smalloc_poison_set(true);	/* the test init drained every heap */
	fill_one_page(test, 64, objs, &nr);
	for (i = 0; i < nr; i++)
		memset(objs[i], 0x11, 64);
	/* A clean free and reuse is not reported. */
	sfree(objs[0]);
	objs[0] = smalloc(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs[0]);
	if (IS_ENABLED(CONFIG_SMALLOC_STATS))
		KUNIT_EXPECT_EQ(test, smalloc_stat_sum(SMALLOC_POISON_BAD), bad);

	victim = objs[nr / 2];
	sfree(victim);
	SMALLOC_KASAN_REPORTS(test, victim[40] = 0x42);	/* a write after free */
	objs[nr / 2] = smalloc(64, GFP_KERNEL);	/* the page's only free block */
	KUNIT_EXPECT_PTR_EQ(test, objs[nr / 2], (void *)victim);
	if (IS_ENABLED(CONFIG_SMALLOC_STATS))
		KUNIT_EXPECT_EQ(test, smalloc_stat_sum(SMALLOC_POISON_BAD),
				bad + 1);
	for (i = 0; i < nr; i++)
		sfree(objs[i]);
	smalloc_drain_all();
	smalloc_poison_set(false);
}

static bool ascending(void **objs, unsigned int nr)
{
	unsigned int i;

	for (i = 1; i < nr; i++)
		if (objs[i] < objs[i - 1])
			return false;
	return true;
}

/*
 * With random_order on, fresh blocks do not come out in address order;
 * with it off they do.
 */
static void random_order_hides_carve_order(struct kunit *test)
{
	void **objs = kunit_kcalloc(test, 3 * SMALLOC_MAX_BLOCKS, sizeof(void *),
				     GFP_KERNEL);
	unsigned int i, nr, shuffled = 0;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	pin_to(test, 0);
	WRITE_ONCE(smalloc_random_order, false);
	fill_one_page(test, 64, objs, &nr);
	KUNIT_EXPECT_TRUE(test, ascending(objs, nr));
	for (i = 0; i < nr; i++)
		sfree(objs[i]);
	smalloc_drain_all();

	WRITE_ONCE(smalloc_random_order, true);
	for (i = 0; i < 3; i++) {
		fill_one_page(test, 64, objs + i * SMALLOC_MAX_BLOCKS, &nr);
		shuffled += !ascending(objs + i * SMALLOC_MAX_BLOCKS, nr);
	}
	KUNIT_EXPECT_GT(test, shuffled, 0);
	for (i = 0; i < 3 * SMALLOC_MAX_BLOCKS; i++)
		sfree(objs[i]);
}

/*
 * An extension links each block it carves exactly once, in either order:
 * a fresh span of every class, filled, hands out each of its blocks once
 * and then holds no free block.
 */
static void carve_links_every_block_once(struct kunit *test)
{
	void **objs = kunit_kcalloc(test, SMALLOC_MAX_BLOCKS, sizeof(void *),
				     GFP_KERNEL);
	u8 *seen = kunit_kzalloc(test, SMALLOC_MAX_BLOCKS, GFP_KERNEL);
	struct smalloc_page *page;
	unsigned int c, i, nr, pass;
	unsigned long index;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	KUNIT_ASSERT_NOT_NULL(test, seen);
	pin_to(test, 0);
	for (pass = 0; pass < 2; pass++) {
		WRITE_ONCE(smalloc_random_order, !pass);
		for (c = 0; c < SMALLOC_NR_CLASSES; c++) {
			page = fill_one_page(test, smalloc_classes[c].size, objs,
					     &nr);
			memset(seen, 0, SMALLOC_MAX_BLOCKS);
			for (i = 0; i < nr; i++) {
				KUNIT_EXPECT_TRUE(test, smalloc_block_index(page, objs[i],
									    &index));
				KUNIT_ASSERT_LT(test, index, nr);
				KUNIT_EXPECT_EQ_MSG(test, seen[index]++, 0,
						    "class %u: block %lu twice", c,
						    index);
			}
			KUNIT_EXPECT_NULL(test, page->free);
			KUNIT_EXPECT_NULL(test, page->local_free);
			KUNIT_EXPECT_EQ(test, page->capacity, nr);
			for (i = 0; i < nr; i++)
				sfree(objs[i]);
		}
		/* The next pass's spans are fresh ones. */
		smalloc_drain_all();
	}
}

/*
 * Where a local free leaves its block (smalloc_heap_push_block()): on a
 * retired page emptied again with local_free empty, straight onto free
 * with the retire clock restarted; with local_free not empty, on it, and
 * the slow path retires the page again with both lists merged; on a page
 * on the full list, on local_free, the page off that list and its count
 * unbiased.
 */
static void local_free_ends_on_the_right_list(struct kunit *test)
{
	void **objs = kunit_kcalloc(test, SMALLOC_MAX_BLOCKS, sizeof(void *),
				     GFP_KERNEL);
	struct smalloc_heap *heap = task_heap(0);
	struct smalloc_page *page;
	void *p, *q, *oldfree;
	unsigned int i, nr;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	pin_to(test, 0);
	page = retire_one_page(test, 80, objs, &nr);
	KUNIT_EXPECT_TRUE(test, smalloc_page_is_retired(page));
	heartbeat(heap);
	heartbeat(heap);
	KUNIT_EXPECT_EQ(test, page->retire_expire, page->retire_cycles - 2);

	/* A pair on the retired page. */
	p = smalloc(80, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, smalloc_ptr_to_page(p), page);
	oldfree = page->free;
	sfree(p);
	KUNIT_EXPECT_PTR_EQ(test, page->free, p);
	KUNIT_EXPECT_PTR_EQ(test, smalloc_block_next(page, p), oldfree);
	KUNIT_EXPECT_NULL(test, page->local_free);
	KUNIT_EXPECT_EQ(test, page->used, 0);
	KUNIT_EXPECT_EQ(test, page->retire_expire, page->retire_cycles);
	KUNIT_EXPECT_EQ(test, page->flags, SMALLOC_PAGE_IN_RETIRED);
	KUNIT_EXPECT_EQ(test, check_page_owned(page), 0);

	/* Two on it: the last one back finds local_free in use. */
	heartbeat(heap);
	p = smalloc(80, GFP_KERNEL);
	q = smalloc(80, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, smalloc_ptr_to_page(q), page);
	sfree(p);
	KUNIT_EXPECT_PTR_EQ(test, page->local_free, p);
	KUNIT_EXPECT_EQ(test, page->used, 1);
	sfree(q);
	KUNIT_EXPECT_EQ(test, page->used, 0);
	KUNIT_EXPECT_NULL(test, page->local_free);
	KUNIT_EXPECT_TRUE(test, smalloc_page_is_retired(page));
	KUNIT_EXPECT_EQ(test, page->retire_expire, page->retire_cycles);
	KUNIT_EXPECT_EQ(test, list_len(page, page->free), page->capacity);
	KUNIT_EXPECT_EQ(test, check_page_owned(page), 0);

	/* A full page: its first free takes it off the full list. */
	page = fill_one_page(test, 80, objs, &nr);
	p = smalloc(80, GFP_KERNEL);
	KUNIT_EXPECT_TRUE(test, page->flags & SMALLOC_PAGE_IN_FULL);
	KUNIT_EXPECT_LT(test, page->used, 0);
	sfree(objs[0]);
	KUNIT_EXPECT_FALSE(test, page->flags & SMALLOC_PAGE_IN_FULL);
	KUNIT_EXPECT_EQ(test, page->used, nr - 1);
	KUNIT_EXPECT_PTR_EQ(test, page->local_free, objs[0]);
	KUNIT_EXPECT_EQ(test, check_page_owned(page), 0);
	for (i = 1; i < nr; i++)
		sfree(objs[i]);
	sfree(p);
	KUNIT_EXPECT_EQ(test, check_heap_owned(heap), 0);
}

/* ---------------------------------------------------------------- */
/* Interrupt contexts                                                */
/* ---------------------------------------------------------------- */

#define IRQ_OBJ_SIZE	72

struct irq_obj {
	struct llist_node node;
	unsigned long seed;
	u8 ctx;
};

struct irq_test {
	struct hrtimer hard, soft;
	struct llist_head queue;
	atomic_t allocs[SMALLOC_NR_CTX];
	atomic_t wrong_ctx, failures;
	atomic_t frees;
	bool stop;
};

static void irq_alloc_some(struct irq_test *t, u8 ctx)
{
	int i;

	for (i = 0; i < 8; i++) {
		struct irq_obj *o = smalloc(IRQ_OBJ_SIZE + 8 * i, GFP_ATOMIC);

		if (!o) {
			atomic_inc(&t->failures);
			return;
		}
		o->seed = (unsigned long)o ^ ctx;
		o->ctx = ctx;
		llist_add(&o->node, &t->queue);
		atomic_inc(&t->allocs[ctx]);
	}
}

/* One timer tick: allocate in @ctx (which the tick must be in), re-arm. */
static enum hrtimer_restart irq_test_tick(struct irq_test *t,
					  struct hrtimer *timer, bool in_ctx,
					  enum smalloc_ctx ctx,
					  unsigned int period_us)
{
	if (!in_ctx)
		atomic_inc(&t->wrong_ctx);
	irq_alloc_some(t, ctx);
	if (READ_ONCE(t->stop))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(timer, ns_to_ktime(period_us * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

static enum hrtimer_restart irq_test_hard(struct hrtimer *timer)
{
	struct irq_test *t = container_of(timer, struct irq_test, hard);

	return irq_test_tick(t, timer, in_hardirq(), SMALLOC_CTX_HARDIRQ, 200);
}

static enum hrtimer_restart irq_test_soft(struct hrtimer *timer)
{
	struct irq_test *t = container_of(timer, struct irq_test, soft);

	return irq_test_tick(t, timer, in_serving_softirq(),
			     SMALLOC_CTX_SOFTIRQ, 300);
}

static int irq_test_freer(void *arg)
{
	struct irq_test *t = arg;

	while (!kthread_should_stop() || !llist_empty(&t->queue)) {
		struct llist_node *n = llist_del_all(&t->queue);
		struct irq_obj *o, *tmp;

		llist_for_each_entry_safe(o, tmp, n, node) {
			if (o->seed != ((unsigned long)o ^ o->ctx))
				atomic_inc(&t->failures);
			sfree(o);
			atomic_inc(&t->frees);
		}
		usleep_range(50, 100);
	}
	return 0;
}

/*
 * GFP_ATOMIC allocations from hardirq (hrtimer) and softirq (soft
 * hrtimer) context on CPU 0, interleaved with task-context allocations
 * there, while another CPU frees everything: each context uses its own
 * heap, nothing is lost or corrupted, and every heap stays consistent.
 */
static void irq_and_softirq_alloc_with_remote_free(struct kunit *test)
{
	struct irq_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	struct task_struct *freer;
	unsigned long end;
	unsigned int o;
	int ctx, total = 0;

	KUNIT_ASSERT_NOT_NULL(test, t);
	o = other_cpu(test, 0);
	pin_to(test, 0);
	init_llist_head(&t->queue);
	freer = kthread_create(irq_test_freer, t, "smalloc_freer");
	KUNIT_ASSERT_FALSE(test, IS_ERR(freer));
	kthread_bind(freer, o);
	wake_up_process(freer);

	hrtimer_init(&t->hard, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
	t->hard.function = irq_test_hard;
	hrtimer_init(&t->soft, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_SOFT);
	t->soft.function = irq_test_soft;
	hrtimer_start(&t->hard, ns_to_ktime(200 * NSEC_PER_USEC), HRTIMER_MODE_REL_PINNED_HARD);
	hrtimer_start(&t->soft, ns_to_ktime(300 * NSEC_PER_USEC), HRTIMER_MODE_REL_PINNED_SOFT);

	end = jiffies + msecs_to_jiffies(1500);
	while (time_before(jiffies, end)) {
		irq_alloc_some(t, SMALLOC_CTX_TASK);
		cond_resched();
	}
	WRITE_ONCE(t->stop, true);
	hrtimer_cancel(&t->hard);
	hrtimer_cancel(&t->soft);
	kthread_stop(freer);

	for (ctx = 0; ctx < SMALLOC_NR_CTX; ctx++)
		total += atomic_read(&t->allocs[ctx]);
	kunit_info(test, "allocations: task %d softirq %d hardirq %d\n",
		   atomic_read(&t->allocs[SMALLOC_CTX_TASK]),
		   atomic_read(&t->allocs[SMALLOC_CTX_SOFTIRQ]),
		   atomic_read(&t->allocs[SMALLOC_CTX_HARDIRQ]));
	KUNIT_EXPECT_GT(test, atomic_read(&t->allocs[SMALLOC_CTX_HARDIRQ]), 0);
	KUNIT_EXPECT_GT(test, atomic_read(&t->allocs[SMALLOC_CTX_SOFTIRQ]), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->wrong_ctx), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->failures), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->frees), total);
	expect_all_heaps_consistent(test);
}

/* ---------------------------------------------------------------- */
/* Soak                                                              */
/* ---------------------------------------------------------------- */

static unsigned int soak_ms = 3000;
module_param(soak_ms, uint, 0644);
MODULE_PARM_DESC(soak_ms, "How long the soak test runs (kunit.py --kernel_args smalloc.soak_ms=N)");

struct soak_obj {
	struct llist_node node;
	u32 size;
	u32 seed;
	u8 data[];
};

struct soak;

struct soak_cpu {
	struct soak *s;
	struct hrtimer hard, soft;
	struct task_struct *task;
	unsigned int cpu;
	/* One generator per context: a hardirq may interrupt the others. */
	u32 rnd, hard_rnd, soft_rnd;
};

struct soak {
	struct llist_head *inbox;	/* [cpu]: objects for that CPU to free */
	struct soak_cpu *pc;		/* [cpu] */
	atomic_long_t allocs, frees, corrupt, fails, remote;
	bool stop;
};

static u32 soak_rand(u32 *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

static struct soak_obj *soak_alloc(struct soak *s, u32 *rnd, gfp_t gfp)
{
	u32 r = soak_rand(rnd), size;
	struct soak_obj *o;

	size = sizeof(*o) + (r % 64 == 0 ? 9000 + r % 4000 : r % 1024);
	o = smalloc(size, gfp);
	if (!o) {
		atomic_long_inc(&s->fails);
		return NULL;
	}
	o->size = size - sizeof(*o);
	o->seed = r;
	fill(o->data, o->size, r);
	atomic_long_inc(&s->allocs);
	return o;
}

static void soak_free(struct soak *s, struct soak_obj *o)
{
	if (!verify(o->data, o->size, o->seed))
		atomic_long_inc(&s->corrupt);
	sfree(o);
	atomic_long_inc(&s->frees);
}

/* Hand an object to a random online CPU, which will free it. */
static void soak_send(struct soak *s, struct soak_obj *o, u32 r)
{
	unsigned int cpu = cpumask_nth(r % num_online_cpus(), cpu_online_mask);

	if (cpu >= nr_cpu_ids)
		cpu = cpumask_first(cpu_online_mask);
	llist_add(&o->node, &s->inbox[cpu]);
}

static void soak_irq_alloc(struct soak_cpu *pc, u32 *rnd)
{
	int i;

	for (i = 0; i < 4; i++) {
		struct soak_obj *o = soak_alloc(pc->s, rnd, GFP_ATOMIC);

		if (o)
			soak_send(pc->s, o, soak_rand(rnd));
	}
}

/* Timer periods of the soak's hardirq and softirq allocators. */
#define SOAK_HARD_NS	(500 * NSEC_PER_USEC)
#define SOAK_SOFT_NS	(700 * NSEC_PER_USEC)

static enum hrtimer_restart soak_tick(struct soak_cpu *pc, struct hrtimer *t,
				      u32 *rnd, u64 period_ns)
{
	soak_irq_alloc(pc, rnd);
	if (READ_ONCE(pc->s->stop))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(period_ns));
	return HRTIMER_RESTART;
}

static enum hrtimer_restart soak_hard(struct hrtimer *t)
{
	struct soak_cpu *pc = container_of(t, struct soak_cpu, hard);

	return soak_tick(pc, t, &pc->hard_rnd, SOAK_HARD_NS);
}

static enum hrtimer_restart soak_soft(struct hrtimer *t)
{
	struct soak_cpu *pc = container_of(t, struct soak_cpu, soft);

	return soak_tick(pc, t, &pc->soft_rnd, SOAK_SOFT_NS);
}

static void soak_drain_inbox(struct soak *s, unsigned int cpu)
{
	struct llist_node *n = llist_del_all(&s->inbox[cpu]);
	struct soak_obj *o, *tmp;

	llist_for_each_entry_safe(o, tmp, n, node)
		soak_free(s, o);
}

static int soak_worker(void *arg)
{
	struct soak_cpu *pc = arg;
	struct soak *s = pc->s;
	struct soak_obj *keep[64] = { };
	unsigned int i;

	hrtimer_init(&pc->hard, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
	pc->hard.function = soak_hard;
	hrtimer_init(&pc->soft, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_SOFT);
	pc->soft.function = soak_soft;
	hrtimer_start(&pc->hard, ns_to_ktime(SOAK_HARD_NS),
		      HRTIMER_MODE_REL_PINNED_HARD);
	hrtimer_start(&pc->soft, ns_to_ktime(SOAK_SOFT_NS),
		      HRTIMER_MODE_REL_PINNED_SOFT);

	while (!READ_ONCE(s->stop)) {
		soak_drain_inbox(s, pc->cpu);
		for (i = 0; i < 64; i++) {
			u32 r = soak_rand(&pc->rnd);
			struct soak_obj **slot = &keep[r % ARRAY_SIZE(keep)];
			struct soak_obj *o;

			if (*slot) {		/* a local free */
				soak_free(s, *slot);
				*slot = NULL;
				continue;
			}
			o = soak_alloc(s, &pc->rnd, GFP_KERNEL);
			if (!o)
				continue;
			/* Not r's low bits: they chose the slot. */
			if (r & BIT(6)) {
				*slot = o;
			} else {		/* a remote free, somewhere */
				soak_send(s, o, r >> 7);
				atomic_long_inc(&s->remote);
			}
		}
		cond_resched();
	}
	hrtimer_cancel(&pc->hard);
	hrtimer_cancel(&pc->soft);
	for (i = 0; i < ARRAY_SIZE(keep); i++)
		if (keep[i])
			soak_free(s, keep[i]);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

/*
 * A bounded soak: a kthread on every CPU allocating and freeing with
 * canaries, half of its objects sent to random CPUs to free; a hardirq and
 * a softirq hrtimer on every CPU allocating with GFP_ATOMIC and sending
 * theirs away too.  Zero corruption, every allocation freed, every heap
 * consistent, every page back after a drain; on the test kernel, lockdep,
 * KASAN and DEBUG_ATOMIC_SLEEP watch all of it.
 */
static void soak_run(struct kunit *test, int hotplug_cpu)
{
	struct smalloc_test_ctx *ctx = test->priv;
	struct soak *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	unsigned long df = smalloc_stat_sum(SMALLOC_DOUBLE_FREE);
	unsigned int cpu, cycles = 0, nr_workers = 0;
	unsigned long end;

	KUNIT_ASSERT_NOT_NULL(test, s);
	s->inbox = kunit_kcalloc(test, nr_cpu_ids, sizeof(*s->inbox), GFP_KERNEL);
	s->pc = kunit_kcalloc(test, nr_cpu_ids, sizeof(*s->pc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s->inbox);
	KUNIT_ASSERT_NOT_NULL(test, s->pc);

	/* Every inbox is ready before the first worker can send to it. */
	for_each_possible_cpu(cpu)
		init_llist_head(&s->inbox[cpu]);
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		struct soak_cpu *pc = &s->pc[cpu];

		pc->s = s;
		pc->cpu = cpu;
		pc->rnd = get_random_u32() | 1;
		pc->hard_rnd = get_random_u32() | 1;
		pc->soft_rnd = get_random_u32() | 1;
		pc->task = kthread_create(soak_worker, pc, "smalloc_soak/%u", cpu);
		if (IS_ERR(pc->task)) {
			pc->task = NULL;
			continue;
		}
		kthread_bind(pc->task, cpu);
		wake_up_process(pc->task);
		nr_workers++;
	}
	cpus_read_unlock();

	/*
	 * With hotplug_cpu, that CPU goes down and up while everything runs:
	 * its worker and timers move elsewhere, its heaps are drained, its
	 * pages keep taking remote frees.
	 */
	end = jiffies + msecs_to_jiffies(soak_ms);
	while (time_before(jiffies, end)) {
		msleep(hotplug_cpu < 0 ? 100 : 150);
		if (hotplug_cpu < 0 || remove_cpu(hotplug_cpu))
			continue;
		msleep(150);
		KUNIT_EXPECT_EQ(test, add_cpu(hotplug_cpu), 0);
		cycles++;
	}
	WRITE_ONCE(s->stop, true);
	for_each_possible_cpu(cpu)
		if (s->pc[cpu].task)
			kthread_stop(s->pc[cpu].task);
	/* Timers are cancelled: free what is still on its way. */
	for_each_possible_cpu(cpu)
		soak_drain_inbox(s, cpu);

	kunit_info(test, "%u ms, %u workers, %u offline/online cycles: %ld allocations (%ld sent to other CPUs), %ld frees, %ld failures, %ld corrupted, %lu double frees\n",
		   soak_ms, nr_workers, cycles, atomic_long_read(&s->allocs),
		   atomic_long_read(&s->remote), atomic_long_read(&s->frees),
		   atomic_long_read(&s->fails), atomic_long_read(&s->corrupt),
		   smalloc_stat_sum(SMALLOC_DOUBLE_FREE) - df);
	KUNIT_EXPECT_GT(test, atomic_long_read(&s->allocs), 0);
	if (hotplug_cpu >= 0)
		KUNIT_EXPECT_GT(test, cycles, 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&s->corrupt), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&s->fails), 0);
	KUNIT_EXPECT_EQ(test, smalloc_stat_sum(SMALLOC_DOUBLE_FREE), df);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&s->allocs),
			atomic_long_read(&s->frees));
	expect_all_heaps_consistent(test);
	smalloc_drain_all();
	KUNIT_EXPECT_EQ(test, atomic_long_read(&smalloc_nr_pages),
			ctx->base_pages);
}

static void soak_every_cpu_and_context(struct kunit *test)
{
	soak_run(test, -1);
}

/* The same soak while one CPU keeps going offline and coming back. */
static void soak_with_cpu_hotplug(struct kunit *test)
{
	unsigned int cpu = cpumask_last(cpu_online_mask);

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two online CPUs");
	soak_run(test, cpu);
}

/* ---------------------------------------------------------------- */
/* Direct cache and failures                                         */
/* ---------------------------------------------------------------- */

/*
 * The direct cache never points at a page that left its queue: after
 * retire expiry, drains and full-queue moves, every slot points at its
 * queue's first page or at the empty page.
 */
static void direct_cache_never_points_at_released_page(struct kunit *test)
{
	void **objs = kunit_kcalloc(test, SMALLOC_MAX_BLOCKS, sizeof(void *), GFP_KERNEL);
	struct smalloc_heap *heap = task_heap(0);
	unsigned int slot = smalloc_direct_slot(200);
	struct smalloc_page *page;
	unsigned int i, nr;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	pin_to(test, 0);
	page = fill_one_page(test, 200, objs, &nr);
	KUNIT_EXPECT_PTR_EQ(test, heap->direct[slot], page);
	for (i = 0; i < nr; i++)
		sfree(objs[i]);
	for (i = 0; i < SMALLOC_RETIRE_CYCLES; i++)
		heartbeat(heap);
	KUNIT_EXPECT_PTR_EQ(test, heap->direct[slot], &smalloc_empty_page);
	KUNIT_EXPECT_EQ(test, check_heap_owned(heap), 0);

	/* Again through a drain instead of expiry. */
	page = retire_one_page(test, 200, objs, &nr);
	smalloc_drain_all();
	KUNIT_EXPECT_PTR_EQ(test, heap->direct[slot], &smalloc_empty_page);
	expect_all_heaps_consistent(test);
}

/*
 * Classes above SMALLOC_DIRECT_MAX have one direct slot each: the slot
 * follows the head of the class queue, and the second allocation of a
 * size comes from the fast path out of the page the first one opened.
 */
static void direct_cache_serves_big_classes(struct kunit *test)
{
	static const size_t sizes[] = { 1025, 2048, 3000, 8192 };
	struct smalloc_heap *heap = task_heap(0);
	struct smalloc_page *page;
	unsigned long fast;
	unsigned int i;
	void *p, *q;

	pin_to(test, 0);
	smalloc_drain_all();
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		unsigned int slot = smalloc_direct_big_slot(sizes[i]);

		KUNIT_EXPECT_PTR_EQ(test, heap->direct[slot],
				    &smalloc_empty_page);
		p = smalloc(sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		page = smalloc_ptr_to_page(p);
		KUNIT_ASSERT_NOT_NULL(test, page);
		KUNIT_EXPECT_EQ(test, page->class, smalloc_size_class(sizes[i]));
		KUNIT_EXPECT_PTR_EQ(test, heap->direct[slot], page);

		fast = smalloc_stat_sum(SMALLOC_ALLOC_FAST);
		q = smalloc(sizes[i], GFP_KERNEL);
		KUNIT_EXPECT_PTR_EQ(test, smalloc_ptr_to_page(q), page);
		if (IS_ENABLED(CONFIG_SMALLOC_STATS))
			KUNIT_EXPECT_EQ(test,
					smalloc_stat_sum(SMALLOC_ALLOC_FAST),
					fast + 1);
		sfree(q);
		sfree(p);
		KUNIT_EXPECT_EQ(test, check_heap_owned(heap), 0);
	}
	smalloc_drain_all();
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		KUNIT_EXPECT_PTR_EQ(test,
				    heap->direct[smalloc_direct_big_slot(sizes[i])],
				    &smalloc_empty_page);
	expect_all_heaps_consistent(test);
}

/*
 * A span whose preferred order cannot be had falls back to the order that
 * still gives SMALLOC_MIN_BLOCKS blocks; its descriptor says what it got,
 * and the class's next span is of the preferred order again.
 */
static void span_falls_back_to_min_order(struct kunit *test)
{
	const unsigned int size = 64, class = smalloc_size_class(size);
	const struct smalloc_class *cl = &smalloc_classes[class];
	struct smalloc_test_ctx *ctx = test->priv;
	struct smalloc_heap *heap = task_heap(0);
	struct smalloc_page *small, *big;
	unsigned int i, n;
	void **objs;

	KUNIT_ASSERT_GT(test, cl->order, cl->min_order);
	n = (PAGE_SIZE << cl->min_order) / size;
	objs = kunit_kcalloc(test, n + 1, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	pin_to(test, 0);
	smalloc_drain_all();
	KUNIT_ASSERT_TRUE(test, list_empty(&heap->queue[class]));

	atomic_set(&smalloc_fail_high_order, 1);
	objs[0] = smalloc(size, GFP_KERNEL);
	atomic_set(&smalloc_fail_high_order, 0);
	KUNIT_ASSERT_NOT_NULL(test, objs[0]);
	small = smalloc_ptr_to_page(objs[0]);
	KUNIT_ASSERT_NOT_NULL(test, small);
	KUNIT_EXPECT_EQ(test, small->order, cl->min_order);
	KUNIT_EXPECT_EQ(test, small->reserved, n);
	KUNIT_EXPECT_EQ(test, smalloc_block_number(small, small->start +
						   (n - 1) * size), n - 1);

	/* Fill it: the block after its last one opens a preferred span. */
	for (i = 1; i <= n; i++) {
		objs[i] = smalloc(size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
	for (i = 1; i < n; i++)
		KUNIT_EXPECT_PTR_EQ(test, smalloc_ptr_to_page(objs[i]), small);
	big = smalloc_ptr_to_page(objs[n]);
	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_EXPECT_PTR_NE(test, big, small);
	KUNIT_EXPECT_EQ(test, big->order, cl->order);
	KUNIT_EXPECT_EQ(test, big->reserved, cl->blocks);
	KUNIT_EXPECT_EQ(test, check_heap_owned(heap), 0);

	/* The block past the small span's end is no block of it. */
	KUNIT_EXPECT_FALSE(test, smalloc_block_valid(small,
						     small->start + n * size));
	for (i = 0; i <= n; i++)
		sfree(objs[i]);
	KUNIT_EXPECT_EQ(test, check_heap_owned(heap), 0);
	smalloc_drain_all();
	KUNIT_EXPECT_EQ(test, atomic_long_read(&smalloc_nr_pages),
			ctx->base_pages);
}

/*
 * A failed page allocation returns NULL, counts a failure and leaves
 * every structure consistent; service resumes afterwards.
 */
static void page_alloc_failure_returns_null(struct kunit *test)
{
	struct smalloc_test_ctx *ctx = test->priv;
	unsigned long fails = smalloc_stat_sum(SMALLOC_ALLOC_FAIL);
	const unsigned int slots = 600;
	struct live_obj *live = kunit_kcalloc(test, slots, sizeof(*live),
					      GFP_KERNEL);
	unsigned int i, nulls = 0;
	void *p;

	KUNIT_ASSERT_NOT_NULL(test, live);
	pin_to(test, 0);
	atomic_set(&smalloc_fail_pages, 1);
	KUNIT_EXPECT_NULL(test, smalloc(64, GFP_KERNEL | __GFP_NOWARN));
	atomic_set(&smalloc_fail_pages, 1);
	KUNIT_EXPECT_NULL(test, smalloc(50000, GFP_KERNEL | __GFP_NOWARN));
	KUNIT_EXPECT_EQ(test, check_heap_owned(task_heap(0)), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&smalloc_nr_pages),
			ctx->base_pages);
	if (IS_ENABLED(CONFIG_SMALLOC_STATS))
		KUNIT_EXPECT_EQ(test, smalloc_stat_sum(SMALLOC_ALLOC_FAIL),
				fails + 2);

	/* Failures sprinkled through a random workload. */
	for (i = 0; i < 20000; i++) {
		struct live_obj *o = &live[get_random_u32_below(slots)];

		if (i % 50 == 0)
			atomic_set(&smalloc_fail_pages, 1);
		if (o->p) {
			KUNIT_ASSERT_TRUE(test, verify(o->p, o->size, o->seed));
			sfree(o->p);
			o->p = NULL;
			continue;
		}
		o->size = random_size();
		o->seed = i;
		o->p = smalloc(o->size, GFP_KERNEL | __GFP_NOWARN);
		if (!o->p) {
			nulls++;
			continue;
		}
		fill(o->p, o->size, o->seed);
		if (i % 1000 == 0)
			KUNIT_ASSERT_EQ(test, check_heap_owned(task_heap(0)), 0);
	}
	atomic_set(&smalloc_fail_pages, 0);
	kunit_info(test, "%u injected failures seen in 20000 operations\n",
		   nulls);
	KUNIT_EXPECT_GT(test, nulls, 0);
	free_live(test, live, slots);
	KUNIT_EXPECT_EQ(test, check_heap_owned(task_heap(0)), 0);
	p = smalloc(64, GFP_KERNEL);
	KUNIT_EXPECT_NOT_NULL(test, p);
	sfree(p);
}

/* Objects allocated on another CPU by alloc_here(). */
struct hotplug_args {
	void **objs;
	unsigned int nr;
	size_t size;
};

static long alloc_here(void *arg)
{
	struct hotplug_args *a = arg;
	unsigned int i;

	for (i = 0; i < a->nr; i++) {
		a->objs[i] = smalloc(a->size, GFP_KERNEL);
		if (!a->objs[i])
			return -ENOMEM;
		fill(a->objs[i], a->size, i);
	}
	return 0;
}

/*
 * Under memory pressure the shrinker gives back the retired pages of the
 * CPU it runs on at once, and reports them; other CPUs with something to
 * give back (retired pages, uncollected remote frees) do so in their idle
 * work soon after, even though no heap went idle.  Pages with live blocks
 * are not counted: reclaim cannot have them.
 */
static void shrinker_scan_returns_empty_pages(struct kunit *test)
{
	void **objs = kunit_kcalloc(test, SMALLOC_MAX_BLOCKS, sizeof(void *), GFP_KERNEL);
	struct smalloc_test_ctx *ctx = test->priv;
	struct hotplug_args a = { .nr = 200, .size = 128 };
	unsigned int i, nr, o;
	int waited;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	o = other_cpu(test, 0);
	a.objs = kunit_kcalloc(test, a.nr, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, a.objs);
	pin_to(test, 0);
	retire_one_page(test, 32, objs, &nr);	/* a retired page on CPU 0 */
	KUNIT_ASSERT_EQ(test, work_on_cpu(o, alloc_here, &a), 0);
	for (i = 0; i < a.nr; i++)
		sfree(a.objs[i]);		/* emptied remotely, on CPU o */
	KUNIT_EXPECT_GT(test, atomic_long_read(&smalloc_nr_pages),
			ctx->base_pages);

	/* The retired span of CPU 0, where this runs, comes back at once. */
	KUNIT_EXPECT_EQ(test, smalloc_shrink_scan(NULL, NULL),
			1UL << smalloc_classes[smalloc_size_class(32)].order);
	for (waited = 0; waited < 5000; waited += 20) {
		if (atomic_long_read(&smalloc_nr_pages) == ctx->base_pages)
			break;
		msleep(20);
	}
	KUNIT_EXPECT_EQ(test, atomic_long_read(&smalloc_nr_pages),
			ctx->base_pages);
}

/* ---------------------------------------------------------------- */
/* CPU hotplug                                                       */
/* ---------------------------------------------------------------- */

/*
 * When a CPU goes offline its heaps are drained: empty and retired pages
 * go back at once, pages with live blocks stay and keep taking remote
 * frees, and a drain while the CPU is still away returns them.
 */
static void cpu_offline_drains_heap_and_keeps_remote_frees(struct kunit *test)
{
	struct smalloc_test_ctx *ctx = test->priv;
	struct hotplug_args live = { .nr = 300, .size = 64 };
	struct hotplug_args dead = { .nr = 300, .size = 200 };
	unsigned int victim, i;
	long before;
	int ret;

	victim = other_cpu(test, 0);
	pin_to(test, 0);
	live.objs = kunit_kcalloc(test, live.nr, sizeof(void *), GFP_KERNEL);
	dead.objs = kunit_kcalloc(test, dead.nr, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, live.objs);
	KUNIT_ASSERT_NOT_NULL(test, dead.objs);
	KUNIT_ASSERT_EQ(test, work_on_cpu(victim, alloc_here, &live), 0);
	KUNIT_ASSERT_EQ(test, work_on_cpu(victim, alloc_here, &dead), 0);
	/* Empty the 200-byte pages on their own CPU: they are retired. */
	free_on(victim, dead.objs, dead.nr);
	before = atomic_long_read(&smalloc_nr_pages);

	ret = remove_cpu(victim);
	if (ret)
		kunit_skip(test, "CPU %u cannot go offline: %d", victim, ret);
	/* The retired 200-byte pages went back with the CPU. */
	KUNIT_EXPECT_LT(test, atomic_long_read(&smalloc_nr_pages), before);

	/* Objects of the dead CPU can still be freed from anywhere ... */
	for (i = 0; i < live.nr; i++) {
		KUNIT_EXPECT_TRUE(test, verify(live.objs[i], live.size, i));
		sfree(live.objs[i]);
	}
	/* ... and a drain takes them in while it is away: none stranded. */
	smalloc_drain_all();
	KUNIT_EXPECT_EQ(test, atomic_long_read(&smalloc_nr_pages),
			ctx->base_pages);
	KUNIT_ASSERT_EQ(test, add_cpu(victim), 0);
	smalloc_drain_all();
	KUNIT_EXPECT_EQ(test, atomic_long_read(&smalloc_nr_pages),
			ctx->base_pages);
}

/* ---------------------------------------------------------------- */
/* Suite                                                             */
/* ---------------------------------------------------------------- */

static int smalloc_test_init(struct kunit *test)
{
	struct smalloc_test_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx),
						     GFP_KERNEL);

	if (!ctx)
		return -ENOMEM;
	ctx->saved_idle_ms = smalloc_idle_drain_ms;
	ctx->saved_random_order = smalloc_random_order;
	WRITE_ONCE(smalloc_idle_drain_ms, 0);
	smalloc_drain_all();
	ctx->base_pages = atomic_long_read(&smalloc_nr_pages);
	test->priv = ctx;
	return 0;
}

static void smalloc_test_exit(struct kunit *test)
{
	struct smalloc_test_ctx *ctx = test->priv;

	set_cpus_allowed_ptr(current, cpu_possible_mask);
	atomic_set(&smalloc_fail_pages, 0);
	atomic_set(&smalloc_fail_high_order, 0);
	atomic_set(&smalloc_fail_above_map, 0);
	atomic_set(&smalloc_fail_rcu_batch, 0);
	smalloc_rcu_barrier();
	smalloc_drain_all();
	/* Every test frees what it allocated: all pages go back. */
	KUNIT_EXPECT_EQ(test, atomic_long_read(&smalloc_nr_pages),
			ctx->base_pages);
	expect_all_heaps_consistent(test);
	WRITE_ONCE(smalloc_idle_drain_ms, ctx->saved_idle_ms);
	WRITE_ONCE(smalloc_random_order, ctx->saved_random_order);
}

static struct kunit_case smalloc_test_cases[] = {
	KUNIT_CASE(retire_promotes_local_free),
	KUNIT_CASE(retire_merges_free_and_local_free),
	KUNIT_CASE(retire_releases_after_exact_heartbeats),
	KUNIT_CASE(retire_bound_is_shorter_for_large_blocks),
	KUNIT_CASE(retire_ends_when_page_is_reused),
	KUNIT_CASE(retire_keeps_at_most_max_pages),
	KUNIT_CASE(retire_keeps_repeated_bursts_off_the_page_allocator),
	KUNIT_CASE(idle_drain_releases_retired_pages),
	KUNIT_CASE(invariant_holds_random_single_cpu),
	KUNIT_CASE(invariant_holds_random_cross_cpu),
	KUNIT_CASE(remote_free_is_collected_and_reused),
	KUNIT_CASE(remote_free_returns_full_page_to_queue),
	KUNIT_CASE(double_free_of_block_in_full_page_is_detected),
	KUNIT_CASE(remote_emptied_pages_are_bounded_while_busy),
	KUNIT_CASE(cross_level_frees_skip_the_remote_path),
	KUNIT_CASE(ctx_free_block_is_free_and_collected),
	KUNIT_CASE(ctx_emptied_pages_are_bounded),
	KUNIT_CASE(retired_pages_stay_within_the_global_budget),
	KUNIT_CASE(smalloc_node_places_every_block_on_its_node),
	KUNIT_CASE(pool_retired_pages_stay_within_the_global_budget),
	KUNIT_CASE(churn_keeps_canaries_every_class),
	KUNIT_CASE(zeroing_after_dirty_free),
	KUNIT_CASE(dup_and_node_helpers_follow_kmalloc),
	KUNIT_CASE(bulk_alloc_and_free),
	KUNIT_CASE(sfree_rcu_batches_after_a_grace_period),
	KUNIT_CASE(sfree_rcu_falls_back_to_the_objects_head),
	KUNIT_CASE(remote_frees_are_reused_before_carving),
	KUNIT_CASE(released_span_leaves_no_trace),
	KUNIT_CASE(memory_above_map_is_served_by_kmalloc),
	KUNIT_CASE(usable_size_covers_request),
	KUNIT_CASE(alignment_matches_kmalloc),
	KUNIT_CASE(srealloc_keeps_contents),
	KUNIT_CASE(srealloc_grows_geometrically),
	KUNIT_CASE(bad_sizes_return_zero_ptr_or_null),
	KUNIT_CASE(large_allocations_round_trip),
	KUNIT_CASE(foreign_and_invalid_frees_are_contained),
	KUNIT_CASE(frame_without_descriptor_is_not_a_block),
	KUNIT_CASE(uncarved_block_is_not_a_block),
	KUNIT_CASE(block_index_is_exact_wherever_the_page_is),
	KUNIT_CASE(double_free_is_detected_and_contained),
	KUNIT_CASE(double_free_after_promotion_is_detected),
	KUNIT_CASE(poison_catches_write_after_free),
	KUNIT_CASE(random_order_hides_carve_order),
	KUNIT_CASE(carve_links_every_block_once),
	KUNIT_CASE(local_free_ends_on_the_right_list),
	KUNIT_CASE(irq_and_softirq_alloc_with_remote_free),
	KUNIT_CASE_SLOW(soak_every_cpu_and_context),
	KUNIT_CASE_SLOW(soak_with_cpu_hotplug),
	KUNIT_CASE(direct_cache_never_points_at_released_page),
	KUNIT_CASE(direct_cache_serves_big_classes),
	KUNIT_CASE(span_falls_back_to_min_order),
	KUNIT_CASE(page_alloc_failure_returns_null),
	KUNIT_CASE(shrinker_scan_returns_empty_pages),
	KUNIT_CASE(cpu_offline_drains_heap_and_keeps_remote_frees),
	{}
};

static struct kunit_suite smalloc_test_suite = {
	.name = "smalloc",
	.init = smalloc_test_init,
	.exit = smalloc_test_exit,
	.test_cases = smalloc_test_cases,
};

kunit_test_suite(smalloc_test_suite);
