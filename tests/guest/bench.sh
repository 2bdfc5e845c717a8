#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# /init of the initramfs scripts/bench.sh builds: mount the pseudo
# filesystems, load smalloc.ko, run bench/smalloc_bench.ko once per
# workload group (each run prints its SMALLOC-BENCH-CSV lines on the
# console), print smalloc's counters after each group, power off.
# POSIX sh for busybox.  No "set -e": init must reach the end marker and
# the poweroff whatever happens.
#
# /bench/config (written by the host script) sets GROUPS, REPEATS, SCALE,
# SMALLOC_ARGS (smalloc.ko's parameters),
# POLICY (the label of the boot's init_on_alloc policy) and PROFILE (1: run
# the module in profile mode and print the modules' symbols, which the
# host needs to attribute the TCG plugin's counts).

. /common.sh

GROUPS="pairs batch churn mixed realloc conc remote memory bulk rcu"
REPEATS=5
SCALE=100
POLICY=default
PROFILE=0
SMALLOC_ARGS=
. /bench/config

dbg=/sys/kernel/debug/smalloc

# One line with every "name value" pair of smalloc's stats file.
stats_line() {
	awk '{ printf "%s%s=%s", (NR > 1 ? " " : ""), $1, $2 }' "$dbg/stats"
}

echo
echo "=== smalloc-bench guest: policy $POLICY ==="
echo "SMALLOC-BENCH-START"
echo "kernel:  $(uname -r)"
echo "CPUs:    $(grep -c '^processor' /proc/cpuinfo) online ($(cat /sys/devices/system/cpu/online))"
echo "memory:  $(awk '/^MemTotal/ { print int($2 / 1024) " MiB" }' /proc/meminfo)"
echo "cmdline: $(cat /proc/cmdline)"
echo "clocksource: $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
echo "cpu flags: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' |
	grep -E '^(erms|fsrm|fsrs|constant_tsc|nonstop_tsc)$' | tr '\n' ' ')"

status=0
# shellcheck disable=SC2086 # SMALLOC_ARGS is a list of parameters
if ! insmod /bench/smalloc.ko $SMALLOC_ARGS; then
	echo "SMALLOC-BENCH-ERROR: insmod smalloc.ko failed"
	status=1
fi
# What smalloc has on: counters, and its hardening parameters.
params=
for f in /sys/module/smalloc/parameters/*; do
	[ -r "$f" ] && params="$params $(basename "$f")=$(cat "$f")"
done
echo "SMALLOC-BENCH-SMALLOC: $(awk '$1 == "enabled" { print "stats=" $2 }' "$dbg/stats")$params"

# Text symbols of a loaded module, for the profile.
ksyms() {
	[ "$PROFILE" = 1 ] || return 0
	awk -v m="[$1]" -v n="$1" '$4 == m && $2 ~ /^[tT]$/ { print "SMALLOC-BENCH-KSYM: " n " " $1 " " $3 }' \
		/proc/kallsyms
}
ksyms smalloc
# The kernel's own text symbols go to the second serial port, a file on
# the host (there are too many for the console).
[ "$PROFILE" = 1 ] && awk '$2 ~ /^[tT]$/ && NF == 3 { print $1, $3 }' \
	/proc/kallsyms >/dev/ttyS1

if [ "$status" = 0 ]; then
	for g in $GROUPS; do
		t0=$(date +%s)
		if ! insmod /bench/smalloc_bench.ko groups="$g" \
			repeats="$REPEATS" scale="$SCALE" profile="$PROFILE"; then
			echo "SMALLOC-BENCH-ERROR: group $g failed"
			status=1
		fi
		ksyms smalloc_bench
		rmmod smalloc_bench 2>/dev/null
		echo "SMALLOC-BENCH-TIME: $g $(($(date +%s) - t0)) s"
		echo "SMALLOC-BENCH-STATS: $g $(stats_line)"
	done
	echo 1 >"$dbg/drain"
	echo "SMALLOC-BENCH-STATS: end $(stats_line)"
	rmmod smalloc || status=1
fi

if dmesg | grep -E 'BUG|WARNING|Oops|Call Trace|invalid free' >/tmp/bad; then
	echo "SMALLOC-BENCH-ERROR: the kernel log has:"
	cat /tmp/bad
	status=1
fi
echo "SMALLOC-BENCH-END: status $status"
poweroff -f
sleep 5
exit 1
