"""The round trip of published files: generate N HTML pages, Word files or PDFs per kind, read them
(``read_text``, by content, as the build does) and parse them, and count what came back exact per
kind x template.  Cells the parser itself marks as in doubt (a failed 'reading' check) are counted
as flagged, apart from silent errors.  Exit status 0 only if every cell is exact, none flagged, and
no report with wrong cells claims status 'ok'.

    python scripts/roundtrip_published.py --n 2000 --kind html,docx,pdf_print,pdf_word|all [--seed S] [--jobs J] [--show K]

PDFs are pages printed by headless Chromium (pdf_print) and Word files exported by LibreOffice
(pdf_word), a second or two each (``make pdf-printers`` installs both).
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from collections import defaultdict

from roundtrip_table import print_table

from pipeline.generate import compare
from pipeline.generate_published import KINDS, generate_published_many
from pipeline.parse import parse_text
from pipeline.read import read_text

# per kind x template: reports, cells, exact cells, flagged cells, exact reports, wrong-but-ok, seconds
_FIELDS = 7


def _one(args: tuple[int, str, int]) -> tuple[str, str, list[float], list[str]]:
    seed, kind, i = args
    started = time.monotonic()
    g = next(generate_published_many(seed, i + 1, kind, start=i))
    try:
        text, _ = read_text(f"report.{kind}", g.data)
        c = compare(g, parse_text(text))
    except Exception as exc:  # a crash is a failure of every cell, reported with the report
        return (
            kind,
            g.template,
            [1, len(g.expected), 0, 0, 0, 0, time.monotonic() - started],
            [f"{i}: crashed: {exc!r}"],
        )
    exact_report = not c.wrong and not c.flagged
    row = [1, c.cells, c.exact, c.flagged, int(exact_report), int(c.silent), time.monotonic() - started]
    return kind, g.template, row, [f"{i} ({c.status}): {w}" for w in c.wrong[:3]]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2000, help="reports per kind")
    ap.add_argument("--kind", default="all", help=f"comma-separated kinds of {KINDS}, or all")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--show", type=int, default=3, help="wrong reports to show per kind x template")
    args = ap.parse_args()
    kinds = KINDS if args.kind == "all" else tuple(args.kind.split(","))
    if not set(kinds) <= set(KINDS):
        ap.error(f"--kind: each kind must be one of {KINDS}")
    started = time.monotonic()
    stats: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0] * _FIELDS)
    examples: dict[tuple[str, str], list[str]] = defaultdict(list)
    work = ((args.seed, kind, i) for kind in kinds for i in range(args.n))
    with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        for kind, tpl, row, wrong in pool.imap_unordered(_one, work, chunksize=10):
            stats[(kind, tpl)] = [a + b for a, b in zip(stats[(kind, tpl)], row, strict=True)]
            if wrong and len(examples[(kind, tpl)]) < args.show:
                examples[(kind, tpl)].append("; ".join(wrong))
    total = print_table("kind", stats)
    for (kind, tpl), lines in sorted(examples.items()):
        for line in lines:
            print(f"  {kind}/{tpl} report {line}", file=sys.stderr)
    print(f"{time.monotonic() - started:.1f} s wall", file=sys.stderr)
    return 0 if total[2] == total[1] and total[5] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
