// SPDX-License-Identifier: GPL-2.0-only
/*
 * The KCSAN control: a data race on purpose, which KCSAN must report.
 *
 * scripts/klog_check.py fails a KUnit run whose console has a KCSAN
 * data-race report naming one of smalloc's functions.  No report at all
 * can mean that smalloc has no race, or that the detector saw nothing:
 * under single-threaded TCG, for one, QEMU runs one vCPU at a time for up
 * to 100 ms, and KCSAN, which waits microseconds on a watchpoint for
 * another CPU's access, never sees one.  This case races two kthreads on
 * two CPUs over a plain variable, through smalloc_race_control_*().  (Not
 * *kcsan_*: KCSAN drops frames with "kcsan_" in their names from its
 * reports, taking them for its own.)  Their report is expected and does
 * not fail the run; once this case has run (its info line says so), the
 * absence of the report does.  Without CONFIG_KCSAN the case is skipped.
 *
 * Built as its own object after smalloc.o (kunit/Kbuild).
 */
#include <kunit/test.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>

#define SMALLOC_KCSAN_RACE_MS	500

/* Written and read with plain accesses from two CPUs: the race. */
static unsigned long smalloc_race_shared;

static noinline void smalloc_race_control_write(unsigned long v)
{
	smalloc_race_shared = v;
}

static noinline unsigned long smalloc_race_control_read(void)
{
	return smalloc_race_shared;
}

static int smalloc_race_control_writer(void *arg)
{
	unsigned long i = 0;

	while (!kthread_should_stop()) {
		smalloc_race_control_write(++i);
		if (!(i % 1024))
			cond_resched();
	}
	return 0;
}

static int smalloc_race_control_reader(void *arg)
{
	unsigned long i = 0, sum = 0;

	while (!kthread_should_stop()) {
		sum += smalloc_race_control_read();
		if (!(++i % 1024))
			cond_resched();
	}
	*(unsigned long *)arg = sum;
	return 0;
}

static void kcsan_reports_a_real_race(struct kunit *test)
{
	struct task_struct *writer, *reader;
	unsigned int a, b;
	unsigned long sum = 0;

	if (!IS_ENABLED(CONFIG_KCSAN))
		kunit_skip(test, "needs CONFIG_KCSAN");
	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two online CPUs");
	a = cpumask_first(cpu_online_mask);
	b = cpumask_next(a, cpu_online_mask);

	writer = kthread_run_on_cpu(smalloc_race_control_writer, NULL, a,
				    "smalloc_kcsan/%u");
	KUNIT_ASSERT_FALSE(test, IS_ERR(writer));
	reader = kthread_run_on_cpu(smalloc_race_control_reader, &sum, b,
				    "smalloc_kcsan/%u");
	if (IS_ERR(reader)) {
		kthread_stop(writer);
		KUNIT_FAIL(test, "cannot start the reader: %ld", PTR_ERR(reader));
		return;
	}
	msleep(SMALLOC_KCSAN_RACE_MS);
	kthread_stop(reader);
	kthread_stop(writer);
	kunit_info(test, "smalloc KCSAN control: raced for %d ms on CPUs %u and %u; KCSAN must report it\n",
		   SMALLOC_KCSAN_RACE_MS, a, b);
}

static struct kunit_case smalloc_kcsan_test_cases[] = {
	KUNIT_CASE(kcsan_reports_a_real_race),
	{}
};

static struct kunit_suite smalloc_kcsan_test_suite = {
	.name = "smalloc_kcsan",
	.test_cases = smalloc_kcsan_test_cases,
};

kunit_test_suite(smalloc_kcsan_test_suite);

MODULE_DESCRIPTION("KUnit control for smalloc's KCSAN check: a deliberate data race");
MODULE_LICENSE("GPL");
