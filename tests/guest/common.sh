# SPDX-License-Identifier: GPL-2.0-only
#
# Sourced by the guests' /init scripts (init.sh, bench.sh): the
# environment and the pseudo filesystems they need.  POSIX sh for busybox.

export PATH=/sbin:/bin:/usr/sbin:/usr/bin

mount -t proc proc /proc || echo "init: cannot mount /proc"
mount -t sysfs sysfs /sys || echo "init: cannot mount /sys"
mount -t devtmpfs devtmpfs /dev || echo "init: cannot mount /dev"
mount -t debugfs debugfs /sys/kernel/debug ||
	echo "init: cannot mount /sys/kernel/debug"
