# SPDX-License-Identifier: GPL-2.0
#
# The in-kernel benchmark's targets, in one place: scripts/bench.sh's table
# and scripts/bench_plot.sh's picture both read them (awk -f this file).
# A row of bench-results/kernel.csv is held to ratio() <= target().

# ratio(workload, kmalloc ns, smalloc ns, kmalloc pages, smalloc pages):
# smalloc over kmalloc, of pages for the mem-* and scale-* rows and of
# ns/op otherwise
# (lower is better for smalloc); 0 when kmalloc's figure is missing.
function ratio(w, k, s, pk, ps) {
	if (w ~ /^mem-/)
		return pk > 0 ? ps / pk : 0
	# What a burst leaves is a few pages, and the free-page count moves
	# with the rest of the kernel: kmalloc's figure floored at one page.
	if (w ~ /^scale-/)
		return ps > 0 ? ps / (pk > 1 ? pk : 1) : 0
	return k > 0 ? s / k : 0
}

# target(workload, size, policy): the largest ratio() the row may have
# under init_on_alloc=policy (1 when policy is empty: the distro's default,
# which the picture marks); 0 for a row held to none.  Issue 14's targets.
function target(w, s, p) {
	if (p == "")
		p = 1
	if (w == "pairs") {
		if (p == 0)
			return s >= 8 && s <= 1024 ? 0.5 : 0
		return s <= 256 ? 0.6 : 0
	}
	if (w ~ /^batch-/) return 0.6
	if (w ~ /^churn-/) return s == 16 || s == 64 || s == 256 ? 0.5 : 0
	if (w ~ /^(conc|remote|slabtest)-/) return 0.6
	if (w ~ /^ctx-/) return 0.6
	if (w == "mem-live") return 1.0
	if (w ~ /^scale-/) return 1.0
	return 0
}
