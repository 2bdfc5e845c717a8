#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The soak in module mode ("make soak"; "make check" runs a short one):
# build smalloc.ko and tests/modtest/smalloc_modtest.ko (W=1, in a private
# copy of the tree), boot Debian's 6.12 kernel in QEMU (TCG, 4 CPUs) with a
# busybox initramfs whose /init is tests/guest/soak.sh, and let it run
# rounds until the time is up: load smalloc, load the workload with soak=1
# (every CPU, every context), take CPUs offline and online meanwhile,
# unload both, check the counters and the kernel log; see soak.sh.  Then
# scripts/klog_check.py reads the whole console: a BUG, WARNING or Oops
# whose stack names a function of smalloc.ko or of the workload is a
# finding too.  Exits 0 only if the guest printed "SMALLOC-SOAK-RESULT:
# PASS" and the console has no such report.
#
# Environment:
#   SOAK_MINUTES      how long the rounds run, in minutes (default 10)
#   SOAK_SECS         the same in seconds (wins over SOAK_MINUTES)
#   SOAK_ROUND_SECS   length of one round, a load-to-unload cycle (default
#                     30, at most the whole soak)
#   SOAK_SMALLOC_ARGS smalloc.ko's parameter sets, separated by ';', one per
#                     round in turn (default: the defaults; poison=1;
#                     random_order=0; idle_drain_ms=20)
#   SOAK_CPUS         guest CPUs (default 4)
#   SOAK_KERNEL       6.12 (default) or 6.1
#   SOAK_TIMEOUT      seconds before QEMU is killed (default: the soak's
#                     length plus 300); a guest killed by it is a failure
#   SOAK_VERBOSE      1: stream the whole console, kernel messages included
#
# The whole console is kept in out/soak-<kernel>.log.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

die() {
	echo "soak: $*" >&2
	exit 1
}

secs=${SOAK_SECS:-$((${SOAK_MINUTES:-10} * 60))}
round=${SOAK_ROUND_SECS:-30}
[ "$round" -le "$secs" ] || round=$secs
if [ "$secs" -le 0 ] || [ "$round" -le 0 ]; then
	die "SOAK_SECS and SOAK_ROUND_SECS must be positive"
fi
smalloc_args=${SOAK_SMALLOC_ARGS-; poison=1; random_order=0; idle_drain_ms=20}
cpus=${SOAK_CPUS:-4}
timeout_s=${SOAK_TIMEOUT:-$((secs + 300))}
verbose=${SOAK_VERBOSE:-0}
series=${SOAK_KERNEL:-6.12}
marker=SMALLOC-SOAK-RESULT
banner="=== smalloc-soak guest"
t_start=$(date +%s)

"$repo/scripts/deps.sh"
deb_kernel "$series"

work=$(mktemp -d "${TMPDIR:-/tmp}/smalloc-soak.XXXXXX")
trap 'rm -rf "$work"' EXIT

# ---- build, in a copy: the repository's own objects are left alone -------
echo "soak: building smalloc.ko and smalloc_modtest.ko against $KDIR"
tree=$work/tree
mkdir -p "$tree/include" "$tree/scripts" "$tree/tests/modtest"
(cd "$repo" && cp -p Kbuild Kconfig Makefile ./*.c ./*.h "$tree/")
cp -p "$repo"/include/*.h "$tree/include/"
cp -p "$repo/scripts/smalloc-client.mk" "$tree/scripts/"
cp -p "$repo"/tests/modtest/{Kbuild,Makefile,smalloc_modtest.c} "$tree/tests/modtest/"
make -s -C "$tree" KDIR="$KDIR" W=1
make -s -C "$tree/tests/modtest" KDIR="$KDIR" W=1
for ko in "$tree/smalloc.ko" "$tree/tests/modtest/smalloc_modtest.ko"; do
	vermagic=$(modinfo -F vermagic "$ko")
	[ "${vermagic%% *}" = "$kver" ] ||
		die "$ko is built for '${vermagic%% *}', the guest runs $kver"
done

# ---- initramfs -------------------------------------------------------------
root=$work/root
busybox_root "$root"
mkdir -p "$root/soak"
install -m 0755 "$repo/tests/guest/soak.sh" "$root/init"
install -m 0644 "$tree/smalloc.ko" "$tree/tests/modtest/smalloc_modtest.ko" \
	"$root/soak/"
{
	echo "SOAK_SECS=$secs"
	echo "ROUND_SECS=$round"
	printf "SMALLOC_ARGS='%s'\n" "$smalloc_args"
} >"$root/soak/config"
pack_initramfs "$root" "$work/initramfs.cpio.gz"

# ---- boot ------------------------------------------------------------------
# As scripts/qemu-modtest.sh: a soft lockup, an RCU stall, a hung task or
# an oops panics the guest, and panic=-1 with -no-reboot ends QEMU.
cmdline="console=ttyS0 panic=-1 oops=panic printk.time=1 softlockup_panic=1"
cmdline+=" sysctl.kernel.panic_on_rcu_stall=1 hung_task_panic=1"
# Single-threaded TCG: see scripts/kunit.sh.
# shellcheck disable=SC2054 # -accel's argument is a comma-separated list
qemu=(qemu-system-x86_64 -accel tcg,thread=single -cpu max -smp "$cpus" -m 1024
      -nographic -no-reboot -nic none
      -kernel "$vmlinuz" -initrd "$work/initramfs.cpio.gz"
      -append "$cmdline")

mkdir -p "$repo/out"
log=$repo/out/soak-$series.log

echo "soak: booting $kver (TCG, $cpus CPUs), ${secs}s in rounds of ${round}s, timeout ${timeout_s}s"
echo "soak: console log: $log"
qemu_run "$log" "$timeout_s" "$banner" "$verbose" "${qemu[@]}"

# ---- verdict ---------------------------------------------------------------
reason=
if [ "$qemu_rc" -eq 124 ] || [ "$qemu_rc" -eq 137 ]; then
	reason="the guest did not finish within ${timeout_s}s and was killed"
elif grep -q "^$marker: FAIL" "$log"; then
	reason="the guest reported findings"
elif ! grep -q "^$marker: PASS\$" "$log"; then
	reason="no result marker from the guest (QEMU exit status $qemu_rc; crash or panic?)"
fi
echo "soak: the kernel log, judged by scripts/klog_check.py:"
if ! python3 "$repo/scripts/klog_check.py" --objdir "$tree" "$log"; then
	reason="${reason:+$reason; }the kernel log has reports naming smalloc"
fi
summary=$(grep -m1 '^SMALLOC-SOAK-SUMMARY:' "$log" || true)
echo "soak: ${summary:-no summary from the guest}"

timing="build+initramfs $((t_boot - t_start))s, QEMU $((t_end - t_boot))s, total $((t_end - t_start))s"
if [ -z "$reason" ]; then
	echo "soak: PASS ($timing)"
	exit 0
fi
echo
echo "soak: FAIL: $reason"
if [ "$verbose" != 1 ]; then
	if grep -q "$banner" "$log"; then
		echo "---- console from the guest's start, kernel messages included (last 200 lines) ----"
		sed -n "/$banner/,\$p" "$log" | tail -n 200
	else
		echo "---- last 80 console lines ----"
		tail -n 80 "$log"
	fi
	echo "---- end of console (whole log: $log) ----"
fi
echo "soak: FAIL ($timing)"
exit 1
