# SPDX-License-Identifier: GPL-2.0
#
# The in-kernel benchmark's targets, in one place: scripts/bench.sh's table
# and scripts/bench_plot.sh's picture both read them (awk -f this file).
# A row of bench-results/kernel.csv is held to ratio() <= target().

# ratio(workload, kmalloc ns, smalloc ns, kmalloc pages, smalloc pages):
# smalloc over kmalloc, of pages for the mem-* rows and of ns/op otherwise
# (lower is better for smalloc); 0 when kmalloc's figure is missing.
function ratio(w, k, s, pk, ps) {
	if (w ~ /^mem-/)
		return pk > 0 ? ps / pk : 0
	return k > 0 ? s / k : 0
}

# target(workload, size): the largest ratio() the row may have; 0 for a
# row held to none.
function target(w, s) {
	if (w == "pairs") return s <= 1024 ? 0.6 : 0
	if (w ~ /^batch-/) return 0.7
	if (w ~ /^churn-/) return s < 1024 ? 1 / 1.5 : 0
	if (w ~ /^(conc|remote|slabtest)-/) return 1.0
	if (w == "mem-live") return 1.0
	return 0
}
