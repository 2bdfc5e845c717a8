/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * smalloc's tracepoints: the smalloc event system.
 *
 * smalloc_alloc and smalloc_free are kmem:kmalloc and kmem:kfree of
 * include/trace/events/kmem.h (6.12) with the system and name changed:
 * the same fields, names, types and output, so that what reads kmalloc's
 * events reads these.  The other four cover the bulk and RCU paths, which
 * fire no per-object event (as kmem_cache_alloc_bulk() and kfree_bulk()
 * fire none).  Which call fires which event: Documentation/smalloc.rst,
 * "Tracing".
 *
 * A trace header is read more than once (TRACE_HEADER_MULTI_READ), so it
 * includes its own <linux/...> headers, the one exception to
 * smalloc_kernel.h being the only file that does.  smalloc_trace.c alone
 * defines CREATE_TRACE_POINTS; Kbuild puts $(src) on its include path for
 * TRACE_INCLUDE_PATH below, which works in and out of tree.  The user-space
 * harness predefines _TRACE_SMALLOC_H and provides no-op trace_*() calls.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM smalloc

#if !defined(_TRACE_SMALLOC_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_SMALLOC_H

#include <linux/types.h>
#include <linux/tracepoint.h>
#include <trace/events/mmflags.h>

/*
 * show_gfp_flags() expands to more than sparse can stringify ("too long
 * token expansion", over 8 KiB); sparse checks the rest with a stand-in.
 */
#ifdef __CHECKER__
#define smalloc_show_gfp_flags(flags)	((flags) ? "" : "none")
#else
#define smalloc_show_gfp_flags(flags)	show_gfp_flags(flags)
#endif

/* Its registration sets smalloc_alloc_hooks (smalloc_trace.c). */
TRACE_EVENT_FN(smalloc_alloc,
	       TP_PROTO(unsigned long call_site, const void *ptr, size_t bytes_req,
			size_t bytes_alloc, gfp_t gfp_flags, int node),
	       TP_ARGS(call_site, ptr, bytes_req, bytes_alloc, gfp_flags, node),
	       TP_STRUCT__entry(__field(unsigned long, call_site)
				__field(const void *, ptr)
				__field(size_t, bytes_req)
				__field(size_t, bytes_alloc)
				__field(unsigned long, gfp_flags)
				__field(int, node)),
	       TP_fast_assign(__entry->call_site = call_site;
			      __entry->ptr = ptr;
			      __entry->bytes_req = bytes_req;
			      __entry->bytes_alloc = bytes_alloc;
			      __entry->gfp_flags = (__force unsigned long)gfp_flags;
			      __entry->node = node;),
	       TP_printk("call_site=%pS ptr=%p bytes_req=%zu bytes_alloc=%zu gfp_flags=%s node=%d accounted=%s",
			 (void *)__entry->call_site, __entry->ptr,
			 __entry->bytes_req, __entry->bytes_alloc,
			 smalloc_show_gfp_flags(__entry->gfp_flags), __entry->node,
			 (IS_ENABLED(CONFIG_MEMCG) &&
			  (__entry->gfp_flags & (__force unsigned long)__GFP_ACCOUNT)) ?
			 "true" : "false"),
	       smalloc_trace_alloc_reg, smalloc_trace_alloc_unreg
);

/* call_site and ptr, for smalloc_free and smalloc_free_rcu. */
DECLARE_EVENT_CLASS(smalloc_ptr,
		    TP_PROTO(unsigned long call_site, const void *ptr),
		    TP_ARGS(call_site, ptr),
		    TP_STRUCT__entry(__field(unsigned long, call_site)
				     __field(const void *, ptr)),
		    TP_fast_assign(__entry->call_site = call_site;
				   __entry->ptr = ptr;),
		    TP_printk("call_site=%pS ptr=%p",
			      (void *)__entry->call_site, __entry->ptr)
);

/*
 * Every sfree() and sfree_sensitive() call, NULL included, as kmem:kfree.
 * Its registration sets smalloc_free_hooks (smalloc_trace.c).
 */
DEFINE_EVENT_FN(smalloc_ptr, smalloc_free,
		TP_PROTO(unsigned long call_site, const void *ptr),
		TP_ARGS(call_site, ptr),
		smalloc_trace_free_reg, smalloc_trace_free_unreg
);

/* An object handed to sfree_rcu() or sfree_rcu_mightsleep(). */
DEFINE_EVENT(smalloc_ptr, smalloc_free_rcu,
	     TP_PROTO(unsigned long call_site, const void *ptr),
	     TP_ARGS(call_site, ptr)
);

/* A batch of @nr sfree_rcu() objects freed after its grace period. */
TRACE_EVENT(smalloc_rcu_batch,
	    TP_PROTO(size_t nr),
	    TP_ARGS(nr),
	    TP_STRUCT__entry(__field(size_t, nr)),
	    TP_fast_assign(__entry->nr = nr;),
	    TP_printk("nr=%zu", __entry->nr)
);

/* One smalloc_bulk() call: @nr_done is @nr_req or 0 (all or nothing). */
TRACE_EVENT(smalloc_alloc_bulk,
	    TP_PROTO(unsigned long call_site, size_t bytes_req,
		     size_t bytes_alloc, gfp_t gfp_flags, size_t nr_req,
		     size_t nr_done),
	    TP_ARGS(call_site, bytes_req, bytes_alloc, gfp_flags, nr_req,
		    nr_done),
	    TP_STRUCT__entry(__field(unsigned long, call_site)
			     __field(size_t, bytes_req)
			     __field(size_t, bytes_alloc)
			     __field(unsigned long, gfp_flags)
			     __field(size_t, nr_req)
			     __field(size_t, nr_done)),
	    TP_fast_assign(__entry->call_site = call_site;
			   __entry->bytes_req = bytes_req;
			   __entry->bytes_alloc = bytes_alloc;
			   __entry->gfp_flags = (__force unsigned long)gfp_flags;
			   __entry->nr_req = nr_req;
			   __entry->nr_done = nr_done;),
	    TP_printk("call_site=%pS bytes_req=%zu bytes_alloc=%zu gfp_flags=%s nr_req=%zu nr_done=%zu",
		      (void *)__entry->call_site, __entry->bytes_req,
		      __entry->bytes_alloc, smalloc_show_gfp_flags(__entry->gfp_flags),
		      __entry->nr_req, __entry->nr_done)
);

/* One sfree_bulk() call of @nr pointers. */
TRACE_EVENT(smalloc_free_bulk,
	    TP_PROTO(unsigned long call_site, size_t nr),
	    TP_ARGS(call_site, nr),
	    TP_STRUCT__entry(__field(unsigned long, call_site)
			     __field(size_t, nr)),
	    TP_fast_assign(__entry->call_site = call_site;
			   __entry->nr = nr;),
	    TP_printk("call_site=%pS nr=%zu",
		      (void *)__entry->call_site, __entry->nr)
);

#endif /* _TRACE_SMALLOC_H */

/* Outside the guard: define_trace.h reads this file again. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE smalloc_trace
#include <trace/define_trace.h>
