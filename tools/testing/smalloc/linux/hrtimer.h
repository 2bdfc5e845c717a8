/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hrtimers for the KUnit suite: a thread per started timer, pinned to the
 * CPU that started it, calling the function as a hardirq (or, for the
 * _SOFT modes, a softirq) handler of that CPU.  Implemented in linux.c.
 */
#ifndef _HARNESS_LINUX_HRTIMER_H
#define _HARNESS_LINUX_HRTIMER_H

#include <linux/sched.h>

enum hrtimer_restart {
	HRTIMER_NORESTART,
	HRTIMER_RESTART,
};

enum hrtimer_mode {
	HRTIMER_MODE_ABS	= 0x00,
	HRTIMER_MODE_REL	= 0x01,
	HRTIMER_MODE_PINNED	= 0x02,
	HRTIMER_MODE_SOFT	= 0x04,
	HRTIMER_MODE_HARD	= 0x08,
	HRTIMER_MODE_REL_PINNED = HRTIMER_MODE_REL | HRTIMER_MODE_PINNED,
	HRTIMER_MODE_REL_PINNED_SOFT = HRTIMER_MODE_REL_PINNED | HRTIMER_MODE_SOFT,
	HRTIMER_MODE_REL_PINNED_HARD = HRTIMER_MODE_REL_PINNED | HRTIMER_MODE_HARD,
};

#define CLOCK_MONOTONIC_HARNESS	1

struct hrtimer {
	enum hrtimer_restart (*function)(struct hrtimer *timer);
	enum hrtimer_mode mode;
	u64 expires;			/* ns, CLOCK_MONOTONIC */
	unsigned int cpu;
	int cancel;			/* atomic */
	bool active;
	pthread_t thread;
};

void hrtimer_init(struct hrtimer *timer, int clock_id, enum hrtimer_mode mode);
void hrtimer_start(struct hrtimer *timer, ktime_t tim, enum hrtimer_mode mode);
u64 hrtimer_forward_now(struct hrtimer *timer, ktime_t interval);
int hrtimer_cancel(struct hrtimer *timer);

#endif /* _HARNESS_LINUX_HRTIMER_H */
