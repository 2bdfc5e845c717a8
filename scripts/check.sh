#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Every test smalloc has, in order, each timed; "make check" runs this.
#
#   build     smalloc.ko against Debian's 6.12 and 6.1 headers with W=1 and
#             sparse (C=2); any compiler or sparse warning fails; a build
#             for a PREEMPT_RT kernel must stop with its message
#   style     checkpatch.pl --strict; scripts/kernel-doc on the API; the
#             benchmark pictures drawn from fixtures (tests/plot/check.sh);
#             the sync into the shared kernel tree (tests/ksync/check.sh)
#   user      the allocator sources in user space (tools/testing/smalloc):
#             the KUnit suite and harness tests under ASan+UBSan, TSan
#             and GCC -O2, a TSan remote-free stress, a bounded libFuzzer
#             run; and
#             smallocinfo against its fixtures (tools/smalloc)
#   kunit     the KUnit suites under kunit_tool in QEMU (-smp 4, KASAN,
#             lockdep, DEBUG_ATOMIC_SLEEP, DEBUG_PREEMPT, DEBUG_LIST); a
#             lockdep, sleep-in-atomic or WARNING report naming smalloc in
#             the console fails it too
#   kcsan     the same suites on a second kernel with KCSAN (strict) and
#             kmemleak (its own build directory), the soak cases for
#             CHECK_KCSAN_SOAK_MS (default 5000) each: a data race or a
#             leak report naming smalloc fails
#   modtest   Debian's 6.12 and 6.1 kernels in QEMU: insmod, workloads,
#             debugfs, shrinker, idle drain, rmmod; on 6.12 once more with
#             poisoning on
#   soak      a short module-mode soak on 6.12 (CHECK_SOAK_SECS, default
#             30): every CPU and context, CPU hotplug, unload and reload
#             between rounds
#   realclients  four self-test modules of linux-source-6.12 (rbtree_test,
#             interval_tree_test, test_printf, test_scanf) built stock,
#             switched by include/smalloc_kmalloc.h and converted by
#             scripts/coccinelle/smalloc.cocci, all run in one 6.12 boot
#   dkms      scripts/dkms-test.sh: make deb, dpkg -i it (DKMS builds
#             smalloc.ko for 6.12), modprobe the DKMS build and a client
#             built against the installed headers in a 6.12 boot, remove
#
# CHECK_ONLY="build style" runs a subset.  Exits non-zero if any step fails.
# The module-mode test keeps one host CPU busy (single-threaded TCG), so
# the soak and then the DKMS test run one after the other on the other
# CPU, started with modtest; neither builds in the repository's own tree
# (the soak builds in a copy, DKMS from make deb's), which modtest and
# realclients rebuild for each kernel.  Their output is shown once every
# other step is done; CHECK_SERIAL=1 runs each step on its own.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$repo"

steps=${CHECK_ONLY:-build style user kunit kcsan modtest realclients soak dkms}
passed=0
failed=0
summary=()

build_against() {
	local kdir=$1 log
	log=$(mktemp)
	make -s KDIR="$kdir" clean >/dev/null
	if ! make KDIR="$kdir" W=1 C=2 >"$log" 2>&1; then
		cat "$log"
		rm -f "$log"
		return 1
	fi
	if grep -E 'warning:|error:|sparse:' "$log"; then
		rm -f "$log"
		return 1
	fi
	rm -f "$log"
	echo "build: smalloc.ko built against $kdir, W=1 and sparse clean"
}

step_build() {
	local kdir
	for kdir in /usr/src/linux-headers-"$(deb_kver)" \
		    "$(ls -d /usr/src/linux-headers-6.1.*-amd64 | sort -V | tail -n1)"; do
		build_against "$kdir" || return 1
	done
	make -s KDIR="$kdir" clean >/dev/null
	scripts/build-guards.sh
}

