#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
#
# Host-side test of smallocinfo: runs the tool (built here with make)
# against the fixture directories in tests/ and checks what it prints
# against sums this script computes itself from the same files.
#
#   tests/client, tests/leak, tests/soak   debugfs files captured from a
#       guest (scripts/qemu-modtest.sh check): after the example client,
#       with 50 objects and 50 large allocations leaked, and while the
#       soak ran in every context
#   tests/bad-*                            hand-made bad inputs
#
# Plus directories made on the fly: debugfs not mounted, smalloc not
# loaded, permission denied.  Python 3 standard library only; the last
# line is "N passed, N failed" and the exit status is 0 only if none failed.
import os
import pty
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "smallocinfo")
FIXTURES = os.path.join(HERE, "tests")
REAL = ["client", "leak", "soak"]
SUM_COLS = ["spans", "pages", "full", "retired", "used", "remote",
            "carved", "reserved", "bytes_used"]

passed = 0
failed = 0


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok - " + what)
    else:
        failed += 1
        print("not ok - " + what)
        if detail:
            for line in str(detail).rstrip().splitlines():
                print("#   " + line)


def run(*args, preexec=None):
    return subprocess.run([TOOL, *args], capture_output=True, text=True,
                          preexec_fn=preexec, timeout=60)


# ---- the reference parser: the format as Documentation/smalloc.rst says --

def parse_info(path):
    """Tables of an info file: {first column name: [row dicts]}."""
    with open(path) as f:
        paras = [p for p in f.read().split("\n\n") if p.strip()]
    assert paras[0].split() == ["smallocinfo", "1"], paras[0]
    tables = {}
    for p in paras[1:]:
        lines = p.strip("\n").split("\n")
        hdr = lines[0].split()
        rows = []
        for line in lines[1:]:
            vals = line.split()
            assert len(vals) == len(hdr), line
            rows.append({h: (v if h == "ctx" else int(v))
                         for h, v in zip(hdr, vals)})
        tables[hdr[0]] = rows
    return tables


def total(rows):
    return {c: sum(r[c] for r in rows) for c in SUM_COLS}


def eff(s, page_size):
    if not s["pages"]:
        return "-"
    return "%.1f" % (100.0 * s["bytes_used"] / (s["pages"] * page_size))


def use_pct(used, reserved):
    return "%.1f" % (100.0 * used / reserved) if reserved else "-"


def stats_of(d):
    with open(os.path.join(d, "stats")) as f:
        return {k: int(v) for k, v in (line.split() for line in f)}


# ---- reading smallocinfo's output ---------------------------------------

def header_numbers(out, label):
    for line in out.splitlines():
        if line.startswith(" " + label):
            rest = line.split(":", 1)[1]
            return [float(x) if "." in x else int(x)
                    for x in re.findall(r"[0-9]+(?:\.[0-9]+)?", rest)]
    raise KeyError(label)


def out_table(out, first):
    """Rows of the output table whose header starts with FIRST."""
    rows, hdr = [], None
    for line in out.splitlines():
        f = line.split()
        if f and f[0] == first:
            hdr = f
            continue
        if hdr is not None:
            if not f or line.startswith("("):
                break
            rows.append(dict(zip(hdr, f)))
    return rows


# ---- the checks ----------------------------------------------------------

