/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * data structures shared by the smalloc sources.
 *
 * The locking and context rules are stated at the top of smalloc_main.c;
 * each field below says who may touch it.  "Owner" means: code running on
 * the heap's CPU, in the heap's context level, with preemption disabled
 * (smalloc_heap_get()), or a drain that has excluded that context level on
 * that CPU, or any CPU once the heap's CPU is dead.
 */
#ifndef _SMALLOC_INTERNAL_H
#define _SMALLOC_INTERNAL_H

#include "smalloc_kernel.h"
#include <smalloc.h>

/* ------------------------------------------------------------------ */
/* Size classes                                                        */
/* ------------------------------------------------------------------ */

/* Every block is at least this aligned; kmalloc promises the same. */
#define SMALLOC_MIN_ALIGN	max_t(size_t, ARCH_KMALLOC_MINALIGN, sizeof(void *))
#define SMALLOC_WORD_SHIFT	3	/* class table granularity: 8 bytes */

/* Largest request served from size classes; above it, whole pages. */
#define SMALLOC_MAX_SIZE	8192
/*
 * The direct cache: one slot per 8 bytes of request size up to
 * SMALLOC_DIRECT_MAX (one index, one pop, as mimalloc's pages_free_direct),
 * then one slot per class above it, found through the class table.
 */
#define SMALLOC_DIRECT_MAX	1024
#define SMALLOC_DIRECT_SLOTS	((SMALLOC_DIRECT_MAX >> SMALLOC_WORD_SHIFT) + 1)
/* Classes up to SMALLOC_DIRECT_MAX (checked by smalloc_classes_init()). */
#define SMALLOC_NR_SMALL_CLASSES	24
#define SMALLOC_DIRECT_BIG_BASE	(SMALLOC_DIRECT_SLOTS - SMALLOC_NR_SMALL_CLASSES)
#define SMALLOC_DIRECT_NR	(SMALLOC_DIRECT_BIG_BASE + SMALLOC_NR_CLASSES)
/* Largest page order used for a class span (PAGE_ALLOC_COSTLY_ORDER). */
#define SMALLOC_MAX_SPAN_ORDER	3
/*
 * A span holds at least this many blocks unless the order cap forbids: so
 * many that a burst does not walk from span to span on the slow path (SLUB
 * aims at 16 or more objects per slab too).  That order is a class's
 * min_order, what a span falls back to when its preferred order cannot be
 * had without reclaim.
 */
#define SMALLOC_MIN_BLOCKS	16
/*
 * The preferred order is the largest up to SMALLOC_MAX_SPAN_ORDER whose
 * span holds at most this many blocks: big spans spread the descriptor
 * (and the tail a class size leaves) over more blocks, and a burst meets
 * the slow path less often; the bound keeps tiny classes from spans of
 * thousands of blocks that one heap would sit on.
 */
#define SMALLOC_MAX_BLOCKS	512
/* Blocks carved at least per extension of a span's free list. */
#define SMALLOC_MIN_EXTEND	8
/* Largest request at all: what one page allocation can give. */
#define SMALLOC_LARGE_MAX	(PAGE_SIZE << MAX_PAGE_ORDER)

#define SMALLOC_NR_CLASSES	36

struct smalloc_class {
	unsigned int size;	/* block size in bytes */
	unsigned int order;	/* preferred page order of a span */
	unsigned int blocks;	/* blocks per span of that order */
	unsigned int min_order;	/* fallback order: SMALLOC_MIN_BLOCKS blocks */
	u8 wmin, wmax;		/* direct-cache slots served */
};

extern struct smalloc_class smalloc_classes[SMALLOC_NR_CLASSES];
extern u8 smalloc_size_index[SMALLOC_MAX_SIZE >> SMALLOC_WORD_SHIFT];

/* Class for a request of 1..SMALLOC_MAX_SIZE bytes. */
static inline unsigned int smalloc_size_class(size_t size)
{
	return smalloc_size_index[(size - 1) >> SMALLOC_WORD_SHIFT];
}

/* Direct-cache slot for a request of 1..SMALLOC_DIRECT_MAX bytes. */
static inline unsigned long smalloc_direct_slot(size_t size)
{
	/* size - 1, not size + 7: the caller's range test computed it. */
	return ((size - 1) >> SMALLOC_WORD_SHIFT) + 1;
}

/* Direct-cache slot for SMALLOC_DIRECT_MAX < @size <= SMALLOC_MAX_SIZE. */
static inline unsigned int smalloc_direct_big_slot(size_t size)
{
	return SMALLOC_DIRECT_BIG_BASE + smalloc_size_class(size);
}

int smalloc_classes_init(void);

/* ------------------------------------------------------------------ */
/* Pages                                                               */
/* ------------------------------------------------------------------ */

