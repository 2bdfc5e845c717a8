// SPDX-License-Identifier: GPL-2.0-only
/*
 * memory debuggers: what KASAN, kmemleak and KMSAN see of smalloc's blocks.
 *
 * SLUB tells each debugger about every object it hands out and takes
 * back (mm/slub.c's slab_post_alloc_hook() and slab_free_hook()); these
 * are smalloc's equivalents.  They exist only on a kernel built with one
 * of the debuggers (SMALLOC_DEBUG, smalloc_internal.h): elsewhere this
 * file is empty and the fast paths do not test for them.
 *
 * KASAN (generic, the only mode x86_64 has)
 * -----------------------------------------
 * A block's shadow says what may be touched:
 *
 *   - a span comes from the page allocator unpoisoned; smalloc poisons it
 *     whole as freed memory (smalloc_debug_span_new());
 *   - an allocation unpoisons exactly the bytes asked for and marks the
 *     rest of the block as a redzone, so a read or write past the request
 *     is reported as slab-out-of-bounds (smalloc_debug_alloc(),
 *     smalloc_debug_resize() for srealloc() in place);
 *   - a free first checks the block's first byte (kasan_check_write()): a
 *     block already freed is reported there, as a use-after-free write by
 *     sfree()'s caller, and smalloc's own double-free check then leaves
 *     it alone; a good free poisons the whole block as freed, so a later
 *     access is a slab-use-after-free;
 *   - a large allocation keeps the page allocator's shadow, with the tail
 *     past the request poisoned as kmalloc_large() does.
 *
 * The allocator's own accesses to free blocks (the first word, which
 * holds the free-list link) are not instrumented: smalloc_block_word()
 * and smalloc_block_set_word() are __no_kasan_or_inline.  Where smalloc
 * touches whole blocks (zeroing, the poison=1 fill and its check,
 * srealloc()'s copy, sfree_sensitive()) it turns reports off around the
 * access, as SLUB's metadata_access_enable() does.
 *
 * What being out of tree forces: include/linux/kasan.h has no interface
 * that poisons or unpoisons an arbitrary range for a module (its
 * kasan_unpoison_range() calls __kasan_unpoison_range(), which is not
 * exported, and the slab hooks need a kmem_cache).  kasan_poison() is
 * exported GPL for the KASAN test module but declared only in
 * mm/kasan/kasan.h, which a kernel's headers package does not ship; its
 * prototype and the two shadow values smalloc writes are copied below,
 * and must follow mm/kasan/kasan.h (the same in 6.1 and 6.12).  The
 * shadow of a partial last granule holds the number of bytes accessible
 * in it, which is what kasan_poison() writes when given that number as
 * the value.  And a double free is reported as KASAN's use-after-free
 * rather than its "double-free": kasan_report_invalid_free() is not
 * exported.
 *
 * kmemleak
 * --------
 * Every block is a kmemleak object from its allocation to its free
 * (block_size bytes, as SLUB registers object_size, min_count 1): it is
 * scanned for pointers, and reported with its allocation backtrace if
 * nothing points to it.  Spans themselves are not registered (kmemleak
 * objects must not overlap), and the descriptors, whose ->start would
 * point at a span's first block, are in a SLAB_NOLEAKTRACE cache.  A free
 * from NMI, where kmemleak's lock may not be taken, goes through the
 * free path's irq_work (smalloc_free.c).
 *
 * KMSAN
 * -----
 * kmsan_poison_memory() and kmsan_unpoison_memory() are exported: a block
 * handed out is uninitialised unless zeroed, and a freed block is
 * poisoned as KMSAN's slab hook poisons one.  No KMSAN kernel is built
 * here (it needs clang and a third debug kernel); these calls are only
 * compiled on such a kernel and are untested.
 */
#define pr_fmt(fmt) "smalloc: " fmt

#include "smalloc_internal.h"

#if SMALLOC_DEBUG

#ifdef CONFIG_KASAN_GENERIC
/* From mm/kasan/kasan.h (see above): exported GPL, not declared for modules. */
void kasan_poison(const void *addr, size_t size, u8 value, bool init);

#define SMALLOC_KASAN_GRANULE	BIT(KASAN_SHADOW_SCALE_SHIFT)
#define SMALLOC_KASAN_FREE	0xFB	/* KASAN_SLAB_FREE */
#define SMALLOC_KASAN_REDZONE	0xFC	/* KASAN_SLAB_REDZONE */
#define SMALLOC_KASAN_PAGE_REDZONE 0xFE	/* KASAN_PAGE_REDZONE */

/*
 * Make [@p, @p + @size) accessible and the rest of [@p, @p + @whole) a
 * redzone of @redzone.  @p and @whole are granule-aligned (blocks are
 * ARCH_KMALLOC_MINALIGN-aligned multiples of 8 bytes; pages).
 */
