// SPDX-License-Identifier: GPL-2.0-only
/*
 * smalloc's tracepoints, defined here once (smalloc_trace.h has the
 * events; Documentation/smalloc.rst, "Tracing", what fires them).
 */
#include "smalloc_internal.h"

#define CREATE_TRACE_POINTS
#include "smalloc_trace.h"
