// SPDX-License-Identifier: GPL-2.0-only
/*
 * smalloc pages: spans from the page allocator, their
 * three free lists, and the map that tells smalloc's memory from anyone
 * else's.
 *
 * From a pointer to its page, in O(1)
 * -----------------------------------
 * smalloc_pfn_map has one bit per page frame up to the highest pfn of the
 * online nodes at load time: 32 KiB of bitmap per GiB of RAM.  A span sets
 * the bits of all its frames; a large allocation sets the bit of its head
 * frame.  sfree() turns the pointer into a pfn with one subtraction,
 * bounds-checks it and tests the bit: that answers "is this ours?" without
 * touching any struct page of memory that is not ours, so a kmalloc
 * object, a vmalloc address or a stray pointer is never misread.  Only
 * then does it read the frame's struct page, whose ->private points at the
 * struct smalloc_page or describes a large allocation (the tags are in
 * smalloc_internal.h).  Spans are not compound pages: every frame of a span
 * has ->private set, so no frame needs compound_head() to find its head.
 * The cost on the free path is the bit test, one struct page and the
 * descriptor, which the free touches anyway.  The alternatives cost more:
 * validating a pointer found in page->private of foreign memory needs a
 * fault-safe read, and virt_addr_valid() is an out-of-line call.  The
 * price is memory that appears above the map's limit after load (memory
 * hotplug): smalloc cannot own frames there.  The page allocator cannot be
 * told to avoid them, so such frames are handed back at once and the
 * request is served by kmalloc instead (smalloc_heap_alloc_slow() in
 * smalloc_percpu.c), which sfree() takes back like any kmalloc object: a
 * __GFP_NOFAIL request does not fail for it.
 *
 * Span lifetime
 * -------------
 * A span is created by its heap's slow path (possibly sleeping, with no
 * per-CPU state held), is owned by that heap until released, and is
 * released only by its owner when used == 0 (retire expiry, drain,
 * CPU-dead drain, unload).  A remote free holds a block that counts in
 * @used, so the span cannot go away under it.
 */
#define pr_fmt(fmt) "smalloc: " fmt

#include "smalloc_internal.h"

unsigned long *smalloc_pfn_map;
unsigned long smalloc_pfn_limit;
atomic_long_t smalloc_nr_pages = ATOMIC_LONG_INIT(0);
atomic_t smalloc_fail_pages = ATOMIC_INIT(0);
atomic_t smalloc_fail_high_order = ATOMIC_INIT(0);
atomic_t smalloc_fail_above_map = ATOMIC_INIT(0);

static struct kmem_cache *smalloc_page_cache;

/* Large allocations live and their frames: debugfs, the unload report. */
static atomic_long_t smalloc_nr_large = ATOMIC_LONG_INIT(0);
static atomic_long_t smalloc_large_frames = ATOMIC_LONG_INIT(0);

/* ---------------------------------------------------------------- */
/* The ownership map                                                 */
/* ---------------------------------------------------------------- */

int smalloc_pfn_map_init(void)
{
	unsigned long limit = 0;
	int nid;

	for_each_online_node(nid)
		limit = max(limit, node_end_pfn(nid));
	smalloc_pfn_map = vcalloc(BITS_TO_LONGS(limit), sizeof(long));
	if (!smalloc_pfn_map)
		return -ENOMEM;
	smalloc_pfn_limit = limit;
	return 0;
}

void smalloc_pfn_map_exit(void)
{
	vfree(smalloc_pfn_map);
	smalloc_pfn_map = NULL;
	smalloc_pfn_limit = 0;
}

/* Atomic bit ops: neighbouring spans share words of the map. */
static void smalloc_pfn_map_set(unsigned long pfn, unsigned long nr, bool on)
{
	for (; nr; nr--, pfn++) {
		if (on)
			set_bit(pfn, smalloc_pfn_map);
		else
			clear_bit(pfn, smalloc_pfn_map);
	}
}

/* ---------------------------------------------------------------- */
/* Spans                                                             */
/* ---------------------------------------------------------------- */

