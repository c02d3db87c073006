"""Tidy stage: parsed files to the warehouse's long tables, as polars frames.

Facts are gathered as flat columns with the index of their report, then given the report's
columns by one vectorised gather instead of repeating agency, year and provenance per cell in
Python.  Column names and types are the contract in SPEC.md.
"""

from __future__ import annotations

import sys

import polars as pl
import pyarrow as pa

from pipeline.model import CELL_COLUMNS, CHECK_COLUMNS, FileResult
from pipeline.template import CELL_LABELS

_CELL_KEYS = pl.DataFrame(
    {
        "key": range(len(CELL_LABELS)),
        "table": [k[0] for k in CELL_LABELS],
        "key1": [k[1] for k in CELL_LABELS],
        "key2": [k[2] for k in CELL_LABELS],
        "label_zh": list(CELL_LABELS.values()),
    },
    schema_overrides={"key": pl.UInt16},
)

_CELL_KEY_COLUMNS = _CELL_KEYS.drop("key")  # row k: the table, keys and label of cell key k

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
    )
    frames = {"reports": reports}
    cells = _unpacked([r.cells for r in parsed], [r.counts[0] for r in parsed], CELL_COLUMNS)
    # each cell's report and key are row numbers of per_report and _CELL_KEYS: gathered, not joined
    cells = cells.hstack(per_report[cells["_r"]]).hstack(_CELL_KEY_COLUMNS[cells["key"]])
    tables = cells.partition_by("table", as_dict=True, maintain_order=True)
    for table, (k1, k2) in _KEYS.items():
        value = pl.col("value") if table == "proactive" else pl.col("value").cast(pl.Int64).alias("count")
        frame = tables.get((table,), cells.clear()).rename({"key1": k1, "key2": k2, "line": "source_line"})
        frames[table] = frame.with_columns(value).select(list(SCHEMAS[table]))
    frames["checks"] = _checks(parsed, per_report)
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


def _checks(parsed: list[FileResult], per_report: pl.DataFrame) -> pl.DataFrame:
    """The checks of `parsed`, each with its report's columns from `per_report` (row ``_r``)."""
    checks = _unpacked([r.checks for r in parsed], [r.counts[1] for r in parsed], CHECK_COLUMNS)
    return checks.hstack(per_report[checks["_r"]]).select(list(SCHEMAS["checks"]))


_ARROW = {"u16": pa.uint16(), "f64": pa.float64(), "i32": pa.int32(), "bool": pa.uint8()}


def _unpacked(
    packs: list[tuple[str | bytes, ...]], counts: list[int], columns: tuple[tuple[str, str], ...]
) -> pl.DataFrame:
    """The columns ``FileResult.pack`` made, of every report, as one frame with the index of the
    report (``_r``) on each row; NaN and 0 read back as null."""
    total = sum(counts)
    index = b"".join([r.to_bytes(4, sys.byteorder) * n for r, n in enumerate(counts)])  # r, n times
    frame = {"_r": pl.Series("_r", pa.Array.from_buffers(pa.uint32(), total, [None, pa.py_buffer(index)]))}
    for i, (name, kind) in enumerate(columns):
        if kind == "str":
            joined = "\n".join([p[i] for p, n in zip(packs, counts, strict=True) if n])
            frame[name] = (
                pl.Series(name, [joined]).str.split("\n").explode() if total else pl.Series(name, [], pl.String)
            )
            continue
        data = pa.py_buffer(b"".join([p[i] for p in packs]))
        series = pl.Series(name, pa.Array.from_buffers(_ARROW[kind], total, [None, data]))
        if kind == "f64":
            series = series.fill_nan(None)
        elif kind == "i32":
            series = series.cast(pl.Int64).replace(0, None)
        elif kind == "bool":
            series = series.cast(pl.Boolean)
        frame[name] = series
    return pl.DataFrame(frame)
