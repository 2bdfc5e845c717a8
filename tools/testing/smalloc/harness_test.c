// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checks only the user-space build can make, in KUnit form beside the
 * kernel's suite: what debugfs prints, the init_on_alloc/init_on_free
 * policies, descriptor allocation failures, the shrinker driven as reclaim
 * drives it, and the harness's own model (migration, context levels).
 */
#include <kunit/test.h>

#include "../../../smalloc_internal.h"

static void harness_drain(void)
{
	smalloc_drain_all();
}

/* Every counter appears in debugfs "stats", in the order of the enum. */
static void debugfs_stats_lists_every_counter(struct kunit *test)
{
	char *buf = kunit_kzalloc(test, 65536, GFP_KERNEL);
	const char *at;
	ssize_t n;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	n = harness_debugfs_read("smalloc/stats", buf, 65536);
	KUNIT_ASSERT_GT(test, n, 0);
	at = buf;
	for (i = 0; i < SMALLOC_NR_STATS; i++) {
		char name[64];
		const char *hit;

		snprintf(name, sizeof(name), "\n%s ", smalloc_stat_names[i]);
		hit = strstr(at, name);
		KUNIT_EXPECT_TRUE_MSG(test, hit != NULL, "counter %s",
				      smalloc_stat_names[i]);
		if (hit)
			at = hit;
	}
	KUNIT_EXPECT_TRUE(test, strstr(buf, "pages_held") != NULL);
}

/* Writing to debugfs "drain" gives back every empty page. */
static void debugfs_drain_returns_empty_pages(struct kunit *test)
{
	long base;
	void *p[64];
	int i;

	harness_drain();
	base = atomic_long_read(&smalloc_nr_pages);
	for (i = 0; i < 64; i++) {
		p[i] = smalloc(100 + i, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	for (i = 0; i < 64; i++)
		sfree(p[i]);
	KUNIT_EXPECT_EQ(test, harness_debugfs_write("smalloc/drain", "1", 1), 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&smalloc_nr_pages), base);
}

/* init_on_alloc zeroes every block handed out; init_on_free every block freed. */
static void init_on_alloc_and_free_policies(struct kunit *test)
{
	static const size_t sizes[] = { 8, 64, 500, 1024, 4000, 8192, 30000 };
	unsigned int i, k;

	set_cpus_allowed_ptr(current, cpumask_of(0));
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		u8 *p = smalloc(sizes[i], GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, p);
		memset(p, 0xa5, smalloc_usable_size(p));
		sfree(p);
		WRITE_ONCE(harness_init_on_alloc, true);
		p = smalloc(sizes[i], GFP_KERNEL);
		WRITE_ONCE(harness_init_on_alloc, false);
		KUNIT_ASSERT_NOT_NULL(test, p);
		for (k = 0; k < smalloc_usable_size(p); k++)
			if (p[k])
				break;
		KUNIT_EXPECT_EQ_MSG(test, k, smalloc_usable_size(p),
				    "init_on_alloc, size %zu", sizes[i]);
		if (sizes[i] > SMALLOC_MAX_SIZE) {
			sfree(p);
			continue;
		}
		memset(p, 0xa5, smalloc_usable_size(p));
		WRITE_ONCE(harness_init_on_free, true);
		sfree(p);
		WRITE_ONCE(harness_init_on_free, false);
		/* The first word is the free-list link. */
		for (k = sizeof(void *); k < sizes[i]; k++)
			if (p[k])
				break;
		KUNIT_EXPECT_EQ_MSG(test, k, sizes[i], "init_on_free, size %zu",
				    sizes[i]);
	}
}

/* A failed descriptor allocation is a failed allocation, nothing worse. */
static void descriptor_alloc_failure_returns_null(struct kunit *test)
{
	long pages, descs;
	void *p;

	set_cpus_allowed_ptr(current, cpumask_of(1));
	harness_drain();
	pages = atomic_long_read(&smalloc_nr_pages);
	descs = harness_kmem_live();
	__atomic_store_n(&harness_fail_kmem_allocs, 1, __ATOMIC_RELAXED);
	p = smalloc(700, GFP_KERNEL | __GFP_NOWARN);
	KUNIT_EXPECT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&smalloc_nr_pages), pages);
	KUNIT_EXPECT_EQ(test, harness_kmem_live(), descs);
	/* The page allocator refuses the preferred order: a smaller span. */
	__atomic_store_n(&harness_fail_page_allocs, 1, __ATOMIC_RELAXED);
	p = smalloc(700, GFP_ATOMIC | __GFP_NOWARN);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, smalloc_ptr_to_page(p)->order,
			smalloc_classes[smalloc_size_class(700)].min_order);
	sfree(p);
	harness_drain();
	KUNIT_EXPECT_EQ(test, atomic_long_read(&smalloc_nr_pages), pages);
	/* ... and both orders: NULL, and the descriptor goes back. */
	__atomic_store_n(&harness_fail_page_allocs, 2, __ATOMIC_RELAXED);
	p = smalloc(700, GFP_ATOMIC | __GFP_NOWARN);
	KUNIT_EXPECT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, harness_kmem_live(), descs);
	p = smalloc(700, GFP_KERNEL);
	KUNIT_EXPECT_NOT_NULL(test, p);
	sfree(p);
}