int smalloc_page_cache_init(void)
{
	/*
	 * Not tracked by kmemleak: ->start points at a span's first block,
	 * which would keep a leaked first block from being reported.
	 */
	smalloc_page_cache = KMEM_CACHE(smalloc_page, SLAB_NOLEAKTRACE);
	return smalloc_page_cache ? 0 : -ENOMEM;
}

void smalloc_page_cache_exit(void)
{
	kmem_cache_destroy(smalloc_page_cache);
}

/*
 * The flags smalloc passes on to the page allocator for a span, as SLUB's
 * allocate_slab() keeps only GFP_RECLAIM_MASK | GFP_CONSTRAINT_MASK
 * (mm/internal.h, not visible to modules): how hard to try and where.  A
 * span is shared by every later caller of its class, so placement flags of
 * the one that created it must not apply: no __GFP_MOVABLE or
 * __GFP_RECLAIMABLE (a span in ZONE_MOVABLE or CMA would pin it), no zone
 * modifiers (those requests went to kmalloc), and never the emergency
 * reserves (__GFP_NOMEMALLOC): SLUB marks a slab taken from them
 * pfmemalloc and serves it only to reserve users, which smalloc's
 * lock-free pages cannot; a reserve user whose span cannot be had
 * otherwise is served by kmalloc (smalloc_percpu.c).
 */
#define SMALLOC_GFP_PAGE_MASK	(__GFP_RECLAIM | __GFP_HIGH | __GFP_IO | \
				 __GFP_FS | __GFP_NOWARN | __GFP_RETRY_MAYFAIL | \
				 __GFP_NOFAIL | __GFP_NORETRY | __GFP_HARDWALL | \
				 __GFP_THISNODE)

static gfp_t smalloc_page_gfp(gfp_t gfp)
{
	return (gfp & SMALLOC_GFP_PAGE_MASK) | __GFP_NOMEMALLOC;
}

/*
 * 2^@order frames; a compound page if @gfp has __GFP_COMP (large
 * allocations, which only mark their head frame), a plain high-order block
 * otherwise (spans, whose every frame carries ->private).
 */
static struct page *smalloc_alloc_frames(gfp_t gfp, int node,
					 unsigned int order)
{
	struct page *page;

	page = alloc_pages_node(node, gfp, order);
	if (!page)
		return NULL;
	if (unlikely(page_to_pfn(page) + (1UL << order) > smalloc_pfn_limit ||
		     smalloc_should_fail(&smalloc_fail_above_map))) {
		/* Hot-added memory the map does not cover: see above. */
		pr_warn_once("memory above pfn %lu is not used by smalloc; kmalloc serves what lands there\n",
			     smalloc_pfn_limit);
		__free_pages(page, order);
		return ERR_PTR(-ERANGE);
	}
	atomic_long_add(1L << order, &smalloc_nr_pages);
	return page;
}

static void smalloc_frames_set_private(struct page *frames, unsigned long nr,
				       unsigned long val)
{
	for (; nr; nr--, frames++)
		set_page_private(frames, val);
}

/*
 * kfree() of an smalloc pointer
 * -----------------------------
 * On 6.12, kfree() of a block finds an order-0 folio that is not slab and
 * calls free_large_kmalloc(), which warns once (WARN_ON_ONCE(order == 0))
 * and drops a reference on the block's frame with folio_put(); kfree() of
 * a large allocation (a compound page) does the same without a word.
 * Either would hand a frame smalloc still uses to the page allocator.  So
 * every frame smalloc owns carries SMALLOC_REF_BIAS extra references (the
 * head of a large allocation only: folio_put() acts on it): a stray
 * kfree() then frees nothing, and when smalloc gives the frames back it
 * finds the references missing, says so loudly (the kernel's own warning
 * has the kfree() caller's stack, once per boot) and keeps the frames
 * rather than free memory someone may still hold.
 */
#define SMALLOC_REF_BIAS	64

