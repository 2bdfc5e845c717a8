// SPDX-License-Identifier: GPL-2.0-only
/*
 * smalloc_modtest - the module-mode workload for smalloc.
 *
 * Loaded after smalloc.ko (scripts/qemu-modtest.sh does it in a QEMU
 * guest), it runs the whole workload from its init function and returns 0
 * if every check passed or a negative errno at the first failure, so that
 * insmod itself reports the result.  The log says "smalloc_modtest: PASS
 * ..." or "smalloc_modtest: FAIL <reason>".
 *
 *  - for each size in smt_sizes, nr_objs objects from smalloc(GFP_KERNEL),
 *    each filled over its whole usable size with a pattern derived from its
 *    index; usable size and alignment checked; the patterns verified once
 *    all are filled, half of the objects freed in shuffled order and
 *    allocated again, the patterns verified again, and all of them freed in
 *    shuffled order;
 *  - szalloc(), scalloc() and __GFP_ZERO return zeroed memory even where a
 *    freed block was dirty; srealloc() keeps the contents;
 *  - edge cases: size 0, NULL and ZERO_SIZE_PTR, overflowing array sizes,
 *    GFP_ATOMIC, smalloc_node(), sfree_sensitive(), kmalloc() objects;
 *  - cross-CPU: nr_xcpu_objs objects allocated on each online CPU in turn,
 *    freed on all the other online CPUs, then allocated again and freed on
 *    the owner, which must have taken the remote frees back; all through
 *    work_on_cpu().
 *
 * With trace_objs=N none of that runs either: a fixed workload for the
 * tracepoint check (tests/guest/modtest.sh counts the events), from this
 * task alone: N smalloc() and sfree() pairs, N/2 objects freed with
 * sfree_rcu(), one smalloc_bulk() and sfree_bulk() of SMT_TRACE_BULK
 * objects, one __GFP_ACCOUNT object (passed to kmalloc) and sfree(NULL),
 * then smalloc_rcu_barrier().
 *
 * With soak=1 none of that runs: the module starts a soak on every online
 * CPU and context instead, returns at once, and runs it until it is
 * unloaded (tests/guest/soak.sh takes CPUs offline and online meanwhile):
 *
 *  - on each CPU a kthread allocating (GFP_KERNEL) and freeing objects of
 *    random sizes with canaries, some kept and freed later by itself, some
 *    grown with srealloc(), most handed to a random online CPU's inbox,
 *    whose kthread frees them;
 *  - on each CPU a hardirq and a softirq hrtimer allocating small objects
 *    with GFP_ATOMIC, handing most of them away and freeing the rest
 *    themselves; the softirq timer also takes a few objects from its
 *    CPU's inbox, freeing in softirq context what other CPUs allocated;
 *  - a kthread whose CPU went offline runs wherever the scheduler put it
 *    and still empties its CPU's inbox; once its CPU is back it moves
 *    back and restarts its timers there.
 *
 * At unload everything stops, the inboxes are emptied, and one line
 * "smalloc_modtest: soak PASS ..." or "soak FAIL ..." gives the counts:
 * every allocation must have been freed with its canary intact, and no
 * allocation may have failed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/llist.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/topology.h>
#include <linux/workqueue.h>
#include <smalloc.h>

static unsigned int nr_objs = 3000;
module_param(nr_objs, uint, 0444);
MODULE_PARM_DESC(nr_objs, "Objects per size in the single-CPU part");

static unsigned int nr_xcpu_objs = 2048;
module_param(nr_xcpu_objs, uint, 0444);
MODULE_PARM_DESC(nr_xcpu_objs, "Objects per owner CPU in the cross-CPU part");

static unsigned int leak;
module_param(leak, uint, 0444);
MODULE_PARM_DESC(leak, "Objects to leave allocated at unload (tests smalloc's unload with live objects)");

static unsigned int soak;
module_param(soak, uint, 0444);
MODULE_PARM_DESC(soak, "1: skip the checks and soak every CPU and context from load to unload");

static unsigned int trace_objs;
module_param(trace_objs, uint, 0444);
MODULE_PARM_DESC(trace_objs, "N: only the tracepoint workload, N objects (see the top comment)");

static const size_t smt_sizes[] = { 8, 24, 64, 100, 256, 1000, 4096, 20000 };

/* The cross-CPU part sticks to sizes the per-CPU heaps serve. */
static const size_t smt_xcpu_sizes[] = { 8, 24, 64, 100, 256, 1000, 4096 };

#define SMT_MAGIC	0x5a110c7e57000000ULL

static __printf(2, 3) int smt_fail(int err, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_err("FAIL %pV\n", &vaf);
	va_end(args);
	return err;
}

/* ---------------------------------------------------------------- */
/* Canaries                                                          */
/* ---------------------------------------------------------------- */

/*
 * Object @idx of size @size holds a tag (SMT_MAGIC, @idx and @size) in its
 * first 8 bytes and a fill byte derived from @idx in the rest of its
 * usable size.  The fill byte has its top bit set, so it never matches
 * zeroed memory; neighbouring indices get different fill bytes.
 */
static u64 smt_tag(unsigned long idx, size_t size)
{
	return SMT_MAGIC ^ ((u64)size << 32) ^ idx;
}

static u8 smt_fill_byte(unsigned long idx, size_t size)
{
	return (u8)(idx * 37 + size) | 0x80;
}

