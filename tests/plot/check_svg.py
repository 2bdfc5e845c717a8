#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check an SVG that scripts/bench_plot.sh drew from a fixture CSV.

Usage: check_svg.py SVG [--panels N] [--bars NAME=SIGNS]...
                        [--series NAME=COUNT]... [--label TEXT]...
                        [--no-label TEXT]...

--panels N: the picture has N panels (gnuplot's multiplot: plot ids
    gnuplot_plot_<n><panel letter>; a single plot has no letter).
--bars NAME=SIGNS: the plot titled NAME (its key entry) is a bar series
    with one character per group, panel by panel, left to right: '+' a
    bar going up from the panel's 1 line (ratio above 1), '-' one going
    down, '0' a bar of no height (ratio 1), '.' no bar.
--series NAME=COUNT: the plot titled NAME draws COUNT line segments in
    all (e.g. target marks), besides its key sample.
--label TEXT / --no-label TEXT: a text element of the picture is (is not)
    exactly TEXT (tick labels, title lines).

The SVG must parse as XML.  Exits 1 with a message per mismatch.
"""

import argparse
import re
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"


def points(poly):
    """The (x, y) pairs of a polygon's points attribute."""
    v = [float(n) for n in re.split(r"[ ,]+", poly.get("points").strip())]
    return list(zip(v[0::2], v[1::2]))


def plots(root):
    """{key title: {panel letter: <g>}} per plot of the plot command."""
    byid = {}
    for g in root.iter(NS + "g"):
        m = re.fullmatch(r"gnuplot_plot_(\d+)([a-z]*)", g.get("id") or "")
        if m:
            byid.setdefault(m.group(1), {})[m.group(2)] = g
    out = {}
    for n, panels in byid.items():
        name = f"gnuplot_plot_{n}"
        for g in panels.values():
            texts = [t.text for t in g.iter(NS + "text")]
            if texts:
                name = texts[0]
        out[name] = panels
    return out


def one_lines(found, names):
    """{panel: y of the 1 line}: the edge most of the bars there share."""
    edges = {}
    for name in names:
        for panel, g in found.get(name, {}).items():
            for poly in g.iter(NS + "polygon"):
                for _, y in points(poly):
                    e = edges.setdefault(panel, {})
                    e[round(y, 1)] = e.get(round(y, 1), 0) + 1
    return {p: max(e, key=e.get) for p, e in edges.items()}


def signs(panels, one):
    """A bar series' bars as '+', '-' or '0', panel by panel, left to
    right; a polygon off the panel's 1 line (the key sample) is none."""
    out = ""
    for panel in sorted(panels):
        bars = sorted((points(p) for p in panels[panel].iter(NS + "polygon")),
                      key=lambda b: min(x for x, _ in b))
        for b in bars:
            top = min(y for _, y in b)
            bottom = max(y for _, y in b)
            if bottom - top < 0.5 and abs(top - one[panel]) < 0.6:
                out += "0"
            elif abs(bottom - one[panel]) < 0.6:
                out += "+"
            elif abs(top - one[panel]) < 0.6:
                out += "-"
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("svg")
    ap.add_argument("--panels", type=int, default=1)
    ap.add_argument("--bars", action="append", default=[])
    ap.add_argument("--series", action="append", default=[])
    ap.add_argument("--label", action="append", default=[])
    ap.add_argument("--no-label", action="append", default=[])
    a = ap.parse_args()

    bad = []
    try:
        root = ET.parse(a.svg).getroot()
    except (OSError, ET.ParseError) as e:
        print(f"check_svg: {a.svg}: {e}")
        return 1
    texts = {(t.text or "").strip() for t in root.iter(NS + "text")}
    found = plots(root)

    for want in a.label:
        if want not in texts:
            bad.append(f"no text '{want}'")
    for want in a.no_label:
        if want in texts:
            bad.append(f"text '{want}' should not be there")

    npanels = len({p for panels in found.values() for p in panels})
    if npanels != a.panels:
        bad.append(f"{npanels} panels, expected {a.panels}")

    bars = dict(spec.rsplit("=", 1) for spec in a.bars)
    one = one_lines(found, bars)
    for name, want in bars.items():
        if name not in found:
            bad.append(f"no plot titled '{name}'")
            continue
        got = signs(found[name], one)
        if got != want.replace(".", ""):
            bad.append(f"'{name}': bars {got}, expected {want.replace('.', '')}")

    for spec in a.series:
        name, count = spec.rsplit("=", 1)
        if name not in found:
            bad.append(f"no plot titled '{name}'")
            continue
        n = sum(p.get("d").count("M") for g in found[name].values()
                for p in g.iter(NS + "path"))
        if n - 1 != int(count):
            bad.append(f"'{name}': {n - 1} segments, expected {count}")

    for b in bad:
        print(f"check_svg: {a.svg}: {b}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
