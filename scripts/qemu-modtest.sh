#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Module-mode test: build smalloc.ko (W=1), tests/modtest/smalloc_modtest.ko,
# samples/smalloc_client/smalloc_client.ko and tools/smalloc/smallocinfo
# (static), boot Debian's 6.12 kernel in QEMU (TCG, 4 CPUs) from a busybox initramfs
# built on the fly that carries both modules and tests/guest/modtest.sh,
# run the guest checks and exit 0 only if the guest printed the PASS marker
# (and no FAIL marker) before the timeout.
#
#   scripts/qemu-modtest.sh check    every check, terse (TAP-like lines)
#   scripts/qemu-modtest.sh demo     the same run with readable output
#   scripts/qemu-modtest.sh realclients
#                                    in-tree self-test modules, stock and
#                                    switched by smalloc_kmalloc.h, in one
#                                    boot (scripts/realclients-build.sh)
#
# Environment:
#   MODTEST_TIMEOUT   seconds before QEMU is killed (default 300); a guest
#                     killed by the timeout is a failure
#   MODTEST_APPEND    extra kernel command-line arguments (init_on_alloc=0 ...)
#   MODTEST_KERNEL    6.12 (default) or 6.1: which Debian kernel to boot
#   MODTEST_SMALLOC_ARGS  extra module parameters for smalloc.ko (poison=1 ...)
#   MODTEST_VERBOSE   1: stream the whole console, kernel messages included
#   KDIR              kernel build tree (default: the headers of the booted
#                     kernel, /usr/src/linux-headers-<version>)
#
# The whole console output is kept in out/modtest-MODE.log.
set -euo pipefail

usage() {
	echo "usage: $0 check|demo|realclients|badkfree" >&2
	exit 2
}

[ $# -eq 1 ] || usage
mode=$1
case $mode in
check | demo | realclients | badkfree) ;;
*) usage ;;
esac

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
timeout_s=${MODTEST_TIMEOUT:-300}
append=${MODTEST_APPEND:-}
verbose=${MODTEST_VERBOSE:-0}
marker=SMALLOC-MODTEST-RESULT
banner="=== smalloc-modtest guest"
t_start=$(date +%s)

die() {
	echo "qemu-modtest: $*" >&2
	exit 1
}

"$repo/scripts/deps.sh"

# MODTEST_KERNEL picks the Debian kernel: 6.12 (default) or 6.1.
series=${MODTEST_KERNEL:-6.12}
deb_kernel "$series"

# ---- build ---------------------------------------------------------------
echo "qemu-modtest: building smalloc.ko and smalloc_modtest.ko against $KDIR"
make -C "$repo" KDIR="$KDIR" W=1
make -C "$repo/tests/modtest" KDIR="$KDIR" W=1
make -C "$repo/samples/smalloc_client" KDIR="$KDIR" W=1
make -C "$repo/tests/switched" KDIR="$KDIR" W=1
# smallocinfo, static: the busybox guest has no shared libraries.
make -C "$repo/tools/smalloc" static

for ko in "$repo/smalloc.ko" "$repo/tests/modtest/smalloc_modtest.ko" \
	  "$repo/samples/smalloc_client/smalloc_client.ko" \
	  "$repo/tests/switched/smalloc_switched.ko"; do
	[ -f "$ko" ] || die "$ko was not built"
	vermagic=$(modinfo -F vermagic "$ko")
	[ "${vermagic%% *}" = "$kver" ] ||
		die "$ko is built for '${vermagic%% *}', the guest runs $kver (KDIR=$KDIR)"
done

# ---- initramfs -------------------------------------------------------------
mkdir -p "$repo/out"
log=$repo/out/modtest-$mode-$series.log
work=$(mktemp -d "${TMPDIR:-/tmp}/qemu-modtest.XXXXXX")
trap 'rm -rf "$work"' EXIT

