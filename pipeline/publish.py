"""Publish stage: frames to a new generation of Parquet, then views that point at it.

A generation is written aside under a temporary name, checked, and switched in by renames: the
directory first, then ``warehouse.duckdb`` (views only) replaced by rename.  A reader that opened
the old file keeps reading the old generation, which is deleted only once no reader holds it.
Views use absolute paths, so the file opens from any working directory.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
from pathlib import Path

import duckdb
import polars as pl

from pipeline import runs
from pipeline.tidy import SCHEMAS

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
DB_NAME = "warehouse.duckdb"
VIEWS = "views.duckdb"  # in each generation; warehouse.duckdb is a hard link to the current one
GENERATIONS = "generations"
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
    """The generation warehouse.duckdb points at.  The views are the one source of truth: the
    file is replaced atomically, so whatever a reader opens is what is current."""
    db = warehouse / DB_NAME
    if not db.exists():
        return None
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'reports'").fetchone()
    finally:
        con.close()
    m = re.search(r"read_parquet\('(.+)/reports/", row[0]) if row else None
    gen = Path(m.group(1)) if m else None
    return gen if gen is not None and gen.is_dir() else None


def write_generation(
    frames: dict[str, pl.DataFrame], warehouse: Path, gen_id: str, extra: dict[str, pl.DataFrame] | None = None
) -> Path:
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
        stmts.append(
            f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM read_parquet('{glob}', hive_partitioning = false)"
        )
    runs_glob = (runs.ensure(gen.parent.parent)).as_posix() + "/*.parquet"
    stmts.append(f"CREATE OR REPLACE VIEW runs AS SELECT * FROM read_parquet('{runs_glob}') ORDER BY started")
    for path in sorted(SQL_DIR.glob("*.sql")):
        stmts.append(path.read_text(encoding="utf-8"))
    return stmts


class PublishError(RuntimeError):
    """The new generation did not pass its checks; nothing was switched."""


def data_tests(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Run every sql/tests/*.sql (each selects offending rows); returns name -> rows found."""
    return {
        path.stem: len(con.execute(path.read_text(encoding="utf-8")).fetchall())
        for path in sorted((SQL_DIR / "tests").glob("*.sql"))
    }


def switch(warehouse: Path, gen: Path) -> None:
    """Point warehouse.duckdb at `gen`.  The views are built in the generation's own
    views.duckdb, checked (every view answers, every data test passes), then hard-linked to a
    temporary name and renamed over warehouse.duckdb.  On failure the generation is removed and
    the old file keeps serving."""
    views = gen / VIEWS
    con = duckdb.connect(str(views))
    ok = False
    try:
        for stmt in view_sql(gen.resolve()):
            con.execute(stmt)
        for (name,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall():
            con.execute(f"SELECT * FROM {name} LIMIT 0").fetchall()
        failed = {name: n for name, n in data_tests(con).items() if n}
        if failed:
            raise PublishError(
                f"data tests failed on the new generation {gen.name}: {failed}; the previous warehouse stays in place"
            )
        con.execute("CHECKPOINT")
        ok = True
    finally:
        con.close()
        if not ok:
            shutil.rmtree(gen, ignore_errors=True)
    with open(views, "rb+") as fh:
        os.fsync(fh.fileno())
    tmp = warehouse / f".{DB_NAME}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    os.link(views, tmp)
    os.replace(tmp, warehouse / DB_NAME)
    _prune(warehouse, gen)


def _in_use(views: Path) -> bool:
    """True while any process has the generation's views open: DuckDB holds a shared fcntl
    lock on a database file for as long as a read-only connection is open."""
    try:
        fd = os.open(views, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def _prune(warehouse: Path, current: Path) -> None:
    """Remove every generation that is not current and that no reader holds open, including
    what killed runs left behind."""
    for entry in (warehouse / GENERATIONS).iterdir():
        if entry.resolve() != current.resolve() and not _in_use(entry / VIEWS):
            shutil.rmtree(entry, ignore_errors=True)
    for stale in warehouse.glob(f".{DB_NAME}.*.tmp"):
        stale.unlink(missing_ok=True)


def publish(
    frames: dict[str, pl.DataFrame], warehouse: Path, gen_id: str, extra: dict[str, pl.DataFrame] | None = None
) -> Path:
    warehouse.mkdir(parents=True, exist_ok=True)
    gen = write_generation(frames, warehouse, gen_id, extra)
    switch(warehouse, gen)
    return gen