static void smalloc_frames_bias(struct page *frames, unsigned long nr,
				bool on)
{
	for (; nr; nr--, frames++) {
		if (on)
			page_ref_add(frames, SMALLOC_REF_BIAS);
		else
			page_ref_sub(frames, SMALLOC_REF_BIAS);
	}
}

/* References kfree() took from @nr frames (head first, as allocated). */
static long smalloc_frames_kfreed(struct page *frames, unsigned long nr)
{
	long missing = 0;
	unsigned long i;

	for (i = 0; i < nr; i++)
		missing += (!i + SMALLOC_REF_BIAS) - page_ref_count(frames + i);
	return missing;
}

static void smalloc_report_kfreed(const void *addr, long missing)
{
	pr_err("%p: %ld kfree() call(s) on smalloc memory: an smalloc object reached the kernel's kfree(); its frames are kept, not freed\n",
	       addr, missing);
}

static void smalloc_free_frames(struct page *page, unsigned int order)
{
	atomic_long_sub(1L << order, &smalloc_nr_pages);
	__free_pages(page, order);
}

/**
 * smalloc_page_new - take a span from the page allocator for a class
 * @class: the size class
 * @gfp: the caller's flags; may sleep if they allow it
 * @node: NUMA node, or NUMA_NO_NODE for the local one
 *
 * The span is of the class's preferred order if the page allocator has
 * it without reclaim, else of its min_order; page->order and
 * page->reserved say which.
 *
 * Context: no per-CPU state held if @gfp allows blocking.
 * Return: a page with nothing carved yet and no owner, NULL, or
 * ERR_PTR(-ERANGE) if the page allocator gave frames above the map.
 */
struct smalloc_page *smalloc_page_new(unsigned int class, gfp_t gfp, int node)
{
	const struct smalloc_class *cl = &smalloc_classes[class];
	unsigned int order = cl->order, blocks;
	struct smalloc_page *page;
	struct page *frames = NULL;

	if (smalloc_should_fail(&smalloc_fail_pages))
		return NULL;
	gfp = smalloc_page_gfp(gfp);
	page = kmem_cache_alloc_node(smalloc_page_cache, gfp, node);
	if (!page)
		return NULL;
	/*
	 * As SLUB's allocate_slab(): the preferred order only if the page
	 * allocator has it without reclaim or the reserves, then the order
	 * that still gives SMALLOC_MIN_BLOCKS blocks, with the caller's flags.
	 */
	if (order > cl->min_order &&
	    !smalloc_should_fail(&smalloc_fail_high_order)) {
		gfp_t high = (gfp | __GFP_NOWARN | __GFP_NORETRY) & ~__GFP_NOFAIL;

		if (high & __GFP_DIRECT_RECLAIM)
			high = (high | __GFP_NOMEMALLOC) & ~__GFP_RECLAIM;
		frames = smalloc_alloc_frames(high, node, order);
		if (IS_ERR(frames))
			frames = NULL;
	}
	if (!frames) {
		order = cl->min_order;
		frames = smalloc_alloc_frames(gfp, node, order);
	}
	if (IS_ERR_OR_NULL(frames)) {
		kmem_cache_free(smalloc_page_cache, page);
		return ERR_CAST(frames);
	}

	blocks = (PAGE_SIZE << order) / cl->size;
	*page = (struct smalloc_page) {
		.reserved	= blocks,
		.block_size	= cl->size,
		.magic		= div64_u64(U64_MAX, cl->size) + 1,
		.class		= class,
		.order		= order,
		.retire_cycles	= smalloc_retire_cycles(cl->size),
		.key		= { get_random_long(), get_random_long() },
		.start		= page_address(frames),
		.list		= LIST_HEAD_INIT(page->list),
		.retired	= LIST_HEAD_INIT(page->retired),
		.xthread_free	= ATOMIC_LONG_INIT(0),
	};
	smalloc_frames_bias(frames, 1UL << order, true);
	/* KASAN: no block is allocated yet; kmemleak tracks blocks. */
	smalloc_debug_span_new(page);
	smalloc_frames_set_private(frames, 1UL << order,
				   (unsigned long)page);
	smalloc_pfn_map_set(page_to_pfn(frames), 1UL << order, true);
	return page;
}

