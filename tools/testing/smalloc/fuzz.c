// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: random operation sequences against smalloc.
 *
 * The input is a program.  Each operation picks from: allocations of
 * every kind of size (class boundaries, large, zeroed, smalloc_node,
 * scalloc), frees on the owning CPU, on another CPU and from another
 * context level (softirq, hardirq, NMI), srealloc, allocations from
 * interrupt context, drains, heartbeats, injected failures (spans,
 * descriptors, the page allocator), migration of the task to another CPU,
 * the clock (idle work), CPU hotplug, bursts that fill and empty pages,
 * and bad input (interior pointers, kmalloc objects, double frees).
 *
 * After every operation: every heap of every CPU passes
 * smalloc_heap_check() (the free-list invariant, the direct cache, the
 * retired list, every empty page retired), every page with remote frees
 * waiting has its class flagged to its owner (no notification lost), the
 * pages smalloc counts are the pages the page allocator has out, the
 * retired frames of all heaps are within the global budget (a small one
 * for half the inputs) and are what its counter says, and every live
 * object's canary is intact (its ends after every step, all of
 * it when it is freed or resized).  Module exit may come at any point with
 * remote frees and retired pages pending: it must return every page and
 * leave no work item queued.  At the end of an input everything is freed;
 * then the memory bound must hold: after one heartbeat per heap, each
 * heap holds at most smalloc_retire_bound_frames(), and after two idle
 * periods nothing, without any explicit drain.  A broken check aborts,
 * which libFuzzer reports with the input.
 *
 * Single-threaded and deterministic: "CPUs" and contexts are switched by
 * hand, work runs inline, the clock moves only when told.
 */
#include <linux/sched.h>

#include "../../../smalloc_internal.h"

#define SLOTS		64
#define MAX_OPS		1500

struct slot {
	u8 *p;
	size_t size;
	u8 seed;
};

static struct slot slots[SLOTS];
static const u8 *in, *in_end;

static unsigned int get8(void)
{
	return in < in_end ? *in++ : 0;
}

static unsigned int get16(void)
{
	return get8() | get8() << 8;
}

#define check(cond) do {						\
	if (unlikely(!(cond))) {					\
		fprintf(stderr, "fuzz: %s:%d: check failed: %s\n",	\
			__FILE__, __LINE__, #cond);			\
		abort();						\
	}								\
	} while (0)

static u8 pattern(const struct slot *s, size_t i)
{
	return (u8)(s->seed + i * 31);
}

static void fill(struct slot *s, size_t from)
{
	size_t i;

	for (i = from; i < s->size; i++)
		s->p[i] = pattern(s, i);
}

static void verify_range(const struct slot *s, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to && i < s->size; i++)
		check(s->p[i] == pattern(s, i));
}

static void verify_all(const struct slot *s)
{
	verify_range(s, 0, s->size);
}

/* The ends of an object: cheap enough to do for every object every step. */
static void verify_ends(const struct slot *s)
{
	verify_range(s, 0, 64);
	if (s->size > 64)
		verify_range(s, s->size - min_t(size_t, s->size - 64, 64), s->size);
}

static size_t pick_size(void)
{
	unsigned int sel = get8();
	size_t size;

	switch (sel % 8) {
	case 0: case 1: case 2:
		return get8() % 256 + 1;
	case 3:
		return get16() % 1024 + 1;
	case 4:
		return get16() % SMALLOC_MAX_SIZE + 1;
	case 5: case 6:
		size = smalloc_classes[get8() % SMALLOC_NR_CLASSES].size;
		size += (int)(get8() % 3) - 1;
		return size ?: 1;
	default:
		return SMALLOC_MAX_SIZE + 1 + get16() % 60000;
	}
}

static void slot_free_on(struct slot *s, int cpu, int ctx)
{
	unsigned int home = raw_smp_processor_id();

	if (!s->p)
		return;
	verify_all(s);
	if (cpu >= 0)
		harness_set_cpu(cpu);
	if (ctx)
		harness_enter_ctx(ctx);
	sfree(s->p);
	if (ctx)
		harness_exit_ctx();
	harness_set_cpu(home);
	s->p = NULL;
}

