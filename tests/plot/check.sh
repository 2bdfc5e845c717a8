#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark pictures' test (scripts/check.sh's style step): draws
# tests/plot/kernel.csv and tests/plot/user.csv with scripts/bench_plot.sh
# and checks each SVG with check_svg.py: it parses, every series is there
# with one bar per row in the direction the fixture's figures give (up
# where smalloc is faster than kmalloc, or an allocator faster than
# mimalloc), the kernel targets are marked, the rows' labels are there and
# mem-after-free (which has no ratio) is not.  A few seconds.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
plot=$here/../../scripts/bench_plot.sh
out=$(mktemp -d "${TMPDIR:-/tmp}/smalloc-plot-test.XXXXXX")
trap 'rm -rf "$out"' EXIT

"$plot" kernel "$here/kernel.csv" "$out/kernel.svg" "fixture" "tests/plot/check.sh"
"$plot" user "$here/user.csv" "$out/user.svg" "fixture" "tests/plot/check.sh"

# kernel.csv, left to right: pairs 64B (smalloc twice as fast; 1.25 times
# under init_on_alloc=0), batch-lifo-n100 64B (1.5 times slower; twice as
# fast), conc-pairs 64B on 4 CPUs (3 times as fast), mixed (the same),
# mem-live 64B (more pages); the last three under init_on_alloc=1 only.
# Targets: pairs, batch-*, conc-* and mem-live have one, mixed none.
kernel_checks=(
	--bars "init_on_alloc=1=+-+0-" --bars "init_on_alloc=0=++..."
	--series "target (scripts/bench_targets.awk): the bars should reach it=4"
	--label "pairs 64B" --label "batch-lifo-n100 64B"
	--label "conc-pairs 64B 4cpu" --label "mixed" --label "mem-live 64B"
	--no-label "mem-after-free 64B" --label "reproduce: tests/plot/check.sh"
)
"$here/check_svg.py" "$out/kernel.svg" "${kernel_checks[@]}" \
	--panels 1 --series "kmalloc = 1=1"
# The same in two panels (pairs to conc-pairs, mixed and mem-live), each
# with its 1 line.
PLOT_PANEL_GROUPS=3 "$plot" kernel "$here/kernel.csv" "$out/kernel2.svg" \
	"fixture" "tests/plot/check.sh"
"$here/check_svg.py" "$out/kernel2.svg" "${kernel_checks[@]}" \
	--panels 2 --series "kmalloc = 1=2"

# user.csv: churn-1p 16B (smalloc 2x mimalloc, glibc 0.5x, jemalloc 0.8x),
# larson on 2 threads (0.75x, 0.25x, 1.5x); mimalloc is the 1 line.
"$here/check_svg.py" "$out/user.svg" \
	--bars "smalloc=+-" --bars "glibc=--" --bars "jemalloc=-+" \
	--panels 1 --series "mimalloc = 1=1" \
	--label "churn-1p 16B" --label "larson 2t" --no-label "mimalloc"

echo "plot: kernel.svg and user.svg from the fixtures check out"
