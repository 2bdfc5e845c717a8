#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Guest side of scripts/qemu-modtest.sh: load smalloc.ko and the workload
# module smalloc_modtest.ko, check smalloc's debugfs stats and that
# smallocinfo's totals agree with them, drain, unload, check the kernel
# log.  POSIX sh for busybox.
#
#   modtest.sh check|demo [DIR]     (DIR holds the .ko files and smallocinfo,
#                                    default /modtest)
#
# check: every check, terse.  demo: the same run with readable output
# (kernel, CPUs, smalloc's log lines, the stats) and without the
# missing-dependency check.  Each check prints "ok - <what>" or
# "not ok - <what>"; the last line is "N passed, N failed"; the exit status
# is 0 only if no check failed.

mode=${1:-check}
dir=${2:-/modtest}
smalloc_ko=$dir/smalloc.ko
modtest_ko=$dir/smalloc_modtest.ko
client_ko=$dir/smalloc_client.ko
switched_ko=$dir/smalloc_switched.ko
smallocinfo=$dir/smallocinfo
dbg=/sys/kernel/debug/smalloc
start_mark="smalloc-modtest: checks start"
# Kernel log lines that must not appear once the modules are in play.
bad_re='BUG|WARNING|Oops|invalid free|Call Trace|general protection'

passed=0
failed=0

case $mode in
check | demo | realclients | badkfree) ;;
*)
	echo "modtest.sh: unknown mode '$mode' (check, demo or realclients)"
	exit 2
	;;
esac

ok() {
	passed=$((passed + 1))
	echo "ok - $*"
}

not_ok() {
	failed=$((failed + 1))
	echo "not ok - $*"
}

# expect DESCRIPTION COMMAND...: run COMMAND, ok if it succeeds.
# set_cpu_online CPU 0|1: offline or online a CPU from this shell.
set_cpu_online() {
	echo "$2" >"/sys/devices/system/cpu/cpu$1/online"
}

expect() {
	desc=$1
	shift
	if "$@"; then
		ok "$desc"
	else
		not_ok "$desc"
	fi
}

# The kernel log since start_mark, without the timestamps.
klog() {
	dmesg | sed -n "/$start_mark/,\$p" | sed 's/^\[[ 0-9.]*\] //'
}

section() {
	[ "$mode" = demo ] || return 0
	echo
	echo "## $*"
}

show() {
	[ "$mode" = demo ] || return 0
	sed 's/^/   /'
}

loaded() {
	grep -q "^$1 " /proc/modules
}

# klog_has PATTERN: the kernel log has a line matching PATTERN.
klog_has() {
	dmesg | grep -q "$1"
}

# stat_of NAME: a value from the stats file, empty if missing.
stat_of() {
	awk -v n="$1" '$1 == n { print $2 }' "$dbg/stats" 2>/dev/null
}

stats_parse() {
	[ -r "$dbg/stats" ] || return 1
	awk 'NF != 2 || $1 !~ /^[a-z_]+$/ || $2 !~ /^-?[0-9]+$/ {
		print "   malformed stats line: " $0; bad = 1
	}
	END { exit bad || NR == 0 }' "$dbg/stats" || return 1
	for key in alloc_fast alloc_slow free_remote pages_held; do
		if [ -z "$(stat_of $key)" ]; then
			echo "   stats has no '$key' line"
			return 1
		fi
	done
}

# table_parse FILE: a header line of names, then rows with as many fields,
# all numeric but the second column of the cpus table (the context).
table_parse() {
	[ -r "$1" ] || return 1
	awk 'NR == 1 { n = NF; next }
	NF != n { print "   bad field count: " $0; bad = 1; next }
	{ for (i = 1; i <= NF; i++)
		if ($i !~ /^[0-9]+$/ && !(i == 2 && $i ~ /^[a-z]+$/)) {
			print "   bad field " i ": " $0; bad = 1
		} }
	END { exit bad || NR < 2 }' "$1"
}

# col_sum FILE NAME: the sum of the column headed NAME.
col_sum() {
	awk -v n="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i; next }
	{ s += $c } END { print s + 0 }' "$1"
}

