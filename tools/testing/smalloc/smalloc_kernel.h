/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The user-space side of smalloc's one seam.
 *
 * The allocator sources take every kernel dependency through
 * smalloc_kernel.h.  This file has the same include guard and is forced in
 * first (-include), so the kernel one is skipped and the same .c files
 * compile, unchanged, against what is below.  As in tools/testing/vma, the
 * contents are split by kind:
 *
 *  1. compiler, types and helpers copied from the kernel (kept in sync by
 *     hand: they are small and stable);
 *  2. no-ops: module, export and parameter boilerplate;
 *  3. test-observable versions of what the allocator depends on: the page
 *     allocator (an mmap'd arena with a struct page side table and a buddy
 *     allocator that fails on demand), kmalloc for foreign objects (a
 *     registry that knows every live object), per-CPU data (a fixed set of
 *     "CPUs" threads run on), preemption and interrupt control, the
 *     workqueue, CPU hotplug, debugfs and seq_file.
 *
 * Two builds of the same model:
 *
 *  - checked (the default; tests, fuzzer, TSan stress): a CPU is a set of
 *    locks, one per context level.  A thread that disables preemption in
 *    task context holds its CPU's task lock; local_bh_disable() adds the
 *    softirq lock, local_irq_save() the hardirq lock; a thread acting as
 *    a softirq or hardirq handler holds that level's lock for the whole
 *    handler.  So whatever smalloc relies on "preemption/bh/irqs
 *    disabled" to exclude is really excluded, ThreadSanitizer sees the
 *    happens-before the kernel would have, and a thread that touches a
 *    heap without the exclusion the rules at the top of smalloc_main.c
 *    ask for is a data race TSan reports.  Unpinned threads migrate at
 *    random when they re-enable preemption, as a preemptible task would;
 *    sleeping allocations in atomic context are caught.
 *  - fast (HARNESS_FAST; the benchmark): each thread owns one CPU for its
 *    life, preemption control is a thread-local counter as the kernel's
 *    preempt_count is a per-CPU one, interrupts do not exist, and delayed
 *    work never runs.
 */
#ifndef _SMALLOC_KERNEL_H
#define _SMALLOC_KERNEL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>		/* before the kernel's swab() macro */

/* ------------------------------------------------------------------ */
/* 1. Compiler, types and helpers (copies of the kernel's)            */
/* ------------------------------------------------------------------ */

#ifndef __always_inline
#define __always_inline		inline __attribute__((__always_inline__))
#endif
#define noinline		__attribute__((__noinline__))
#define __malloc		__attribute__((__malloc__))
/* The kmalloc family's size annotations: nothing to tell user space. */
#define __alloc_size(x, ...)	__malloc
#define __realloc_size(x, ...)
#define __assume_kmalloc_alignment
#define __cold			__attribute__((__cold__))
#define __maybe_unused		__attribute__((__unused__))
#define __must_check		__attribute__((__warn_unused_result__))
#define __printf(a, b)		__attribute__((__format__(printf, a, b)))
#define __init
#define __exit
#define __user
#define __percpu
#define __read_mostly
#define __rcu

#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)
#define barrier()		__asm__ __volatile__("" : : : "memory")
/* arch/x86/include/asm/asm.h's: a condition code as an asm output. */
#define CC_SET(c)		"\n\t/* output condition code " #c "*/\n"
#define CC_OUT(c)		"=@cc" #c
#define _RET_IP_		((unsigned long)__builtin_return_address(0))
#define _THIS_IP_		({ __label__ __here; __here: (unsigned long)&&__here; })

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
typedef unsigned int gfp_t;
typedef s64 ktime_t;

#define U8_MAX			((u8)~0U)
#define U16_MAX			((u16)~0U)
#define U32_MAX			((u32)~0U)
#define U64_MAX			((u64)~0ULL)
#define S32_MAX			((s32)(U32_MAX >> 1))
#define BITS_PER_LONG		64
#define BITS_PER_BYTE		8

/* include/linux/kconfig.h */
#define __ARG_PLACEHOLDER_1 0,
#define __take_second_arg(__ignored, val, ...) val
#define __is_defined(x)			___is_defined(x)
#define ___is_defined(val)		____is_defined(__ARG_PLACEHOLDER_##val)
#define ____is_defined(arg1_or_junk)	__take_second_arg(arg1_or_junk 1, 0)
#define IS_BUILTIN(option)		__is_defined(option)
#define IS_MODULE(option)		__is_defined(option##_MODULE)
#define IS_ENABLED(option)		(IS_BUILTIN(option) || IS_MODULE(option))

/* include/linux/build_bug.h */
#undef static_assert
#define static_assert(expr, ...) __static_assert(expr, ##__VA_ARGS__, #expr)
#define __static_assert(expr, msg, ...) _Static_assert(expr, msg)
#define BUILD_BUG_ON(cond)	_Static_assert(!(cond), "BUILD_BUG_ON(" #cond ")")

/* include/linux/kernel.h, minmax.h, math.h, align.h */
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#define min(a, b)		({ typeof(a) __a = (a); typeof(b) __b = (b); __a < __b ? __a : __b; })
#define max(a, b)		({ typeof(a) __a = (a); typeof(b) __b = (b); __a > __b ? __a : __b; })
#define min_t(t, a, b)		({ t __a = (a); t __b = (b); __a < __b ? __a : __b; })
#define max_t(t, a, b)		({ t __a = (a); t __b = (b); __a > __b ? __a : __b; })
#define clamp(v, lo, hi)	min(max(v, lo), hi)
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))
#define BITS_TO_LONGS(n)	DIV_ROUND_UP(n, BITS_PER_LONG)
#define BIT(n)			(1UL << (n))
#define ALIGN(x, a)		(((x) + ((typeof(x))(a) - 1)) & ~((typeof(x))(a) - 1))
#define IS_ALIGNED(x, a)	(((x) & ((typeof(x))(a) - 1)) == 0)
#define PAGE_ALIGNED(p)		IS_ALIGNED((unsigned long)(p), PAGE_SIZE)
#define is_power_of_2(n)	((n) != 0 && (((n) & ((n) - 1)) == 0))
#define swab(x)			((typeof(x))__builtin_bswap64((u64)(x)))

static inline u64 rol64(u64 word, unsigned int shift)
{
	return (word << (shift & 63)) | (word >> ((-shift) & 63));
}

static inline u64 ror64(u64 word, unsigned int shift)
{
	return (word >> (shift & 63)) | (word << ((-shift) & 63));
}
#define div_u64(a, b)		((u64)(a) / (u32)(b))
#define div64_u64(a, b)		((u64)(a) / (u64)(b))
#define div64_ul(a, b)		((unsigned long)(a) / (unsigned long)(b))
#define check_mul_overflow(a, b, d)	__builtin_mul_overflow(a, b, d)
#define check_add_overflow(a, b, d)	__builtin_add_overflow(a, b, d)

static inline int ilog2_ul(unsigned long n)
{
	return BITS_PER_LONG - 1 - __builtin_clzl(n);
}
#define ilog2(n)		ilog2_ul(n)

#define MAX_ERRNO		4095
#define IS_ERR_VALUE(x)		unlikely((unsigned long)(void *)(x) >= (unsigned long)-MAX_ERRNO)
static inline void *ERR_PTR(long error) { return (void *)error; }
static inline void *ERR_CAST(const void *ptr) { return (void *)ptr; }
static inline long PTR_ERR(const void *ptr) { return (long)ptr; }
static inline bool IS_ERR(const void *ptr) { return IS_ERR_VALUE((unsigned long)ptr); }
static inline bool IS_ERR_OR_NULL(const void *ptr)
{
	return unlikely(!ptr) || IS_ERR_VALUE((unsigned long)ptr);
}

/* Errnos the kernel has and glibc may lack. */
#ifndef EBADSLT
#define EBADSLT			57
#endif

/* READ_ONCE/WRITE_ONCE as relaxed atomics: same code, and TSan agrees. */
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define HARNESS_TSAN 1
#endif
#if __has_feature(address_sanitizer)
#define HARNESS_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define HARNESS_TSAN 1
#endif
#if defined(__SANITIZE_ADDRESS__)
#define HARNESS_ASAN 1
#endif

