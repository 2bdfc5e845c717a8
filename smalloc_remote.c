// SPDX-License-Identifier: GPL-2.0-only
/*
 * frees by anyone but the page's owner.
 *
 * A block freed on another CPU, or on the owner CPU but in another context
 * level, must not touch the owner's lists.  It is pushed onto the page's
 * xthread_free with cmpxchg: a multi-producer stack whose only consumer,
 * the owner, takes the whole stack at once (smalloc_page_collect()), so
 * there is no ABA problem.  The fully ordered cmpxchg publishes the
 * block's next pointer before the block itself.
 *
 * The owner must learn that a page has remote frees wherever the page
 * sits: on its full list (it has room again) or in its queue (it may be
 * empty now, and must then be retired, which bounds it).  So the push that
 * finds xthread_free empty also sets the page's class bit in the owner
 * heap's remote_classes; the owner's heartbeat and idle check take the
 * bits with xchg and collect the pages of those classes that have remote
 * frees (smalloc_heap_collect_remote()).  No notification is lost: the
 * push and the bit test are ordered by the cmpxchg's full barrier, the
 * owner's xchg and its reads of xthread_free by the xchg's, so either the
 * owner's walk sees the block or the pusher sees the bit clear and sets
 * it again.  Every block stays on its page's own list.  Its live byte
 * (smalloc_internal.h) was cleared first, with xchg, so a second free,
 * by the owner or anyone, finds it free.
 *
 * The page cannot disappear while the freer holds its block; once the
 * block is pushed it may (the owner can collect it and release the page
 * at once), so everything the free needs of the page is read before the
 * push.  Heaps are never freed while the module is loaded, so the owner
 * heap pointer stays valid.
 *
 * Everything here is lock-free and safe in any context, NMI included.
 */
#include "smalloc_internal.h"

/**
 * smalloc_push_remote - push a block its freer owns into its page's
 * xthread_free
 * @heap: the current heap (for statistics only)
 * @page: the block's page, which another heap owns
 * @block: the block, whose live byte the caller took (is 0 now)
 */
void smalloc_push_remote(struct smalloc_heap *heap, struct smalloc_page *page,
			 void *block)
{
	/*
	 * Read before the push: once the block is on xthread_free the owner
	 * may collect it, empty the page and give it back.
	 */
	struct smalloc_heap *owner = page->heap;
	unsigned long bit = 1UL << page->class;
	long old;

	old = atomic_long_read(&page->xthread_free);
	do {
		smalloc_block_set_next(page, block, (void *)old);
	} while (!atomic_long_try_cmpxchg(&page->xthread_free, &old,
					  (long)block));
	if (likely(old)) {
		smalloc_stat_inc(heap, SMALLOC_FREE_REMOTE);
		return;
	}
	/* The first since the owner collected: tell it (see above). */
	if (!(atomic_long_read(&owner->remote_classes) & bit))
		atomic_long_or(bit, &owner->remote_classes);
	smalloc_stat_inc(heap, SMALLOC_FREE_DELAYED);
}

/**
 * smalloc_free_remote - free a block into a page another heap owns
 * @heap: the current heap (for statistics only)
 * @page: the block's page
 * @block: the block
 * @index: its block number
 *
 * The block's live byte is taken with xchg: of two frees of one block,
 * from any CPUs and contexts and even at the same time, one takes the 1
 * and pushes, the other finds 0 and pushes nothing.
 *
 * Return: false if @block was not live (freed twice; the caller reports).
 */
bool smalloc_free_remote(struct smalloc_heap *heap, struct smalloc_page *page,
			 void *block, unsigned long index)
{
	if (unlikely(!xchg(&page->live[index], 0)))
		return false;
	smalloc_push_remote(heap, page, block);
	return true;
}
