// SPDX-License-Identifier: GPL-2.0-only
/*
 * smalloc's tracepoints, defined here once (smalloc_trace.h has the
 * events; Documentation/smalloc.rst, "Tracing", what fires them).
 */
#include "smalloc_internal.h"

#define CREATE_TRACE_POINTS
#include "smalloc_trace.h"

/*
 * Called by the tracepoint code, under its mutex, before the first probe
 * of smalloc_alloc (smalloc_free) is added and after the last one went:
 * the fast path sends its blocks where the event fires while it has a
 * probe (smalloc_hooks_update(), smalloc_harden.c).
 */
bool smalloc_tracing_alloc, smalloc_tracing_free;

static int smalloc_tracing_set(bool *flag, bool on)
{
	WRITE_ONCE(*flag, on);
	smalloc_hooks_update();
	return 0;
}

int smalloc_trace_alloc_reg(void)
{
	return smalloc_tracing_set(&smalloc_tracing_alloc, true);
}

void smalloc_trace_alloc_unreg(void)
{
	smalloc_tracing_set(&smalloc_tracing_alloc, false);
}

int smalloc_trace_free_reg(void)
{
	return smalloc_tracing_set(&smalloc_tracing_free, true);
}

void smalloc_trace_free_unreg(void)
{
	smalloc_tracing_set(&smalloc_tracing_free, false);
}