#ifdef HARNESS_TSAN
void AnnotateIgnoreReadsBegin(const char *file, int line);
void AnnotateIgnoreReadsEnd(const char *file, int line);
/*
 * KCSAN's data_race(): a read the author knows is racy.  __v is of the
 * expression's type without qualifiers, as the kernel's
 * __unqual_scalar_typeof() makes it (a const lvalue is read too).
 */
#define data_race(expr) ({						\
	typeof(((void)0, (expr))) __v;					\
	AnnotateIgnoreReadsBegin(__FILE__, __LINE__);			\
	__v = (expr);							\
	AnnotateIgnoreReadsEnd(__FILE__, __LINE__);			\
	__v; })
#else
#define data_race(expr)		(expr)
#endif

/* ------------------------------------------------------------------ */
/* Printing and warnings                                               */
/* ------------------------------------------------------------------ */

/*
 * printk.h's default pr_fmt() is a macro a .c file may define first; here
 * the seam comes first, so the default is a function a later
 * "#define pr_fmt" simply hides.  format_arg keeps printf checking.
 */
static inline __attribute__((__format_arg__(1))) const char *
pr_fmt(const char *fmt)
{
	return fmt;
}

/* Set by the fuzzer: reports it provokes on purpose are not printed. */
extern int harness_quiet;
/* WARN*() that fired: tests fail on any they did not expect. */
extern long harness_warnings;
void harness_printk(const char *level, const char *fmt, ...) __printf(2, 3);
void harness_warn(const char *file, int line, const char *cond);

#define printk(fmt, ...)	harness_printk("", fmt, ##__VA_ARGS__)
#define pr_emerg(fmt, ...)	harness_printk("EMERG", pr_fmt(fmt), ##__VA_ARGS__)
#define pr_err(fmt, ...)	harness_printk("ERR", pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...)	harness_printk("WARN", pr_fmt(fmt), ##__VA_ARGS__)
#define pr_notice(fmt, ...)	harness_printk("NOTICE", pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...)	harness_printk("INFO", pr_fmt(fmt), ##__VA_ARGS__)
#define pr_debug(fmt, ...)	do { if (0) harness_printk("DEBUG", pr_fmt(fmt), ##__VA_ARGS__); } while (0)
#define __harness_once(call) ({						\
	static bool __done;						\
	if (!__atomic_exchange_n(&__done, true, __ATOMIC_RELAXED))	\
		call;							\
	})
#define pr_warn_once(fmt, ...)	__harness_once(pr_warn(fmt, ##__VA_ARGS__))
#define pr_err_once(fmt, ...)	__harness_once(pr_err(fmt, ##__VA_ARGS__))
#define pr_info_once(fmt, ...)	__harness_once(pr_info(fmt, ##__VA_ARGS__))
/* Rate limit: the first ten per call site. */
#define pr_err_ratelimited(fmt, ...) ({					\
	static int __n;							\
	if (__atomic_fetch_add(&__n, 1, __ATOMIC_RELAXED) < 10)		\
		pr_err(fmt, ##__VA_ARGS__);				\
	})
#define pr_warn_ratelimited(fmt, ...) ({				\
	static int __n;							\
	if (__atomic_fetch_add(&__n, 1, __ATOMIC_RELAXED) < 10)		\
		pr_warn(fmt, ##__VA_ARGS__);				\
	})
void dump_stack(void);

#define WARN_ON(cond) ({						\
	bool __c = !!(cond);						\
	if (unlikely(__c))						\
		harness_warn(__FILE__, __LINE__, #cond);		\
	unlikely(__c); })
#define WARN_ON_ONCE(cond) ({					\
	static bool __warned;						\
	bool __c = !!(cond);						\
	if (unlikely(__c) &&						\
	    !__atomic_exchange_n(&__warned, true, __ATOMIC_RELAXED))	\
		harness_warn(__FILE__, __LINE__, #cond);		\
	unlikely(__c); })
#define WARN(cond, fmt, ...) ({						\
	bool __c = !!(cond);						\
	if (unlikely(__c)) {						\
		harness_printk("WARN", fmt, ##__VA_ARGS__);		\
		harness_warn(__FILE__, __LINE__, #cond);		\
	}								\
	unlikely(__c); })
#define WARN_ONCE(cond, fmt, ...) ({					\
	static bool __warned;						\
	bool __c = !!(cond);						\
	if (unlikely(__c) &&						\
	    !__atomic_exchange_n(&__warned, true, __ATOMIC_RELAXED)) {	\
		harness_printk("WARN", fmt, ##__VA_ARGS__);		\
		harness_warn(__FILE__, __LINE__, #cond);		\
	}								\
	unlikely(__c); })
#define BUG_ON(cond) do {						\
	if (unlikely(cond)) {						\
		harness_warn(__FILE__, __LINE__, #cond);		\
		abort();						\
	}								\
	} while (0)
#define BUG()			BUG_ON(1)

/* ------------------------------------------------------------------ */
/* 2. No-ops: module boilerplate                                       */
/* ------------------------------------------------------------------ */

struct module;
#define THIS_MODULE		((struct module *)NULL)
#define EXPORT_SYMBOL(sym)	extern typeof(sym) sym
#define EXPORT_SYMBOL_GPL(sym)	extern typeof(sym) sym
#define MODULE_LICENSE(x)	extern int harness_module_info
#define MODULE_DESCRIPTION(x)	extern int harness_module_info
#define MODULE_AUTHOR(x)	extern int harness_module_info
#define MODULE_VERSION(x)	extern int harness_module_info
#define MODULE_PARM_DESC(n, x)	extern int harness_module_info
#define module_param_named(name, var, type, perm) extern typeof(var) var
#define module_param(var, type, perm) extern typeof(var) var
/* The module's init and exit become functions the harness calls. */
#define module_init(fn)		int harness_module_init(void) { return fn(); }
#define module_exit(fn)		void harness_module_exit(void) { fn(); }
int harness_module_init(void);
void harness_module_exit(void);

/* ------------------------------------------------------------------ */
/* Lists (include/linux/list.h, the subset smalloc uses)               */
/* ------------------------------------------------------------------ */

struct list_head {
	struct list_head *next, *prev;
};

#define LIST_POISON1		((void *)0x100)
#define LIST_POISON2		((void *)0x122)
#define LIST_HEAD_INIT(name)	{ &(name), &(name) }
#define LIST_HEAD(name)		struct list_head name = LIST_HEAD_INIT(name)

static inline void INIT_LIST_HEAD(struct list_head *list)
{
	WRITE_ONCE(list->next, list);
	list->prev = list;
}

#ifdef HARNESS_FAST
#define __list_check(cond)	(true)
#else
/* CONFIG_DEBUG_LIST: corruption is a bug, not a crash later. */
#define __list_check(cond)	(!WARN((cond), "list corruption: %s\n", #cond))
#endif

static inline void __list_add(struct list_head *new, struct list_head *prev,
			      struct list_head *next)
{
	if (!__list_check(next->prev != prev || prev->next != next ||
			  new == prev || new == next))
		abort();
	next->prev = new;
	new->next = next;
	new->prev = prev;
	WRITE_ONCE(prev->next, new);
}

static inline void list_add(struct list_head *new, struct list_head *head)
{
	__list_add(new, head, head->next);
}

static inline void list_add_tail(struct list_head *new, struct list_head *head)
{
	__list_add(new, head->prev, head);
}

static inline void __list_del(struct list_head *prev, struct list_head *next)
{
	next->prev = prev;
	WRITE_ONCE(prev->next, next);
}

static inline void __list_del_entry(struct list_head *entry)
{
	if (!__list_check(entry->next == LIST_POISON1 ||
			  entry->prev == LIST_POISON2 ||
			  entry->prev->next != entry ||
			  entry->next->prev != entry))
		abort();
	__list_del(entry->prev, entry->next);
}

static inline void list_del(struct list_head *entry)
{
	__list_del_entry(entry);
	entry->next = LIST_POISON1;
	entry->prev = LIST_POISON2;
}

static inline void list_del_init(struct list_head *entry)
{
	__list_del_entry(entry);
	INIT_LIST_HEAD(entry);
}

static inline void list_move(struct list_head *list, struct list_head *head)
{
	__list_del_entry(list);
	list_add(list, head);
}

