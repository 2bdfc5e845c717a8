#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Guest side of scripts/dkms-test.sh, run by /init (init.sh) as
# /modtest/modtest.sh: the modules are where a Debian system has them,
# the DKMS-built smalloc.ko.xz in /lib/modules/<kernel>/updates/dkms/ and
# smalloc_client.ko (built against the installed headers) in extra/, with
# depmod's modules.dep.  modprobe smalloc, check it is DKMS's build, then
# modprobe the client and check it ran; unload both; then modprobe the
# client alone, which must pull smalloc in through modules.dep.
# Prints "ok - <what>" or "not ok - <what>" per check; exit status 0 only
# if every check passed.  POSIX sh for busybox.

dir=${2:-/modtest}
version=$(cat "$dir/version")
requests=20000
failed=0

# expect DESCRIPTION COMMAND...: run COMMAND, ok if it succeeds.
expect() {
	desc=$1
	shift
	if "$@"; then
		echo "ok - $desc"
	else
		echo "not ok - $desc"
		failed=$((failed + 1))
	fi
}

loaded() {
	grep -q "^$1 " /proc/modules
}

klog_clean() {
	! dmesg | grep -E 'BUG|WARNING|Oops|Call Trace|general protection'
}

client_ran() {
	dmesg | grep -q "smalloc_client: $requests requests"
}

echo "modules.dep:"
sed 's/^/   /' "/lib/modules/$(uname -r)/modules.dep"

expect "modprobe smalloc" modprobe smalloc
expect "smalloc is loaded" loaded smalloc
expect "smalloc's version is $version" \
	[ "$(cat /sys/module/smalloc/version 2>/dev/null)" = "$version" ]
expect "modprobe smalloc_client requests=$requests" \
	modprobe smalloc_client requests=$requests
expect "smalloc_client ran its workload" client_ran
dmesg | grep 'smalloc\(_client\)\?:' | sed 's/^\[[ 0-9.]*\] /   /'
expect "modprobe -r smalloc_client smalloc" modprobe -r smalloc_client smalloc
expect "smalloc is unloaded" eval '! loaded smalloc'
expect "modprobe smalloc_client loads smalloc through modules.dep" \
	modprobe smalloc_client requests=1000
expect "smalloc was loaded with it" loaded smalloc
expect "modprobe -r smalloc_client smalloc" modprobe -r smalloc_client smalloc
expect "no BUG, WARNING or Oops in the kernel log" klog_clean

echo "dkms guest: $failed failed"
[ "$failed" -eq 0 ]