/**
 * smalloc_page_release - give a span back to the page allocator
 * @page: an empty page, already off every heap list
 *
 * Context: any; the caller is the page's owner or holds the only reference.
 */
void smalloc_page_release(struct smalloc_page *page)
{
	struct page *frames = virt_to_page(page->start);

	long kfreed = smalloc_frames_kfreed(frames, 1UL << page->order);

	WARN_ON_ONCE(smalloc_page_used(page));
	smalloc_pfn_map_set(page_to_pfn(frames), 1UL << page->order, false);
	smalloc_frames_set_private(frames, 1UL << page->order, 0);
	if (unlikely(kfreed)) {
		smalloc_report_kfreed(page->start, kfreed);
		atomic_long_sub(1L << page->order, &smalloc_nr_pages);
	} else {
		smalloc_frames_bias(frames, 1UL << page->order, false);
		smalloc_free_frames(frames, page->order);
	}
	kmem_cache_free(smalloc_page_cache, page);
}

/**
 * smalloc_page_abandon - leave a span with live blocks to its users
 * @page: a page off every heap list, at module unload
 *
 * The frames stay allocated for good (whoever still points into them
 * keeps valid memory); smalloc forgets them: out of the ownership map,
 * ->private cleared, no longer counted as held.
 */
void smalloc_page_abandon(struct smalloc_page *page)
{
	struct page *frames = virt_to_page(page->start);

	if (!page->used) {
		smalloc_page_release(page);
		return;
	}
	long kfreed = smalloc_frames_kfreed(frames, 1UL << page->order);

	if (kfreed)
		smalloc_report_kfreed(page->start, kfreed);
	smalloc_pfn_map_set(page_to_pfn(frames), 1UL << page->order, false);
	smalloc_frames_set_private(frames, 1UL << page->order, 0);
	atomic_long_sub(1L << page->order, &smalloc_nr_pages);
	kmem_cache_free(smalloc_page_cache, page);
}

/**
 * smalloc_page_extend - carve more blocks onto an empty free list
 * @page: owned page with free == NULL
 *
 * Carves one 4 KiB page worth of blocks at a time (at least
 * SMALLOC_MIN_EXTEND), so a fresh span of small blocks costs no more than
 * the blocks about to be used touch; links them in a random order unless
 * random_order is off (smalloc_harden.c).
 *
 * Return: true if blocks were added.
 */
bool smalloc_page_extend(struct smalloc_page *page)
{
	unsigned int n = page->reserved - page->capacity;
	unsigned int max = max_t(unsigned int, PAGE_SIZE / page->block_size,
				  SMALLOC_MIN_EXTEND);
	/* In registers: the stores below may alias the page, for GCC. */
	unsigned long key0 = page->key[0], key1 = page->key[1];
	size_t size = page->block_size, span, step, back;
	void *base, *end, *wrap, *first, *block, *next;
	unsigned int idx, stride;

	if (!n)
		return false;
	n = min(n, max);
	base = page->start + (size_t)page->capacity * size;
	span = (size_t)n * size;
	end = base + span;
	stride = smalloc_carve_stride(n, &idx);
	step = (size_t)stride * size;
	if (static_branch_unlikely(&smalloc_poison)) {
		for (block = base; block < end; block += size)
			smalloc_poison_block(page, block);
	}
	/*
	 * Block number idx + stride (mod n) follows block idx.  Both are
	 * below n, so the next block is one step on, or one step less a
	 * span back: one compare, no division per block.  Two links a
	 * round, so that the two pointers take turns and no register moves.
	 */
	first = base + (size_t)idx * size;
	wrap = end - step;
	back = span - step;
	block = first;
	/* stride and n are coprime: one cycle through all n blocks. */
	for (;;) {
		next = block >= wrap ? block - back : block + step;
		if (next == first)
			break;
		smalloc_block_set_word(block, smalloc_next_encode(key0, key1,
								  next));
		block = next >= wrap ? next - back : next + step;
		if (block == first) {
			block = next;
			break;
		}
		smalloc_block_set_word(next, smalloc_next_encode(key0, key1,
								 block));
	}
	smalloc_block_set_next(page, block, page->free);
	page->free = first;
	page->capacity += n;
	/* After the links: a remote free may read it (smalloc_block_valid()). */
	WRITE_ONCE(page->carved, page->capacity * page->block_size);
	return true;
}

