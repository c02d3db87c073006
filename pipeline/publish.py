"""Publish stage: frames to a new generation of Parquet, then views that point at it.

A generation is written aside under a temporary name, checked, and switched in by renames: the
directory first, then ``warehouse.duckdb`` (views only) replaced by rename.  A reader that opened
the old file keeps reading the old generation, which is deleted only once two newer ones exist.
Views use absolute paths, so the file opens from any working directory.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import duckdb
import polars as pl

from pipeline import runs
from pipeline.tidy import SCHEMAS

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
DB_NAME = "warehouse.duckdb"
GENERATIONS = "generations"
KEEP_GENERATIONS = 2
PARTITIONED = ("requests", "proactive", "appeals", "reports", "checks")


def _write_table(frame: pl.DataFrame, directory: Path, partitioned: bool) -> int:
    """zstd Parquet, one file per year (year stays a column too); a schema-only file if empty."""
    directory.mkdir(parents=True, exist_ok=True)
    if frame.is_empty():
        frame.write_parquet(directory / "empty.parquet", compression="zstd")
        return 1
    if not partitioned:
        frame.write_parquet(directory / "part-0.parquet", compression="zstd")
        return 1
    files = 0
    for (year,), part in frame.group_by("year", maintain_order=True):
        sub = directory / f"year={year if year is not None else 'unknown'}"
        sub.mkdir(exist_ok=True)
        part.write_parquet(sub / "part-0.parquet", compression="zstd", row_group_size=256_000)
        files += 1
    return files


def current_generation(warehouse: Path) -> Path | None:
    pointer = warehouse / "CURRENT"
    if not pointer.exists():
        return None
    gen = warehouse / GENERATIONS / pointer.read_text().strip()
    return gen if gen.is_dir() else None


def write_generation(frames: dict[str, pl.DataFrame], warehouse: Path, gen_id: str,
                     extra: dict[str, pl.DataFrame] | None = None) -> Path:
    """Write all tables of a generation (and extra files such as its manifest) aside, then move
    it into place; returns its directory."""
    root = warehouse / GENERATIONS
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".{gen_id}.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    for table in SCHEMAS:
        frame = frames.get(table, pl.DataFrame(schema=SCHEMAS[table]))
        _write_table(frame, tmp / table, table in PARTITIONED)
    for name, frame in (extra or {}).items():
        frame.write_parquet(tmp / name, compression="zstd")
    final = root / gen_id
    os.replace(tmp, final)
    return final


def view_sql(gen: Path) -> list[str]:
    """Base views for the six tables and the run log, then every cross-agency view in sql/."""
    stmts = []
    for table in SCHEMAS:
        glob = (gen / table).as_posix() + "/**/*.parquet"
        stmts.append(f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM read_parquet('{glob}', hive_partitioning = false)")
    runs_glob = (runs.ensure(gen.parent.parent)).as_posix() + "/*.parquet"
    stmts.append(f"CREATE OR REPLACE VIEW runs AS SELECT * FROM read_parquet('{runs_glob}') ORDER BY started")
    for path in sorted(SQL_DIR.glob("*.sql")):
        stmts.append(path.read_text(encoding="utf-8"))
    return stmts


class PublishError(RuntimeError):
    """The new generation did not pass its checks; nothing was switched."""


def data_tests(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Run every sql/tests/*.sql (each selects offending rows); returns name -> rows found."""
    return {path.stem: len(con.execute(path.read_text(encoding="utf-8")).fetchall())
            for path in sorted((SQL_DIR / "tests").glob("*.sql"))}


def switch(warehouse: Path, gen: Path) -> None:
    """Point warehouse.duckdb at `gen`: build the views in a temporary file, check that every
    view answers and every data test passes, rename it over the old file, then drop generations
    no reader needs.  On any failure the temporary file and generation are removed."""
    tmp = warehouse / f".{DB_NAME}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    ok = False
    try:
        for stmt in view_sql(gen.resolve()):
            con.execute(stmt)
        for (name,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall():
            con.execute(f"SELECT * FROM {name} LIMIT 0").fetchall()
        failed = {name: n for name, n in data_tests(con).items() if n}
        if failed:
            raise PublishError(f"data tests failed on the new generation {gen.name}: {failed}; "
                               "the previous warehouse stays in place")
        con.execute("CHECKPOINT")
        ok = True
    finally:
        con.close()
        if not ok:
            tmp.unlink(missing_ok=True)
            shutil.rmtree(gen, ignore_errors=True)
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, warehouse / DB_NAME)
    pointer_tmp = warehouse / ".CURRENT.tmp"
    pointer_tmp.write_text(gen.name + "\n")
    os.replace(pointer_tmp, warehouse / "CURRENT")
    _prune(warehouse, gen)


def _prune(warehouse: Path, current: Path) -> None:
    root = warehouse / GENERATIONS
    gens = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                  key=lambda p: p.stat().st_mtime)
    old = [g for g in gens if g != current]
    for g in old[: max(0, len(old) - (KEEP_GENERATIONS - 1))]:
        shutil.rmtree(g, ignore_errors=True)
    for stale in root.glob(".*.tmp"):
        if time.time() - stale.stat().st_mtime > 3600:
            shutil.rmtree(stale, ignore_errors=True)


def publish(frames: dict[str, pl.DataFrame], warehouse: Path, gen_id: str,
            extra: dict[str, pl.DataFrame] | None = None) -> Path:
    warehouse.mkdir(parents=True, exist_ok=True)
    gen = write_generation(frames, warehouse, gen_id, extra)
    switch(warehouse, gen)
    return gen
