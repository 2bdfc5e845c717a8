// SPDX-License-Identifier: GPL-2.0-only
/*
 * A KUnit canary for what kmemleak sees of smalloc's memory.
 *
 * kmemleak finds leaks by scanning the memory it knows of (static data,
 * stacks, slab objects, vmalloc and per-CPU areas) for pointers to the
 * objects it tracks.  Pages from alloc_pages() are neither tracked nor
 * scanned, and smalloc takes its spans from there: a kmalloc() object
 * whose only reference is held in an smalloc() block looks unreferenced,
 * and kmemleak reports it as a leak, where a kmalloc() block holding the
 * same pointer would have kept it alive.
 *
 * On a kernel with CONFIG_DEBUG_KMEMLEAK the case below parks such an
 * object (the smalloc block holding it stays reachable from a static
 * pointer) and leaves it there for the scans that the initramfs's /init
 * runs once every suite is done (scripts/kunit.sh, KUNIT_VARIANT=kcsan;
 * tests/guest/kunit-init.sh).  If kmemleak reports it, the report's
 * backtrace names smalloc_kmemleak_park() and fails that run, as any leak
 * report naming smalloc does.
 *
 * The second case is the control: it leaks a kmalloc() object for real
 * (its address is kept, but only scrambled), which kmemleak must report.
 * Its report names smalloc_kmemleak_control_leak() only, is expected, and
 * does not fail the run; its absence does (the scan would be blind).
 * Without CONFIG_DEBUG_KMEMLEAK every case is skipped.
 *
 * This file is built as its own object, linked after smalloc.o so that
 * its suite runs after the smalloc suite (kunit/Kbuild, hooked into the
 * KUnit kernel by scripts/lib.sh).
 */
#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <smalloc.h>

/*
 * Above the largest kmalloc cache, so that kmalloc() takes whole pages.
 * A slab object may be kept referenced by the stale free pointer that
 * the object allocated before it still holds, and go unreported for
 * that, which would make these cases pass or fail by chance.
 */
#define SMALLOC_KMEMLEAK_SIZE	(3 * PAGE_SIZE)

/*
 * Each control leaks this many objects, each from a call of its own with
 * the stack wiped after it: kmemleak scans conservatively, and a stale
 * copy of an address (a register an interrupt saved, a dead frame of an
 * exited thread whose stack is cached) keeps an object referenced.  A
 * control passes if any of its objects is reported.
 */
#define SMALLOC_KMEMLEAK_CONTROLS	4
#define SMALLOC_KMEMLEAK_CONTROL_SIZE	SMALLOC_KMEMLEAK_SIZE

static const char smalloc_kmemleak_tag[] = "smalloc kmemleak canary";

struct smalloc_kmemleak_holder {
	void *obj;
};

/* In .bss, which kmemleak scans: the holder is reachable from here. */
static struct smalloc_kmemleak_holder *smalloc_kmemleak_parked;

/* Noinline: the object's address stays in this frame, wiped below. */
static noinline int smalloc_kmemleak_park(void)
{
	struct smalloc_kmemleak_holder *h;
	void *obj;

	h = smalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	obj = kmalloc(SMALLOC_KMEMLEAK_SIZE, GFP_KERNEL);
	if (!obj) {
		sfree(h);
		return -ENOMEM;
	}
	memset(obj, 0, SMALLOC_KMEMLEAK_SIZE);
	strscpy(obj, smalloc_kmemleak_tag, SMALLOC_KMEMLEAK_SIZE);
	h->obj = obj;
	WRITE_ONCE(smalloc_kmemleak_parked, h);
	return 0;
}

/*
 * kmemleak scans whole stacks, dead frames included: overwrite the part
 * the allocation used (kmemleak_alloc() saving its stack trace, several
 * frames below, holds the address too), so that no stale copy of the
 * object's address keeps it referenced: 8 KiB, 1 KiB per frame, half
 * the task's stack.
 */
static noinline void smalloc_kmemleak_wipe_frames(unsigned int depth)
{
	char buf[1024];

	memzero_explicit(buf, sizeof(buf));
	if (depth)
		smalloc_kmemleak_wipe_frames(depth - 1);
	barrier_data(buf);
}

static void smalloc_kmemleak_wipe_stack(void)
{
	smalloc_kmemleak_wipe_frames(7);
}

/* Not a pointer kmemleak could follow: the control leak's address, scrambled. */
static unsigned long smalloc_kmemleak_hidden[SMALLOC_KMEMLEAK_CONTROLS];
#define SMALLOC_KMEMLEAK_SCRAMBLE	0x5a5a5a5a5a5a5a5aUL

static const char smalloc_kmemleak_control_tag[] = "smalloc kmemleak control";

static noinline int __init smalloc_kmemleak_control_leak(unsigned int i)
{
	void *obj = kmalloc(SMALLOC_KMEMLEAK_CONTROL_SIZE, GFP_KERNEL);

	if (!obj)
		return -ENOMEM;
	memset(obj, 0, SMALLOC_KMEMLEAK_CONTROL_SIZE);
	strscpy(obj, smalloc_kmemleak_control_tag, SMALLOC_KMEMLEAK_CONTROL_SIZE);
	WRITE_ONCE(smalloc_kmemleak_hidden[i],
		   (unsigned long)obj ^ SMALLOC_KMEMLEAK_SCRAMBLE);
	return 0;
}

