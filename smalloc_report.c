// SPDX-License-Identifier: GPL-2.0-only
/*
 * reporting bad input.
 *
 * A pointer smalloc cannot free is reported and left alone: freeing it
 * would corrupt someone else's memory.  Reports are rate-limited so that a
 * buggy caller in a loop cannot flood the log; the first one carries a
 * stack trace to find the caller.
 */
#define pr_fmt(fmt) "smalloc: " fmt

#include "smalloc_internal.h"

/**
 * smalloc_report_invalid_free - report a pointer smalloc will not free
 * @p: the pointer
 * @why: what is wrong with it
 * @ip: the caller of the API function that got @p
 *
 * Context: any.
 */
void smalloc_report_invalid_free(const void *p, const char *why,
				 unsigned long ip)
{
	static bool stack_dumped;

	smalloc_stat_count(SMALLOC_INVALID_FREE);

	pr_err_ratelimited("invalid free of %p from %pS: %s; ignored\n",
			   p, (void *)ip, why);
	if (!READ_ONCE(stack_dumped)) {
		WRITE_ONCE(stack_dumped, true);
		dump_stack();
	}
}

/**
 * smalloc_double_free - confirm and report a double free
 * @page: the block's page
 * @block: a block smalloc_block_maybe_free() flagged
 * @ip: the caller of sfree()
 *
 * On the page's owner the free lists are walked to be sure.  Anyone else
 * may not walk them, and takes the filter's word: with the page's random
 * key in the encoding, a live block passes it only by design.
 *
 * Context: any.
 * Return: true if @block was reported as freed twice (and must be left
 * alone), false if it is live after all.
 */
bool smalloc_double_free(struct smalloc_page *page, void *block,
			 unsigned long ip)
{
	struct smalloc_heap *heap = smalloc_heap_get();
	bool twice = true;

	if (page->heap == heap)
		twice = smalloc_page_holds_free(page, block);
	if (twice)
		smalloc_stat_inc(heap, SMALLOC_DOUBLE_FREE);
	smalloc_heap_put(heap);
	if (twice)
		smalloc_report_invalid_free(block, "double free", ip);
	return twice;
}
