# SPDX-License-Identifier: GPL-2.0
#
# Sourced by bench.sh and callgrind.sh: where the allocators compared with
# smalloc come from (Debian's packages, see deps.sh).

lib=/usr/lib/x86_64-linux-gnu

# preload ALLOC: the LD_PRELOAD that puts ALLOC in place of glibc's malloc
# (empty for smalloc, which the benchmark calls directly, and for glibc).
preload() {
	case $1 in
	mimalloc) echo "$lib/libmimalloc.so.2" ;;
	jemalloc) echo "$lib/libjemalloc.so.2" ;;
	tcmalloc) echo "$lib/libtcmalloc_minimal.so.4" ;;
	*) echo "" ;;
	esac
}
