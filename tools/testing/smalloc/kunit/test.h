/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Just enough KUnit to run kunit/smalloc_test.c unchanged in user space:
 * the case/suite structures, the EXPECT/ASSERT macros, test-managed
 * allocations, skip and info.  As in the kernel, a failed ASSERT ends the
 * case (its thread exits, as KUnit's try-catch kthread does) and the
 * exit function still runs.  The runner is kunit.c.
 */
#ifndef _HARNESS_KUNIT_TEST_H
#define _HARNESS_KUNIT_TEST_H

#include <linux/sched.h>

enum kunit_status {
	KUNIT_SUCCESS,
	KUNIT_FAILURE,
	KUNIT_SKIPPED,
};

struct kunit_resource;

struct kunit {
	const char *name;
	void *priv;
	enum kunit_status status;
	char status_comment[256];
	struct kunit_resource *resources;
	pthread_mutex_t lock;
};

struct kunit_case {
	void (*run_case)(struct kunit *test);
	const char *name;
};

struct kunit_suite {
	const char *name;
	int (*suite_init)(struct kunit_suite *suite);
	void (*suite_exit)(struct kunit_suite *suite);
	int (*init)(struct kunit *test);
	void (*exit)(struct kunit *test);
	struct kunit_case *test_cases;
};

#define KUNIT_CASE(fn)		{ .run_case = fn, .name = #fn }
#define KUNIT_CASE_SLOW(fn)	{ .run_case = fn, .name = #fn }

void kunit_register_suite(struct kunit_suite *suite);
#define kunit_test_suite(suite)						\
	static void __attribute__((constructor)) __kunit_reg_##suite(void) \
	{								\
		kunit_register_suite(&(suite));				\
	}
#define kunit_test_suites(...)	kunit_test_suite(__VA_ARGS__)

void kunit_fail(struct kunit *test, bool assert, const char *file, int line,
		const char *fmt, ...) __printf(5, 6);
void __attribute__((noreturn)) kunit_abort(struct kunit *test);
void __attribute__((noreturn)) kunit_do_skip(struct kunit *test,
					     const char *fmt, ...)
	__printf(2, 3);
void kunit_log_info(struct kunit *test, const char *fmt, ...) __printf(2, 3);
void *kunit_kmalloc_array(struct kunit *test, size_t n, size_t size, gfp_t gfp);

#define kunit_skip(test, fmt, ...)	kunit_do_skip(test, fmt, ##__VA_ARGS__)
#define kunit_info(test, fmt, ...)	kunit_log_info(test, fmt, ##__VA_ARGS__)
#define kunit_err(test, fmt, ...)	kunit_log_info(test, fmt, ##__VA_ARGS__)

static inline void *kunit_kmalloc(struct kunit *test, size_t size, gfp_t gfp)
{
	return kunit_kmalloc_array(test, 1, size, gfp);
}

static inline void *kunit_kzalloc(struct kunit *test, size_t size, gfp_t gfp)
{
	return kunit_kmalloc_array(test, 1, size, gfp | __GFP_ZERO);
}

static inline void *kunit_kcalloc(struct kunit *test, size_t n, size_t size,
				  gfp_t gfp)
{
	return kunit_kmalloc_array(test, n, size, gfp | __GFP_ZERO);
}

/* One check: on failure report, and for an ASSERT end the case. */
#define KUNIT_CHECK(test, assert, ok, fmt, ...) do {			\
	if (unlikely(!(ok))) {						\
		kunit_fail(test, assert, __FILE__, __LINE__, fmt,	\
			   ##__VA_ARGS__);				\
		if (assert)						\
			kunit_abort(test);				\
	}								\
	} while (0)

#define KUNIT_BINARY_INT(test, assert, left, op, right, fmt, ...) do {	\
	const typeof(left) __left = (left);				\
	const typeof(right) __right = (right);				\
	KUNIT_CHECK(test, assert, __left op __right,			\
		    "Expected %s %s %s, but\n    %s == %lld (%#llx)\n    %s == %lld (%#llx)\n" fmt, \
		    #left, #op, #right, #left, (long long)__left,	\
		    (unsigned long long)__left, #right,			\
		    (long long)__right, (unsigned long long)__right,	\
		    ##__VA_ARGS__);					\
	} while (0)

#define KUNIT_BINARY_PTR(test, assert, left, op, right, fmt, ...) do {	\
	const void *__left = (left);					\
	const void *__right = (right);					\
	KUNIT_CHECK(test, assert, __left op __right,			\
		    "Expected %s %s %s, but\n    %s == %p\n    %s == %p\n" fmt, \
		    #left, #op, #right, #left, __left, #right, __right,	\
		    ##__VA_ARGS__);					\
	} while (0)

#define KUNIT_BOOL(test, assert, cond, expect, fmt, ...)		\
	KUNIT_CHECK(test, assert, (!!(cond)) == (expect),		\
		    "Expected %s to be %s\n" fmt, #cond,		\
		    (expect) ? "true" : "false", ##__VA_ARGS__)

#define KUNIT_EXPECT_EQ(t, l, r)	KUNIT_BINARY_INT(t, false, l, ==, r, "")
#define KUNIT_EXPECT_NE(t, l, r)	KUNIT_BINARY_INT(t, false, l, !=, r, "")
#define KUNIT_EXPECT_LT(t, l, r)	KUNIT_BINARY_INT(t, false, l, <, r, "")
#define KUNIT_EXPECT_LE(t, l, r)	KUNIT_BINARY_INT(t, false, l, <=, r, "")
#define KUNIT_EXPECT_GT(t, l, r)	KUNIT_BINARY_INT(t, false, l, >, r, "")
#define KUNIT_EXPECT_GE(t, l, r)	KUNIT_BINARY_INT(t, false, l, >=, r, "")
#define KUNIT_ASSERT_EQ(t, l, r)	KUNIT_BINARY_INT(t, true, l, ==, r, "")
#define KUNIT_ASSERT_NE(t, l, r)	KUNIT_BINARY_INT(t, true, l, !=, r, "")
#define KUNIT_ASSERT_LT(t, l, r)	KUNIT_BINARY_INT(t, true, l, <, r, "")
#define KUNIT_ASSERT_LE(t, l, r)	KUNIT_BINARY_INT(t, true, l, <=, r, "")
#define KUNIT_ASSERT_GT(t, l, r)	KUNIT_BINARY_INT(t, true, l, >, r, "")
#define KUNIT_ASSERT_GE(t, l, r)	KUNIT_BINARY_INT(t, true, l, >=, r, "")
#define KUNIT_EXPECT_EQ_MSG(t, l, r, fmt, ...) \
	KUNIT_BINARY_INT(t, false, l, ==, r, fmt "\n", ##__VA_ARGS__)
#define KUNIT_ASSERT_EQ_MSG(t, l, r, fmt, ...) \
	KUNIT_BINARY_INT(t, true, l, ==, r, fmt "\n", ##__VA_ARGS__)
#define KUNIT_EXPECT_LE_MSG(t, l, r, fmt, ...) \
	KUNIT_BINARY_INT(t, false, l, <=, r, fmt "\n", ##__VA_ARGS__)
#define KUNIT_EXPECT_GT_MSG(t, l, r, fmt, ...) \
	KUNIT_BINARY_INT(t, false, l, >, r, fmt "\n", ##__VA_ARGS__)
#define KUNIT_EXPECT_GE_MSG(t, l, r, fmt, ...) \
	KUNIT_BINARY_INT(t, false, l, >=, r, fmt "\n", ##__VA_ARGS__)

#define KUNIT_EXPECT_PTR_EQ(t, l, r)	KUNIT_BINARY_PTR(t, false, l, ==, r, "")
#define KUNIT_EXPECT_PTR_NE(t, l, r)	KUNIT_BINARY_PTR(t, false, l, !=, r, "")
#define KUNIT_ASSERT_PTR_EQ(t, l, r)	KUNIT_BINARY_PTR(t, true, l, ==, r, "")
#define KUNIT_ASSERT_PTR_NE(t, l, r)	KUNIT_BINARY_PTR(t, true, l, !=, r, "")
#define KUNIT_EXPECT_NULL(t, p)		KUNIT_BINARY_PTR(t, false, p, ==, NULL, "")
#define KUNIT_EXPECT_NOT_NULL(t, p)	KUNIT_BINARY_PTR(t, false, p, !=, NULL, "")
#define KUNIT_ASSERT_NULL(t, p)		KUNIT_BINARY_PTR(t, true, p, ==, NULL, "")
#define KUNIT_ASSERT_NOT_NULL(t, p)	KUNIT_BINARY_PTR(t, true, p, !=, NULL, "")
#define KUNIT_EXPECT_NOT_ERR_OR_NULL(t, p) \
	KUNIT_CHECK(t, false, !IS_ERR_OR_NULL(p), "Expected %s not error or NULL\n", #p)
#define KUNIT_ASSERT_NOT_ERR_OR_NULL(t, p) \
	KUNIT_CHECK(t, true, !IS_ERR_OR_NULL(p), "Expected %s not error or NULL\n", #p)

#define KUNIT_EXPECT_TRUE(t, c)		KUNIT_BOOL(t, false, c, true, "")
#define KUNIT_EXPECT_FALSE(t, c)	KUNIT_BOOL(t, false, c, false, "")
#define KUNIT_ASSERT_TRUE(t, c)		KUNIT_BOOL(t, true, c, true, "")
#define KUNIT_ASSERT_FALSE(t, c)	KUNIT_BOOL(t, true, c, false, "")
#define KUNIT_EXPECT_TRUE_MSG(t, c, fmt, ...) \
	KUNIT_BOOL(t, false, c, true, fmt "\n", ##__VA_ARGS__)
#define KUNIT_EXPECT_FALSE_MSG(t, c, fmt, ...) \
	KUNIT_BOOL(t, false, c, false, fmt "\n", ##__VA_ARGS__)
#define KUNIT_ASSERT_TRUE_MSG(t, c, fmt, ...) \
	KUNIT_BOOL(t, true, c, true, fmt "\n", ##__VA_ARGS__)
#define KUNIT_ASSERT_FALSE_MSG(t, c, fmt, ...) \
	KUNIT_BOOL(t, true, c, false, fmt "\n", ##__VA_ARGS__)
#define KUNIT_EXPECT_STREQ(t, l, r) \
	KUNIT_CHECK(t, false, !strcmp((l), (r)), \
		    "Expected %s == %s, but \"%s\" != \"%s\"\n", #l, #r, (l), (r))
#define KUNIT_FAIL(t, fmt, ...) \
	KUNIT_CHECK(t, false, false, fmt "\n", ##__VA_ARGS__)

#endif /* _HARNESS_KUNIT_TEST_H */
