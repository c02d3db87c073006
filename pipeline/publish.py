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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline import DB_NAME, runs
from pipeline.tidy import ARROW_SCHEMAS, SCHEMAS

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
VIEWS = "views.duckdb"  # in each generation; warehouse.duckdb is a hard link to the current one
GENERATIONS = "generations"
PARTITIONED = ("requests", "proactive", "appeals", "reports", "checks")
ROW_GROUP_ROWS = 200_000  # rows per row group of the published files, at most
BUFFER_BYTES = 64 * 2**20  # rows held in memory before the largest tables' are written out
CLOSE_THREADS = 2  # files written at once when the writer closes
DUCKDB_MEMORY = "384MB"  # for the checks run before a switch; DuckDB spills beyond it
# Columns without min/max statistics in the files the writer streams: text that differs by
# report (ids, hashes, names, notes) in rows ordered by path, whose row groups' min and max span
# nearly every value, so no filter could skip a row group by them; computing them was a third of
# the writer's time.  So do the codes of the fact tables and checks: every report prints every
# category, item and proceeding, so a row group holds them all (without them the writer took
# 0.85-0.9 of the time).  Numbers, year and source_path (rows are in path order) keep theirs.
NO_STATISTICS = {
    "category",
    "applicant_type",
    "item",
    "metric",
    "proceeding",
    "outcome",
    "rule",
    "scope",
    "report_id",
    "agency",
    "title",
    "raw",
    "label_zh",
    "note",
    "message",
    "source_sha256",
    "parser_version",
    "run_id",
}