/*
 * Free after a grace period: the one-argument form from task context, or
 * the two-argument form (the rcu_head at the object's start) from any
 * context level, NMI included.
 */
static void slot_free_rcu(struct slot *s)
{
	unsigned int how = get8();
	int ctx = HARNESS_CTX_SOFTIRQ + how % 3;

	if (!s->p)
		return;
	verify_all(s);
	if (s->size < sizeof(struct rcu_head) || !(how & 8)) {
		smalloc_free_rcu_mightsleep(s->p);
	} else {
		if (how & 4)
			harness_enter_ctx(ctx);
		smalloc_free_rcu(s->p, (struct rcu_head *)s->p);
		if (how & 4)
			harness_exit_ctx();
	}
	s->p = NULL;
	if (how & 16)
		smalloc_rcu_barrier();
}

static void slot_alloc(struct slot *s, int ctx)
{
	size_t size = pick_size(), i;
	unsigned int how = get8();
	gfp_t gfp = (how & 1) ? GFP_ATOMIC : GFP_KERNEL;
	bool zero = how & 2;
	void *p;

	slot_free_on(s, -1, 0);
	if (zero)
		gfp |= __GFP_ZERO;
	if (ctx) {
		gfp = GFP_ATOMIC | (zero ? __GFP_ZERO : 0);
		harness_enter_ctx(ctx);
	}
	switch ((how >> 2) % 6) {
	case 0:
		/* Either node: the other one's is its pool (smalloc_node.c). */
		p = smalloc_node(size, gfp, (how & 64) ? how >> 7 : NUMA_NO_NODE);
		break;
	case 1:
		p = scalloc(size / 4 + 1, 4, gfp);
		size = (size / 4 + 1) * 4;
		zero = true;
		break;
	case 2:
		p = szalloc(size, gfp);
		zero = true;
		break;
	default:
		p = smalloc(size, gfp);
		break;
	}
	if (ctx)
		harness_exit_ctx();
	if (!p)
		return;		/* an injected failure */
	check(!ZERO_OR_NULL_PTR(p));
	check(smalloc_usable_size(p) >= size);
	check(IS_ALIGNED((unsigned long)p, ARCH_KMALLOC_MINALIGN));
	if (is_power_of_2(size) && size <= PAGE_SIZE)
		check(IS_ALIGNED((unsigned long)p, size));
	if (zero)
		for (i = 0; i < size; i++)
			check(((u8 *)p)[i] == 0);
	s->p = p;
	s->size = size;
	s->seed = how;
	fill(s, 0);
}

static void slot_realloc(struct slot *s)
{
	size_t size = get8() & 1 ? pick_size() : 0, old;
	u8 *p;

	if (!s->p)
		return;
	verify_all(s);
	p = srealloc(s->p, size, GFP_KERNEL);
	if (!size) {
		check(p == ZERO_SIZE_PTR);
		s->p = NULL;
		return;
	}
	if (!p)
		return;		/* failed: the old object stays */
	check(smalloc_usable_size(p) >= size);
	s->p = p;
	verify_range(s, 0, min(size, s->size));
	old = s->size;
	s->size = size;
	if (size > old)
		fill(s, old);
}

