// SPDX-License-Identifier: GPL-2.0-only
/*
 * An example smalloc client: the way a driver would use it.
 *
 * A producer thread on one CPU allocates small request descriptors in
 * bursts (sizes vary like real requests: 32 to 256 bytes), fills them
 * and queues them to consumer threads on the other CPUs, which check and
 * free them.  Every free is therefore a remote free: the path smalloc's
 * thread_free list and delayed frees exist for.
 *
 * Every request is also in a fixed-size hash table by id from the moment
 * it is allocated: writers (the producer inserting, the consumers
 * removing) take client_hash_lock and use hlist_add_head_rcu() and
 * hlist_del_rcu(); readers look ids up under rcu_read_lock() alone.  A
 * consumer looks up the request it took off its queue (which must be
 * found) and the next id, which another consumer owns and may be removing
 * at that moment (a hit or a miss; a hit must be intact).  Removed
 * requests go to sfree_rcu(), so one a reader still sees stays valid
 * until the grace period ends; smalloc's RCU callback then frees the
 * batch with sfree_bulk() in softirq, still a remote free for every
 * request.  smalloc_rcu_barrier() waits for those callbacks before
 * insmod returns, and again in module exit.
 *
 * The workload runs when the module is loaded; insmod returns once every
 * request has been consumed and freed, and fails with -EIO if any request
 * came back corrupted or was missing from the hash table.  Parameters:
 * requests, burst, producer_cpu.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/hash.h>
#include <linux/kthread.h>
#include <linux/llist.h>
#include <linux/module.h>
#include <linux/rculist.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>

#include <smalloc.h>

static unsigned int requests = 200000;
module_param(requests, uint, 0444);
MODULE_PARM_DESC(requests, "Requests to allocate and free (default 200000)");

static unsigned int burst = 64;
module_param(burst, uint, 0444);
MODULE_PARM_DESC(burst, "Requests allocated back to back before queueing (default 64)");

static unsigned int producer_cpu;
module_param(producer_cpu, uint, 0444);
MODULE_PARM_DESC(producer_cpu, "CPU that allocates (default 0)");

/* At most this many requests in flight, so memory stays bounded. */
#define CLIENT_MAX_INFLIGHT	8192

/* 4096 buckets: about two requests a chain at CLIENT_MAX_INFLIGHT. */
#define CLIENT_HASH_BITS	12

/*
 * @id, @len and @payload are written before the request is published in
 * the hash table and never after, so an RCU reader may read them.
 */
struct client_req {
	struct llist_node node;
	struct hlist_node hnode;	/* in client_hash, under RCU */
	struct rcu_head rcu;		/* for sfree_rcu() */
	u32 id;
	u32 len;
	u8 payload[];
};

struct client_consumer {
	struct llist_head queue;
	struct task_struct *task;
	unsigned int cpu;
	unsigned long freed;		/* passed to sfree_rcu() */
	unsigned long lookups;		/* under rcu_read_lock() */
	unsigned long hits;
	unsigned long misses;
};

static struct hlist_head client_hash[1 << CLIENT_HASH_BITS];
static DEFINE_SPINLOCK(client_hash_lock);	/* for writers only */

static struct client_consumer *consumers;
static unsigned int nr_consumers;
static atomic_t inflight = ATOMIC_INIT(0);
static atomic_t consumed = ATOMIC_INIT(0);
static atomic_t corrupt = ATOMIC_INIT(0);
static atomic_t lost = ATOMIC_INIT(0);
static DECLARE_COMPLETION(all_consumed);

static u8 client_pattern(u32 id, u32 i)
{
	return (u8)(id * 7 + i);
}

static u32 client_len(u32 id)
{
	return 16 + (id * 37) % 224;
}

/* Whether @r holds what the producer wrote for its id. */
static bool client_req_ok(const struct client_req *r)
{
	u32 i;

	if (r->len != client_len(r->id))
		return false;
	for (i = 0; i < r->len; i++)
		if (r->payload[i] != client_pattern(r->id, i))
			return false;
	return true;
}

static struct hlist_head *client_bucket(u32 id)
{
	return &client_hash[hash_32(id, CLIENT_HASH_BITS)];
}

static void client_hash_add(struct client_req *r)
{
	spin_lock(&client_hash_lock);
	hlist_add_head_rcu(&r->hnode, client_bucket(r->id));
	spin_unlock(&client_hash_lock);
}

static void client_hash_del(struct client_req *r)
{
	spin_lock(&client_hash_lock);
	hlist_del_rcu(&r->hnode);
	spin_unlock(&client_hash_lock);
}

/* Context: under rcu_read_lock(); the result is valid until its unlock. */
static struct client_req *client_lookup(u32 id)
{
	struct client_req *r;

	hlist_for_each_entry_rcu(r, client_bucket(id), hnode)
		if (r->id == id)
			return r;
	return NULL;
}

/*
 * Look up @r, which this consumer owns and so must be in the table, and
 * the next id, which another consumer may be removing right now: a miss
 * is fine there, a hit must be intact (sfree_rcu() keeps it valid).
 */
static void client_rcu_lookups(struct client_consumer *c,
			       const struct client_req *r)
{
	const struct client_req *found;
	u32 next = r->id + 1;

	rcu_read_lock();
	found = client_lookup(r->id);
	c->lookups++;
	if (found == r) {
		c->hits++;
	} else {
		c->misses++;
		atomic_inc(&lost);
	}
	if (next < requests) {
		found = client_lookup(next);
		c->lookups++;
		if (found) {
			c->hits++;
			if (!client_req_ok(found))
				atomic_inc(&corrupt);
		} else {
			c->misses++;
		}
	}
	rcu_read_unlock();
}

