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
 *
 * Frees on the owner's CPU from another context level
 * ---------------------------------------------------
 * Network receive allocates in softirq and the reader frees in task
 * context; timers and RCU callbacks free in softirq what tasks allocated.
 * The freer then runs on the owner's CPU, where the kernel's own rules
 * can keep one level out of the other's way, so none of these frees
 * needs the page's xthread_free and its locked instructions
 * (smalloc_free_foreign()):
 *
 *  - a lower level freeing into a higher level's page (task into softirq
 *    or hardirq, softirq into hardirq) disables interrupts: then no
 *    softirq or hardirq can start on this CPU, and none is half-way
 *    through (it would have run to its end before the lower level went
 *    on), so for that moment the freer is the owner, as the idle check is
 *    (smalloc_idle_work()), and frees locally, live byte and all, as the
 *    owner would;
 *  - a higher level freeing into a lower level's page (softirq into task,
 *    hardirq into either) that interrupted code outside any
 *    preempt-disabled section (smalloc_lower_levels_get(): every owner
 *    access to a heap is under preempt_disable() or with interrupts off)
 *    knows that no lower level is in its heap, nor can enter it before
 *    the free returns, and frees locally too.  Softirqs run by ksoftirqd,
 *    and interrupts that came while a task ran preemptible, find it so;
 *    softirqs run from local_bh_enable() (which keeps one count of
 *    preemption across them) and whatever interrupts the idle loop
 *    (preemption disabled) never do;
 *  - else the owner may be half-way through its lists.  The freer takes
 *    the live byte with cmpxchg_local(), which no context of the CPU can
 *    cut in two (the owner's own free is no safer against a free of the
 *    same block at the same instant from another CPU), and pushes the
 *    block onto the owner heap's ctx_free with cmpxchg_local() too: only
 *    this CPU's contexts touch that stack while the CPU is online, and a
 *    local cmpxchg is atomic against all of them without a locked
 *    instruction.  The owner takes the whole stack the same way at its
 *    next heartbeat, idle check or drain (smalloc_heap_collect_ctx()) and
 *    frees each block locally; pushes and take-all have no ABA problem.
 *    The stack holds blocks its pages still count as used, so it pins
 *    them no longer than xthread_free does.
 *
 * NMI does neither (it can keep nothing out, and cmpxchg_local() is not
 * NMI-safe on every architecture): its frees are remote frees.  Each next
 * pointer on ctx_free is encoded with the keys of its own block's page.
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

/*
 * May the current heap @heap keep @owner's level out for a moment?  Yes if
 * @owner is a higher level of this CPU (the NMI heap, the highest, has no
 * pages).
 */
static __always_inline bool smalloc_ctx_below(const struct smalloc_heap *heap,
					      const struct smalloc_heap *owner)
{
	return owner->cpu == heap->cpu && owner->ctx > heap->ctx;
}

/*
 * Is @owner, not @heap, a lower level of this CPU, which @heap (not NMI)
 * may free into without xthread_free?
 */
static __always_inline bool smalloc_ctx_above(const struct smalloc_heap *heap,
					      const struct smalloc_heap *owner)
{
	return owner->cpu == heap->cpu && heap->ctx != SMALLOC_CTX_NMI;
}

/* A local free into @page of another level, whose owner is kept out. */
static __always_inline void smalloc_free_ctx_owned(struct smalloc_heap *heap,
						   struct smalloc_page *page,
						   void *block)
{
	smalloc_stat_inc(heap, SMALLOC_FREE_CTX);
	smalloc_heap_free_block(page->heap, page, block);
}

/* A lower level frees into @page of a higher one: keep it out, free locally. */
static __always_inline void smalloc_free_ctx_local(struct smalloc_heap *heap,
						   struct smalloc_page *page,
						   void *block)
{
	unsigned long flags;

	local_irq_save(flags);
	smalloc_free_ctx_owned(heap, page, block);
	local_irq_restore(flags);
}

/*
 * A higher level frees into @page of a lower one that it interrupted
 * outside any preempt-disabled section: no lower level is in its heap,
 * so free locally.  Return: false if that cannot be known.
 */
static bool smalloc_free_ctx_interrupted(struct smalloc_heap *heap,
					 struct smalloc_page *page, void *block)
{
	if (!smalloc_lower_levels_get())
		return false;
	smalloc_free_ctx_owned(heap, page, block);
	smalloc_lower_levels_put();
	return true;
}

/* A higher level frees into @page of a lower one: onto its ctx_free. */
static void smalloc_push_ctx(struct smalloc_heap *heap,
			     struct smalloc_page *page, void *block)
{
	struct smalloc_heap *owner = page->heap;
	void *old = READ_ONCE(owner->ctx_free), *seen;

	for (;;) {
		smalloc_block_set_next(page, block, old);
		seen = cmpxchg_local(&owner->ctx_free, old, block);
		if (likely(seen == old))
			break;
		old = seen;
	}
	smalloc_stat_inc(heap, SMALLOC_FREE_CTX);
}

