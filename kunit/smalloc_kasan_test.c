// SPDX-License-Identifier: GPL-2.0-only
/*
 * KASAN on smalloc's objects: the bugs it must see, and what it must not
 * report.
 *
 * As mm/kasan/kasan_test_c.c tests kmalloc: each case performs a bad
 * access to an object smalloc handed out (a use after free, a read past
 * the request, a double free...) inside SMALLOC_KASAN_REPORTS(), which
 * fails the case unless KASAN printed a report for it; and good accesses
 * inside SMALLOC_KASAN_QUIET(), which fails it if KASAN printed one.
 * The accesses are READ_ONCE()/WRITE_ONCE() so the compiler keeps them.
 *
 * Needs generic KASAN and CONFIG_KASAN_KUNIT_TEST (for
 * kasan_kunit_test_suite_start() and multi-shot reports: kunit/.kunitconfig
 * builds KASAN's own suite as a module, which is not loaded); skipped
 * elsewhere.  Built as an object of its own (kunit/Kbuild).
 */
#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <smalloc.h>
#include "smalloc_kasan_expect.h"

/* The stats of smalloc's own double-free check, which must still count. */
#include "../smalloc_internal.h"

static int smalloc_kasan_init(struct kunit *test)
{
	if (!SMALLOC_KASAN_EXPECT)
		kunit_skip(test, "needs CONFIG_KASAN_GENERIC and CONFIG_KASAN_KUNIT_TEST");
	return 0;
}

/* A read of @p[@i] the compiler keeps. */
static void smalloc_kasan_read(const void *p, size_t i)
{
	(void)READ_ONCE(((const char *)p)[i]);
}

static void smalloc_kasan_write(void *p, size_t i)
{
	WRITE_ONCE(((char *)p)[i], 'x');
}

static void use_after_free_is_reported(struct kunit *test)
{
	char *p = smalloc(64, GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, p);
	SMALLOC_KASAN_QUIET(test, smalloc_kasan_write(p, 63));
	sfree(p);
	SMALLOC_KASAN_REPORTS(test, smalloc_kasan_read(p, 0));
	SMALLOC_KASAN_REPORTS(test, smalloc_kasan_write(p, 40));
}

/*
 * The request, not the block: 13 bytes of a 16-byte block are usable, a
 * read of byte 13 (inside the block and the granule) is out of bounds.
 */
static void read_past_the_request_is_reported(struct kunit *test)
{
	static const size_t sizes[] = { 13, 21, 100, 1000, 3000 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t n = sizes[i], ks;
		char *p = smalloc(n, GFP_KERNEL);

		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, p);
		ks = smalloc_usable_size(p);
		KUNIT_ASSERT_GT(test, ks, n);
		SMALLOC_KASAN_QUIET(test, memset(p, 0xa5, n));
		SMALLOC_KASAN_REPORTS(test, smalloc_kasan_read(p, n));
		SMALLOC_KASAN_REPORTS(test, smalloc_kasan_write(p, ks - 1));
		sfree(p);
	}
}

/* A double free is reported by KASAN and still contained by smalloc. */
static void double_free_is_reported(struct kunit *test)
{
	unsigned long twice = smalloc_stat_sum(SMALLOC_DOUBLE_FREE);
	void *p = smalloc(48, GFP_KERNEL), *q;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, p);
	sfree(p);
	SMALLOC_KASAN_REPORTS(test, sfree(p));
	if (IS_ENABLED(CONFIG_SMALLOC_STATS))
		KUNIT_EXPECT_EQ(test, smalloc_stat_sum(SMALLOC_DOUBLE_FREE),
				twice + 1);
	/* The block was not put on a list twice: two allocations differ. */
	p = smalloc(48, GFP_KERNEL);
	q = smalloc(48, GFP_KERNEL);
	KUNIT_EXPECT_PTR_NE(test, p, q);
	sfree(q);
	sfree(p);
}

/*
 * smalloc_usable_size() does not widen the object (ksize()'s rule on
 * 6.12); srealloc() to it does, and srealloc() in place narrows it again.
 */
static void srealloc_in_place_moves_the_redzone(struct kunit *test)
{
	char *p = smalloc(20, GFP_KERNEL), *q;
	size_t ks;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, p);
	ks = smalloc_usable_size(p);
	KUNIT_ASSERT_GT(test, ks, 20);
	SMALLOC_KASAN_REPORTS(test, smalloc_kasan_read(p, 20));
	q = srealloc(p, ks, GFP_KERNEL);
	KUNIT_ASSERT_PTR_EQ(test, q, p);
	SMALLOC_KASAN_QUIET(test, smalloc_kasan_write(p, ks - 1));
	q = srealloc(p, 8, GFP_KERNEL);
	KUNIT_ASSERT_PTR_EQ(test, q, p);
	SMALLOC_KASAN_REPORTS(test, smalloc_kasan_read(p, 8));
	/* Growing out of the block copies it, redzone and all, unreported. */
	SMALLOC_KASAN_QUIET(test, q = srealloc(p, 2 * ks, GFP_KERNEL));
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, q);
	SMALLOC_KASAN_REPORTS(test, smalloc_kasan_read(p, 0));
	sfree(q);
}

