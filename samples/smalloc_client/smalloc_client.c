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
 * The workload runs when the module is loaded; insmod returns once every
 * request has been consumed, and fails with -EIO if any request came back
 * corrupted.  Parameters: requests, burst, producer_cpu.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/llist.h>
#include <linux/module.h>
#include <linux/slab.h>
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

struct client_req {
	struct llist_node node;
	u32 id;
	u32 len;
	u8 payload[];
};

struct client_consumer {
	struct llist_head queue;
	struct task_struct *task;
	unsigned int cpu;
	unsigned long freed;
};

static struct client_consumer *consumers;
static unsigned int nr_consumers;
static atomic_t inflight = ATOMIC_INIT(0);
static atomic_t consumed = ATOMIC_INIT(0);
static atomic_t corrupt = ATOMIC_INIT(0);
static DECLARE_COMPLETION(all_consumed);

static u8 client_pattern(u32 id, u32 i)
{
	return (u8)(id * 7 + i);
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
			u32 i;

			for (i = 0; i < r->len; i++) {
				if (r->payload[i] != client_pattern(r->id, i)) {
					atomic_inc(&corrupt);
					break;
				}
			}
			sfree(r);
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
			u32 len = 16 + (id * 37) % 224;
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
		goto out;
	}
	wait_for_completion(&all_consumed);
	ns = ktime_get_ns() - start;

	pr_info("%u requests (16..240 byte payloads, bursts of %u) allocated on CPU %u, freed on %u other CPUs in %llu ms\n",
		requests, burst, producer_cpu, nr_consumers,
		div_u64(ns, NSEC_PER_MSEC));
	for (i = 0; i < nr_consumers; i++)
		pr_info("  CPU %u freed %lu\n", consumers[i].cpu,
			consumers[i].freed);
	if (atomic_read(&corrupt)) {
		pr_err("%d requests came back corrupted\n",
		       atomic_read(&corrupt));
		ret = -EIO;
	}
out:
	client_stop_consumers();
	kfree(consumers);
	return ret;
}

static void __exit client_exit(void)
{
	pr_info("unloaded\n");
}

module_init(client_init);
module_exit(client_exit);

MODULE_DESCRIPTION("Example smalloc client: a request queue across CPUs");
MODULE_LICENSE("GPL");