/**
 * smalloc_free_foreign_claimed - free a block whose live byte the caller
 * took into a page another heap owns
 * @heap: the current heap
 * @page: the block's page, which @heap does not own
 * @block: the block
 *
 * Locally with interrupts off if the owner is a higher level of this CPU;
 * if a lower one, locally if it was interrupted outside any
 * preempt-disabled section, else onto its ctx_free; from another CPU (or
 * NMI) onto the page's xthread_free (see the top of this file).
 */
void smalloc_free_foreign_claimed(struct smalloc_heap *heap,
				  struct smalloc_page *page, void *block)
{
	struct smalloc_heap *owner = page->heap;

	if (smalloc_ctx_below(heap, owner))
		smalloc_free_ctx_local(heap, page, block);
	else if (!smalloc_ctx_above(heap, owner))
		smalloc_push_remote(heap, page, block);
	else if (!smalloc_free_ctx_interrupted(heap, page, block))
		smalloc_push_ctx(heap, page, block);
}

/*
 * smalloc_free_foreign() - free a live block into a page another heap owns
 * @heap: the current heap
 * @page: the block's page, which @heap does not own
 * @block: the block
 * @index: its block number
 *
 * As smalloc_free_foreign_claimed(), taking the live byte first, as the
 * owner would where the freer shares its CPU: a lower level that keeps
 * the owner out is the owner for the moment, and clears it with a plain
 * store; a higher level takes it with cmpxchg_local(), atomic against
 * every context of the CPU as the owner's own free is.  A freer on
 * another CPU takes it with xchg: of two frees of one block from other
 * CPUs, even at the same time, one takes the 1 and frees, the other finds
 * 0 and frees nothing.
 *
 * Return: false if @block was not live (freed twice; the caller reports).
 */
static __always_inline bool __smalloc_free_foreign(struct smalloc_heap *heap,
						   struct smalloc_page *page,
						   void *block,
						   unsigned long index)
{
	struct smalloc_heap *owner = page->heap;

	if (smalloc_ctx_below(heap, owner)) {
		WRITE_ONCE(page->live[index], 0);
		smalloc_free_ctx_local(heap, page, block);
		return true;
	}
	if (smalloc_ctx_above(heap, owner)) {
		if (smalloc_lower_levels_get()) {
			WRITE_ONCE(page->live[index], 0);
			smalloc_free_ctx_owned(heap, page, block);
			smalloc_lower_levels_put();
			return true;
		}
		if (unlikely(cmpxchg_local(&page->live[index], 1, 0) != 1))
			return false;
		smalloc_push_ctx(heap, page, block);
		return true;
	}
	if (unlikely(!xchg(&page->live[index], 0)))
		return false;
	smalloc_push_remote(heap, page, block);
	return true;
}

/**
 * smalloc_free_foreign - free a live block into a page another heap owns
 * @heap: the current heap
 * @page: the block's page, which @heap does not own
 * @block: the block
 * @index: its block number
 *
 * For frees that hold the heap across many blocks (sfree_bulk()).
 *
 * Return: false if @block was not live (freed twice; the caller reports).
 */
bool smalloc_free_foreign(struct smalloc_heap *heap, struct smalloc_page *page,
			  void *block, unsigned long index)
{
	return __smalloc_free_foreign(heap, page, block, index);
}

/**
 * smalloc_free_foreign_put - sfree()'s end for a block of another heap
 * @heap: the current heap, which this lets go of
 * @page: the block's page, which @heap does not own
 * @block: the block
 * @index: its block number
 *
 * sfree() tail-calls it, so it needs no stack frame; the report of a
 * double free found here names _RET_IP_, which is sfree()'s caller when
 * the calls are tail calls as they are built (else a place in sfree()):
 * passing the caller's address would cost the fast path a load.
 */
noinline void smalloc_free_foreign_put(struct smalloc_heap *heap,
				       struct smalloc_page *page, void *block,
				       unsigned long index)
{
	bool freed = __smalloc_free_foreign(heap, page, block, index);

	smalloc_heap_put(heap);
	if (unlikely(!freed))
		smalloc_double_free(block, _RET_IP_);
}

/**
 * smalloc_heap_collect_ctx - take back what higher levels of this CPU
 * freed into the heap's pages
 * @heap: owned heap (or a dead CPU's)
 *
 * Each block goes back to its page as a local free would put it, which
 * retires a page it empties.
 */
void smalloc_heap_collect_ctx(struct smalloc_heap *heap)
{
	void *block = READ_ONCE(heap->ctx_free), *seen;

	if (likely(!block))
		return;
	while ((seen = cmpxchg_local(&heap->ctx_free, block, NULL)) != block)
		block = seen;
	while (block) {
		struct smalloc_page *page = smalloc_ptr_to_page(block);
		void *next = smalloc_block_next(page, block);

		smalloc_stat_inc(heap, SMALLOC_REMOTE_COLLECTED);
		smalloc_heap_free_block(heap, page, block);
		block = next;
	}
}