static void bad_input(struct slot *s)
{
	unsigned long invalid = smalloc_stat_sum(SMALLOC_INVALID_FREE);
	unsigned int what = get8() % 5;
	void *k;

	switch (what) {
	case 0:		/* a pointer inside a live object */
		if (!s->p || smalloc_usable_size(s->p) <= 8)
			return;
		sfree(s->p + 8);
		check(smalloc_stat_sum(SMALLOC_INVALID_FREE) == invalid + 1);
		break;
	case 1:		/* a kmalloc object: sized, resized and freed */
		k = kmalloc(get16() % 20000 + 1, GFP_KERNEL);
		if (!k)
			break;
		check(smalloc_usable_size(k) == ksize(k));
		k = srealloc(k, get16() % 20000 + 1, GFP_KERNEL) ?: k;
		sfree(k);
		break;
	case 2:		/* freed twice, the second time maybe elsewhere */
		if (!s->p)
			return;
		k = s->p;
		slot_free_on(s, -1, 0);
		invalid = smalloc_stat_sum(SMALLOC_INVALID_FREE);
		slot_free_on(&(struct slot){ .p = k }, get8() % nr_cpu_ids, 0);
		check(smalloc_stat_sum(SMALLOC_INVALID_FREE) == invalid + 1);
		break;
	case 3:		/* sfree_sensitive */
		if (!s->p)
			return;
		verify_all(s);
		sfree_sensitive(s->p);
		s->p = NULL;
		break;
	default:	/* not a heap address at all */
		sfree(&invalid);
		check(smalloc_stat_sum(SMALLOC_INVALID_FREE) == invalid + 1);
		break;
	}
}

static void burst(void)
{
	static void *objs[600];
	unsigned int n = get16() % 600 + 1, i, order = get8();
	size_t size = pick_size();
	int cpu = get8() % nr_cpu_ids;

	if (size > SMALLOC_MAX_SIZE)
		size = get8() + 1;
	for (i = 0; i < n; i++) {
		objs[i] = smalloc(size, GFP_KERNEL);
		if (objs[i])
			memset(objs[i], 0x5a, size);
	}
	if (cpu_online(cpu) && (order & 1))
		harness_set_cpu(cpu);
	for (i = 0; i < n; i++) {
		unsigned int j = (order & 2) ? n - 1 - i : i;

		sfree(objs[j]);
	}
}

/* Every debugfs view reads, and says something. */
static void debugfs_views(void)
{
	static const char *const files[] = {
		"smalloc/stats", "smalloc/cpus", "smalloc/classes",
		"smalloc/info",
	};
	static char buf[1 << 16];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(files); i++)
		check(harness_debugfs_read(files[i], buf, sizeof(buf)) > 0);
}

/*
 * A page whose xthread_free is not empty has its class flagged in its
 * heap's remote_classes: else the owner would never look at it (the
 * invariant a dropped notification breaks).  Single-threaded: exact.
 */
static void check_remote_flags(void)
{
	struct smalloc_page *page;
	unsigned int cpu, c;
	int ctx;

	for_each_possible_cpu(cpu) {
		for (ctx = 0; ctx < SMALLOC_NR_CTX; ctx++) {
			struct smalloc_heap *heap =
				&per_cpu_ptr(smalloc_cpus, cpu)->heap[ctx];
			unsigned long bits = atomic_long_read(&heap->remote_classes);

			for (c = 0; c < SMALLOC_NR_CLASSES; c++) {
				list_for_each_entry(page, &heap->queue[c], list)
					check(!atomic_long_read(&page->xthread_free) ||
					      (bits & BIT(c)));
				list_for_each_entry(page, &heap->full[c], list)
					check(!atomic_long_read(&page->xthread_free) ||
					      (bits & BIT(c)));
			}
		}
	}
}

/* Frames of the spans @heap holds. */
static unsigned long heap_frames(struct smalloc_heap *heap)
{
	struct smalloc_page *page;
	unsigned long n = 0;
	unsigned int c;

	for (c = 0; c < SMALLOC_NR_CLASSES; c++) {
		list_for_each_entry(page, &heap->queue[c], list)
			n += 1UL << page->order;
		list_for_each_entry(page, &heap->full[c], list)
			n += 1UL << page->order;
	}
	return n;
}

static long check_pool(struct smalloc_heap *heap, void *arg)
{
	return smalloc_heap_check(heap);
}

/* The global retire budget: kept, and the sum of what the heaps hold. */
static void check_retire_budget(void)
{
	long frames = smalloc_retired_frames_sum();

	check(atomic_long_read(&smalloc_retired_frames) == frames);
	check(frames <= (long)READ_ONCE(smalloc_retire_budget));
}

