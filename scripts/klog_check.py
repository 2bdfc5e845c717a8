#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Fail on kernel reports that name smalloc in a kernel's console log.

    klog_check.py [--kmemleak] --objdir BUILD/drivers/smalloc BUILD/test.log
    klog_check.py --objdir TREE out/soak-6.12.log

KUnit fails a case on a KASAN report, but not on a KCSAN data race, a
lockdep splat, a "sleeping function called from invalid context" or a
WARN(): those only reach the console.  This reads a whole console
(kunit_tool's BUILD/test.log; scripts/qemu-soak.sh's log, with the
module build's tree as --objdir) and fails if one of these reports names
one of smalloc's functions:

  KCSAN     "BUG: KCSAN: ..." reports: the title, or one of the first
            three frames of either access's stack (the racing access is in
            smalloc or in a helper at most two calls below it)
  kmemleak  "unreferenced object" reports between the SMALLOC-KMEMLEAK
            markers tests/guest/kunit-init.sh prints (--kmemleak: the
            markers must be there): any frame of the allocation backtrace
  other     "BUG: ..." (KASAN, sleep in atomic, smp_processor_id() in
            preemptible code, ...), "WARNING: ..." (WARN(), lockdep),
            Oopses: the site in the header or any frame of the context
            that hit it, up to the first interrupt or exception entry
            (asm_sysvec_*, asm_common_interrupt, asm_exc_*): below that
            is the code the interrupt happened to interrupt