static int smt_check_obj(const void *p, size_t size)
{
	size_t usable;

	if (!p || p == ZERO_SIZE_PTR)
		return smt_fail(-ENOMEM, "smalloc(%zu) returned %s", size,
				p ? "ZERO_SIZE_PTR" : "NULL");
	usable = smalloc_usable_size(p);
	if (usable < size)
		return smt_fail(-EINVAL, "smalloc_usable_size() of a %zu-byte object is %zu",
				size, usable);
	if (!IS_ALIGNED((unsigned long)p, 8))
		return smt_fail(-EINVAL, "%zu-byte object at %p is not 8-byte aligned",
				size, p);
	if (is_power_of_2(size) && !IS_ALIGNED((unsigned long)p, size))
		return smt_fail(-EINVAL, "%zu-byte object at %p is not naturally aligned",
				size, p);
	return 0;
}

static void smt_fill(void *p, unsigned long idx, size_t size)
{
	u64 tag = smt_tag(idx, size);

	memset(p, smt_fill_byte(idx, size), smalloc_usable_size(p));
	memcpy(p, &tag, sizeof(tag));
}

static int smt_verify(const void *p, unsigned long idx, size_t size)
{
	size_t usable = smalloc_usable_size(p);
	u8 fill = smt_fill_byte(idx, size);
	const u8 *bad;
	u64 tag;

	if (usable < size)
		return smt_fail(-EINVAL, "usable size of %zu-byte object #%lu dropped to %zu",
				size, idx, usable);
	memcpy(&tag, p, sizeof(tag));
	if (tag != smt_tag(idx, size))
		return smt_fail(-EIO, "%zu-byte object #%lu at %p: tag %#llx, expected %#llx",
				size, idx, p, tag, smt_tag(idx, size));
	bad = memchr_inv(p + sizeof(tag), fill, usable - sizeof(tag));
	if (bad)
		return smt_fail(-EIO, "%zu-byte object #%lu at %p: byte %td is %#x, expected %#x",
				size, idx, p, bad - (const u8 *)p, *bad, fill);
	return 0;
}

static void smt_shuffle(unsigned int *order, unsigned int nr)
{
	unsigned int i, j;

	for (i = 0; i < nr; i++)
		order[i] = i;
	/* Fisher-Yates; swap() evaluates its arguments twice. */
	for (i = nr - 1; i > 0; i--) {
		j = get_random_u32_below(i + 1);
		swap(order[i], order[j]);
	}
}

/* ---------------------------------------------------------------- */
/* One size, one CPU                                                 */
/* ---------------------------------------------------------------- */

static int smt_alloc_fill(void **objs, unsigned int idx, size_t size)
{
	void *p = smalloc(size, GFP_KERNEL);
	int ret = smt_check_obj(p, size);

	if (ret) {
		sfree(p);
		return ret;
	}
	objs[idx] = p;
	smt_fill(p, idx, size);
	return 0;
}

static int smt_verify_free(void **objs, unsigned int idx, size_t size)
{
	int ret = smt_verify(objs[idx], idx, size);

	if (ret)
		return ret;
	sfree(objs[idx]);
	objs[idx] = NULL;
	return 0;
}

static int smt_one_size(size_t size, unsigned int nr)
{
	unsigned int *order;
	unsigned int i;
	void **objs;
	int ret = 0;

	objs = kvcalloc(nr, sizeof(*objs), GFP_KERNEL);
	order = kvmalloc_array(nr, sizeof(*order), GFP_KERNEL);
	if (!objs || !order) {
		ret = smt_fail(-ENOMEM, "no memory for a table of %u objects", nr);
		goto out;
	}

	for (i = 0; i < nr && !ret; i++) {
		ret = smt_alloc_fill(objs, i, size);
		cond_resched();
	}
	for (i = 0; i < nr && !ret; i++)
		ret = smt_verify(objs[i], i, size);

	/* Free half, shuffled; allocate it again: reuse must not overlap. */
	smt_shuffle(order, nr);
	for (i = 0; i < nr / 2 && !ret; i++)
		ret = smt_verify_free(objs, order[i], size);
	for (i = 0; i < nr / 2 && !ret; i++) {
		ret = smt_alloc_fill(objs, order[i], size);
		cond_resched();
	}
	for (i = 0; i < nr && !ret; i++)
		ret = smt_verify(objs[i], i, size);

	smt_shuffle(order, nr);
	for (i = 0; i < nr && !ret; i++) {
		ret = smt_verify_free(objs, order[i], size);
		cond_resched();
	}
out:
	if (objs) {
		for (i = 0; i < nr; i++)
			sfree(objs[i]);
	}
	kvfree(order);
	kvfree(objs);
	return ret;
}

/* ---------------------------------------------------------------- */
/* Zeroing, srealloc, edge cases                                     */
/* ---------------------------------------------------------------- */

static int smt_check_zero(const void *p, size_t bytes, const char *what)
{
	const u8 *bad;

	if (ZERO_OR_NULL_PTR(p))
		return smt_fail(-ENOMEM, "%s of %zu bytes returned %s", what,
				bytes, p ? "ZERO_SIZE_PTR" : "NULL");
	bad = memchr_inv(p, 0, bytes);
	if (bad)
		return smt_fail(-EIO, "%s of %zu bytes: byte %td is %#x, not 0",
				what, bytes, bad - (const u8 *)p, *bad);
	return 0;
}

