// SPDX-License-Identifier: GPL-2.0-only
/// Convert a module from the kmalloc family to smalloc, for good, as
/// kernel API conversions are done; and report the frees it cannot prove
/// safe.
///
/// patch:  spatch --sp-file scripts/coccinelle/smalloc.cocci -D patch \
///                --in-place --dir <module>
///   kmalloc -> smalloc, kzalloc -> szalloc, ... kfree -> sfree (sfree()
///   also takes kmalloc objects, so every kfree() in the module may be
///   converted), kfree_rcu -> sfree_rcu, kfree_bulk -> sfree_bulk,
///   ksize -> smalloc_usable_size, kfree as a function pointer -> sfree;
///   #include <smalloc.h> after <linux/slab.h> (or <linux/module.h>).
///
/// report: spatch --sp-file scripts/coccinelle/smalloc.cocci -D report \
///                --dir <module>
///   every kfree() whose pointer is not provably this function's own
///   kmalloc-family allocation (a parameter, a field, a pointer from
///   elsewhere): once the module allocates from smalloc it may be an
///   smalloc object, and a kfree() that stays the kernel's (code outside
///   the module, a conversion skipped) corrupts memory; and every
///   kvfree(), kfree_const() and devm_kfree(), which stay the kernel's.
//
// Confidence: High for the conversion; the report is a list to review.
// Options: --no-includes --include-headers

virtual patch
virtual report

@inc_slab depends on patch@
@@
#include <linux/slab.h>
+#include <smalloc.h>

@inc_module depends on patch && !inc_slab@
@@
#include <linux/module.h>
+#include <smalloc.h>

@depends on patch@
expression E1, E2, E3, E4;
@@
(
- kmalloc(E1, E2)
+ smalloc(E1, E2)
|
- kzalloc(E1, E2)
+ szalloc(E1, E2)
|
- kcalloc(E1, E2, E3)
+ scalloc(E1, E2, E3)
|
- kmalloc_array(E1, E2, E3)
+ smalloc_array(E1, E2, E3)
|
- krealloc(E1, E2, E3)
+ srealloc(E1, E2, E3)
|
- krealloc_array(E1, E2, E3, E4)
+ srealloc_array(E1, E2, E3, E4)
|
- kmalloc_node(E1, E2, E3)
+ smalloc_node(E1, E2, E3)
|
- kzalloc_node(E1, E2, E3)
+ szalloc_node(E1, E2, E3)
|
- kcalloc_node(E1, E2, E3, E4)
+ scalloc_node(E1, E2, E3, E4)
|
- kmemdup(E1, E2, E3)
+ smemdup(E1, E2, E3)
|
- kstrdup(E1, E2)
+ sstrdup(E1, E2)
|
- kstrndup(E1, E2, E3)
+ sstrndup(E1, E2, E3)
|
- kfree_sensitive(E1)
+ sfree_sensitive(E1)
|
- kfree(E1)
+ sfree(E1)
|
- ksize(E1)
+ smalloc_usable_size(E1)
|
- kfree_bulk(E1, E2)
+ sfree_bulk(E1, E2)
|
- kfree_rcu(E1, E2)
+ sfree_rcu(E1, E2)
|
- kfree_rcu_mightsleep(E1)
+ sfree_rcu_mightsleep(E1)
)

// kfree taken as a value: an ops table, a devres action, a cleanup.
@depends on patch@
@@
- kfree
+ sfree

@safe depends on report@
expression E;
identifier alloc = {kmalloc, kzalloc, kcalloc, kmalloc_array, krealloc,
		    krealloc_array, kmalloc_node, kzalloc_node, kcalloc_node,
		    kmemdup, kstrdup, kstrndup};
identifier free = {kfree, kfree_sensitive};
position p;
@@
E = alloc(...)
... when != E = ...
free@p(E)

@unsafe depends on report@
expression E;
identifier free = {kfree, kfree_sensitive};
position p != safe.p;
@@
free@p(E)

@script:python depends on report@
p << unsafe.p;
e << unsafe.E;
@@
coccilib.report.print_report(p[0],
	"kfree(%s): not provably this function's own kmalloc: once the module allocates from smalloc it may be an smalloc object; free it with sfree(), which also takes kmalloc objects, and make sure no kfree() outside the module gets it" % e)

@kern depends on report@
expression list ES;
identifier kfree_k = {kvfree, kvfree_sensitive, kfree_const, devm_kfree};
position p;
@@
kfree_k@p(ES)

@script:python depends on report@
p << kern.p;
@@
coccilib.report.print_report(p[0],
	"stays the kernel's free: its pointer must not be an smalloc object")