static void check_everything(void)
{
	unsigned int cpu, i;

	for_each_possible_cpu(cpu)
		check(work_on_cpu(cpu, smalloc_check_this_cpu, NULL) == 0);
	check(smalloc_pools_call(check_pool, NULL) == 0);
	check_retire_budget();
	check(atomic_long_read(&smalloc_nr_pages) == READ_ONCE(harness_pages_out));
	check(READ_ONCE(harness_warnings) == 0);
	check_remote_flags();
	for (i = 0; i < SLOTS; i++)
		if (slots[i].p)
			verify_ends(&slots[i]);
}

static void free_all_slots(void)
{
	unsigned int i;

	for (i = 0; i < SLOTS; i++)
		slot_free_on(&slots[i], get8() % 2 ? (int)(get8() % nr_cpu_ids) : -1,
			     0);
}

/*
 * rmmod: every object freed first (as a client's exit does, some of it
 * remotely and not yet collected), then module exit, at whatever state the
 * heaps, retired lists and idle works are in.  Nothing may stay queued,
 * every page must be back; then the module loads again.
 */
static void module_reload(void)
{
	unsigned int cpu, home = raw_smp_processor_id();
	int err;

	atomic_set(&smalloc_fail_pages, 0);
	atomic_set(&smalloc_fail_high_order, 0);
	WRITE_ONCE(harness_fail_kmem_allocs, 0);
	WRITE_ONCE(harness_fail_page_allocs, 0);
	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		if (!cpu_online(cpu) && get8() % 2)
			add_cpu(cpu);
	free_all_slots();
	if (get8() % 2)
		WRITE_ONCE(smalloc_idle_drain_ms, 1000);
	harness_set_cpu(home);
	harness_module_exit();
	check(harness_pending_work() == 0);
	check(READ_ONCE(harness_pages_out) == 0);
	check(harness_kmem_live() == 0);
	check(READ_ONCE(harness_warnings) == 0);
	err = harness_module_init();
	if (err)
		fprintf(stderr, "fuzz: module init: %d\n", err);
	check(!err);
	WRITE_ONCE(smalloc_idle_drain_ms, 0);
}

/*
 * The memory bound (Documentation/smalloc.rst, "Memory bound"): with no
 * live block left, one heartbeat on each heap brings it to at most
 * smalloc_retire_bound_frames(), and two idle periods to nothing.
 */
static void check_memory_bound(void)
{
	unsigned int cpu, i, home = raw_smp_processor_id();
	int ctx;

	for_each_possible_cpu(cpu)
		add_cpu(cpu);
	WRITE_ONCE(smalloc_idle_drain_ms, 5);
	for_each_online_cpu(cpu) {
		harness_set_cpu(cpu);
		for (ctx = SMALLOC_CTX_TASK; ctx <= SMALLOC_CTX_HARDIRQ; ctx++) {
			struct smalloc_heap *heap;

			if (ctx)
				harness_enter_ctx(ctx);
			heap = smalloc_heap_get();
			smalloc_heap_heartbeat(heap);
			check(heap_frames(heap) <= smalloc_retire_bound_frames());
			smalloc_heap_put(heap);
			if (ctx)
				harness_exit_ctx();
		}
	}
	harness_set_cpu(home);
	/*
	 * Works queued earlier may be due up to a second later (the rhythm
	 * kept while idle_drain_ms was 0): each round runs each CPU's once,
	 * and two runs give back everything.
	 */
	for (i = 0; i < 4 && atomic_long_read(&smalloc_nr_pages); i++)
		harness_advance_clock(MSEC_PER_SEC + 1);
	check(atomic_long_read(&smalloc_nr_pages) == 0);
	WRITE_ONCE(smalloc_idle_drain_ms, 0);
}