# si_run: run smallocinfo once into /tmp/si.out (shown in demo mode).
si_run() {
	"$smallocinfo" "$@" >/tmp/si.out 2>/tmp/si.err
	si_rc=$?
	show </tmp/si.out
	cat /tmp/si.err
	return $si_rc
}

# si_total LABEL [N]: the N-th (default first) number after the colon of
# the header line "LABEL ...: ..." of smallocinfo's last output.
si_total() {
	awk -v l="$1" -v n="${2:-1}" 'index($0, " " l) == 1 {
		sub(/^[^:]*: */, ""); gsub(/[^0-9.]+/, " "); split($0, f, " ")
		print f[n] + 0; exit }' /tmp/si.out
}

# si_col TABLE COLUMN: the sum of COLUMN in smallocinfo's table whose
# header starts with TABLE (SIZE, CPU or CONTEXT).
si_col() {
	awk -v t="$1" -v n="$2" '$1 == t { c = 0; for (i = 1; i <= NF; i++) if ($i == n) c = i; in_t = 1; next }
	NF == 0 || /^\(/ { in_t = 0 }
	in_t && c { s += $c } END { print s + 0 }' /tmp/si.out
}

# si_is WHAT GOT WANT: ok if smallocinfo's GOT equals WANT from debugfs.
si_is() {
	expect "smallocinfo: $1 $2 = $3" [ "$2" = "$3" ]
}

# pool_pages: the frames of the node pools' spans (smalloc_node() for
# another node), which no CPU's row shows: the nodes file's third column.
pool_pages() {
	awk '$1 ~ /^[0-9]+$/ { s += $3 } END { print s + 0 }' "$dbg/nodes"
}

# si_agrees: smallocinfo's totals and tables agree with the raw debugfs
# files read just before (nothing runs, so the snapshots agree).
si_agrees() {
	used=$(stat_of blocks_used)
	spans_pages=$(col_sum "$dbg/classes" pages)
	pools=$(pool_pages)
	expect "smallocinfo runs (exit status 0)" si_run
	si_is "objects used (blocks_used)" "$(si_total "Objects used")" "$used"
	si_is "objects carved (classes capacity)" "$(si_total "Objects carved")" \
		"$(col_sum "$dbg/classes" capacity)"
	expect "smallocinfo: objects total $(si_total "Objects used" 2) >= carved" \
		[ "$(si_total "Objects used" 2)" -ge "$(si_total "Objects carved")" ]
	si_is "pages in spans (classes pages)" "$(si_total "Pages in spans")" "$spans_pages"
	si_is "pages held (pages_held)" "$(si_total "Pages held")" "$(stat_of pages_held)"
	si_is "large allocations live (large_live)" "$(si_total "Pages held" 3)" \
		"$(stat_of large_live)"
	si_is "remote frees pending (blocks_remote)" "$(si_total "Remote frees")" \
		"$(stat_of blocks_remote)"
	si_is "class rows' USED (blocks_used)" "$(si_col SIZE USED)" "$used"
	si_is "class rows' PAGES (classes pages)" "$(si_col SIZE PAGES)" "$spans_pages"
	si_is "CPU rows' PAGES (cpus pages)" "$(si_col CPU PAGES)" \
		"$(col_sum "$dbg/cpus" pages)"
	si_is "CPU rows' REMOTE (cpus remote)" "$(si_col CPU REMOTE)" \
		"$(col_sum "$dbg/cpus" remote)"
	si_is "CONTEXT rows' USED (cpus used)" "$(si_col CONTEXT USED)" \
		"$(col_sum "$dbg/cpus" used)"
	si_is "CONTEXT rows' PAGES + node pools' (classes pages)" \
		"$(($(si_col CONTEXT PAGES) + pools))" "$spans_pages"
}

ncpus=$(grep -c '^processor' /proc/cpuinfo)
echo "$start_mark" >/dev/kmsg

if [ "$mode" = badkfree ]; then
	# What the kernel does with an smalloc object given to its kfree():
	# recorded, not judged here (scripts/qemu-modtest.sh badkfree).
	insmod "$smalloc_ko"
	for what in 1 2; do
		echo "badkfree: === bad_kfree=$what" >/dev/kmsg
		insmod "$switched_ko" bad_kfree=$what && rmmod smalloc_switched
		echo 1 >"$dbg/drain"
		echo "badkfree: stats after bad_kfree=$what:" \
			"pages_held $(stat_of pages_held) large_live $(stat_of large_live)"
	done
	rmmod smalloc
	echo "badkfree: kernel log:"
	klog | sed 's/^/badkfree: | /'
	exit 0
fi
if [ "$mode" = realclients ]; then
	# shellcheck source=tests/guest/realclients.sh
	. "$dir/realclients.sh"
	exit $?
fi

section "kernel and machine"
{
	echo "kernel:  $(uname -r)"
	echo "CPUs:    $ncpus online ($(cat /sys/devices/system/cpu/online))"
	echo "memory:  $(awk '/^MemTotal/ { print $2 / 1024 " MiB" }' /proc/meminfo)"
	echo "cmdline: $(cat /proc/cmdline)"
} | show

if [ "$mode" = check ]; then
	# Without smalloc its exports are missing: the loads must fail.
	if insmod "$client_ko" 2>/dev/null; then
		not_ok "smalloc_client.ko refuses to load without smalloc.ko"
		rmmod smalloc_client
	else
		ok "smalloc_client.ko refuses to load without smalloc.ko"
	fi
	if insmod "$modtest_ko" 2>/dev/null; then
		not_ok "smalloc_modtest.ko refuses to load without smalloc.ko"
		rmmod smalloc_modtest
	else
		ok "smalloc_modtest.ko refuses to load without smalloc.ko"
	fi
	expect "the kernel log names the unresolved smalloc symbols" \
		klog_has "smalloc_modtest: Unknown symbol s"
	expect "smalloc_modtest is not left loaded" eval '! loaded smalloc_modtest'
fi

section "insmod smalloc.ko"
# The idle drain is off until its own section, so that what the workloads
# leave behind is still there for the counters and the explicit drain.
args=$(cat "$dir/smalloc_args" 2>/dev/null)
# shellcheck disable=SC2086 # the parameters are separate words
expect "insmod smalloc.ko idle_drain_ms=0 $args" insmod "$smalloc_ko" idle_drain_ms=0 $args
expect "smalloc is in /proc/modules" loaded smalloc
klog | grep 'smalloc:' | show

section "$dbg/stats after loading"
expect "$dbg/stats exists and parses as 'name value' lines" stats_parse
show <"$dbg/stats"
expect "$dbg/cpus parses as a table" table_parse "$dbg/cpus"
expect "$dbg/classes parses as a table" table_parse "$dbg/classes"
expect "$dbg/cpus has a row per CPU and context" \
	[ "$(($(wc -l <"$dbg/cpus") - 1))" -eq $((ncpus * 4)) ]
expect "$dbg/classes has 36 classes" \
	[ "$(($(wc -l <"$dbg/classes") - 1))" -eq 36 ]

if [ "$mode" = check ]; then
section "insmod smalloc_modtest.ko: the workload"
# busybox insmod retries with init_module() when finit_module() fails, so
# a failing workload runs, and logs its FAIL line, twice.
t0=$(date +%s)
expect "insmod smalloc_modtest.ko (the workload passes)" insmod "$modtest_ko"
t1=$(date +%s)
klog | grep 'smalloc_modtest:' | show
[ "$mode" = demo ] && echo "   (workload load time: $((t1 - t0)) s)"
expect "smalloc_modtest logged PASS" \
	klog_has "smalloc_modtest: PASS"
if [ "$mode" = check ]; then
	expect "the guest has at least 2 CPUs ($ncpus)" [ "$ncpus" -ge 2 ]
	expect "the cross-CPU part ran on all $ncpus CPUs" \
		klog_has "smalloc_modtest: PASS.*cross-CPU on $ncpus CPUs"
	nnodes=$(ls -d /sys/devices/system/node/node[0-9]* 2>/dev/null | wc -l)
	expect "the guest has 2 NUMA nodes ($nnodes)" [ "$nnodes" -eq 2 ]
	expect "smalloc_node() placed every block on its node, on both nodes" \
		klog_has "smalloc_modtest: numa: 2 nodes, .* every one on the node asked for"
	expect "$dbg/nodes lists both nodes" \
		[ "$(grep -c '^[01] ' "$dbg/nodes")" -eq 2 ]
fi
expect "rmmod smalloc_modtest" rmmod smalloc_modtest

section "$dbg/stats after the workload"
show <"$dbg/stats"
fast=$(stat_of alloc_fast)
slow=$(stat_of alloc_slow)
remote=$(stat_of free_remote)
invalid=$(stat_of invalid_free)
expect "alloc_fast+alloc_slow > 0 (${fast:-?}+${slow:-?})" \
	[ $((${fast:-0} + ${slow:-0})) -gt 0 ]
expect "free_remote > 0 (${remote:-?})" [ "${remote:-0}" -gt 0 ]
expect "invalid_free is 0 (${invalid:-?})" [ "${invalid:-1}" -eq 0 ]
poison_bad=$(stat_of poison_bad)
expect "poison_bad is 0 (${poison_bad:-?})" [ "${poison_bad:-1}" -eq 0 ]
fi

if [ "$mode" = check ]; then
section "tracepoints: events/smalloc/ through tracefs"
# smalloc_modtest trace_objs=N: N smalloc()+sfree(), N/2 sfree_rcu(), one
# smalloc_bulk()+sfree_bulk() of 100, one __GFP_ACCOUNT object (kmalloc's)
# and sfree(NULL), from one task.  Which call fires which event:
# Documentation/smalloc.rst, "Tracing".  The counts are checked against
# the stats' deltas and against N.
tr=/sys/kernel/tracing
[ -e "$tr/trace" ] || mount -t tracefs nodev "$tr"
ev=$tr/events/smalloc
for e in smalloc_alloc smalloc_free smalloc_free_rcu smalloc_rcu_batch \
	smalloc_alloc_bulk smalloc_free_bulk; do
	expect "tracefs has the event smalloc:$e" [ -r "$ev/$e/format" ]
done
# fields FORMAT: the field lines of an event's format file.
fields() {
	grep '^[[:space:]]*field:' "$1" | grep -v 'field:unsigned short common_\|field:unsigned char common_\|field:int common_'
}
for f in call_site ptr bytes_req bytes_alloc gfp_flags node; do
	expect "smalloc_alloc has kmem:kmalloc's field $f" \
		grep -q "field:.*[[:space:]]$f;" "$ev/smalloc_alloc/format"
done
expect "smalloc_alloc's fields are kmem:kmalloc's (names, types, offsets)" \
	[ "$(fields "$ev/smalloc_alloc/format")" = "$(fields "$tr/events/kmem/kmalloc/format")" ]
expect "smalloc_free's fields are kmem:kfree's" \
	[ "$(fields "$ev/smalloc_free/format")" = "$(fields "$tr/events/kmem/kfree/format")" ]
failed0=$failed
n=2000
m=$((n / 2))
k=100
tstats() {
	echo "$(($(stat_of alloc_fast) + $(stat_of alloc_slow) + $(stat_of large_alloc)))" \
		"$(($(stat_of free_local) + $(stat_of free_remote) + $(stat_of free_delayed) + $(stat_of free_ctx) + $(stat_of large_free) + $(stat_of foreign_free)))" \
		"$(stat_of rcu_queued)" "$(stat_of rcu_single)" "$(stat_of rcu_batches)"
}
echo 8192 >"$tr/buffer_size_kb"
echo >"$tr/trace"
s0=$(tstats)
echo 1 >"$ev/enable"
expect "insmod smalloc_modtest.ko trace_objs=$n with events/smalloc enabled" \
	insmod "$modtest_ko" trace_objs=$n
echo 0 >"$ev/enable"
s1=$(tstats)
# Read while smalloc_modtest is loaded: %pS names its call sites then.
cp "$tr/trace" /tmp/trace
echo >"$tr/trace"
expect "rmmod smalloc_modtest" rmmod smalloc_modtest
# shellcheck disable=SC2086 # five numbers
set -- $s0
a0=$1 f0=$2 q0=$3 g0=$4 b0=$5
# shellcheck disable=SC2086
set -- $s1
allocs=$(($1 - a0)) frees=$(($2 - f0)) queued=$(($3 - q0))
single=$(($4 - g0)) batches=$(($5 - b0))
# count EVENT: lines of EVENT in the trace.
count() {
	grep -c ": $1: " /tmp/trace
}
# count_from EVENT: of those, the ones whose call_site is the workload.
count_from() {
	grep ": $1: call_site=smt_trace_workload+" /tmp/trace | grep -c .
}
lost=$(cat "$tr"/per_cpu/cpu*/stats | awk '/^overrun:/ { s += $2 } END { print s + 0 }')
expect "no event was lost (overrun $lost)" [ "$lost" -eq 0 ]
expect "the stats saw the workload: allocations $allocs = $n + $m + $k + $batches rcu batches" \
	[ "$allocs" -eq $((n + m + k + batches)) ]
a=$(count smalloc_alloc)
expect "smalloc_alloc fired once per object but the bulk's, plus the kmalloc one ($a = $allocs - $k + 1)" \
	[ "$a" -eq $((allocs - k + 1)) ]
a=$(count_from smalloc_alloc)
expect "smalloc_alloc's call_site is the caller, smt_trace_workload, for the workload's $((n + m + 1)) ($a)" \
	[ "$a" -eq $((n + m + 1)) ]
a=$(grep ': smalloc_alloc: .* bytes_req=100 .*accounted=true' /tmp/trace | grep -c .)
expect "the __GFP_ACCOUNT object, passed to kmalloc, fired smalloc_alloc with accounted=true ($a)" \
	[ "$a" -eq 1 ]
a=$(count smalloc_free)
expect "smalloc_free fired once per sfree() call, sfree(NULL) included, not for bulk or RCU frees ($a = $frees - $k - $((queued + single)) + 1)" \
	[ "$a" -eq $((frees - k - queued - single + 1)) ]
a=$(count_from smalloc_free)
expect "smalloc_free's call_site is smt_trace_workload for its $((n + 2)) sfree() calls ($a)" \
	[ "$a" -eq $((n + 2)) ]
a=$(count smalloc_free_rcu)
expect "smalloc_free_rcu fired once per sfree_rcu() ($a = rcu_queued+rcu_single grew by $((queued + single)) = $m)" \
	eval '[ "$a" -eq $((queued + single)) ] && [ "$a" -eq "$m" ]'
a=$(count smalloc_rcu_batch)
expect "smalloc_rcu_batch fired once per batch ($a = rcu_batches grew by $batches)" \
	eval '[ "$a" -eq "$batches" ] && [ "$a" -gt 0 ]'
a=$(grep ': smalloc_rcu_batch: ' /tmp/trace | sed 's/.*nr=//' | awk '{ s += $1 } END { print s + 0 }')
expect "the batches' nr add up to rcu_queued's growth ($a = $queued)" \
	[ "$a" -eq "$queued" ]
a=$(grep ": smalloc_alloc_bulk: call_site=smt_trace_workload+.* bytes_req=128 bytes_alloc=128 .* nr_req=$k nr_done=$k" /tmp/trace | grep -c .)
expect "smalloc_alloc_bulk fired once for the smalloc_bulk() of $k ($a)" \
	eval '[ "$a" -eq 1 ] && [ "$(count smalloc_alloc_bulk)" -eq 1 ]'
a=$(grep ": smalloc_free_bulk: call_site=smt_trace_workload+.* nr=$k" /tmp/trace | grep -c .)
expect "smalloc_free_bulk fired once for the sfree_bulk() of $k ($a)" \
	eval '[ "$a" -eq 1 ] && [ "$(count smalloc_free_bulk)" -eq 1 ]'
if [ "$failed" -gt "$failed0" ]; then
	echo "   events in the trace, and the first of each:"
	grep ': smalloc_' /tmp/trace | awk '{ print $5 }' | sort | uniq -c | sed 's/^/   /'
	for e in smalloc_alloc smalloc_free smalloc_free_rcu smalloc_rcu_batch \
		smalloc_alloc_bulk smalloc_free_bulk; do
		grep -m1 ": $e: " /tmp/trace | sed 's/^ */   | /'
	done
fi
fi

section "insmod smalloc_client.ko: requests allocated on CPU 0, freed on the others"
remote0=$(stat_of free_remote)
delayed0=$(stat_of free_delayed)
ctx0=$(stat_of free_ctx)
crcu0=$(($(stat_of rcu_queued) + $(stat_of rcu_single)))
expect "insmod smalloc_client.ko" insmod "$client_ko"
klog | grep 'smalloc_client:' | show
expect "smalloc_client logged its run" klog_has "smalloc_client: .* requests"
expect "smalloc_client logged its RCU lookups" \
	klog_has "smalloc_client: RCU hash table: .* lookups"
remote1=$(stat_of free_remote)
delayed1=$(stat_of free_delayed)
ctx1=$(stat_of free_ctx)
frees=$((${remote1:-0} + ${delayed1:-0} + ${ctx1:-0} - ${remote0:-0} - ${delayed0:-0} - ${ctx0:-0}))
# The client frees with sfree_rcu() and waits with smalloc_rcu_barrier()
# before insmod returns; the RCU callbacks' sfree_bulk() runs in softirq,
# on a heap other than CPU 0's task heap: a remote free, or on CPU 0 a
# free from another context level (free_ctx).
crcu=$(($(stat_of rcu_queued) + $(stat_of rcu_single) - crcu0))
expect "every client request went through sfree_rcu() (rcu_queued+rcu_single grew by $crcu >= 200000)" \
	[ "$crcu" -ge 200000 ]
expect "every client request was freed by another CPU or context (free_remote+free_delayed+free_ctx grew by $frees >= 200000)" \
	[ "$frees" -ge 200000 ]
expect "rmmod smalloc is refused while smalloc_client uses it" \
	eval '! rmmod smalloc 2>/dev/null'
expect "smalloc is still loaded" loaded smalloc

section "$dbg/stats after the client"
show <"$dbg/stats"
section "$dbg/classes (pages and blocks per size class)"
awk 'NR == 1 || $5 > 0' "$dbg/classes" | show
section "$dbg/cpus (per CPU and context level)"
awk 'NR == 1 || $3 > 0 || $8 > 0 || $11 > 0' "$dbg/cpus" | show
used=$(stat_of blocks_used)
expect "no block is left in use after the client (blocks_used ${used:-?})" \
	[ "${used:-1}" -eq 0 ]
expect "the cpus table's pages and the node pools' add up to pages_held" \
	[ "$(($(col_sum "$dbg/cpus" pages) + $(pool_pages)))" -eq "$(stat_of pages_held)" ]
expect "the classes table's pages add up to pages_held" \
	[ "$(col_sum "$dbg/classes" pages)" -eq "$(stat_of pages_held)" ]
section "smallocinfo (tools/smalloc): what the client left behind"
si_agrees
expect "rmmod smalloc_client" rmmod smalloc_client

section "the one-line switch: a kmalloc module built with smalloc_kmalloc.h"
allocs0=$(($(stat_of alloc_fast) + $(stat_of alloc_slow)))
foreign0=$(stat_of foreign_free)
rcu0=$(stat_of rcu_queued)
expect "insmod smalloc_switched.ko rounds=1000 (its self-test passes)" \
	insmod "$switched_ko" rounds=1000
expect "smalloc_switched logged PASS" klog_has "smalloc_switched: PASS"
allocs1=$(($(stat_of alloc_fast) + $(stat_of alloc_slow)))
expect "its kzalloc()s were smalloc's (allocations grew by $((allocs1 - allocs0)) >= 1000)" \
	[ $((allocs1 - allocs0)) -ge 1000 ]
expect "its kfree_rcu()s were sfree_rcu()s (rcu_queued grew by $(($(stat_of rcu_queued) - rcu0)))" \
	[ $(($(stat_of rcu_queued) - rcu0)) -ge 1000 ]
expect "the kernel's kasprintf() object went back through kfree() (foreign_free grew)" \
	[ "$(stat_of foreign_free)" -gt "$foreign0" ]
expect "rmmod smalloc_switched" rmmod smalloc_switched
# Its last partial kfree_rcu() batch goes over after 20 ms, then a grace period.
waited=0
while [ "$(stat_of blocks_used)" != 0 ] && [ "$waited" -lt 30 ]; do
	sleep 0.1
	waited=$((waited + 1))
done
expect "no block is left in use after it (blocks_used $(stat_of blocks_used))" \
	[ "$(stat_of blocks_used)" -eq 0 ]

section "smallocinfo -d 1 -n 2 while smalloc_modtest soak=1 runs in every context"
expect "insmod smalloc_modtest.ko soak=1" insmod "$modtest_ko" soak=1
sleep 1
expect "smallocinfo -d 1 -n 2 runs (exit status 0)" si_run -d 1 -n 2 -s used
expect "smallocinfo printed two reports" \
	[ "$(grep -c '^smallocinfo: ' /tmp/si.out)" -eq 2 ]
# shellcheck disable=SC2016 # awk's fields, not the shell's
for ctx in task softirq hardirq; do
	expect "smallocinfo shows live objects in the $ctx heaps" \
		awk -v c="$ctx" '$1 == "CONTEXT" { t = 1; next } t && $1 == c && $5 > 0 { f = 1 }
			NF == 0 { t = 0 } END { exit !f }' /tmp/si.out
done
if [ "$mode" = check ]; then
	# All of node 1's CPUs go and come back while the soak frees across
	# CPUs: their heaps are drained by the CPU-dead callback, remote frees
	# into their pages keep landing, and nothing may be stranded (the
	# drain below must give every page back).
	# From this shell, kept on CPU 0 (the soak's way): a process that
	# QEMU's TCG moved off a dying CPU once took a general protection
	# fault in user space, busybox's sh forked for the write.
	taskset -p 1 $$ >/dev/null 2>&1 || true
	for c in 2 3; do
		expect "cpu$c (node 1) goes offline under the soak" \
			set_cpu_online "$c" 0
	done
	sleep 1
	for c in 2 3; do
		expect "cpu$c comes back" set_cpu_online "$c" 1
	done
	sleep 1
fi
expect "rmmod smalloc_modtest (the soak stops)" rmmod smalloc_modtest
expect "the soak passed" klog_has "smalloc_modtest: soak PASS"

section "drain: echo 1 > $dbg/drain"
held=$(stat_of pages_held)
expect "pages are held before the drain (${held:-?})" [ "${held:-0}" -gt 0 ]
expect "write 1 to $dbg/drain" sh -c "echo 1 > $dbg/drain"
held=$(stat_of pages_held)
[ "$mode" = demo ] && grep -E '^(pages_held|bytes_held|page_free) ' "$dbg/stats" | show
expect "pages_held is 0 after the drain (${held:-?})" [ "${held:-1}" -eq 0 ]

# wait_pages_zero: poll pages_held for up to 5 s; sets $waited (x100 ms).
wait_pages_zero() {
	waited=0
	while [ "$(stat_of pages_held)" != 0 ] && [ "$waited" -lt 50 ]; do
		sleep 0.1
		waited=$((waited + 1))
	done
}

section "page allocation failures: $dbg/fail_pages"
fails0=$(stat_of alloc_fail)
expect "echo 3 > $dbg/fail_pages" sh -c "echo 3 > $dbg/fail_pages"
expect "the client fails cleanly when smalloc returns NULL" \
	eval '! insmod "$client_ko" requests=20000 2>/dev/null'
fails1=$(stat_of alloc_fail)
expect "alloc_fail counted the injected failures (${fails0:-?} -> ${fails1:-?})" \
	[ "${fails1:-0}" -gt "${fails0:-0}" ]
expect "no block is left in use after the failed run (blocks_used $(stat_of blocks_used))" \
	[ "$(stat_of blocks_used)" -eq 0 ]
expect "echo 0 > $dbg/fail_pages" sh -c "echo 0 > $dbg/fail_pages"
expect "smalloc serves again once pages can be had" \
	insmod "$client_ko" requests=20000
expect "rmmod smalloc_client" rmmod smalloc_client
expect "echo 1 > $dbg/drain" sh -c "echo 1 > $dbg/drain"

section "memory pressure: drop_caches runs smalloc's shrinker"
expect "insmod smalloc_client.ko requests=20000" \
	insmod "$client_ko" requests=20000
expect "rmmod smalloc_client" rmmod smalloc_client
held=$(stat_of pages_held)
expect "pages are held after the run, with the idle drain off (${held:-?})" \
	[ "${held:-0}" -gt 0 ]
expect "echo 2 > /proc/sys/vm/drop_caches" sh -c "echo 2 > /proc/sys/vm/drop_caches"
wait_pages_zero
held=$(stat_of pages_held)
expect "the shrinker gave every page back within 5 s (pages_held ${held:-?} after $((waited * 100)) ms)" \
	[ "${held:-1}" -eq 0 ]
expect "smalloc serves again after the shrinker (another client run)" \
	insmod "$client_ko" requests=20000
expect "rmmod smalloc_client" rmmod smalloc_client

section "idle drain: idle_drain_ms=200, a short client run, then wait"
param=/sys/module/smalloc/parameters/idle_drain_ms
expect "set $param to 200" sh -c "echo 200 > $param"
expect "insmod smalloc_client.ko requests=20000" \
	insmod "$client_ko" requests=20000
expect "rmmod smalloc_client" rmmod smalloc_client
held=$(stat_of pages_held)
[ "$mode" = demo ] && echo "   pages_held right after the run: ${held:-?}"
# The documented bound (Documentation/smalloc.rst, "Memory bound"): with
# every block freed, one idle check per heap leaves at most 576 frames
# per heap with pages (task, softirq, hardirq) of each CPU.
sleep 0.3
held=$(stat_of pages_held)
bound=$((3 * ncpus * 576))
expect "after one idle period pages_held is within the bound (${held:-?} <= $bound)" \
	[ "${held:-$((bound + 1))}" -le "$bound" ]
wait_pages_zero
held=$(stat_of pages_held)
expect "the idle drain gave every page back within 5 s (pages_held ${held:-?} after $((waited * 100)) ms)" \
	[ "${held:-1}" -eq 0 ]

if [ "$mode" = check ]; then
	section "unload with live objects: a module that leaks 100 objects"
	# The idle drain off again, so that smallocinfo and the files it is
	# checked against see the same pages.
	expect "set $param to 0" sh -c "echo 0 > $param"
	expect "insmod smalloc_modtest.ko leak=100 nr_objs=100 nr_xcpu_objs=64" \
		insmod "$modtest_ko" leak=100 nr_objs=100 nr_xcpu_objs=64
	expect "rmmod smalloc_modtest (its objects stay allocated)" \
		rmmod smalloc_modtest
	expect "smalloc counts the 50 live blocks (blocks_used $(stat_of blocks_used))" \
		[ "$(stat_of blocks_used)" -eq 50 ]
	expect "smalloc counts the 50 live large allocations (large_live $(stat_of large_live))" \
		[ "$(stat_of large_live)" -eq 50 ]
	si_agrees
fi

section "rmmod smalloc"
expect "rmmod smalloc" rmmod smalloc
expect "smalloc is gone from /proc/modules" eval '! loaded smalloc'
expect "smallocinfo says smalloc is not loaded" \
	sh -c "! $smallocinfo >/dev/null 2>/tmp/si.err && grep -q 'smalloc is not loaded' /tmp/si.err"
expect "smalloc logged 'unloaded, 0 pages held'" \
	klog_has "smalloc: unloaded, 0 pages held"
[ "$mode" = check ] &&
	expect "smalloc reported the objects that outlived their owner" \
		klog_has "smalloc: unload: 50 objects and 50 large allocations were never freed"
klog | grep -E 'smalloc(_modtest)?:' | tail -n 4 | show

section "kernel log since the first insmod"
if klog | grep -E "$bad_re" >/tmp/bad-lines; then
	not_ok "no BUG/WARNING/Oops/invalid free lines in the kernel log"
	sed 's/^/   | /' /tmp/bad-lines
	echo "   kernel log since the start of the checks:"
	klog | sed 's/^/   | /'
else
	ok "no BUG/WARNING/Oops/invalid free lines in the kernel log"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
