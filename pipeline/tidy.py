"""Tidy stage: parsed files to the warehouse's long tables, as polars frames.

Facts are gathered as flat columns with the index of their report, then joined with the report
frame once — one vectorised join instead of repeating agency, year and provenance per cell in
Python.  Column names and types are the contract in SPEC.md.
"""

from __future__ import annotations

import polars as pl

from pipeline.model import FileResult
from pipeline.template import (
    APPEAL_OUTCOMES,
    APPEAL_PROCEEDINGS,
    APPLICANT_TYPES,
    TEMPLATES,
)

_LABELS: dict[tuple[str, str, str], str] = {}
for _tpl in TEMPLATES.values():
    for _row in _tpl.value_rows:
        for _code, _zh in APPLICANT_TYPES:
            _LABELS.setdefault(("requests", _row.code, _code), f"{_row.label}｜{_zh}")
    for _item in _tpl.proactive:
        for _m in _item.metrics:
            _LABELS.setdefault(("proactive", _item.code, _m), f"{_item.label}｜{_tpl.metric_labels[_m]}")
for _p, _pzh in APPEAL_PROCEEDINGS:
    for _o, _ozh in APPEAL_OUTCOMES:
        _LABELS[("appeals", _p, _o)] = f"{_pzh}｜{_ozh}"

PROVENANCE = {
    "source_path": pl.String,
    "source_sha256": pl.String,
    "source_line": pl.Int64,
    "parser_version": pl.String,
    "run_id": pl.String,
}
SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "requests": {
        "report_id": pl.String,
        "agency": pl.String,
        "year": pl.Int32,
        "category": pl.String,
        "applicant_type": pl.String,
        "count": pl.Int64,
        "raw": pl.String,
        "label_zh": pl.String,
        **PROVENANCE,
    },
    "proactive": {
        "report_id": pl.String,
        "agency": pl.String,
        "year": pl.Int32,
        "item": pl.String,
        "metric": pl.String,
        "value": pl.Float64,
        "raw": pl.String,
        "label_zh": pl.String,
        **PROVENANCE,
    },
    "appeals": {
        "report_id": pl.String,
        "agency": pl.String,
        "year": pl.Int32,
        "proceeding": pl.String,
        "outcome": pl.String,
        "count": pl.Int64,
        "raw": pl.String,
        **PROVENANCE,
    },
    "reports": {
        "report_id": pl.String,
        "agency": pl.String,
        "year": pl.Int32,
        "template": pl.String,
        "layout": pl.String,
        "title": pl.String,
        "province": pl.String,
        "city": pl.String,
        "county": pl.String,
        "status": pl.String,
        "checks_failed": pl.Int64,
        "cells": pl.Int64,
        "source_path": pl.String,
        "source_sha256": pl.String,
        "source_size": pl.Int64,
        "parser_version": pl.String,
        "run_id": pl.String,
    },
    "checks": {
        "report_id": pl.String,
        "year": pl.Int32,
        "rule": pl.String,
        "scope": pl.String,
        "expected": pl.Float64,
        "actual": pl.Float64,
        "passed": pl.Boolean,
        "note": pl.String,
        "source_path": pl.String,
        "run_id": pl.String,
    },
    "rejects": {
        "source_path": pl.String,
        "source_sha256": pl.String,
        "source_size": pl.Int64,
        "stage": pl.String,
        "error_code": pl.String,
        "message": pl.String,
        "parser_version": pl.String,
        "run_id": pl.String,
    },
}
_KEYS = {
    "requests": ("category", "applicant_type"),
    "proactive": ("item", "metric"),
    "appeals": ("proceeding", "outcome"),
}


def tidy(results: list[FileResult], parser_version: str, run_id: str) -> dict[str, pl.DataFrame]:
    """All six tables for one batch of parsed files."""
    parsed = [r for r in results if r.report is not None]
    reports = pl.DataFrame(
        {
            "report_id": [r.report_id for r in parsed],
            "agency": [r.report.agency for r in parsed],
            "year": [r.report.year for r in parsed],
            "template": [r.report.template for r in parsed],
            "layout": [r.report.layout for r in parsed],
            "title": [r.report.title for r in parsed],
            "province": [r.report.province for r in parsed],
            "city": [r.report.city for r in parsed],
            "county": [r.report.county for r in parsed],
            "status": [r.status for r in parsed],
            "checks_failed": [r.checks_failed for r in parsed],
            "cells": [r.printed for r in parsed],
            "source_path": [r.path for r in parsed],
            "source_sha256": [r.sha256 for r in parsed],
            "source_size": [r.size for r in parsed],
            "parser_version": [parser_version] * len(parsed),
            "run_id": [run_id] * len(parsed),
        },
        schema=SCHEMAS["reports"],
    )
    per_report = reports.select(
        "report_id", "agency", "year", "source_path", "source_sha256", "parser_version", "run_id"
    ).with_row_index("_r")
    frames = {"reports": reports}
    for table, (k1, k2) in _KEYS.items():
        cols: dict[str, list] = {"_r": [], k1: [], k2: [], "raw": [], "_value": [], "source_line": []}
        names = list(cols)[1:]
        for i, r in enumerate(parsed):
            packed = r.cells[table]
            cols["_r"].extend([i] * len(packed[0]))
            for name, values in zip(names, packed, strict=True):
                cols[name].extend(values)
        facts = pl.DataFrame(
            cols,
            schema={
                "_r": pl.UInt32,
                k1: pl.String,
                k2: pl.String,
                "raw": pl.String,
                "_value": pl.Float64,
                "source_line": pl.Int64,
            },
        )
        labels = pl.DataFrame(
            {
                k1: [k[1] for k in _LABELS if k[0] == table],
                k2: [k[2] for k in _LABELS if k[0] == table],
                "label_zh": [v for k, v in _LABELS.items() if k[0] == table],
            }
        )
        value = (
            pl.col("_value").alias("value") if table == "proactive" else pl.col("_value").cast(pl.Int64).alias("count")
        )
        frame = facts.join(per_report, on="_r", how="left").join(labels, on=[k1, k2], how="left").with_columns(value)
        frames[table] = frame.select(list(SCHEMAS[table]))
    frames["checks"] = _checks(parsed, run_id)
    frames["rejects"] = pl.DataFrame(
        {
            "source_path": [r.path for r in results if r.reject],
            "source_sha256": [r.sha256 for r in results if r.reject],
            "source_size": [r.size if r.size >= 0 else None for r in results if r.reject],  # -1: not read
            "stage": [r.reject.stage for r in results if r.reject],
            "error_code": [r.reject.code for r in results if r.reject],
            "message": [r.reject.message for r in results if r.reject],
            "parser_version": [parser_version] * sum(r.reject is not None for r in results),
            "run_id": [run_id] * sum(r.reject is not None for r in results),
        },
        schema=SCHEMAS["rejects"],
    )
    return frames


def _checks(parsed: list[FileResult], run_id: str) -> pl.DataFrame:
    cols: dict[str, list] = {k: [] for k in SCHEMAS["checks"]}
    packed = ("rule", "scope", "expected", "actual", "passed", "note")
    for r in parsed:
        n = len(r.checks[0]) if r.checks else 0
        cols["report_id"].extend([r.report_id] * n)
        cols["year"].extend([r.report.year] * n)
        cols["source_path"].extend([r.path] * n)
        cols["run_id"].extend([run_id] * n)
        for name, values in zip(packed, r.checks, strict=True):
            cols[name].extend(values)
    return pl.DataFrame(cols, schema=SCHEMAS["checks"])
