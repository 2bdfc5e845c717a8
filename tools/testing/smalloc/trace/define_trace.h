/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Empty: smalloc_trace.c includes this after smalloc_trace.h to define the
 * tracepoints; in user space smalloc_kernel.h stands in for them all.
 */
