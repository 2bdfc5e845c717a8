# SPDX-License-Identifier: GPL-2.0
#
# Shared by the scripts: where things are, and the kernel source tree.
# Source it; it sets $repo, $cache and $ktree.

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${SMALLOC_CACHE:-$HOME/.cache/smalloc}
ktree=$cache/linux-source-6.12

# use_ccache: compile through ccache if it is installed (scripts/deps.sh
# installs it), its cache beside the kernel trees: Debian's /usr/lib/ccache
# first in PATH, so that every gcc and clang (Kbuild's module builds, dkms,
# the user-space harness) goes through it with no flag of its own.  A
# second make check in the same tree then compiles nothing that did not
# change.  Nothing depends on it: without ccache, or with an empty cache,
# the compilers run as before.  The KUnit kernels keep their own
# incremental build trees and do not use it (scripts/kunit.sh).
use_ccache() {
	[ -x /usr/lib/ccache/gcc ] || return 0
	case ":$PATH:" in
	*:/usr/lib/ccache:*) ;;
	*) export PATH=/usr/lib/ccache:$PATH ;;
	esac
	export CCACHE_DIR=${CCACHE_DIR:-$cache/ccache}
	export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-2G}
}

# no_ccache: the compilers themselves again.
no_ccache() {
	local p=:$PATH:

	p=${p//:\/usr\/lib\/ccache:/:}
	p=${p#:}
	export PATH=${p%:}
}

# Debian's 6.12 kernel: its version, image and headers.
deb_kver() {
	ls -d /usr/src/linux-headers-6.12.*-amd64 2>/dev/null | sort -V |
		tail -n1 | sed 's|.*/linux-headers-||'
}

# deb_kernel SERIES: Debian's installed kernel of SERIES (6.12 or 6.1) for
# QEMU: sets vmlinuz, kver and KDIR (its headers, unless KDIR is set
# already), or calls the sourcing script's die().
deb_kernel() {
	vmlinuz=$(find /boot -maxdepth 1 -name "vmlinuz-$1.*-amd64" | sort -V | tail -n1)
	[ -n "$vmlinuz" ] || die "no /boot/vmlinuz-$1.*-amd64 (Debian's linux-image package)"
	[ -r "$vmlinuz" ] || die "$vmlinuz is not readable (Debian installs it 0600): run as root"
	kver=${vmlinuz#/boot/vmlinuz-}
	export KDIR=${KDIR:-/usr/src/linux-headers-$kver}
	[ -f "$KDIR/Makefile" ] || die "no kernel build tree at $KDIR (linux-headers-$kver)"
}

# Extract Debian's linux-source-6.12 into the cache unless the same
# version is already there, and hook drivers/smalloc/ into it: smalloc
# itself, and after it drivers/smalloc/kunit/ (kunit/Kbuild: suites that
# are objects of their own, which run after the smalloc suite).
prepare_ktree() {
	local stamp line
	stamp=$(dpkg-query -W -f='${Version}' linux-source-6.12)
	if [ "$(cat "$ktree/.smalloc-stamp" 2>/dev/null)" != "$stamp" ]; then
		echo "ktree: extracting linux-source $stamp into $cache (cold cache)"
		rm -rf "$ktree" "$cache"/kunit-*build
		mkdir -p "$cache"
		tar -C "$cache" -xf /usr/src/linux-source-6.12.tar.xz
		sed -i '$ s|^endmenu$|source "drivers/smalloc/Kconfig"\n\nendmenu|' \
			"$ktree/drivers/Kconfig"
		grep -q drivers/smalloc/Kconfig "$ktree/drivers/Kconfig"
		echo "$stamp" > "$ktree/.smalloc-stamp"
	fi
	# shellcheck disable=SC2016 # make's $(...), not the shell's
	for line in 'obj-$(CONFIG_SMALLOC)		+= smalloc/' \
		    'obj-$(CONFIG_SMALLOC_KUNIT_TEST)	+= smalloc/kunit/'; do
		grep -qxF "$line" "$ktree/drivers/Makefile" ||
			printf '%s\n' "$line" >> "$ktree/drivers/Makefile"
	done
}

# sync_ksources SRC DST: copy smalloc's kernel sources (*.c, *.h, Kbuild,
# Kconfig, .kunitconfig; not tools/, tests/, samples/, bench/) from SRC
# into DST, the kernel tree's drivers/smalloc/.  Only files whose contents
# differ are written, and they get the time of the copy: make then
# rebuilds exactly what changed.  Keeping the sources' own times (rsync -a)
# did not: the cache is shared by every checkout, and an object built from
# one checkout is newer than an edit made earlier in another, so the edit
# was not compiled and a kernel linked objects of two versions.
sync_ksources() {
	mkdir -p "$2"
	rsync -r --checksum --delete --prune-empty-dirs \
		--exclude='/tools/' --exclude='/tests/' --exclude='/samples/' \
		--exclude='/bench/' --exclude='/.git/' \
		--include='*/' --include='*.c' --include='*.h' \
		--include='Kbuild' --include='Kconfig' --include='.kunitconfig' \
		--exclude='*' \
		"$1/" "$2/"
}

# busybox_root DIR: the skeleton of a guest's initramfs in DIR: busybox
# with a link for each applet (busybox --list-full gives each applet's
# path: bin/sh, sbin/insmod, ...), the mount points, and
# tests/guest/common.sh, which the guests' /init scripts source.
busybox_root() {
	local root=$1 applet

	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp}
	cp /bin/busybox "$root/bin/busybox"
	while read -r applet; do
		[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
	done < <(/bin/busybox --list-full)
	install -m 0644 "$repo/tests/guest/common.sh" "$root/common.sh"
}

# pack_initramfs DIR OUT: DIR as a gzipped newc cpio archive, owned by root.
pack_initramfs() {
	(cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
		gzip -1 >"$2"
}

# qemu_run LOG TIMEOUT BANNER VERBOSE CMD...: run QEMU (CMD) for at most
# TIMEOUT seconds with its whole console in LOG.  The terminal gets the
# guest's own lines (from the first one holding BANNER on, kernel
# messages left out), or everything if VERBOSE is 1.  Sets qemu_rc (124
# or 137: killed by the timeout), t_boot and t_end (epoch seconds).
qemu_run() {
	local log=$1 timeout_s=$2 banner=$3 verbose=$4

	shift 4
	t_boot=$(date +%s)
	exec 3>"$log"
	set +e
	timeout -k 10 "$timeout_s" "$@" </dev/null 2>&1 |
		qemu_console_filter "$banner" "$verbose"
	qemu_rc=${PIPESTATUS[0]}
	set -e
	exec 3>&-
	t_end=$(date +%s)
}

# qemu_console_filter BANNER VERBOSE: qemu_run's filter; fd 3 is the log.
qemu_console_filter() {
	local banner=$1 verbose=$2 line in_guest=0
	local kmsg_re='^\[ *[0-9]+\.[0-9]+\] '

	while IFS= read -r line || [ -n "$line" ]; do
		line=${line%$'\r'}
		printf '%s\n' "$line" >&3
		if [ "$verbose" = 1 ]; then
			printf '%s\n' "$line"
			continue
		fi
		[[ $line == *"$banner"* ]] && in_guest=1
		[ "$in_guest" = 1 ] || continue
		[[ $line =~ $kmsg_re ]] && continue
		printf '%s\n' "$line"
	done
}
