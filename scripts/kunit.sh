#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run smalloc's KUnit suites with kunit_tool on a kernel built from Debian's
# linux-source-6.12 tarball.
#
# The kernel tree and its build directories live in a cache outside the
# repo ($SMALLOC_CACHE, default ~/.cache/smalloc).  A warm cache is reused:
# the sources whose contents changed are copied into drivers/smalloc/
# (sync_ksources, scripts/lib.sh), so an edit to one .c file rebuilds that
# object and relinks vmlinux, nothing more.  A missing or stale cache (another linux-source version) is rebuilt.
#
# KUNIT_VARIANT picks the kernel, each with a build directory of its own:
#
#   kasan  (default) kunit/.kunitconfig: KASAN, lockdep, DEBUG_ATOMIC_SLEEP,
#          DEBUG_PREEMPT, DEBUG_LIST, and two NUMA nodes (numa=fake=2);
#          $SMALLOC_CACHE/kunit-build
#   kcsan  kunit/kcsan.kunitconfig: KCSAN (strict) and kmemleak;
#          $SMALLOC_CACHE/kunit-kcsan-build.  The guest goes on from the
#          suites to an initramfs (kunit/qemu_initrd.py,
#          tests/guest/kunit-init.sh) that runs kmemleak's scans.
#
# Either way the whole console (kunit_tool's BUILD_DIR/test.log) is then
# checked by scripts/klog_check.py: a KCSAN data-race report, a kmemleak
# leak report, or a lockdep, sleep-in-atomic, BUG or WARNING report whose
# stack names one of smalloc's functions fails the run even when every
# KUnit case passed (KCSAN and lockdep do not fail KUnit cases themselves).
#
# KUNIT_TIMEOUT (seconds, default 900) bounds the QEMU run.  Extra
# arguments go to "kunit.py run" (for example a suite filter glob, or
# --kernel_args smalloc.soak_ms=N).
set -euo pipefail

. "$(dirname "$0")/lib.sh"
# The kernel's build tree is its cache: ccache would only double it.
no_ccache
jobs=${JOBS:-$(nproc)}
variant=${KUNIT_VARIANT:-kasan}

qemu_args="-accel tcg,thread=single -smp 4 -m 2048"
kunit_args=(--arch=x86_64)
check_args=()
case $variant in
kasan)
	kunitconfig=$repo/kunit/.kunitconfig
	build=$cache/kunit-build
	# Every KASAN report printed, not the first only: a bad access the
	# suites did not ask for (kunit/smalloc_kasan_expect.h) fails the
	# case it happens in, and the console check names it.
	kunit_args+=(--kernel_args kasan_multi_shot)
	# Two NUMA nodes (CONFIG_NUMA_EMU), CPUs spread over them: the
	# node pools' cases run here.
	kunit_args+=(--kernel_args numa=fake=2)
	;;
kcsan)
	kunitconfig=$repo/kunit/kcsan.kunitconfig
	build=$cache/kunit-kcsan-build
	kunit_args=(--qemu_config="$repo/kunit/qemu_initrd.py")
	check_args=(--kmemleak)
	# KCSAN sees a race only when the other CPU touches the memory while
	# the watching CPU waits (microseconds).  Single-threaded TCG runs
	# one vCPU at a time for up to 100 ms each: it would see none.
	qemu_args="-accel tcg,thread=multi -smp 4 -m 2048"
	;;
*)
	echo "kunit: unknown KUNIT_VARIANT '$variant' (kasan or kcsan)" >&2
	exit 2
	;;
esac

"$repo/scripts/deps.sh"
prepare_ktree

sync_ksources "$repo" "$ktree/drivers/smalloc"

work=$(mktemp -d "${TMPDIR:-/tmp}/smalloc-kunit.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [ "$variant" = kcsan ]; then
	root=$work/root
	busybox_root "$root"
	install -m 0755 "$repo/tests/guest/kunit-init.sh" "$root/init"
	pack_initramfs "$root" "$work/initramfs.cpio.gz"
	qemu_args+=" -initrd $work/initramfs.cpio.gz"
fi

# Single-threaded TCG: with MTTCG a guest was seen to oops on an int3 that
# text_poke_bp() had already removed, still present in another vCPU's
# translated code.  Four vCPUs still interleave and preempt each other.
echo "kunit: variant $variant, kunitconfig ${kunitconfig#"$repo"/}, build directory $build"
cd "$ktree"
rm -f "$build/test.log"
rc=0
python3 tools/testing/kunit/kunit.py run \
	"${kunit_args[@]}" \
	--build_dir="$build" \
	--kunitconfig="$kunitconfig" \
	--jobs="$jobs" \
	--timeout="${KUNIT_TIMEOUT:-900}" \
	--qemu_args "$qemu_args" \
	"$@" || rc=$?

# No log: kunit_tool stopped before booting (a configuration or build
# error), and said why.
[ -f "$build/test.log" ] || exit "$((rc ? rc : 1))"
python3 "$repo/scripts/klog_check.py" "${check_args[@]}" \
	--objdir "$build/drivers/smalloc" "$build/test.log" || rc=1
exit "$rc"