static inline void list_move_tail(struct list_head *list,
				  struct list_head *head)
{
	__list_del_entry(list);
	list_add_tail(list, head);
}

static inline int list_empty(const struct list_head *head)
{
	return READ_ONCE(head->next) == head;
}

static inline int list_is_head(const struct list_head *list,
			       const struct list_head *head)
{
	return list == head;
}

static inline void __list_splice(const struct list_head *list,
				 struct list_head *prev,
				 struct list_head *next)
{
	struct list_head *first = list->next;
	struct list_head *last = list->prev;

	first->prev = prev;
	prev->next = first;
	last->next = next;
	next->prev = last;
}

static inline void list_splice_init(struct list_head *list,
				    struct list_head *head)
{
	if (!list_empty(list)) {
		__list_splice(list, head, head->next);
		INIT_LIST_HEAD(list);
	}
}

static inline void list_splice_tail_init(struct list_head *list,
					 struct list_head *head)
{
	if (!list_empty(list)) {
		__list_splice(list, head->prev, head);
		INIT_LIST_HEAD(list);
	}
}

static inline size_t list_count_nodes(struct list_head *head)
{
	struct list_head *pos;
	size_t count = 0;

	for (pos = head->next; pos != head; pos = pos->next)
		count++;
	return count;
}

#define list_entry(ptr, type, member)	container_of(ptr, type, member)
#define list_first_entry(ptr, type, member) \
	list_entry((ptr)->next, type, member)
#define list_last_entry(ptr, type, member) \
	list_entry((ptr)->prev, type, member)
#define list_first_entry_or_null(ptr, type, member) ({			\
	struct list_head *head__ = (ptr);				\
	struct list_head *pos__ = READ_ONCE(head__->next);		\
	pos__ != head__ ? list_entry(pos__, type, member) : NULL;	\
})
#define list_next_entry(pos, member) \
	list_entry((pos)->member.next, typeof(*(pos)), member)
#define list_prev_entry(pos, member) \
	list_entry((pos)->member.prev, typeof(*(pos)), member)
#define list_entry_is_head(pos, head, member) \
	list_is_head(&(pos)->member, (head))
#define list_for_each(pos, head) \
	for (pos = (head)->next; !list_is_head(pos, (head)); pos = pos->next)
#define list_for_each_safe(pos, n, head) \
	for (pos = (head)->next, n = pos->next; \
	     !list_is_head(pos, (head)); pos = n, n = pos->next)
#define list_for_each_entry(pos, head, member)				\
	for (pos = list_first_entry(head, typeof(*pos), member);	\
	     !list_entry_is_head(pos, head, member);			\
	     pos = list_next_entry(pos, member))
#define list_for_each_entry_reverse(pos, head, member)			\
	for (pos = list_last_entry(head, typeof(*pos), member);		\
	     !list_entry_is_head(pos, head, member);			\
	     pos = list_prev_entry(pos, member))
#define list_for_each_entry_safe(pos, n, head, member)			\
	for (pos = list_first_entry(head, typeof(*pos), member),	\
		n = list_next_entry(pos, member);			\
	     !list_entry_is_head(pos, head, member);			\
	     pos = n, n = list_next_entry(n, member))

/* Lock-free lists (include/linux/llist.h), for the tests. */
struct llist_node {
	struct llist_node *next;
};

struct llist_head {
	struct llist_node *first;
};

static inline void init_llist_head(struct llist_head *list)
{
	list->first = NULL;
}

static inline bool llist_empty(const struct llist_head *head)
{
	return __atomic_load_n(&head->first, __ATOMIC_RELAXED) == NULL;
}

static inline bool llist_add(struct llist_node *new, struct llist_head *head)
{
	struct llist_node *first = __atomic_load_n(&head->first,
						   __ATOMIC_RELAXED);

	do {
		new->next = first;
	} while (!__atomic_compare_exchange_n(&head->first, &first, new, false,
					      __ATOMIC_SEQ_CST,
					      __ATOMIC_RELAXED));
	return !first;
}

static inline struct llist_node *llist_del_all(struct llist_head *head)
{
	return __atomic_exchange_n(&head->first, NULL, __ATOMIC_SEQ_CST);
}

#define LLIST_HEAD(name)	struct llist_head name = { NULL }
#define llist_entry(ptr, type, member)	container_of(ptr, type, member)
#define member_address_is_nonnull(ptr, member) \
	((uintptr_t)(ptr) + offsetof(typeof(*(ptr)), member) != 0)
#define llist_for_each_entry_safe(pos, n, node, member)			\
	for (pos = llist_entry((node), typeof(*pos), member);		\
	     member_address_is_nonnull(pos, member) &&			\
		(n = llist_entry(pos->member.next, typeof(*n), member), true); \
	     pos = n)

/* ------------------------------------------------------------------ */
/* Atomics and bit operations, from the compiler                       */
/* ------------------------------------------------------------------ */

typedef struct {
	int counter;
} atomic_t;

typedef struct {
	long counter;
} atomic_long_t;

#define ATOMIC_INIT(i)		{ (i) }
#define ATOMIC_LONG_INIT(i)	{ (i) }

/*
 * Kernel ordering: sets and non-returning RMW are unordered; returning
 * RMW (xchg, cmpxchg, *_return) are fully ordered; a failed cmpxchg
 * orders nothing.  A read is READ_ONCE(), which the kernel memory model
 * orders before accesses that depend on its value (walking a list whose
 * head was just read): C11's consume, which compilers give as acquire.
 */
#define __ATOMIC_OPS(pfx, type)						\
static inline type pfx##_read(const pfx##_t *v)				\
{									\
	return __atomic_load_n(&v->counter, __ATOMIC_CONSUME);		\
}									\
static inline void pfx##_set(pfx##_t *v, type i)			\
{									\
	__atomic_store_n(&v->counter, i, __ATOMIC_RELAXED);		\
}									\
static inline void pfx##_add(type i, pfx##_t *v)			\
{									\
	__atomic_fetch_add(&v->counter, i, __ATOMIC_RELAXED);		\
}									\
static inline void pfx##_sub(type i, pfx##_t *v)			\
{									\
	__atomic_fetch_sub(&v->counter, i, __ATOMIC_RELAXED);		\
}									\
static inline void pfx##_or(type i, pfx##_t *v)			\
{									\
	__atomic_fetch_or(&v->counter, i, __ATOMIC_RELAXED);		\
}									\
static inline void pfx##_inc(pfx##_t *v)				\
{									\
	pfx##_add(1, v);						\
}									\
static inline void pfx##_dec(pfx##_t *v)				\
{									\
	pfx##_sub(1, v);						\
}									\
static inline type pfx##_add_return(type i, pfx##_t *v)			\
{									\
	return __atomic_add_fetch(&v->counter, i, __ATOMIC_SEQ_CST);	\
}									\
static inline type pfx##_sub_return(type i, pfx##_t *v)			\
{									\
	return __atomic_sub_fetch(&v->counter, i, __ATOMIC_SEQ_CST);	\
}									\
static inline type pfx##_inc_return(pfx##_t *v)				\
{									\
	return pfx##_add_return(1, v);					\
}									\
static inline type pfx##_dec_return(pfx##_t *v)				\
{									\
	return pfx##_sub_return(1, v);					\
}									\
static inline type pfx##_xchg(pfx##_t *v, type new)			\
{									\
	return __atomic_exchange_n(&v->counter, new, __ATOMIC_SEQ_CST);	\
}									\
static inline type pfx##_cmpxchg(pfx##_t *v, type old, type new)	\
{									\
	__atomic_compare_exchange_n(&v->counter, &old, new, false,	\
				    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED); \
	return old;							\
}									\
static inline bool pfx##_try_cmpxchg(pfx##_t *v, type *old, type new)	\
{									\
	return __atomic_compare_exchange_n(&v->counter, old, new, false, \
					   __ATOMIC_SEQ_CST,		\
					   __ATOMIC_RELAXED);		\
}									\
static inline type pfx##_dec_if_positive(pfx##_t *v)			\
{									\
	type c = pfx##_read(v);						\
									\
	do {								\
		if (c <= 0)						\
			return c - 1;					\
	} while (!pfx##_try_cmpxchg(v, &c, c - 1));			\
	return c - 1;							\
}

__ATOMIC_OPS(atomic, int)
__ATOMIC_OPS(atomic_long, long)

/* Fully ordered xchg()/cmpxchg() on any scalar. */
#define xchg(ptr, v)		__atomic_exchange_n((ptr), (v), __ATOMIC_SEQ_CST)
#define cmpxchg(ptr, o, n) ({						\
	typeof(*(ptr)) __o = (o);					\
	__atomic_compare_exchange_n((ptr), &__o, (n), false,		\
				    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED); \
	__o; })
