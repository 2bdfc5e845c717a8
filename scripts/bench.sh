#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# In-kernel benchmark, smalloc against kmalloc in the same boot ("make
# bench").  Builds smalloc.ko and bench/smalloc_bench.ko (W=1) in a
# private copy of the tree, boots Debian's 6.12 kernel in QEMU twice --
# under the distro's default policy (init_on_alloc=1) and with
# init_on_alloc=0 -- with a busybox initramfs whose /init is
# tests/guest/bench.sh, collects the SMALLOC-BENCH-CSV lines from the
# console and writes
#
#   bench-results/kernel.csv          workload,size,cpus,allocator,ops,
#                                     ns_per_op,p99_ns,pages_peak,policy
#   bench-results/kernel-init_on_alloc{1,0}.csv   the same per policy,
#                                     without the policy column
#   bench-results/kernel-raw.csv      every timed repeat's ns/op, per boot
#   bench-results/kernel-table.txt    the table printed at the end
#   bench-results/kernel.svg          the table's ratios as a picture
#                                     (scripts/bench_plot.sh, gnuplot)
#   bench-results/console-*.log       the whole console of each boot
#   bench-results/boots/*.csv         each boot's own figures
#
# Each policy is booted BENCH_BOOTS times and every figure is the median
# over the boots (of each boot's median over its repeats): in QEMU some
# effects are fixed for a whole boot but differ from one boot to the next
# (where the allocators' pages land), and now and then make one workload
# several times slower for one allocator in one boot; see README.md.
#
# Environment:
#   BENCH_QUICK=1     a quick run (~1 minute): one boot per policy, 3
#                     repeats, 10% of the ops
#   BENCH_BOOTS       boots per policy (default 3)
#   BENCH_GROUPS      workload groups (default: all of them)
#   BENCH_REPEATS     timed repeats per workload and allocator (default 5)
#   BENCH_SCALE       ops per run in percent of the module's defaults
#                     (default 200: 400000 pairs per run)
#   BENCH_POLICIES    init_on_alloc values to boot with (default "1 0")
#   BENCH_CPUS        guest CPUs (default 4)
#   BENCH_TCG         single (default) or multi: QEMU's TCG threading
#   BENCH_RETRIES     attempts per boot: a guest that dies (before or
#                     during the benchmark) is booted again, up to this
#                     many times in all (default 3); the dead attempt's
#                     console is kept as console-*-attemptN.log and the
#                     table says how many boots were retried
#   BENCH_SMALLOC_ARGS  parameters for smalloc.ko in the guest, e.g.
#                     "poison=1" or "random_order=0", to measure what
#                     smalloc's hardening options cost (the table's header
#                     shows what smalloc ran with)
#   BENCH_TIMEOUT     seconds per boot before QEMU is killed (default 1500)
#   SMALLOC_STATS=n   build smalloc without its statistics counters
#   BENCH_SRC=DIR     take smalloc's sources from DIR (another checkout, e.g.
#                     a git worktree of an older commit) for before/after
#                     comparisons; the benchmark module is always this one
#   BENCH_PROFILE=1   instead of timing: one run per workload and allocator,
#                     each counted by a QEMU TCG plugin (bench/tcg_insn_count.c,
#                     single-threaded TCG); prints instructions and
#                     memory accesses per op, per function, into
#                     bench-results/profile-init_on_alloc*.txt
#
# QEMU runs in software emulation (TCG), by default single-threaded: the
# guest CPUs take turns on one host thread (a spinning "pause" hands over
# to the next one), so the multi-CPU workloads measure the work both sides
# of a remote free do, serialized, and no host load can leave one guest
# CPU spinning on another that the host has descheduled.  BENCH_TCG=multi
# runs one host thread per guest CPU, in parallel on the host's cores:
# real contention, but on a small or busy host the producer/consumer
# workloads then measure the host's scheduler (see README.md).
# Multi-threaded TCG has once been seen to oops at boot (an int3 from
# text_poke_bp() executing a stale translation), and single-threaded TCG
# once took a double fault inside kmalloc's cmpxchg16b fast path, with
# RFLAGS holding the low half of RAX (bits no x86 CPU can set in long
# mode); a boot that dies is retried, in either mode.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
results=$repo/bench-results

quick=${BENCH_QUICK:-0}
if [ "$quick" = 1 ]; then
	repeats=${BENCH_REPEATS:-3}
	scale=${BENCH_SCALE:-10}
	boots=${BENCH_BOOTS:-1}
else
	repeats=${BENCH_REPEATS:-5}
	scale=${BENCH_SCALE:-200}
	boots=${BENCH_BOOTS:-3}
