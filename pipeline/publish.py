"""Publish stage: rows to a new generation of Parquet, then views that point at it.

A generation is written aside under a temporary name as the rows arrive (`GenerationWriter`),
checked, and switched in by renames: the directory first, then ``warehouse.duckdb`` (views only)
replaced by rename.  A reader that opened the old file keeps reading the old generation, which is
deleted only once no reader holds it.  Views use absolute paths, so the file opens from any
working directory.
"""

from __future__ import annotations

import contextlib
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
ROW_GROUP_ROWS = 200_000  # rows per row group of the published files
BUFFER_BYTES = 64 * 2**20  # rows held in memory before they are spilled to the spool
SPOOL = ".spool"
DUCKDB_MEMORY = "384MB"  # for the checks run before a switch; DuckDB spills beyond it


class GenerationWriter:
    """The tables of a new generation, written as rows arrive: memory is bounded by a buffer of
    rows, not by the corpus.

    Each table is zstd Parquet, one file per year (``year=YYYY/part-0.parquet``; year stays a
    column too) or a single ``part-0.parquet`` for tables that are not partitioned, or a
    schema-only ``empty.parquet`` when it has no rows.  In each file, the rows carried over from
    the current generation (`carry`) come first, then the written rows (`write`) in the order
    they were written.

    Rows arrive interleaved over all tables and years, so holding ``ROW_GROUP_ROWS`` of every
    file in memory would cost gigabytes: instead, whenever ``BUFFER_BYTES`` of rows are buffered
    they are spilled, one small Arrow file per output file, to a spool.  ``close`` then streams
    each output file — its carried rows, then its spilled pieces — into place in large row
    groups (polars' streaming engine: a row group or so in memory at a time).  Everything goes to
    ``generations/.<gen_id>.tmp``; ``close`` renames it into place, ``abort`` (or leaving the
    ``with`` block by an exception) removes it.  A killed process leaves only a temporary
    directory, which never becomes current and is pruned by the next publish.
    """

    def __init__(
        self,
        warehouse: Path,
        gen_id: str,
        *,
        row_group_rows: int = ROW_GROUP_ROWS,
        buffer_bytes: int = BUFFER_BYTES,
    ) -> None:
        root = warehouse / GENERATIONS
        root.mkdir(parents=True, exist_ok=True)
        self.tmp = root / f".{gen_id}.tmp"
        self.final = root / gen_id
        if self.tmp.exists():
            shutil.rmtree(self.tmp)
        self.tmp.mkdir()
        self._row_group_rows, self._buffer_bytes = row_group_rows, buffer_bytes
        self._schemas = {t: list(s.items()) for t, s in SCHEMAS.items()}
        self._pending: dict[str, list[pl.DataFrame]] = {t: [] for t in SCHEMAS}
        self._pending_bytes = 0
        self._spills = 0
        # output file (table, folder: "year=…" or "") -> its pieces, in order
        self._spooled: dict[tuple[str, str], list[Path]] = {}
        self._carried: dict[tuple[str, str], list[pl.LazyFrame]] = {}
        self._done = False

    def __enter__(self) -> GenerationWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if not self._done:
            self.abort()

    def carry(self, gen: Path, table: str, keep: list[str]) -> None:
        """Keep the rows of `table` in generation `gen` whose source_path is in `keep`: each of
        its files feeds the file of the same folder (the same year) here.  Nothing is read now."""
        if not keep:
            return
        wanted = pl.Series("source_path", keep, dtype=pl.String).implode()
        for path in sorted((gen / table).rglob("*.parquet")):
            rows = (
                pl.scan_parquet(path, hive_partitioning=False)
                .filter(pl.col("source_path").is_in(wanted))
                .select(list(SCHEMAS[table]))
                .cast(SCHEMAS[table])
            )
            self._carried.setdefault((table, path.parent.relative_to(gen / table).as_posix()), []).append(rows)

    def write(self, table: str, frame: pl.DataFrame) -> None:
        """Add rows to `table` (cast to its schema in tidy.SCHEMAS)."""
        if frame.is_empty():
            return
        if list(frame.schema.items()) != self._schemas[table]:
            frame = frame.select(list(SCHEMAS[table])).cast(SCHEMAS[table])
        self._pending[table].append(frame)
        self._pending_bytes += frame.estimated_size()
        if self._pending_bytes >= self._buffer_bytes:
            self._spill()

    def _spill(self) -> None:
        """Write every buffered row to the spool, one piece per output file."""
        for table, chunks in self._pending.items():
            if not chunks:
                continue
            self._pending[table] = []
            data = pl.concat(chunks)
            del chunks
            if table not in PARTITIONED:
                self._spool(table, ".", data)
                continue
            for (year,), part in data.group_by("year", maintain_order=True):
                self._spool(table, f"year={year if year is not None else 'unknown'}", part)
        self._pending_bytes = 0
        self._spills += 1

    def _spool(self, table: str, folder: str, rows: pl.DataFrame) -> None:
        path = self.tmp / SPOOL / table / folder / f"{self._spills:06}.arrow"
        path.parent.mkdir(parents=True, exist_ok=True)
        # read once, by close: Arrow IPC with lz4 writes in half the CPU of lz4 Parquet (no
        # encoding to do), for three times the bytes on disk while the build runs
        rows.write_ipc(path, compression="lz4")
        self._spooled.setdefault((table, folder), []).append(path)

    def close(self, extra: dict[str, pl.DataFrame] | None = None) -> Path:
        """Write every output file (carried rows, then spooled ones), the extra files (such as
        the manifest), and move the generation into place; returns its directory."""
        self._spill()
        rows = dict.fromkeys(SCHEMAS, 0)
        for table, folder in sorted(set(self._carried) | set(self._spooled)):
            sources = self._carried.pop((table, folder), [])
            pieces = self._spooled.pop((table, folder), [])
            if pieces:
                sources.append(pl.scan_ipc(pieces, hive_partitioning=False))
            path = self.tmp / table / folder / "part-0.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            pl.concat(sources).sink_parquet(path, compression="zstd", row_group_size=self._row_group_rows)
            for piece in pieces:
                piece.unlink()
            n = pl.scan_parquet(path, hive_partitioning=False).select(pl.len()).collect().item()
            if n == 0:  # every carried row was dropped
                path.unlink()
                with contextlib.suppress(OSError):
                    path.parent.rmdir()  # the year= folder, now empty
            rows[table] += n
        shutil.rmtree(self.tmp / SPOOL, ignore_errors=True)
        for table, n in rows.items():
            if n == 0:
                (self.tmp / table).mkdir(parents=True, exist_ok=True)
                pl.DataFrame(schema=SCHEMAS[table]).write_parquet(
                    self.tmp / table / "empty.parquet", compression="zstd"
                )
        for name, frame in (extra or {}).items():
            frame.write_parquet(self.tmp / name, compression="zstd")
        os.replace(self.tmp, self.final)
        self._done = True
        return self.final

    def abort(self) -> None:
        """Drop the half-written generation."""
        self._pending = {t: [] for t in SCHEMAS}
        self._carried.clear()
        self._spooled.clear()
        if not self._done:
            shutil.rmtree(self.tmp, ignore_errors=True)
        self._done = True


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
        con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
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