#define try_cmpxchg(ptr, po, n)						\
	__atomic_compare_exchange_n((ptr), (po), (n), false,		\
				    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)
/*
 * cmpxchg_local(): atomic against the contexts of one CPU only.  In the
 * checked model a CPU's context levels are threads that may run at once,
 * so it is a full cmpxchg; in the fast model, where each thread owns a
 * CPU and switches levels itself, it is the kernel's x86 one, a cmpxchg
 * without the lock prefix.
 */
#ifdef HARNESS_FAST
#define cmpxchg_local(ptr, o, n) ({					\
	typeof(*(ptr)) __o = (o), __n = (n);				\
	asm volatile("cmpxchg%z1 %2, %1"				\
		     : "+a" (__o), "+m" (*(ptr))			\
		     : "q" (__n) : "memory", "cc");			\
	__o; })
#else
#define cmpxchg_local(ptr, o, n)	cmpxchg(ptr, o, n)
#endif
#define smp_mb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_rmb()		__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_wmb()		__atomic_thread_fence(__ATOMIC_RELEASE)
#define smp_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define smp_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)

/* set_bit/clear_bit are atomic; test_bit is a plain (relaxed) read. */
static inline void set_bit(long nr, volatile unsigned long *addr)
{
	__atomic_fetch_or((unsigned long *)addr + nr / BITS_PER_LONG,
			  1UL << (nr % BITS_PER_LONG), __ATOMIC_RELAXED);
}

static inline void clear_bit(long nr, volatile unsigned long *addr)
{
	__atomic_fetch_and((unsigned long *)addr + nr / BITS_PER_LONG,
			   ~(1UL << (nr % BITS_PER_LONG)), __ATOMIC_RELAXED);
}

#ifdef HARNESS_FAST
/* The benchmark's: the kernel's variable_test_bit(), one bt of memory. */
static __always_inline bool test_bit(long nr, const volatile unsigned long *addr)
{
	bool bit;

	asm volatile("btq %2,%1" : "=@ccc" (bit)
		     : "m" (*(const unsigned long *)addr), "r" (nr) : "memory");
	return bit;
}
#else
static __always_inline bool test_bit(long nr, const volatile unsigned long *addr)
{
	unsigned long w = __atomic_load_n((const unsigned long *)addr +
					  nr / BITS_PER_LONG, __ATOMIC_RELAXED);

	return (w >> (nr % BITS_PER_LONG)) & 1;
}
#endif

static inline unsigned long find_next_bit(const unsigned long *addr,
					  unsigned long size,
					  unsigned long off)
{
	while (off < size) {
		unsigned long w = addr[off / BITS_PER_LONG] >>
				  (off % BITS_PER_LONG);

		if (w)
			return min(size, off + __builtin_ctzl(w));
		off = (off / BITS_PER_LONG + 1) * BITS_PER_LONG;
	}
	return size;
}

#define for_each_set_bit(bit, addr, size)				\
	for ((bit) = find_next_bit((addr), (size), 0); (bit) < (size);	\
	     (bit) = find_next_bit((addr), (size), (bit) + 1))

static inline void __set_bit(long nr, unsigned long *addr)
{
	addr[nr / BITS_PER_LONG] |= 1UL << (nr % BITS_PER_LONG);
}

static inline void __clear_bit(long nr, unsigned long *addr)
{
	addr[nr / BITS_PER_LONG] &= ~(1UL << (nr % BITS_PER_LONG));
}

/*
 * Static keys: a flag read where the kernel patches a jump.  One load and
 * a branch more than the kernel's nop, on the paths that use them.
 */
struct static_key_false {
	bool enabled;
};

struct static_key_true {
	bool enabled;
};

#define DEFINE_STATIC_KEY_FALSE(name)	struct static_key_false name = { false }
#define DEFINE_STATIC_KEY_TRUE(name)	struct static_key_true name = { true }
#define DECLARE_STATIC_KEY_FALSE(name)	extern struct static_key_false name
#define DECLARE_STATIC_KEY_TRUE(name)	extern struct static_key_true name
#define static_key_enabled(k)		READ_ONCE((k)->enabled)
#ifdef HARNESS_FAST
/*
 * The benchmark never turns a key on: a key costs what the kernel's costs
 * while off, one 5-byte nop (the kernel's arch_static_branch() without
 * the jump table that would let it be patched).
 */
static __always_inline bool harness_static_branch_off(void)
{
	asm goto(".byte 0x0f, 0x1f, 0x44, 0x00, 0x00" : : : : l_yes);
	return false;
l_yes:
	return true;
}
#define static_branch_likely(k)		({ (void)(k); !harness_static_branch_off(); })
#define static_branch_unlikely(k)	({ (void)(k); harness_static_branch_off(); })
#else
#define static_branch_likely(k)		likely(static_key_enabled(k))
#define static_branch_unlikely(k)	unlikely(static_key_enabled(k))
#endif
#define static_branch_enable(k)		WRITE_ONCE((k)->enabled, true)
#define static_branch_disable(k)	WRITE_ONCE((k)->enabled, false)

/* ------------------------------------------------------------------ */
/* 3. CPUs, contexts, preemption and interrupts                        */
/* ------------------------------------------------------------------ */

#define NR_CPUS			64

extern unsigned int nr_cpu_ids;

struct cpumask {
	unsigned long bits[BITS_TO_LONGS(NR_CPUS)];
};

extern struct cpumask __cpu_possible_mask, __cpu_online_mask;
#define cpu_possible_mask	((const struct cpumask *)&__cpu_possible_mask)
#define cpu_online_mask		((const struct cpumask *)&__cpu_online_mask)
const struct cpumask *cpumask_of(unsigned int cpu);

static inline bool cpu_online(unsigned int cpu)
{
	return test_bit(cpu, __cpu_online_mask.bits);
}

static inline bool cpu_possible(unsigned int cpu)
{
	return cpu < nr_cpu_ids;
}

unsigned int num_online_cpus(void);
unsigned int cpumask_first(const struct cpumask *mask);
unsigned int cpumask_nth(unsigned int n, const struct cpumask *mask);
unsigned int cpumask_weight(const struct cpumask *mask);
unsigned int cpumask_last(const struct cpumask *mask);
unsigned int cpumask_next(int n, const struct cpumask *mask);
#define num_possible_cpus()	nr_cpu_ids

#define for_each_possible_cpu(cpu) \
	for ((cpu) = 0; (cpu) < nr_cpu_ids; (cpu)++)
#define for_each_online_cpu(cpu)					\
	for ((cpu) = 0; (cpu) < nr_cpu_ids; (cpu)++)			\
		if (!cpu_online(cpu)) {} else

/* Context levels, as interrupt_context_level() numbers them. */
enum harness_ctx {
	HARNESS_CTX_TASK,
	HARNESS_CTX_SOFTIRQ,
	HARNESS_CTX_HARDIRQ,
	HARNESS_CTX_NMI,
};

/*
 * Per thread: the CPU it runs on and what it has disabled.  In the kernel
 * preempt_count is per CPU; per thread here is the same thing, since a
 * thread is on one CPU while it has anything disabled.
 */
extern __thread unsigned int harness_cpu;
void harness_move_to_cpu(unsigned int cpu);
extern __thread unsigned char harness_ctx;
extern __thread int harness_preempt_count;

static __always_inline unsigned int raw_smp_processor_id(void)
{
	return harness_cpu;
}
#define smp_processor_id()	raw_smp_processor_id()
#define get_cpu()		({ preempt_disable(); smp_processor_id(); })
#define put_cpu()		preempt_enable()

static __always_inline unsigned char interrupt_context_level(void)
{
	return harness_ctx;
}

