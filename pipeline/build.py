"""Build: discover inputs, parse what is new or changed in a process pool, tidy, publish.

Incremental by default: the manifest of the current generation says which files are unchanged,
and their facts are carried into the new generation as they were (with the run id of the run that
parsed them).  Nothing changed → nothing is written.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa

from pipeline import PARSER_VERSION, inputs, manifest, runs
from pipeline.errors import Reject
from pipeline.lock import WarehouseLock
from pipeline.model import FileResult
from pipeline.pool import Parses, Started, workers
from pipeline.publish import GenerationWriter, current_generation, switch
from pipeline.tidy import SCHEMAS, tidy

# files tidied at once: each Arrow compute call tidy makes, and each row group a write makes, has a
# cost of its own (a cold build of 20,000 reports: the main process's CPU 4.09 -> 3.85-3.96 s from
# 512, peak RSS 492 -> 524 MB; 2048 took no less)
TIDY_FILES = 1024


@dataclass
class Summary:
    run_id: str
    started: float
    finished: float = 0.0
    seen: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0
    parsed: int = 0
    rejected: int = 0
    status: dict[str, int] = field(default_factory=dict)
    published: bool = False
    generation: str | None = None
    command: str = "build"

    def row(self, outcome: str, message: str = "") -> dict:
        """This run as a row of the ``runs`` table."""
        return {
            "run_id": self.run_id,
            "command": self.command,
            "started": self.started,
            "finished": self.finished,
            "seconds": self.seconds,
            "files_seen": self.seen,
            "files_new": self.new,
            "files_changed": self.changed,
            "files_deleted": self.deleted,
            "files_unchanged": self.unchanged,
            "files_rejected": self.rejected,
            "reports_ok": self.status.get("ok", 0),
            "reports_inconsistent": self.status.get("inconsistent", 0),
            "reports_partial": self.status.get("partial", 0),
            "outcome": outcome,
            "generation": self.generation,
            "message": message or self.text(),
            "parser_version": PARSER_VERSION,
        }

    @property
    def seconds(self) -> float:
        return self.finished - self.started

    def text(self) -> str:
        by_status = ", ".join(f"{n} {s}" for s, n in sorted(self.status.items())) or "none"
        work = (
            f"{self.parsed + self.rejected} read ({self.new} new, {self.changed} changed), "
            f"{self.unchanged} unchanged, {self.deleted} deleted"
        )
        outcome = (
            f"published generation {self.generation}" if self.published else "nothing changed; warehouse left as it was"
        )
        return (
            f"Run {self.run_id}: {self.seen} files seen; {work}. {self.parsed} parsed into reports, "
            f"{self.rejected} rejected. Reports in the warehouse by status: {by_status}. "
            f"{outcome}. {self.seconds:.2f} s."
        )


def new_run_id() -> str:
    return time.strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)


def build(
    raw: Path,
    warehouse: Path,
    *,
    full: bool = False,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    command: str = "build",
    started: Started | None = None,
) -> Summary:
    """Lock the warehouse, bring it up to date with the raw folder, log the run.  A failure
    leaves the previous generation serving and is logged as a failed run before it propagates.
    `started`: the files listed and being parsed already (``pool.start``, with the same raw
    folder, warehouse and jobs); the build takes them, and stops their workers when it ends."""
    raw, warehouse = raw.resolve(), warehouse.resolve()
    try:
        if not raw.is_dir():
            raise FileNotFoundError(f"raw corpus folder not found: {raw}")
        summary = Summary(new_run_id(), started.at if started is not None else time.time(), command=command)
        with WarehouseLock(warehouse):
            try:
                _build(raw, warehouse, full, workers(jobs), progress, summary, started)
            except BaseException as exc:
                summary.finished = time.time()
                runs.log(warehouse, summary.row("failed", f"{type(exc).__name__}: {exc}"))
                raise
            summary.finished = time.time()
            runs.log(warehouse, summary.row("published" if summary.published else "unchanged"))
    finally:
        if started is not None:
            started.parses.close()
    return summary


def _arrow_pool() -> None:
    """Arrow's memory in this process: jemalloc where pyarrow has it.  tidy and the writer make
    and free tens of MB of buffers for every group of reports; Arrow's default allocator
    (mimalloc) gave the pages back to the kernel and took them again, and zeroing the fresh pages
    was an eighth of this process's CPU in a cold build (jemalloc: a sixtieth).  This is
    pyarrow's pool; what Arrow's C++ allocates on its own (the Parquet writer's encoders) comes
    from its default pool, which the console script chooses (``cli._built``)."""
    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:  # a pyarrow built without it
        return
    pa.set_memory_pool(pool)


def _build(
    raw: Path,
    warehouse: Path,
    full: bool,
    jobs: int,
    progress: Callable[[int, int], None] | None,
    summary: Summary,
    started: Started | None,
) -> None:
    _arrow_pool()
    gen = current_generation(warehouse)
    files = started.files if started is not None else inputs.discover(raw)
    previous = manifest.load(gen)
    plan = manifest.plan(raw, files, previous, PARSER_VERSION, full)
    summary.seen, summary.new, summary.changed = len(files), plan.new, plan.changed
    summary.unchanged, summary.deleted = len(plan.unchanged), len(plan.deleted)
    if plan.nothing_to_do and gen is not None:
        summary.status = _status_counts(gen)
        return
    # Rows stream to the new generation's files: each parsed batch is tidied and handed to the
    # writer as it arrives, and the rows of unchanged files are copied from the current
    # generation's files when the writer closes.  Memory is bounded by the writer's buffer and
    # a few batches in flight, not by the corpus.
    first = _first_copies(previous.filter(pl.col("source_path").is_in(plan.unchanged)))
    outcomes = _Outcomes()
    with GenerationWriter(warehouse, summary.run_id) as writer:
        if gen is not None:
            for table in SCHEMAS:
                writer.carry(gen, table, plan.unchanged)
        done = 0
        for batch in _grouped(iter(_parses(raw, plan.todo, jobs, started)), TIDY_FILES):
            _reject_duplicates(batch, first)
            last = done + len(batch) == len(plan.todo)
            for table, parts in tidy(batch, PARSER_VERSION, summary.run_id).items():
                for rows in parts:
                    writer.write(table, rows, last)
            outcomes.add(batch)
            summary.parsed += sum(r.report is not None for r in batch)
            summary.rejected += sum(r.reject is not None for r in batch)
            done += len(batch)
            if progress:
                progress(done, len(plan.todo))
        new_gen = writer.close(extra={manifest.FILE: _manifest(previous, plan, outcomes)})
    summary.status = _status_counts(new_gen)
    switch(warehouse, new_gen)
    summary.published, summary.generation = True, new_gen.name


def _parses(raw: Path, todo: list[str], jobs: int, started: Started | None) -> Parses:
    """The parses of `todo`: those started before the build, where they are of these files
    (in this order, from this folder); else new ones (the started ones are stopped)."""
    if started is not None:
        if started.parses.raw == raw and started.parses.rels == todo:
            return started.parses
        started.parses.close()
    return Parses(raw, todo, jobs)


def _grouped(batches: Iterator[list[FileResult]], size: int) -> Iterator[list[FileResult]]:
    """The parsed batches joined into groups of at least `size` files (the last one smaller), in
    order: tidying 64 files at a time spent more in polars' per-query cost than in the work."""
    group: list[FileResult] = []
    for batch in batches:
        group.extend(batch)
        if len(group) >= size:
            yield group
            group = []
    if group:
        yield group


def _first_copies(kept: pl.DataFrame) -> dict[str, str]:
    """sha256 -> path of the report each kept file's bytes already are."""
    rows = kept.filter(pl.col("outcome") == "report").select("source_sha256", "source_path").iter_rows()
    return dict(rows)


def _reject_duplicates(results: list[FileResult], first: dict[str, str]) -> None:
    """Byte-identical copies share a report_id: the first path (in path order; batches arrive
    in path order) is the report, the others are rejected as duplicates naming it."""
    for r in sorted(results, key=lambda r: r.path):
        if r.report is None:
            continue
        original = first.setdefault(r.sha256, r.path)
        if original != r.path:
            r.report = None
            r.reject = Reject("parse", "duplicate", f"same bytes as {original}")


class _Outcomes:
    """What became of each file parsed, as the manifest's columns (but parser_version): made
    column by column at the end, a frame of 20,000 rows took 2 ms where one made of a tuple per
    file took 9, in the tail of the build when nothing else runs."""

    SCHEMA = {name: dtype for name, dtype in manifest.SCHEMA.items() if name != "parser_version"}

    def __init__(self) -> None:
        self.columns: dict[str, list] = {name: [] for name in self.SCHEMA}

    def add(self, results: list[FileResult]) -> None:
        path, size, mtime, sha, outcome, report = self.columns.values()
        for r in results:
            path.append(r.path)
            size.append(r.size)
            mtime.append(r.mtime_ns)
            sha.append(r.sha256)
            outcome.append("report" if r.report else f"reject:{r.reject.code}")
            report.append(r.report_id if r.report else None)


def _manifest(previous: pl.DataFrame, plan: manifest.Plan, outcomes: _Outcomes) -> pl.DataFrame:
    kept = previous.filter(pl.col("source_path").is_in(plan.unchanged))
    if plan.touched:
        touched = pl.DataFrame(
            {"source_path": list(plan.touched), "_m": list(plan.touched.values())},
            schema={"source_path": pl.String, "_m": pl.Int64},
        )
        kept = (
            kept.join(touched, on="source_path", how="left")
            .with_columns(pl.coalesce("_m", "mtime_ns").alias("mtime_ns"))
            .drop("_m")
        )
    fresh = (
        pl.DataFrame(outcomes.columns, schema=outcomes.SCHEMA)
        .with_columns(pl.lit(PARSER_VERSION).alias("parser_version"))
        .select(list(manifest.SCHEMA))
    )
    return pl.concat([kept.select(list(manifest.SCHEMA)), fresh])


def _status_counts(gen: Path) -> dict[str, int]:
    frame = pl.scan_parquet(gen / "reports" / "**" / "*.parquet", hive_partitioning=False).select("status")
    return dict(frame.group_by("status").len().collect().iter_rows())
