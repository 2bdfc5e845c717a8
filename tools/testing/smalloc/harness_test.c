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

/*
 * A heap's ctx_free corrupted into a cycle (a block pushed twice by a
 * double free racing past its live byte) does not hang the debugfs
 * snapshot, which walks the list with interrupts off: the read returns.
 */
static void debugfs_snapshot_survives_a_ctx_free_cycle(struct kunit *test)
{
	char *buf = kunit_kzalloc(test, 65536, GFP_KERNEL);
	struct smalloc_heap *heap;
	struct smalloc_page *page;
	void *p;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	set_cpus_allowed_ptr(current, cpumask_of(2));
	p = smalloc(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	page = smalloc_ptr_to_page(p);
	heap = smalloc_heap_get();
	KUNIT_ASSERT_PTR_EQ(test, page->heap, heap);
	smalloc_block_set_next(page, p, p);
	WRITE_ONCE(heap->ctx_free, p);
	smalloc_heap_put(heap);

	KUNIT_EXPECT_GT(test, harness_debugfs_read("smalloc/info", buf, 65536), 0);
	KUNIT_EXPECT_GT(test, harness_debugfs_read("smalloc/stats", buf, 65536), 0);

	heap = smalloc_heap_get();
	WRITE_ONCE(heap->ctx_free, NULL);
	smalloc_heap_put(heap);
	sfree(p);
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

/*
 * debugfs "info" (smallocinfo's input): 100 live 64-byte blocks on CPU 2's
 * task heap show in the class row, in that heap's row, and nowhere else.
 */
static void debugfs_info_counts_live_blocks(struct kunit *test)
{
	char *buf = kunit_kzalloc(test, 65536, GFP_KERNEL);
	unsigned long v[9], used = 0, bytes = 0, size, order;
	unsigned int c, cpu, found = 0;
	char ctx[16], *line;
	void *p[100];
	int i;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	set_cpus_allowed_ptr(current, cpumask_of(2));
	harness_drain();
	for (i = 0; i < 100; i++) {
		p[i] = smalloc(64, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	KUNIT_ASSERT_GT(test, harness_debugfs_read("smalloc/info", buf, 65536), 0);
	KUNIT_EXPECT_TRUE(test, !strncmp(buf, "smallocinfo 1\n\n", 15));
	for (line = buf; line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		/* spans pages full retired used remote carved reserved bytes_used */
		if (sscanf(line, "%u %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu",
			   &c, &size, &order, &v[0], &v[1], &v[2], &v[3], &v[4],
			   &v[5], &v[6], &v[7], &v[8]) == 12) {
			used += v[4];
			bytes += v[8];
			if (size != 64 || !v[4])
				continue;
			found++;
			KUNIT_EXPECT_EQ(test, v[4], 100);
			KUNIT_EXPECT_EQ(test, v[8], 6400);
			KUNIT_EXPECT_EQ(test, v[1], v[0] << order);
			KUNIT_EXPECT_GE(test, v[7], v[6]);
			KUNIT_EXPECT_GE(test, v[6], 100);
		} else if (sscanf(line, "%u %15s %lu %lu %lu %lu %lu %lu %lu %lu %lu",
				  &cpu, ctx, &v[0], &v[1], &v[2], &v[3], &v[4],
				  &v[5], &v[6], &v[7], &v[8]) == 11 && v[4]) {
			found++;
			KUNIT_EXPECT_EQ(test, cpu, 2);
			KUNIT_EXPECT_STREQ(test, ctx, "task");
			KUNIT_EXPECT_EQ(test, v[4], 100);
			KUNIT_EXPECT_EQ(test, v[8], 6400);
		}
	}
	KUNIT_EXPECT_EQ(test, found, 2);
	KUNIT_EXPECT_EQ(test, used, 100);
	KUNIT_EXPECT_EQ(test, bytes, 6400);
	for (i = 0; i < 100; i++)
		sfree(p[i]);
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
		smalloc_hooks_update();
		p = smalloc(sizes[i], GFP_KERNEL);
		WRITE_ONCE(harness_init_on_alloc, false);
		smalloc_hooks_update();
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
		smalloc_hooks_update();
		sfree(p);
		WRITE_ONCE(harness_init_on_free, false);
		smalloc_hooks_update();
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

/*
 * Reclaim as the kernel drives it: count, then scan.  A live block's page
 * is not counted (reclaim cannot have it); once freed, its retired span
 * is, and a scan on its CPU gives it back at once.
 */
static void shrinker_counts_what_it_can_free(struct kunit *test)
{
	unsigned long count = 0, frames;
	void *p;

	set_cpus_allowed_ptr(current, cpumask_of(0));
	harness_drain();
	p = smalloc(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	harness_shrink(128, &count);
	KUNIT_EXPECT_EQ(test, count, SHRINK_EMPTY);
	KUNIT_EXPECT_GT(test, atomic_long_read(&smalloc_nr_pages), 0);
	frames = atomic_long_read(&smalloc_nr_pages);
	sfree(p);
	KUNIT_EXPECT_EQ(test, harness_shrink(128, &count), frames);
	KUNIT_EXPECT_EQ(test, count, frames);
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

struct exit_args {
	void *obj;
};

static long free_obj_here(void *arg)
{
	sfree(((struct exit_args *)arg)->obj);
	return 0;
}

/*
 * Module exit with frees pending: a page went full, one of its blocks was
 * freed from another CPU, the owner freed the rest, and rmmod follows
 * within idle_drain_ms.  Exit collects the remote free, which empties and
 * retires the page: no work item or timer may be queued by that, or by
 * anything else, once exit has begun.
 */
static void module_exit_leaves_no_work_pending(struct kunit *test)
{
	void **objs = kunit_kcalloc(test, SMALLOC_MAX_BLOCKS + 1, sizeof(void *),
				    GFP_KERNEL);
	struct smalloc_page *page;
	struct exit_args a;
	unsigned int i, nr;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	set_cpus_allowed_ptr(current, cpumask_of(0));
	WRITE_ONCE(smalloc_idle_drain_ms, 1000);
	objs[0] = smalloc(96, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs[0]);
	page = smalloc_ptr_to_page(objs[0]);
	nr = page->reserved;
	for (i = 1; i <= nr; i++) {		/* one more: the page goes full */
		objs[i] = smalloc(96, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
	a.obj = objs[0];
	work_on_cpu(1, free_obj_here, &a);	/* a remote free into it */
	for (i = 1; i <= nr; i++)
		sfree(objs[i]);
	harness_module_exit();
	KUNIT_EXPECT_EQ(test, harness_pending_work(), 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(harness_pages_out), 0);
	KUNIT_ASSERT_EQ(test, harness_module_init(), 0);
	WRITE_ONCE(smalloc_idle_drain_ms, 0);
}

/*
 * A double free whose second free races the first: sfree_sensitive() on
 * the owner CPU and a plain sfree() from CPU 1 at the moment the former
 * is about to clear the block (the hook runs there).  One of them frees,
 * the other is reported, and nothing is written to a block once it is on
 * a list: the clear may not zero the link the remote free just pushed.
 */
static void *race_block;

/* On CPU 0: two 64 B blocks of one page, *@keep to keep the page busy. */
static void *two_blocks(struct kunit *test, void **keep)
{
	void *b;

	set_cpus_allowed_ptr(current, cpumask_of(0));
	*keep = smalloc(64, GFP_KERNEL);
	b = smalloc(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, *keep);
	KUNIT_ASSERT_NOT_NULL(test, b);
	return b;
}

/* @page's lists are sound; then give everything back. */
static void expect_page_sound(struct kunit *test, struct smalloc_page *page,
			      void *keep)
{
	preempt_disable();
	KUNIT_EXPECT_EQ(test, smalloc_page_check(page), 0);
	preempt_enable();
	sfree(keep);
	smalloc_drain();
}

static void race_remote_free(void)
{
	struct exit_args a = { .obj = race_block };

	harness_kasan_disable_hook = NULL;
	work_on_cpu(1, free_obj_here, &a);
}

static void sensitive_free_racing_remote_free_is_contained(struct kunit *test)
{
	unsigned long twice = smalloc_stat_sum(SMALLOC_DOUBLE_FREE);
	struct smalloc_page *page;
	void *keep;

	race_block = two_blocks(test, &keep);
	page = smalloc_ptr_to_page(race_block);
	harness_kasan_disable_hook = race_remote_free;
	sfree_sensitive(race_block);
	harness_kasan_disable_hook = NULL;
	KUNIT_EXPECT_EQ(test, smalloc_stat_sum(SMALLOC_DOUBLE_FREE), twice + 1);
	expect_page_sound(test, page, keep);
}

/* srealloc() of a freed block is refused and writes nothing to it. */
static void srealloc_of_freed_block_is_refused(struct kunit *test)
{
	struct smalloc_page *page;
	void *keep, *b;

	b = two_blocks(test, &keep);
	page = smalloc_ptr_to_page(b);
	sfree(b);
	KUNIT_EXPECT_NULL(test, srealloc(b, 1, GFP_KERNEL | __GFP_ZERO));
	expect_page_sound(test, page, keep);
}

/*
 * sfree_sensitive() of a kmalloc object goes to kfree_sensitive(): zeroing
 * ksize() bytes would write past the request, which KASAN on 6.12 (ASan
 * here: ksize() rounds up, the object is exactly the request) reports.
 * A block of smalloc's is cleared whole.
 */
static void sfree_sensitive_respects_kmalloc_bounds(struct kunit *test)
{
	long live = harness_kmalloc_live();
	u8 *k = kmalloc(100, GFP_KERNEL);
	u8 *p = smalloc(100, GFP_KERNEL);
	size_t i, usable;

	KUNIT_ASSERT_NOT_NULL(test, k);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_GT(test, ksize(k), 100);
	memset(k, 0x5a, 100);
	sfree_sensitive(k);
	KUNIT_EXPECT_EQ(test, harness_kmalloc_live(), live);
	usable = smalloc_usable_size(p);
	memset(p, 0x5a, usable);
	sfree_sensitive(p);
	/* The first word is the free-list link. */
	for (i = sizeof(void *); i < usable; i++)
		if (p[i])
			break;
	KUNIT_EXPECT_EQ(test, i, usable);
}

/*
 * A span never takes the caller's placement flags (it is shared by every
 * later caller) nor the emergency reserves; a caller entitled to the
 * reserves whose span cannot be had otherwise is served by kmalloc.
 */
static void span_gfp_is_sanitised(struct kunit *test)
{
	long live = harness_kmalloc_live();
	void *p;

	set_cpus_allowed_ptr(current, cpumask_of(0));
	harness_drain();
	p = smalloc(3000, GFP_KERNEL | __GFP_MOVABLE | __GFP_RECLAIMABLE |
			  __GFP_MEMALLOC);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_NOT_NULL(test, smalloc_ptr_to_page(p));
	KUNIT_EXPECT_FALSE(test, harness_last_page_gfp &
			   (__GFP_MOVABLE | __GFP_RECLAIMABLE | __GFP_MEMALLOC));
	KUNIT_EXPECT_TRUE(test, harness_last_page_gfp & __GFP_NOMEMALLOC);
	sfree(p);
	harness_drain();

	/* No span to be had: an ordinary caller gets NULL ... */
	__atomic_store_n(&harness_fail_page_allocs, 2, __ATOMIC_RELAXED);
	p = smalloc(3000, GFP_ATOMIC | __GFP_NOWARN);
	KUNIT_EXPECT_NULL(test, p);
	/* ... a reserve user (PF_MEMALLOC: reclaim itself) kmalloc's. */
	harness_task_memalloc = true;
	__atomic_store_n(&harness_fail_page_allocs, 2, __ATOMIC_RELAXED);
	p = smalloc(3000, GFP_ATOMIC | __GFP_NOWARN);
	harness_task_memalloc = false;
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_NULL(test, smalloc_ptr_to_page(p));
	KUNIT_EXPECT_EQ(test, harness_kmalloc_live(), live + 1);
	sfree(p);
	KUNIT_EXPECT_EQ(test, harness_kmalloc_live(), live);
	/*
	 * A reserve user's span attempt drops __GFP_NOFAIL: it must not loop
	 * in the page allocator for a span when kmalloc has the reserves.
	 */
	harness_task_memalloc = true;
	p = smalloc(3000, GFP_KERNEL | __GFP_NOFAIL);
	harness_task_memalloc = false;
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_FALSE(test, harness_last_page_gfp & __GFP_NOFAIL);
	sfree(p);
}

struct nmi_args {
	void *block, *large, *kobj, *fallback, *bogus;
};

static long free_in_nmi(void *arg)
{
	struct nmi_args *a = arg;
	long large = smalloc_large_count();

	harness_enter_ctx(HARNESS_CTX_NMI);
	sfree(a->block);
	sfree(a->large);
	sfree_sensitive(a->kobj);
	sfree(a->fallback);
	sfree(a->bogus);
	/* Nothing but the block is freed inside the NMI itself. */
	WARN_ON(smalloc_large_count() != large);
	harness_exit_ctx();
	return 0;
}

/*
 * The NMI rule as documented: a block is freed from NMI at once (the
 * remote path is lock-free); a large allocation or a kmalloc object (one
 * of up to 8 KiB that fell back to kmalloc included) is freed from an
 * irq_work when the NMI returns; a pointer that is neither is reported.
 */
static void nmi_frees_everything_it_may(struct kunit *test)
{
	unsigned long invalid = smalloc_stat_sum(SMALLOC_INVALID_FREE);
	long live = harness_kmalloc_live();
	struct smalloc_page *page;
	struct nmi_args a;
	long large;

	set_cpus_allowed_ptr(current, cpumask_of(0));
	a.block = smalloc(64, GFP_KERNEL);
	a.large = smalloc(20000, GFP_KERNEL);
	a.kobj = kmalloc(100, GFP_KERNEL);
	atomic_set(&smalloc_fail_above_map, 2);
	a.fallback = smalloc(3000, GFP_KERNEL);
	atomic_set(&smalloc_fail_above_map, 0);
	a.bogus = &a;
	KUNIT_ASSERT_NOT_NULL(test, a.block);
	KUNIT_ASSERT_NOT_NULL(test, a.large);
	KUNIT_ASSERT_NOT_NULL(test, a.kobj);
	KUNIT_ASSERT_NOT_NULL(test, a.fallback);
	KUNIT_EXPECT_NULL(test, smalloc_ptr_to_page(a.fallback));
	KUNIT_EXPECT_EQ(test, harness_kmalloc_live(), live + 2);
	page = smalloc_ptr_to_page(a.block);
	large = smalloc_large_count();
	work_on_cpu(1, free_in_nmi, &a);
	KUNIT_EXPECT_EQ(test, smalloc_page_remote_count(page), 1);
	KUNIT_EXPECT_EQ(test, smalloc_large_count(), large - 1);
	KUNIT_EXPECT_EQ(test, harness_kmalloc_live(), live);
	KUNIT_EXPECT_EQ(test, smalloc_stat_sum(SMALLOC_INVALID_FREE), invalid + 1);
}

/* Free frames smalloc kept (references as allocated, no tag left). */
static void give_back_kept_frames(struct page *frames, unsigned int order)
{
	unsigned long i;

	for (i = 0; i < (1UL << order); i++) {
		frames[i]._refcount = !i;
		set_page_private(frames + i, 0);
	}
	__free_pages(frames, order);
}

/*
 * On CPU 0, with every heap drained: a 64-byte block and a 20000-byte
 * large allocation, with the frames each one lives in.
 */
struct kept_pair {
	u8 *p, *q;
	struct page *frames, *head;
	unsigned int order, lorder;
};

static void alloc_kept_pair(struct kunit *test, struct kept_pair *k)
{
	set_cpus_allowed_ptr(current, cpumask_of(0));
	harness_drain();
	k->p = smalloc(64, GFP_KERNEL);
	k->q = smalloc(20000, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, k->p);
	KUNIT_ASSERT_NOT_NULL(test, k->q);
	k->frames = virt_to_page(smalloc_ptr_to_page(k->p)->start);
	k->order = smalloc_ptr_to_page(k->p)->order;
	k->head = virt_to_page(k->q);
	k->lorder = get_order(20000);
}

/* What a leaking client would never do; the harness must. */
static void give_back_kept_pair(struct kept_pair *k)
{
	give_back_kept_frames(k->frames, k->order);
	give_back_kept_frames(k->head, k->lorder);
}

/*
 * Unload with live objects keeps their memory, as kmem_cache_destroy()
 * keeps a cache's: a client's leak must not become a use-after-free of
 * whoever gets the frames next.  The span and the large allocation stay
 * allocated with their contents; smalloc forgets them.
 */
static void unload_keeps_live_objects(struct kunit *test)
{
	struct kept_pair k;
	size_t i;

	alloc_kept_pair(test, &k);
	memset(k.p, 0x5a, 64);
	memset(k.q, 0xa5, 20000);
	harness_module_exit();
	KUNIT_EXPECT_EQ(test, harness_pending_work(), 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(harness_pages_out),
			(1L << k.order) + (1L << k.lorder));
	for (i = 0; i < 64; i++)
		KUNIT_EXPECT_EQ(test, k.p[i], 0x5a);
	for (i = 0; i < 20000; i += 1000)
		KUNIT_EXPECT_EQ(test, k.q[i], 0xa5);
	give_back_kept_pair(&k);
	KUNIT_ASSERT_EQ(test, harness_module_init(), 0);
}

/*
 * sfree() queues no work and arms no timer, whatever its free does:
 * retire a page, release one beyond the retire bound, free remotely into
 * a full page, free a large allocation.  kfree() takes no timer lock, so
 * sfree() must not either.
 */
static void sfree_queues_no_work(struct kunit *test)
{
	static const size_t sizes[] = { 16, 64, 200, 1000, 4000, 8000, 30000 };
	void **objs = kunit_kcalloc(test, 4096, sizeof(void *), GFP_KERNEL);
	struct exit_args a;
	unsigned int i, n = 0;
	long queued;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	set_cpus_allowed_ptr(current, cpumask_of(0));
	WRITE_ONCE(smalloc_idle_drain_ms, 1000);
	for (i = 0; i < 4096; i++) {
		objs[i] = smalloc(sizes[i % ARRAY_SIZE(sizes)], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		n++;
	}
	/* No idle work pending: an sfree() that queued one could. */
	for_each_possible_cpu(i)
		cancel_delayed_work_sync(&per_cpu_ptr(smalloc_cpus, i)->idle_work);
	queued = READ_ONCE(harness_work_queued);
	for (i = 0; i < n; i++) {
		if (i % 3) {
			sfree(objs[i]);
		} else {
			a.obj = objs[i];
			work_on_cpu(1 + i % 3, free_obj_here, &a);
		}
	}
	KUNIT_EXPECT_EQ(test, READ_ONCE(harness_work_queued), queued);
	WRITE_ONCE(smalloc_idle_drain_ms, 0);
}

struct rcu_nmi_args {
	void *obj[3];
};

static long sfree_rcu_in_nmi(void *arg)
{
	struct rcu_nmi_args *a = arg;
	unsigned int i;

	harness_enter_ctx(HARNESS_CTX_NMI);
	for (i = 0; i < 3; i++)
		smalloc_free_rcu(a->obj[i], (struct rcu_head *)a->obj[i]);
	harness_exit_ctx();
	return 0;
}

/*
 * sfree_rcu() works from NMI (it goes through the irq_work first), and
 * module exit waits for every pending batch: nothing is left allocated
 * and no callback is left queued once exit returns.
 */
static void sfree_rcu_from_nmi_and_unload_waits(struct kunit *test)
{
	long live = harness_kmalloc_live();
	struct rcu_nmi_args a;
	void *more[100];
	unsigned int i;

	set_cpus_allowed_ptr(current, cpumask_of(0));
	a.obj[0] = smalloc(64, GFP_KERNEL);
	a.obj[1] = smalloc(20000, GFP_KERNEL);
	a.obj[2] = kmalloc(64, GFP_KERNEL);
	for (i = 0; i < 3; i++)
		KUNIT_ASSERT_NOT_NULL(test, a.obj[i]);
	work_on_cpu(1, sfree_rcu_in_nmi, &a);
	for (i = 0; i < ARRAY_SIZE(more); i++) {
		more[i] = smalloc(48, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, more[i]);
		smalloc_free_rcu_mightsleep(more[i]);
	}
	KUNIT_EXPECT_GT(test, READ_ONCE(harness_pages_out), 0);
	harness_module_exit();
	KUNIT_EXPECT_EQ(test, harness_rcu_pending(), 0);
	KUNIT_EXPECT_EQ(test, harness_pending_work(), 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(harness_pages_out), 0);
	KUNIT_EXPECT_EQ(test, harness_kmalloc_live(), live);
	KUNIT_ASSERT_EQ(test, harness_module_init(), 0);
}

/*
 * kfree() of smalloc memory (an object whose ownership left a switched
 * module) frees nothing smalloc still uses: the frames' extra references
 * absorb it; when smalloc gives the frames up it finds the references
 * missing, reports it, and keeps them.  A block and a large allocation.
 */
static void kfree_of_smalloc_memory_is_contained(struct kunit *test)
{
	struct kept_pair k;
	long out;

	alloc_kept_pair(test, &k);
	out = READ_ONCE(harness_pages_out);

	kfree(k.p);		/* the kernel's kfree() */
	kfree(k.q);
	/* Nothing went back to the page allocator. */
	KUNIT_EXPECT_EQ(test, READ_ONCE(harness_pages_out), out);
	KUNIT_EXPECT_EQ(test, smalloc_usable_size(k.q), PAGE_SIZE << k.lorder);
	memset(k.q, 0x5a, 20000);
	sfree(k.p);
	sfree(k.q);
	harness_drain();
	/* smalloc let go of them, and kept them out of the page allocator. */
	KUNIT_EXPECT_EQ(test, atomic_long_read(&smalloc_nr_pages), 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(harness_pages_out), out);
	give_back_kept_pair(&k);
	KUNIT_EXPECT_EQ(test, READ_ONCE(harness_pages_out), 0);
}

/*
 * With idle_drain_ms at 0 the idle check keeps its rhythm, so that setting
 * it again gives back what a CPU holds though that CPU never takes a slow
 * path again (it only frees): the review found the check stopped for good.
 */
static void idle_check_survives_idle_drain_off(struct kunit *test)
{
	void *p;
	int waited;

	set_cpus_allowed_ptr(current, cpumask_of(0));
	harness_drain();
	WRITE_ONCE(smalloc_idle_drain_ms, 20);
	p = smalloc(64, GFP_KERNEL);		/* arms CPU 0's idle check */
	KUNIT_ASSERT_NOT_NULL(test, p);
	WRITE_ONCE(smalloc_idle_drain_ms, 0);
	msleep(60);				/* the check runs with 0 */
	sfree(p);				/* retired; no slow path after */
	msleep(1100);				/* the 1 s rhythm runs once */
	WRITE_ONCE(smalloc_idle_drain_ms, 20);
	for (waited = 0; waited < 3000; waited += 20) {
		if (!atomic_long_read(&smalloc_nr_pages))
			break;
		msleep(20);
	}
	KUNIT_EXPECT_EQ(test, atomic_long_read(&smalloc_nr_pages), 0);
	WRITE_ONCE(smalloc_idle_drain_ms, 0);
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

/*
 * A far node that cannot give smalloc_node() a span is served by
 * kmalloc_node(), which the kernel guarantees to align power-of-two sizes
 * naturally, as smalloc does.  The fuzzer found the harness's kmalloc()
 * breaking that (malloc() aligns to 16) once far nodes had pools.
 */
static void far_node_fallback_keeps_natural_alignment(struct kunit *test)
{
	static const size_t sizes[] = { 32, 64, 256, 1024, 4096 };
	unsigned int k;

	set_cpus_allowed_ptr(current, cpumask_of(0));
	for (k = 0; k < ARRAY_SIZE(sizes); k++) {
		void *p;

		/* Every page allocation fails: the pool has no span to give. */
		WRITE_ONCE(harness_fail_page_allocs, 1000);
		p = smalloc_node(sizes[k], GFP_KERNEL, 1);
		WRITE_ONCE(harness_fail_page_allocs, 0);
		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_NULL(test, smalloc_ptr_to_page(p));	/* kmalloc's */
		KUNIT_EXPECT_TRUE_MSG(test, IS_ALIGNED((unsigned long)p, sizes[k]),
				      "size %zu at %p", sizes[k], p);
		sfree(p);
	}
}

static struct kunit_case harness_test_cases[] = {
	KUNIT_CASE(debugfs_stats_lists_every_counter),
	KUNIT_CASE(debugfs_drain_returns_empty_pages),
	KUNIT_CASE(debugfs_info_counts_live_blocks),
	KUNIT_CASE(debugfs_snapshot_survives_a_ctx_free_cycle),
	KUNIT_CASE(init_on_alloc_and_free_policies),
	KUNIT_CASE(descriptor_alloc_failure_returns_null),
	KUNIT_CASE(shrinker_counts_what_it_can_free),
	KUNIT_CASE(context_levels_use_their_own_heaps),
	KUNIT_CASE(atomic_allocations_never_sleep),
	KUNIT_CASE(module_exit_leaves_no_work_pending),
	KUNIT_CASE(sfree_sensitive_respects_kmalloc_bounds),
	KUNIT_CASE(span_gfp_is_sanitised),
	KUNIT_CASE(nmi_frees_everything_it_may),
	KUNIT_CASE(unload_keeps_live_objects),
	KUNIT_CASE(sfree_queues_no_work),
	KUNIT_CASE(far_node_fallback_keeps_natural_alignment),
	KUNIT_CASE(sfree_rcu_from_nmi_and_unload_waits),
	KUNIT_CASE(kfree_of_smalloc_memory_is_contained),
	KUNIT_CASE(idle_check_survives_idle_drain_off),
	KUNIT_CASE(sensitive_free_racing_remote_free_is_contained),
	KUNIT_CASE(srealloc_of_freed_block_is_refused),
	{}
};

static struct kunit_suite harness_test_suite = {
	.name = "smalloc_harness",
	.init = harness_test_init,
	.exit = harness_test_exit,
	.test_cases = harness_test_cases,
};

kunit_test_suite(harness_test_suite);