static void kmemleak_scans_pointers_in_smalloc_blocks(struct kunit *test)
{
	if (!IS_ENABLED(CONFIG_DEBUG_KMEMLEAK))
		kunit_skip(test, "needs CONFIG_DEBUG_KMEMLEAK");
	if (READ_ONCE(smalloc_kmemleak_parked))
		kunit_skip(test, "already parked");

	KUNIT_ASSERT_EQ(test, smalloc_kmemleak_park(), 0);
	smalloc_kmemleak_wipe_stack();
	kunit_info(test, "parked a %lu-byte kmalloc object (\"%s\") whose only reference is in an smalloc block; the scan after the suites must not report it\n",
		   SMALLOC_KMEMLEAK_SIZE, smalloc_kmemleak_tag);
}

/*
 * The control's objects are leaked at boot, before any suite churns
 * memory: an object allocated after the soak gets pages that were
 * smalloc's spans a moment before, and some stale pointer into them,
 * anywhere kmemleak scans, keeps it referenced (kmemleak counts a
 * pointer to any byte of an object).  So it went in four KCSAN runs of
 * five, even for a fresh 128 KiB object (kmemleak's dump: "count = 1").
 */
static int smalloc_kmemleak_control_err;

static int __init smalloc_kmemleak_control_init(void)
{
	unsigned int i;

	if (!IS_ENABLED(CONFIG_DEBUG_KMEMLEAK))
		return 0;
	for (i = 0; i < SMALLOC_KMEMLEAK_CONTROLS && !smalloc_kmemleak_control_err; i++) {
		smalloc_kmemleak_control_err = smalloc_kmemleak_control_leak(i);
		smalloc_kmemleak_wipe_stack();
	}
	return 0;
}
late_initcall(smalloc_kmemleak_control_init);

/* The control.  Its info line tells scripts/klog_check.py to expect the report. */
static void kmemleak_reports_a_real_leak(struct kunit *test)
{
	if (!IS_ENABLED(CONFIG_DEBUG_KMEMLEAK))
		kunit_skip(test, "needs CONFIG_DEBUG_KMEMLEAK");
	KUNIT_ASSERT_EQ(test, smalloc_kmemleak_control_err, 0);
	KUNIT_ASSERT_NE(test, READ_ONCE(smalloc_kmemleak_hidden[0]), 0);
	kunit_info(test, "smalloc kmemleak control: leaked %u %lu-byte kmalloc objects (\"%s\") at boot; the scan after the suites must report one\n",
		   SMALLOC_KMEMLEAK_CONTROLS, SMALLOC_KMEMLEAK_CONTROL_SIZE,
		   smalloc_kmemleak_control_tag);
}

/*
 * The third case leaks an smalloc() object: smalloc registers each block
 * with kmemleak (smalloc_debug.c), so it must be reported, with a
 * backtrace through smalloc's allocation path to
 * smalloc_kmemleak_smalloc_leak().  Its size is not a kmalloc size: a
 * 200-byte block of the 224-byte class.
 */
static unsigned long smalloc_kmemleak_hidden_block[SMALLOC_KMEMLEAK_CONTROLS];

static const char smalloc_kmemleak_block_tag[] = "smalloc kmemleak block control";

static noinline int smalloc_kmemleak_smalloc_leak(unsigned int i)
{
	char *obj = smalloc(200, GFP_KERNEL | __GFP_ZERO);

	if (!obj)
		return -ENOMEM;
	strscpy(obj, smalloc_kmemleak_block_tag, 200);
	WRITE_ONCE(smalloc_kmemleak_hidden_block[i],
		   (unsigned long)obj ^ SMALLOC_KMEMLEAK_SCRAMBLE);
	return 0;
}

static void kmemleak_reports_a_leaked_smalloc_object(struct kunit *test)
{
	unsigned int i;

	if (!IS_ENABLED(CONFIG_DEBUG_KMEMLEAK))
		kunit_skip(test, "needs CONFIG_DEBUG_KMEMLEAK");
	if (READ_ONCE(smalloc_kmemleak_hidden_block[0]))
		kunit_skip(test, "already leaked");

	for (i = 0; i < SMALLOC_KMEMLEAK_CONTROLS; i++) {
		KUNIT_ASSERT_EQ(test, smalloc_kmemleak_smalloc_leak(i), 0);
		smalloc_kmemleak_wipe_stack();
	}
	kunit_info(test, "smalloc kmemleak block control: leaked %u 200-byte smalloc objects (\"%s\"); the scan after the suites must report one\n",
		   SMALLOC_KMEMLEAK_CONTROLS, smalloc_kmemleak_block_tag);
}

static struct kunit_case smalloc_kmemleak_test_cases[] = {
	KUNIT_CASE(kmemleak_scans_pointers_in_smalloc_blocks),
	KUNIT_CASE(kmemleak_reports_a_leaked_smalloc_object),
	KUNIT_CASE(kmemleak_reports_a_real_leak),
	{}
};

static struct kunit_suite smalloc_kmemleak_test_suite = {
	.name = "smalloc_kmemleak",
	.test_cases = smalloc_kmemleak_test_cases,
};

kunit_test_suite(smalloc_kmemleak_test_suite);

MODULE_DESCRIPTION("KUnit canary for kmemleak's view of smalloc's blocks");
MODULE_LICENSE("GPL");
