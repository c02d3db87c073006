"""A file's report as one line of JSON (its meta, cells and checks, values as printed by repr):
what test_compiled compares between the compiled parser and its .py, across two processes."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.parse import parse_text
from pipeline.read import read_text


def report_json(path: Path) -> str:
    report = parse_text(read_text(path.name, path.read_bytes())[0])
    meta = [report.agency, report.year, report.template, report.layout, report.title, report.status]
    return json.dumps(
        {
            "meta": meta,
            "facts": [[*f[:4], repr(f[4]), f[5]] for f in report.facts],
            "checks": [[c.rule, c.scope, repr(c.expected), repr(c.actual), c.passed, c.note] for c in report.checks],
        },
        ensure_ascii=False,
    )
