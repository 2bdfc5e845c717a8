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

. "$(dirname "$0")/lib.sh"
build=$cache/kunit-build
jobs=${JOBS:-$(nproc)}

"$repo/scripts/deps.sh"
prepare_ktree

# Copy only the kernel sources; -a keeps mtimes so make rebuilds what changed.
mkdir -p "$ktree/drivers/smalloc"
rsync -a --delete --prune-empty-dirs \
	--exclude='/tools/' --exclude='/tests/' --exclude='/samples/' \
	--exclude='/bench/' --exclude='/.git/' \
	--include='*/' --include='*.c' --include='*.h' \
	--include='Kbuild' --include='Kconfig' --include='.kunitconfig' \
	--exclude='*' \
	"$repo/" "$ktree/drivers/smalloc/"

# Single-threaded TCG: with MTTCG a guest was seen to oops on an int3 that
# text_poke_bp() had already removed, still present in another vCPU's
# translated code.  Four vCPUs still interleave and preempt each other.
cd "$ktree"
exec python3 tools/testing/kunit/kunit.py run \
	--arch=x86_64 \
	--build_dir="$build" \
	--kunitconfig="$repo/kunit/.kunitconfig" \
	--jobs="$jobs" \
	--timeout="${KUNIT_TIMEOUT:-900}" \
	--qemu_args "-accel tcg,thread=single -smp 4 -m 2048" \
	"$@"