def check_real(name):
    d = os.path.join(FIXTURES, name)
    t = parse_info(os.path.join(d, "info"))
    g = t["page_size"][0]
    ps = g["page_size"]
    classes, heaps = t["class"], t["cpu"]
    tot = total(classes)
    r = run("--debugfs", d)
    check(r.returncode == 0 and r.stderr == "",
          "%s: smallocinfo runs cleanly" % name, r.stderr)
    out = r.stdout
    check(out.startswith("smallocinfo: %s, " % d),
          "%s: the first line names the directory" % name, out[:200])

    # Captured with nothing running (not the soak): the raw stats file,
    # read just before, agrees with info.
    if name != "soak":
        st = stats_of(d)
        check(st["blocks_used"] == tot["used"] and
              st["pages_held"] == g["pages_held"] and
              st["blocks_remote"] == tot["remote"] and
              st["large_live"] == g["large_live"],
              "%s: the fixture's stats agree with its info" % name)

    want = {
        "Objects used": [tot["used"], tot["reserved"],
                         float(use_pct(tot["used"], tot["reserved"]))
                         if tot["reserved"] else 0.0],
        "Objects carved": [tot["carved"]],
        "Spans": [tot["spans"], tot["full"], tot["retired"]],
        "Pages in spans": [tot["pages"], tot["pages"] * ps // 1024],
        "Pages held": [g["pages_held"], g["pages_held"] * ps // 1024,
                       g["large_live"]],
        "Bytes in live objects": [tot["bytes_used"]],
        "Remote frees pending": [tot["remote"]],
    }
    for label, nums in want.items():
        got = header_numbers(out, label)
        check(got == nums, "%s: header '%s' %s" % (name, label, nums),
              "got %s" % got)
    e = eff(tot, ps)
    got = re.search(r"^ Efficiency +: (\S+)", out, re.M).group(1)
    check(got == (e + "%" if e != "-" else "-"),
          "%s: overall efficiency %s%%" % (name, e), "got " + got)

    # One row per class with spans, in size order, every column right.
    rows = out_table(out, "SIZE")
    held = [c for c in classes if c["spans"]]
    check([int(x["SIZE"]) for x in rows] == [c["size"] for c in held],
          "%s: a row per class with spans (%d), by size" % (name, len(held)),
          "got %s" % [x["SIZE"] for x in rows])
    bad_rows = []
    for x, c in zip(rows, held):
        exp = {"USED": str(c["used"]), "TOTAL": str(c["reserved"]),
               "USE%": use_pct(c["used"], c["reserved"]),
               "SPANS": str(c["spans"]), "PAGES": str(c["pages"]),
               "KiB": str(c["pages"] * ps // 1024), "EFF%": eff(c, ps),
               "REMOTE": str(c["remote"])}
        for k, v in exp.items():
            if x[k] != v:
                bad_rows.append("size %s %s: got %s want %s" %
                                (c["size"], k, x[k], v))
    check(not bad_rows, "%s: every class row's columns" % name,
          "\n".join(bad_rows))

    # Per CPU and per context: sums over the heap table.
    for table, key in (("CPU", "cpu"), ("CONTEXT", "ctx")):
        groups = {}
        for h in heaps:
            groups.setdefault(str(h[key]), []).append(h)
        exp_rows = {k: total(v) for k, v in groups.items()
                    if table == "CONTEXT" or total(v)["spans"]}
        got_rows = {x[table]: x for x in out_table(out, table)}
        errs = []
        if sorted(got_rows) != sorted(exp_rows):
            errs.append("rows %s, want %s" % (sorted(got_rows),
                                               sorted(exp_rows)))
        for k, s in exp_rows.items():
            x = got_rows.get(k, {})
            exp = {"SPANS": str(s["spans"]), "PAGES": str(s["pages"]),
                   "KiB": str(s["pages"] * ps // 1024),
                   "USED": str(s["used"]), "REMOTE": str(s["remote"]),
                   "RETIRED": str(s["retired"]), "EFF%": eff(s, ps)}
            for c, v in exp.items():
                if x.get(c) != v:
                    errs.append("%s %s %s: got %s want %s" %
                                (table, k, c, x.get(c), v))
        check(not errs, "%s: the %s rows (%d)" % (name, table,
                                                  len(exp_rows)),
              "\n".join(errs))

    # -a: every class and every CPU.
    r = run("-a", "--debugfs", d)
    check(len(out_table(r.stdout, "SIZE")) == len(classes) and
          len(out_table(r.stdout, "CPU")) == len({h["cpu"] for h in heaps}),
          "%s: -a shows all %d classes and every CPU" % (name, len(classes)))

    # -s: the order of the class rows.
    keys = {
        "size": lambda c: (c["size"],),
        "used": lambda c: (-c["used"], c["size"]),
        "pages": lambda c: (-c["pages"], c["size"]),
        "eff": lambda c: (-(c["bytes_used"] / (c["pages"] * ps)), c["size"]),
    }
    for k, fn in keys.items():
        r = run("-s", k, "--debugfs", d)
        got = [int(x["SIZE"]) for x in out_table(r.stdout, "SIZE")]
        exp = [c["size"] for c in sorted(held, key=fn)]
        check(r.returncode == 0 and got == exp,
              "%s: -s %s orders the rows" % (name, k),
              "got %s\nwant %s" % (got, exp))


def check_repeat():
    d = os.path.join(FIXTURES, "client")
    r = run("-d", "1", "-n", "2", "--debugfs", d)
    reports = r.stdout.split("\n\nsmallocinfo: ")
    check(r.returncode == 0 and len(reports) == 2 and "\033[" not in r.stdout,
          "-d 1 -n 2 into a pipe: two reports, a blank line apart, no escapes",
          r.stdout[:400] + r.stderr)
    # On a terminal the screen is cleared before each report.
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(TOOL, [TOOL, "-d", "1", "-n", "2", "--debugfs", d])
    buf = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        buf += chunk
    _, status = os.waitpid(pid, 0)
    check(os.WEXITSTATUS(status) == 0 and buf.count(b"\033[H\033[2J") == 2,
          "-d 1 -n 2 on a terminal clears the screen before each report",
          buf[:200])


def expect_error(what, args, pattern, status=1, preexec=None):
    """An error: exit STATUS, PATTERN on stderr; no report on stdout."""
    r = run(*args, preexec=preexec)
    ok = (r.returncode == status and re.search(pattern, r.stderr) and
          (status != 1 or not r.stdout.strip()))
    check(ok, "%s: exit %d, '%s'" % (what, status, pattern),
          "exit %d\nstderr: %s\nstdout: %s" % (r.returncode, r.stderr,
                                               r.stdout[:300]))


def check_errors(tmp):
    bad = {
        "bad-version": r"unknown format version '2' \(this smallocinfo "
                       r"reads version 1\)",
        "bad-magic": r"malformed: the first line is not 'smallocinfo "
                     r"VERSION'",
        "bad-empty": r"malformed: the file is empty",
        "bad-number": r"info:[0-9]+: malformed: column used: '12x' is not "
                      r"a number",
        "bad-negative": r"malformed: column pages: '-4' is not a number",
        "bad-fields": r"malformed: 11 fields in a row of table 'class', its "
                      r"header has 12",
        "bad-column": r"malformed: table 'cpu' has no column 'remote'",
        "bad-no-class": r"malformed: no 'class' table",
        "bad-ctx": r"malformed: column ctx: '7' is not a context level",
        "no-info": r"has no 'info' file: this smalloc.ko predates "
                   r"smallocinfo",
    }
    for name, pattern in bad.items():
        expect_error(name, ["--debugfs", os.path.join(FIXTURES, name)],
                     pattern)

    # An unmounted debugfs is an empty mount point.
    mnt = os.path.join(tmp, "debug")
    os.mkdir(mnt)
    expect_error("debugfs not mounted",
                 ["--debugfs", os.path.join(mnt, "smalloc")],
                 r"debugfs is not mounted at .*/debug \(mount -t debugfs")
    os.mkdir(os.path.join(mnt, "tracing"))
    expect_error("smalloc not loaded",
                 ["--debugfs", os.path.join(mnt, "smalloc")],
                 r"smalloc is not loaded: no .*/debug/smalloc")

    # debugfs is root's (0700): another user is refused.
    d = os.path.join(mnt, "smalloc")
    shutil.copytree(os.path.join(FIXTURES, "client"), d)
    os.chmod(mnt, 0o700)
    if os.geteuid() == 0:
        def drop():
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
        preexec = drop
    else:
        os.chmod(os.path.join(d, "info"), 0)
        os.chmod(mnt, 0o755)
        preexec = None
    expect_error("permission denied", ["--debugfs", d],
                 r"permission denied reading .*: debugfs is readable by "
                 r"root only", preexec=preexec)

    expect_error("-s nonsense", ["-s", "nonsense"],
                 r"unknown sort key 'nonsense'", status=2)
    expect_error("-d 0", ["-d", "0"], r"-d wants a positive whole number",
                 status=2)
    expect_error("-n without -d", ["-n", "3"], r"-n needs -d", status=2)
    r = run("-h")
    check(r.returncode == 0 and "--debugfs DIR" in r.stdout and
          "EFF%" in r.stdout, "-h prints the usage and exits 0")


def main():
    subprocess.run(["make", "-s", "-C", HERE, "smallocinfo"], check=True)
    for name in REAL:
        check_real(name)
    check_repeat()
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        check_errors(tmp)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