/*
 * struct smalloc_page - one span of 2^order physical pages carved into
 * blocks of one size class.
 *
 * Three free lists, as in mimalloc:
 *
 *   free        blocks allocation pops.  Owner only.
 *   local_free  blocks the owner freed.  Owner only.  Moved to free when
 *               free runs dry (collect) or when the page is retired or
 *               on a retire heartbeat (promotion).
 *   xthread_free blocks freed by anyone but the owner: a lock-free stack,
 *               pushed with cmpxchg by any CPU in any context, taken whole
 *               by the owner with xchg.  The push that finds it empty
 *               also sets the page's class in the owner heap's
 *               remote_classes, so that the owner's next heartbeat (or
 *               idle check) collects it wherever the page sits.
 *
 * @used counts blocks handed out and not yet back on free or local_free,
 * so blocks sitting on xthread_free still count as used; while the page
 * is on its heap's full list the field holds that count minus
 * SMALLOC_USED_FULL_BIAS (smalloc_page_used() reads the count).  The
 * invariant, checked by smalloc_page_check():
 *
 *     used + |free| + |local_free| == capacity <= reserved
 *     |xthread_free| <= used
 *
 * which is the brief's "used - |thread_free| + |free| + |local_free| +
 * |thread_free| == capacity" with the remote blocks counted once.
 * @capacity is how many blocks have been carved so far (extension is lazy);
 * @reserved how many fit in the span.
 *
 * Next pointers inside free blocks are stored encoded with the two random
 * @key (see smalloc_block_next()), so a stray write or a leaked pointer
 * does not give a usable list.
 *
 * @live has one byte per block number (smalloc_block_index()): 1 while
 * the block is handed out, 0 while it is free or not carved yet, and 0
 * for the number a span's tail would have.  It is the exact double-free
 * check: sfree() frees only a block whose byte is 1.  The owner sets it
 * when it pops the block and clears it with a plain store when the block
 * comes back locally; a remote free clears it with xchg and pushes only
 * if it took the 1 (smalloc_free_foreign()).  A free from another context
 * level of the owner's CPU clears it as the owner would: with a plain
 * store when it frees locally, with cmpxchg_local() when it pushes onto
 * ctx_free; neither is atomic against a free of the same block from
 * another CPU at the same instant, as the owner's own free is not.
 * Bytes, not bits: the owner's plain stores and a remote xchg never share
 * a read-modify-write.
 */
struct smalloc_page {
	void *free;			/* owner */
	void *local_free;		/* owner */
	int used;			/* owner: see smalloc_page_used() */
	unsigned int capacity;		/* owner */
	unsigned int reserved;		/* constant */
	unsigned int block_size;	/* constant */
	/* Owner writes (WRITE_ONCE), anyone reads: capacity * block_size. */
	unsigned int carved;
	u64 magic;			/* constant: smalloc_block_index() */
	u8 class;			/* constant */
	u8 order;			/* constant */
	u8 flags;			/* owner: SMALLOC_PAGE_* */
	u8 retire_expire;		/* owner: heartbeats left while retired */
	u8 retire_cycles;		/* constant: retire_expire's start */
	unsigned long key[2];		/* constant: smalloc_block_next() */
	void *start;			/* constant: span address */
	struct smalloc_heap *heap;	/* constant: owning heap */
	struct list_head list;		/* owner: class queue or full list */
	struct list_head retired;	/* owner: heap->retired while retired */
	atomic_long_t xthread_free;	/* anyone: remote free stack */
	u8 live[SMALLOC_MAX_BLOCKS + 1];	/* owner sets, see above */
};

#define SMALLOC_PAGE_IN_FULL	0x1	/* on heap->full[class] */
#define SMALLOC_PAGE_IN_RETIRED	0x2	/* on heap->retired */

/*
 * ->used of a page on the full list is its count of used blocks minus
 * this, and so negative: the local free's one test of the decremented
 * field (> 0: nothing more to do) then catches both a page it emptied
 * and a page to take off the full list, where testing the flag too took
 * two more instructions on every free.  Set and taken off with the flag
 * (smalloc_heap_to_full(), smalloc_page_clear_full()); a remote collection
 * subtracts from the biased value as from any.  Only the heap's owner
 * reads or writes ->used and the flag (a remote free touches neither; a
 * free from another context level of the CPU does, as the owner, with
 * the owner kept out: smalloc_remote.c), so the two, changed one after
 * the other, are never seen apart.
 */
#define SMALLOC_USED_FULL_BIAS	((int)BIT(30))

/* The page's used blocks, whichever list it is on.  Owner only. */
static inline unsigned int smalloc_page_used(const struct smalloc_page *page)
{
	return page->used + ((page->flags & SMALLOC_PAGE_IN_FULL) ?
			     SMALLOC_USED_FULL_BIAS : 0);
}

/*
 * ->private of smalloc's frames.  Every frame of a span: the descriptor's
 * address, untagged, so that no subtraction precedes its use.  The head
 * frame of a large (page allocator) allocation: its order << 2 |
 * SMALLOC_LARGE_TAG, below SMALLOC_SPAN_MIN as zero is, which a frame has
 * for a moment while a span is set up or torn down: a pointer racing that
 * (a caller's bug) is never taken for a block.  A descriptor's address is
 * never below SMALLOC_SPAN_MIN (nothing is mapped in the first page).
 */
#define SMALLOC_SPAN_MIN	PAGE_SIZE
#define SMALLOC_LARGE_TAG	0x2UL
#define SMALLOC_TAG_MASK	0x3UL

