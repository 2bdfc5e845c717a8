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
 * If the page is on its heap's full queue, the owner would never look at
 * it, so the first remote free after the page went full (SMALLOC_TF_NOTIFY
 * set) clears the bit and pushes its block onto the heap's delayed_free
 * list instead; the owner's next slow path frees it locally, which moves
 * the page back to its queue.  The page cannot disappear meanwhile: the
 * block still counts in page->used.  Heaps are never freed while the
 * module is loaded, so the owner heap pointer is always valid.
 *
 * Everything here is lock-free and safe in any context, NMI included.
 */
#include "smalloc_internal.h"

static void smalloc_push_delayed(struct smalloc_page *page, void *block)
{
	struct smalloc_heap *owner = page->heap;
	long old = atomic_long_read(&owner->delayed_free);

	do {
		smalloc_block_set_next(page, block, (void *)old);
	} while (!atomic_long_try_cmpxchg(&owner->delayed_free, &old,
					  (long)block));
}

/**
 * smalloc_free_remote - free a block into a page another heap owns
 * @heap: the current heap (for statistics only)
 * @page: the block's page
 * @block: the block
 */
void smalloc_free_remote(struct smalloc_heap *heap, struct smalloc_page *page,
			 void *block)
{
	long old = atomic_long_read(&page->xthread_free);
	long new;

	do {
		if (old & SMALLOC_TF_NOTIFY) {
			new = old & ~SMALLOC_TF_NOTIFY;
		} else {
			smalloc_block_set_next(page, block, (void *)old);
			new = (long)block;
		}
	} while (!atomic_long_try_cmpxchg(&page->xthread_free, &old, new));

	if (old & SMALLOC_TF_NOTIFY) {
		smalloc_push_delayed(page, block);
		smalloc_stat_inc(heap, SMALLOC_FREE_DELAYED);
	} else {
		smalloc_stat_inc(heap, SMALLOC_FREE_REMOTE);
	}
}
