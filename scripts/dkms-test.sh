#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The DKMS test ("make dkms-test"; the "dkms" step of scripts/check.sh):
#
#   1. make deb: out/smalloc-dkms_<version>_all.deb
#   2. dpkg -i it on this machine: its postinst has DKMS build and install
#      smalloc.ko for the installed kernels that have headers; if that did
#      not include Debian's 6.12 kernel (not the running one, and not the
#      newest), "dkms install -k" it
#   3. build samples/smalloc_client in a directory of its own with the
#      installed recipe (include /usr/share/smalloc/smalloc-client.mk):
#      the installed headers and the Module.symvers of the DKMS build only;
#      and again after "make install" into a staging root
#   4. boot that 6.12 kernel in QEMU from a busybox initramfs with the
#      DKMS-built module and the client under /lib/modules/<kernel>/ and
#      depmod's modules.dep; tests/guest/dkms.sh modprobes them
#
# Exits 0 only if every step worked and the guest printed the PASS marker.
# The package and smalloc's DKMS state are removed at the end, pass or fail,
# and at the start if an earlier run left them, so it can run again.  Needs
# root (dpkg, dkms).
#
# Environment:
#   DKMS_TEST_TIMEOUT  seconds before QEMU is killed (default 240)
#
# The whole console is kept in out/dkms-test.log.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
timeout_s=${DKMS_TEST_TIMEOUT:-240}
marker=SMALLOC-MODTEST-RESULT
t_start=$(date +%s)

die() {
	echo "dkms-test: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "needs root: it installs a package and runs dkms"
"$repo/scripts/deps.sh"
deb_kernel 6.12
version=$(sed -n 's/^MODULE_VERSION("\(.*\)");$/\1/p' "$repo/smalloc_main.c")
[ -n "$version" ] || die "no MODULE_VERSION in smalloc_main.c"
deb=$repo/out/smalloc-dkms_${version}_all.deb
arch=$(uname -m)
log=$repo/out/dkms-test.log
work=$(mktemp -d "${TMPDIR:-/tmp}/dkms-test.XXXXXX")
keys=()
for k in /var/lib/dkms/mok.key /var/lib/dkms/mok.pub; do
	[ -e "$k" ] || keys+=("$k")
done

# Remove the package and whatever DKMS still holds of smalloc (a failed
# install leaves the package half-configured and its builds registered).
uninstall() {
	local v

	if dpkg-query -W -f='${db:Status-Abbrev}' smalloc-dkms 2>/dev/null | grep -qv '^un'; then
		echo "dkms-test: dpkg --purge smalloc-dkms"
		dpkg --purge smalloc-dkms || dpkg --purge --force-remove-reinstreq smalloc-dkms
	fi
	for v in /var/lib/dkms/smalloc/*; do
		if [ ! -d "$v" ] || [ -L "$v" ]; then
			continue
		fi
		echo "dkms-test: dkms remove smalloc/${v##*/} --all"
		dkms remove "smalloc/${v##*/}" --all || true
	done
	rm -rf /var/lib/dkms/smalloc
}

