// SPDX-License-Identifier: GPL-2.0-only
/*
 * smalloc_switched - a module written for kmalloc, built with the one-line
 * switch (Kbuild: ccflags-y += -include .../smalloc_kmalloc.h).
 *
 * Nothing below names smalloc: it uses the kmalloc family as any module
 * does, including kfree as a function pointer, kfree_rcu() on an
 * RCU-protected list, kfree_bulk() and an object the kernel allocated
 * (kasprintf()) freed with kfree().  The module-mode test loads it and
 * checks in smalloc's counters that the allocations were smalloc's and
 * that nothing was reported or left behind.  (No pr_fmt of its own: see
 * smalloc_kmalloc.h on pr_fmt.)
 */
#include <linux/module.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/string.h>

static unsigned int rounds = 1000;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "Allocation rounds at load");

/*
 * The bug the switch makes possible, on purpose: an smalloc object
 * reaching the kernel's kfree() (as when a kmalloc() buffer's ownership
 * leaves the module).  1: a block, 2: a large allocation, 3: both.  The
 * module-mode test's badkfree run loads it so and records what happens.
 */
static unsigned int bad_kfree;
module_param(bad_kfree, uint, 0444);
MODULE_PARM_DESC(bad_kfree, "Test only: kfree() smalloc objects (1 block, 2 large, 3 both)");

struct node {
	struct list_head link;
	struct rcu_head rcu;
	unsigned long key;
	char name[24];
};

static LIST_HEAD(nodes);

static void (*free_fn)(const void *) = kfree;

static int sw_fail(const char *what)
{
	pr_err("smalloc_switched: FAIL: %s\n", what);
	return -EINVAL;
}

static int sw_run(void)
{
	void *bulk[16];
	struct node *n, *tmp;
	unsigned int i;
	char *s, *d;
	u32 *a;

	for (i = 0; i < rounds; i++) {
		n = kzalloc(sizeof(*n), GFP_KERNEL);
		if (!n)
			return -ENOMEM;
		n->key = i;
		snprintf(n->name, sizeof(n->name), "node-%u", i);
		list_add_tail_rcu(&n->link, &nodes);
	}
	rcu_read_lock();
	i = 0;
	list_for_each_entry_rcu(n, &nodes, link)
		if (n->key != i++)
			break;
	rcu_read_unlock();
	if (i != rounds)
		return sw_fail("the list lost a node");
	list_for_each_entry_safe(n, tmp, &nodes, link) {
		list_del_rcu(&n->link);
		kfree_rcu(n, rcu);
	}

	a = kcalloc(64, sizeof(*a), GFP_KERNEL);
	if (!a || a[63])
		return sw_fail("kcalloc");
	a = krealloc_array(a, 4096, sizeof(*a), GFP_KERNEL);
	if (!a || ksize(a) < 4096 * sizeof(*a))
		return sw_fail("krealloc_array/ksize");
	kfree(a);

	s = kstrdup("switched to smalloc", GFP_KERNEL);
	d = kmemdup(s, strlen(s) + 1, GFP_KERNEL);
	if (!s || !d || strcmp(s, d))
		return sw_fail("kstrdup/kmemdup");
	free_fn(s);			/* kfree taken as a pointer */
	kfree_sensitive(d);
	d = kstrndup("truncated", 5, GFP_KERNEL);
	if (!d || strcmp(d, "trunc"))
		return sw_fail("kstrndup");
	kfree(d);

	for (i = 0; i < ARRAY_SIZE(bulk); i++) {
		bulk[i] = kmalloc_node(32 + i * 8, GFP_KERNEL, NUMA_NO_NODE);
		if (!bulk[i])
			return -ENOMEM;
	}
	kfree_bulk(ARRAY_SIZE(bulk), bulk);

	/* The kernel's own kmalloc: kfree() (sfree) takes it back. */
	s = kasprintf(GFP_KERNEL, "%s-%d", "kasprintf", 42);
	if (!s)
		return -ENOMEM;
	kfree(s);
	return 0;
}

static void sw_bad_kfree(void)
{
	void *p;

	if (bad_kfree & 1) {
		p = kmalloc(64, GFP_KERNEL);	/* an smalloc block */
		pr_info("smalloc_switched: kfree() of smalloc block %p\n", p);
		__kfree_noredirect(p);
		kfree(p);			/* and the module's own free */
	}
	if (bad_kfree & 2) {
		p = kmalloc(20000, GFP_KERNEL);	/* an smalloc large allocation */
		pr_info("smalloc_switched: kfree() of smalloc large allocation %p\n", p);
		__kfree_noredirect(p);
		kfree(p);
	}
}

static int __init sw_init(void)
{
	int ret;

	if (bad_kfree) {
		sw_bad_kfree();
		return 0;
	}
	ret = sw_run();

	rcu_barrier();
	if (!ret)
		pr_info("smalloc_switched: PASS: %u rounds on the kmalloc API\n", rounds);
	return ret;
}

static void __exit sw_exit(void)
{
	/* kfree_rcu() callbacks and batches must be gone before the text. */
	rcu_barrier();
}

module_init(sw_init);
module_exit(sw_exit);

MODULE_DESCRIPTION("A kmalloc module moved onto smalloc by the one-line switch");
MODULE_LICENSE("GPL");