class GenerationWriter:
    """The tables of a new generation, written as rows arrive: memory is bounded by a buffer of
    rows, not by the corpus, and no row is written twice.

    Each table is zstd Parquet in a folder per year (``year=YYYY/``; year stays a column too),
    or in the table's folder for tables that are not partitioned, or a schema-only
    ``empty.parquet`` when it has no rows.  In each folder, ``part-0.parquet`` holds the written
    rows (`write`) in the order they were written, and ``part-1.parquet`` the rows carried over
    from the current generation (`carry`), in their order there.

    Rows arrive interleaved over all tables and years.  They are buffered per table; whenever
    ``BUFFER_BYTES`` are buffered, the largest tables' rows are written out until half that is
    left: each year's rows go as row groups onto the end of that year's file, which stays open
    (pyarrow's ParquetWriter) until ``close`` writes its footer.  Row groups are as large as
    the buffer allows (tens of thousands of rows in the big tables, the small tables' rows wait
    longer and come out in larger groups), at most ``row_group_rows``.  An earlier design spooled
    the rows to Arrow files and streamed them into Parquet at the close: that wrote every row
    twice, and the close was a tail of seconds in which the parser workers had nothing to do.
    Carried rows are already Parquet: ``close`` streams them from the current generation's files
    into ``part-1.parquet`` (polars' streaming engine, a row group or so in memory at a time).

    Everything goes to ``generations/.<gen_id>.tmp``; ``close`` renames it into place, ``abort``
    (or leaving the ``with`` block by an exception) removes it.  A killed process leaves only a
    temporary directory, which never becomes current and is pruned by the next publish.
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
        self._pending: dict[str, dict[str, list[pa.Table]]] = {t: {} for t in SCHEMAS}  # table -> folder -> rows
        self._pending_bytes = dict.fromkeys(SCHEMAS, 0)
        # output file (table, folder: "year=…" or ".") -> its writer, open until the close
        self._files: dict[tuple[str, str], pq.ParquetWriter] = {}
        self._written = dict.fromkeys(SCHEMAS, 0)  # rows per table
        # output folder (table, folder) -> the kept rows of the current generation's files there
        self._carried: dict[tuple[str, str], list[pl.LazyFrame]] = {}
        self._done = False

    def __enter__(self) -> GenerationWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if not self._done:
            self.abort()

    def carry(self, gen: Path, table: str, keep: list[str]) -> None:
        """Keep the rows of `table` in generation `gen` whose source_path is in `keep`: each of
        its files feeds the folder of the same year here.  Nothing is read now."""
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

    def write(self, table: str, rows: pa.Table | pl.DataFrame, last: bool = False) -> None:
        """Add rows to `table`: Arrow tables as ``tidy`` makes them, or a polars frame (cast to
        the table's schema in tidy.SCHEMAS).  `last`: no more rows come before ``close``, which
        writes what is buffered on two threads, so none is written here on one (a cold build's
        last group of 20,000 reports wrote 60 ms of rows here, when the workers were done and a
        core idled)."""
        if isinstance(rows, pl.DataFrame):
            if list(rows.schema.items()) != self._schemas[table]:
                rows = rows.select(list(SCHEMAS[table])).cast(SCHEMAS[table])
            rows = rows.to_arrow()
        if rows.num_rows == 0:
            return
        rows = _conformed(rows, ARROW_SCHEMAS[table])
        _refuse_empty(table, rows)
        if table in PARTITIONED:
            for year, part in _by_year(rows):
                self._pending[table].setdefault(f"year={year if year is not None else 'unknown'}", []).append(part)
        else:
            self._pending[table].setdefault(".", []).append(rows)
        self._pending_bytes[table] += rows.nbytes
        if not last and sum(self._pending_bytes.values()) >= self._buffer_bytes:
            for name in sorted(SCHEMAS, key=self._pending_bytes.__getitem__, reverse=True):
                if sum(self._pending_bytes.values()) <= self._buffer_bytes // 2:
                    break
                self._flush(name)

    def _flush(self, table: str) -> None:
        """Write the buffered rows of `table` onto the end of their files."""
        for folder, chunks in self._taken(table):
            self._append(self._writer(table, folder), chunks)

    def _taken(self, table: str) -> list[tuple[str, list[pa.Table]]]:
        """The buffered rows of `table` by folder, taken out of the buffer to be written (and
        counted as written)."""
        pending, self._pending[table], self._pending_bytes[table] = self._pending[table], {}, 0
        self._written[table] += sum(c.num_rows for chunks in pending.values() for c in chunks)
        return list(pending.items())

    def _append(self, writer: pq.ParquetWriter, chunks: list[pa.Table]) -> None:
        """Rows as row groups onto the end of a file.  One dictionary per column for the rows
        written together: the writer takes it as it is only while it does not change within a
        row group.  The chunks are written as they are, sharing it: joined into one first, they
        made files of the same rows and encodings (of the same bytes where there were several),
        and the join cost as much as the unification (a cold build of 20,000 reports: 0.09-0.10 s
        of the main process's CPU for both, 0.044 for the unification alone)."""
        writer.write_table(pa.concat_tables(chunks).unify_dictionaries(), row_group_size=self._row_group_rows)

    def _writer(self, table: str, folder: str) -> pq.ParquetWriter:
        """The writer of the folder's part-0.parquet, opened by the first rows."""
        writer = self._files.get((table, folder))
        if writer is None:
            path = self.tmp / table / folder / "part-0.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            writer = self._files[(table, folder)] = pq.ParquetWriter(
                path,
                ARROW_SCHEMAS[table],
                compression="zstd",
                write_statistics=[c for c in SCHEMAS[table] if c not in NO_STATISTICS],
                # a column's pages as large as its row group allows (1 MB of data still ends
                # one), not 20,000 rows: Arrow starts a zstd stream per page. Files 6 % smaller;
                # the writer's CPU 0.97
                max_rows_per_page=self._row_group_rows,
                store_schema=False,  # readers see plain strings, not the dictionaries written from
            )
        return writer

    def close(self, extra: dict[str, pl.DataFrame] | None = None) -> Path:
        """Write what is buffered and every written file's footer, stream the carried rows
        into place, write the extra files (such as the manifest), and move the generation into
        place; returns its directory."""
        # the last rows and every file's footer, two files at a time: Arrow writes without the
        # GIL, and nothing else runs now (the close took 0.15 s on one core of two)
        last = [(table, folder, chunks) for table in SCHEMAS for folder, chunks in self._taken(table)]
        writers = [self._writer(table, folder) for table, folder, _ in last]
        with ThreadPoolExecutor(CLOSE_THREADS) as pool:
            list(pool.map(self._append, writers, [chunks for *_, chunks in last]))
            list(pool.map(pq.ParquetWriter.close, self._files.values()))
        self._files.clear()
        rows = dict(self._written)
        for (table, folder), sources in sorted(self._carried.items()):
            path = self.tmp / table / folder / "part-1.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            pl.concat(sources).sink_parquet(path, compression="zstd", row_group_size=self._row_group_rows)
            n = pl.scan_parquet(path, hive_partitioning=False).select(pl.len()).collect().item()
            if n == 0:  # every carried row was dropped
                path.unlink()
                with contextlib.suppress(OSError):
                    path.parent.rmdir()  # the year= folder, now empty
            rows[table] += n
        self._carried.clear()
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
        for writer in self._files.values():
            with contextlib.suppress(Exception):
                writer.close()
        self._files.clear()
        self._pending = {t: {} for t in SCHEMAS}
        self._carried.clear()
        if not self._done:
            shutil.rmtree(self.tmp, ignore_errors=True)
        self._done = True


def _refuse_empty(table: str, rows: pa.Table) -> None:
    """A PublishError where a column written as REQUIRED (tidy.REQUIRED) has a null: a parser or
    tidy bug, stopped before the writer, naming the column and a file of the rows."""
    for field in rows.schema:
        column = rows.column(field.name)
        if not field.nullable and column.null_count:
            where = rows.filter(pc.is_null(column))
            paths = (
                [p for p in where.column("source_path").to_pylist() if p] if "source_path" in where.column_names else []
            )
            raise PublishError(
                f"{table}.{field.name} is empty in {where.num_rows} rows (the first of {paths[0] if paths else 'no known file'}); "
                "every row has one: nothing was published"
            )


def _conformed(rows: pa.Table, schema: pa.Schema) -> pa.Table:
    """`rows` with the columns and types of `schema` (a text column becomes a dictionary by
    hashing its values: only rows that do not come from tidy, such as a test's, take this)."""
    if rows.schema == schema:
        return rows
    columns = []
    for field in schema:
        column = rows.column(field.name)
        if pa.types.is_dictionary(field.type) and not pa.types.is_dictionary(column.type):
            column = pc.dictionary_encode(column.cast(field.type.value_type))
        columns.append(column.cast(field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def _by_year(rows: pa.Table) -> list[tuple[int | None, pa.Table]]:
    """`rows` split by year, in order within each (tidy's fact tables and checks are of one year
    already)."""
    year = rows.column("year")
    years = pc.unique(year).to_pylist()
    if len(years) == 1:
        return [(years[0], rows)]
    return [(y, rows.filter(pc.is_null(year) if y is None else pc.equal(year, pa.scalar(y, year.type)))) for y in years]


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


def view_sql(gen: Path) -> list[tuple[str, str]]:
    """Base views for the six tables and the run log, then every cross-agency view in sql/: each
    statement with where it comes from (a table's name, or its file in sql/)."""
    stmts = []
    for table in SCHEMAS:
        glob = (gen / table).as_posix() + "/**/*.parquet"
        stmts.append(
            (
                f"the view {table}",
                f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM read_parquet('{glob}', hive_partitioning = false)",
            )
        )
    runs_glob = (runs.ensure(gen.parent.parent)).as_posix() + "/*.parquet"
    stmts.append(
        ("the view runs", f"CREATE OR REPLACE VIEW runs AS SELECT * FROM read_parquet('{runs_glob}') ORDER BY started")
    )
    for path in sorted(SQL_DIR.glob("*.sql")):
        stmts.append((f"sql/{path.name}", path.read_text(encoding="utf-8")))
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
    views.duckdb, checked (every view binds, every data test passes), then hard-linked to a
    temporary name and renamed over warehouse.duckdb.  On failure the generation is removed and
    the old file keeps serving."""
    views = gen / VIEWS
    con = duckdb.connect(str(views))
    ok = False
    try:
        con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
        for source, stmt in view_sql(gen.resolve()):
            try:  # DuckDB binds a view as it makes it: a missing file, table or column fails here
                con.execute(stmt)
            except duckdb.Error as exc:
                raise PublishError(
                    f"{source} does not bind on the new generation {gen.name}: {exc}; the previous warehouse stays in place"
                ) from exc
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