#define in_nmi()		(harness_ctx == HARNESS_CTX_NMI)
#define in_hardirq()		(harness_ctx == HARNESS_CTX_HARDIRQ)
#define in_serving_softirq()	(harness_ctx == HARNESS_CTX_SOFTIRQ)
#define in_task()		(harness_ctx == HARNESS_CTX_TASK)
#define in_interrupt()		(harness_ctx != HARNESS_CTX_TASK)

#ifdef HARNESS_FAST
/* As the kernel's: one add to a per-CPU counter, one compiler barrier. */
static __always_inline void preempt_disable(void)
{
	harness_preempt_count++;
	barrier();
}

static __always_inline void preempt_enable(void)
{
	barrier();
	harness_preempt_count--;
}

#define local_irq_save(flags)	do { (flags) = 0; barrier(); } while (0)
#define local_irq_restore(flags) do { (void)(flags); barrier(); } while (0)
#define local_irq_disable()	barrier()
#define local_irq_enable()	barrier()
#define local_bh_disable()	preempt_disable()
#define local_bh_enable()	preempt_enable()
#define might_sleep()		do { } while (0)
#else
void harness_preempt_disable(void);
void harness_preempt_enable(void);
unsigned long harness_irq_save(void);
void harness_irq_restore(unsigned long flags);
void harness_bh_disable(void);
void harness_bh_enable(void);
void harness_might_sleep(const char *file, int line);

#define preempt_disable()	harness_preempt_disable()
#define preempt_enable()	harness_preempt_enable()
#define local_irq_save(flags)	do { (flags) = harness_irq_save(); } while (0)
#define local_irq_restore(flags) harness_irq_restore(flags)
#define local_irq_disable()	((void)harness_irq_save())
#define local_irq_enable()	harness_irq_restore(0)
#define local_bh_disable()	harness_bh_disable()
#define local_bh_enable()	harness_bh_enable()
#define might_sleep()		harness_might_sleep(__FILE__, __LINE__)
#endif
/*
 * smalloc_lower_levels_get(): the kernel asks preempt_count whether the
 * code this context interrupted had preemption disabled.  In the checked
 * model the CPU's lower levels are threads that keep running, so the
 * answer must also keep them out: the locks of the lower levels taken with
 * trylock, held until smalloc_lower_levels_put().  In the fast model a
 * thread switches levels itself and the count is its own.
 */
#define CONFIG_PREEMPT_COUNT 1		/* preempt_disable() counts, as above */
#ifdef HARNESS_FAST
static __always_inline bool smalloc_lower_levels_get(void)
{
	return harness_preempt_count == 1;
}

static __always_inline void smalloc_lower_levels_put(void)
{
}
#else
bool smalloc_lower_levels_get(void);
void smalloc_lower_levels_put(void);
#endif
#define preempt_enable_no_resched()	preempt_enable()
#define irqs_disabled()		harness_irqs_disabled()
bool harness_irqs_disabled(void);
void cond_resched(void);

/* CPU hotplug. */
enum cpuhp_state {
	CPUHP_INVALID = -1,
	CPUHP_OFFLINE = 0,
	CPUHP_BP_PREPARE_DYN = 50,
	CPUHP_BP_PREPARE_DYN_END = 70,
	CPUHP_AP_ONLINE_DYN = 100,
	CPUHP_AP_ONLINE_DYN_END = 130,
};

int cpuhp_setup_state_nocalls(enum cpuhp_state state, const char *name,
			      int (*startup)(unsigned int cpu),
			      int (*teardown)(unsigned int cpu));
void cpuhp_remove_state_nocalls(enum cpuhp_state state);
void cpus_read_lock(void);
int cpus_read_trylock(void);
void cpus_read_unlock(void);
int remove_cpu(unsigned int cpu);
int add_cpu(unsigned int cpu);

/* ------------------------------------------------------------------ */
/* Per-CPU data                                                        */
/* ------------------------------------------------------------------ */

/*
 * Each CPU has a unit of HARNESS_PCPU_UNIT bytes; alloc_percpu() hands
 * out offsets in CPU 0's unit, and CPU n's copy sits n units further:
 * the kernel's __per_cpu_offset[] with a constant stride.
 */
#define HARNESS_PCPU_UNIT_SHIFT	20

void *harness_alloc_percpu(size_t size, size_t align);
void harness_free_percpu(void *p);
#define alloc_percpu(type) \
	((type __percpu *)harness_alloc_percpu(sizeof(type), __alignof__(type)))
#define free_percpu(p)		harness_free_percpu(p)
#define per_cpu_ptr(ptr, cpu) \
	((typeof(ptr))((char *)(ptr) + ((unsigned long)(cpu) << HARNESS_PCPU_UNIT_SHIFT)))
/*
 * The current CPU's offset, kept beside harness_cpu by harness_move_to_cpu():
 * one %fs-relative load and an add, as the kernel's %gs:this_cpu_off.
 */
extern __thread unsigned long harness_cpu_off;
#define this_cpu_ptr(ptr)	((typeof(ptr))((char *)(ptr) + harness_cpu_off))
#define raw_cpu_ptr(ptr)	this_cpu_ptr(ptr)

/* ------------------------------------------------------------------ */
/* Memory: pages, the arena, GFP                                       */
/* ------------------------------------------------------------------ */

#define PAGE_SHIFT		12
#define PAGE_SIZE		(1UL << PAGE_SHIFT)
#define PAGE_MASK		(~(PAGE_SIZE - 1))
#define MAX_PAGE_ORDER		10
#define PAGE_ALLOC_COSTLY_ORDER	3
#define ARCH_KMALLOC_MINALIGN	__alignof__(unsigned long long)
#define KMALLOC_MAX_CACHE_SIZE	(2 * PAGE_SIZE)
#define NUMA_NO_NODE		(-1)
#define MAX_NUMNODES		2

/* The arena's base: what the direct map's start is to the kernel. */
extern unsigned long harness_page_offset;
#define PAGE_OFFSET		harness_page_offset

/*
 * The struct page fields smalloc uses, laid out as the kernel lays them:
 * lru and compound_head share a word, so a head page on a list still
 * reads as a head.
 */
struct page {
	unsigned long flags;		/* harness: PG_* below */
	union {
		struct list_head lru;
		unsigned long compound_head;	/* bit 0: tail page */
	};
	unsigned long private;
	int _refcount;			/* atomic: head 1, tails 0 when allocated */
	/* The kernel's is 64 bytes: pfn_to_page() is a shift and an add. */
	unsigned long harness_pad[3];
};

static inline int page_ref_count(const struct page *page)
{
	return __atomic_load_n(&page->_refcount, __ATOMIC_RELAXED);
}

static inline void page_ref_add(struct page *page, int nr)
{
	__atomic_fetch_add(&page->_refcount, nr, __ATOMIC_RELAXED);
}

static inline void page_ref_sub(struct page *page, int nr)
{
	__atomic_fetch_sub(&page->_refcount, nr, __ATOMIC_RELAXED);
}

struct folio;

extern struct page *harness_mem_map;
extern unsigned long harness_nr_pages;

static __always_inline struct page *pfn_to_page(unsigned long pfn)
{
	return harness_mem_map + pfn;
}

static __always_inline unsigned long page_to_pfn(const struct page *page)
{
	return page - harness_mem_map;
}

static __always_inline void *page_address(const struct page *page)
{
	return (void *)(PAGE_OFFSET + (page_to_pfn(page) << PAGE_SHIFT));
}

static __always_inline struct page *virt_to_page(const void *addr)
{
	return pfn_to_page(((unsigned long)addr - PAGE_OFFSET) >> PAGE_SHIFT);
}

static __always_inline struct page *_compound_head(const struct page *page)
{
	unsigned long head = READ_ONCE(page->compound_head);

	if (unlikely(head & 1))
		return (struct page *)(head - 1);
	return (struct page *)page;
}
#define compound_head(page)	((typeof(page))_compound_head(page))

#define page_private(page)		((page)->private)
#define set_page_private(page, v)	((page)->private = (v))

static inline int get_order(unsigned long size)
{
	if (size <= PAGE_SIZE)
		return 0;
	return ilog2_ul(size - 1) - PAGE_SHIFT + 1;
}

