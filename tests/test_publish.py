"""The generation writer: rows streamed in small pieces come out as the same tables, in order, in
large row groups; a failed write leaves nothing behind.  And the worker pool's bounded window."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import pipeline.pool as pool_mod
from pipeline import publish, work
from pipeline.publish import GENERATIONS, NO_STATISTICS, GenerationWriter, PublishError
from pipeline.tidy import REQUIRED, SCHEMAS


def _requests(n: int, start: int) -> pl.DataFrame:
    """n rows of `requests`, years cycling over 2019..2021 and one unknown year."""
    years = [(2019, 2020, 2021, None)[(start + i) % 4] for i in range(n)]
    rows = {
        name: [f"{name}-{start + i}" for i in range(n)]
        for name, dtype in SCHEMAS["requests"].items()
        if dtype == pl.String
    }
    rows.update(year=years, count=list(range(start, start + n)), source_line=[1] * n)
    return pl.DataFrame(rows, schema=SCHEMAS["requests"])


def test_streamed_pieces_make_ordered_files_with_row_groups_as_large_as_the_buffer(tmp_path: Path):
    pieces = [_requests(37, 37 * i) for i in range(200)]
    per_row = pieces[0].estimated_size() / 37
    # a small buffer: rows are written out many times over, a row group per year each time
    with GenerationWriter(tmp_path, "g1", row_group_rows=1000, buffer_bytes=20_000) as writer:
        for piece in pieces:
            writer.write("requests", piece)
        writer.write("reports", pl.DataFrame(schema=SCHEMAS["reports"]))
        gen = writer.close(extra={"manifest.parquet": pl.DataFrame({"x": [1]})})
    assert gen == tmp_path / GENERATIONS / "g1"
    assert sorted(p.name for p in (tmp_path / GENERATIONS).iterdir()) == ["g1"]  # no temporary left
    assert (gen / "manifest.parquet").exists()
    whole = pl.concat(pieces)
    for year in (2019, 2020, 2021, None):
        path = gen / "requests" / f"year={year if year is not None else 'unknown'}" / "part-0.parquet"
        meta = pq.ParquetFile(path).metadata
        sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
        # the buffer's rows, a quarter of them this year's: all but the last group as large
        assert all(20_000 / per_row / 4 - 37 <= n <= 20_000 / per_row / 4 + 37 for n in sizes[:-1])
        assert sizes[-1] > 0 and len(sizes) > 5
        written = pl.read_parquet(path)
        assert written.schema == pl.Schema(SCHEMAS["requests"])
        assert pq.read_schema(path).field("agency").type == pa.string()  # not the views written from
        stats = {
            meta.row_group(0).column(i).path_in_schema: meta.row_group(0).column(i).is_stats_set for i in range(13)
        }
        assert stats == {c: c not in NO_STATISTICS for c in SCHEMAS["requests"]}
        assert stats["year"] and stats["count"] and stats["source_path"] and not stats["raw"] and not stats["category"]
        assert written.equals(whole.filter(pl.col("year").eq_missing(year)))  # same rows, same order
    for table in ("proactive", "appeals", "reports", "checks", "rejects"):
        (empty,) = (gen / table).iterdir()
        assert empty.name == "empty.parquet" and pl.read_parquet(empty).schema == pl.Schema(SCHEMAS[table])


def test_the_last_rows_wait_for_the_close(tmp_path: Path):
    """Rows written as the last (``write(..., last=True)``) stay buffered past the buffer's size,
    and the close writes them after the others, in order."""
    pieces = [_requests(37, 37 * i) for i in range(60)]
    with GenerationWriter(tmp_path, "g1", row_group_rows=100_000, buffer_bytes=20_000) as writer:
        for piece in pieces[:-10]:
            writer.write("requests", piece)
        written = dict(writer._written)
        for piece in pieces[-10:]:
            writer.write("requests", piece, last=True)
        assert writer._written == written  # over the buffer, and nothing written out
        gen = writer.close()
    got = pl.read_parquet(gen / "requests" / "**" / "*.parquet", hive_partitioning=False)
    assert got.sort("count").equals(pl.concat(pieces).sort("count"))
    for year in (2019, 2020, 2021, None):
        part = pl.read_parquet(gen / "requests" / f"year={year if year is not None else 'unknown'}" / "part-0.parquet")
        assert part["count"].is_sorted()  # in order within each file


def test_written_rows_then_carried_rows_in_each_folder(tmp_path: Path):
    old = pl.concat([_requests(50, 0), _requests(50, 1000)])
    with GenerationWriter(tmp_path, "g1", row_group_rows=30, buffer_bytes=5_000) as writer:
        writer.write("requests", old)
        g1 = writer.close()
    keep = old.get_column("source_path").to_list()[::3]
    new = _requests(40, 5000)
    with GenerationWriter(tmp_path, "g2", row_group_rows=30, buffer_bytes=5_000) as writer:
        writer.write("requests", new)  # the order of the calls does not matter
        writer.carry(g1, "requests", keep)
        writer.carry(g1, "checks", keep)  # a table with no rows at all
        g2 = writer.close()
    assert sorted(p.name for p in (g2 / "requests" / "year=2020").iterdir()) == ["part-0.parquet", "part-1.parquet"]
    written = pl.read_parquet(g2 / "requests" / "**" / "*.parquet", hive_partitioning=False)
    expected = pl.concat([new, old.filter(pl.col("source_path").is_in(pl.Series(keep).implode()))])
    for year in (2019, 2020, 2021, None):
        by_year = pl.col("year").eq_missing(year)
        assert written.filter(by_year).equals(expected.filter(by_year))
    assert [p.name for p in (g2 / "checks").iterdir()] == ["empty.parquet"]
    # carrying nothing from a file leaves no file behind
    with GenerationWriter(tmp_path, "g3") as writer:
        writer.carry(g2, "requests", ["not-a-source"])
        g3 = writer.close()
    assert [p.name for p in (g3 / "requests").iterdir()] == ["empty.parquet"]


def test_a_year_with_carried_rows_only_is_written_at_the_close(tmp_path: Path):
    old = _requests(40, 0)
    with GenerationWriter(tmp_path, "g1") as writer:
        writer.write("requests", old)
        g1 = writer.close()
    new = _requests(8, 100).with_columns(year=pl.lit(2022, dtype=pl.Int32))
    with GenerationWriter(tmp_path, "g2", row_group_rows=7) as writer:
        writer.carry(g1, "requests", old.get_column("source_path").to_list())
        writer.write("requests", new)
        g2 = writer.close()
    folders = sorted(p.name for p in (g2 / "requests").iterdir())
    assert folders == ["year=2019", "year=2020", "year=2021", "year=2022", "year=unknown"]
    written = pl.read_parquet(g2 / "requests" / "**" / "*.parquet", hive_partitioning=False)
    assert written.sort("count").equals(pl.concat([old, new]).sort("count"))
    meta = pq.ParquetFile(g2 / "requests" / "year=2022" / "part-0.parquet").metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [7, 1]


def test_the_largest_tables_are_written_out_first(tmp_path: Path):
    """A full buffer writes out the largest tables' rows until half is left: the small tables'
    rows wait, and come out in fewer, larger row groups."""
    reports = pl.DataFrame(
        {
            name: ["x"] if dtype == pl.String else [2021 if name == "year" else 1]
            for name, dtype in SCHEMAS["reports"].items()
        },
        schema=SCHEMAS["reports"],
    )
    with GenerationWriter(tmp_path, "g1", buffer_bytes=40_000) as writer:
        for i in range(300):
            writer.write("requests", _requests(20, 20 * i).with_columns(year=pl.lit(2021, dtype=pl.Int32)))
            writer.write("reports", reports)
        gen = writer.close()

    def groups(table: str) -> int:
        return pq.ParquetFile(gen / table / "year=2021" / "part-0.parquet").metadata.num_row_groups

    assert groups("requests") >= 5 * groups("reports")
    assert pl.read_parquet(gen / "reports" / "**" / "*.parquet", hive_partitioning=False).height == 300


def test_required_columns_are_written_required_and_a_null_in_one_is_refused(tmp_path: Path):
    rows = _requests(8, 0)
    with GenerationWriter(tmp_path, "g3") as writer:
        writer.write("requests", rows)
        gen = writer.close()
    schema = pq.ParquetFile(gen / "requests" / "year=2019" / "part-0.parquet").schema
    levels = {schema.column(i).name: schema.column(i).max_definition_level for i in range(len(schema))}
    assert levels == {c: 0 if c in REQUIRED else 1 for c in SCHEMAS["requests"]}
    assert levels["raw"] == levels["source_path"] == 0 and levels["count"] == levels["agency"] == 1
    assert pl.read_parquet(gen / "requests" / "**" / "*.parquet", hive_partitioning=False).sort("count").equals(rows)

    broken = rows.with_columns(raw=pl.when(pl.col("count") == 5).then(None).otherwise(pl.col("raw")))
    refused = r"requests\.raw is empty in 1 rows \(the first of source_path-5\)"
    with pytest.raises(PublishError, match=refused), GenerationWriter(tmp_path, "g4") as writer:
        writer.write("requests", broken)
    assert not (tmp_path / GENERATIONS / "g4").exists() and not (tmp_path / GENERATIONS / ".g4.tmp").exists()


def test_a_failed_write_leaves_no_generation(tmp_path: Path):
    with pytest.raises(KeyboardInterrupt), GenerationWriter(tmp_path, "g2", buffer_bytes=1) as writer:
        writer.write("requests", _requests(10, 0))
        assert list((tmp_path / GENERATIONS / ".g2.tmp" / "requests").glob("*/part-0.parquet"))
        raise KeyboardInterrupt
    assert list((tmp_path / GENERATIONS).iterdir()) == []


def test_parses_yield_in_order_with_a_bounded_window(tmp_path: Path, monkeypatch):
    submitted: list[list[str]] = []

    class Pool(ThreadPoolExecutor):
        def __init__(self, max_workers: int, mp_context: object, initializer: object = None, initargs=()) -> None:
            super().__init__(max_workers)

        def submit(self, fn, /, *args):
            submitted.append(args[1])
            return super().submit(fn, *args)

    monkeypatch.setattr(pool_mod, "ProcessPoolExecutor", Pool)
    monkeypatch.setattr(pool_mod, "IN_FLIGHT", 2)  # a window the 21 batches overrun
    monkeypatch.setattr(work, "settle", lambda results: None)  # a worker's freeze: not this process's
    rels = [f"f{i:04}.txt" for i in range(20 * pool_mod.BATCH + 5)]
    for rel in rels:
        (tmp_path / rel).write_bytes(b"")
    seen: list[str] = []
    parses = pool_mod.Parses(tmp_path, rels, jobs=2)
    assert len(submitted) == 2 * 2  # submitted when made, before anything is consumed
    for consumed, batch in enumerate(parses, start=1):
        assert len(submitted) - consumed <= 2 * 2
        seen.extend(r.path for r in batch)
    assert seen == rels and len(submitted) == 21


def test_a_view_that_does_not_bind_stops_the_switch(tmp_path: Path, monkeypatch):
    """Views are made in the new generation before it is switched in, and DuckDB binds each as
    it is made: a view over a column no table has fails there, naming its file; the generation is
    removed, and warehouse.duckdb stays as it was."""
    sql = tmp_path / "sql"
    shutil.copytree(publish.SQL_DIR, sql)
    warehouse = tmp_path / "wh"
    with GenerationWriter(warehouse, "g1") as writer:
        good = writer.close()
    publish.switch(warehouse, good)
    (sql / "zz_broken.sql").write_text("CREATE OR REPLACE VIEW broken AS SELECT no_such_column FROM requests")
    monkeypatch.setattr(publish, "SQL_DIR", sql)
    with GenerationWriter(warehouse, "g2") as writer:
        bad = writer.close()
    with pytest.raises(PublishError, match=r"sql/zz_broken.sql does not bind .*no_such_column"):
        publish.switch(warehouse, bad)
    assert not bad.exists()
    assert publish.current_generation(warehouse) == good