static void smalloc_kasan_expose(void *p, size_t size, size_t whole,
				 u8 redzone)
{
	size_t full = round_down(size, SMALLOC_KASAN_GRANULE);
	size_t part = size - full;

	if (full)
		kasan_poison(p, full, 0, false);
	if (part) {
		kasan_poison(p + full, SMALLOC_KASAN_GRANULE, part, false);
		full += SMALLOC_KASAN_GRANULE;
	}
	if (whole > full)
		kasan_poison(p + full, whole - full, redzone, false);
}

static void smalloc_kasan_poison_free(void *p, size_t size)
{
	kasan_poison(p, size, SMALLOC_KASAN_FREE, false);
}
#else
#define SMALLOC_KASAN_REDZONE		0
#define SMALLOC_KASAN_PAGE_REDZONE	0

static void smalloc_kasan_expose(void *p, size_t size, size_t whole,
				 u8 redzone)
{
}

static void smalloc_kasan_poison_free(void *p, size_t size)
{
}
#endif

/**
 * smalloc_debug_span_new - a new span's blocks are not allocated yet
 * @page: the new page, not yet published
 */
void smalloc_debug_span_new(const struct smalloc_page *page)
{
	smalloc_kasan_poison_free(page->start, PAGE_SIZE << page->order);
}

/**
 * smalloc_debug_alloc - hand a block out: check, clear, tell the debuggers
 * @page: the block's page (pinned by the block)
 * @block: the block, just taken off a free list
 * @size: what the caller asked for
 * @gfp: the caller's flags
 *
 * What smalloc_alloc_prepare() does on other kernels (poison check,
 * zeroing as asked), then the block is exposed to KASAN for @size bytes,
 * registered with kmemleak and marked for KMSAN.
 *
 * Return: @block.
 */
void *smalloc_debug_alloc(const struct smalloc_page *page, void *block,
			  size_t size, gfp_t gfp)
{
	bool zero = want_init_on_alloc(gfp);

	if (static_branch_unlikely(&smalloc_poison))
		smalloc_poison_verify(page, block);
	kasan_disable_current();
	if (zero)
		memset(block, 0, page->block_size);
	kasan_enable_current();
	smalloc_kasan_expose(block, size, page->block_size,
			     SMALLOC_KASAN_REDZONE);
	kmemleak_alloc(block, page->block_size, 1, gfp);
	if (zero)
		kmsan_unpoison_memory(block, page->block_size);
	else
		kmsan_poison_memory(block, page->block_size, gfp);
	return block;
}

/**
 * smalloc_debug_resize - srealloc() keeps a block at another size
 * @page: the block's page
 * @block: a live block
 * @size: the new size, at most the block size
 *
 * KASAN's view follows the new size, as kasan_krealloc() makes it.
 */
void smalloc_debug_resize(const struct smalloc_page *page, void *block,
			  size_t size)
{
	smalloc_kasan_expose(block, size, page->block_size,
			     SMALLOC_KASAN_REDZONE);
}

/**
 * smalloc_debug_check_free - is @block live, as far as KASAN knows?
 * @page: the block's page
 * @block: a block start, about to be freed
 *
 * A freed block is poisoned: checking its first byte reports the bad free
 * with KASAN's report (the caller's stack, the block's shadow).
 *
 * Return: false if KASAN reported @block.
 */
bool smalloc_debug_check_free(const struct smalloc_page *page, void *block)
{
	return kasan_check_write(block, 1);
}

/**
 * smalloc_debug_free - take a live block back: tell the debuggers, clear
 * @page: the block's page
 * @block: a live block, not yet on any list
 *
 * kmemleak forgets the block first (before another CPU can have it
 * again); then the poison=1 fill or init_on_free zeroing that sfree()
 * does on other kernels, and the block is poisoned for KASAN and KMSAN.
 */
void smalloc_debug_free(const struct smalloc_page *page, void *block)
{
	kmemleak_free(block);
	if (static_branch_unlikely(&smalloc_poison)) {
		smalloc_poison_block(page, block);
	} else if (want_init_on_free()) {
		kasan_disable_current();
		memset(block, 0, page->block_size);
		kasan_enable_current();
	}
	smalloc_kasan_poison_free(block, page->block_size);
	kmsan_poison_memory(block, page->block_size, GFP_ATOMIC);
}

/**
 * smalloc_debug_large_alloc - a large allocation's tail is a redzone
 * @p: the pages' address
 * @size: what the caller asked for
 * @alloc_size: PAGE_SIZE << order
 */
void smalloc_debug_large_alloc(void *p, size_t size, size_t alloc_size)
{
	smalloc_kasan_expose(p, size, alloc_size, SMALLOC_KASAN_PAGE_REDZONE);
}

#endif /* SMALLOC_DEBUG */