/* Leave a freed, dirty block of @size where the next allocation finds it. */
static int smt_dirty(size_t size)
{
	void *p = smalloc(size, GFP_KERNEL);
	int ret = smt_check_obj(p, size);

	if (ret)
		return ret;
	/* The slack is the caller's once claimed, as with ksize(). */
	p = srealloc(p, smalloc_usable_size(p), GFP_KERNEL);
	memset(p, 0xa5, smalloc_usable_size(p));
	sfree(p);
	return 0;
}

static int smt_zeroing(void)
{
	unsigned int i;
	size_t size;
	void *p;
	int ret;

	for (i = 0; i < ARRAY_SIZE(smt_sizes); i++) {
		size = smt_sizes[i];

		ret = smt_dirty(size);
		if (ret)
			return ret;
		p = szalloc(size, GFP_KERNEL);
		ret = smt_check_zero(p, size, "szalloc");
		if (!ZERO_OR_NULL_PTR(p))
			sfree(p);
		if (ret)
			return ret;

		ret = smt_dirty(size);
		if (ret)
			return ret;
		p = smalloc(size, GFP_KERNEL | __GFP_ZERO);
		ret = smt_check_zero(p, size, "smalloc(__GFP_ZERO)");
		if (!ZERO_OR_NULL_PTR(p))
			sfree(p);
		if (ret)
			return ret;

		ret = smt_dirty(size * 3);
		if (ret)
			return ret;
		p = scalloc(3, size, GFP_KERNEL);
		ret = smt_check_zero(p, size * 3, "scalloc");
		if (!ZERO_OR_NULL_PTR(p))
			sfree(p);
		if (ret)
			return ret;
	}
	return 0;
}

static u8 smt_realloc_byte(size_t off)
{
	return (u8)(off * 7 + 3);
}

static int smt_realloc_check(const u8 *p, size_t from, size_t to)
{
	size_t off;

	for (off = from; off < to; off++)
		if (p[off] != smt_realloc_byte(off))
			return smt_fail(-EIO, "srealloc lost byte %zu: %#x, expected %#x",
					off, p[off], smt_realloc_byte(off));
	return 0;
}

static void smt_realloc_fill(u8 *p, size_t from, size_t to)
{
	size_t off;

	for (off = from; off < to; off++)
		p[off] = smt_realloc_byte(off);
}

static int smt_realloc(void)
{
	static const size_t steps[] = { 100, 1000, 4096, 8192, 20000, 65536 };
	size_t cur = 24;
	unsigned int i;
	u8 *p, *q;
	int ret;

	p = srealloc(NULL, cur, GFP_KERNEL);
	ret = smt_check_obj(p, cur);
	if (ret)
		return ret;
	smt_realloc_fill(p, 0, cur);

	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		q = srealloc(p, steps[i], GFP_KERNEL);
		if (!q) {
			ret = smt_fail(-ENOMEM, "srealloc(%zu -> %zu) returned NULL",
				       cur, steps[i]);
			goto out;
		}
		p = q;
		ret = smt_check_obj(p, steps[i]);
		if (!ret)
			ret = smt_realloc_check(p, 0, cur);
		if (ret)
			goto out;
		smt_realloc_fill(p, cur, steps[i]);
		cur = steps[i];
	}

	/* Shrinking keeps the head. */
	q = srealloc(p, 10, GFP_KERNEL);
	if (!q) {
		ret = smt_fail(-ENOMEM, "srealloc(%zu -> 10) returned NULL", cur);
		goto out;
	}
	p = q;
	ret = smt_realloc_check(p, 0, 10);
	if (ret)
		goto out;

	/* Size 0 frees. */
	q = srealloc(p, 0, GFP_KERNEL);
	p = NULL;
	if (q != ZERO_SIZE_PTR) {
		sfree(q);
		return smt_fail(-EINVAL, "srealloc(p, 0) returned %p, not ZERO_SIZE_PTR", q);
	}
	return 0;
out:
	sfree(p);
	return ret;
}

static int smt_edge_cases(void)
{
	void *p;
	int ret;

	p = smalloc(0, GFP_KERNEL);
	if (p != ZERO_SIZE_PTR)
		return smt_fail(-EINVAL, "smalloc(0) returned %p, not ZERO_SIZE_PTR", p);
	p = szalloc(0, GFP_KERNEL);
	if (p != ZERO_SIZE_PTR)
		return smt_fail(-EINVAL, "szalloc(0) returned %p, not ZERO_SIZE_PTR", p);
	if (smalloc_usable_size(NULL) || smalloc_usable_size(ZERO_SIZE_PTR))
		return smt_fail(-EINVAL, "smalloc_usable_size(NULL or ZERO_SIZE_PTR) is not 0");
	sfree(NULL);
	sfree(ZERO_SIZE_PTR);
	sfree_sensitive(NULL);
	sfree_sensitive(ZERO_SIZE_PTR);

	p = smalloc_array(SIZE_MAX / 2 + 1, 2, GFP_KERNEL);
	if (p) {
		sfree(p);
		return smt_fail(-EINVAL, "smalloc_array() did not catch an overflow");
	}
	p = scalloc(SIZE_MAX / 8 + 1, 8, GFP_KERNEL);
	if (p) {
		sfree(p);
		return smt_fail(-EINVAL, "scalloc() did not catch an overflow");
	}

	p = smalloc_array(16, 8, GFP_KERNEL);
	ret = smt_check_obj(p, 16 * 8);
	if (ret)
		return ret;
	sfree(p);

	p = smalloc(200, GFP_ATOMIC);
	ret = smt_check_obj(p, 200);
	if (ret)
		return ret;
	sfree(p);

	p = smalloc_node(512, GFP_KERNEL, NUMA_NO_NODE);
	ret = smt_check_obj(p, 512);
	if (ret)
		return ret;
	sfree(p);

	p = smalloc_node(512, GFP_KERNEL, numa_mem_id());
	ret = smt_check_obj(p, 512);
	if (ret)
		return ret;
	sfree(p);

	p = smalloc(48, GFP_KERNEL);
	ret = smt_check_obj(p, 48);
	if (ret)
		return ret;
	memset(p, 0x5e, 48);
	sfree_sensitive(p);

	/* sfree() and smalloc_usable_size() take kmalloc() objects too. */
	p = kmalloc(100, GFP_KERNEL);
	if (!p)
		return smt_fail(-ENOMEM, "kmalloc(100) returned NULL");
	if (smalloc_usable_size(p) < 100) {
		kfree(p);
		return smt_fail(-EINVAL, "smalloc_usable_size() of a kmalloc(100) object is %zu",
				smalloc_usable_size(p));
	}
	sfree(p);
	return 0;
}

