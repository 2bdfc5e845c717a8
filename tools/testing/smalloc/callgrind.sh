#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make callgrind: instructions, counted by valgrind's callgrind (exact and
# repeatable, whatever else the machine runs).
#
#  1. The fast path: a malloc+free pair of SIZE bytes while another object
#     keeps the page in use (so no free empties it), counted inside
#     fastpath_loop() and divided by the pairs; the "null" allocator's
#     count (the loop and the indirect calls) is subtracted.
#  2. Every single-threaded workload of the benchmark: instructions per op
#     (the difference between two run lengths, so start-up cancels).
#
# Writes OUT_DIR/callgrind.csv (what,size,allocator,instructions) and
# prints both tables.
#
# Usage: callgrind.sh BENCH_BINARY OUT_DIR
set -euo pipefail

bin=$1
out=$2
. "$(dirname "${BASH_SOURCE[0]}")/allocators.sh"
allocators=(${CG_ALLOCATORS:-smalloc mimalloc glibc jemalloc tcmalloc})
sizes=(${CG_SIZES:-16 64 256})
n=200000

# Ir of one run: callgrind_total ALLOC [valgrind options] -- bench args
cg_total() {
	local a=$1 f
	shift
	f=$(mktemp)
	LD_PRELOAD=$(preload "$a") valgrind --tool=callgrind \
		--callgrind-out-file="$f" "$@" >/dev/null 2>&1
	awk '/^(summary|totals):/ { print $2; exit }' "$f"
	rm -f "$f"
}

mkdir -p "$out"
csv=$out/callgrind.csv
echo "what,size,allocator,instructions" >"$csv"

echo "Fast path: instructions per malloc+free pair (callgrind; loop and call overhead subtracted)"
printf "%-10s" "size"
for a in "${allocators[@]}"; do printf " %9s" "$a"; done
echo
for s in "${sizes[@]}"; do
	base=$(cg_total null --toggle-collect=fastpath_loop "$bin" -a null -w fastpath -s "$s" -n $n)
	printf "%-10s" "${s}B"
	for a in "${allocators[@]}"; do
		t=$(cg_total "$a" --toggle-collect=fastpath_loop "$bin" -a "$a" -w fastpath -s "$s" -n $n)
		# fastpath_loop runs 1.1 n pairs (a tenth to warm up).
		v=$(awk -v t="$t" -v b="$base" -v n=$n 'BEGIN { printf "%.1f", (t - b) / (1.1 * n) }')
		printf " %9s" "$v"
		echo "fastpath,$s,$a,$v" >>"$csv"
	done
	echo
done
echo

wl=(
	"churn-1p 16" "churn-4p 16" "churn-1p 64" "churn-4p 64" "churn-1p 256"
	"churn-4p 256" "control 1024" "pairs 16" "pairs 64" "pairs 256"
	"lifo 64" "interleaved 0" "multisize 0" "realloc 0"
)
echo "Workloads: instructions per op (whole program, start-up cancelled)"
printf "%-18s" "workload"
for a in "${allocators[@]}"; do printf " %9s" "$a"; done
echo
for w in "${wl[@]}"; do
	read -r name size <<<"$w"
	printf "%-18s" "$name-$size"
	for a in "${allocators[@]}"; do
		t1=$(cg_total "$a" "$bin" -a "$a" -w "$name" -s "$size" -n $n)
		t2=$(cg_total "$a" "$bin" -a "$a" -w "$name" -s "$size" -n $((2 * n)))
		v=$(awk -v a="$t1" -v b="$t2" -v n=$n 'BEGIN { printf "%.1f", (b - a) / (1.1 * n) }')
		printf " %9s" "$v"
		echo "$name,$size,$a,$v" >>"$csv"
	done
	echo
done
echo "callgrind: wrote $csv"