/* include/linux/gfp_types.h, the bits smalloc and its tests use */
#define __GFP_DMA		0x01u
#define __GFP_HIGHMEM		0x02u
#define __GFP_DMA32		0x04u
#define __GFP_MOVABLE		0x08u
#define __GFP_RECLAIMABLE	0x10u
#define __GFP_HIGH		0x20u
#define __GFP_IO		0x40u
#define __GFP_FS		0x80u
#define __GFP_ZERO		0x100u
#define __GFP_DIRECT_RECLAIM	0x400u
#define __GFP_KSWAPD_RECLAIM	0x800u
#define __GFP_NOWARN		0x2000u
#define __GFP_RETRY_MAYFAIL	0x4000u
#define __GFP_NOFAIL		0x8000u
#define __GFP_NORETRY		0x10000u
#define __GFP_COMP		0x40000u
#define __GFP_NOMEMALLOC	0x80000u
#define __GFP_MEMALLOC		0x20000u
#define __GFP_HARDWALL		0x100000u
#define __GFP_THISNODE		0x200000u
#define __GFP_ACCOUNT		0x400000u
#define __GFP_RECLAIM		(__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)
#define GFP_ATOMIC		(__GFP_HIGH | __GFP_KSWAPD_RECLAIM)
#define GFP_KERNEL		(__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_KERNEL_ACCOUNT	(GFP_KERNEL | __GFP_ACCOUNT)
#define GFP_NOWAIT		(__GFP_KSWAPD_RECLAIM)
#define GFP_NOIO		(__GFP_RECLAIM)
#define GFP_NOFS		(__GFP_RECLAIM | __GFP_IO)
#define GFP_DMA			__GFP_DMA
#define GFP_DMA32		__GFP_DMA32

static inline bool gfpflags_allow_blocking(const gfp_t gfp_flags)
{
	return !!(gfp_flags & __GFP_DIRECT_RECLAIM);
}

#ifdef HARNESS_FAST
#define might_alloc(gfp)	do { (void)(gfp); } while (0)
#else
#define might_alloc(gfp) do {						\
	if (gfpflags_allow_blocking(gfp))				\
		might_sleep();						\
	} while (0)
#endif

/*
 * init_on_alloc / init_on_free boot policies: off unless a test sets them.
 * The kernel's are static keys; so are these in the benchmark (off).
 */
extern bool harness_init_on_alloc, harness_init_on_free;
#ifdef HARNESS_FAST
#define harness_policy(p)	harness_static_branch_off()
#else
#define harness_policy(p)	READ_ONCE(p)
#endif

static __always_inline bool want_init_on_alloc(gfp_t flags)
{
	if (harness_policy(harness_init_on_alloc))
		return true;
	return flags & __GFP_ZERO;
}

static __always_inline bool want_init_on_free(void)
{
	return harness_policy(harness_init_on_free);
}

/* The page allocator. */
struct page *alloc_pages_node(int nid, gfp_t gfp, unsigned int order);
struct page *alloc_pages(gfp_t gfp, unsigned int order);
void __free_pages(struct page *page, unsigned int order);
#define alloc_page(gfp)		alloc_pages(gfp, 0)
#define __free_page(page)	__free_pages(page, 0)

/*
 * Two NUMA nodes: the arena's lower half is node 0, its upper half node
 * 1; the lower half of the CPUs are node 0's.  alloc_pages_node() takes
 * pages of the node asked for (of the CPU's for NUMA_NO_NODE) if it has
 * any free, of the other one unless __GFP_THISNODE says not to.
 */
#define nr_node_ids		MAX_NUMNODES
#define node_online(nid)	((unsigned int)(nid) < MAX_NUMNODES)
#define num_online_nodes()	MAX_NUMNODES
#define for_each_online_node(nid) for ((nid) = 0; (nid) < MAX_NUMNODES; (nid)++)
static inline unsigned long node_end_pfn(int nid)
{
	return harness_nr_pages;
}

static inline int numa_mem_id(void)
{
	return harness_cpu >= nr_cpu_ids / 2;
}
#define numa_node_id()		numa_mem_id()
int page_to_nid(const struct page *page);

/* kmalloc for foreign objects: every live one is known. */
void *kmalloc(size_t size, gfp_t gfp) __malloc;
void *kmalloc_node(size_t size, gfp_t gfp, int node) __malloc;
void *kzalloc(size_t size, gfp_t gfp) __malloc;
void *kcalloc(size_t n, size_t size, gfp_t gfp) __malloc;
void *krealloc(const void *p, size_t new_size, gfp_t gfp);
void kfree(const void *p);
void kfree_sensitive(const void *p);
/*
 * As on 6.12: the size kmalloc rounded up to, of which only the request
 * may be touched (KASAN there, ASan here: the object is exactly as large
 * as asked for).
 */
size_t ksize(const void *p);
/* The flags of the last page allocation, for the tests. */
extern gfp_t harness_last_page_gfp;
void *vcalloc(size_t n, size_t size);
void *vmalloc(size_t size);
void *vzalloc(size_t size);
void vfree(const void *p);

#define ZERO_SIZE_PTR		((void *)16)
#define ZERO_OR_NULL_PTR(x)	((unsigned long)(x) <= (unsigned long)ZERO_SIZE_PTR)

/*
 * What smalloc asks of memory it did not hand out.  A "folio" here is
 * the address itself: a kmalloc object is slab if it is small, a large
 * folio if not, and only its start is an object.
 */
bool virt_addr_valid(const void *p);
#define virt_to_folio(p)	((struct folio *)(p))
bool folio_test_slab(const struct folio *folio);
bool folio_test_large(const struct folio *folio);
#define folio_address(folio)	((void *)(folio))

struct kmem_cache;
struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
				     unsigned int align, unsigned long flags,
				     void (*ctor)(void *));
void kmem_cache_destroy(struct kmem_cache *s);
void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp) __malloc;
void *kmem_cache_alloc_node(struct kmem_cache *s, gfp_t gfp, int node) __malloc;
void kmem_cache_free(struct kmem_cache *s, void *p);
#define SLAB_NOLEAKTRACE		0x00800000UL
#define KMEM_CACHE(__struct, __flags)					\
	kmem_cache_create(#__struct, sizeof(struct __struct),		\
			  __alignof__(struct __struct), (__flags), NULL)

/* include/linux/poison.h */
#define POISON_INUSE		0x5a
#define POISON_FREE		0x6b
#define POISON_END		0xa5

/* The first byte of @start..+@bytes that is not @c, or NULL. */
static inline void *memchr_inv(const void *start, int c, size_t bytes)
{
	const u8 *p = start;
	size_t i;

	for (i = 0; i < bytes; i++)
		if (p[i] != (u8)c)
			return (void *)(p + i);
	return NULL;
}

static inline unsigned long gcd(unsigned long a, unsigned long b)
{
	while (b) {
		unsigned long t = a % b;

		a = b;
		b = t;
	}
	return a;
}

static inline void memzero_explicit(void *s, size_t count)
{
	memset(s, 0, count);
	barrier();
}

/* Randomness: per-thread xorshift, seeded from the thread's start. */
u64 harness_random(void);
void harness_random_seed(u64 seed);
static inline unsigned long get_random_long(void)
{
	return harness_random();
}

static inline u32 get_random_u32(void)
{
	return (u32)harness_random();
}

static inline u32 get_random_u32_below(u32 ceil)
{
	return (u32)(((u64)get_random_u32() * ceil) >> 32);
}

static inline u32 get_random_u32_inclusive(u32 floor, u32 ceil)
{
	return floor + get_random_u32_below(ceil - floor + 1);
}

/* ------------------------------------------------------------------ */
/* Locks                                                               */
/* ------------------------------------------------------------------ */

typedef struct {
	pthread_mutex_t m;
} spinlock_t;

#define __SPIN_LOCK_UNLOCKED(x)	{ PTHREAD_MUTEX_INITIALIZER }
#define DEFINE_SPINLOCK(x)	spinlock_t x = __SPIN_LOCK_UNLOCKED(x)

static inline void spin_lock_init(spinlock_t *l)
{
	pthread_mutex_init(&l->m, NULL);
}

static inline void spin_lock(spinlock_t *l)
{
	preempt_disable();
	pthread_mutex_lock(&l->m);
}

