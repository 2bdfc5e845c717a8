#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The out-of-tree build must refuse a kernel smalloc cannot run on with a
# clear message, not build a module that corrupts memory there.  A
# PREEMPT_RT kernel is simulated by defining CONFIG_PREEMPT_RT on top of
# Debian's 6.12 headers (their autoconf.h leaves it undefined).
#
#   scripts/build-guards.sh [KDIR]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$repo"

kdir=${1:-/usr/src/linux-headers-$(deb_kver)}
log=$(mktemp)
trap 'rm -f "$log"; make -s KDIR="$kdir" clean >/dev/null 2>&1' EXIT

if make KDIR="$kdir" KCFLAGS=-DCONFIG_PREEMPT_RT >"$log" 2>&1; then
	echo "build-guards: FAIL: smalloc.ko built for a PREEMPT_RT kernel"
	exit 1
fi
if ! grep -q 'error: #error "smalloc does not support PREEMPT_RT kernels"' "$log"; then
	echo "build-guards: FAIL: the PREEMPT_RT build failed without the message:"
	tail -n 20 "$log"
	exit 1
fi
echo "build-guards: a PREEMPT_RT build stops with: smalloc does not support PREEMPT_RT kernels"
