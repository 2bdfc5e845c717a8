#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmarks' pictures: turns a benchmark CSV into an SVG bar chart
# with gnuplot (Debian's gnuplot-nox; scripts/deps.sh installs it).
#
#   bench_plot.sh kernel bench-results/kernel.csv bench-results/kernel.svg [RUN [CMD]]
#       kmalloc ns/op / smalloc ns/op (pages for mem-live) for every
#       workload, size and CPU count, one bar per policy, each row's target
#       (scripts/bench_targets.awk) marked; higher is better for smalloc
#   bench_plot.sh user bench-results/user.csv bench-results/user.svg [RUN [CMD]]
#       every allocator's ops/s over mimalloc's, per workload, size and
#       thread count; higher is better
#
# Bars start at 1 (the same speed as kmalloc, or as mimalloc) on a log
# scale, so a bar going down is slower.  The title has the date of the
# CSV, the commit, RUN (what the run was, e.g. QEMU's settings) and CMD,
# the command that reproduces it (by default make bench, or make -C
# tools/testing/smalloc bench, after the BENCH_* variables set now).
# PLOT_COMMIT, PLOT_PANEL_GROUPS and PLOT_KEEP are described where used.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() {
	echo "bench_plot: $*" >&2
	exit 1
}

[ $# -ge 3 ] && [ $# -le 5 ] ||
	die "usage: bench_plot.sh kernel|user IN.csv OUT.svg [RUN [CMD]]"
kind=$1 in=$2 out=$3 run=${4:-}
command -v gnuplot >/dev/null ||
	die "gnuplot is missing: scripts/deps.sh installs it (Debian's gnuplot-nox)"
[ -s "$in" ] || die "$in: no such file, or empty"

case $kind in
kernel) make_cmd="make bench" ;;
user) make_cmd="make -C tools/testing/smalloc bench" ;;
*) die "the kind is kernel or user, not '$kind'" ;;
esac
if [ $# -ge 5 ]; then
	cmd=$5
else
	cmd=
	while IFS= read -r v; do
		cmd+="$(printf '%s=%q ' "$v" "${!v}")"
	done < <(compgen -v | grep -E '^(BENCH_[A-Z_]+|SMALLOC_STATS)$' || true)
	cmd+=$make_cmd
fi
# The commit of this tree (the one measured, when a benchmark draws its
# own picture); PLOT_COMMIT names another when redrawing an older CSV.
rev=${PLOT_COMMIT:-$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo "no git")}
[ -n "${PLOT_COMMIT:-}" ] ||
	[ -z "$(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null)" ] ||
	rev+="+changes"
when=$(date -r "$in" '+%Y-%m-%d %H:%M')

# PLOT_KEEP=1 keeps the data and the gnuplot script, and says where.
work=$(mktemp -d "${TMPDIR:-/tmp}/smalloc-plot.XXXXXX")
if [ -n "${PLOT_KEEP:-}" ]; then
	echo "bench_plot: data and gnuplot script in $work"
else
	trap 'rm -rf "$work"' EXIT
fi