/*
 * The first word of a block, which holds the encoded next pointer while
 * the block is free.  On a KASAN kernel a free block is poisoned (see
 * smalloc_debug.c) and these are the allocator's own accesses to it: not
 * instrumented, as SLUB's free-pointer accesses are not (mm/Makefile
 * builds slub.o without KASAN).  Elsewhere they are plain inline loads
 * and stores.
 */
static __no_kasan_or_inline unsigned long smalloc_block_word(const void *block)
{
	return *(const unsigned long *)block;
}

static __no_kasan_or_inline void smalloc_block_set_word(void *block,
							unsigned long v)
{
	*(unsigned long *)block = v;
}

/*
 * A free block's next pointer is stored as mimalloc's secure mode stores
 * it: rotl(next ^ key[1], SMALLOC_KEY_ROT) + key[0], with two random keys
 * per page.  A leaked pair (next, stored word) gives neither key, NULL is
 * encoded like any pointer, and decoding is a subtract, a rotate and an
 * xor, with no copy of the block's address to scramble (the XOR with one
 * key and swab(block) of SLAB_FREELIST_HARDENED took two more
 * instructions per pop and per push).  The rotation is fixed, where
 * mimalloc takes it from key[0]: a variable one needs %cl and a move.
 */
#define SMALLOC_KEY_ROT		17

static inline void *smalloc_block_next(const struct smalloc_page *page,
				       const void *block)
{
	unsigned long v = smalloc_block_word(block);

	return (void *)(ror64(v - page->key[0], SMALLOC_KEY_ROT) ^ page->key[1]);
}

/* @next as a free block stores it, with the page's keys @key0, @key1. */
static inline unsigned long smalloc_next_encode(unsigned long key0,
						unsigned long key1,
						const void *next)
{
	return rol64((unsigned long)next ^ key1, SMALLOC_KEY_ROT) + key0;
}

static inline void smalloc_block_set_next(const struct smalloc_page *page,
					  void *block, const void *next)
{
	smalloc_block_set_word(block, smalloc_next_encode(page->key[0],
							  page->key[1], next));
}

/*
 * Block number and boundary test of @p, a pointer into @page's span, in
 * one multiply: with magic = 2^64 / size rounded up and off = p - start
 * below 2^32, the high half of off * magic is off / size, and the low half
 * is below magic exactly when size divides off (Lemire, Kaser and Kurz,
 * "Faster remainder by direct computation", 2019).  off is below the
 * span's size, so the number is at most page->reserved.
 */
static __always_inline bool smalloc_block_index(const struct smalloc_page *page,
						const void *p,
						unsigned long *index)
{
	unsigned long lo = (unsigned long)p - (unsigned long)page->start;
	bool divides;

	/*
	 * mulq, not unsigned __int128: a 16-byte-aligned type makes GCC
	 * realign the kernel's 8-byte-aligned stack in every caller.  The
	 * compare takes magic from memory as the multiply does: left to C,
	 * GCC loads it into a register first, one more instruction per
	 * sfree().  That second read comes after mulq wrote %rdx, so the
	 * index is early-clobber: else the compiler may address magic
	 * through %rdx (block_index_is_exact_wherever_the_page_is).
	 */
	asm("mulq %[magic]\n\tcmpq %[magic], %[lo]" CC_SET(b)
	    : [lo] "+a" (lo), "=&d" (*index), CC_OUT(b) (divides)
	    : [magic] "m" (page->magic));
	return divides;
}

/* The block number of @block, a block start. */
static __always_inline unsigned long smalloc_block_number(const struct smalloc_page *page,
							  const void *block)
{
	unsigned long lo = (unsigned long)block - (unsigned long)page->start;
	unsigned long index;

	/* smalloc_block_index()'s multiply, without its compare. */
	asm("mulq %[magic]" : "+a" (lo), "=d" (index)
	    : [magic] "rm" (page->magic) : "cc");
	return index;
}

/*
 * Is @p a block of @page that is handed out?  Exact: false for a pointer
 * inside a block, a block not carved yet, the span's tail and a block on
 * any free list.  *@index is its number if so.  Read without the owner's
 * exclusion: whoever holds a live block was ordered after the pop that set
 * its byte; a racing change can only come from a second free of it, which
 * the remote path's xchg settles (so data_race(): a plain load, which the
 * compiler folds into a compare with memory, unlike READ_ONCE()'s).
 */
static __always_inline bool smalloc_block_live(const struct smalloc_page *page,
					       const void *p,
					       unsigned long *index)
{
	return smalloc_block_index(page, p, index) &&
	       /* racy only against a second free of the block: see above */
	       data_race(page->live[*index]);
}

/*
 * Pop from page->free.  Owner only; page->free must not be NULL.  The
 * block's first word keeps its encoded next pointer (as SLUB's and
 * mimalloc's do): it is encoded, and no check reads it any more.
 */
static __always_inline void *smalloc_page_pop(struct smalloc_page *page)
{
	void *block = page->free;

	page->free = smalloc_block_next(page, block);
	page->used++;
	WRITE_ONCE(page->live[smalloc_block_number(page, block)], 1);
	return block;
}