/* Reclaim as the kernel drives it: count, then scan. */
static void shrinker_counts_held_pages(struct kunit *test)
{
	unsigned long count = 0;
	void *p;
	int waited;

	harness_drain();
	p = smalloc(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	harness_shrink(128, &count);
	KUNIT_EXPECT_EQ(test, count, atomic_long_read(&smalloc_nr_pages));
	sfree(p);
	for (waited = 0; waited < 2000; waited += 10) {
		harness_shrink(128, &count);
		if (!atomic_long_read(&smalloc_nr_pages))
			break;
		msleep(10);
	}
	KUNIT_EXPECT_EQ(test, atomic_long_read(&smalloc_nr_pages), 0);
}

struct ctx_args {
	enum harness_ctx ctx;
	void *objs[32];
};

static long alloc_in_ctx(void *arg)
{
	struct ctx_args *a = arg;
	int i;

	harness_enter_ctx(a->ctx);
	for (i = 0; i < 32; i++)
		a->objs[i] = smalloc(24 + i, GFP_ATOMIC);
	harness_exit_ctx();
	return 0;
}

/*
 * Each context level allocates from its own heap, and blocks freed from
 * task context (a remote free into another level's heap) come back.
 */
static void context_levels_use_their_own_heaps(struct kunit *test)
{
	enum harness_ctx levels[] = { HARNESS_CTX_SOFTIRQ, HARNESS_CTX_HARDIRQ };
	struct ctx_args *a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	struct smalloc_cpu *sc = per_cpu_ptr(smalloc_cpus, 2);
	unsigned int l, i;
	long warns;

	KUNIT_ASSERT_NOT_NULL(test, a);
	for (l = 0; l < ARRAY_SIZE(levels); l++) {
		a->ctx = levels[l];
		work_on_cpu(2, alloc_in_ctx, a);
		for (i = 0; i < 32; i++) {
			struct smalloc_page *page = smalloc_ptr_to_page(a->objs[i]);

			KUNIT_ASSERT_NOT_NULL(test, page);
			KUNIT_EXPECT_PTR_EQ(test, page->heap, &sc->heap[levels[l]]);
		}
		for (i = 0; i < 32; i++)
			sfree(a->objs[i]);
	}
	/* NMI allocations are refused, with one warning. */
	warns = READ_ONCE(harness_warnings);
	a->ctx = HARNESS_CTX_NMI;
	work_on_cpu(2, alloc_in_ctx, a);
	for (i = 0; i < 32; i++)
		KUNIT_EXPECT_NULL(test, a->objs[i]);
	KUNIT_EXPECT_LE(test, READ_ONCE(harness_warnings) - warns, 1);
	WRITE_ONCE(harness_warnings, warns);
}

/* Sleeping allocations from atomic context would be caught as a WARN. */
static void atomic_allocations_never_sleep(struct kunit *test)
{
	long warns = READ_ONCE(harness_warnings);
	unsigned long flags;
	void *p[200];
	int i;

	local_irq_save(flags);
	for (i = 0; i < 200; i++)
		p[i] = smalloc(i * 40 + 8, GFP_ATOMIC);
	local_irq_restore(flags);
	for (i = 0; i < 200; i++) {
		KUNIT_EXPECT_NOT_NULL(test, p[i]);
		sfree(p[i]);
	}
	KUNIT_EXPECT_EQ(test, READ_ONCE(harness_warnings), warns);
}

/* The suite's tests run one after another: one saved value does. */
static unsigned int harness_saved_idle_ms;

static int harness_test_init(struct kunit *test)
{
	harness_saved_idle_ms = smalloc_idle_drain_ms;
	WRITE_ONCE(smalloc_idle_drain_ms, 0);
	return 0;
}

static void harness_test_exit(struct kunit *test)
{
	set_cpus_allowed_ptr(current, cpu_possible_mask);
	__atomic_store_n(&harness_fail_kmem_allocs, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&harness_fail_page_allocs, 0, __ATOMIC_RELAXED);
	harness_drain();
	KUNIT_EXPECT_EQ(test, atomic_long_read(&smalloc_nr_pages), 0);
	WRITE_ONCE(smalloc_idle_drain_ms, harness_saved_idle_ms);
}

static struct kunit_case harness_test_cases[] = {
	KUNIT_CASE(debugfs_stats_lists_every_counter),
	KUNIT_CASE(debugfs_drain_returns_empty_pages),
	KUNIT_CASE(init_on_alloc_and_free_policies),
	KUNIT_CASE(descriptor_alloc_failure_returns_null),
	KUNIT_CASE(shrinker_counts_held_pages),
	KUNIT_CASE(context_levels_use_their_own_heaps),
	KUNIT_CASE(atomic_allocations_never_sleep),
	{}
};

static struct kunit_suite harness_test_suite = {
	.name = "smalloc_harness",
	.init = harness_test_init,
	.exit = harness_test_exit,
	.test_cases = harness_test_cases,
};

kunit_test_suite(harness_test_suite);
