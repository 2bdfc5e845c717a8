#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Per-function instruction, memory-access and atomic counts per op, from a profile run.

scripts/bench.sh BENCH_PROFILE=1 boots the guest with QEMU's TCG plugin
bench/tcg_insn_count.c, which writes, for every profile window (one run of
one workload with one allocator), the instructions and memory accesses
each translation block executed (and the atomic instructions among them).  This attributes the blocks to functions
(the kernel's text symbols, "address name" lines the guest wrote to its
second serial port; the module symbols it printed on the console) and
prints, per window, the functions by instructions per op, and per workload
a kmalloc/smalloc summary.

  bench_profile.py KSYMS CONSOLE_LOG COUNTS [TOP]
"""
import bisect
import collections
import re
import sys


def main():
    ksyms, console, counts = sys.argv[1:4]
    top = int(sys.argv[4]) if len(sys.argv) > 4 else 12

    kernel = []
    with open(ksyms, errors="replace") as f:
        for line in f:
            fields = line.split()
            if len(fields) == 2:
                kernel.append((int(fields[0], 16), fields[1]))

    windows = {}
    win_syms = {}
    base_syms = []
    pending = []
    bench_syms = None
    prof_re = re.compile(r"SMALLOC-BENCH-PROFILE: (\d+),([^,]+),(\d+),(\d+),(\w+),(\d+)")
    ksym_re = re.compile(r"SMALLOC-BENCH-KSYM: (\S+) ([0-9a-f]+) (\S+)")
    with open(console, errors="replace") as f:
        for line in f:
            m = prof_re.search(line)
            if m:
                # The plugin numbers windows over the whole boot, the
                # module per load: go by order of appearance.
                w = len(windows)
                windows[w] = (m.group(2), int(m.group(3)), int(m.group(4)),
                              m.group(5), int(m.group(6)))
                pending.append(w)
                bench_syms = None
                continue
            m = ksym_re.search(line)
            if not m:
                continue
            sym = (int(m.group(2), 16), "[%s]%s" % (m.group(1), m.group(3)))
            if m.group(1) != "smalloc_bench":
                base_syms.append(sym)
                continue
            if bench_syms is None:
                bench_syms = []
                for w in pending:
                    win_syms[w] = bench_syms
                pending = []
            bench_syms.append(sym)

    per = collections.defaultdict(
        lambda: collections.defaultdict(lambda: [0, 0, 0, 0]))
    with open(counts) as f:
        for line in f:
            fields = line.split()
            w, a, i, m, b = fields[:5]
            v = per[int(w)][int(a, 16)]
            v[0] += int(i)
            v[1] += int(m)
            v[2] += int(b)
            v[3] += int(fields[5]) if len(fields) > 5 else 0

    summary = collections.OrderedDict()
    for w in sorted(windows):
        name, size, cpus, alloc, ops = windows[w]
        syms = sorted(kernel + base_syms + win_syms.get(w, []))
        addrs = [s[0] for s in syms]
        funcs = collections.defaultdict(lambda: [0, 0, 0, 0])
        for a, (i, m, b, x) in per[w].items():
            k = bisect.bisect_right(addrs, a) - 1
            fn = syms[k][1] if k >= 0 else "?"
            funcs[fn][0] += i
            funcs[fn][1] += m
            funcs[fn][2] += b
            funcs[fn][3] += x
        ti = sum(v[0] for v in funcs.values())
        tm = sum(v[1] for v in funcs.values())
        tb = sum(v[2] for v in funcs.values())
        tx = sum(v[3] for v in funcs.values())
        print("\n== window %d: %s size %d cpus %d %s, %d ops: %.1f insns/op, %.1f mem/op, %.1f blocks/op, %.2f atomics/op"
              % (w, name, size, cpus, alloc, ops, ti / ops, tm / ops, tb / ops, tx / ops))
        for fn, (i, m, b, x) in sorted(funcs.items(), key=lambda x: -x[1][0])[:top]:
            print("   %8.2f insns/op %8.2f mem/op %6.2f blocks/op %5.2f atomics/op  %s"
                  % (i / ops, m / ops, b / ops, x / ops, fn))
        summary.setdefault((name, size, cpus), {})[alloc] = (
            ti / ops, tm / ops, tb / ops, tx / ops)

    print("\n== instructions, memory accesses and atomics per op (whole window)")
    print("%-20s %5s %4s %8s %8s %5s %7s %7s %5s %7s %7s %5s %6s %6s" % (
        "workload", "size", "cpus", "insn k", "insn s", "s/k",
        "mem k", "mem s", "s/k", "blk k", "blk s", "s/k", "atom k", "atom s"))
    for (name, size, cpus), v in summary.items():
        k = v.get("kmalloc", (0, 0, 0, 0))
        s = v.get("smalloc", (0, 0, 0, 0))
        print("%-20s %5d %4d %8.1f %8.1f %5.2f %7.1f %7.1f %5.2f %7.1f %7.1f %5.2f %6.2f %6.2f" % (
            name, size, cpus,
            k[0], s[0], s[0] / k[0] if k[0] else 0,
            k[1], s[1], s[1] / k[1] if k[1] else 0,
            k[2], s[2], s[2] / k[2] if k[2] else 0,
            k[3], s[3]))


if __name__ == "__main__":
    main()
