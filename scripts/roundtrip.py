"""The long round trip: generate N reports over every layout x template, parse them back and
count what came back exact.  Exit status 0 only if every cell is exact, except cells the parser
itself flagged as in doubt, and no report with wrong cells claims status 'ok'.

    python scripts/roundtrip.py --n 10000 [--seed S] [--jobs J] [--show K]
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from collections import defaultdict

from roundtrip_table import print_table

from pipeline.generate import LAYOUTS, compare, generate_many
from pipeline.parse import parse_text
from pipeline.read import read_text
from pipeline.template import TEMPLATES

COMBOS = len(LAYOUTS) * len(TEMPLATES)


def _one(args: tuple[int, int]) -> tuple[str, str, int, int, int, int, bool, list[str]]:
    seed, i = args
    g = next(generate_many(seed, i + 1, start=i))
    try:
        text, _ = read_text("report.txt", g.data)
        c = compare(g, parse_text(text))
    except Exception as exc:  # a crash is a failure of every cell, reported with the report
        return g.layout, g.template, len(g.expected), 0, 0, 1, False, [f"{i}: crashed: {exc!r}"]
    wrong = [f"{i}: {w}" for w in c.wrong[:3]]
    return g.layout, g.template, c.cells, c.exact, c.flagged, int(not c.wrong), c.silent, wrong


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--show", type=int, default=3, help="wrong reports to show per layout x template")
    args = ap.parse_args()
    started = time.monotonic()
    stats: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * 6)
    examples: dict[tuple[str, str], list[str]] = defaultdict(list)
    with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        for layout, tpl, cells, exact, flagged, ok, silent, wrong in pool.imap_unordered(
            _one, ((args.seed, i) for i in range(args.n)), chunksize=20
        ):
            s = stats[(layout, tpl)]
            for k, v in enumerate((1, cells, exact, flagged, ok, silent)):
                s[k] += v
            if wrong and len(examples[(layout, tpl)]) < args.show:
                examples[(layout, tpl)].append("; ".join(wrong))
    total = print_table("layout", stats)
    for key, lines in sorted(examples.items()):
        for line in lines:
            print(f"  {key[0]}/{key[1]} report {line}", file=sys.stderr)
    print(f"{time.monotonic() - started:.1f} s", file=sys.stderr)
    silent_errors = total[1] - total[2] - total[3]
    return 0 if silent_errors == 0 and total[5] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