static void step(void)
{
	unsigned int op = get8(), cpu;
	struct slot *s = &slots[get8() % SLOTS];
	struct smalloc_heap *heap;

	switch (op % 22) {
	case 0: case 1: case 2: case 3:
		slot_alloc(s, 0);
		break;
	case 4:
		slot_free_on(s, -1, 0);
		break;
	case 5:
		slot_free_rcu(s);
		break;
	case 6:
		cpu = get8() % nr_cpu_ids;
		slot_free_on(s, cpu_online(cpu) ? (int)cpu : -1, 0);
		break;
	case 7:
		slot_free_on(s, -1, HARNESS_CTX_SOFTIRQ + get8() % 3);
		break;
	case 8:
		slot_alloc(s, HARNESS_CTX_SOFTIRQ + get8() % 2);
		break;
	case 9: case 10:
		slot_realloc(s);
		break;
	case 11:
		smalloc_drain_all();
		break;
	case 12:
		heap = smalloc_heap_get();
		smalloc_heap_heartbeat(heap);
		smalloc_heap_put(heap);
		break;
	case 13:
		switch (get8() % 4) {
		case 0:
			atomic_set(&smalloc_fail_pages, get8() % 4);
			break;
		case 3:
			atomic_set(&smalloc_fail_high_order, get8() % 8);
			break;
		case 1:
			WRITE_ONCE(harness_fail_kmem_allocs, get8() % 4);
			break;
		default:
			WRITE_ONCE(harness_fail_page_allocs, get8() % 4);
			break;
		}
		break;
	case 14:
		cpu = get8() % nr_cpu_ids;
		if (cpu_online(cpu))
			harness_set_cpu(cpu);
		break;
	case 15:
		WRITE_ONCE(smalloc_idle_drain_ms, (get8() % 4) * 5);
		harness_advance_clock(get8() % 32);
		break;
	case 16:
		cpu = get8() % nr_cpu_ids;
		if (cpu == raw_smp_processor_id())
			break;
		if (cpu_online(cpu))
			remove_cpu(cpu);
		else
			add_cpu(cpu);
		break;
	case 17:
		bad_input(s);
		break;
	case 18:
		burst();
		break;
	case 19:
		if (harness_shrink(get8(), NULL) != SHRINK_STOP)
			break;
		harness_advance_clock(1);
		break;
	case 20:
		module_reload();
		break;
	default:
		debugfs_views();
		break;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	harness_manual_clock = true;
	harness_inline_work = true;
	harness_quiet = !getenv("FUZZ_VERBOSE");
	if (harness_init(4, 256))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	unsigned int i, cpu, ops = 0, mode;

	in = data;
	in_end = data + size;
	harness_random_seed(0x5eed);
	harness_set_cpu(0);
	WRITE_ONCE(smalloc_idle_drain_ms, 0);

	/*
	 * The hardening options and boot policies, chosen per input: they
	 * may only change while no heap holds a page, which the end of the
	 * previous input checked.
	 */
	mode = get8();
	WRITE_ONCE(smalloc_random_order, !(mode & 2));
	WRITE_ONCE(harness_init_on_alloc, !!(mode & 4));
	WRITE_ONCE(harness_init_on_free, !!(mode & 8));
	/* After the policies: it sets the fast paths' keys from them too. */
	smalloc_poison_set(mode & 1);
	/* Half the inputs run against a small global retire budget. */
	smalloc_retire_init();
	if (mode & 16)
		WRITE_ONCE(smalloc_retire_budget, 8 + get8() % 64);

	while (in < in_end && ops++ < MAX_OPS) {
		step();
		check_everything();
	}

	/* Everything back: free, then the bound, then drain. */
	atomic_set(&smalloc_fail_pages, 0);
	atomic_set(&smalloc_fail_high_order, 0);
	WRITE_ONCE(harness_fail_kmem_allocs, 0);
	WRITE_ONCE(harness_fail_page_allocs, 0);
	for (i = 0; i < SLOTS; i++)
		slot_free_on(&slots[i], -1, 0);
	smalloc_rcu_barrier();
	check_memory_bound();
	for_each_possible_cpu(cpu)
		add_cpu(cpu);
	WRITE_ONCE(smalloc_idle_drain_ms, 0);
	smalloc_drain_all();
	check_everything();
	check(atomic_long_read(&smalloc_nr_pages) == 0);
	check(READ_ONCE(harness_pages_out) == 0);
	check(harness_kmem_live() == 0);
	check(harness_kmalloc_live() == 0);
	return 0;
}