/* Ownership map: one bit per page frame that belongs to smalloc. */
extern unsigned long *smalloc_pfn_map;
extern unsigned long smalloc_pfn_limit;

/*
 * The pfn of a direct-map address, or a value >= smalloc_pfn_limit for
 * anything else (NULL, ZERO_SIZE_PTR, vmalloc, module data, stack...).
 * This is the x86_64 direct map's arithmetic, with no call and no range
 * check of its own (the map's limit is the check): smalloc_kernel.h and
 * Kconfig refuse to build for anything else.
 */
static __always_inline unsigned long smalloc_addr_pfn(const void *p)
{
	return ((unsigned long)p - PAGE_OFFSET) >> PAGE_SHIFT;
}

static __always_inline bool smalloc_pfn_owned(unsigned long pfn)
{
	return pfn < smalloc_pfn_limit && test_bit(pfn, smalloc_pfn_map);
}

/*
 * ->private of the frame holding @p if smalloc owns it, 0 for anything
 * else: one compare (smalloc_priv_is_span()) tells a block of a span
 * from everything else.
 *
 * No barrier: the map bit and ->private are written before the span's
 * first block is handed out and cleared after its last one came back, so
 * whoever holds a live block was ordered after the first by however the
 * block reached it, and cannot race the second.  Only a pointer that is
 * no live block (a double free, a use after free) can race a span's set-up
 * or release.  During set-up it finds nothing carved, which
 * smalloc_block_valid() refuses; racing the release it may read ->private
 * after the frames went back to the page allocator (a buddy order, or a
 * new owner's value), which is not guarded against: that would take a
 * second map test after the load, on every free.
 */
static __always_inline unsigned long smalloc_ptr_private(const void *p)
{
	unsigned long pfn = smalloc_addr_pfn(p);

	if (unlikely(!smalloc_pfn_owned(pfn)))
		return 0;
	return page_private(pfn_to_page(pfn));
}

/* Does ->private @priv name a span's descriptor? */
static __always_inline bool smalloc_priv_is_span(unsigned long priv)
{
	return priv >= SMALLOC_SPAN_MIN;
}

/* The descriptor ->private @priv names (smalloc_priv_is_span()). */
static __always_inline struct smalloc_page *smalloc_span_of(unsigned long priv)
{
	return (struct smalloc_page *)priv;
}

/*
 * The smalloc page holding @p, or NULL if @p is not inside a class span
 * (foreign pointers, large allocations).  O(1): a bit test and the frame's
 * struct page.  Does not check that @p is a block boundary.
 */
static __always_inline struct smalloc_page *smalloc_ptr_to_page(const void *p)
{
	unsigned long priv = smalloc_ptr_private(p);

	if (unlikely(!smalloc_priv_is_span(priv)))
		return NULL;
	return smalloc_span_of(priv);
}

/*
 * Is @p the start of a block carved so far, live or free?  Lemire's
 * divisibility test (see smalloc_block_index()): off % size == 0 exactly
 * when off * magic < magic (mod 2^64); one multiply and no load of size.
 *
 * @carved is read without the owner's exclusion: it only grows, and
 * whoever holds a block of the page was ordered after the extension that
 * carved it (the block was handed out after), so it sees a value beyond
 * that block.  A stale smaller value can only refuse a pointer that is no
 * live block of the caller's.
 */
static __always_inline bool smalloc_block_valid(const struct smalloc_page *page,
						const void *p)
{
	unsigned long off = (unsigned long)p - (unsigned long)page->start;

	/*
	 * Past the carved end, test 1 instead, which no block size divides:
	 * one branch for the caller rather than two.
	 */
	off = off < READ_ONCE(page->carved) ? off : 1;
	return (u64)off * page->magic < page->magic;
}

struct smalloc_page *smalloc_page_new(unsigned int class, gfp_t gfp, int node);
void smalloc_page_release(struct smalloc_page *page);
bool smalloc_page_extend(struct smalloc_page *page);
void smalloc_page_collect(struct smalloc_page *page);
void smalloc_page_promote(struct smalloc_page *page);
unsigned int smalloc_page_remote_count(const struct smalloc_page *page);
int smalloc_page_check(const struct smalloc_page *page);
bool smalloc_page_holds_free(const struct smalloc_page *page, const void *block);
void *smalloc_large_alloc(size_t size, gfp_t gfp, int node);
bool smalloc_large_free(void *p, struct page *head);
size_t smalloc_large_size(const struct page *head);
unsigned long smalloc_large_abandon_all(void);
void smalloc_page_abandon(struct smalloc_page *page);
unsigned long smalloc_large_count(void);
int smalloc_pfn_map_init(void);
void smalloc_pfn_map_exit(void);
int smalloc_page_cache_init(void);
void smalloc_page_cache_exit(void);

/* Consume one injected failure of @hook, if any is pending. */
static inline bool smalloc_should_fail(atomic_t *hook)
{
	return unlikely(atomic_read(hook) > 0) &&
	       atomic_dec_if_positive(hook) >= 0;
}