/*
 * Walk a list to its tail; returns the tail and counts the blocks.
 * @limit bounds the walk (a corrupted list must not hang the kernel).
 */
static void *smalloc_list_tail(const struct smalloc_page *page, void *head,
			       unsigned int *count, unsigned int limit)
{
	void *tail = head;
	unsigned int n = 1;

	while (n <= limit) {
		void *next = smalloc_block_next(page, tail);

		if (!next)
			break;
		tail = next;
		n++;
	}
	*count = n;
	return tail;
}

/**
 * smalloc_page_collect - take back remote frees and refill free
 * @page: owned page
 *
 * Moves xthread_free onto local_free, then, if free is empty, local_free
 * onto free.
 */
void smalloc_page_collect(struct smalloc_page *page)
{
	void *head, *tail;
	unsigned int n;

	/* Mostly empty: a read is cheaper than the locked exchange. */
	if (!atomic_long_read(&page->xthread_free))
		goto local;
	head = (void *)atomic_long_xchg(&page->xthread_free, 0);
	tail = smalloc_list_tail(page, head, &n, page->capacity);
	smalloc_block_set_next(page, tail, page->local_free);
	page->local_free = head;
	page->used -= n;
	smalloc_stat_add(page->heap, SMALLOC_REMOTE_COLLECTED, n);
local:
	if (!page->free) {
		page->free = page->local_free;
		page->local_free = NULL;
	}
}

/**
 * smalloc_page_remote_count - blocks waiting on xthread_free
 * @page: owned page (only the owner takes blocks off the list, so the
 *        walk is safe while remote frees keep pushing)
 *
 * Return: the length of the list when it was read.
 */
unsigned int smalloc_page_remote_count(const struct smalloc_page *page)
{
	long tf = atomic_long_read(&page->xthread_free);
	unsigned int n;

	if (!tf)
		return 0;
	smalloc_list_tail(page, (void *)tf, &n, page->capacity);
	return n;
}

/**
 * smalloc_page_promote - move every block of local_free onto free
 * @page: owned page
 *
 * The seeds' fix: an emptied page has all its blocks on local_free and
 * none on free, so without this the next allocation misses the fast path
 * only to move one list onto the other.  local_free goes in front (its
 * blocks were freed last and are the warm ones).
 */
void smalloc_page_promote(struct smalloc_page *page)
{
	unsigned int n;
	void *tail;

	if (!page->local_free)
		return;
	if (page->free) {
		tail = smalloc_list_tail(page, page->local_free, &n,
					 page->capacity);
		smalloc_block_set_next(page, tail, page->free);
	}
	page->free = page->local_free;
	page->local_free = NULL;
	smalloc_stat_inc(page->heap, SMALLOC_PROMOTE);
}

/*
 * Count a list, checking every entry is a carved block of the page whose
 * live byte says free.
 */
static int smalloc_list_check(const struct smalloc_page *page, void *head,
			      unsigned int *count)
{
	unsigned int n = 0;
	void *b;

	for (b = head; b; b = smalloc_block_next(page, b)) {
		if (!smalloc_block_valid(page, b))	/* not a carved block */
			return -EFAULT;
		if (READ_ONCE(page->live[smalloc_block_number(page, b)]))
			return -EEXIST;
		if (++n > page->capacity)
			return -ELOOP;
	}
	*count = n;
	return 0;
}

static bool smalloc_list_holds(const struct smalloc_page *page, void *head,
			       const void *block)
{
	unsigned int n = 0;
	void *b;

	for (b = head; b && n <= page->capacity;
	     b = smalloc_block_next(page, b), n++)
		if (b == block)
			return true;
	return false;
}

