/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Tasks, kthreads and hrtimers for the KUnit suite run in user space: each
 * is a thread, running on one of the harness's CPUs and, for an hrtimer
 * callback, in softirq or hardirq context there.  Implemented in linux.c.
 */
#ifndef _HARNESS_LINUX_SCHED_H
#define _HARNESS_LINUX_SCHED_H

struct harness_start;

struct task_struct {
	pthread_t thread;
	int (*threadfn)(void *data);
	void *data;
	int ret;
	int should_stop;		/* atomic */
	int bind_cpu;			/* -1: unbound */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool woken, exited, is_kthread;
	char comm[32];
};

struct task_struct *harness_current(void);
#define current			harness_current()

int set_cpus_allowed_ptr(struct task_struct *p, const struct cpumask *mask);

struct task_struct *kthread_create(int (*threadfn)(void *data), void *data,
				   const char *namefmt, ...) __printf(3, 4);
void kthread_bind(struct task_struct *k, unsigned int cpu);
int wake_up_process(struct task_struct *p);
int kthread_stop(struct task_struct *k);
bool kthread_should_stop(void);
void schedule(void);

#endif /* _HARNESS_LINUX_SCHED_H */