/* Pages (4 KiB units) taken from the page allocator and not yet returned. */
extern atomic_long_t smalloc_nr_pages;
/* Test hooks: fail this many upcoming span (or large) allocations ... */
extern atomic_t smalloc_fail_pages;
/* ... or attempts at a span's preferred order (it falls back) ... */
extern atomic_t smalloc_fail_high_order;
/* ... or make this many page allocations land above the map (hotplug). */
extern atomic_t smalloc_fail_above_map;

/* ------------------------------------------------------------------ */
/* Statistics                                                          */
/* ------------------------------------------------------------------ */

enum smalloc_stat {
	SMALLOC_ALLOC_FAST,		/* served by the direct cache */
	SMALLOC_ALLOC_SLOW,		/* served by the generic path */
	SMALLOC_ALLOC_FAIL,		/* returned NULL */
	SMALLOC_FREE_LOCAL,		/* onto local_free by the owner */
	SMALLOC_FREE_REMOTE,		/* onto another heap's xthread_free */
	SMALLOC_FREE_DELAYED,		/* remote frees that notified the owner */
	SMALLOC_FREE_CTX,		/* into another level's heap, this CPU */
	SMALLOC_REMOTE_COLLECTED,	/* blocks the owner took back */
	SMALLOC_PAGE_ALLOC,		/* spans from the page allocator */
	SMALLOC_PAGE_FREE,		/* spans given back */
	SMALLOC_PAGE_FULL,		/* moves to the full queue */
	SMALLOC_PAGE_RETIRED,		/* emptied pages kept */
	SMALLOC_PROMOTE,		/* local_free moved to free */
	SMALLOC_RETIRED_REUSED,		/* retired pages allocated from again */
	SMALLOC_RETIRED_RELEASED,	/* retired pages that expired */
	SMALLOC_HEARTBEAT,		/* retire heartbeats */
	SMALLOC_LARGE_ALLOC,
	SMALLOC_LARGE_FREE,
	SMALLOC_FOREIGN_FREE,		/* kmalloc objects passed to kfree */
	SMALLOC_INVALID_FREE,		/* pointers reported and ignored */
	SMALLOC_DOUBLE_FREE,		/* of which blocks freed twice */
	SMALLOC_POISON_BAD,		/* blocks written after free */
	SMALLOC_RCU_QUEUED,		/* sfree_rcu() objects batched */
	SMALLOC_RCU_BATCHES,		/* batches handed to RCU */
	SMALLOC_RCU_SINGLE,		/* objects given their own callback */
	SMALLOC_NR_STATS
};

extern const char *const smalloc_stat_names[SMALLOC_NR_STATS];

/* ------------------------------------------------------------------ */
/* Heaps                                                               */
/* ------------------------------------------------------------------ */

/*
 * One heap per CPU per context level (task, softirq, hardirq), so that the
 * fast paths need neither locks nor atomics nor disabled interrupts: code
 * in one level can only be interrupted by a higher level, which uses its
 * own heap.  The fourth slot catches NMI: its direct cache is always empty,
 * so allocation falls to the slow path, which refuses; block frees from it
 * take the (NMI-safe) remote path, and anything else is deferred to an
 * irq_work (smalloc_main.c).
 */
enum smalloc_ctx {
	SMALLOC_CTX_TASK,
	SMALLOC_CTX_SOFTIRQ,
	SMALLOC_CTX_HARDIRQ,
	SMALLOC_CTX_NMI,
	SMALLOC_NR_CTX
};

struct smalloc_heap {
	/* Owner only. */
	struct smalloc_page *direct[SMALLOC_DIRECT_NR];
	struct list_head queue[SMALLOC_NR_CLASSES];	/* pages with room */
	struct list_head full[SMALLOC_NR_CLASSES];	/* pages without */
	struct list_head retired;			/* empty pages kept */
	u8 nr_retired[SMALLOC_NR_CLASSES];
	/* Owner writes (WRITE_ONCE); the shrinker's count reads. */
	unsigned long nr_pages;		/* spans held */
	unsigned long retired_frames;	/* 4 KiB frames of retired spans */
	unsigned long heartbeats;
	unsigned long idle_mark;	/* heartbeats at the last idle check */
	struct smalloc_rcu_batch *rcu_batch;	/* sfree_rcu() batch filling */
	unsigned int cpu;
	enum smalloc_ctx ctx;
#ifdef CONFIG_SMALLOC_STATS
	unsigned long stat[SMALLOC_NR_STATS];
#endif
	/*
	 * Anyone sets, the owner takes with xchg: bit c says a page of class
	 * c got a remote free into an empty xthread_free since the owner last
	 * looked.  So a page emptied by remote frees is found, on the full
	 * list or in its queue, by the next heartbeat or idle check, however
	 * busy the heap is elsewhere.
	 */
	atomic_long_t remote_classes;
	/*
	 * Blocks of this heap's pages freed by a higher context level of the
	 * same CPU (a softirq freeing what a task allocated): pushed by them
	 * with cmpxchg_local(), taken by the owner the same way
	 * (smalloc_remote.c).  Only this CPU touches it while it is online.
	 */
	void *ctx_free;
};

/*
 * heap->cpu of the node pools' heaps (smalloc_node.c): no CPU owns them,
 * whoever holds the pool's lock does, and every free into them is remote.
 */
