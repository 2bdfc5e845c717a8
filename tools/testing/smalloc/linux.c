// SPDX-License-Identifier: GPL-2.0-only
/*
 * The user-space kernel under smalloc: what smalloc_kernel.h (the
 * harness's) declares.  See the top of that header for the model.
 *
 *   printing, WARN, randomness
 *   CPUs: the per-thread context, the per-CPU locks of the checked model,
 *         migration, hotplug
 *   per-CPU areas
 *   the page allocator: an mmap'd arena, a struct page side table, a
 *         buddy allocator, failures on demand
 *   kmalloc and kmem_cache
 *   time and work items: the clock, delayed work, the kworker,
 *         work_on_cpu()
 *   tasks, kthreads, hrtimers
 *   shrinkers, debugfs and seq_file
 *   set-up
 */
#include <execinfo.h>
#include <sched.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/sched.h>
#include <linux/hrtimer.h>
#ifdef HARNESS_ASAN
#include <sanitizer/asan_interface.h>
#define harness_poison(p, n)	ASAN_POISON_MEMORY_REGION(p, n)
#define harness_unpoison(p, n)	ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define harness_poison(p, n)	do { (void)(p); (void)(n); } while (0)
#define harness_unpoison(p, n)	do { (void)(p); (void)(n); } while (0)
#endif

/* ---------------------------------------------------------------- */
/* Printing, WARN, randomness                                        */
/* ---------------------------------------------------------------- */

int harness_quiet;
long harness_warnings;

