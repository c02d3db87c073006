"""Tidy stage: parsed files to the warehouse's long tables, as Arrow tables for the writer.

The workers send each report's cells as packed columns; they are joined into flat columns with
the index of their report, and the columns a fact row repeats from its report or its cell key
(agency, provenance, category, label...) become Arrow dictionaries over those indices, so no
text is repeated per cell in Python, nor copied per row.  Column names and types are the
contract in SPEC.md.
"""

from __future__ import annotations

import itertools
import sys
from typing import NamedTuple

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.model import CELL_COLUMNS, CHECK_COLUMNS, FACT_TABLES, FileResult
from pipeline.template import CELL_LABELS

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


Tidied = dict[str, list[pa.Table]]  # table -> its rows, the fact tables' one table per year


def tidy(results: list[FileResult], parser_version: str, run_id: str) -> Tidied:
    """All six tables for one batch of parsed files, as Arrow (``ARROW_SCHEMAS``): the fact
    tables and checks one table per year (``_facts``, ``_checks``), the others as polars makes
    them."""
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
    rejects = pl.DataFrame(
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
    # the reports in order of year, no year last, in path order within a year (a stable sort): each
    # year's reports, and so their cells and checks, are then one slice of every column
    in_years = sorted(parsed, key=_no_year_last)
    order = _years(in_years)
    return {
        "reports": [reports.to_arrow()],
        **_facts(in_years, order, parser_version, run_id),
        "checks": _checks(in_years, order, run_id),
        "rejects": [rejects.to_arrow()],
    }


# The fact tables' columns that repeat a report's or a cell key's text on every row are written
# as Arrow dictionaries: indices into the batch's reports (of one year) or into the table's keys.
# The Parquet writer takes a dictionary as it is, where a column of text it has to hash row by
# row (0.5-0.6 of the time a column of text took it).
DICTIONARY = pa.dictionary(pa.int32(), pa.string())
_PER_REPORT = ("report_id", "agency", "source_path", "source_sha256")
_PER_KEY = ("key1", "key2", "label_zh")


# The fact tables' and checks' columns that no row leaves empty: a report's identity and source,
# a cell's keys, label and printed text, a check's rule, scope and outcome.  They are written as
# Parquet REQUIRED columns, which the writer takes without a definition level for each value (the
# main process's CPU in a replayed cold build of 20,000 reports 2.26 -> 2.13 s, medians of three);
# ``GenerationWriter.write`` refuses rows with a null in one, naming it.
REQUIRED = frozenset(
    {"report_id", "source_path", "source_sha256", "parser_version", "run_id", "raw", "label_zh"}
    | {key for keys in _KEYS.values() for key in keys}
    | {"rule", "scope", "passed", "note"}
)


def _arrow_schema(table: str) -> pa.Schema:
    """The Arrow a table is written from: text as large strings (as polars gives it, with a
    copy: Arrow cannot split polars' views by year), in the fact tables and checks
    ``DICTIONARY`` for the columns that repeat a report's or a key's text, and ``REQUIRED``'s
    columns not nullable."""
    schema = pl.DataFrame(schema=SCHEMAS[table]).to_arrow().schema
    if table == "checks":
        repeated = {"report_id", "source_path", "run_id"}
    elif table in _KEYS:
        repeated = {*_PER_REPORT, *_KEYS[table], "label_zh", "parser_version", "run_id"}
    else:
        return schema
    return pa.schema(
        [
            pa.field(f.name, DICTIONARY if f.name in repeated else f.type, nullable=f.name not in REQUIRED)
            for f in schema
        ]
    )


ARROW_SCHEMAS = {table: _arrow_schema(table) for table in SCHEMAS}


def _key_columns() -> dict[str, dict[str, tuple[pa.Array, pa.Array]]]:
    """For each fact table, for key1, key2 and label_zh: the distinct texts of its cells (a
    dictionary) with the index into them of every cell key in CELL_LABELS (0 for another table's
    keys, which never reach it)."""
    keys = list(CELL_LABELS)
    texts = {"key1": [k[1] for k in keys], "key2": [k[2] for k in keys], "label_zh": list(CELL_LABELS.values())}
    out = {}
    for table in _KEYS:
        columns = {}
        for name, values in texts.items():
            distinct = list(dict.fromkeys(v for k, v in zip(keys, values, strict=True) if k[0] == table))
            where = {v: i for i, v in enumerate(distinct)}
            index = [where[v] if k[0] == table else 0 for k, v in zip(keys, values, strict=True)]
            columns[name] = (pa.array(index, pa.int32()), pa.array(distinct, pa.string()))
        out[table] = columns
    return out


_KEY_COLUMNS = _key_columns()
assert tuple(_KEYS) == FACT_TABLES  # FileResult.cells[number] holds the cells of table number
_INT64, _INT32, _FLOAT64 = pa.int64(), pa.int32(), pa.float64()
_SCALARS: dict[tuple[object, pa.DataType], pa.Scalar] = {}


def _scalar(value: object, dtype: pa.DataType = _INT64) -> pa.Scalar:
    """An Arrow scalar, made once: a Python number given to a compute function is converted
    on every call, trying to import pandas each time."""
    found = _SCALARS.get((value, dtype))
    if found is None:
        found = _SCALARS[(value, dtype)] = pa.scalar(value, dtype)
    return found


def _no_year_last(result: FileResult) -> tuple[bool, int]:
    year = result.report.year if result.report is not None else None
    return year is None, year or 0


class _Years(NamedTuple):
    """A batch's reports, in order of year (``tidy``): each year's run of them."""

    runs: list[tuple[int | None, int, int]]  # each year's reports: (year, first, end)
    texts: dict[str, pa.Array]  # _PER_REPORT's columns

    def local(self, counts: list[int]) -> pa.Array:
        """For each of the rows `counts` gives each report (counts[r] rows for report r, in
        order), its report's place among its year's reports: the index of the row into that
        year's slice of ``texts``."""
        places = [(r - lo).to_bytes(4, sys.byteorder) * counts[r] for _, lo, hi in self.runs for r in range(lo, hi)]
        return pa.Array.from_buffers(pa.int32(), sum(counts), [None, pa.py_buffer(b"".join(places))])


def _years(parsed: list[FileResult]) -> _Years:
    """The runs of years of the batch's reports, and their _PER_REPORT columns (`parsed` in
    year order)."""
    texts = {
        "report_id": [r.report_id for r in parsed],
        "agency": [r.report.agency for r in parsed],
        "source_path": [r.path for r in parsed],
        "source_sha256": [r.sha256 for r in parsed],
    }
    return _Years(
        _runs([r.report.year for r in parsed]),
        {name: pa.array(texts[name], pa.string()) for name in _PER_REPORT},
    )


def _facts(parsed: list[FileResult], order: _Years, parser_version: str, run_id: str) -> Tidied:
    """The cells of `parsed` (in year order) as the three fact tables, one Arrow table per year,
    rows in the order of the reports and of each report's cells.

    Each report's cells come packed table by table (``FileResult.pack``): a table's columns of
    the batch are its reports' joined, each year's rows a slice of them, and each year's reports
    a slice of the reports.  What a row's dictionaries index (its place among its year's
    reports, its key's texts) is worked out once for the table and sliced: an Arrow call for each
    of the 21 (table, year) slices was a third of the time."""
    version, run = pa.array([parser_version], pa.string()), pa.array([run_id], pa.string())
    tables: Tidied = {table: [] for table in _KEYS}
    for number, (table, (k1, k2)) in enumerate(_KEYS.items()):
        counts = [r.counts[number] for r in parsed]
        cell = {
            name: _column([r.cells[number][i] for r in parsed], counts, kind)
            for i, (name, kind) in enumerate(CELL_COLUMNS)
        }
        value = pc.if_else(pc.is_nan(cell["value"]), _scalar(None, _FLOAT64), cell["value"])
        amount = value if table == "proactive" else pc.cast(value, pa.int64(), safe=False)  # |count| < 2^63
        line = cell["line"]
        line = pc.if_else(pc.equal(line, _scalar(0, _INT32)), _scalar(None, _INT32), line).cast(pa.int64())
        local = order.local(counts)
        texts_of = _KEY_COLUMNS[table]
        indices = {name: index.take(cell["key"]) for name, (index, _) in texts_of.items()}
        starts = list(itertools.accumulate(counts, initial=0))
        for year, lo, hi in order.runs:
            a, b = starts[lo], starts[hi]
            if a == b:
                continue
            columns = _of_reports(order, local.slice(a, b - a), lo, hi, _PER_REPORT)
            for name, out in zip(_PER_KEY, (k1, k2, "label_zh"), strict=True):
                columns[out] = pa.DictionaryArray.from_arrays(indices[name].slice(a, b - a), texts_of[name][1])
            columns |= {
                "year": _constant_year(year, b - a),
                "value" if table == "proactive" else "count": amount.slice(a, b - a),
                "raw": cell["raw"].slice(a, b - a),
                "source_line": line.slice(a, b - a),
                "parser_version": _constant(version, b - a),
                "run_id": _constant(run, b - a),
            }
            schema = ARROW_SCHEMAS[table]
            tables[table].append(pa.Table.from_arrays([columns[f.name] for f in schema], schema=schema))
    return tables


def _checks(parsed: list[FileResult], order: _Years, run_id: str) -> list[pa.Table]:
    """The checks of `parsed` (in year order), one Arrow table per year, as ``_facts`` makes the
    cells': each year's checks are already a slice of the batch's, in order."""
    counts = [r.counts[-1] for r in parsed]
    column = {
        name: _column([r.checks[i] for r in parsed], counts, kind) for i, (name, kind) in enumerate(CHECK_COLUMNS)
    }
    for name in ("expected", "actual"):
        column[name] = pc.if_else(pc.is_nan(column[name]), _scalar(None, _FLOAT64), column[name])
    column["passed"] = column["passed"].cast(pa.bool_())
    starts = list(itertools.accumulate(counts, initial=0))
    local = order.local(counts)
    run = pa.array([run_id], pa.string())
    out = []
    for year, lo, hi in order.runs:
        a, b = starts[lo], starts[hi]
        if a == b:
            continue
        columns = {name: column[name].slice(a, b - a) for name in column}
        columns |= _of_reports(order, local.slice(a, b - a), lo, hi, ("report_id", "source_path"))
        columns |= {
            "year": _constant_year(year, b - a),
            "run_id": _constant(run, b - a),
        }
        schema = ARROW_SCHEMAS["checks"]
        out.append(pa.Table.from_arrays([columns[f.name] for f in schema], schema=schema))
    return out


def _of_reports(
    order: _Years, local: pa.Array, lo: int, hi: int, names: tuple[str, ...]
) -> dict[str, pa.DictionaryArray]:
    """The report columns `names` of rows whose reports are of one year, lo..hi (``local``:
    their places among that year's reports): dictionaries over that year's reports."""
    return {name: _dictionary(local, order.texts[name].slice(lo, hi - lo)) for name in names}


def _zeros(n: int) -> pa.Array:
    return pa.Array.from_buffers(pa.int32(), n, [None, pa.py_buffer(bytes(4 * n))])


def _constant(text: pa.Array, n: int) -> pa.DictionaryArray:
    """n rows of one text (`text`, an array of it alone)."""
    return pa.DictionaryArray.from_arrays(_zeros(n), text)


def _constant_year(year: int | None, n: int) -> pa.Array:
    if year is None:
        return pa.nulls(n, pa.int32())
    return pa.Array.from_buffers(pa.int32(), n, [None, pa.py_buffer(year.to_bytes(4, sys.byteorder, signed=True) * n)])


def _runs(values: list) -> list[tuple[object, int, int]]:
    """(value, first, end) of each run of equal values."""
    out: list[tuple[object, int, int]] = []
    for i, v in enumerate(values):
        if out and out[-1][0] == v:  # None == None: the reports of no known year are a run too
            out[-1] = (v, out[-1][1], i + 1)
        else:
            out.append((v, i, i + 1))
    return out


_ARROW = {"u16": pa.uint16(), "f64": pa.float64(), "i32": pa.int32(), "bool": pa.uint8()}


def _dictionary(indices: pa.Array, texts: pa.Array) -> pa.DictionaryArray:
    """texts[indices], as a dictionary; a null text (a report with no agency) is a null row, not
    a null in the dictionary."""
    if not texts.null_count:
        return pa.DictionaryArray.from_arrays(indices, texts)
    missing = pc.is_null(texts).take(indices)
    return pa.DictionaryArray.from_arrays(pc.if_else(missing, _scalar(None, _INT32), indices), texts.fill_null(""))


def _column(packs: list[bytes], counts: list[int], kind: str) -> pa.Array:
    """One column ``FileResult.pack`` made, of every report, as it was packed (NaN, 0 and all);
    text as Arrow lays it out: the reports' bytes joined, their lengths summed into offsets."""
    total = sum(counts)
    if kind != "str":
        return pa.Array.from_buffers(_ARROW[kind], total, [None, pa.py_buffer(b"".join(packs))])
    # slices copied: a report's few KB copy in less time than a memoryview is made (1,024
    # reports' text of requests: 0.43 against 0.90 ms)
    lengths = b"".join([p[: 4 * n] for p, n in zip(packs, counts, strict=True)])
    data = b"".join([p[4 * n :] for p, n in zip(packs, counts, strict=True)])
    ends = pc.cumulative_sum(pa.Array.from_buffers(pa.int32(), total, [None, pa.py_buffer(lengths)]).cast(pa.int64()))
    offsets = pa.concat_arrays([_OFFSET_0, ends]).buffers()[1]
    return pa.Array.from_buffers(pa.large_string(), total, [None, offsets, pa.py_buffer(data)])


_OFFSET_0 = pa.array([0], pa.int64())