/* ---------------------------------------------------------------- */
/* Cross-CPU                                                         */
/* ---------------------------------------------------------------- */

struct smt_xcpu {
	void **objs;
	unsigned int nr;
	unsigned int first;	/* the slice smt_xcpu_free() frees */
	unsigned int count;
};

static size_t smt_xcpu_size(unsigned int idx)
{
	return smt_xcpu_sizes[idx % ARRAY_SIZE(smt_xcpu_sizes)];
}

static long smt_xcpu_alloc(void *arg)
{
	struct smt_xcpu *x = arg;
	unsigned int i;
	int ret;

	for (i = 0; i < x->nr; i++) {
		ret = smt_alloc_fill(x->objs, i, smt_xcpu_size(i));
		if (ret)
			return ret;
	}
	return 0;
}

static long smt_xcpu_free(void *arg)
{
	struct smt_xcpu *x = arg;
	unsigned int i;
	int ret;

	for (i = x->first; i < x->first + x->count; i++) {
		ret = smt_verify_free(x->objs, i, smt_xcpu_size(i));
		if (ret)
			return ret;
	}
	return 0;
}

static int smt_cross_cpu_one(struct smt_xcpu *x, unsigned int owner,
			     unsigned int nr_online)
{
	unsigned int slice = DIV_ROUND_UP(x->nr, nr_online - 1);
	unsigned int cpu;
	long ret;

	ret = work_on_cpu(owner, smt_xcpu_alloc, x);
	if (ret)
		return ret;

	x->first = 0;
	for_each_online_cpu(cpu) {
		if (cpu == owner)
			continue;
		x->count = min(slice, x->nr - x->first);
		ret = work_on_cpu(cpu, smt_xcpu_free, x);
		if (ret)
			return ret;
		x->first += x->count;
	}

	/* The owner takes the remote frees back and uses the blocks again. */
	ret = work_on_cpu(owner, smt_xcpu_alloc, x);
	if (ret)
		return ret;
	x->first = 0;
	x->count = x->nr;
	return work_on_cpu(owner, smt_xcpu_free, x);
}

static int smt_cross_cpu(unsigned int *nr_cpus)
{
	struct smt_xcpu x = { .nr = nr_xcpu_objs };
	unsigned int owner, nr_online, i;
	int ret = 0;

	x.objs = kvcalloc(x.nr, sizeof(*x.objs), GFP_KERNEL);
	if (!x.objs)
		return smt_fail(-ENOMEM, "no memory for a table of %u objects", x.nr);

	cpus_read_lock();
	nr_online = num_online_cpus();
	*nr_cpus = nr_online;
	if (nr_online < 2) {
		pr_info("cross-CPU part skipped: only one CPU online\n");
		goto out;
	}
	for_each_online_cpu(owner) {
		ret = smt_cross_cpu_one(&x, owner, nr_online);
		if (ret)
			break;
	}
out:
	cpus_read_unlock();
	for (i = 0; i < x.nr; i++)
		sfree(x.objs[i]);
	kvfree(x.objs);
	return ret;
}

/* ---------------------------------------------------------------- */
/* Soak (soak=1)                                                     */
/* ---------------------------------------------------------------- */

struct smt_soak_obj {
	struct llist_node node;
	u32 size;			/* of data[] */
	u32 seed;
	u8 data[];
};

#define SMT_SOAK_KEEP		64	/* objects a kthread keeps */
#define SMT_SOAK_IRQ_KEEP	8	/* objects a timer keeps */
#define SMT_SOAK_HARD_NS	(500 * NSEC_PER_USEC)
#define SMT_SOAK_SOFT_NS	(700 * NSEC_PER_USEC)
/*
 * Objects alive at once, at most, per CPU.  The timers fire at the same
 * pace however slowly QEMU runs the CPUs, and QEMU runs one CPU at a time
 * for up to a tenth of a second each: without a bound, objects would pile
 * up in the inboxes of the CPUs waiting for their turn.  At the bound the
 * timers skip their turn and the kthreads wait a little.
 */
#define SMT_SOAK_LIVE_PER_CPU	4096