root=$work/root
busybox_root "$root"
mkdir -p "$root/modtest"
install -m 0755 "$repo/tests/guest/init.sh" "$root/init"
install -m 0755 "$repo/tests/guest/modtest.sh" "$root/modtest/modtest.sh"
install -m 0755 "$repo/tools/smalloc/smallocinfo-static" "$root/modtest/smallocinfo"
install -m 0644 "$repo/smalloc.ko" "$repo/tests/modtest/smalloc_modtest.ko" \
	"$repo/samples/smalloc_client/smalloc_client.ko" \
	"$repo/tests/switched/smalloc_switched.ko" "$root/modtest/"
if [ "$mode" = realclients ]; then
	"$repo/scripts/realclients-build.sh" "$KDIR"
	mkdir -p "$root/modtest/realclients"
	install -m 0644 "$repo"/out/realclients/stock/lib/*.ko \
		"$repo"/out/realclients/smalloc/lib/*.ko \
		"$repo"/out/realclients/cocci/lib/*.ko "$root/modtest/realclients/"
	install -m 0755 "$repo/tests/guest/realclients.sh" "$root/modtest/"
fi
echo "$mode" >"$root/modtest/mode"
echo "${MODTEST_SMALLOC_ARGS:-}" >"$root/modtest/smalloc_args"
pack_initramfs "$root" "$work/initramfs.cpio.gz"

# ---- boot ------------------------------------------------------------------
# A soft lockup, an RCU stall or a hung task panics the guest, and panic=-1
# with -no-reboot ends QEMU: a hang fails in about a minute, not at the
# timeout.
cmdline="console=ttyS0 panic=-1 oops=panic printk.time=1 softlockup_panic=1"
cmdline+=" sysctl.kernel.panic_on_rcu_stall=1 hung_task_panic=1"
cmdline+="${append:+ $append}"
# Single-threaded TCG: see scripts/kunit.sh.
# Two NUMA nodes of two CPUs and 512 MiB each: smalloc_node()'s node
# pools and the placement check (smalloc_modtest's numa part) need them.
qemu=(qemu-system-x86_64 -accel tcg,thread=single -cpu max -smp 4 -m 1024
      -object memory-backend-ram,id=m0,size=512M
      -object memory-backend-ram,id=m1,size=512M
      -numa node,nodeid=0,cpus=0-1,memdev=m0
      -numa node,nodeid=1,cpus=2-3,memdev=m1
      -nographic -no-reboot -nic none
      -kernel "$vmlinuz" -initrd "$work/initramfs.cpio.gz"
      -append "$cmdline")

echo "qemu-modtest: booting $kver (TCG, 4 CPUs on 2 NUMA nodes, timeout ${timeout_s}s), mode $mode"
echo "qemu-modtest: kernel command line: $cmdline"
echo "qemu-modtest: console log: $log"
qemu_run "$log" "$timeout_s" "$banner" "$verbose" "${qemu[@]}"

# ---- verdict ---------------------------------------------------------------
reason=
if [ "$qemu_rc" -eq 124 ] || [ "$qemu_rc" -eq 137 ]; then
	reason="the guest did not finish within ${timeout_s}s and was killed"
elif grep -q "$marker: FAIL" "$log"; then
	reason="the guest reported FAIL"
elif ! grep -q "^$marker: PASS\$" "$log"; then
	reason="no result marker from the guest (QEMU exit status $qemu_rc; crash or panic?)"
fi

timing="build+initramfs $((t_boot - t_start))s, QEMU $((t_end - t_boot))s, total $((t_end - t_start))s"
if [ -z "$reason" ]; then
	echo "qemu-modtest: $mode PASS ($timing)"
	exit 0
fi

echo
echo "qemu-modtest: $mode FAIL: $reason"
if [ "$verbose" != 1 ]; then
	if grep -q "$banner" "$log"; then
		echo "---- console from the guest's start, kernel messages included ----"
		sed -n "/$banner/,\$p" "$log"
	else
		echo "---- last 80 console lines ----"
		tail -n 80 "$log"
	fi
	echo "---- end of console (whole log: $log) ----"
fi
echo "qemu-modtest: $mode FAIL ($timing)"
exit 1
