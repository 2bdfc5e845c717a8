/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * move a whole module's kmalloc family onto smalloc.
 *
 * One Kbuild line, no source change:
 *
 *	ccflags-y += -include <smalloc>/include/<this file>
 *
 * (and KBUILD_EXTRA_SYMBOLS=<smalloc>/Module.symvers, as for any client).
 *
 * <linux/slab.h> defines kmalloc() and its siblings as macros (6.12's
 * alloc_hooks), so a redirect placed before it would be silently undone.
 * This header therefore includes slab.h, string.h and rcupdate.h first;
 * their include guards keep the module's own later includes from
 * defining anything again, and the redirects below, made after them,
 * stand.  Functions are redirected with object-like macros, so that
 * "kfree" taken as a function pointer (a devres action, an ops table)
 * becomes sfree too.
 *
 * Redirected, within the module only:
 *	kmalloc kzalloc kcalloc kmalloc_array krealloc krealloc_array
 *	kmalloc_node kzalloc_node kcalloc_node kmemdup kstrdup kstrndup
 *	kfree kfree_sensitive ksize kfree_bulk kfree_rcu kfree_rcu_mightsleep
 *
 * Not redirected, and why:
 *  - kmem_cache_*(): a cache has a constructor, alignment, flags and a
 *    name of its own that smalloc does not model;
 *  - kvmalloc(), kvfree(), vmalloc(): kvmalloc() falls back to vmalloc,
 *    and kvfree() would hand a redirected kmalloc() pointer to kfree();
 *    keep such buffers on kvmalloc()/kvfree(), both the kernel's;
 *  - devm_kmalloc() and the other managed allocations: devres frees them
 *    with its own kfree();
 *  - kasprintf(), kstrdup_const(), krealloc() done inside other kernel
 *    code: the kernel's own kmalloc; sfree() (what kfree() now is) takes
 *    such objects back, so freeing them here stays correct.
 *
 * pr_fmt: the headers this one includes define the default pr_fmt before
 * the module's own "#define pr_fmt" is seen, which then warns as a
 * redefinition.  Give it on the command line instead, before the switch:
 *
 *	ccflags-y += -D'pr_fmt(fmt)=KBUILD_MODNAME ": " fmt'
 *
 * and drop the #define (or keep it token for token the same).
 *
 * The one rule a switched module must keep: memory it allocates must not
 * be freed by code outside it with the kernel's kfree() (an API that
 * takes ownership of a kmalloc() buffer).  That kfree() would reach
 * free_large_kmalloc() on a span frame: keep such buffers on the
 * kernel's allocator by calling __kmalloc_noredirect() below.
 */
#ifndef _SMALLOC_KMALLOC_H
#define _SMALLOC_KMALLOC_H

#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <smalloc.h>

/* The kernel's kmalloc(), for buffers whose ownership leaves the module. */
static inline void *__kmalloc_noredirect(size_t size, gfp_t gfp)
{
	return kmalloc(size, gfp);
}

/* The kernel's kfree(), for what the kernel's kmalloc() gave. */
static inline void __kfree_noredirect(const void *p)
{
	kfree(p);
}

#undef kmalloc
#undef kzalloc
#undef kcalloc
#undef kmalloc_array
#undef krealloc
#undef krealloc_array
#undef kmalloc_node
#undef kzalloc_node
#undef kcalloc_node
#undef kmemdup
#undef kstrdup
#undef kstrndup
#undef kfree
#undef kfree_sensitive
#undef ksize
#undef kfree_bulk
#undef kfree_rcu
#undef kfree_rcu_mightsleep

#define kmalloc			smalloc
#define kzalloc			szalloc
#define kcalloc			scalloc
#define kmalloc_array		smalloc_array
#define krealloc		srealloc
#define krealloc_array		srealloc_array
#define kmalloc_node		smalloc_node
#define kzalloc_node		szalloc_node
#define kcalloc_node		scalloc_node
#define kmemdup			smemdup
#define kstrdup			sstrdup
#define kstrndup		sstrndup
#define kfree			sfree
#define kfree_sensitive		sfree_sensitive
#define ksize			smalloc_usable_size
#define kfree_bulk		sfree_bulk
#define kfree_rcu(ptr, rhf)	sfree_rcu(ptr, rhf)
#define kfree_rcu_mightsleep(ptr) sfree_rcu_mightsleep(ptr)

#ifdef DEFINE_FREE	/* <linux/cleanup.h>, 6.5: __free(kfree) is now this */
DEFINE_FREE(sfree, void *, if (!IS_ERR_OR_NULL(_T)) sfree(_T))
#endif

#endif /* _SMALLOC_KMALLOC_H */
