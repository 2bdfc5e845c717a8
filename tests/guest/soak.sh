#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# /init of the initramfs scripts/qemu-soak.sh builds: the soak in module
# mode.  POSIX sh for busybox.  No "set -e": init must reach the result
# marker and the poweroff whatever happens.
#
# Rounds until SOAK_SECS have passed, each of ROUND_SECS (the last one
# shorter, if need be):
#
#   insmod smalloc.ko (with the round's parameters: SMALLOC_ARGS is a list
#     of parameter sets separated by ';', taken in turn)
#   insmod smalloc_modtest.ko soak=1: a kthread and a hardirq and a softirq
#     timer on every CPU allocating, freeing locally and handing objects
#     to other CPUs (tests/modtest/smalloc_modtest.c)
#   meanwhile CPUs 1..N-1 go offline and online through
#     /sys/devices/system/cpu/cpuN/online, now one, now two at once
#   rmmod smalloc_modtest: the soak stops and logs "soak PASS|FAIL ..."
#   smalloc's counters from /sys/kernel/debug/smalloc/stats; no block or
#     large allocation left in use, no invalid or double free, no poison
#     damage; a drain gives every page back
#   rmmod smalloc: "unloaded, 0 pages held"
#   the kernel log of the round: none of smalloc's or the workload's error
#     messages (invalid or double free, poison damage, inconsistent heap,
#     soak FAIL)
#
# Anything wrong is a finding ("soak: FINDING: ..."), and the soak goes on
# with the next round if it can.  The end is one summary line,
# "SMALLOC-SOAK-SUMMARY: ...", and "SMALLOC-SOAK-RESULT: PASS" (no
# findings) or "FAIL".  A BUG, WARNING or Oops in the kernel log is shown
# here, and judged by the host (scripts/klog_check.py on the console): a
# finding if it names smalloc's or the workload's functions; the 6.12
# kernel's own warnings under CPU hotplug are not smalloc's.
#
# /soak/config (written by the host script) sets SOAK_SECS, ROUND_SECS and
# SMALLOC_ARGS.

. /common.sh

SOAK_SECS=60
ROUND_SECS=20
SMALLOC_ARGS=
. /soak/config

dir=/soak
dbg=/sys/kernel/debug/smalloc
# smalloc's and the workload's own error messages, and kernel reports.
smalloc_re='smalloc(_modtest)?: .*(invalid free|double free|written after it was freed|inconsistent|FAIL)'
kernel_re='BUG|WARNING|Oops|general protection|Call Trace'

findings=0
kreports=0
rounds=0
reloads=0
cycles=0
ops=0
remote=0
module_allocs=0

finding() {
	findings=$((findings + 1))
	echo "soak: FINDING: $*"
}

loaded() {
	grep -q "^$1 " /proc/modules
}

stat_of() {
	awk -v n="$1" '$1 == n { print $2 }' "$dbg/stats" 2>/dev/null
}

# stat_sum NAME...: the sum of those counters (a missing one counts 0).
stat_sum() {
	awk -v names=" $* " 'index(names, " " $1 " ") { s += $2 }
		END { print s + 0 }' "$dbg/stats" 2>/dev/null || echo 0
}