# gp_str TEXT: TEXT inside a gnuplot double-quoted string.
gp_str() {
	local s=${1//\\/\\\\}

	printf '%s' "${s//\"/\\\"}"
}

# The data: a first line "#S SERIES..." naming the bar series, then one
# line per group: x, "label", one y per series ("NaN" when missing) and,
# for the kernel, the target (y the bar has to reach, NaN for none).
# Columns are found by their names in the CSV's header.  The kind's own
# program counts the groups and series and defines value(group, series)
# and extra(group) (the rest of the line); this one writes the lines.
cat >"$work/data.awk" <<-'EOF'
	NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	function group(key) {
		if (!(key in gseen)) { gseen[key] = 1; order[++ng] = key }
	}
	function series(name) {
		if (!(name in sseen)) { sseen[name] = 1; ser[++nser] = name }
	}
	END {
		printf "#S"
		for (j = 1; j <= nser; j++) printf " %s", ser[j]
		printf "\n"
		for (i = 1; i <= ng; i++) {
			split(order[i], f, FS)
			lbl = f[1] (f[2] == 0 ? "" : " " f[2] "B")
			if (f[3] > 1) lbl = lbl " " f[3] unit
			printf "%d \"%s\"", i, lbl
			for (j = 1; j <= nser; j++) {
				v = value(order[i], ser[j])
				printf " %s", (v > 0 ? sprintf("%.4f", v) : "NaN")
			}
			printf "%s\n", extra(order[i])
		}
	}
EOF
case $kind in
kernel)
	awk -F, -v unit=cpu -f "$repo/scripts/bench_targets.awk" -f "$work/data.awk" \
		-f - "$in" >"$work/data" <<-'EOF'
	# Pages still held after everything is freed: no ratio.
	NR > 1 && $col["workload"] != "mem-after-free" {
		key = $col["workload"] FS $col["size"] FS $col["cpus"]
		group(key)
		series($col["policy"])
		ns[key, $col["policy"], $col["allocator"]] = $col["ns_per_op"]
		pg[key, $col["policy"], $col["allocator"]] = $col["pages_peak"]
	}
	# kmalloc over smalloc: the inverse of ratio().
	function value(k, p,   f, r) {
		split(k, f, FS)
		r = ratio(f[1], ns[k, p, "kmalloc"], ns[k, p, "smalloc"],
			  pg[k, p, "kmalloc"], pg[k, p, "smalloc"])
		return r > 0 ? 1 / r : 0
	}
	function extra(k,   f, t) {
		split(k, f, FS)
		t = target(f[1], f[2])
		return " " (t > 0 ? sprintf("%.4f", 1 / t) : "NaN")
	}
	EOF
	title="smalloc against kmalloc in the kernel: kmalloc ns/op / smalloc ns/op (pages for mem-live), higher is better"
	ylabel="kmalloc / smalloc (higher: smalloc better)"
	base="kmalloc"
	;;
user)
	awk -F, -v unit=t -f "$work/data.awk" -f - "$in" >"$work/data" <<-'EOF'
	NR > 1 {
		key = $col["workload"] FS $col["size"] FS $col["threads"]
		group(key)
		if ($col["allocator"] != "mimalloc")
			series($col["allocator"])
		ops[key, $col["allocator"]] = $col["ops_per_sec"]
	}
	function value(k, a) {
		return ops[k, "mimalloc"] > 0 ? ops[k, a] / ops[k, "mimalloc"] : 0
	}
	function extra(k) {
		return ""
	}
	EOF
	title="smalloc and user-space allocators: ops/s relative to mimalloc's, higher is better"
	ylabel="ops/s / mimalloc's ops/s"
	base="mimalloc"
	;;
esac

read -r _ series <"$work/data"
ns=$(wc -w <<<"$series")
ng=$(($(wc -l <"$work/data") - 1))
[ "$ns" -gt 0 ] && [ "$ng" -gt 0 ] || die "$in: no rows to plot"
awk 'NR > 1 && $NF != "NaN"' "$work/data" | grep -q . || [ "$kind" = user ] ||
	echo "bench_plot: $in: no row with a target" >&2

# The y range: every bar, target and 1, with some room; the y tics: finer
# steps when the range spans less than a factor of 8.
yrange=$(awk 'NR > 1 { sub(/"[^"]*"/, ""); for (i = 2; i <= NF; i++) if ($i != "NaN") {
		if (!lo || $i < lo) lo = $i; if ($i > hi) hi = $i } }
	END { if (!lo) exit 1
	      if (lo > 1) lo = 1; if (hi < 1) hi = 1
	      printf "%.4f:%.4f", lo / 1.15, hi * 1.15 }' "$work/data") ||
	die "$in: no row has both figures of a ratio"
ytics="0.0625, 0.125, 0.25, 0.5, 1, 2, 4, 8, 16, 32"
awk -F: '{ exit !($2 / $1 < 8) }' <<<"$yrange" &&
	ytics="0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1, 1.25, 1.5, 2, 2.5, 3, 4, 6, 8"