step_style() {
	local out
	scripts/checkpatch.sh || return 1
	out=$("$ktree/scripts/kernel-doc" -none -Wall smalloc_*.c include/smalloc.h 2>&1)
	if [ -n "$out" ]; then
		echo "$out"
		return 1
	fi
	echo "kernel-doc: no warnings"
	tests/plot/check.sh && tests/ksync/check.sh
}

step_user() {
	make -C tools/testing/smalloc -j"$(nproc)" check &&
		make -C tools/smalloc check
}

step_kunit() {
	scripts/kunit.sh
}

step_kcsan() {
	KUNIT_VARIANT=kcsan scripts/kunit.sh \
		--kernel_args "smalloc.soak_ms=${CHECK_KCSAN_SOAK_MS:-5000}"
}

step_realclients() {
	MODTEST_KERNEL=6.12 scripts/qemu-modtest.sh realclients
}

step_dkms() {
	scripts/dkms-test.sh
}

step_soak() {
	SOAK_SECS=${CHECK_SOAK_SECS:-30} SOAK_ROUND_SECS=10 scripts/qemu-soak.sh
}

step_modtest() {
	MODTEST_KERNEL=6.12 scripts/qemu-modtest.sh check &&
		MODTEST_KERNEL=6.12 MODTEST_SMALLOC_ARGS="poison=1" \
			scripts/qemu-modtest.sh check &&
		MODTEST_KERNEL=6.1 scripts/qemu-modtest.sh check
}

# record STEP STATUS SECONDS
record() {
	local r=FAIL

	if [ "$2" -eq 0 ]; then
		r=PASS
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
	echo "=== check: $1 $r (${3}s)"
	summary+=("$(printf '%-8s %s %5ss' "$1" "$r" "$3")")
}

# The steps run beside modtest, in this order, and their logs.  They go
# on beside whatever follows modtest, so only when that is realclients or
# another side step (build's make clean would remove the DKMS test's
# out/deb under it).
side=()
after_modtest=" ${steps#*modtest} "
if [ "${CHECK_SERIAL:-0}" != 1 ] && [[ " $steps " == *" modtest "* ]] &&
   [ -z "$(tr ' ' '\n' <<<"$after_modtest" | grep -vxE '(realclients|soak|dkms)?')" ]; then
	for s in soak dkms; do
		[[ " $steps " == *" $s "* ]] && side+=("$s")
	done
fi
side_dir=$(mktemp -d)
side_pid=
# An interrupted check stops the side steps too (the DKMS test installs
# a package as root): they run in a process group of their own.
on_exit() {
	[ -n "$side_pid" ] && kill -TERM -- -"$side_pid" 2>/dev/null && wait "$side_pid"
	rm -rf "$side_dir"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# Run the side steps one after the other, each step's output, exit code
# and seconds into $side_dir.
run_side() {
	local s t0

	for s in "${side[@]}"; do
		t0=$(date +%s)
		"step_$s" >"$side_dir/$s.log" 2>&1
		echo $? >"$side_dir/$s.rc"
		echo $(($(date +%s) - t0)) >"$side_dir/$s.secs"
	done
}

scripts/deps.sh
use_ccache
for s in $steps; do
	[[ " ${side[*]} " == *" $s "* ]] && continue
	if [ "$s" = modtest ] && [ ${#side[@]} -gt 0 ]; then
		set -m
		run_side &
		side_pid=$!
		set +m
		echo "=== check: ${side[*]} started alongside modtest (output at the end)"
	fi
	echo "=== check: $s"
	start=$(date +%s)
	"step_$s"
	record "$s" $? $(($(date +%s) - start))
done
if [ -n "$side_pid" ]; then
	wait "$side_pid"
	side_pid=
	for s in "${side[@]}"; do
		echo "=== check: $s"
		cat "$side_dir/$s.log"
		record "$s" "$(cat "$side_dir/$s.rc")" "$(cat "$side_dir/$s.secs")"
	done
fi

echo
echo "=== summary"
printf '%s\n' "${summary[@]}"
echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