#define SMALLOC_POOL_CPU	UINT_MAX

struct smalloc_node_pool {
	spinlock_t lock;		/* irqsave: makes its holder the owner */
	struct smalloc_heap heap;
	struct delayed_work idle_work;
	int node;
};

extern struct smalloc_node_pool *smalloc_pools;	/* [nr_node_ids] or NULL */
int smalloc_pools_init(void);
unsigned long smalloc_pools_exit(void);
void *smalloc_pool_alloc(size_t size, gfp_t gfp, int node,
			 struct smalloc_page **pagep);
void smalloc_pool_arm_idle(struct smalloc_heap *heap);
long smalloc_pools_call(long (*fn)(struct smalloc_heap *heap, void *arg),
			void *arg);
unsigned long smalloc_pools_drain(void);
unsigned long smalloc_heap_reclaimable(const struct smalloc_heap *heap);
unsigned long smalloc_pools_retired(void);

struct smalloc_cpu {
	struct smalloc_heap heap[SMALLOC_NR_CTX];
	struct delayed_work idle_work;
	struct delayed_work rcu_work;	/* hands partial RCU batches over */
	bool drain_now;		/* the idle work drains whatever the heartbeat */
	unsigned int cpu;
};

extern struct smalloc_cpu __percpu *smalloc_cpus;
extern struct smalloc_page smalloc_empty_page;

/*
 * The heap for the current CPU and context level, with preemption disabled
 * until smalloc_heap_put().  interrupt_context_level() reads preempt_count
 * only; in task context, disabled preemption is what makes the heap ours.
 * Task context (level 0: in_task(), no NMI, hardirq or serving-softirq
 * bit) is tested first: one test instead of computing the level.  Then
 * softirq (level 1: not a task, and no NMI or hardirq bit, so the
 * serving-softirq one), which network receive and timers allocate in:
 * one more test, where the level's arithmetic and the multiply by the
 * heap's size took ten instructions.
 */
static __always_inline struct smalloc_heap *smalloc_heap_get(void)
{
	struct smalloc_cpu *sc;

	preempt_disable();
	sc = this_cpu_ptr(smalloc_cpus);
	if (likely(in_task()))
		return &sc->heap[SMALLOC_CTX_TASK];
	if (likely(!in_hardirq() && !in_nmi()))
		return &sc->heap[SMALLOC_CTX_SOFTIRQ];
	return &sc->heap[interrupt_context_level()];
}

static __always_inline void smalloc_heap_put(struct smalloc_heap *heap)
{
	preempt_enable();
}

#ifdef CONFIG_SMALLOC_STATS
static __always_inline void smalloc_stat_inc(struct smalloc_heap *heap,
					     enum smalloc_stat item)
{
	heap->stat[item]++;
}

static __always_inline void smalloc_stat_add(struct smalloc_heap *heap,
					     enum smalloc_stat item,
					     unsigned long n)
{
	heap->stat[item] += n;
}

/*
 * Count one event outside any heap operation, from any context (from NMI
 * on the NMI heap, whose counters only NMIs touch, and NMIs do not nest).
 */
static inline void smalloc_stat_count(enum smalloc_stat item)
{
	struct smalloc_heap *heap = smalloc_heap_get();

	smalloc_stat_inc(heap, item);
	smalloc_heap_put(heap);
}

unsigned long smalloc_stat_sum(enum smalloc_stat item);
#else
static inline void smalloc_stat_inc(struct smalloc_heap *heap,
				    enum smalloc_stat item) {}
static inline void smalloc_stat_add(struct smalloc_heap *heap,
				    enum smalloc_stat item, unsigned long n) {}
static inline void smalloc_stat_count(enum smalloc_stat item) {}
static inline unsigned long smalloc_stat_sum(enum smalloc_stat item)
{
	return 0;
}
#endif

void *smalloc_heap_alloc_slow(size_t size, gfp_t gfp);
void smalloc_heap_update_direct(struct smalloc_heap *heap, unsigned int class);
void smalloc_heap_free_local_slow(struct smalloc_heap *heap,
				  struct smalloc_page *page);
void smalloc_heap_release_page(struct smalloc_heap *heap,
			       struct smalloc_page *page);
void smalloc_heap_collect_remote(struct smalloc_heap *heap);
void smalloc_heap_release_retired(struct smalloc_heap *heap);
bool smalloc_heap_drain(struct smalloc_heap *heap);
unsigned long smalloc_heap_destroy(struct smalloc_heap *heap);
int smalloc_heap_check(struct smalloc_heap *heap);

/*
 * The most blocks @heap's ctx_free can hold: what its pages hold.  Walks
 * of the list stop there, so that one a racing double free corrupted into
 * a cycle is reported, not walked for ever (smalloc_heap_check(), the
 * debugfs snapshot).
 */
static inline unsigned long smalloc_heap_ctx_free_max(const struct smalloc_heap *heap)
{
	return heap->nr_pages * (SMALLOC_MAX_BLOCKS + 1UL);
}

