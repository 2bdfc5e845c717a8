#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The realclients step, sourced by modtest.sh in mode "realclients" (its
# ok/expect/stat_of helpers): in-tree self-test modules that allocate with
# the kmalloc family, each loaded stock, switched to smalloc by the
# one-line switch, and converted by the semantic patch
# (scripts/realclients-build.sh), in this one boot.  Each
# must pass its own self-test both ways; the switched ones must really
# allocate from smalloc, give everything back (blocks_used 0) and raise no
# invalid-free report.  The timings the tree tests print are tabulated,
# stock against switched.
#
# rbtree_test and interval_tree_test end their init with -EAGAIN ("fail
# will directly unload the module") after printing; test_printf and
# test_scanf (kselftest_module.h) load on success and print "all N tests
# passed".

rc_dir=$dir/realclients
names="rbtree_test interval_tree_test test_printf test_scanf"
timings=/tmp/realclients-timings

# run_client MODULE: insmod it, remove it if it stayed, and print the
# kernel log lines it wrote (its pr_fmt prefix, or the tree tests' plain
# printk lines, which follow a mark).
run_client() {
	m=$1
	echo "realclients: mark $m" >/dev/kmsg
	insmod "$rc_dir/$m.ko" >/tmp/insmod.out 2>&1
	echo $? >/tmp/insmod.rc
	loaded "$m" && rmmod "$m"
	dmesg | sed -n "/realclients: mark $m\$/,\$p" | sed 's/^\[[ 0-9.]*\] //' |
		grep -v "realclients: mark" >"/tmp/$m.log"
}

# passed_selftest NAME MODULE: did MODULE's self-test pass?
passed_selftest() {
	case $1 in
	test_printf | test_scanf)
		[ "$(cat /tmp/insmod.rc)" = 0 ] &&
			grep -q "all [0-9]* tests passed" "/tmp/$2.log" &&
			! grep -q "failed" "/tmp/$2.log"
		;;
	*)
		# -EAGAIN after the timings: "Resource temporarily unavailable".
		grep -q "cycles" "/tmp/$2.log" &&
			grep -qi "temporarily unavailable\|try again" /tmp/insmod.out
		;;
	esac
}

allocs() {
	echo $(($(stat_of alloc_fast) + $(stat_of alloc_slow) + $(stat_of large_alloc)))
}

# check_moved NAME MODULE HOW: MODULE, NAME moved onto smalloc (HOW says
# how), passes its self-test, allocates from smalloc, raises no invalid
# free and leaves nothing in use.
check_moved() {
	a0=$(allocs)
	i0=$(stat_of invalid_free)
	run_client "$2"
	expect "$1 ($3) passes its self-test" passed_selftest "$1" "$2"
	a1=$(allocs)
	expect "$1 ($3) allocated from smalloc ($((a1 - a0)) allocations)" \
		[ $((a1 - a0)) -gt 0 ]
	expect "$1 ($3) raised no invalid-free report" \
		[ "$(stat_of invalid_free)" = "$i0" ]
	expect "$1 ($3) left no block in use (blocks_used $(stat_of blocks_used))" \
		[ "$(stat_of blocks_used)" = 0 ]
	expect "$1 ($3) left no large allocation (large_live $(stat_of large_live))" \
		[ "$(stat_of large_live)" = 0 ]
}

args=$(cat "$dir/smalloc_args" 2>/dev/null)
# shellcheck disable=SC2086 # the parameters are separate words
expect "insmod smalloc.ko $args" insmod "$smalloc_ko" $args
: >"$timings"
for n in $names; do
	run_client "$n"
	expect "$n (stock) passes its self-test" passed_selftest "$n" "$n"
	check_moved "$n" "${n}_smalloc" "switched to smalloc"
	check_moved "$n" "${n}_cocci" "converted by smalloc.cocci"
	# The timing lines, side by side.
	grep -E 'cycles|testing|tree' "/tmp/$n.log" | grep cycles >/tmp/a || true
	grep -E 'cycles' "/tmp/${n}_smalloc.log" >/tmp/b || true
	paste -d'|' /tmp/a /tmp/b | sed "s/^/$n|/" >>"$timings"
done

echo "realclients: timings (stock | switched), as the self-tests print them:"
sed 's/^/realclients:   /' "$timings"
expect "rmmod smalloc" rmmod smalloc
if klog | grep -E "$bad_re" >/tmp/bad-lines; then
	not_ok "no BUG/WARNING/Oops/invalid free lines in the kernel log"
	sed 's/^/   | /' /tmp/bad-lines
else
	ok "no BUG/WARNING/Oops/invalid free lines in the kernel log"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