/* Above the size classes: the page allocator's pages, tail poisoned. */
static void large_allocation_is_covered(struct kunit *test)
{
	size_t n = 3 * PAGE_SIZE + 100;
	char *p = smalloc(n, GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, p);
	SMALLOC_KASAN_QUIET(test, memset(p, 0, n));
	SMALLOC_KASAN_REPORTS(test, smalloc_kasan_read(p, n));
	sfree(p);
	SMALLOC_KASAN_REPORTS(test, smalloc_kasan_read(p, 0));
}

static void bulk_objects_are_covered(struct kunit *test)
{
	void *p[40];
	unsigned int i;

	KUNIT_ASSERT_EQ(test, smalloc_bulk(20, GFP_KERNEL, ARRAY_SIZE(p), p),
			(int)ARRAY_SIZE(p));
	for (i = 0; i < ARRAY_SIZE(p); i++) {
		SMALLOC_KASAN_QUIET(test, memset(p[i], 0, 20));
		SMALLOC_KASAN_REPORTS(test, smalloc_kasan_read(p[i], 20));
	}
	sfree_bulk(ARRAY_SIZE(p), p);
	for (i = 0; i < ARRAY_SIZE(p); i++)
		SMALLOC_KASAN_REPORTS(test, smalloc_kasan_read(p[i], 0));
}

struct smalloc_kasan_rcu_obj {
	struct rcu_head rcu;
	char data[40];
};

/* Still usable until the grace period, freed (and poisoned) after it. */
static void sfree_rcu_object_is_poisoned_after_the_grace_period(struct kunit *test)
{
	struct smalloc_kasan_rcu_obj *o = smalloc(sizeof(*o), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, o);
	sfree_rcu(o, rcu);
	SMALLOC_KASAN_QUIET(test, smalloc_kasan_read(o->data, 0));
	smalloc_rcu_barrier();
	SMALLOC_KASAN_REPORTS(test, smalloc_kasan_read(o->data, 0));
}

static int smalloc_kasan_sfree_on(void *p)
{
	sfree(p);
	return 0;
}

/*
 * A remote free (another CPU's page) poisons too; allocation after it is
 * clean: nothing smalloc does to its own free blocks is reported.
 */
static void remote_free_and_reuse_are_clean(struct kunit *test)
{
	void *p[64];
	unsigned int i, cpu;

	cpu = cpumask_any_but(cpu_online_mask, raw_smp_processor_id());
	if (cpu >= nr_cpu_ids)
		kunit_skip(test, "needs a second CPU");
	for (i = 0; i < ARRAY_SIZE(p); i++) {
		p[i] = smalloc(32, GFP_KERNEL);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, p[i]);
	}
	SMALLOC_KASAN_QUIET(test, {
		for (i = 0; i < ARRAY_SIZE(p); i++)
			smp_call_on_cpu(cpu, smalloc_kasan_sfree_on, p[i],
					false);
		smalloc_drain();
		for (i = 0; i < ARRAY_SIZE(p); i++)
			p[i] = smalloc(30, GFP_KERNEL | __GFP_ZERO);
	});
	SMALLOC_KASAN_REPORTS(test, smalloc_kasan_read(p[0], 30));
	for (i = 0; i < ARRAY_SIZE(p); i++)
		sfree(p[i]);
}

static struct kunit_case smalloc_kasan_test_cases[] = {
	KUNIT_CASE(use_after_free_is_reported),
	KUNIT_CASE(read_past_the_request_is_reported),
	KUNIT_CASE(double_free_is_reported),
	KUNIT_CASE(srealloc_in_place_moves_the_redzone),
	KUNIT_CASE(large_allocation_is_covered),
	KUNIT_CASE(bulk_objects_are_covered),
	KUNIT_CASE(sfree_rcu_object_is_poisoned_after_the_grace_period),
	KUNIT_CASE(remote_free_and_reuse_are_clean),
	{}
};

static struct kunit_suite smalloc_kasan_test_suite = {
	.name = "smalloc_kasan",
	.init = smalloc_kasan_init,
	.test_cases = smalloc_kasan_test_cases,
};

kunit_test_suite(smalloc_kasan_test_suite);

MODULE_DESCRIPTION("KUnit cases for KASAN's view of smalloc's objects");
MODULE_LICENSE("GPL");
