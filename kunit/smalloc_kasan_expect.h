/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Expected KASAN reports in smalloc's KUnit suites.
 *
 * A KASAN report fails whichever KUnit case is running, unless KASAN's
 * own suite is (kasan_kunit_test_suite_start(), exported with
 * CONFIG_KASAN_KUNIT_TEST), and only the first report is printed unless
 * multi-shot is on.  smalloc_kasan_expect_begin() and _end() bracket code
 * that must be reported, as mm/kasan/kasan_test_c.c's suite does: between
 * them reports do not fail the case, each is printed, and a probe on the
 * console tracepoint counts them.  The two markers tell
 * scripts/klog_check.py that the reports between them are expected.
 *
 * Without KASAN (the KCSAN kernel, the user-space harness) both are
 * no-ops and smalloc_kasan_expect_end() says no report was wanted.
 */
#ifndef _SMALLOC_KASAN_EXPECT_H
#define _SMALLOC_KASAN_EXPECT_H

#if IS_ENABLED(CONFIG_KASAN_GENERIC) && IS_ENABLED(CONFIG_KASAN_KUNIT_TEST)
#include <linux/kasan.h>
#include <linux/printk.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <trace/events/printk.h>

#define SMALLOC_KASAN_EXPECT	1

/*
 * Exported GPL for KASAN's KUnit suite, declared in mm/kasan/kasan.h,
 * which is not among the kernel's public headers.
 */
void kasan_kunit_test_suite_start(void);
void kasan_kunit_test_suite_end(void);
bool kasan_save_enable_multi_shot(void);
void kasan_restore_multi_shot(bool enabled);

static atomic_t smalloc_kasan_reports = ATOMIC_INIT(0);
static bool smalloc_kasan_multishot;

static void smalloc_kasan_probe_console(void *ignore, const char *buf,
					size_t len)
{
	if (strnstr(buf, "BUG: KASAN: ", len))
		atomic_inc(&smalloc_kasan_reports);
}

static inline void smalloc_kasan_expect_begin(void)
{
	pr_info("SMALLOC-KASAN-EXPECT-BEGIN\n");
	kasan_kunit_test_suite_start();
	smalloc_kasan_multishot = kasan_save_enable_multi_shot();
	atomic_set(&smalloc_kasan_reports, 0);
	register_trace_console(smalloc_kasan_probe_console, NULL);
}

/* Return: how many KASAN reports were printed since the begin. */
static inline int smalloc_kasan_expect_end(void)
{
	int n;

	unregister_trace_console(smalloc_kasan_probe_console, NULL);
	tracepoint_synchronize_unregister();
	kasan_restore_multi_shot(smalloc_kasan_multishot);
	kasan_kunit_test_suite_end();
	n = atomic_read(&smalloc_kasan_reports);
	pr_info("SMALLOC-KASAN-EXPECT-END %d\n", n);
	return n;
}
#else
#define SMALLOC_KASAN_EXPECT	0
static inline void smalloc_kasan_expect_begin(void) {}
static inline int smalloc_kasan_expect_end(void) { return 0; }
#endif

/*
 * Run @expr and count the KASAN reports it caused; @want says how many
 * are right ("> 0", "== 0"); only checked where KASAN runs.
 */
#define SMALLOC_KASAN_RUN(test, expr, want) do {			\
	int __reports;							\
									\
	smalloc_kasan_expect_begin();					\
	barrier();							\
	expr;								\
	barrier();							\
	__reports = smalloc_kasan_expect_end();				\
	if (SMALLOC_KASAN_EXPECT && !(__reports want))			\
		KUNIT_FAIL(test, "%d KASAN report(s) in \"%s\", expected %s", \
			   __reports, #expr, #want);			\
} while (0)

/*
 * A bug of the caller's making (a double free, a write after free) that
 * smalloc contains everywhere and that KASAN, where it runs, must report.
 */
#define SMALLOC_KASAN_REPORTS(test, expr)	SMALLOC_KASAN_RUN(test, expr, > 0)

/* Good accesses, which KASAN must not report. */
#define SMALLOC_KASAN_QUIET(test, expr)	SMALLOC_KASAN_RUN(test, expr, == 0)

#endif /* _SMALLOC_KASAN_EXPECT_H */
