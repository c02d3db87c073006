"""The long round trip: generate N reports over every layout x template, parse them back and
count what came back exact.  Exit status 0 only if every cell is exact, except cells the parser
itself flagged as in doubt, and no report with wrong cells claims status 'ok'.

For the reports with flagged wrong cells it also says why they were not read: the identities
fit the printed numbers (the generator's truth) no better than the reading kept — the text does
not determine them — or the wrong cells are in section 二, which has no identity; any report where
the truth fits better is a reading the parser missed, and is listed.

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
from pipeline.identities import appeal_checks, request_checks
from pipeline.parse import parse_text
from pipeline.read import read_text
from pipeline.template import APPEAL_OUTCOMES, APPEAL_PROCEEDINGS, APPLICANT_CODES, TEMPLATES

COMBOS = len(LAYOUTS) * len(TEMPLATES)


def _failed_identities(values: dict) -> int:
    """Identities of sections 三 and 四 that a report's values (table, key1, key2) -> value break."""
    rows: dict[str, list] = defaultdict(lambda: [None] * len(APPLICANT_CODES))
    for (table, category, applicant), v in values.items():
        if table == "requests":
            rows[category][APPLICANT_CODES.index(applicant)] = v
    appeals = [values.get(("appeals", p, o)) for p, _ in APPEAL_PROCEEDINGS for o, _ in APPEAL_OUTCOMES]
    return sum(not c.passed for c in request_checks(dict(rows)) + appeal_checks(appeals))


def _why_flagged(expected: dict, got: dict) -> str:
    """'no identity', 'undetermined' (the truth fits the identities no better) or 'missed'."""
    wrong = {k for k, v in expected.items() if got.get(k, "missing") != v}
    if {table for table, _, _ in wrong} == {"proactive"}:
        return "no identity"
    kept = {**expected, **{k: got.get(k) for k in expected if k[0] != "proactive"}}
    return "missed" if _failed_identities(expected) < _failed_identities(kept) else "undetermined"


def _one(args: tuple[int, int]) -> tuple:
    seed, i = args
    g = next(generate_many(seed, i + 1, start=i))
    try:
        text, _ = read_text("report.txt", g.data)
        report = parse_text(text)
        c = compare(g, report)
    except Exception as exc:  # a crash is a failure of every cell, reported with the report
        return g.layout, g.template, len(g.expected), 0, 0, 1, False, [f"{i}: crashed: {exc!r}"], None
    wrong = [f"{i}: {w}" for w in c.wrong[:3]]
    why = (i, _why_flagged(g.expected, report.values())) if c.flagged else None
    return g.layout, g.template, c.cells, c.exact, c.flagged, int(not c.wrong), c.silent, wrong, why


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
    reasons: dict[str, list[int]] = defaultdict(list)
    with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        for layout, tpl, cells, exact, flagged, ok, silent, wrong, why in pool.imap_unordered(
            _one, ((args.seed, i) for i in range(args.n)), chunksize=20
        ):
            s = stats[(layout, tpl)]
            for k, v in enumerate((1, cells, exact, flagged, ok, silent)):
                s[k] += v
            if why:
                reasons[why[1]].append(why[0])
            if wrong and len(examples[(layout, tpl)]) < args.show:
                examples[(layout, tpl)].append("; ".join(wrong))
    total = print_table("layout", stats)
    for key, lines in sorted(examples.items()):
        for line in lines:
            print(f"  {key[0]}/{key[1]} report {line}", file=sys.stderr)
    print(
        "reports with flagged wrong cells: "
        + ", ".join(f"{len(v)} {k}" for k, v in sorted(reasons.items()))
        + (f" (missed: {sorted(reasons['missed'])[: args.show * 4]})" if reasons.get("missed") else "")
    )
    print(f"{time.monotonic() - started:.1f} s", file=sys.stderr)
    silent_errors = total[1] - total[2] - total[3]
    return 0 if silent_errors == 0 and total[5] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