cleanup() {
	local rc=$?

	set +e
	uninstall
	# The signing key DKMS made for this run, if it made one.
	[ ${#keys[@]} -eq 0 ] || rm -f "${keys[@]}"
	rm -rf "$work"
	[ "$rc" -eq 0 ] || echo "dkms-test: FAIL ($(($(date +%s) - t_start))s)"
	exit "$rc"
}
trap cleanup EXIT
uninstall

# lap NAME: record how long NAME took since the last lap.
laps=()
t_lap=$(date +%s)
lap() {
	local now

	now=$(date +%s)
	laps+=("$1 $((now - t_lap))s,")
	t_lap=$now
}
lap setup

# ---- 1. the package --------------------------------------------------------
echo "dkms-test: make deb"
make -s -C "$repo" deb
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || die "$deb is not version $version"
lap "make deb"

# ---- 2. install it: DKMS builds smalloc.ko -------------------------------
echo "dkms-test: dpkg -i ${deb#"$repo"/}"
if ! dpkg -i "$deb"; then
	l=/var/lib/dkms/smalloc/$version/build/make.log
	[ ! -f "$l" ] || { echo "---- $l"; tail -n 40 "$l"; }
	die "dpkg -i failed"
fi
if ! dkms status -m smalloc -v "$version" -k "$kver" | grep -q ': installed'; then
	echo "dkms-test: the postinst did not build for $kver: dkms install -k $kver"
	dkms install -m smalloc -v "$version" -k "$kver"
fi
dkms status smalloc
ko=$(find "/lib/modules/$kver/updates/dkms" -name 'smalloc.ko*' 2>/dev/null | head -n1)
[ -n "$ko" ] || die "DKMS installed no smalloc.ko in /lib/modules/$kver/updates/dkms/"
vermagic=$(modinfo -F vermagic "$ko")
[ "${vermagic%% *}" = "$kver" ] || die "$ko is built for '${vermagic%% *}', not $kver"
[ "$(modinfo -F version "$ko")" = "$version" ] || die "$ko is not version $version"
symvers=/var/lib/dkms/smalloc/kernel-$kver-$arch/module/Module.symvers
grep -q '	smalloc	' "$symvers" || die "no Module.symvers exporting smalloc at $symvers"
echo "dkms-test: DKMS built $ko ($kver, signer: '$(modinfo -F signer "$ko")')"
echo "dkms-test: its Module.symvers: $symvers"
lap "dpkg -i (DKMS builds)"

# ---- 3. a client built against the installed files only -------------------
# build_client DIR PREFIX: samples/smalloc_client in DIR, its Makefile one
# line, "include PREFIX/share/smalloc/smalloc-client.mk"; it must build
# without a warning, from PREFIX/include/smalloc/ and nothing of the
# repository.
build_client() {
	local dir=$1 prefix=$2

	mkdir -p "$dir"
	cp "$repo"/samples/smalloc_client/{Kbuild,smalloc_client.c} "$dir/"
	echo "include $prefix/share/smalloc/smalloc-client.mk" >"$dir/Makefile"
	echo "dkms-test: building smalloc_client with $prefix/share/smalloc/smalloc-client.mk"
	make -C "$dir" KDIR="$KDIR" W=1 >"$dir.log" 2>&1 ||
		{ cat "$dir.log"; die "the client build failed"; }
	! grep -E 'warning|WARNING|error' "$dir.log" || die "the client build warned"
	grep -q " $prefix/include/smalloc/smalloc.h " "$dir/.smalloc_client.o.cmd" ||
		die "the client was not compiled against $prefix/include/smalloc/smalloc.h"
	! grep -q "$repo" "$dir/.smalloc_client.o.cmd" ||
		die "the client build used files of the repository"
}

client=$work/client
build_client "$client" /usr
lap "client build"

# The same recipe after "make install" into a staging root (PREFIX and
# INSTALL_MOD_PATH there): the module, depmod's modules.dep, the headers,
# Module.symvers for $kver.  It runs in a copy of the package's source
# tree, which must be enough for it, and leaves the repository's objects
# alone.
stage=$work/stage
cp -a "$repo/out/deb/usr/src/smalloc-$version" "$work/src"
echo "dkms-test: make install PREFIX=$stage/usr/local INSTALL_MOD_PATH=$stage"
make -C "$work/src" install KDIR="$KDIR" PREFIX="$stage/usr/local" \
	INSTALL_MOD_PATH="$stage" >"$work/install.log" 2>&1 ||
	{ cat "$work/install.log"; die "make install failed"; }
grep -q '^updates/smalloc.ko[.a-z]*:' "$stage/lib/modules/$kver/modules.dep" ||
	die "make install: no updates/smalloc.ko in $stage/lib/modules/$kver/modules.dep"
[ -f "$stage/usr/local/lib/smalloc/$kver/Module.symvers" ] ||
	die "make install: no $stage/usr/local/lib/smalloc/$kver/Module.symvers"
build_client "$work/client-install" "$stage/usr/local"
lap "make install, client build"

# ---- 4. boot 6.12: modprobe both -----------------------------------------
root=$work/root
busybox_root "$root"
moddir=$root/lib/modules/$kver
mkdir -p "$moddir/updates/dkms" "$moddir/extra" "$root/modtest"
cp "$ko" "$moddir/updates/dkms/"
cp "$client/smalloc_client.ko" "$moddir/extra/"
depmod -b "$root" "$kver" 2>/dev/null
grep -q "^extra/smalloc_client.ko: updates/dkms/${ko##*/}\$" "$moddir/modules.dep" ||
	die "depmod -b did not make smalloc_client depend on ${ko##*/}"
install -m 0755 "$repo/tests/guest/init.sh" "$root/init"
install -m 0755 "$repo/tests/guest/dkms.sh" "$root/modtest/modtest.sh"
echo dkms >"$root/modtest/mode"
echo "$version" >"$root/modtest/version"
pack_initramfs "$root" "$work/initramfs.cpio.gz"

echo "dkms-test: booting $kver (TCG, 2 CPUs, timeout ${timeout_s}s); console: ${log#"$repo"/}"
set +e
timeout -k 10 "$timeout_s" qemu-system-x86_64 -accel tcg,thread=single -cpu max \
	-smp 2 -m 512 -nographic -no-reboot -nic none \
	-kernel "$vmlinuz" -initrd "$work/initramfs.cpio.gz" \
	-append "console=ttyS0 panic=-1 oops=panic quiet" </dev/null >"$log" 2>&1
set -e
tr -d '\r' <"$log" | sed -n '/=== smalloc-modtest guest/,$p' | grep -v '^\[ *[0-9]*\.[0-9]*\] '
grep -q "^$marker: PASS" "$log" || die "the guest did not pass (console: $log)"
lap "initramfs, QEMU"
echo "dkms-test: PASS (${laps[*]} total $(($(date +%s) - t_start))s before the cleanup)"
