#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# /init of the initramfs scripts/qemu-modtest.sh builds: mount the pseudo
# filesystems, run /modtest/modtest.sh in the mode written to
# /modtest/mode, print the result marker the host looks for, power off.
# POSIX sh for busybox.  No "set -e": init must reach the marker and the
# poweroff whatever happens.

. /common.sh

mode=$(cat /modtest/mode 2>/dev/null)
echo
echo "=== smalloc-modtest guest: mode ${mode:-?} ==="

if sh /modtest/modtest.sh "${mode:-check}" /modtest; then
	result=PASS
else
	result=FAIL
fi

echo "SMALLOC-MODTEST-RESULT: $result"
poweroff -f
# Not reached unless the poweroff failed; exiting init panics the kernel,
# and panic=-1 with QEMU's -no-reboot ends the run as well.
sleep 5
exit 1