long smalloc_check_this_cpu(void *unused);
int smalloc_heaps_init(void);
void smalloc_heaps_exit(void);
void smalloc_drain_all(void);
void smalloc_heap_arm_idle(struct smalloc_heap *heap);
void smalloc_heap_add_page(struct smalloc_heap *heap,
			   struct smalloc_page *page);
struct smalloc_page *smalloc_heap_find_page(struct smalloc_heap *heap,
					    unsigned int class);
void smalloc_heap_idle(struct smalloc_heap *heap);
void smalloc_heap_init(struct smalloc_heap *heap, unsigned int cpu,
		       enum smalloc_ctx ctx);
extern bool smalloc_exiting;
void smalloc_cpu_drain_async(unsigned int cpu);
int smalloc_shrinker_init(void);
unsigned long smalloc_shrink_scan(struct shrinker *shrinker,
				  struct shrink_control *sc);
void smalloc_shrinker_exit(void);

/* Remote frees (smalloc_remote.c). */
void smalloc_push_remote(struct smalloc_heap *heap, struct smalloc_page *page,
			 void *block);
bool smalloc_free_foreign(struct smalloc_heap *heap, struct smalloc_page *page,
			  void *block, unsigned long index);
void smalloc_free_foreign_put(struct smalloc_heap *heap,
			      struct smalloc_page *page, void *block,
			      unsigned long index);
void smalloc_free_foreign_claimed(struct smalloc_heap *heap,
				  struct smalloc_page *page, void *block);
void smalloc_heap_collect_ctx(struct smalloc_heap *heap);

/* Retire and promotion (smalloc_retire.c). */
#define SMALLOC_RETIRE_CYCLES		16
#define SMALLOC_RETIRE_CYCLES_LARGE	(SMALLOC_RETIRE_CYCLES / 4)
#define SMALLOC_RETIRE_LARGE_SIZE	1024
/*
 * Emptied spans a heap keeps retired per class: SMALLOC_RETIRE_MAX of one
 * page, as many as make the same 16 pages for bigger spans (counted at the
 * class's preferred order), and never fewer than SMALLOC_RETIRE_MIN.  A
 * burst of up to 16 pages per class so comes back to its own spans instead
 * of the page allocator.
 */
#define SMALLOC_RETIRE_MAX		16
#define SMALLOC_RETIRE_MIN		2
/* The default budget of retired frames over all heaps, per possible CPU. */
#define SMALLOC_RETIRE_BUDGET_PER_CPU	256
extern unsigned long smalloc_retire_budget;
extern atomic_long_t smalloc_retired_frames;
void smalloc_retire_init(void);
long smalloc_retired_frames_sum(void);

static inline unsigned int smalloc_retire_max(unsigned int class)
{
	return max_t(unsigned int, SMALLOC_RETIRE_MAX >> smalloc_classes[class].order,
		     SMALLOC_RETIRE_MIN);
}

/* Retired: on heap->retired, its flag kept with the list by smalloc_unretire(). */
static inline bool smalloc_page_is_retired(const struct smalloc_page *page)
{
	return page->flags & SMALLOC_PAGE_IN_RETIRED;
}

static inline unsigned int smalloc_retire_cycles(unsigned int block_size)
{
	return block_size <= SMALLOC_RETIRE_LARGE_SIZE ?
		SMALLOC_RETIRE_CYCLES : SMALLOC_RETIRE_CYCLES_LARGE;
}

void smalloc_page_retire(struct smalloc_heap *heap, struct smalloc_page *page);
void smalloc_heap_heartbeat(struct smalloc_heap *heap);
void smalloc_unretire(struct smalloc_heap *heap, struct smalloc_page *page);
unsigned long smalloc_retire_bound_frames(void);
unsigned long smalloc_shrink_this_cpu(void);
unsigned long smalloc_shrink_dead_cpus(void);
extern unsigned int smalloc_idle_drain_ms;

/*
 * Free a block of one of the heap's own pages: push it on local_free.
 * smalloc_heap_push_block() returns true for the rare cases (page
 * emptied, page on the full queue), which go out of line
 * (smalloc_heap_free_local_slow()), but for the commonest way to empty a
 * page, an alloc/free pair on a retired one: its last block comes back
 * with local_free empty, and retiring it again would only restart its
 * clock and move this one block onto free.  That is done here, without
 * the call, the block pushed onto free directly, and tested only once
 * the page is known to be emptied or full, so that a free that leaves
 * the page in use pays one test and one jump.  The count goes down
 * before the block is on a list: only the owner reads either.
 */
static __always_inline bool smalloc_heap_push_block(struct smalloc_page *page,
						    void *block)
{
	bool done;

	/*
	 * Neither emptied nor on the full list (SMALLOC_USED_FULL_BIAS):
	 * --used > 0, as one decl and the jump on its flags, which GCC
	 * otherwise makes a load, a subtract, a store and a test.
	 */
	asm("decl %[used]" CC_SET(g)
	    : [used] "+m" (page->used), CC_OUT(g) (done));
	/*
	 * Else emptied, or on the full list (where ->used is negative); a
	 * retired page is never on the full list.
	 */
	if (unlikely(!done) && !page->local_free &&
	    page->flags == SMALLOC_PAGE_IN_RETIRED) {
		smalloc_block_set_next(page, block, page->free);
		page->free = block;
		page->retire_expire = page->retire_cycles;
		return false;
	}
	smalloc_block_set_next(page, block, page->local_free);
	page->local_free = block;
	return !done;
}