static int client_consumer_fn(void *arg)
{
	struct client_consumer *c = arg;

	while (!kthread_should_stop()) {
		struct llist_node *list = llist_del_all(&c->queue);
		struct client_req *r, *tmp;

		if (!list) {
			usleep_range(20, 50);
			continue;
		}
		llist_for_each_entry_safe(r, tmp, list, node) {
			if (!client_req_ok(r))
				atomic_inc(&corrupt);
			client_rcu_lookups(c, r);
			client_hash_del(r);
			sfree_rcu(r, rcu);
			c->freed++;
			atomic_dec(&inflight);
			if (atomic_inc_return(&consumed) == requests)
				complete(&all_consumed);
		}
	}
	return 0;
}

/* The producer: runs in insmod's context, bound to producer_cpu. */
static int client_produce(void)
{
	unsigned int id = 0, next = 0;

	while (id < requests) {
		unsigned int i, n = min(burst, requests - id);

		while (atomic_read(&inflight) > CLIENT_MAX_INFLIGHT)
			usleep_range(20, 50);
		for (i = 0; i < n; i++, id++) {
			u32 len = client_len(id);
			struct client_req *r;
			u32 k;

			r = smalloc(struct_size(r, payload, len), GFP_KERNEL);
			if (!r)
				return -ENOMEM;
			r->id = id;
			r->len = len;
			for (k = 0; k < len; k++)
				r->payload[k] = client_pattern(id, k);
			atomic_inc(&inflight);
			client_hash_add(r);
			llist_add(&r->node, &consumers[next].queue);
			next = (next + 1) % nr_consumers;
		}
		cond_resched();
	}
	return 0;
}

static void client_stop_consumers(void)
{
	unsigned int i;

	for (i = 0; i < nr_consumers; i++)
		if (!IS_ERR_OR_NULL(consumers[i].task))
			kthread_stop(consumers[i].task);
}

static int __init client_init(void)
{
	unsigned long lookups = 0, hits = 0, misses = 0, freed = 0;
	unsigned int cpu, i = 0;
	u64 start, ns;
	int ret;

	if (!burst || !requests || producer_cpu >= nr_cpu_ids ||
	    !cpu_online(producer_cpu))
		return -EINVAL;
	nr_consumers = num_online_cpus() > 1 ? num_online_cpus() - 1 : 1;
	consumers = kcalloc(nr_consumers, sizeof(*consumers), GFP_KERNEL);
	if (!consumers)
		return -ENOMEM;
	for_each_online_cpu(cpu) {
		if (cpu == producer_cpu && num_online_cpus() > 1)
			continue;
		if (i == nr_consumers)
			break;
		consumers[i].cpu = cpu;
		init_llist_head(&consumers[i].queue);
		consumers[i].task = kthread_create(client_consumer_fn,
						   &consumers[i],
						   "smalloc_client/%u", cpu);
		if (IS_ERR(consumers[i].task)) {
			ret = PTR_ERR(consumers[i].task);
			goto out;
		}
		kthread_bind(consumers[i].task, cpu);
		wake_up_process(consumers[i].task);
		i++;
	}

	ret = set_cpus_allowed_ptr(current, cpumask_of(producer_cpu));
	if (ret)
		goto out;
	start = ktime_get_ns();
	ret = client_produce();
	set_cpus_allowed_ptr(current, cpu_possible_mask);
	if (ret) {
		/* Let the consumers free what was queued before stopping them. */
		while (atomic_read(&inflight))
			usleep_range(20, 50);
		/* No sfree_rcu() of ours may outlive the module. */
		smalloc_rcu_barrier();
		goto out;
	}
	wait_for_completion(&all_consumed);
	/* Every request is out of the table; wait until RCU freed them. */
	smalloc_rcu_barrier();
	ns = ktime_get_ns() - start;

	pr_info("%u requests (16..240 byte payloads, bursts of %u) allocated on CPU %u, freed on %u other CPUs in %llu ms\n",
		requests, burst, producer_cpu, nr_consumers,
		div_u64(ns, NSEC_PER_MSEC));
	for (i = 0; i < nr_consumers; i++) {
		pr_info("  CPU %u freed %lu\n", consumers[i].cpu,
			consumers[i].freed);
		lookups += consumers[i].lookups;
		hits += consumers[i].hits;
		misses += consumers[i].misses;
		freed += consumers[i].freed;
	}
	pr_info("RCU hash table: %lu lookups under rcu_read_lock() (%lu hits, %lu misses), %lu requests freed with sfree_rcu()\n",
		lookups, hits, misses, freed);
	if (atomic_read(&corrupt)) {
		pr_err("%d requests came back corrupted\n",
		       atomic_read(&corrupt));
		ret = -EIO;
	}
	if (atomic_read(&lost)) {
		pr_err("%d requests were missing from the hash table\n",
		       atomic_read(&lost));
		ret = -EIO;
	}
out:
	client_stop_consumers();
	kfree(consumers);
	return ret;
}

static void __exit client_exit(void)
{
	smalloc_rcu_barrier();
	pr_info("unloaded\n");
}

module_init(client_init);
module_exit(client_exit);

MODULE_DESCRIPTION("Example smalloc client: a request queue across CPUs, with an RCU hash table");
MODULE_LICENSE("GPL");