static inline void spin_unlock(spinlock_t *l)
{
	pthread_mutex_unlock(&l->m);
	preempt_enable();
}

#define spin_lock_irqsave(l, flags) do {				\
	local_irq_save(flags);						\
	pthread_mutex_lock(&(l)->m);					\
	} while (0)
#define spin_unlock_irqrestore(l, flags) do {				\
	pthread_mutex_unlock(&(l)->m);					\
	local_irq_restore(flags);					\
	} while (0)
#define lockdep_assert_held(l)	do { (void)(l); } while (0)

/* Sleeping locks: a pthread mutex (might_sleep() checks the context). */
struct mutex {
	pthread_mutex_t m;
};

#define DEFINE_MUTEX(x)		struct mutex x = { PTHREAD_MUTEX_INITIALIZER }

static inline void mutex_lock(struct mutex *l)
{
	might_sleep();
	pthread_mutex_lock(&l->m);
}

static inline int mutex_trylock(struct mutex *l)
{
	return pthread_mutex_trylock(&l->m) == 0;
}

static inline void mutex_unlock(struct mutex *l)
{
	pthread_mutex_unlock(&l->m);
}

/* ------------------------------------------------------------------ */
/* Time, work items                                                    */
/* ------------------------------------------------------------------ */

#define HZ			1000
#define MSEC_PER_SEC		1000L
#define NSEC_PER_USEC		1000L
#define NSEC_PER_MSEC		1000000L
#define NSEC_PER_SEC		1000000000L
/* jiffies are milliseconds; a fuzzer may drive the clock by hand. */
unsigned long harness_jiffies(void);
#define jiffies			harness_jiffies()
#define msecs_to_jiffies(ms)	((unsigned long)(ms))
#define jiffies_to_msecs(j)	((unsigned int)(j))
#define time_after(a, b)	((long)((b) - (a)) < 0)
#define time_before(a, b)	time_after(b, a)
#define cpu_relax()		__builtin_ia32_pause()
static inline ktime_t ns_to_ktime(u64 ns)
{
	return (ktime_t)ns;
}
void msleep(unsigned int ms);
long schedule_timeout_interruptible(long timeout);
long schedule_timeout_uninterruptible(long timeout);
void usleep_range(unsigned long min, unsigned long max);
void udelay(unsigned long us);

struct work_struct;
typedef void (*work_func_t)(struct work_struct *work);

struct work_struct {
	work_func_t func;
};

struct delayed_work {
	struct work_struct work;
	struct list_head entry;		/* harness timer list */
	unsigned long due;
	unsigned int cpu;
	int pending;			/* atomic */
	int running;
};

struct workqueue_struct;
extern struct workqueue_struct *system_wq;
#define system_unbound_wq	system_wq
/* Unbound: CPU 0's kworker, or any online CPU's if it is offline. */
#define queue_delayed_work(wq, dw, delay) \
	queue_delayed_work_on(0, wq, dw, delay)

#define INIT_WORK(w, f)		do { (w)->func = (f); } while (0)
#define INIT_DELAYED_WORK(dw, f) do {					\
	memset((dw), 0, sizeof(*(dw)));					\
	(dw)->work.func = (f);						\
	INIT_LIST_HEAD(&(dw)->entry);					\
	} while (0)

/* Deferrable: the harness has no idle CPUs to leave asleep. */
#define INIT_DEFERRABLE_WORK(dw, f)	INIT_DELAYED_WORK(dw, f)

static inline struct delayed_work *to_delayed_work(struct work_struct *work)
{
	return container_of(work, struct delayed_work, work);
}

static inline bool delayed_work_pending(struct delayed_work *dw)
{
	return __atomic_load_n(&dw->pending, __ATOMIC_RELAXED);
}

bool queue_delayed_work_on(int cpu, struct workqueue_struct *wq,
			   struct delayed_work *dw, unsigned long delay);
bool mod_delayed_work_on(int cpu, struct workqueue_struct *wq,
			 struct delayed_work *dw, unsigned long delay);
bool cancel_delayed_work(struct delayed_work *dw);
bool cancel_delayed_work_sync(struct delayed_work *dw);
long work_on_cpu(int cpu, long (*fn)(void *), void *arg);

/* ------------------------------------------------------------------ */
/* debugfs and seq_file                                                */
/* ------------------------------------------------------------------ */

struct inode {
	void *i_private;
};

struct file {
	void *private_data;
	struct inode *f_inode;
	loff_t f_pos;
};

struct seq_file {
	char *buf;
	size_t size, count;
	void *private;
	int (*show)(struct seq_file *m, void *v);
};

struct file_operations {
	struct module *owner;
	int (*open)(struct inode *inode, struct file *file);
	ssize_t (*read)(struct file *file, char __user *buf, size_t count,
			loff_t *ppos);
	ssize_t (*write)(struct file *file, const char __user *buf,
			 size_t count, loff_t *ppos);
	loff_t (*llseek)(struct file *file, loff_t offset, int whence);
	int (*release)(struct inode *inode, struct file *file);
};

struct dentry;
typedef unsigned short umode_t;

struct dentry *debugfs_create_dir(const char *name, struct dentry *parent);
struct dentry *debugfs_create_file(const char *name, umode_t mode,
				   struct dentry *parent, void *data,
				   const struct file_operations *fops);
void debugfs_create_u32(const char *name, umode_t mode, struct dentry *parent,
			u32 *value);
void debugfs_create_ulong(const char *name, umode_t mode,
			  struct dentry *parent, unsigned long *value);
void debugfs_create_bool(const char *name, umode_t mode,
			 struct dentry *parent, bool *value);
void debugfs_remove_recursive(struct dentry *dentry);
#define debugfs_remove(d)	debugfs_remove_recursive(d)

void seq_printf(struct seq_file *m, const char *fmt, ...) __printf(2, 3);
void seq_puts(struct seq_file *m, const char *s);
void seq_putc(struct seq_file *m, char c);
void seq_write(struct seq_file *m, const void *data, size_t len);
int single_open(struct file *file, int (*show)(struct seq_file *, void *),
		void *data);
int single_release(struct inode *inode, struct file *file);
ssize_t seq_read(struct file *file, char __user *buf, size_t size,
		 loff_t *ppos);
loff_t seq_lseek(struct file *file, loff_t offset, int whence);
loff_t noop_llseek(struct file *file, loff_t offset, int whence);
ssize_t simple_read_from_buffer(void __user *to, size_t count, loff_t *ppos,
				const void *from, size_t available);
int kstrtouint_from_user(const char __user *s, size_t count, unsigned int base,
			 unsigned int *res);
int kstrtoul_from_user(const char __user *s, size_t count, unsigned int base,
		       unsigned long *res);

static inline unsigned long copy_from_user(void *to, const void __user *from,
					   unsigned long n)
{
	memcpy(to, from, n);
	return 0;
}

static inline unsigned long copy_to_user(void __user *to, const void *from,
					 unsigned long n)
{
	memcpy(to, from, n);
	return 0;
}

/* fs/libfs.c simple attributes: one number, read and written as text. */
int simple_attr_open(struct inode *inode, struct file *file,
		     int (*get)(void *, u64 *), int (*set)(void *, u64),
		     const char *fmt);
int simple_attr_release(struct inode *inode, struct file *file);
ssize_t simple_attr_read(struct file *file, char __user *buf, size_t len,
			 loff_t *ppos);
ssize_t simple_attr_write(struct file *file, const char __user *buf,
			  size_t len, loff_t *ppos);
loff_t generic_file_llseek(struct file *file, loff_t offset, int whence);
#define no_llseek		noop_llseek
#define default_llseek		generic_file_llseek
#define debugfs_attr_read	simple_attr_read
#define debugfs_attr_write	simple_attr_write
#define debugfs_create_file_unsafe debugfs_create_file

#define DEFINE_SIMPLE_ATTRIBUTE(__fops, __get, __set, __fmt)		\
static int __fops ## _open(struct inode *inode, struct file *file)	\
{									\
	if (0)								\
		printf(__fmt, 0ULL);	/* format check */		\
	return simple_attr_open(inode, file, __get, __set, __fmt);	\
}									\
static const struct file_operations __fops = {				\
	.owner	 = THIS_MODULE,						\
	.open	 = __fops ## _open,					\
	.release = simple_attr_release,					\
	.read	 = simple_attr_read,					\
	.write	 = simple_attr_write,					\
	.llseek	 = generic_file_llseek,					\
}
#define DEFINE_DEBUGFS_ATTRIBUTE(__fops, __get, __set, __fmt)		\
	DEFINE_SIMPLE_ATTRIBUTE(__fops, __get, __set, __fmt)

