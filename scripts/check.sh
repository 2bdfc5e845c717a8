#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Every test smalloc has, in order, each timed; "make check" runs this.
#
#   build     smalloc.ko against Debian's 6.12 and 6.1 headers with W=1 and
#             sparse (C=2); any compiler or sparse warning fails
#   style     checkpatch.pl --strict; scripts/kernel-doc on the API
#   user      the allocator sources in user space (tools/testing/smalloc):
#             the KUnit suite and harness tests under ASan+UBSan and TSan,
#             a TSan remote-free stress, a bounded libFuzzer run
#   kunit     the KUnit suites under kunit_tool in QEMU (-smp 4, KASAN,
#             lockdep, DEBUG_ATOMIC_SLEEP, DEBUG_PREEMPT, DEBUG_LIST)
#   modtest   Debian's 6.12 and 6.1 kernels in QEMU: insmod, workloads,
#             debugfs, shrinker, idle drain, rmmod; on 6.12 once more with
#             poisoning on
#
# CHECK_ONLY="build style" runs a subset.  Exits non-zero if any step fails.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$repo"

steps=${CHECK_ONLY:-build style user kunit modtest}
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
}

step_user() {
	make -C tools/testing/smalloc check
}

step_kunit() {
	scripts/kunit.sh
}

step_modtest() {
	MODTEST_KERNEL=6.12 scripts/qemu-modtest.sh check &&
		MODTEST_KERNEL=6.12 MODTEST_SMALLOC_ARGS="poison=1" \
			scripts/qemu-modtest.sh check &&
		MODTEST_KERNEL=6.1 scripts/qemu-modtest.sh check
}

scripts/deps.sh
for s in $steps; do
	echo "=== check: $s"
	start=$(date +%s)
	if "step_$s"; then
		r=PASS
		passed=$((passed + 1))
	else
		r=FAIL
		failed=$((failed + 1))
	fi
	t=$(($(date +%s) - start))
	echo "=== check: $s $r (${t}s)"
	summary+=("$(printf '%-8s %s %5ss' "$s" "$r" "$t")")
done

echo
echo "=== summary"
printf '%s\n' "${summary[@]}"
echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