struct smt_soak_cpu {
	struct hrtimer hard, soft;
	struct task_struct *task;
	unsigned int cpu;
	/* One generator per context: a hardirq may interrupt the others. */
	u32 rnd, hard_rnd, soft_rnd;
	struct smt_soak_obj *hard_keep[SMT_SOAK_IRQ_KEEP];
	struct smt_soak_obj *soft_keep[SMT_SOAK_IRQ_KEEP];
};

static struct {
	struct llist_head *inbox;	/* [cpu]: objects for that CPU to free */
	struct smt_soak_cpu *pc;	/* [cpu] */
	ktime_t start;
	unsigned int nr_workers;
	long max_live;
	bool stop;
	atomic_long_t live;
	atomic_long_t allocs, irq_allocs, frees, irq_frees, remote, reallocs;
	atomic_long_t repins, throttled, fails, corrupt;
} smt_soak;

static u32 smt_soak_rand(u32 *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

static u8 smt_soak_byte(u32 seed, u32 i)
{
	return (u8)(seed * 31 + i);
}

static void smt_soak_fill(struct smt_soak_obj *o, u32 from)
{
	u32 i;

	for (i = from; i < o->size; i++)
		o->data[i] = smt_soak_byte(o->seed, i);
}

static bool smt_soak_intact(const struct smt_soak_obj *o)
{
	u32 i;

	if (smalloc_usable_size(o) < sizeof(*o) + o->size)
		return false;
	for (i = 0; i < o->size; i++)
		if (o->data[i] != smt_soak_byte(o->seed, i))
			return false;
	return true;
}

/*
 * In task context mostly small sizes, now and then a big class, rarely a
 * large allocation; in irq context small ones only, so that the timers
 * stay short even where QEMU runs a CPU slowly.
 */
static u32 smt_soak_size(u32 r, bool task)
{
	if (!task)
		return r % 512;
	if (r % 512 == 0)
		return 20000 + r % 40000;
	if (r % 64 == 0)
		return 4000 + r % 9000;
	return r % 1024;
}

static struct smt_soak_obj *smt_soak_alloc(u32 *rnd, gfp_t gfp)
{
	bool task = gfpflags_allow_blocking(gfp);
	u32 r = smt_soak_rand(rnd);
	struct smt_soak_obj *o;
	u32 size = smt_soak_size(r, task);

	if (atomic_long_read(&smt_soak.live) >= smt_soak.max_live)
		return NULL;
	o = r & BIT(10) ? szalloc(sizeof(*o) + size, gfp) :
			  smalloc(sizeof(*o) + size, gfp);
	if (!o) {
		atomic_long_inc(&smt_soak.fails);
		return NULL;
	}
	o->size = size;
	o->seed = r;
	smt_soak_fill(o, 0);
	atomic_long_inc(&smt_soak.live);
	atomic_long_inc(task ? &smt_soak.allocs : &smt_soak.irq_allocs);
	return o;
}

static void smt_soak_free(struct smt_soak_obj *o)
{
	if (!smt_soak_intact(o))
		atomic_long_inc(&smt_soak.corrupt);
	sfree(o);
	atomic_long_dec(&smt_soak.live);
	atomic_long_inc(in_task() ? &smt_soak.frees : &smt_soak.irq_frees);
}

/* Hand an object to a random online CPU, whose kthread will free it. */
static void smt_soak_send(struct smt_soak_obj *o, u32 r)
{
	unsigned int cpu = cpumask_nth(r % num_online_cpus(), cpu_online_mask);

	if (cpu >= nr_cpu_ids)
		cpu = cpumask_first(cpu_online_mask);
	llist_add(&o->node, &smt_soak.inbox[cpu]);
	atomic_long_inc(&smt_soak.remote);
}

/* Free at most @max objects of @cpu's inbox; put the rest back. */
static void smt_soak_drain_inbox(unsigned int cpu, unsigned int max)
{
	struct llist_node *n = llist_del_all(&smt_soak.inbox[cpu]);
	struct llist_node *last;
	unsigned int done = 0;

	while (n && done < max) {
		struct smt_soak_obj *o = llist_entry(n, struct smt_soak_obj, node);

		n = n->next;
		smt_soak_free(o);
		done++;
	}
	if (!n)
		return;
	for (last = n; last->next; last = last->next)
		;
	llist_add_batch(n, last, &smt_soak.inbox[cpu]);
}

/* A timer's turn: two GFP_ATOMIC objects, one in four kept, freed later. */
static void smt_soak_irq_round(u32 *rnd, struct smt_soak_obj **keep)
{
	int i;

	for (i = 0; i < 2; i++) {
		struct smt_soak_obj *o = smt_soak_alloc(rnd, GFP_ATOMIC);
		u32 r = smt_soak_rand(rnd);
		struct smt_soak_obj **slot = &keep[r % SMT_SOAK_IRQ_KEEP];

		if (!o)
			continue;
		if (r & (BIT(8) | BIT(9))) {
			smt_soak_send(o, r >> 10);
			continue;
		}
		if (*slot)
			smt_soak_free(*slot);
		*slot = o;
	}
}

static enum hrtimer_restart smt_soak_hard(struct hrtimer *t)
{
	struct smt_soak_cpu *pc = container_of(t, struct smt_soak_cpu, hard);

	smt_soak_irq_round(&pc->hard_rnd, pc->hard_keep);
	if (READ_ONCE(smt_soak.stop))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(SMT_SOAK_HARD_NS));
	return HRTIMER_RESTART;
}