#define DEFINE_SHOW_ATTRIBUTE(__name)					\
static int __name ## _open(struct inode *inode, struct file *file)	\
{									\
	return single_open(file, __name ## _show, inode->i_private);	\
}									\
									\
static const struct file_operations __name ## _fops = {			\
	.owner		= THIS_MODULE,					\
	.open		= __name ## _open,				\
	.read		= seq_read,					\
	.llseek		= seq_lseek,					\
	.release	= single_release,				\
}

/* ------------------------------------------------------------------ */
/* Shrinkers                                                           */
/* ------------------------------------------------------------------ */

#define SHRINK_STOP		(~0UL)
#define SHRINK_EMPTY		(~0UL - 1)
#define DEFAULT_SEEKS		2

struct shrink_control {
	gfp_t gfp_mask;
	int nid;
	unsigned long nr_to_scan;
	unsigned long nr_scanned;
};

struct shrinker {
	unsigned long (*count_objects)(struct shrinker *,
				       struct shrink_control *sc);
	unsigned long (*scan_objects)(struct shrinker *,
				      struct shrink_control *sc);
	int seeks;
	char name[32];
};

/*
 * The kernel seam's helpers over the 6.1/6.12 shrinker interfaces; here
 * one registered shrinker that harness_shrink() drives as reclaim would.
 */
struct shrinker *smalloc_shrinker_create(const char *name,
		unsigned long (*count)(struct shrinker *, struct shrink_control *),
		unsigned long (*scan)(struct shrinker *, struct shrink_control *));
void smalloc_shrinker_destroy(struct shrinker *s);

/* ------------------------------------------------------------------ */
/* What the harness adds: set-up, and hooks for tests                  */
/* ------------------------------------------------------------------ */

/* Bring up the arena, the CPUs and smalloc itself (harness_module_init). */
int harness_init(unsigned int nr_cpus, unsigned long arena_mib);
void harness_exit(void);

/* Run the calling thread on @cpu (pinned), or unpin it (-1). */
void harness_set_cpu(int cpu);
/* Make the calling thread a handler of @ctx on its CPU, or task again. */
void harness_enter_ctx(enum harness_ctx ctx);
void harness_exit_ctx(void);

/* Page allocator: pages out, and injected failures. */
extern long harness_pages_out;			/* atomic */
extern int harness_fail_page_allocs;		/* atomic: fail the next N */
extern int harness_fail_kmem_allocs;		/* atomic: fail the next N */
extern int harness_fail_kmallocs;		/* atomic: fail the next N */
long harness_kmalloc_live(void);
long harness_kmem_live(void);

/* Run work_on_cpu() on the calling thread instead of a new one. */
extern bool harness_inline_work;
/* Drive the clock by hand and run due work from harness_run_due_work(). */
extern bool harness_manual_clock;
void harness_advance_clock(unsigned long ms);
void harness_run_due_work(void);

/*
 * irq_work: queued from any context (NMI included), run in hardirq
 * context on the queueing CPU when it leaves NMI (harness_exit_ctx()), or
 * by irq_work_sync().
 */
struct irq_work {
	void (*func)(struct irq_work *work);
	int pending;			/* atomic */
};

#define IRQ_WORK_INIT(f)		{ .func = (f) }
#define DEFINE_IRQ_WORK(name, f)	struct irq_work name = IRQ_WORK_INIT(f)
bool irq_work_queue(struct irq_work *work);
void irq_work_sync(struct irq_work *work);

/*
 * RCU: callbacks wait on a list until rcu_barrier() or synchronize_rcu()
 * ends the "grace period" and runs them in softirq context; so a test can
 * see that nothing is freed before one.
 */
struct rcu_head {
	struct rcu_head *next;
	void (*func)(struct rcu_head *head);
};

typedef void (*rcu_callback_t)(struct rcu_head *head);
void call_rcu(struct rcu_head *head, rcu_callback_t func);
/* No grace period ends but in rcu_barrier(): readers need do nothing. */
#define rcu_read_lock()		do { } while (0)
#define rcu_read_unlock()	do { } while (0)
void rcu_barrier(void);
void synchronize_rcu(void);
void harness_kvfree_call_rcu(struct rcu_head *head, void *ptr);
unsigned long harness_rcu_pending(void);

static inline void smalloc_kfree_call_rcu(struct rcu_head *head, void *ptr)
{
	harness_kvfree_call_rcu(head, ptr);
}

/*
 * KASAN, KMSAN: the harness builds without them (SMALLOC_DEBUG is 0,
 * smalloc_debug.c is empty); ASan watches the harness itself.
 */
#define __no_kasan_or_inline		__always_inline
#define OPTIMIZER_HIDE_VAR(var)		__asm__ ("" : "=r" (var) : "0" (var))
/* The harness's builds pair ASan with UBSan, as KASAN kernels may. */
#define __no_sanitize_address		__attribute__((no_sanitize("address", "undefined")))
#define __no_sanitize_thread		__attribute__((no_sanitize("thread")))
extern void (*harness_kasan_disable_hook)(void);
/*
 * The moment before smalloc writes a whole block: a test may run another
 * CPU's free there (harness_test.c's racing double frees).
 */
#define kasan_disable_current() do {					\
	if (harness_kasan_disable_hook)					\
		harness_kasan_disable_hook();				\
} while (0)
#define kasan_enable_current()		do { } while (0)

/*
 * Tracepoints (smalloc_trace.h, whose guard this defines): never enabled
 * here.  In the benchmark each costs what a disabled one costs in the
 * kernel, its static-key nop.
 */
#define _TRACE_SMALLOC_H
#ifdef HARNESS_FAST
#define harness_tracepoint_on()	harness_static_branch_off()
#else
#define harness_tracepoint_on()	false
#endif
#define HARNESS_TRACE_EVENT(name, ...)					\
static __always_inline bool trace_##name##_enabled(void)		\
{									\
	return harness_tracepoint_on();					\
}									\
static __always_inline void trace_##name(__VA_ARGS__)			\
{									\
	(void)harness_tracepoint_on();					\
}
HARNESS_TRACE_EVENT(smalloc_alloc, unsigned long call_site, const void *ptr,
		    size_t bytes_req, size_t bytes_alloc, gfp_t gfp_flags,
		    int node)
HARNESS_TRACE_EVENT(smalloc_free, unsigned long call_site, const void *ptr)
HARNESS_TRACE_EVENT(smalloc_free_rcu, unsigned long call_site, const void *ptr)
HARNESS_TRACE_EVENT(smalloc_rcu_batch, size_t nr)
HARNESS_TRACE_EVENT(smalloc_alloc_bulk, unsigned long call_site,
		    size_t bytes_req, size_t bytes_alloc, gfp_t gfp_flags,
		    size_t nr_req, size_t nr_done)
HARNESS_TRACE_EVENT(smalloc_free_bulk, unsigned long call_site, size_t nr)

/* kmemleak: nothing to scan in user space (LeakSanitizer does that). */
#define kmemleak_alloc(ptr, size, min_count, gfp)	do { } while (0)
#define kmemleak_free(ptr)				do { } while (0)

/* PF_MEMALLOC of the current "task" (smalloc_kernel.h's seam). */
extern __thread bool harness_task_memalloc;
static inline bool smalloc_task_memalloc(void)
{
	return harness_task_memalloc;
}
unsigned int harness_pending_work(void);
extern long harness_work_queued;
void harness_start_kworker(void);
void harness_stop_kworker(void);

/* Reclaim: count, then scan @nr objects; returns what scan returned. */
unsigned long harness_shrink(unsigned long nr, unsigned long *count);

/* debugfs from the tests: read a file into @buf, or write to it. */
ssize_t harness_debugfs_read(const char *path, char *buf, size_t size);
ssize_t harness_debugfs_write(const char *path, const char *buf, size_t len);

#endif /* _SMALLOC_KERNEL_H */
