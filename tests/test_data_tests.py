"""The data tests (sql/tests/*.sql) guard every publish: each one, shown a generation that breaks
its rule, stops the switch, names itself, and leaves the serving warehouse as it was."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from conftest import REPO

from pipeline.build import build
from pipeline.publish import GenerationWriter, PublishError, current_generation, switch
from pipeline.template import APPLICANT_CODES
from pipeline.tidy import SCHEMAS

Tables = dict[str, pl.DataFrame]


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> tuple[Path, Tables]:
    """A warehouse built from the sample corpus, and its tables."""
    raw = tmp_path_factory.mktemp("raw")
    for f in (REPO / "data" / "raw").glob("*.txt"):
        shutil.copy(f, raw)
    warehouse = tmp_path_factory.mktemp("wh")
    build(raw, warehouse, jobs=1)
    gen = current_generation(warehouse)
    assert gen is not None
    tables = {t: pl.read_parquet(gen / t / "**" / "*.parquet", hive_partitioning=False) for t in SCHEMAS}
    assert tables["reports"].height == 2 and tables["checks"].height > 0
    return warehouse, tables


def _publish(warehouse: Path, name: str, tables: Tables) -> None:
    with GenerationWriter(warehouse, name) as writer:
        for table, frame in tables.items():
            writer.write(table, frame)
        gen = writer.close()
    switch(warehouse, gen)


def _first_row_changed(frame: pl.DataFrame, **values) -> pl.DataFrame:
    first = pl.int_range(pl.len()) == 0
    return frame.with_columns(
        [pl.when(first).then(pl.lit(v, dtype=frame.schema[c])).otherwise(pl.col(c)).alias(c) for c, v in values.items()]
    )


BREAKS: dict[str, Callable[[Tables], Tables]] = {
    "unique_cells": lambda t: {**t, "proactive": pl.concat([t["proactive"], t["proactive"].head(1)])},
    "complete_reports": lambda t: {**t, "appeals": t["appeals"].slice(1)},
    "non_negative_counts": lambda t: {**t, "requests": _first_row_changed(t["requests"], count=-1)},
    "provenance": lambda t: {
        **t,
        "requests": _first_row_changed(t["requests"].sort(pl.col("raw") == ""), source_line=None),
    },
    "one_outcome_per_input": lambda t: {
        **t,
        "rejects": pl.concat(
            [
                t["rejects"],
                t["reports"]
                .head(1)
                .select("source_path", "source_sha256", "source_size", "parser_version", "run_id")
                .with_columns(stage=pl.lit("read"), error_code=pl.lit("empty_file"), message=pl.lit("x"))
                .select(list(SCHEMAS["rejects"])),
            ]
        ),
    },
    # a check failed, but the report's status and failure count still say none did
    "status_matches_checks": lambda t: {**t, "checks": _first_row_changed(t["checks"], passed=False)},
}


def test_the_tables_as_built_pass(served):
    warehouse, tables = served
    _publish(warehouse, "again", tables)
    assert current_generation(warehouse).name == "again"


@pytest.mark.parametrize("rule", sorted(BREAKS))
def test_each_data_test_stops_a_generation_that_breaks_it(served, rule):
    assert (REPO / "sql" / "tests" / f"{rule}.sql").exists()
    warehouse, tables = served
    before = current_generation(warehouse)
    with pytest.raises(PublishError, match=rf"'{rule}': [1-9]"):
        _publish(warehouse, f"broken-{rule}", BREAKS[rule](tables))
    assert current_generation(warehouse) == before
    assert not (before.parent / f"broken-{rule}").exists()


def test_every_data_test_is_exercised():
    assert {p.stem for p in (REPO / "sql" / "tests").glob("*.sql")} == set(BREAKS)


REQUESTS_BREAKS: dict[str, Callable[[pl.DataFrame], pl.DataFrame]] = {
    "a cell twice": lambda q: pl.concat([q, q.head(1)]),
    "a cell missing": lambda q: q.slice(1),
    # seven rows still, but one applicant column twice and another not at all
    "a column twice in place of another": lambda q: _first_row_changed(q, applicant_type=q["applicant_type"][1]),
    "a column no template has": lambda q: _first_row_changed(q, applicant_type="robot"),
}


@pytest.mark.parametrize("how", sorted(REQUESTS_BREAKS))
def test_complete_reports_holds_each_requests_cell_to_exactly_one(served, how):
    """complete_reports is also the uniqueness test of requests (unique_cells leaves them to it)."""
    warehouse, tables = served
    before = current_generation(warehouse)
    broken = {**tables, "requests": REQUESTS_BREAKS[how](tables["requests"])}
    with pytest.raises(PublishError, match=r"'complete_reports': [1-9]"):
        _publish(warehouse, "broken-requests", broken)
    assert current_generation(warehouse) == before


def test_complete_reports_knows_the_applicant_columns_in_template_order():
    """The columns complete_reports gives bits 1 to 7 are the template's columns, in order, and
    the bits it asks for are those seven."""
    sql = (REPO / "sql" / "tests" / "complete_reports.sql").read_text(encoding="utf-8")
    listed = re.search(r"list_position\(\s*\[([^\]]*)\]", sql)
    assert listed is not None
    assert re.findall(r"'(\w+)'", listed.group(1)) == list(APPLICANT_CODES)
    assert f"IS DISTINCT FROM {sum(1 << k for k in range(1, len(APPLICANT_CODES) + 1))}" in sql
