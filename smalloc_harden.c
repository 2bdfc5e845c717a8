// SPDX-License-Identifier: GPL-2.0-only
/*
 * Optional hardening: poisoning of free blocks and a randomised carve
 * order.  (Free-list pointer encoding and double-free detection are always
 * on; see smalloc_internal.h and smalloc_report.c.)
 *
 * poison (module parameter, off by default): every free block is filled
 * with POISON_FREE past its first word (which holds the encoded list
 * pointer), and every allocation checks the fill is intact, so a write
 * after free is reported when the block is next handed out.  It costs a
 * memset on every free and a scan on every allocation; a static key keeps
 * it to a patched-out jump when off.  Poisoning replaces init_on_free's
 * zeroing while it is on.
 *
 * random_order (module parameter, on by default, as the distro's kmalloc
 * has SLAB_FREELIST_RANDOM): each extension of a span's free list is
 * linked in a random order (a random start and a random stride coprime
 * with the count), so that the address of the next block is not implied
 * by the address of the last.  It costs only the slow path that carves.
 */
#define pr_fmt(fmt) "smalloc: " fmt

#include "smalloc_internal.h"

DEFINE_STATIC_KEY_FALSE(smalloc_poison);

static bool smalloc_param_poison;
module_param_named(poison, smalloc_param_poison, bool, 0444);
MODULE_PARM_DESC(poison, "Poison free blocks and check the poison on allocation (default off)");

bool smalloc_random_order = true;
module_param_named(random_order, smalloc_random_order, bool, 0644);
MODULE_PARM_DESC(random_order, "Carve new blocks in a random order (default on)");

#define SMALLOC_POISON_START	sizeof(void *)

/**
 * smalloc_poison_block - fill a free block with POISON_FREE
 * @page: the block's page
 * @block: the block; its first word is left for the list pointer
 */
void smalloc_poison_block(const struct smalloc_page *page, void *block)
{
	/* A free block: KASAN's shadow says so (smalloc_debug.c). */
	kasan_disable_current();
	memset(block + SMALLOC_POISON_START, POISON_FREE,
	       page->block_size - SMALLOC_POISON_START);
	kasan_enable_current();
}

/**
 * smalloc_poison_verify - check a block's poison as it is handed out
 * @page: the block's page
 * @block: the block, just taken off a free list
 *
 * A byte that is not POISON_FREE was written after the block was freed.
 * The block is reported and handed out all the same: the bug is in the
 * code that wrote it, and the new owner gets the memory it asked for.
 *
 * Context: any.
 */
void smalloc_poison_verify(const struct smalloc_page *page, void *block)
{
	u8 *start = block + SMALLOC_POISON_START;
	u8 *bad, val = 0;

	kasan_disable_current();
	bad = memchr_inv(start, POISON_FREE,
			 page->block_size - SMALLOC_POISON_START);
	if (unlikely(bad))
		val = *bad;
	kasan_enable_current();
	if (likely(!bad))
		return;
	smalloc_stat_count(SMALLOC_POISON_BAD);
	pr_err_ratelimited("block %p (%u bytes) was written after it was freed: byte %td is %#x\n",
			   block, page->block_size, bad - (u8 *)block, val);
}

/*
 * On while a block handed out needs more than a pop (poisoning, the
 * init_on_alloc policy, the smalloc_alloc event), and while a block given
 * back needs more than a push (poisoning, init_on_free, smalloc_free).
 * Each fast path tests its key alone, one static key instead of three;
 * the paths they send blocks to test each thing the key stands for.
 */
DEFINE_STATIC_KEY_FALSE(smalloc_alloc_hooks);
DEFINE_STATIC_KEY_FALSE(smalloc_free_hooks);
/*
 * On while the init_on_alloc policy is all smalloc_alloc_hooks stands
 * for (Debian's default): the block it sends out of line is zeroed there
 * first thing, with no other test.
 */
DEFINE_STATIC_KEY_FALSE(smalloc_alloc_zero_only);

static void smalloc_key_set(struct static_key_false *key, bool on)
{
	if (on)
		static_branch_enable(key);
	else
		static_branch_disable(key);
}

/**
 * smalloc_poison_set - turn poisoning on or off
 * @on: the new state
 *
 * Only safe when no heap holds free blocks carved or freed while it was
 * off (at load, or after a drain with nothing allocated): those carry no
 * poison and would be reported.  For the tests and module load.
 *
 * Context: process context.
 */
void smalloc_poison_set(bool on)
{
	smalloc_key_set(&smalloc_poison, on);
	smalloc_hooks_update();
}

/**
 * smalloc_hooks_update - set smalloc_alloc_hooks and smalloc_free_hooks
 * from what they stand for
 *
 * At load, whenever poisoning changes and when the smalloc_alloc or
 * smalloc_free event gets its first probe or loses its last; the boot
 * policies do not change after boot (the user-space harness, whose tests
 * change them, calls this after).
 *
 * Context: process context.
 */
void smalloc_hooks_update(void)
{
	static DEFINE_MUTEX(lock);
	bool poison;

	/* Poisoning and the events change from different callers. */
	mutex_lock(&lock);
	poison = static_key_enabled(&smalloc_poison);
	/* The narrow key first: while both are on, either path is right. */
	smalloc_key_set(&smalloc_alloc_zero_only, !SMALLOC_DEBUG && !poison &&
			want_init_on_alloc(0) &&
			!READ_ONCE(smalloc_tracing_alloc));
	smalloc_key_set(&smalloc_alloc_hooks, poison || want_init_on_alloc(0) ||
			READ_ONCE(smalloc_tracing_alloc));
	smalloc_key_set(&smalloc_free_hooks, poison || want_init_on_free() ||
			READ_ONCE(smalloc_tracing_free));
	mutex_unlock(&lock);
}

void smalloc_harden_init(void)
{
	smalloc_poison_set(smalloc_param_poison);
}

/**
 * smalloc_carve_stride - how to link the blocks of one extension
 * @n: how many blocks are carved
 * @start: the first block's index among them
 *
 * Return: the stride between consecutive blocks of the list (modulo @n);
 * 1 with *@start 0 is address order.
 */
unsigned int smalloc_carve_stride(unsigned int n, unsigned int *start)
{
	unsigned int stride;
	u32 r;

	*start = 0;
	if (!READ_ONCE(smalloc_random_order) || n < 3)
		return 1;
	/*
	 * One draw for both, each half scaled to its range: n is at most
	 * SMALLOC_MAX_BLOCKS, so 16 bits leave each choice within 1% of
	 * uniform, and a u32 costs half a u64's share of the batch refill.
	 * A stride sharing a factor with n would link only part of the
	 * blocks.  For n a power of two (4 KiB of a power-of-two size) the
	 * strides that share none are the odd ones: the draw picks one of
	 * them directly.  Otherwise a stride that shares one is drawn
	 * again, which keeps the choice uniform among those that do not.
	 */
	r = get_random_u32();
	*start = ((r & 0xffff) * n) >> 16;
	if (is_power_of_2(n))
		return 2 * (((r >> 16) * (n / 2)) >> 16) + 1;
	stride = 1 + (((r >> 16) * (n - 1)) >> 16);
	while (gcd(stride, n) != 1)
		stride = 1 + get_random_u32_below(n - 1);
	return stride;
}