void harness_printk(const char *level, const char *fmt, ...)
{
	va_list ap;

	if (READ_ONCE(harness_quiet))
		return;
	va_start(ap, fmt);
	if (*level)
		fprintf(stderr, "[%s] ", level);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void harness_warn(const char *file, int line, const char *cond)
{
	void *trace[32];
	int n;

	__atomic_fetch_add(&harness_warnings, 1, __ATOMIC_RELAXED);
	fprintf(stderr, "WARNING: %s:%d: %s (cpu %u ctx %u)\n", file, line,
		cond, harness_cpu, harness_ctx);
	n = backtrace(trace, ARRAY_SIZE(trace));
	backtrace_symbols_fd(trace, n, 2);
}

void dump_stack(void)
{
	harness_printk("INFO", "(dump_stack: the harness prints no trace)\n");
}

static __thread u64 harness_rnd;
static u64 harness_rnd_seq = 0x9e3779b97f4a7c15ULL;

void harness_random_seed(u64 seed)
{
	harness_rnd = seed | 1;
}

u64 harness_random(void)
{
	u64 x = harness_rnd;

	if (unlikely(!x))
		x = __atomic_add_fetch(&harness_rnd_seq, 0x9e3779b97f4a7c15ULL,
				       __ATOMIC_RELAXED) | 1;
	/* xorshift64* */
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	harness_rnd = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* ---------------------------------------------------------------- */
/* CPUs and contexts                                                 */
/* ---------------------------------------------------------------- */

unsigned int nr_cpu_ids = 1;
struct cpumask __cpu_possible_mask, __cpu_online_mask;
static struct cpumask harness_cpu_masks[NR_CPUS];

__thread unsigned int harness_cpu;
__thread unsigned long harness_cpu_off;

/* Put the current thread on @cpu: harness_cpu and this_cpu_ptr()'s offset. */
void harness_move_to_cpu(unsigned int cpu)
{
	harness_cpu = cpu;
	harness_cpu_off = (unsigned long)cpu << HARNESS_PCPU_UNIT_SHIFT;
}
__thread unsigned char harness_ctx;
__thread int harness_preempt_count;

/* Checked model: per-thread state beyond the three above. */
static __thread int harness_pinned;
static __thread int harness_irq_count;
#ifndef HARNESS_FAST
static __thread int harness_bh_count;
static __thread unsigned int harness_held_cpu;
#endif
static __thread unsigned int harness_held;	/* bit n: this CPU's lock n */
static __thread unsigned char harness_saved_ctx[4];
static __thread int harness_ctx_depth;

/* One lock per CPU and level: task, softirq, hardirq. */
static pthread_mutex_t harness_cpu_lock[NR_CPUS][3];

const struct cpumask *cpumask_of(unsigned int cpu)
{
	return &harness_cpu_masks[cpu];
}

unsigned int num_online_cpus(void)
{
	unsigned int cpu, n = 0;

	for_each_online_cpu(cpu)
		n++;
	return n;
}

unsigned int cpumask_weight(const struct cpumask *mask)
{
	unsigned int cpu, n = 0;

	for_each_possible_cpu(cpu)
		n += test_bit(cpu, mask->bits);
	return n;
}

/* The @n-th CPU of @mask (from 0), or nr_cpu_ids. */
unsigned int cpumask_nth(unsigned int n, const struct cpumask *mask)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		if (test_bit(cpu, mask->bits) && n-- == 0)
			return cpu;
	return nr_cpu_ids;
}

unsigned int cpumask_first(const struct cpumask *mask)
{
	return cpumask_nth(0, mask);
}

unsigned int cpumask_last(const struct cpumask *mask)
{
	unsigned int cpu, last = nr_cpu_ids;

	for_each_possible_cpu(cpu)
		if (test_bit(cpu, mask->bits))
			last = cpu;
	return last;
}

/* The first CPU of @mask after @n, or nr_cpu_ids. */
unsigned int cpumask_next(int n, const struct cpumask *mask)
{
	unsigned int cpu;

	for (cpu = n + 1; cpu < nr_cpu_ids; cpu++)
		if (test_bit(cpu, mask->bits))
			return cpu;
	return nr_cpu_ids;
}

static unsigned int harness_pick_online_cpu(void)
{
	unsigned int n = num_online_cpus(), k, cpu;

	k = (unsigned int)(harness_random() % n);
	for_each_online_cpu(cpu)
		if (k-- == 0)
			return cpu;
	return 0;
}

void harness_set_cpu(int cpu)
{
	if (WARN_ON(harness_preempt_count || harness_held))
		return;
	if (cpu < 0) {
		harness_pinned = 0;
		return;
	}
	harness_move_to_cpu(cpu);
	harness_pinned = 1;
}

bool harness_irqs_disabled(void)
{
	return harness_irq_count > 0 || harness_ctx == HARNESS_CTX_HARDIRQ;
}

#ifndef HARNESS_FAST
/* The locks the thread must hold now, as a mask of levels. */
static unsigned int harness_required(void)
{
	unsigned int m = 0;

	switch (harness_ctx) {
	case HARNESS_CTX_TASK:
		if (harness_preempt_count || harness_bh_count ||
		    harness_irq_count)
			m |= 1;
		if (harness_bh_count || harness_irq_count)
			m |= 2;
		if (harness_irq_count)
			m |= 4;
		break;
	case HARNESS_CTX_SOFTIRQ:
		m = 2;
		if (harness_irq_count)
			m |= 4;
		break;
	case HARNESS_CTX_HARDIRQ:
		m = 4;
		break;
	default:
		break;
	}
	return m;
}

/*
 * Take and drop CPU locks to match what the thread has disabled.  Locks
 * are taken in level order and the sets only grow upwards, so there is
 * no deadlock.  Taking the task lock is where a task "gets" its CPU: an
 * unpinned thread whose CPU went offline moves first.
 */
static void harness_sync_locks(void)
{
	unsigned int want = harness_required(), lvl;

	if (want && !harness_held) {
		for (;;) {
			if (!cpu_online(harness_cpu))
				harness_move_to_cpu(harness_pick_online_cpu());
			harness_held_cpu = harness_cpu;
			lvl = __builtin_ctz(want);
			pthread_mutex_lock(&harness_cpu_lock[harness_cpu][lvl]);
			harness_held |= 1U << lvl;
			if (cpu_online(harness_cpu) ||
			    harness_ctx != HARNESS_CTX_TASK)
				break;
			pthread_mutex_unlock(&harness_cpu_lock[harness_cpu][lvl]);
			harness_held = 0;
		}
	}
	for (lvl = 0; lvl < 3; lvl++) {
		if ((want & (1U << lvl)) && !(harness_held & (1U << lvl))) {
			pthread_mutex_lock(&harness_cpu_lock[harness_held_cpu][lvl]);
			harness_held |= 1U << lvl;
		}
	}
	for (lvl = 3; lvl-- > 0;) {
		if (!(want & (1U << lvl)) && (harness_held & (1U << lvl))) {
			pthread_mutex_unlock(&harness_cpu_lock[harness_held_cpu][lvl]);
			harness_held &= ~(1U << lvl);
		}
	}
}

/* The lower levels' locks smalloc_lower_levels_get() took. */
static __thread unsigned int harness_lower_held;

bool smalloc_lower_levels_get(void)
{
	unsigned int lvl, top = min_t(unsigned int, harness_ctx, 3);

	if (harness_preempt_count != 1 || harness_lower_held)
		return false;
	for (lvl = 0; lvl < top; lvl++) {
		if (pthread_mutex_trylock(&harness_cpu_lock[harness_cpu][lvl]))
			break;
		harness_lower_held |= 1U << lvl;
	}
	if (lvl == top)
		return true;
	smalloc_lower_levels_put();
	return false;
}

void smalloc_lower_levels_put(void)
{
	unsigned int lvl;

	for (lvl = 3; lvl-- > 0;)
		if (harness_lower_held & (1U << lvl))
			pthread_mutex_unlock(&harness_cpu_lock[harness_cpu][lvl]);
	harness_lower_held = 0;
}

/* A preemptible, unpinned task may move when it lets go of its CPU. */
static void harness_maybe_migrate(void)
{
	if (harness_pinned || harness_ctx != HARNESS_CTX_TASK || harness_held)
		return;
	if ((harness_random() & 15) == 0 || !cpu_online(harness_cpu))
		harness_move_to_cpu(harness_pick_online_cpu());
}

void harness_preempt_disable(void)
{
	harness_preempt_count++;
	harness_sync_locks();
}

void harness_preempt_enable(void)
{
	if (WARN_ON(harness_preempt_count <= 0))
		return;
	harness_preempt_count--;
	harness_sync_locks();
	harness_maybe_migrate();
}

unsigned long harness_irq_save(void)
{
	harness_irq_count++;
	harness_sync_locks();
	return 0;
}

void harness_irq_restore(unsigned long flags)
{
	if (WARN_ON(harness_irq_count <= 0))
		return;
	harness_irq_count--;
	harness_sync_locks();
	harness_maybe_migrate();
}

void harness_bh_disable(void)
{
	harness_bh_count++;
	harness_sync_locks();
}

void harness_bh_enable(void)
{
	if (WARN_ON(harness_bh_count <= 0))
		return;
	harness_bh_count--;
	harness_sync_locks();
	harness_maybe_migrate();
}

/* CONFIG_DEBUG_ATOMIC_SLEEP */
void harness_might_sleep(const char *file, int line)
{
	if (harness_ctx != HARNESS_CTX_TASK || harness_preempt_count ||
	    harness_bh_count || harness_irq_count)
		WARN(1, "BUG: sleeping function called from invalid context at %s:%d (ctx %u preempt %d bh %d irq %d)\n",
		     file, line, harness_ctx, harness_preempt_count,
		     harness_bh_count, harness_irq_count);
}

void cond_resched(void)
{
	might_sleep();
	harness_maybe_migrate();
	sched_yield();
}
#else
void cond_resched(void)
{
}
#endif

void harness_enter_ctx(enum harness_ctx ctx)
{
	harness_saved_ctx[harness_ctx_depth++] = harness_ctx;
	harness_ctx = ctx;
#ifndef HARNESS_FAST
	harness_sync_locks();
#endif
}

/* Queued irq_works (smalloc has one); run when an NMI returns. */
#define HARNESS_IRQ_WORKS	4
static struct irq_work *harness_irq_works[HARNESS_IRQ_WORKS];

bool irq_work_queue(struct irq_work *work)
{
	unsigned int i;

	if (__atomic_exchange_n(&work->pending, 1, __ATOMIC_SEQ_CST))
		return false;
	for (i = 0; i < HARNESS_IRQ_WORKS; i++) {
		struct irq_work *none = NULL;

		if (__atomic_compare_exchange_n(&harness_irq_works[i], &none,
						work, false, __ATOMIC_SEQ_CST,
						__ATOMIC_RELAXED))
			return true;
	}
	WARN(1, "irq_work_queue: harness table full\n");
	abort();
}

/* Run the queued irq_works in hardirq context on this CPU. */
static void harness_run_irq_works(void)
{
	unsigned int i;

	for (i = 0; i < HARNESS_IRQ_WORKS; i++) {
		struct irq_work *work = __atomic_exchange_n(&harness_irq_works[i],
							    NULL,
							    __ATOMIC_SEQ_CST);

		if (!work)
			continue;
		__atomic_store_n(&work->pending, 0, __ATOMIC_SEQ_CST);
		harness_enter_ctx(HARNESS_CTX_HARDIRQ);
		work->func(work);
		harness_exit_ctx();
	}
}

struct harness_rcu_cb {
	struct harness_rcu_cb *next;
	struct rcu_head *head;
	rcu_callback_t func;
	void *kptr;		/* kvfree_call_rcu(): kfree() this */
};

static struct harness_rcu_cb *harness_rcu_list;
static unsigned long harness_rcu_count;
static pthread_mutex_t harness_rcu_lock = PTHREAD_MUTEX_INITIALIZER;

static void harness_rcu_queue(struct rcu_head *head, rcu_callback_t func,
			      void *kptr)
{
	struct harness_rcu_cb *cb = malloc(sizeof(*cb));

	if (!cb)
		abort();
	cb->head = head;
	cb->func = func;
	cb->kptr = kptr;
	pthread_mutex_lock(&harness_rcu_lock);
	cb->next = harness_rcu_list;
	harness_rcu_list = cb;
	harness_rcu_count++;
	pthread_mutex_unlock(&harness_rcu_lock);
}

void call_rcu(struct rcu_head *head, rcu_callback_t func)
{
	harness_rcu_queue(head, func, NULL);
}

void harness_kvfree_call_rcu(struct rcu_head *head, void *ptr)
{
	harness_rcu_queue(head, NULL, ptr);
}

unsigned long harness_rcu_pending(void)
{
	unsigned long n;

	pthread_mutex_lock(&harness_rcu_lock);
	n = harness_rcu_count;
	pthread_mutex_unlock(&harness_rcu_lock);
	return n;
}

/* The grace period ends: run every callback queued so far, oldest first. */
void rcu_barrier(void)
{
	for (;;) {
		struct harness_rcu_cb *cb, *rev = NULL;

		might_sleep();
		pthread_mutex_lock(&harness_rcu_lock);
		cb = harness_rcu_list;
		harness_rcu_list = NULL;
		pthread_mutex_unlock(&harness_rcu_lock);
		if (!cb)
			return;
		while (cb) {
			struct harness_rcu_cb *next = cb->next;

			cb->next = rev;
			rev = cb;
			cb = next;
		}
		while (rev) {
			struct harness_rcu_cb *next = rev->next;

			harness_enter_ctx(HARNESS_CTX_SOFTIRQ);
			if (rev->func)
				rev->func(rev->head);
			else
				kfree(rev->kptr);
			harness_exit_ctx();
			pthread_mutex_lock(&harness_rcu_lock);
			harness_rcu_count--;
			pthread_mutex_unlock(&harness_rcu_lock);
			free(rev);
			rev = next;
		}
	}
}

void synchronize_rcu(void)
{
	rcu_barrier();
}

void irq_work_sync(struct irq_work *work)
{
	if (__atomic_load_n(&work->pending, __ATOMIC_SEQ_CST))
		harness_run_irq_works();
}

void harness_exit_ctx(void)
{
	bool from_nmi = harness_ctx == HARNESS_CTX_NMI;

	harness_ctx = harness_saved_ctx[--harness_ctx_depth];
#ifndef HARNESS_FAST
	harness_sync_locks();
#endif
	/* The self-IPI an NMI's irq_work_queue() raised, taken now. */
	if (from_nmi && harness_ctx == HARNESS_CTX_TASK)
		harness_run_irq_works();
}

/* Hotplug: one dynamic state, enough for smalloc. */
static pthread_rwlock_t harness_hotplug_lock = PTHREAD_RWLOCK_INITIALIZER;
static int (*harness_cpuhp_startup)(unsigned int cpu);
static int (*harness_cpuhp_teardown)(unsigned int cpu);

int cpuhp_setup_state_nocalls(enum cpuhp_state state, const char *name,
			      int (*startup)(unsigned int cpu),
			      int (*teardown)(unsigned int cpu))
{
	/* One dynamic state of each kind: what smalloc uses. */
	if (state == CPUHP_BP_PREPARE_DYN && !startup) {
		if (harness_cpuhp_teardown)
			return -ENOSPC;
		harness_cpuhp_teardown = teardown;
		return CPUHP_BP_PREPARE_DYN + 1;
	}
	if (state == CPUHP_AP_ONLINE_DYN && !teardown) {
		if (harness_cpuhp_startup)
			return -ENOSPC;
		harness_cpuhp_startup = startup;
		return CPUHP_AP_ONLINE_DYN + 1;
	}
	return -EINVAL;
}

void cpuhp_remove_state_nocalls(enum cpuhp_state state)
{
	if (state == CPUHP_BP_PREPARE_DYN + 1)
		harness_cpuhp_teardown = NULL;
	else if (state == CPUHP_AP_ONLINE_DYN + 1)
		harness_cpuhp_startup = NULL;
	else
		WARN(1, "cpuhp_remove_state_nocalls(%d): no such state\n", state);
}

void cpus_read_lock(void)
{
	pthread_rwlock_rdlock(&harness_hotplug_lock);
}

int cpus_read_trylock(void)
{
	return pthread_rwlock_tryrdlock(&harness_hotplug_lock) == 0;
}

void cpus_read_unlock(void)
{
	pthread_rwlock_unlock(&harness_hotplug_lock);
}

static void harness_lock_cpu(unsigned int cpu, bool lock)
{
	int lvl;

	for (lvl = 0; lvl < 3; lvl++) {
		int l = lock ? lvl : 2 - lvl;

		if (lock)
			pthread_mutex_lock(&harness_cpu_lock[cpu][l]);
		else
			pthread_mutex_unlock(&harness_cpu_lock[cpu][l]);
	}
}

/*
 * Take @cpu down: wait out whatever runs there (all its locks), mark it
 * offline, and run the teardown callback as the kernel runs a PREPARE
 * state's, on another CPU once the dead one runs nothing.
 */
int remove_cpu(unsigned int cpu)
{
	int ret = 0;

	might_sleep();
	if (cpu >= nr_cpu_ids)
		return -EINVAL;
	pthread_rwlock_wrlock(&harness_hotplug_lock);
	if (!cpu_online(cpu) || num_online_cpus() == 1) {
		ret = -EBUSY;
		goto out;
	}
	harness_lock_cpu(cpu, true);
	clear_bit(cpu, __cpu_online_mask.bits);
	if (harness_cpuhp_teardown)
		ret = harness_cpuhp_teardown(cpu);
	harness_lock_cpu(cpu, false);
out:
	pthread_rwlock_unlock(&harness_hotplug_lock);
	return ret;
}

int add_cpu(unsigned int cpu)
{
	int ret = 0;

	might_sleep();
	if (cpu >= nr_cpu_ids)
		return -EINVAL;
	pthread_rwlock_wrlock(&harness_hotplug_lock);
	if (!cpu_online(cpu)) {
		set_bit(cpu, __cpu_online_mask.bits);
		if (harness_cpuhp_startup)
			ret = harness_cpuhp_startup(cpu);
	}
	pthread_rwlock_unlock(&harness_hotplug_lock);
	return ret;
}

/* ---------------------------------------------------------------- */
/* Per-CPU areas                                                     */
/* ---------------------------------------------------------------- */

static char *harness_pcpu_base;
static size_t harness_pcpu_used;
static pthread_mutex_t harness_pcpu_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * A stack of areas: freeing the most recent ones gives their space back
 * (smalloc's unload and reload in the fuzzer), and freed space is
 * poisoned on every CPU, so that anything touching per-CPU data after
 * free_percpu() (a timer firing after module exit) is an ASan report.
 */
#define HARNESS_PCPU_AREAS	64
static struct {
	size_t start, size;
	bool live;
} harness_pcpu_area[HARNESS_PCPU_AREAS];
static unsigned int harness_pcpu_nr;

void *harness_alloc_percpu(size_t size, size_t align)
{
	void *p = NULL;

	pthread_mutex_lock(&harness_pcpu_lock);
	harness_pcpu_used = ALIGN(harness_pcpu_used, max_t(size_t, align, 64));
	if (harness_pcpu_used + size <= (1UL << HARNESS_PCPU_UNIT_SHIFT) &&
	    harness_pcpu_nr < HARNESS_PCPU_AREAS) {
		unsigned int cpu;

		p = harness_pcpu_base + harness_pcpu_used;
		harness_pcpu_area[harness_pcpu_nr].start = harness_pcpu_used;
		harness_pcpu_area[harness_pcpu_nr].size = size;
		harness_pcpu_area[harness_pcpu_nr++].live = true;
		harness_pcpu_used += size;
		for_each_possible_cpu(cpu) {
			harness_unpoison(per_cpu_ptr((char *)p, cpu), size);
			memset(per_cpu_ptr((char *)p, cpu), 0, size);
		}
	}
	pthread_mutex_unlock(&harness_pcpu_lock);
	return p;
}

void harness_free_percpu(void *p)
{
	size_t start = (char *)p - harness_pcpu_base;
	unsigned int i, cpu;

	if (!p)
		return;
	pthread_mutex_lock(&harness_pcpu_lock);
	for (i = 0; i < harness_pcpu_nr; i++)
		if (harness_pcpu_area[i].live && harness_pcpu_area[i].start == start)
			break;
	if (WARN(i == harness_pcpu_nr, "free_percpu(%p): not allocated\n", p))
		abort();
	harness_pcpu_area[i].live = false;
	for_each_possible_cpu(cpu)
		harness_poison(per_cpu_ptr((char *)p, cpu), harness_pcpu_area[i].size);
	while (harness_pcpu_nr && !harness_pcpu_area[harness_pcpu_nr - 1].live)
		harness_pcpu_used = harness_pcpu_area[--harness_pcpu_nr].start;
	pthread_mutex_unlock(&harness_pcpu_lock);
}

/* ---------------------------------------------------------------- */
/* The page allocator                                                */
/* ---------------------------------------------------------------- */

__thread bool harness_task_memalloc;
unsigned long harness_page_offset;
struct page *harness_mem_map;
unsigned long harness_nr_pages;
long harness_pages_out;
int harness_fail_page_allocs;
int harness_fail_kmem_allocs;
int harness_fail_kmallocs;

#define PG_buddy	0x1UL		/* free, on a free list; private = order */
#define PG_head		0x2UL		/* head of a compound allocation */
#define PG_alloc	0x4UL		/* handed out */
#define PG_ORDER_SHIFT	8		/* allocated order in flags */

static struct list_head harness_free_area[MAX_PAGE_ORDER + 1];
static pthread_mutex_t harness_zone_lock = PTHREAD_MUTEX_INITIALIZER;

static bool harness_should_fail(int *counter)
{
	int c = __atomic_load_n(counter, __ATOMIC_RELAXED);

	while (c > 0) {
		if (__atomic_compare_exchange_n(counter, &c, c - 1, false,
						__ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			return true;
	}
	return false;
}

static void harness_buddy_add(unsigned long pfn, unsigned int order)
{
	struct page *page = pfn_to_page(pfn);

	page->flags = PG_buddy;
	page->private = order;
	list_add(&page->lru, &harness_free_area[order]);
}

gfp_t harness_last_page_gfp;

int page_to_nid(const struct page *page)
{
	return page_to_pfn((struct page *)page) >= harness_nr_pages / 2;
}

/* A free block of @order or more on node @nid, off its list; its order. */
static struct page *harness_buddy_take(unsigned int order, int nid,
				       unsigned int *op)
{
	struct page *page;
	unsigned int o;

	for (o = order; o <= MAX_PAGE_ORDER; o++) {
		list_for_each_entry(page, &harness_free_area[o], lru) {
			if (page_to_nid(page) != nid)
				continue;
			list_del(&page->lru);
			*op = o;
			return page;
		}
	}
	return NULL;
}

struct page *alloc_pages_node(int nid, gfp_t gfp, unsigned int order)
{
	struct page *page = NULL;
	unsigned int o;
	unsigned long pfn, i;

	if (gfpflags_allow_blocking(gfp))
		might_sleep();
	WRITE_ONCE(harness_last_page_gfp, gfp);
	if (order > MAX_PAGE_ORDER || harness_should_fail(&harness_fail_page_allocs))
		return NULL;

	if (nid == NUMA_NO_NODE)
		nid = numa_mem_id();
	pthread_mutex_lock(&harness_zone_lock);
	page = harness_buddy_take(order, nid, &o);
	if (!page && !(gfp & __GFP_THISNODE))
		page = harness_buddy_take(order, !nid, &o);
	if (!page) {
		pthread_mutex_unlock(&harness_zone_lock);
		return NULL;
	}
	pfn = page_to_pfn(page);
	while (o > order) {		/* split, keeping the lower half */
		o--;
		harness_buddy_add(pfn + (1UL << o), o);
	}

	/* Under the lock: a neighbour's free may look at these flags. */
	page->flags = PG_alloc | ((unsigned long)order << PG_ORDER_SHIFT);
	page->_refcount = 1;
	page->private = 0;
	page->lru.next = page->lru.prev = NULL;
	for (i = 1; i < (1UL << order); i++) {
		struct page *tail = page + i;

		tail->flags = PG_alloc;
		tail->_refcount = 0;
		tail->private = 0;
		tail->lru.prev = NULL;
		tail->compound_head = (gfp & __GFP_COMP) ?
				      (unsigned long)page + 1 : 0;
	}
	if ((gfp & __GFP_COMP) && order)
		page->flags |= PG_head;
	pthread_mutex_unlock(&harness_zone_lock);

	harness_unpoison(page_address(page), PAGE_SIZE << order);
	/* post_alloc_hook(): __GFP_ZERO, or init_on_alloc unless init_on_free */
	if ((gfp & __GFP_ZERO) ||
	    (!want_init_on_free() && want_init_on_alloc(gfp)))
		memset(page_address(page), 0, PAGE_SIZE << order);
	__atomic_fetch_add(&harness_pages_out, 1L << order, __ATOMIC_RELAXED);
	return page;
}

struct page *alloc_pages(gfp_t gfp, unsigned int order)
{
	return alloc_pages_node(NUMA_NO_NODE, gfp, order);
}

/* smalloc's ownership map (smalloc_page.c), checked on every free. */
extern unsigned long *smalloc_pfn_map;
extern unsigned long smalloc_pfn_limit;

void __free_pages(struct page *page, unsigned int order)
{
	unsigned long pfn = page_to_pfn(page), i;

	if (WARN(pfn >= harness_nr_pages || !(page->flags & PG_alloc) ||
		 (page->compound_head & 1) ||
		 (page->flags >> PG_ORDER_SHIFT) != order,
		 "bad page free: pfn %lu flags %#lx order %u\n", pfn,
		 page->flags, order))
		abort();
	/*
	 * Frames going back must be smalloc's no more: in the kernel the next
	 * owner may be a slab page, and a map bit or tag left behind would
	 * make sfree() take its objects for blocks.
	 */
	/* As free_pages_prepare(): the head's last reference, no tail's. */
	for (i = 0; i < (1UL << order); i++)
		if (WARN(page[i]._refcount != !i,
			 "bad page state: frame %lu refcount %d\n", pfn + i,
			 page[i]._refcount))
			abort();
	for (i = 0; i < (1UL << order); i++)
		if (WARN(smalloc_pfn_map && pfn + i < smalloc_pfn_limit &&
			 test_bit(pfn + i, smalloc_pfn_map),
			 "freed frame %lu still in smalloc's map\n", pfn + i) ||
		    WARN(page[i].private & 3,
			 "freed frame %lu still tagged %#lx\n", pfn + i,
			 page[i].private))
			abort();
	if (want_init_on_free())
		memset(page_address(page), 0, PAGE_SIZE << order);
	harness_poison(page_address(page), PAGE_SIZE << order);
	__atomic_fetch_sub(&harness_pages_out, 1L << order, __ATOMIC_RELAXED);

	pthread_mutex_lock(&harness_zone_lock);
	for (i = 0; i < (1UL << order); i++) {
		page[i].flags = 0;
		page[i].compound_head = 0;
		page[i].private = 0;
	}
	while (order < MAX_PAGE_ORDER) {
		unsigned long buddy_pfn = pfn ^ (1UL << order);
		struct page *buddy = pfn_to_page(buddy_pfn);

		if (buddy_pfn >= harness_nr_pages || buddy->flags != PG_buddy ||
		    buddy->private != order)
			break;
		list_del(&buddy->lru);
		buddy->flags = 0;
		buddy->private = 0;
		pfn &= buddy_pfn;
		order++;
	}
	harness_buddy_add(pfn, order);
	pthread_mutex_unlock(&harness_zone_lock);
}

static bool harness_in_arena(const void *p)
{
	return (unsigned long)p - harness_page_offset <
	       harness_nr_pages << PAGE_SHIFT;
}

/* ---------------------------------------------------------------- */
/* kmalloc and kmem_cache                                            */
/* ---------------------------------------------------------------- */

/*
 * Foreign objects: kmalloc() is malloc() plus a registry of every live
 * object, so that smalloc's "is this kmalloc's?" question has an exact
 * answer, and kfree() of anything else is caught.
 */
#define KREG_BUCKETS	4096

struct kreg {
	struct kreg *next;
	const void *p;
	size_t size;
};

static struct kreg *harness_kreg[KREG_BUCKETS];
static long harness_kreg_live;
static pthread_mutex_t harness_kreg_lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned int kreg_hash(const void *p)
{
	return (unsigned int)(((unsigned long)p >> 4) * 0x9e3779b1UL) %
	       KREG_BUCKETS;
}

static struct kreg **kreg_find(const void *p)
{
	struct kreg **e = &harness_kreg[kreg_hash(p)];

	while (*e && (*e)->p != p)
		e = &(*e)->next;
	return e;
}

/* Size of the live kmalloc object at @p, or 0. */
static size_t kreg_size(const void *p)
{
	struct kreg *e;
	size_t size;

	pthread_mutex_lock(&harness_kreg_lock);
	e = *kreg_find(p);
	size = e ? e->size : 0;
	pthread_mutex_unlock(&harness_kreg_lock);
	return size;
}

long harness_kmalloc_live(void)
{
	return __atomic_load_n(&harness_kreg_live, __ATOMIC_RELAXED);
}

void *kmalloc(size_t size, gfp_t gfp)
{
	struct kreg *e;
	void *p;

	might_alloc(gfp);
	if (!size)
		return ZERO_SIZE_PTR;
	if (size > (PAGE_SIZE << MAX_PAGE_ORDER) ||
	    harness_should_fail(&harness_fail_kmallocs))
		return NULL;
	/* As the kernel's: power-of-two sizes up to a page naturally aligned. */
	if (is_power_of_2(size) && size <= PAGE_SIZE && size > 16)
		p = aligned_alloc(size, size);
	else
		p = malloc(size);
	if (p && (gfp & __GFP_ZERO))
		memset(p, 0, size);
	e = malloc(sizeof(*e));
	if (!p || !e) {
		free(p);
		free(e);
		return NULL;
	}
	e->p = p;
	e->size = size;
	pthread_mutex_lock(&harness_kreg_lock);
	e->next = harness_kreg[kreg_hash(p)];
	harness_kreg[kreg_hash(p)] = e;
	harness_kreg_live++;
	pthread_mutex_unlock(&harness_kreg_lock);
	return p;
}

void *kmalloc_node(size_t size, gfp_t gfp, int node)
{
	return kmalloc(size, gfp);
}

void *kzalloc(size_t size, gfp_t gfp)
{
	return kmalloc(size, gfp | __GFP_ZERO);
}

void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (check_mul_overflow(n, size, &bytes))
		return NULL;
	return kzalloc(bytes, gfp);
}

/*
 * 6.12's kfree() of memory that is not slab: free_large_kmalloc() warns
 * once if the folio has order 0, then folio_put().  Modelled for the
 * tests of what a stray kfree() of smalloc memory does (not as a WARN:
 * those tests expect it).
 */
static void harness_free_large_kmalloc(const void *p)
{
	struct page *head = compound_head(virt_to_page(p));
	unsigned int order = (head->flags & PG_head) ?
			     head->flags >> PG_ORDER_SHIFT : 0;

	if (!order)
		pr_warn("free_large_kmalloc: order 0 folio (object pointer %p)\n",
			p);
	page_ref_sub(head, 1);
	if (!page_ref_count(head)) {
		page_ref_add(head, 1);		/* __free_pages() drops it */
		__free_pages(head, order);
	}
}

void kfree(const void *p)
{
	struct kreg **e, *dead;

	if (ZERO_OR_NULL_PTR(p))
		return;
	if ((unsigned long)p - harness_page_offset <
	    harness_nr_pages << PAGE_SHIFT) {
		harness_free_large_kmalloc(p);
		return;
	}
	pthread_mutex_lock(&harness_kreg_lock);
	e = kreg_find(p);
	dead = *e;
	if (dead) {
		*e = dead->next;
		harness_kreg_live--;
	}
	pthread_mutex_unlock(&harness_kreg_lock);
	if (WARN(!dead, "kfree of %p, which kmalloc did not hand out\n", p))
		abort();
	free((void *)p);
	free(dead);
}

void kfree_sensitive(const void *p)
{
	if (ZERO_OR_NULL_PTR(p))
		return;
	memset((void *)p, 0, kreg_size(p));
	kfree(p);
}

size_t ksize(const void *p)
{
	size_t n;

	if (ZERO_OR_NULL_PTR(p))
		return 0;
	n = kreg_size(p);
	if (n > 8192)
		return ALIGN(n, PAGE_SIZE);
	return n <= 8 ? 8 : 1UL << (64 - __builtin_clzl(n - 1));
}

void *krealloc(const void *p, size_t new_size, gfp_t gfp)
{
	size_t old = ZERO_OR_NULL_PTR(p) ? 0 : kreg_size(p);
	void *n;

	if (!new_size) {
		kfree(p);
		return ZERO_SIZE_PTR;
	}
	if (new_size <= old)
		return (void *)p;
	n = kmalloc(new_size, gfp);
	if (!n)
		return NULL;
	if (old)
		memcpy(n, p, old);
	kfree(p);
	return n;
}

void *vcalloc(size_t n, size_t size)
{
	return calloc(n, size);
}

void *vmalloc(size_t size)
{
	return malloc(size);
}

void *vzalloc(size_t size)
{
	return calloc(1, size);
}

void vfree(const void *p)
{
	free((void *)p);
}

bool virt_addr_valid(const void *p)
{
	return harness_in_arena(p) || kreg_size(p);
}

bool folio_test_slab(const struct folio *folio)
{
	size_t size = kreg_size(folio);

	return size && size <= KMALLOC_MAX_CACHE_SIZE;
}

bool folio_test_large(const struct folio *folio)
{
	return kreg_size(folio) > KMALLOC_MAX_CACHE_SIZE;
}

struct kmem_cache {
	const char *name;
	unsigned int size, align;
	long live;			/* atomic */
};

static long harness_kmem_objects;

long harness_kmem_live(void)
{
	return __atomic_load_n(&harness_kmem_objects, __ATOMIC_RELAXED);
}

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
				     unsigned int align, unsigned long flags,
				     void (*ctor)(void *))
{
	struct kmem_cache *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->name = name;
	s->size = size;
	s->align = max_t(unsigned int, align, sizeof(void *));
	return s;
}

void kmem_cache_destroy(struct kmem_cache *s)
{
	if (!s)
		return;
	WARN(s->live, "kmem_cache %s destroyed with %ld objects\n", s->name,
	     s->live);
	free(s);
}

void *kmem_cache_alloc_node(struct kmem_cache *s, gfp_t gfp, int node)
{
	void *p;

	might_alloc(gfp);
	if (harness_should_fail(&harness_fail_kmem_allocs))
		return NULL;
	p = aligned_alloc(s->align, ALIGN((size_t)s->size, (size_t)s->align));
	if (!p)
		return NULL;
	if (gfp & __GFP_ZERO)
		memset(p, 0, s->size);
	__atomic_fetch_add(&s->live, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&harness_kmem_objects, 1, __ATOMIC_RELAXED);
	return p;
}

void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	return kmem_cache_alloc_node(s, gfp, NUMA_NO_NODE);
}

void kmem_cache_free(struct kmem_cache *s, void *p)
{
	if (!p)
		return;
	__atomic_fetch_sub(&s->live, 1, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&harness_kmem_objects, 1, __ATOMIC_RELAXED);
	free(p);
}

bool harness_init_on_alloc, harness_init_on_free;
/* Test hook: run inside kasan_disable_current(), once set. */
void (*harness_kasan_disable_hook)(void);

/* ---------------------------------------------------------------- */
/* Time and work items                                               */
/* ---------------------------------------------------------------- */

bool harness_manual_clock;
bool harness_inline_work;
static unsigned long harness_manual_jiffies;
static u64 harness_start_ns;

static u64 harness_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

unsigned long harness_jiffies(void)
{
	if (harness_manual_clock)
		return READ_ONCE(harness_manual_jiffies);
	return (harness_now_ns() - harness_start_ns) / NSEC_PER_MSEC;
}

static void harness_sleep_ns(u64 ns)
{
	struct timespec ts = { .tv_sec = ns / NSEC_PER_SEC,
			       .tv_nsec = ns % NSEC_PER_SEC };

	nanosleep(&ts, NULL);
}

void msleep(unsigned int ms)
{
	might_sleep();
	if (harness_manual_clock) {
		harness_advance_clock(ms);
		return;
	}
	harness_sleep_ns((u64)ms * NSEC_PER_MSEC);
}

long schedule_timeout_interruptible(long timeout)
{
	msleep(jiffies_to_msecs(timeout));
	return 0;
}

long schedule_timeout_uninterruptible(long timeout)
{
	return schedule_timeout_interruptible(timeout);
}

void usleep_range(unsigned long min, unsigned long max)
{
	might_sleep();
	harness_sleep_ns((u64)min * NSEC_PER_USEC);
}

void udelay(unsigned long us)
{
	u64 end = harness_now_ns() + us * NSEC_PER_USEC;

	while (harness_now_ns() < end)
		;
}

struct workqueue_struct *system_wq;

static LIST_HEAD(harness_timers);
static pthread_mutex_t harness_wq_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t harness_wq_cond = PTHREAD_COND_INITIALIZER;
static bool harness_kworker_on, harness_kworker_stop;
static pthread_t harness_kworker;

/*
 * Pending means on the timer list: both change together, under the lock.
 * The kernel clears PENDING when a work starts running, so a running work
 * may be queued again; so may it be here.
 */
/* Calls that queue or move a work item, for the tests. */
long harness_work_queued;

bool queue_delayed_work_on(int cpu, struct workqueue_struct *wq,
			   struct delayed_work *dw, unsigned long delay)
{
	__atomic_fetch_add(&harness_work_queued, 1, __ATOMIC_RELAXED);
#ifdef HARNESS_FAST
	return !__atomic_exchange_n(&dw->pending, 1, __ATOMIC_SEQ_CST);
#else
	bool queued = false;

	pthread_mutex_lock(&harness_wq_lock);
	if (!dw->pending) {
		__atomic_store_n(&dw->pending, 1, __ATOMIC_SEQ_CST);
		dw->cpu = cpu;
		dw->due = jiffies + delay;
		list_add_tail(&dw->entry, &harness_timers);
		pthread_cond_broadcast(&harness_wq_cond);
		queued = true;
	}
	pthread_mutex_unlock(&harness_wq_lock);
	return queued;
#endif
}

/* Queue, or if pending already, move the due time. */
bool mod_delayed_work_on(int cpu, struct workqueue_struct *wq,
			 struct delayed_work *dw, unsigned long delay)
{
	__atomic_fetch_add(&harness_work_queued, 1, __ATOMIC_RELAXED);
#ifdef HARNESS_FAST
	return __atomic_exchange_n(&dw->pending, 1, __ATOMIC_SEQ_CST);
#else
	bool was;

	pthread_mutex_lock(&harness_wq_lock);
	was = dw->pending;
	if (was)
		list_del_init(&dw->entry);
	__atomic_store_n(&dw->pending, 1, __ATOMIC_SEQ_CST);
	dw->cpu = cpu;
	dw->due = jiffies + delay;
	list_add_tail(&dw->entry, &harness_timers);
	pthread_cond_broadcast(&harness_wq_cond);
	pthread_mutex_unlock(&harness_wq_lock);
	return was;
#endif
}

bool cancel_delayed_work(struct delayed_work *dw)
{
	bool was;

	pthread_mutex_lock(&harness_wq_lock);
	was = dw->pending;
	if (was) {
		list_del_init(&dw->entry);
		__atomic_store_n(&dw->pending, 0, __ATOMIC_SEQ_CST);
	}
	pthread_mutex_unlock(&harness_wq_lock);
	return was;
}

bool cancel_delayed_work_sync(struct delayed_work *dw)
{
	bool was;

	might_sleep();
	was = cancel_delayed_work(dw);
	pthread_mutex_lock(&harness_wq_lock);
	while (dw->running)
		pthread_cond_wait(&harness_wq_cond, &harness_wq_lock);
	pthread_mutex_unlock(&harness_wq_lock);
	return was;
}

/* The first due work, taken off the list and marked running, or NULL. */
static struct delayed_work *harness_take_due(unsigned long now,
					     unsigned long *next,
					     unsigned int *cpu)
{
	struct delayed_work *dw;

	*next = ULONG_MAX;
	list_for_each_entry(dw, &harness_timers, entry) {
		if (!time_after(dw->due, now)) {
			list_del_init(&dw->entry);
			__atomic_store_n(&dw->pending, 0, __ATOMIC_SEQ_CST);
			dw->running = 1;
			*cpu = dw->cpu;
			return dw;
		}
		*next = min(*next, dw->due);
	}
	return NULL;
}

/*
 * Run a work item as a kworker bound to its CPU would: in task context
 * there, or, if that CPU went offline, on another one (as the kernel
 * runs the works of a dead CPU's pool unbound).
 */
static void harness_run_work(struct delayed_work *dw, unsigned int cpu)
{
	unsigned int saved_cpu = harness_cpu;
	int saved_pinned = harness_pinned;

	cpus_read_lock();
	harness_move_to_cpu(cpu_online(cpu) ? cpu : harness_pick_online_cpu());
	harness_pinned = 1;
	dw->work.func(&dw->work);
	harness_move_to_cpu(saved_cpu);
	harness_pinned = saved_pinned;
	cpus_read_unlock();
	pthread_mutex_lock(&harness_wq_lock);
	dw->running = 0;
	pthread_cond_broadcast(&harness_wq_cond);
	pthread_mutex_unlock(&harness_wq_lock);
}

void harness_run_due_work(void)
{
	struct delayed_work *dw;
	unsigned long next;
	unsigned int cpu;

	for (;;) {
		pthread_mutex_lock(&harness_wq_lock);
		dw = harness_take_due(jiffies, &next, &cpu);
		pthread_mutex_unlock(&harness_wq_lock);
		if (!dw)
			return;
		harness_run_work(dw, cpu);
	}
}

/* Work items queued and not yet started: none may outlive module exit. */
unsigned int harness_pending_work(void)
{
	struct delayed_work *dw;
	unsigned int n = 0;

	pthread_mutex_lock(&harness_wq_lock);
	list_for_each_entry(dw, &harness_timers, entry)
		n++;
	pthread_mutex_unlock(&harness_wq_lock);
	return n;
}

void harness_advance_clock(unsigned long ms)
{
	__atomic_fetch_add(&harness_manual_jiffies, ms, __ATOMIC_RELAXED);
	harness_run_due_work();
}

static void *harness_kworker_fn(void *arg)
{
	struct delayed_work *dw;
	unsigned long next;
	unsigned int cpu;

	pthread_mutex_lock(&harness_wq_lock);
	while (!harness_kworker_stop) {
		dw = harness_take_due(jiffies, &next, &cpu);
		if (dw) {
			pthread_mutex_unlock(&harness_wq_lock);
			harness_run_work(dw, cpu);
			pthread_mutex_lock(&harness_wq_lock);
			continue;
		}
		if (next == ULONG_MAX) {
			pthread_cond_wait(&harness_wq_cond, &harness_wq_lock);
		} else {
			struct timespec ts;
			u64 wake;

			clock_gettime(CLOCK_REALTIME, &ts);
			wake = (u64)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec +
			       (next - jiffies + 1) * NSEC_PER_MSEC;
			ts.tv_sec = wake / NSEC_PER_SEC;
			ts.tv_nsec = wake % NSEC_PER_SEC;
			pthread_cond_timedwait(&harness_wq_cond,
					       &harness_wq_lock, &ts);
		}
	}
	pthread_mutex_unlock(&harness_wq_lock);
	return NULL;
}

void harness_start_kworker(void)
{
	if (harness_kworker_on || harness_manual_clock)
		return;
	harness_kworker_stop = false;
	if (!pthread_create(&harness_kworker, NULL, harness_kworker_fn, NULL))
		harness_kworker_on = true;
}

void harness_stop_kworker(void)
{
	if (!harness_kworker_on)
		return;
	pthread_mutex_lock(&harness_wq_lock);
	harness_kworker_stop = true;
	pthread_cond_broadcast(&harness_wq_cond);
	pthread_mutex_unlock(&harness_wq_lock);
	pthread_join(harness_kworker, NULL);
	harness_kworker_on = false;
}

struct harness_work_on {
	unsigned int cpu;
	long (*fn)(void *arg);
	void *arg;
	long ret;
};

static void *harness_work_on_fn(void *arg)
{
	struct harness_work_on *w = arg;

	harness_set_cpu(w->cpu);
	w->ret = w->fn(w->arg);
	return NULL;
}

/* Run @fn on @cpu in task context and wait for it, as a kworker does. */
long work_on_cpu(int cpu, long (*fn)(void *), void *arg)
{
	struct harness_work_on w = { .cpu = cpu, .fn = fn, .arg = arg };
	pthread_t t;

	might_sleep();
	if (harness_inline_work) {
		unsigned int saved_cpu = harness_cpu;
		int saved_pinned = harness_pinned;

		harness_move_to_cpu(cpu);
		harness_pinned = 1;
		w.ret = fn(arg);
		harness_move_to_cpu(saved_cpu);
		harness_pinned = saved_pinned;
		return w.ret;
	}
	if (pthread_create(&t, NULL, harness_work_on_fn, &w))
		abort();
	pthread_join(t, NULL);
	return w.ret;
}

/* ---------------------------------------------------------------- */
/* Tasks, kthreads, hrtimers                                         */
/* ---------------------------------------------------------------- */

static __thread struct task_struct *harness_task;
static __thread struct task_struct harness_plain_task;

struct task_struct *harness_current(void)
{
	return harness_task ?: &harness_plain_task;
}

int set_cpus_allowed_ptr(struct task_struct *p, const struct cpumask *mask)
{
	unsigned int cpu, n = 0, first = 0;

	if (p != current)
		return -EINVAL;
	for_each_possible_cpu(cpu) {
		if (test_bit(cpu, mask->bits)) {
			if (!n++)
				first = cpu;
		}
	}
	if (!n)
		return -EINVAL;
	if (n == 1)
		harness_set_cpu(first);
	else
		harness_set_cpu(-1);
	return 0;
}

static void *harness_kthread_fn(void *arg)
{
	struct task_struct *k = arg;

	harness_task = k;
	pthread_mutex_lock(&k->lock);
	while (!k->woken)
		pthread_cond_wait(&k->cond, &k->lock);
	pthread_mutex_unlock(&k->lock);
	if (k->bind_cpu >= 0)
		harness_set_cpu(k->bind_cpu);
	if (!__atomic_load_n(&k->should_stop, __ATOMIC_ACQUIRE))
		k->ret = k->threadfn(k->data);
	return NULL;
}

struct task_struct *kthread_create(int (*threadfn)(void *data), void *data,
				   const char *namefmt, ...)
{
	struct task_struct *k = calloc(1, sizeof(*k));
	va_list ap;

	if (!k)
		return ERR_PTR(-ENOMEM);
	k->threadfn = threadfn;
	k->data = data;
	k->bind_cpu = -1;
	k->is_kthread = true;
	va_start(ap, namefmt);
	vsnprintf(k->comm, sizeof(k->comm), namefmt, ap);
	va_end(ap);
	pthread_mutex_init(&k->lock, NULL);
	pthread_cond_init(&k->cond, NULL);
	if (pthread_create(&k->thread, NULL, harness_kthread_fn, k)) {
		free(k);
		return ERR_PTR(-ENOMEM);
	}
	return k;
}

void kthread_bind(struct task_struct *k, unsigned int cpu)
{
	k->bind_cpu = cpu;
}

int wake_up_process(struct task_struct *p)
{
	pthread_mutex_lock(&p->lock);
	p->woken = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return 1;
}

bool kthread_should_stop(void)
{
	struct task_struct *k = harness_task;

	return k && __atomic_load_n(&k->should_stop, __ATOMIC_ACQUIRE);
}

int kthread_stop(struct task_struct *k)
{
	int ret;

	__atomic_store_n(&k->should_stop, 1, __ATOMIC_RELEASE);
	wake_up_process(k);
	pthread_join(k->thread, NULL);
	ret = k->ret;
	pthread_mutex_destroy(&k->lock);
	pthread_cond_destroy(&k->cond);
	free(k);
	return ret;
}

void schedule(void)
{
	sched_yield();
}

void hrtimer_init(struct hrtimer *timer, int clock_id, enum hrtimer_mode mode)
{
	memset(timer, 0, sizeof(*timer));
	timer->mode = mode;
}

static void *harness_hrtimer_fn(void *arg)
{
	struct hrtimer *timer = arg;
	enum harness_ctx ctx = (timer->mode & HRTIMER_MODE_SOFT) ?
			       HARNESS_CTX_SOFTIRQ : HARNESS_CTX_HARDIRQ;

	harness_set_cpu(timer->cpu);
	while (!__atomic_load_n(&timer->cancel, __ATOMIC_ACQUIRE)) {
		u64 now = harness_now_ns();
		enum hrtimer_restart r;

		if (now < timer->expires) {
			harness_sleep_ns(timer->expires - now);
			continue;
		}
		harness_enter_ctx(ctx);
		r = timer->function(timer);
		harness_exit_ctx();
		if (r == HRTIMER_NORESTART)
			break;
	}
	return NULL;
}

void hrtimer_start(struct hrtimer *timer, ktime_t tim, enum hrtimer_mode mode)
{
	timer->expires = harness_now_ns() + tim;
	timer->cpu = harness_cpu;
	timer->cancel = 0;
	if (!pthread_create(&timer->thread, NULL, harness_hrtimer_fn, timer))
		timer->active = true;
}

u64 hrtimer_forward_now(struct hrtimer *timer, ktime_t interval)
{
	timer->expires = harness_now_ns() + interval;
	return 1;
}

int hrtimer_cancel(struct hrtimer *timer)
{
	if (!timer->active)
		return 0;
	__atomic_store_n(&timer->cancel, 1, __ATOMIC_RELEASE);
	pthread_join(timer->thread, NULL);
	timer->active = false;
	return 1;
}

/* ---------------------------------------------------------------- */
/* Shrinkers                                                         */
/* ---------------------------------------------------------------- */

static struct shrinker *harness_shrinker;

struct shrinker *smalloc_shrinker_create(const char *name,
		unsigned long (*count)(struct shrinker *, struct shrink_control *),
		unsigned long (*scan)(struct shrinker *, struct shrink_control *))
{
	struct shrinker *s;

	if (harness_shrinker)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->count_objects = count;
	s->scan_objects = scan;
	s->seeks = DEFAULT_SEEKS;
	harness_shrinker = s;
	return s;
}

void smalloc_shrinker_destroy(struct shrinker *s)
{
	if (s && s == harness_shrinker)
		harness_shrinker = NULL;
	free(s);
}

unsigned long harness_shrink(unsigned long nr, unsigned long *count)
{
	struct shrink_control sc = { .gfp_mask = GFP_KERNEL, .nr_to_scan = nr };
	unsigned long c;

	if (!harness_shrinker)
		return SHRINK_STOP;
	c = harness_shrinker->count_objects(harness_shrinker, &sc);
	if (count)
		*count = c;
	if (!c || c == SHRINK_EMPTY)
		return 0;
	return harness_shrinker->scan_objects(harness_shrinker, &sc);
}

/* ---------------------------------------------------------------- */
/* debugfs and seq_file                                              */
/* ---------------------------------------------------------------- */

struct dentry {
	char name[64];
	struct dentry *parent, *next;
	const struct file_operations *fops;
	void *data;
	struct inode inode;
};

static struct dentry *harness_dentries;
static pthread_mutex_t harness_debugfs_lock = PTHREAD_MUTEX_INITIALIZER;

static struct dentry *harness_debugfs_new(const char *name,
					  struct dentry *parent,
					  const struct file_operations *fops,
					  void *data)
{
	struct dentry *d = calloc(1, sizeof(*d));

	if (!d)
		return ERR_PTR(-ENOMEM);
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->parent = IS_ERR_OR_NULL(parent) ? NULL : parent;
	d->fops = fops;
	d->data = data;
	d->inode.i_private = data;
	pthread_mutex_lock(&harness_debugfs_lock);
	d->next = harness_dentries;
	harness_dentries = d;
	pthread_mutex_unlock(&harness_debugfs_lock);
	return d;
}

struct dentry *debugfs_create_dir(const char *name, struct dentry *parent)
{
	return harness_debugfs_new(name, parent, NULL, NULL);
}

struct dentry *debugfs_create_file(const char *name, umode_t mode,
				   struct dentry *parent, void *data,
				   const struct file_operations *fops)
{
	return harness_debugfs_new(name, parent, fops, data);
}

void debugfs_create_u32(const char *name, umode_t mode, struct dentry *parent,
			u32 *value)
{
	harness_debugfs_new(name, parent, NULL, value);
}

void debugfs_create_ulong(const char *name, umode_t mode,
			  struct dentry *parent, unsigned long *value)
{
	harness_debugfs_new(name, parent, NULL, value);
}

void debugfs_create_bool(const char *name, umode_t mode,
			 struct dentry *parent, bool *value)
{
	harness_debugfs_new(name, parent, NULL, value);
}

static bool harness_under(const struct dentry *d, const struct dentry *top)
{
	for (; d; d = d->parent)
		if (d == top)
			return true;
	return false;
}

void debugfs_remove_recursive(struct dentry *top)
{
	struct dentry **pp, *d;

	if (IS_ERR_OR_NULL(top))
		return;
	pthread_mutex_lock(&harness_debugfs_lock);
	/* Children first: they were added after their parent. */
	for (pp = &harness_dentries; *pp;) {
		d = *pp;
		if (d != top && harness_under(d, top)) {
			*pp = d->next;
			free(d);
		} else {
			pp = &d->next;
		}
	}
	for (pp = &harness_dentries; *pp; pp = &(*pp)->next) {
		if (*pp == top) {
			*pp = top->next;
			free(top);
			break;
		}
	}
	pthread_mutex_unlock(&harness_debugfs_lock);
}

static bool harness_path_is(const struct dentry *d, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t len = slash ? (size_t)(slash - path) : 0;
	char parent[256];

	if (strcmp(d->name, slash ? slash + 1 : path))
		return false;
	if (!slash)
		return !d->parent;
	if (!d->parent || len >= sizeof(parent))
		return false;
	memcpy(parent, path, len);
	parent[len] = 0;
	return harness_path_is(d->parent, parent);
}

static struct dentry *harness_debugfs_lookup(const char *path)
{
	struct dentry *d;

	pthread_mutex_lock(&harness_debugfs_lock);
	for (d = harness_dentries; d; d = d->next)
		if (harness_path_is(d, path))
			break;
	pthread_mutex_unlock(&harness_debugfs_lock);
	return d;
}

ssize_t harness_debugfs_read(const char *path, char *buf, size_t size)
{
	struct dentry *d = harness_debugfs_lookup(path);
	struct file file = { };
	loff_t pos = 0;
	ssize_t n, total = 0;

	if (!d || !d->fops || !d->fops->read || !size)
		return -ENOENT;
	file.f_inode = &d->inode;
	if (d->fops->open && d->fops->open(&d->inode, &file))
		return -EIO;
	while ((size_t)total < size - 1) {
		n = d->fops->read(&file, buf + total, size - 1 - total, &pos);
		if (n <= 0)
			break;
		total += n;
	}
	buf[total] = 0;
	if (d->fops->release)
		d->fops->release(&d->inode, &file);
	return total;
}

ssize_t harness_debugfs_write(const char *path, const char *buf, size_t len)
{
	struct dentry *d = harness_debugfs_lookup(path);
	struct file file = { };
	loff_t pos = 0;
	ssize_t n;

	if (!d || !d->fops || !d->fops->write)
		return -ENOENT;
	file.f_inode = &d->inode;
	if (d->fops->open && d->fops->open(&d->inode, &file))
		return -EIO;
	n = d->fops->write(&file, buf, len, &pos);
	if (d->fops->release)
		d->fops->release(&d->inode, &file);
	return n;
}

static void seq_grow(struct seq_file *m, size_t more)
{
	size_t need = m->count + more + 1;
	char *b;

	if (need <= m->size)
		return;
	need = max(need, 2 * m->size + 256);
	b = realloc(m->buf, need);
	if (!b)
		abort();
	m->buf = b;
	m->size = need;
}

void seq_printf(struct seq_file *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	seq_grow(m, n);
	va_start(ap, fmt);
	vsnprintf(m->buf + m->count, n + 1, fmt, ap);
	va_end(ap);
	m->count += n;
}

void seq_write(struct seq_file *m, const void *data, size_t len)
{
	seq_grow(m, len);
	memcpy(m->buf + m->count, data, len);
	m->count += len;
	m->buf[m->count] = 0;
}

void seq_puts(struct seq_file *m, const char *s)
{
	seq_write(m, s, strlen(s));
}

void seq_putc(struct seq_file *m, char c)
{
	seq_write(m, &c, 1);
}

int single_open(struct file *file, int (*show)(struct seq_file *, void *),
		void *data)
{
	struct seq_file *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->show = show;
	m->private = data;
	file->private_data = m;
	return 0;
}

int single_release(struct inode *inode, struct file *file)
{
	struct seq_file *m = file->private_data;

	if (m) {
		free(m->buf);
		free(m);
	}
	file->private_data = NULL;
	return 0;
}

ssize_t seq_read(struct file *file, char __user *buf, size_t size,
		 loff_t *ppos)
{
	struct seq_file *m = file->private_data;
	size_t n;

	if (!m->buf) {
		int err;

		seq_grow(m, 0);
		err = m->show(m, NULL);
		if (err)
			return err;
	}
	if ((size_t)*ppos >= m->count)
		return 0;
	n = min(size, m->count - (size_t)*ppos);
	memcpy(buf, m->buf + *ppos, n);
	*ppos += n;
	return n;
}

loff_t seq_lseek(struct file *file, loff_t offset, int whence)
{
	return offset;
}

loff_t noop_llseek(struct file *file, loff_t offset, int whence)
{
	return file->f_pos;
}

ssize_t simple_read_from_buffer(void __user *to, size_t count, loff_t *ppos,
				const void *from, size_t available)
{
	loff_t pos = *ppos;

	if (pos < 0)
		return -EINVAL;
	if ((size_t)pos >= available || !count)
		return 0;
	if (count > available - pos)
		count = available - pos;
	memcpy(to, (const char *)from + pos, count);
	*ppos = pos + count;
	return count;
}

struct simple_attr {
	int (*get)(void *data, u64 *val);
	int (*set)(void *data, u64 val);
	const char *fmt;
	void *data;
	char text[64];
	size_t len;
};

int simple_attr_open(struct inode *inode, struct file *file,
		     int (*get)(void *, u64 *), int (*set)(void *, u64),
		     const char *fmt)
{
	struct simple_attr *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	a->get = get;
	a->set = set;
	a->fmt = fmt;
	a->data = inode->i_private;
	file->private_data = a;
	return 0;
}

int simple_attr_release(struct inode *inode, struct file *file)
{
	free(file->private_data);
	file->private_data = NULL;
	return 0;
}

ssize_t simple_attr_read(struct file *file, char __user *buf, size_t len,
			 loff_t *ppos)
{
	struct simple_attr *a = file->private_data;

	if (!a->get)
		return -EACCES;
	if (!*ppos) {
		u64 val;
		int err = a->get(a->data, &val);

		if (err)
			return err;
		a->len = snprintf(a->text, sizeof(a->text), a->fmt,
				  (unsigned long long)val);
	}
	return simple_read_from_buffer(buf, len, ppos, a->text, a->len);
}

ssize_t simple_attr_write(struct file *file, const char __user *buf,
			  size_t len, loff_t *ppos)
{
	struct simple_attr *a = file->private_data;
	unsigned long long val;
	char text[32], *end;
	int err;

	if (!a->set)
		return -EACCES;
	if (len >= sizeof(text))
		return -EINVAL;
	memcpy(text, buf, len);
	text[len] = 0;
	errno = 0;
	val = strtoull(text, &end, 0);
	if (errno || end == text)
		return -EINVAL;
	err = a->set(a->data, val);
	return err ? err : (ssize_t)len;
}

loff_t generic_file_llseek(struct file *file, loff_t offset, int whence)
{
	return offset;
}

static int harness_kstrtoul(const char *s, size_t count, unsigned int base,
			    unsigned long *res)
{
	char buf[32], *end;

	if (count >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, count);
	buf[count] = 0;
	errno = 0;
	*res = strtoul(buf, &end, base);
	if (errno || end == buf || (*end && *end != '\n'))
		return -EINVAL;
	return 0;
}

int kstrtoul_from_user(const char __user *s, size_t count, unsigned int base,
		       unsigned long *res)
{
	return harness_kstrtoul(s, count, base, res);
}

int kstrtouint_from_user(const char __user *s, size_t count, unsigned int base,
			 unsigned int *res)
{
	unsigned long v;
	int err = harness_kstrtoul(s, count, base, &v);

	if (!err && v > UINT_MAX)
		err = -ERANGE;
	if (!err)
		*res = v;
	return err;
}

/* ---------------------------------------------------------------- */
/* Set-up                                                            */
/* ---------------------------------------------------------------- */

static void *harness_arena;
static size_t harness_arena_bytes;

/**
 * harness_init - bring up the user-space kernel and load smalloc
 * @nr_cpus: how many CPUs (all possible and online)
 * @arena_mib: the size of "physical memory"
 *
 * Return: smalloc's init result.
 */
int harness_init(unsigned int nr_cpus, unsigned long arena_mib)
{
	size_t block = PAGE_SIZE << MAX_PAGE_ORDER;
	unsigned long base, pfn;
	unsigned int cpu, lvl;

	if (!nr_cpus || nr_cpus > NR_CPUS)
		return -EINVAL;
	harness_start_ns = harness_now_ns();
	nr_cpu_ids = nr_cpus;
	for (cpu = 0; cpu < nr_cpus; cpu++) {
		set_bit(cpu, __cpu_possible_mask.bits);
		set_bit(cpu, __cpu_online_mask.bits);
		set_bit(cpu, harness_cpu_masks[cpu].bits);
		for (lvl = 0; lvl < 3; lvl++)
			pthread_mutex_init(&harness_cpu_lock[cpu][lvl], NULL);
	}

	harness_pcpu_base = mmap(NULL, (size_t)nr_cpus << HARNESS_PCPU_UNIT_SHIFT,
				 PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (harness_pcpu_base == MAP_FAILED)
		return -ENOMEM;

	/* The arena, aligned to the largest order as memory sections are. */
	harness_arena_bytes = ALIGN(arena_mib << 20, block);
	harness_arena = mmap(NULL, harness_arena_bytes + block,
			     PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (harness_arena == MAP_FAILED)
		return -ENOMEM;
	base = ALIGN((unsigned long)harness_arena, block);
	harness_page_offset = base;
	harness_nr_pages = harness_arena_bytes >> PAGE_SHIFT;
	harness_mem_map = calloc(harness_nr_pages, sizeof(struct page));
	if (!harness_mem_map)
		return -ENOMEM;
	for (cpu = 0; cpu <= MAX_PAGE_ORDER; cpu++)
		INIT_LIST_HEAD(&harness_free_area[cpu]);
	for (pfn = harness_nr_pages; pfn; pfn -= 1UL << MAX_PAGE_ORDER)
		harness_buddy_add(pfn - (1UL << MAX_PAGE_ORDER), MAX_PAGE_ORDER);

	harness_move_to_cpu(0);
	return harness_module_init();
}

void harness_exit(void)
{
	harness_stop_kworker();
	harness_module_exit();
	free(harness_mem_map);
	munmap(harness_arena, harness_arena_bytes + (PAGE_SIZE << MAX_PAGE_ORDER));
	munmap(harness_pcpu_base, (size_t)nr_cpu_ids << HARNESS_PCPU_UNIT_SHIFT);
}
