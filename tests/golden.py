"""Compare a parsed report with an expected.csv (format: ../shared/corpus/LABELS.md)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

from pipeline.model import Report


def load_expected(path: Path) -> tuple[dict[tuple[str, str, str], str], dict[str, str]]:
    cells, meta = {}, {}
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["table"] == "meta":
                meta[row["key1"]] = row["value"]
            else:
                cells[(row["table"], row["key1"], row["key2"])] = row["value"]
    return cells, meta


def differences(report: Report, expected: dict[tuple[str, str, str], str], meta: dict[str, str]) -> list[str]:
    """Every way the report differs from the expected values; empty when they agree."""
    got = report.values()
    out = []
    for key, want in expected.items():
        if key not in got:
            out.append(f"{key}: missing, want {want!r}")
            continue
        have = got[key]
        if want == "":
            if have is not None:
                out.append(f"{key}: got {have!r}, want empty")
        elif have is None or not math.isclose(float(have), float(want), rel_tol=1e-12, abs_tol=1e-12):
            out.append(f"{key}: got {have!r}, want {want}")
    for key in got.keys() - expected.keys():
        out.append(f"{key}: unexpected cell {got[key]!r}")
    for field in ("agency", "year", "template"):
        have = getattr(report, field)
        if field in meta and str(have) != meta[field]:
            out.append(f"meta.{field}: got {have!r}, want {meta[field]!r}")
    return out