# The layout: groups of ns bars, each bar bw wide, a group 0.8 wide and
# 16 px per bar; as many panels, one above the other, as it takes to keep
# the picture about 1500 px wide (PLOT_PANEL_GROUPS: at most that many
# groups a panel), each break moved to the nearest change of workload
# family (the name up to its first '-') within 4 groups.
bw=$(awk -v n="$ns" 'BEGIN { printf "%.4f", 0.8 / n }')
per=${PLOT_PANEL_GROUPS:-$(((1500 - 160) / (ns * 16 + 8)))}
panels=$(((ng + per - 1) / per))
breaks=$(awk -v ng="$ng" -v np="$panels" 'NR > 1 {
		split($0, q, "\""); fam[NR - 1] = q[2]; sub(/[- ].*/, "", fam[NR - 1])
	}
	END {
		printf "0"
		for (k = 1; k < np; k++) {
			b = int(k * ng / np + 0.5)
			for (d = 0; d <= 4; d++) {
				if (b - d > 0 && fam[b - d] != fam[b - d + 1]) { b -= d; break }
				if (b + d < ng && fam[b + d] != fam[b + d + 1]) { b += d; break }
			}
			printf " %d", b
		}
		printf " %d\n", ng
	}' "$work/data")
most=$(awk '{ for (i = 2; i <= NF; i++) if ($i - $(i - 1) > m) m = $i - $(i - 1) }
	END { print m }' <<<"$breaks")
width=$((most * (ns * 16 + 8) + 160))
[ "$width" -ge 900 ] || width=900
height=$((panels * 430 + 150))

{
	cat <<-EOF
	set terminal svg size $width,$height dynamic font "sans,12" background "white"
	set termoption noenhanced
	set output "$out"
	set logscale y 2
	set yrange [$yrange]
	set ytics ($ytics)
	set grid ytics lc rgb "#d0d0d0"
	set xtics rotate by 60 right nomirror
	set style fill solid 0.85 border rgb "#404040"
	set lmargin 10
	series = "$series"
	bw = $bw
	off(i) = (i - ($ns + 1) / 2.0) * bw
	array colour[6] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2"]
	\$d << EOD
	EOF
	tail -n +2 "$work/data"
	echo "EOD"
	echo "set multiplot layout $panels,1 title \"$title\\n$when, commit $rev${run:+\\n$(gp_str "$run")}\\nreproduce: $(gp_str "$cmd")\""
	read -ra b <<<"$breaks"
	for ((p = 0; p < panels; p++)); do
		# Every panel as wide as the widest: the same bar width in each.
		echo "set xrange [${b[p]} + 0.4:${b[p]} + $most + 0.6]"
		echo "set ylabel \"$ylabel\""
		# The key once, under the last panel.
		if [ $((p + 1)) = "$panels" ]; then
			echo "set key below center horizontal"
		else
			echo "unset key"
		fi
		# This panel's groups: lines b[p] to b[p + 1] - 1 from 0.
		sel="every ::${b[p]}::$((b[p + 1] - 1))"
		printf 'plot for [i=1:%d] $d %s using ($1 + off(i)):(column(2 + i)):' "$ns" "$sel"
		printf '($1 + off(i) - bw / 2):($1 + off(i) + bw / 2):(1):(column(2 + i)) '
		printf 'with boxxyerror lc rgb colour[(i - 1) %% 6 + 1] title word(series, i), \\\n'
		printf '  $d %s using 1:(NaN):xtic(2) notitle, \\\n' "$sel"
		if [ "$kind" = kernel ]; then
			printf '  $d %s using ($1 - 0.45):(column(%d)):(0.9):(0) ' "$sel" $((ns + 3))
			printf 'with vectors nohead lw 3 lc rgb "black" '
			printf 'title "target (scripts/bench_targets.awk): the bars should reach it", \\\n'
		fi
		printf '  [%s + 0.4:%s + 0.6] 1 with lines dt 2 lw 1.5 lc rgb "black" title "%s = 1"\n' \
			"${b[p]}" "${b[p + 1]}" "$base"
	done
	echo "unset multiplot"
} >"$work/plot.gp"

gnuplot "$work/plot.gp" || die "gnuplot failed (PLOT_KEEP=1 keeps its script)"
grep -q '<svg' "$out" || die "$out: gnuplot wrote no SVG"
echo "bench_plot: wrote $out ($ng groups x $ns series, $panels panel(s))"
