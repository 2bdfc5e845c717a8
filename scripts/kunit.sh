#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run smalloc's KUnit suites with kunit_tool on a kernel built from Debian's
# linux-source-6.12 tarball.
#
# The kernel tree and its build directory live in a cache outside the repo
# ($SMALLOC_CACHE, default ~/.cache/smalloc).  A warm cache is reused: the
# sources are synced into drivers/smalloc/ with their timestamps, so an edit
# to one .c file rebuilds that object and relinks vmlinux, nothing more.
# A missing or stale cache (another linux-source version) is rebuilt.
#
# Extra arguments go to "kunit.py run" (for example a suite filter glob).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${SMALLOC_CACHE:-$HOME/.cache/smalloc}
tarball=/usr/src/linux-source-6.12.tar.xz
src=$cache/linux-source-6.12
build=$cache/kunit-build
jobs=${JOBS:-$(nproc)}

"$repo/scripts/deps.sh"

stamp=$(dpkg-query -W -f='${Version}' linux-source-6.12)
if [ "$(cat "$src/.smalloc-stamp" 2>/dev/null)" != "$stamp" ]; then
	echo "kunit: preparing kernel tree $stamp in $cache (cold cache)"
	rm -rf "$src" "$build"
	mkdir -p "$cache"
	tar -C "$cache" -xf "$tarball"
	# Hook drivers/smalloc/ into the tree, as an in-tree driver would be.
	sed -i '$ s|^endmenu$|source "drivers/smalloc/Kconfig"\n\nendmenu|' \
		"$src/drivers/Kconfig"
	echo 'obj-$(CONFIG_SMALLOC)		+= smalloc/' >> "$src/drivers/Makefile"
	grep -q drivers/smalloc/Kconfig "$src/drivers/Kconfig"
	echo "$stamp" > "$src/.smalloc-stamp"
fi

# Copy only the kernel sources; -a keeps mtimes so make rebuilds what changed.
mkdir -p "$src/drivers/smalloc"
rsync -a --delete --prune-empty-dirs \
	--exclude='/tools/' --exclude='/tests/' --exclude='/samples/' \
	--exclude='/bench/' --exclude='/.git/' \
	--include='*/' --include='*.c' --include='*.h' \
	--include='Kbuild' --include='Kconfig' --include='.kunitconfig' \
	--exclude='*' \
	"$repo/" "$src/drivers/smalloc/"

cd "$src"
exec python3 tools/testing/kunit/kunit.py run \
	--arch=x86_64 \
	--build_dir="$build" \
	--kunitconfig="$repo/kunit/.kunitconfig" \
	--jobs="$jobs" \
	--timeout="${KUNIT_TIMEOUT:-900}" \
	--qemu_args "-smp 4 -m 2048" \
	"$@"