/* Is @block on @heap's ctx_free, whose blocks are of any of its pages? */
static bool smalloc_ctx_free_holds(const struct smalloc_heap *heap,
				   const void *block)
{
	const void *b = READ_ONCE(heap->ctx_free);

	while (b && b != block) {
		const struct smalloc_page *page = smalloc_ptr_to_page(b);

		b = page ? smalloc_block_next(page, b) : NULL;
	}
	return b;
}

/**
 * smalloc_page_holds_free - is a block on one of the page's free lists?
 * @page: owned page
 * @block: a block of @page
 *
 * A walk of free, local_free and xthread_free, and of the owner heap's
 * ctx_free: the only lists a freed block of the page can be on (remote
 * frees stay on their page's own list, frees from higher levels of the
 * owner's CPU on its heap's, see smalloc_remote.c).  For the tests:
 * sfree() asks the block's live byte instead, which says the same in O(1).
 *
 * Return: true if @block is free already.
 */
bool smalloc_page_holds_free(const struct smalloc_page *page, const void *block)
{
	long tf = atomic_long_read(&page->xthread_free);

	return smalloc_list_holds(page, page->free, block) ||
	       smalloc_list_holds(page, page->local_free, block) ||
	       smalloc_list_holds(page, (void *)tf, block) ||
	       smalloc_ctx_free_holds(page->heap, block);
}

/**
 * smalloc_page_check - verify a page's lists and counts
 * @page: a page whose owner is excluded (the caller is the owner, or a
 *        test that has stopped everything touching the page)
 *
 * Checks used + |free| + |local_free| == capacity <= reserved,
 * |xthread_free| <= used, that every list entry is a carved block whose
 * live byte is 0, and that at most used - |xthread_free| live bytes are
 * set (no freed block is taken for a live one).
 *
 * Return: 0 if the page is consistent, a negative errno describing the
 * first problem otherwise (and a warning in the log).
 */
int smalloc_page_check(const struct smalloc_page *page)
{
	unsigned int nfree = 0, nlocal = 0, nthread = 0;
	unsigned int used = smalloc_page_used(page);
	long tf = atomic_long_read(&page->xthread_free);
	int err;

	/* Biased exactly while on the full list (SMALLOC_USED_FULL_BIAS). */
	err = (page->used < 0) != !!(page->flags & SMALLOC_PAGE_IN_FULL) ?
	      -EDOM : 0;
	if (!err)
		err = smalloc_list_check(page, page->free, &nfree);
	if (!err)
		err = smalloc_list_check(page, page->local_free, &nlocal);
	if (!err)
		err = smalloc_list_check(page, (void *)tf, &nthread);
	if (!err && page->capacity > page->reserved)
		err = -ERANGE;
	if (!err && used + nfree + nlocal != page->capacity)
		err = -EBADSLT;
	if (!err && nthread > used)
		err = -EOVERFLOW;
	if (!err) {
		unsigned int i, live = 0;

		for (i = 0; i <= SMALLOC_MAX_BLOCKS; i++)
			live += !!READ_ONCE(page->live[i]);
		/*
		 * At most: a remote free clears its byte before its push,
		 * so one in flight leaves the count below for a moment.
		 */
		if (live + nthread > used)
			err = -EBADF;
	}
	if (err)
		pr_warn("page %p class %u: used %u free %u local %u thread %u capacity %u reserved %u: error %d\n",
			page->start, page->class, used, nfree, nlocal,
			nthread, page->capacity, page->reserved, err);
	return err;
}

/* ---------------------------------------------------------------- */
/* Large allocations                                                 */
/* ---------------------------------------------------------------- */