smalloc's functions are the text symbols defined in the objects under
--objdir (smalloc.o's parts and the KUnit suites), less any name that
vmlinux also defines elsewhere.  Reports that do not name smalloc are
counted and listed by title, not failed.

Some KUnit cases are controls, so that a blind detector cannot pass for a
clean run: kunit/smalloc_kcsan_test.c races on purpose and
kunit/smalloc_kmemleak_test.c leaks a kmalloc object and an smalloc
object on purpose.  A report that names only their functions (and, for
the smalloc leak, smalloc's allocation path) is expected, not a failure;
once a control's info line (CONTROLS below) is in the log, the absence of
its report fails.

KASAN reports between the markers kunit/smalloc_kasan_expect.h prints
were asked for by a KUnit case (kunit/smalloc_kasan_test.c), which itself
fails unless they happened; they are counted, not failed.
"""

import argparse
import collections
import os
import re
import subprocess
import sys

TIMESTAMP = re.compile(r'^\[\s*\d+\.\d+\]\s?')
FRAME = re.compile(r'(?<![\w.])([A-Za-z_][\w.]*)\+0x[0-9a-f]+/0x[0-9a-f]+')
KCSAN_TITLE = re.compile(r'^BUG: KCSAN: (.*)$')
KCSAN_ACCESS = re.compile(r'^(race at unknown origin, with )?'
                          r'(read|write|assert)\b.* (to|on) 0x[0-9a-f]+ of \d+ bytes by ')
RULE = re.compile(r'^={20,}$')
OTHER_HEADER = re.compile(r'^(BUG: |WARNING: |Oops: |general protection fault|'
                          r'Unable to handle kernel|watchdog: BUG: |'
                          r'INFO: task .* blocked for more than|'
                          r'Kernel panic - not syncing)')
KTAP = re.compile(r'^\s*(KTAP version|TAP version|ok \d|not ok \d|# )')
OTHER_END = re.compile(r'^\s*(---\[ end trace|</TASK>$)')
# " ? foo+0x1/0x2": a stale return address the unwinder is unsure of.
UNRELIABLE = re.compile(r'^\s*\? ')
ENTRY = re.compile(r'^\s*asm_(sysvec_|common_interrupt|exc_)')
KCSAN_FRAMES = 3
MAX_LINES = 300

# (kind, the info line the control case prints, the control's own
# functions, which other smalloc functions its report may name).  A
# report of that kind is the control's if it names one of the control's
# own functions and nothing else of smalloc's but the others.


def no_other(name):
    return False


def on_alloc_path(name):
    """smalloc()'s allocation path, whatever its helpers are called."""
    return (name in ('smalloc', 'smalloc_debug_alloc', 'smalloc_heap_alloc_slow')
            or name.startswith('smalloc_alloc'))


CONTROLS = [
    ('KCSAN', 'smalloc KCSAN control: raced',
     {'smalloc_race_control_write', 'smalloc_race_control_read',
      'smalloc_race_control_writer', 'smalloc_race_control_reader',
      'kcsan_reports_a_real_race'}, no_other),
    ('kmemleak', 'smalloc kmemleak control: leaked',
     {'smalloc_kmemleak_control_leak', 'smalloc_kmemleak_control_init',
      'kmemleak_reports_a_real_leak'}, no_other),
    ('kmemleak', 'smalloc kmemleak block control: leaked',
     {'smalloc_kmemleak_smalloc_leak', 'kmemleak_reports_a_leaked_smalloc_object'},
     on_alloc_path),
]
# KASAN reports between these two lines (kunit/smalloc_kasan_expect.h)
# were asked for by a KUnit case, which checks that they happened.
KASAN_EXPECT_BEGIN = 'SMALLOC-KASAN-EXPECT-BEGIN'
KASAN_EXPECT_END = re.compile(r'^SMALLOC-KASAN-EXPECT-END (\d+)$')


def base(name):
    """foo.constprop.0, foo.isra.0, foo.cold: foo."""
    return name.split('.', 1)[0]


def text_symbols(paths):
    counts = collections.Counter()
    if not paths:
        return counts
    out = subprocess.run(['nm', '--defined-only'] + paths, check=True,
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[1] in 'tT':
            counts[base(fields[2])] += 1
    return counts


def smalloc_symbols(objdir):
    objs = []
    for dirpath, _, files in os.walk(objdir):
        for f in files:
            # smalloc.o and built-in.a hold the same symbols again.
            if (f.endswith('.o') and not f.endswith('.mod.o') and
                    f != 'smalloc.o'):
                objs.append(os.path.join(dirpath, f))
    ours = text_symbols(sorted(objs))
    if not ours:
        sys.exit(f'klog_check: no text symbols in objects under {objdir}')
    vmlinux = os.path.join(objdir, '..', '..', 'vmlinux')
    ambiguous = set()
    if os.path.exists(vmlinux):
        everywhere = text_symbols([vmlinux])
        ambiguous = {s for s, n in ours.items() if everywhere[s] > n}
    return set(ours) - ambiguous, ambiguous


def clean(line):
    return TIMESTAMP.sub('', line.rstrip('\r\n'))


def frames(lines):
    return [m.group(1) for line in lines if not UNRELIABLE.match(line)
            for m in FRAME.finditer(line)]


def named(names, syms):
    return sorted({base(n) for n in names if base(n) in syms})


def control_of(kind, hits):
    """The CONTROLS entry a report of @kind naming @hits belongs to."""
    for ctl in CONTROLS:
        if (ctl[0] == kind and set(hits) & ctl[2] and
                all(h in ctl[2] or ctl[3](h) for h in hits)):
            return ctl
    return None


KINDS = {ctl[0] for ctl in CONTROLS} | {'other'}


class Report:
    def __init__(self, kind, lines, hits, expected=False):
        self.kind = kind
        self.lines = lines
        self.hits = hits
        self.ctl = control_of(kind, hits) if hits else None
        self.control = self.ctl is not None or expected

    @property
    def title(self):
        return self.lines[0] if self.kind != 'KCSAN' else self.lines[1]


def kcsan_report(lines, i, syms):
    """lines[i] is the title; the report runs from the rule before it to
    the rule after it."""
    start = i - 1 if i > 0 and RULE.match(lines[i - 1]) else i
    end = i + 1
    while end < len(lines) and end - i < MAX_LINES and not RULE.match(lines[end]):
        end += 1
    body = lines[start:end + 1]
    title = KCSAN_TITLE.match(lines[i]).group(1)
    names = re.findall(r'[A-Za-z_][\w.]*', title.split(' in ', 1)[-1])
    # The first frames of each access's stack.
    j = i + 1
    while j < end:
        if KCSAN_ACCESS.match(lines[j]):
            stack = []
            j += 1
            while j < end and lines[j].strip() and len(stack) < KCSAN_FRAMES:
                stack += frames([lines[j]])
                j += 1
            names += stack
        else:
            j += 1
    return Report('KCSAN', body, named(names, syms)), end + 1


def other_report(lines, i, syms, expected=False):
    end = i + 1
    while end < len(lines) and end - i < MAX_LINES:
        line = lines[end]
        if OTHER_END.match(line):
            end += 1
            break
        if (KCSAN_TITLE.match(line) or OTHER_HEADER.match(line) or
                KTAP.match(line) or line.startswith('SMALLOC-')):
            break
        end += 1
    body = lines[i:end]
    context = body
    for k, line in enumerate(body):
        if ENTRY.match(line):
            context = body[:k]
            break
    return Report('other', body, named(frames(context), syms), expected), end


def kmemleak_reports(section, syms):
    reports = []
    cur = None
    for line in section:
        if line.startswith('unreferenced object '):
            cur = [line]
            reports.append(cur)
        elif cur is not None:
            cur.append(line)
    return [Report('kmemleak', r, named(frames(r), syms)) for r in reports]


def scan(lines, syms, want_kmemleak):
    reports = []
    problems = []
    kml = None
    in_expect = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if line == KASAN_EXPECT_BEGIN:
            in_expect = True
            i += 1
        elif KASAN_EXPECT_END.match(line):
            in_expect = False
            i += 1
        elif line == 'SMALLOC-KMEMLEAK-BEGIN':
            end = i + 1
            while end < len(lines) and lines[end] != 'SMALLOC-KMEMLEAK-END':
                end += 1
            if end == len(lines):
                problems.append('the kmemleak report has no end marker')
            kml = kmemleak_reports(lines[i + 1:end], syms)
            reports += kml
            i = end + 1
        elif line.startswith('SMALLOC-KMEMLEAK-ERROR'):
            problems.append(line)
            i += 1
        elif KCSAN_TITLE.match(line):
            r, i = kcsan_report(lines, i, syms)
            reports.append(r)
        elif OTHER_HEADER.match(line):
            r, i = other_report(lines, i, syms,
                                in_expect and line.startswith('BUG: KASAN: '))
            reports.append(r)
        else:
            i += 1
    if want_kmemleak and kml is None and not problems:
        problems.append('the guest printed no kmemleak report '
                        '(did it reach tests/guest/kunit-init.sh?)')
    return reports, problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    ap.add_argument('--objdir', required=True,
                    help="the build directory's drivers/smalloc")
    ap.add_argument('--kmemleak', action='store_true',
                    help='the log must have the guest\'s kmemleak report')
    ap.add_argument('log')
    args = ap.parse_args()

    syms, ambiguous = smalloc_symbols(args.objdir)
    with open(args.log, errors='backslashreplace') as f:
        lines = [clean(line) for line in f]
    reports, problems = scan(lines, syms, args.kmemleak)

    ours = [r for r in reports if r.hits and not r.control]
    for ctl in CONTROLS:
        kind, marker = ctl[0], ctl[1]
        ran = any(marker in line for line in lines)
        seen = sum(r.ctl is ctl for r in reports)
        if ran and not seen:
            problems.append(f'the control "{marker}" ran but no {kind} report names it: '
                            f'the {kind} check is blind')
        elif ran:
            print(f'klog: the control "{marker}" was reported ({seen}x), as it must be')
    expected = [r for r in reports if r.control and r.ctl is None]
    asked = sum(int(m.group(1)) for m in map(KASAN_EXPECT_END.match, lines) if m)
    if expected or asked:
        print(f'klog: {len(expected)} KASAN report(s) asked for by KUnit cases '
              f'(they counted {asked}), not failures')
    for r in ours:
        print(f'klog: {r.kind} report naming smalloc ({", ".join(r.hits)}):')
        for line in r.lines:
            print(f'  | {line}')
    counts = collections.Counter(r.kind for r in reports)
    counts_ours = collections.Counter(r.kind for r in ours)
    others = [r for r in reports if not r.hits]
    if others:
        print(f'klog: {len(others)} report(s) not naming smalloc, ignored:')
        for title, n in collections.Counter(r.title for r in others).most_common():
            print(f'  {n:4}x {title}')
    for p in problems:
        print(f'klog: {p}')
    summary = ', '.join(f'{kind} {counts[kind]} ({counts_ours[kind]} naming smalloc'
                        f'{", controls excluded" if kind in KINDS else ""})'
                        for kind in ('KCSAN', 'kmemleak', 'other')
                        if kind != 'kmemleak' or args.kmemleak)
    print(f'klog: {len(syms)} smalloc symbols ({len(ambiguous)} ambiguous names '
          f'skipped); reports: {summary}')
    if ours or problems:
        print(f'klog: FAIL ({args.log})')
        return 1
    print('klog: PASS')
    return 0


if __name__ == '__main__':
    sys.exit(main())