# The CPUs that can go offline (CPU 0 cannot on x86).
hp_cpus=
for f in /sys/devices/system/cpu/cpu[0-9]*/online; do
	[ -w "$f" ] || continue
	c=${f#/sys/devices/system/cpu/cpu}
	hp_cpus="${hp_cpus:+$hp_cpus }${c%/online}"
done
nr_hp=$(echo "$hp_cpus" | wc -w)

set_online() {
	echo "$2" >"/sys/devices/system/cpu/cpu$1/online"
}

all_online() {
	for c in $hp_cpus; do
		[ "$(cat "/sys/devices/system/cpu/cpu$c/online")" = 1 ] && continue
		set_online "$c" 1 || finding "cpu$c does not come back online"
	done
}

# hotplug_until T: offline and online CPUs until the clock reaches T.
# Iteration i takes down the i-th hotpluggable CPU, every third iteration
# its neighbour too (so that two are offline at once), and brings them
# back.
hotplug_until() {
	i=0
	while [ "$(date +%s)" -lt "$1" ]; do
		if [ "$nr_hp" -eq 0 ]; then
			sleep 1
			continue
		fi
		a=$(echo "$hp_cpus" | cut -d' ' -f$((i % nr_hp + 1)))
		b=
		if [ $((i % 3)) -eq 2 ] && [ "$nr_hp" -ge 2 ]; then
			b=$(echo "$hp_cpus" | cut -d' ' -f$(((i + 1) % nr_hp + 1)))
		fi
		down=
		for c in $a $b; do
			if set_online "$c" 0; then
				down="$down $c"
			else
				finding "cpu$c cannot go offline"
			fi
		done
		sleep 0.3
		for c in $down; do
			if set_online "$c" 1; then
				cycles=$((cycles + 1))
			else
				finding "cpu$c cannot come back online"
			fi
		done
		sleep 0.2
		i=$((i + 1))
	done
}

# args_of N: the N-th (from 0) parameter set of SMALLOC_ARGS, in turn.
args_of() {
	echo "$SMALLOC_ARGS" | awk -F';' -v n="$1" 'NF == 0 { print ""; next }
		{ s = $((n % NF) + 1); gsub(/^ +| +$/, "", s); print s }'
}

ncpus=$(grep -c '^processor' /proc/cpuinfo)
echo
echo "=== smalloc-soak guest ==="
echo "soak: kernel $(uname -r), $ncpus CPUs, hotplug on CPUs ${hp_cpus:-none}"
echo "soak: ${SOAK_SECS}s in rounds of ${ROUND_SECS}s; smalloc.ko parameters in turn: '$SMALLOC_ARGS'"
[ "$ncpus" -ge 2 ] || finding "only $ncpus CPU: nothing to hand objects to"
[ "$nr_hp" -ge 1 ] || finding "no CPU can go offline: no hotplug"

t0=$(date +%s)
deadline=$((t0 + SOAK_SECS))
while [ "$(date +%s)" -lt "$deadline" ]; do
	rounds=$((rounds + 1))
	now=$(date +%s)
	end=$((now + ROUND_SECS))
	[ "$end" -gt "$deadline" ] && end=$deadline
	args=$(args_of $((rounds - 1)))
	dmesg -c >/dev/null
	echo "smalloc-soak: round $rounds" >/dev/kmsg
	f0=$findings
	c0=$cycles

	# shellcheck disable=SC2086 # the parameters are separate words
	if ! insmod "$dir/smalloc.ko" $args; then
		finding "round $rounds: insmod smalloc.ko $args failed"
		break
	fi
	if ! insmod "$dir/smalloc_modtest.ko" soak=1; then
		finding "round $rounds: insmod smalloc_modtest.ko soak=1 failed"
		rmmod smalloc
		break
	fi
	hotplug_until "$end"
	all_online
	rmmod smalloc_modtest || finding "round $rounds: rmmod smalloc_modtest failed"
	line=$(dmesg | grep -o 'smalloc_modtest: soak [A-Z]*:.*')
	case $line in
	*"soak PASS:"*) ;;
	*) finding "round $rounds: the soak did not pass: ${line:-no result line}" ;;
	esac
	n=$(echo "$line" | sed -n 's/.*CPUs: \([0-9]*\) allocations.*/\1/p')
	module_allocs=$((module_allocs + ${n:-0}))

	# smalloc's counters, before it goes.
	a=$(stat_sum alloc_fast alloc_slow large_alloc)
	fr=$(stat_sum free_local free_remote free_delayed free_ctx large_free)
	r=$(stat_sum free_remote free_delayed free_ctx)
	ops=$((ops + a + fr))
	remote=$((remote + r))
	for k in blocks_used large_live invalid_free double_free poison_bad; do
		v=$(stat_of $k)
		[ "${v:-x}" = 0 ] || finding "round $rounds: $k is ${v:-missing} after the soak"
	done
	echo 1 >"$dbg/drain" || finding "round $rounds: drain failed"
	v=$(stat_of pages_held)
	[ "${v:-x}" = 0 ] || finding "round $rounds: pages_held is ${v:-missing} after a drain"
	if rmmod smalloc; then
		reloads=$((reloads + 1))
	else
		finding "round $rounds: rmmod smalloc failed"
	fi
	dmesg | grep -q 'smalloc: unloaded, 0 pages held' ||
		finding "round $rounds: smalloc did not log 'unloaded, 0 pages held'"
	if dmesg | grep -E "$smalloc_re" >/tmp/bad; then
		finding "round $rounds: smalloc's log has:"
		sed 's/^/soak:   | /' /tmp/bad
	fi
	if dmesg | grep -E "$kernel_re" >/tmp/bad; then
		kreports=$((kreports + 1))
		echo "soak: round $rounds: the kernel log has a report (for the host to judge):"
		sed 's/^/soak:   | /' /tmp/bad
	fi
	echo "soak: round $rounds (${args:-defaults}): $(($(date +%s) - now))s, $a allocations, $fr frees ($r remote), $((cycles - c0)) hotplug cycles, $((findings - f0)) findings"
	if loaded smalloc_modtest || loaded smalloc; then
		finding "modules still loaded after round $rounds: stopping"
		break
	fi
done

echo "SMALLOC-SOAK-SUMMARY: $(($(date +%s) - t0)) s, $rounds rounds, operations $ops (the workload's allocations $module_allocs), remote frees $remote, hotplug cycles $cycles, reloads $reloads, findings $findings, rounds with kernel reports $kreports"
if [ "$findings" -eq 0 ] && [ "$rounds" -gt 0 ]; then
	echo "SMALLOC-SOAK-RESULT: PASS"
else
	echo "SMALLOC-SOAK-RESULT: FAIL"
fi
poweroff -f
sleep 5
exit 1
