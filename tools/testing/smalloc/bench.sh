#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: every workload with every allocator, interleaved (each
# repeat runs every allocator once per workload, in a rotating order, each
# in a fresh process), the median of the repeats written to
# bench-results/user.csv and printed as a table with ratios to mimalloc,
# and drawn as bench-results/user.svg (scripts/bench_plot.sh, gnuplot).
#
# Usage: bench.sh BENCH_BINARY OUT_DIR [REPEATS]
# Environment: BENCH_OPS scales the work per measurement (default 20M
# pairs for single-threaded workloads), BENCH_ONLY=regex limits workloads,
# BENCH_ALLOCATORS="smalloc mimalloc" limits allocators.
set -euo pipefail

bin=$1
out=$2
repeats=${3:-5}
ops=${BENCH_OPS:-20000000}
. "$(dirname "${BASH_SOURCE[0]}")/allocators.sh"
allocators=(${BENCH_ALLOCATORS:-smalloc glibc mimalloc jemalloc tcmalloc})

# workload size threads ops-divisor
workloads=(
	"churn-1p 16 1 1"
	"churn-4p 16 1 1"
	"churn-1p 64 1 1"
	"churn-4p 64 1 1"
	"churn-1p 256 1 1"
	"churn-4p 256 1 1"
	"control 1024 1 2"
	"pairs 16 1 1"
	"pairs 64 1 1"
	"pairs 256 1 1"
	"lifo 64 1 1"
	"batch 64 1 1"
	"bulk 64 1 1"
	"ctx-softirq-to-task 64 1 1"
	"ctx-softirq-to-task-n64 64 1 1"
	"ctx-task-to-softirq 64 1 1"
	"ctx-task-to-softirq-n64 64 1 1"
	"interleaved 0 1 2"
	"multisize 0 1 1"
	"realloc 0 1 2"
	"mt-churn 64 2 1"
	"remote 64 2 4"
	"larson 0 2 4"
)

mkdir -p "$out"
raw=$(mktemp)
trap 'rm -f "$raw"' EXIT
echo "bench: ${#workloads[@]} workloads x ${#allocators[@]} allocators x $repeats repeats"

for ((r = 0; r < repeats; r++)); do
	for wl in "${workloads[@]}"; do
		read -r w size threads div <<<"$wl"
		[ -n "${BENCH_ONLY:-}" ] && ! [[ $w-$size =~ $BENCH_ONLY ]] && continue
		n=${#allocators[@]}
		for ((i = 0; i < n; i++)); do
			a=${allocators[$(((i + r) % n))]}
			LD_PRELOAD=$(preload "$a") "$bin" -a "$a" -w "$w" \
				-s "$size" -t "$threads" -n $((ops / div)) >>"$raw"
		done
	done
	echo "bench: repeat $((r + 1))/$repeats done"
done

csv=$out/user.csv
{
	echo "workload,size,threads,allocator,ops_per_sec"
	# The median of each (workload, size, threads, allocator).
	sort -t, -k1,1 -k2,2n -k3,3n -k4,4 -k5,5n "$raw" | awk -F, '
	function flush() {
		if (n) printf "%s,%.0f\n", key, (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	}
	{
		k = $1 "," $2 "," $3 "," $4
		if (k != key) { flush(); key = k; n = 0 }
		v[++n] = $5
	}
	END { flush() }'
} >"$csv.tmp"
# Keep the workloads in the order above.
{
	head -n1 "$csv.tmp"
	for wl in "${workloads[@]}"; do
		read -r w size threads div <<<"$wl"
		for a in "${allocators[@]}"; do
			grep -E "^$w,$size,$threads,$a," "$csv.tmp" || true
		done
	done
} >"$csv"
rm -f "$csv.tmp"
echo "bench: wrote $csv (median of $repeats)"
echo

# The table: M ops/s per allocator, and each one's ratio to mimalloc.
awk -F, -v allocs="${allocators[*]}" '
NR == 1 { next }
{
	k = $1 " " ($2 == 0 ? "mixed" : $2 "B") " " $3 "t"
	if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
	v[k, $4] = $5
}
END {
	na = split(allocs, A, " ")
	printf "%-22s", "workload"
	for (i = 1; i <= na; i++) printf " %9s", A[i]
	printf "   %s\n", "ratio to mimalloc"
	printf "%-22s", ""
	for (i = 1; i <= na; i++) printf " %9s", "Mops/s"
	printf "  "
	for (i = 1; i <= na; i++) if (A[i] != "mimalloc") printf " %8s", A[i]
	printf "\n"
	for (j = 1; j <= nk; j++) {
		k = order[j]
		printf "%-22s", k
		for (i = 1; i <= na; i++) printf " %9.1f", v[k, A[i]] / 1e6
		printf "  "
		m = v[k, "mimalloc"]
		for (i = 1; i <= na; i++) if (A[i] != "mimalloc")
			printf " %8s", m ? sprintf("%.2f", v[k, A[i]] / m) : "-"
		printf "\n"
	}
}' "$csv"

# The picture: each allocator's ops/s over mimalloc's.
if [[ " ${allocators[*]} " == *" mimalloc "* ]]; then
	echo
	"$(dirname "${BASH_SOURCE[0]}")/../../../scripts/bench_plot.sh" user \
		"$csv" "$out/user.svg" \
		"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1), $(nproc) CPUs, median of $repeats repeats, ${ops} ops"
else
	echo "bench: no user.svg: mimalloc, its baseline, was not measured"
fi