static __always_inline void smalloc_heap_free_block(struct smalloc_heap *heap,
						    struct smalloc_page *page,
						    void *block)
{
	if (smalloc_heap_push_block(page, block))
		smalloc_heap_free_local_slow(heap, page);
}

/* Objects a bulk call handles per taking of the heap (bounds latency). */
#define SMALLOC_BULK_BATCH	32

/* The free path (smalloc_free.c). */
bool smalloc_is_kmalloc(const void *p);
struct page *smalloc_large_head(const void *p);
void smalloc_free_exit(void);
void smalloc_free_bulk_untraced(size_t n, void **p);
void smalloc_rcu_flush_heap(struct smalloc_heap *heap);
void smalloc_rcu_work(struct work_struct *work);
void smalloc_run_on_heaps_here(void (*fn)(struct smalloc_heap *heap));
extern atomic_t smalloc_fail_rcu_batch;

/* Optional hardening (smalloc_harden.c). */
DECLARE_STATIC_KEY_FALSE(smalloc_poison);
DECLARE_STATIC_KEY_FALSE(smalloc_alloc_hooks);
DECLARE_STATIC_KEY_FALSE(smalloc_free_hooks);
DECLARE_STATIC_KEY_FALSE(smalloc_alloc_zero_only);
void smalloc_hooks_update(void);
extern bool smalloc_random_order;
void smalloc_poison_block(const struct smalloc_page *page, void *block);
void smalloc_poison_verify(const struct smalloc_page *page, void *block);
void smalloc_poison_set(bool on);
void smalloc_harden_init(void);
unsigned int smalloc_carve_stride(unsigned int n, unsigned int *start);

/*
 * Memory debuggers (smalloc_debug.c).  On a kernel built with generic
 * KASAN, kmemleak or KMSAN every block passes through these hooks as it
 * is handed out and given back (the fast paths go out of line for it);
 * on any other kernel SMALLOC_DEBUG is 0 and they compile away.
 */
#if IS_ENABLED(CONFIG_KASAN_GENERIC) || IS_ENABLED(CONFIG_DEBUG_KMEMLEAK) || \
	IS_ENABLED(CONFIG_KMSAN)
#define SMALLOC_DEBUG	1
void *smalloc_debug_alloc(const struct smalloc_page *page, void *block,
			  size_t size, gfp_t gfp);
bool smalloc_debug_check_free(const struct smalloc_page *page, void *block);
void smalloc_debug_free(const struct smalloc_page *page, void *block);
void smalloc_debug_resize(const struct smalloc_page *page, void *block,
			  size_t size);
void smalloc_debug_span_new(const struct smalloc_page *page);
void smalloc_debug_large_alloc(void *p, size_t size, size_t alloc_size);
#else
#define SMALLOC_DEBUG	0
static inline void *smalloc_debug_alloc(const struct smalloc_page *page,
					void *block, size_t size, gfp_t gfp)
{
	return block;
}

static inline bool smalloc_debug_check_free(const struct smalloc_page *page,
					    void *block)
{
	return true;
}

static inline void smalloc_debug_free(const struct smalloc_page *page,
				      void *block) {}
static inline void smalloc_debug_resize(const struct smalloc_page *page,
					void *block, size_t size) {}
static inline void smalloc_debug_span_new(const struct smalloc_page *page) {}
static inline void smalloc_debug_large_alloc(void *p, size_t size,
					     size_t alloc_size) {}
#endif

/* Bad input (smalloc_report.c). */
void smalloc_report_invalid_free(const void *p, const char *why,
				 unsigned long ip);
void smalloc_double_free(const void *block, unsigned long ip);

/* debugfs (smalloc_debugfs.c). */
void smalloc_debugfs_init(void);
void smalloc_debugfs_exit(void);

/*
 * Tracepoints (smalloc_trace.h, defined in smalloc_trace.c).  The fast
 * paths do not test smalloc_alloc's and smalloc_free's keys: the events'
 * registration functions set smalloc_tracing_* and turn on
 * smalloc_alloc_hooks or smalloc_free_hooks, which send every block out
 * of line to where the event is fired.
 */
extern bool smalloc_tracing_alloc, smalloc_tracing_free;
int smalloc_trace_alloc_reg(void);
void smalloc_trace_alloc_unreg(void);
int smalloc_trace_free_reg(void);
void smalloc_trace_free_unreg(void);
#include "smalloc_trace.h"

/*
 * smalloc_alloc for an object whose block size is not at hand (the slow,
 * large and kmalloc paths): looked up only while the event is on.  A
 * request of 0 bytes fires nothing, as with kmalloc.
 */
static inline void smalloc_trace_alloc(unsigned long ip, const void *p,
				       size_t size, gfp_t gfp, int node)
{
	if (trace_smalloc_alloc_enabled() && size)
		trace_smalloc_alloc(ip, p, size, smalloc_usable_size(p), gfp,
				    node);
}

#endif /* _SMALLOC_INTERNAL_H */
