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
 * smalloc_double_free - report a double free
 * @block: a carved block start whose live byte said it is free already
 *         (the byte is exact: see smalloc_page.live in smalloc_internal.h)
 * @ip: the caller of sfree()
 *
 * @block's page is not touched: nothing pins it.
 *
 * Context: any.
 */
void smalloc_double_free(const void *block, unsigned long ip)
{
	smalloc_stat_count(SMALLOC_DOUBLE_FREE);
	smalloc_report_invalid_free(block, "double free", ip);
}