static enum hrtimer_restart smt_soak_soft(struct hrtimer *t)
{
	struct smt_soak_cpu *pc = container_of(t, struct smt_soak_cpu, soft);

	smt_soak_irq_round(&pc->soft_rnd, pc->soft_keep);
	/* Remote frees from softirq context, on whatever CPU this runs. */
	if (!(smt_soak_rand(&pc->soft_rnd) % 4))
		smt_soak_drain_inbox(smp_processor_id(), 8);
	if (READ_ONCE(smt_soak.stop))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(SMT_SOAK_SOFT_NS));
	return HRTIMER_RESTART;
}

/* Arm both timers on the CPU the caller runs on. */
static void smt_soak_start_timers(struct smt_soak_cpu *pc)
{
	hrtimer_start(&pc->hard, ns_to_ktime(SMT_SOAK_HARD_NS),
		      HRTIMER_MODE_REL_PINNED_HARD);
	hrtimer_start(&pc->soft, ns_to_ktime(SMT_SOAK_SOFT_NS),
		      HRTIMER_MODE_REL_PINNED_SOFT);
}

/*
 * Back to its CPU once that is online again: the kthread, and its timers,
 * which the CPU's going down moved elsewhere.
 */
static void smt_soak_repin(struct smt_soak_cpu *pc)
{
	if (raw_smp_processor_id() == pc->cpu || !cpu_active(pc->cpu))
		return;
	if (set_cpus_allowed_ptr(current, cpumask_of(pc->cpu)))
		return;
	hrtimer_cancel(&pc->hard);
	hrtimer_cancel(&pc->soft);
	smt_soak_start_timers(pc);
	atomic_long_inc(&smt_soak.repins);
}

static void smt_soak_task_round(struct smt_soak_cpu *pc,
				struct smt_soak_obj **keep)
{
	unsigned int i;

	for (i = 0; i < 64; i++) {
		u32 r = smt_soak_rand(&pc->rnd);
		struct smt_soak_obj **slot = &keep[r % SMT_SOAK_KEEP];
		struct smt_soak_obj *o = *slot;

		/* Not r's low bits: they chose the slot. */
		if (o && (r & BIT(7))) {	/* grow or shrink it */
			u32 size = smt_soak_size(r >> 8, true);
			u32 kept = min(o->size, size);
			struct smt_soak_obj *n;

			if (!smt_soak_intact(o))
				atomic_long_inc(&smt_soak.corrupt);
			n = srealloc(o, sizeof(*o) + size, GFP_KERNEL);
			if (!n) {
				atomic_long_inc(&smt_soak.fails);
				continue;
			}
			/* The header and the first @kept bytes moved along. */
			n->size = kept;
			if (!smt_soak_intact(n))
				atomic_long_inc(&smt_soak.corrupt);
			n->size = size;
			smt_soak_fill(n, kept);
			*slot = n;
			atomic_long_inc(&smt_soak.reallocs);
			continue;
		}
		if (o) {
			smt_soak_free(o);
			*slot = NULL;
			continue;
		}
		o = smt_soak_alloc(&pc->rnd, GFP_KERNEL);
		if (!o)
			continue;
		if (r & BIT(6))
			*slot = o;
		else
			smt_soak_send(o, r >> 8);
	}
}

