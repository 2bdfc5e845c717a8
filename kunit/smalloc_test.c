// SPDX-License-Identifier: GPL-2.0-only
#include <kunit/test.h>
static void smalloc_placeholder(struct kunit *test) { KUNIT_EXPECT_EQ(test, 1, 1); }
static struct kunit_case c[] = { KUNIT_CASE(smalloc_placeholder), {} };
static struct kunit_suite s = { .name = "smalloc", .test_cases = c };
kunit_test_suite(s);