/**
 * smalloc_large_alloc - a request above SMALLOC_MAX_SIZE, from the page
 * allocator directly, as kmalloc_large() does
 * @size: bytes, at most SMALLOC_LARGE_MAX
 * @gfp: the caller's flags (__GFP_ZERO and init_on_alloc are honoured by
 *       the page allocator itself)
 * @node: NUMA node or NUMA_NO_NODE
 *
 * The pages serve this caller alone, so its placement and reserve flags
 * apply, as with kmalloc_large(); what the page allocator has no use for
 * (__GFP_ACCOUNT went to kmalloc) is masked.  Pages above the map (memory
 * hotplug) go back and kmalloc_node() serves the request.
 *
 * Return: the address of the pages (or of a kmalloc object), or NULL.
 */
void *smalloc_large_alloc(size_t size, gfp_t gfp, int node)
{
	unsigned int order = get_order(size);
	struct page *head;

	if (smalloc_should_fail(&smalloc_fail_pages))
		return NULL;
	head = smalloc_alloc_frames((gfp & (SMALLOC_GFP_PAGE_MASK | __GFP_ZERO |
					    __GFP_MEMALLOC | __GFP_NOMEMALLOC |
					    __GFP_MOVABLE)) | __GFP_COMP,
				    node, order);
	if (IS_ERR(head))
		return kmalloc_node(size, gfp, node);
	if (!head)
		return NULL;
	BUILD_BUG_ON((MAX_PAGE_ORDER << 2 | SMALLOC_LARGE_TAG) >= SMALLOC_SPAN_MIN);
	head->private = SMALLOC_LARGE_TAG | ((unsigned long)order << 2);
	page_ref_add(head, SMALLOC_REF_BIAS);
	/* As kmalloc_large(): scanned, and reported if it leaks. */
	kmemleak_alloc(page_address(head), size, 1, gfp);
	smalloc_debug_large_alloc(page_address(head), size, PAGE_SIZE << order);
	smalloc_pfn_map_set(page_to_pfn(head), 1, true);
	atomic_long_inc(&smalloc_nr_large);
	atomic_long_add(1L << order, &smalloc_large_frames);
	return page_address(head);
}

static unsigned int smalloc_large_order(const struct page *head)
{
	return head->private >> 2;
}

/**
 * smalloc_large_free - free a large allocation
 * @p: the address smalloc_large_alloc() returned
 * @head: its head page
 *
 * Takes no lock: the page allocator's free, as kfree() of a large kmalloc
 * object.
 *
 * Return: false, freeing nothing, if @p is not the start of the allocation.
 */
bool smalloc_large_free(void *p, struct page *head)
{
	unsigned int order;
	long kfreed;

	if (unlikely(p != page_address(head)))
		return false;
	order = smalloc_large_order(head);
	kfreed = smalloc_frames_kfreed(head, 1);
	kmemleak_free(p);
	smalloc_pfn_map_set(page_to_pfn(head), 1, false);
	set_page_private(head, 0);
	atomic_long_dec(&smalloc_nr_large);
	atomic_long_sub(1L << order, &smalloc_large_frames);
	if (unlikely(kfreed)) {
		smalloc_report_kfreed(p, kfreed);
		atomic_long_sub(1L << order, &smalloc_nr_pages);
		return true;
	}
	page_ref_sub(head, SMALLOC_REF_BIAS);
	smalloc_free_frames(head, order);
	return true;
}

size_t smalloc_large_size(const struct page *head)
{
	return PAGE_SIZE << smalloc_large_order(head);
}

/**
 * smalloc_large_count - how many large allocations are live
 *
 * Return: the count.
 */
unsigned long smalloc_large_count(void)
{
	return max_t(long, atomic_long_read(&smalloc_nr_large), 0);
}

/**
 * smalloc_large_abandon_all - leave live large allocations to their users
 * (unload)
 *
 * As smalloc_page_abandon(): the pages stay allocated under whoever still
 * points at them; they simply stop being counted.
 *
 * Return: how many were still live.
 */
unsigned long smalloc_large_abandon_all(void)
{
	unsigned long n = smalloc_large_count();

	atomic_long_sub(atomic_long_xchg(&smalloc_large_frames, 0),
			&smalloc_nr_pages);
	atomic_long_set(&smalloc_nr_large, 0);
	return n;
}