static int smt_soak_worker(void *arg)
{
	struct smt_soak_cpu *pc = arg;
	struct smt_soak_obj *keep[SMT_SOAK_KEEP] = { };
	unsigned int i;

	hrtimer_init(&pc->hard, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
	pc->hard.function = smt_soak_hard;
	hrtimer_init(&pc->soft, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_SOFT);
	pc->soft.function = smt_soak_soft;
	smt_soak_start_timers(pc);

	while (!READ_ONCE(smt_soak.stop)) {
		smt_soak_repin(pc);
		smt_soak_drain_inbox(pc->cpu, 256);
		smt_soak_task_round(pc, keep);
		if (atomic_long_read(&smt_soak.live) >= smt_soak.max_live) {
			atomic_long_inc(&smt_soak.throttled);
			usleep_range(500, 1000);
		}
		cond_resched();
	}
	hrtimer_cancel(&pc->hard);
	hrtimer_cancel(&pc->soft);
	for (i = 0; i < SMT_SOAK_KEEP; i++)
		if (keep[i])
			smt_soak_free(keep[i]);
	for (i = 0; i < SMT_SOAK_IRQ_KEEP; i++) {
		if (pc->hard_keep[i])
			smt_soak_free(pc->hard_keep[i]);
		if (pc->soft_keep[i])
			smt_soak_free(pc->soft_keep[i]);
	}
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

static int smt_soak_start(void)
{
	unsigned int cpu;

	smt_soak.inbox = kcalloc(nr_cpu_ids, sizeof(*smt_soak.inbox), GFP_KERNEL);
	smt_soak.pc = kcalloc(nr_cpu_ids, sizeof(*smt_soak.pc), GFP_KERNEL);
	if (!smt_soak.inbox || !smt_soak.pc) {
		kfree(smt_soak.inbox);
		kfree(smt_soak.pc);
		return smt_fail(-ENOMEM, "soak: no memory for the per-CPU state");
	}
	/* Every inbox is ready before the first worker can send to it. */
	for_each_possible_cpu(cpu)
		init_llist_head(&smt_soak.inbox[cpu]);
	smt_soak.start = ktime_get();

	cpus_read_lock();
	smt_soak.max_live = (long)SMT_SOAK_LIVE_PER_CPU * num_online_cpus();
	for_each_online_cpu(cpu) {
		struct smt_soak_cpu *pc = &smt_soak.pc[cpu];
		struct task_struct *t;

		pc->cpu = cpu;
		pc->rnd = get_random_u32() | 1;
		pc->hard_rnd = get_random_u32() | 1;
		pc->soft_rnd = get_random_u32() | 1;
		t = kthread_create(smt_soak_worker, pc, "smalloc_soak/%u", cpu);
		if (IS_ERR(t))
			continue;
		kthread_bind(t, cpu);
		pc->task = t;
		wake_up_process(t);
		smt_soak.nr_workers++;
	}
	cpus_read_unlock();

	if (!smt_soak.nr_workers) {
		kfree(smt_soak.inbox);
		kfree(smt_soak.pc);
		return smt_fail(-ENOMEM, "soak: no kthread could be started");
	}
	pr_info("soak: started on %u CPUs\n", smt_soak.nr_workers);
	return 0;
}

static void smt_soak_stop(void)
{
	long allocs, frees, fails, corrupt;
	unsigned int cpu;
	bool ok;

	WRITE_ONCE(smt_soak.stop, true);
	for_each_possible_cpu(cpu)
		if (smt_soak.pc[cpu].task)
			kthread_stop(smt_soak.pc[cpu].task);
	/* The timers are cancelled: free what is still on its way. */
	for_each_possible_cpu(cpu) {
		while (!llist_empty(&smt_soak.inbox[cpu])) {
			smt_soak_drain_inbox(cpu, 256);
			cond_resched();
		}
	}

	allocs = atomic_long_read(&smt_soak.allocs) +
		 atomic_long_read(&smt_soak.irq_allocs);
	frees = atomic_long_read(&smt_soak.frees) +
		atomic_long_read(&smt_soak.irq_frees);
	fails = atomic_long_read(&smt_soak.fails);
	corrupt = atomic_long_read(&smt_soak.corrupt);
	ok = allocs > 0 && allocs == frees && !fails && !corrupt;
	pr_info("soak %s: %lld ms, %u CPUs: %ld allocations (%ld in irq context), %ld frees (%ld in irq context), %ld sent to other CPUs, %ld sreallocs, %ld moves back after hotplug, %ld pauses at %ld live objects, %ld failures, %ld corrupted\n",
		ok ? "PASS" : "FAIL", ktime_ms_delta(ktime_get(), smt_soak.start),
		smt_soak.nr_workers, allocs,
		atomic_long_read(&smt_soak.irq_allocs), frees,
		atomic_long_read(&smt_soak.irq_frees),
		atomic_long_read(&smt_soak.remote),
		atomic_long_read(&smt_soak.reallocs),
		atomic_long_read(&smt_soak.repins),
		atomic_long_read(&smt_soak.throttled), smt_soak.max_live,
		fails, corrupt);
	kfree(smt_soak.inbox);
	kfree(smt_soak.pc);
}

/* ---------------------------------------------------------------- */
/* The tracepoint workload                                           */
/* ---------------------------------------------------------------- */

#define SMT_TRACE_BULK	100

struct smt_rcu_obj {
	struct rcu_head rcu;
	char data[48];
};

/*
 * Not __init: the events' call sites must still name this function when
 * the trace is read after the module's init text is gone.
 */
static noinline int smt_trace_workload(unsigned int n)
{
	void *bulk[SMT_TRACE_BULK];
	struct smt_rcu_obj *r;
	void **objs;
	unsigned int i;
	void *acct;
	int ret = 0;

	objs = kcalloc(n, sizeof(*objs), GFP_KERNEL);
	if (!objs)
		return smt_fail(-ENOMEM, "trace: no array for %u objects", n);
	for (i = 0; i < n; i++)
		objs[i] = smalloc(64, GFP_KERNEL);
	for (i = 0; i < n; i++)
		if (!objs[i])
			ret = smt_fail(-ENOMEM, "trace: object %u", i);
	for (i = 0; i < n; i++)
		sfree(objs[i]);
	kfree(objs);
	if (ret)
		return ret;
	for (i = 0; i < n / 2; i++) {
		r = smalloc(sizeof(*r), GFP_KERNEL);
		if (!r)
			return smt_fail(-ENOMEM, "trace: sfree_rcu object %u", i);
		sfree_rcu(r, rcu);
	}
	if (smalloc_bulk(128, GFP_KERNEL, SMT_TRACE_BULK, bulk) != SMT_TRACE_BULK)
		return smt_fail(-ENOMEM, "trace: smalloc_bulk() failed");
	sfree_bulk(SMT_TRACE_BULK, bulk);
	acct = smalloc(100, GFP_KERNEL | __GFP_ACCOUNT);
	if (!acct)
		return smt_fail(-ENOMEM, "trace: __GFP_ACCOUNT object");
	sfree(acct);
	sfree(NULL);
	smalloc_rcu_barrier();
	pr_info("trace workload: %u smalloc()+sfree(), %u sfree_rcu(), one bulk of %u, one __GFP_ACCOUNT object, sfree(NULL)\n",
		n, n / 2, SMT_TRACE_BULK);
	return 0;
}

/* ---------------------------------------------------------------- */
/* NUMA placement                                                    */
/* ---------------------------------------------------------------- */

#define SMT_NUMA_PER	64	/* objects per node and size */

static const size_t smt_numa_sizes[] = { 16, 64, 256, 1000, 4096, 8192 };

struct smt_numa {
	void **objs;
	unsigned int nr;
	unsigned int misplaced;
};

/* Allocate SMT_NUMA_PER objects of each size on every node from here. */
static long smt_numa_alloc(void *arg)
{
	struct smt_numa *a = arg;
	unsigned int k, i;
	int node;

	for_each_online_node(node) {
		for (k = 0; k < ARRAY_SIZE(smt_numa_sizes); k++) {
			for (i = 0; i < SMT_NUMA_PER; i++) {
				void *p = smalloc_node(smt_numa_sizes[k],
						       GFP_KERNEL, node);

				if (!p)
					return -ENOMEM;
				memset(p, 0xa5, smt_numa_sizes[k]);
				if (page_to_nid(virt_to_page(p)) != node)
					a->misplaced++;
				a->objs[a->nr++] = p;
			}
		}
	}
	return 0;
}

static long smt_numa_free(void *arg)
{
	struct smt_numa *a = arg;
	unsigned int i;

	for (i = 0; i < a->nr; i++)
		sfree(a->objs[i]);
	a->nr = 0;
	return 0;
}

/*
 * smalloc_node() for every online node, from the first CPU of each node:
 * every block must be on the node asked for (page_to_nid()); the blocks
 * are freed on the first CPU of another node, so they go home remotely.
 * The guest checks that nothing is left once smalloc is drained.
 */
static int smt_numa(unsigned int *nr_nodes)
{
	unsigned int total = 0, nodes = num_online_nodes();
	struct smt_numa a = { };
	int node, ret = 0;

	*nr_nodes = nodes;
	a.objs = kvcalloc(nodes * ARRAY_SIZE(smt_numa_sizes) * SMT_NUMA_PER,
			  sizeof(*a.objs), GFP_KERNEL);
	if (!a.objs)
		return smt_fail(-ENOMEM, "no memory for the NUMA table");
	cpus_read_lock();
	for_each_online_node(node) {
		unsigned int cpu = cpumask_first_and(cpumask_of_node(node),
						     cpu_online_mask), other;

		if (cpu >= nr_cpu_ids)
			continue;	/* a node without CPUs */
		for_each_online_cpu(other)
			if (cpu_to_node(other) != node)
				break;
		if (other >= nr_cpu_ids)
			other = cpu;
		ret = work_on_cpu(cpu, smt_numa_alloc, &a);
		total += a.nr;
		work_on_cpu(other, smt_numa_free, &a);
		if (ret) {
			ret = smt_fail(ret, "numa: smalloc_node() failed on CPU %u", cpu);
			break;
		}
	}
	cpus_read_unlock();
	kvfree(a.objs);
	if (!ret && a.misplaced)
		ret = smt_fail(-EINVAL, "numa: %u of %u blocks not on the node asked for",
			       a.misplaced, total);
	if (!ret)
		pr_info("numa: %u nodes, %u blocks, every one on the node asked for\n",
			nodes, total);
	return ret;
}

/* ---------------------------------------------------------------- */
/* Module life                                                       */
/* ---------------------------------------------------------------- */

static int __init smt_init(void)
{
	unsigned int i, nr_cpus = 0, nr_nodes = 0;
	ktime_t start = ktime_get();
	int ret;

	if (soak)
		return smt_soak_start();
	if (trace_objs)
		return smt_trace_workload(trace_objs);
	if (!nr_objs || !nr_xcpu_objs)
		return smt_fail(-EINVAL, "nr_objs and nr_xcpu_objs must not be 0");

	for (i = 0; i < ARRAY_SIZE(smt_sizes); i++) {
		ret = smt_one_size(smt_sizes[i], nr_objs);
		if (ret)
			return ret;
	}
	ret = smt_zeroing();
	if (ret)
		return ret;
	ret = smt_realloc();
	if (ret)
		return ret;
	ret = smt_edge_cases();
	if (ret)
		return ret;
	ret = smt_cross_cpu(&nr_cpus);
	if (ret)
		return ret;
	ret = smt_numa(&nr_nodes);
	if (ret)
		return ret;

	pr_info("PASS %zu sizes x %u objects, zeroing, srealloc, edge cases, cross-CPU on %u CPUs x %u objects, NUMA on %u nodes, %lld ms\n",
		ARRAY_SIZE(smt_sizes), nr_objs, nr_cpus, nr_xcpu_objs, nr_nodes,
		ktime_ms_delta(ktime_get(), start));

	/* Deliberately lost: smalloc's unload must report and return them. */
	for (i = 0; i < leak; i++)
		if (!smalloc(i % 2 ? 48 : 20000, GFP_KERNEL))
			return smt_fail(-ENOMEM, "leak allocation %u failed", i);
	if (leak)
		pr_info("left %u objects allocated on purpose\n", leak);
	return 0;
}

static void __exit smt_exit(void)
{
	if (soak)
		smt_soak_stop();
	pr_info("unloaded\n");
}

module_init(smt_init);
module_exit(smt_exit);

MODULE_DESCRIPTION("Module-mode workload and checks for the smalloc allocator");
MODULE_LICENSE("GPL");
