#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# /init of the initramfs scripts/kunit.sh gives the KCSAN KUnit kernel
# (KUNIT_VARIANT=kcsan): the kernel ran every suite at boot, before this
# script; it goes on here (kunit/qemu_initrd.py) for what needs a shell
# once the suites are done.  POSIX sh for busybox.  No "set -e": init must
# reach the end marker and the reboot whatever happens.
#
#  - kmemleak: two scans (kmemleak reports an object only once it is 5 s
#    old, and only at the second scan that finds it unreferenced and
#    unchanged), then every report it has, between markers the host
#    parses (scripts/klog_check.py);
#  - KCSAN's counters.
#
# QEMU runs with -no-reboot: the reboot ends it.

. /common.sh

dbg=/sys/kernel/debug
echo
echo "=== smalloc-kunit guest: after the suites ==="

if [ -e "$dbg/kmemleak" ]; then
	sleep 6
	if echo scan >"$dbg/kmemleak" && echo scan >"$dbg/kmemleak"; then
		echo "SMALLOC-KMEMLEAK-BEGIN"
		cat "$dbg/kmemleak"
		echo "SMALLOC-KMEMLEAK-END"
	else
		echo "SMALLOC-KMEMLEAK-ERROR: writing 'scan' to $dbg/kmemleak failed (kmemleak disabled itself?)"
	fi
else
	echo "SMALLOC-KMEMLEAK-ERROR: no $dbg/kmemleak"
fi

if [ -r "$dbg/kcsan" ]; then
	echo "SMALLOC-KCSAN-STATS-BEGIN"
	cat "$dbg/kcsan"
	echo "SMALLOC-KCSAN-STATS-END"
fi

echo "SMALLOC-KUNIT-GUEST-END"
reboot -f
sleep 5
exit 1