fi
groups=${BENCH_GROUPS:-pairs batch churn mixed realloc conc remote memory bulk rcu ctx scale}
groups=${groups//,/ }
policies=${BENCH_POLICIES:-1 0}
ncpus=${BENCH_CPUS:-4}
tcg=${BENCH_TCG:-single}
retries=${BENCH_RETRIES:-3}
timeout_s=${BENCH_TIMEOUT:-1500}
profile=${BENCH_PROFILE:-0}
smalloc_args=${BENCH_SMALLOC_ARGS:-}
if [ "$profile" = 1 ]; then
	tcg=single
	policies=${BENCH_POLICIES:-1}
	boots=1
fi

die() {
	echo "bench: $*" >&2
	exit 1
}

case $tcg in
multi | single) ;;
*) die "BENCH_TCG must be multi or single" ;;
esac

"$repo/scripts/deps.sh"

deb_kernel 6.12

t_start=$(date +%s)
work=$(mktemp -d "${TMPDIR:-/tmp}/smalloc-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# ---- build, in a copy: the repository's own objects are left alone -------
echo "bench: building smalloc.ko and smalloc_bench.ko against $KDIR"
# Only what the two modules' builds read: the allocator's sources and build
# files, include/ and bench/ (no objects, no other harness's build trees).
src=$(cd "${BENCH_SRC:-$repo}" && pwd)
[ "$src" = "$repo" ] || echo "bench: smalloc's sources from $src"
tree=$work/tree
mkdir -p "$tree/include" "$tree/bench" "$tree/scripts"
(cd "$src" && cp -p Kbuild Kconfig Makefile ./*.c ./*.h "$tree/")
cp -p "$src"/include/*.h "$tree/include/"
cp -p "$repo/scripts/smalloc-client.mk" "$tree/scripts/"
cp -p "$repo"/bench/Kbuild "$repo"/bench/Makefile "$repo"/bench/smalloc_bench.c "$tree/bench/"
make -s -C "$tree" KDIR="$KDIR" W=1 ${SMALLOC_STATS:+SMALLOC_STATS=$SMALLOC_STATS}
make -s -C "$tree/bench" KDIR="$KDIR" W=1
for ko in "$tree/smalloc.ko" "$tree/bench/smalloc_bench.ko"; do
	vermagic=$(modinfo -F vermagic "$ko")
	[ "${vermagic%% *}" = "$kver" ] ||
		die "$ko is built for '${vermagic%% *}', the guest runs $kver"
done

if [ "$profile" = 1 ]; then
	gcc -O2 -Wall -shared -fPIC -fvisibility=hidden \
		-o "$work/tcg_insn_count.so" "$repo/bench/tcg_insn_count.c"
fi

# ---- initramfs -------------------------------------------------------------
root=$work/root
busybox_root "$root"
mkdir -p "$root/bench"
install -m 0755 "$repo/tests/guest/bench.sh" "$root/init"
install -m 0644 "$tree/smalloc.ko" "$tree/bench/smalloc_bench.ko" "$root/bench/"

mkdir -p "$results"
if [ "$profile" != 1 ]; then
	rm -rf "$results"/kernel*.csv "$results"/kernel-table.txt \
		"$results"/console-*.log "$results"/boots
	mkdir -p "$results/boots"
fi

# ---- boot ------------------------------------------------------------------
# boot POLICY BOOT: one guest run; its console goes to
# console-init_on_alloc$1-$2.log.
boot() {
	local p=$1 b=$2 attempt=1 log cmdline rc plugin=()

	log=$results/console-init_on_alloc$p-$b.log
	if [ "$profile" = 1 ]; then
		log=$results/profile-console-init_on_alloc$p.log
		plugin=(-plugin "$work/tcg_insn_count.so,out=$results/profile-counts-init_on_alloc$p.txt"
			-serial mon:stdio -serial "file:$results/profile-ksyms-init_on_alloc$p.txt")
	fi
	cmdline="console=ttyS0 panic=-1 oops=panic printk.time=1"
	cmdline+=" softlockup_panic=1 sysctl.kernel.panic_on_rcu_stall=1"
	# The distro's default is init_on_alloc=1 (CONFIG_INIT_ON_ALLOC_DEFAULT_ON):
	# leave it alone for that run, so that the default is what is measured.
	[ "$p" = 0 ] && cmdline+=" init_on_alloc=0"
	cat >"$root/bench/config" <<-EOF
		GROUPS="$groups"
		REPEATS=$repeats
		SCALE=$scale
		POLICY=init_on_alloc=$p
		PROFILE=$profile
		SMALLOC_ARGS="$smalloc_args"
	EOF
	pack_initramfs "$root" "$work/initramfs.cpio.gz"

	while :; do
		echo "bench: booting $kver (TCG $tcg, $ncpus CPUs), init_on_alloc=$p, boot $b of $boots, attempt $attempt"
		echo "bench: console log: $log"
		set +e
		timeout -k 10 "$timeout_s" qemu-system-x86_64 \
			-accel tcg,thread="$tcg" -cpu max -smp "$ncpus" -m 1536 \
			-nographic -no-reboot -nic none "${plugin[@]}" \
			-kernel "$vmlinuz" -initrd "$work/initramfs.cpio.gz" \
			-append "$cmdline" </dev/null 2>&1 | tr -d '\r' >"$log"
		rc=${PIPESTATUS[0]}
		set -e
		grep -E 'SMALLOC-BENCH-(TIME|ERROR)' "$log" | sed 's/^\[[ 0-9.]*\] //; s/^/  /' || true
		if grep -q '^SMALLOC-BENCH-END: status 0' "$log"; then
			return 0
		fi
		if grep -q '^SMALLOC-BENCH-END' "$log"; then
			# The guest finished and found something wrong: no retry.
			echo "bench: the benchmark failed in the guest (QEMU status $rc):"
			grep -E 'SMALLOC-BENCH-ERROR|BUG|Oops|RIP:|panic' "$log" | head -n 20 || true
			return 1
		fi
		if grep -q '^SMALLOC-BENCH-START' "$log"; then
			echo "bench: the guest died during the benchmark (QEMU status $rc):"
		else
			echo "bench: the guest died before the benchmark started (QEMU status $rc):"
		fi
		grep -E 'BUG|Oops|RIP:|EFLAGS|panic|int3' "$log" | head -n 8 || true
		# The last attempt's console stays where the caller reads it.
		[ "$attempt" -lt "$retries" ] || return 1
		mv "$log" "${log%.log}-attempt$attempt.log"
		echo "bench: its console is kept as ${log%.log}-attempt$attempt.log"
		attempt=$((attempt + 1))
		retried=$((retried + 1))
	done
}

failed=0
retried=0
if [ "$profile" = 1 ]; then
	for p in $policies; do
		boot "$p" 1 || failed=1
		"$repo/scripts/bench_profile.py" \
			"$results/profile-ksyms-init_on_alloc$p.txt" \
			"$results/profile-console-init_on_alloc$p.log" \
			"$results/profile-counts-init_on_alloc$p.txt" \
			>"$results/profile-init_on_alloc$p.txt"
		sed -n '/^== instructions and memory/,$p' "$results/profile-init_on_alloc$p.txt"
		echo "bench: per-function profile in $results/profile-init_on_alloc$p.txt"
	done
	[ "$failed" = 0 ] || die "a guest run failed"
	exit 0
fi

# median_boots FILE...: the rows of several boots' CSV lines, one per
# workload, size, CPU count and allocator, each figure the median over the
# boots (empty figures stay empty).
median_boots() {
	awk -F, '
	function med(list,   v, n, i, j, t) {
		n = split(list, v, " ")
		if (!n)
			return ""
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
				t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
			}
		return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	}
	{
		key = $1 FS $2 FS $3 FS $4
		if (!(key in ops))
			order[++nk] = key
		ops[key] = $5
		for (f = 6; f <= 8; f++)
			if ($f != "")
				val[key, f] = val[key, f] " " $f
	}
	END {
		for (i = 1; i <= nk; i++) {
			k = order[i]
			printf "%s,%s,%s,%s,%s\n", k, ops[k], med(val[k, 6]),
			       med(val[k, 7]), med(val[k, 8])
		}
	}' "$@"
}

for p in $policies; do
	for b in $(seq 1 "$boots"); do
		t0=$(date +%s)
		boot "$p" "$b" || failed=1
		echo "bench: init_on_alloc=$p boot $b done in $(($(date +%s) - t0)) s"
		log=$results/console-init_on_alloc$p-$b.log
		sed -n 's/.*SMALLOC-BENCH-CSV: //p' "$log" \
			>"$results/boots/kernel-init_on_alloc$p-$b.csv"
		sed -n "s/.*SMALLOC-BENCH-RAW: \(.*\)/\1,init_on_alloc=$p,$b/p" "$log" \
			>>"$results/kernel-raw.csv.tmp"
	done
	{
		echo "workload,size,cpus,allocator,ops,ns_per_op,p99_ns,pages_peak"
		median_boots "$results"/boots/kernel-init_on_alloc"$p"-*.csv
	} >"$results/kernel-init_on_alloc$p.csv"
done

{
	echo "workload,size,cpus,allocator,ops,ns_per_op,p99_ns,pages_peak,policy"
	for p in $policies; do
		tail -n +2 "$results/kernel-init_on_alloc$p.csv" | sed "s/\$/,init_on_alloc=$p/"
	done
} >"$results/kernel.csv"
{
	echo "workload,size,cpus,allocator,ns_per_op_by_repeat,laps_dropped/laps,policy,boot"
	cat "$results/kernel-raw.csv.tmp" 2>/dev/null || true
} >"$results/kernel-raw.csv"
rm -f "$results/kernel-raw.csv.tmp"

# ---- the table -------------------------------------------------------------
table() {
	local p=$1 log=$results/console-init_on_alloc$1-1.log
	echo
	echo "== init_on_alloc=$p: $(sed -n 's/.*smalloc_bench: policy: //p' "$log" | head -n1)"
	echo "   smalloc: $(sed -n 's/^SMALLOC-BENCH-SMALLOC: //p' "$log" | head -n1);" \
		"XOR-encoded free pointers and the double-free filter always on"
	awk -F, -v policy="$p" -f "$repo/scripts/bench_targets.awk" -f - \
		"$results"/boots/kernel-init_on_alloc"$p"-*.csv \
		"$results/kernel-init_on_alloc$p.csv" <<-'EOF'
	# ratio() and target() are scripts/bench_targets.awk's.
	FNR == 1 && FILENAME !~ /\/boots\// { combined = 1; next }
	{
		key = $1 FS $2 FS $3
		if (!combined) {
			b = FILENAME
			bns[b, key, $4] = $6; bpg[b, key, $4] = $8
			if (!((b, key) in bseen)) {
				bseen[b, key] = 1
				blist[key] = blist[key] " " b
			}
			next
		}
		if (!(key in seen)) { seen[key] = 1; order[++n] = key }
		ns[key, $4] = $6; p99[key, $4] = $7; pg[key, $4] = $8
	}
	END {
		printf "%-18s %5s %4s %9s %9s %6s %6s %6s %7s %7s %6s %-5s %s\n",
		       "workload", "size", "cpus", "kmalloc", "smalloc", "s/k",
		       "p99 k", "p99 s", "pages k", "pages s", "target", "",
		       "s/k by boot"
		for (i = 1; i <= n; i++) {
			key = order[i]; split(key, f, FS)
			k = ns[key, "kmalloc"]; s = ns[key, "smalloc"]
			r = ratio(f[1], k, s, pg[key, "kmalloc"], pg[key, "smalloc"])
			t = target(f[1], f[2], policy); v = ""
			if (t) v = r <= t + 1e-9 ? "ok" : "MISS"
			nb = split(blist[key], bl, " "); byb = ""
			for (j = 1; j <= nb; j++)
				byb = byb sprintf("%s%.2f", j > 1 ? " " : "",
					ratio(f[1], bns[bl[j], key, "kmalloc"],
					      bns[bl[j], key, "smalloc"],
					      bpg[bl[j], key, "kmalloc"],
					      bpg[bl[j], key, "smalloc"]))
			# Pages still held after freeing: a handful, no ratio.
			if (f[1] == "mem-after-free")
				byb = ""
			printf "%-18s %5s %4s %9s %9s %6s %6s %6s %7s %7s %6s %-5s %s\n",
			       f[1], f[2], f[3], k == "" ? "-" : k, s == "" ? "-" : s,
			       f[1] == "mem-after-free" ? "-" : sprintf("%.2f", r),
			       p99[key, "kmalloc"], p99[key, "smalloc"],
			       pg[key, "kmalloc"], pg[key, "smalloc"],
			       t ? sprintf("%.2f", t) : "-", v, byb
		}
	}
	EOF
}

{
	echo "smalloc vs kmalloc, Debian $kver in QEMU (TCG $tcg, $ncpus CPUs), $boots boot(s) per policy, repeats=$repeats scale=$scale%"
	echo "ns/op: median over the boots of each boot's median over the repeats (op = one allocation + one free; a realloc call in realloc;"
	echo "  per object in bulk-* (bulk alloc+free) and rcu-* (the sfree_rcu/kfree_rcu call alone, grace period excluded));"
	echo "s/k: smalloc/kmalloc ns/op (pages for mem-*); p99: ns of one call (one bulk call in bulk-*); pages: taken from the page allocator"
	[ -z "$smalloc_args" ] || echo "smalloc.ko loaded with: $smalloc_args"
	[ "$retried" = 0 ] || echo "retried: $retried boot(s) died and were booted again (console-*-attempt*.log)"
	for p in $policies; do
		table "$p"
	done
} | tee "$results/kernel-table.txt"

# The picture: smalloc/kmalloc per row and policy against its target.
"$repo/scripts/bench_plot.sh" kernel "$results/kernel.csv" "$results/kernel.svg" \
	"Debian $kver in QEMU (TCG $tcg, $ncpus CPUs), $boots boot(s) per policy, repeats=$repeats scale=$scale%${smalloc_args:+, smalloc.ko $smalloc_args}"

echo
echo "bench: results in $results/kernel.csv and kernel.svg ($(($(date +%s) - t_start)) s in all)"
[ "$failed" = 0 ] || die "a guest run failed: see $results/console-*.log"
