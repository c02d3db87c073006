"""Build: discover inputs, parse what is new or changed in a process pool, tidy, publish.

Incremental by default: the manifest of the current generation says which files are unchanged,
and their facts are carried into the new generation as they were (with the run id of the run that
parsed them).  Nothing changed → nothing is written.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing.context import BaseContext
from pathlib import Path

import polars as pl
import pyarrow as pa

from pipeline import PARSER_VERSION, manifest, runs
from pipeline.errors import Reject
from pipeline.lock import WarehouseLock
from pipeline.model import FileResult
from pipeline.publish import GenerationWriter, current_generation, switch
from pipeline.tidy import SCHEMAS, tidy
from pipeline.work import crashed, init_worker, process, process_batch

INLINE_BELOW = 64  # files; below this a process pool costs more than it saves
BATCH = 64  # files per task sent to a worker
# batches per worker submitted but not yet consumed: bounds the results waiting in memory (a
# parsed file is ~8 KB: 2,048 files, ~16 MB), and must cover the main process's tidy and write of
# a group of TIDY_FILES, or the workers sit idle meanwhile (at 2 a build left 1.6 core-seconds of
# 20 idle in 20,000 reports; at 16, 0.4)
IN_FLIGHT = 16
TIDY_FILES = 512  # files tidied at once: each Arrow compute call tidy makes has a cost of its own


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


def parse_files(raw: Path, rels: list[str], jobs: int) -> Iterator[list[FileResult]]:
    """Yield parsed batches in path order (inline for small inputs, else a spawn pool).  At most
    IN_FLIGHT batches per worker are submitted ahead of the one being consumed, so results do
    not pile up in memory when the consumer is slower than the workers.  A worker that dies
    (killed for memory, a crash in a reader's compiled code) breaks the pool: its batch is
    re-read one file at a time to find the file that kills it, and a new pool takes the rest."""
    batches = [rels[i : i + BATCH] for i in range(0, len(rels), BATCH)]
    if jobs <= 1 or len(rels) < INLINE_BELOW:
        for batch in batches:
            yield process_batch(str(raw), batch)
        return
    ctx = multiprocessing.get_context("spawn")
    todo = iter(batches)
    pool = _pool(ctx, jobs)
    pending: deque[tuple[list[str], Future[list[FileResult]]]] = deque()
    try:
        for batch in todo:
            pending.append((batch, pool.submit(process_batch, str(raw), batch)))
            if len(pending) >= IN_FLIGHT * jobs:
                break
        while pending:
            batch, future = pending.popleft()
            try:
                result = future.result()
            except BrokenProcessPool:
                pool.shutdown(cancel_futures=True)
                result = _isolate(ctx, raw, batch)
                pool = _pool(ctx, jobs)
                pending = deque((b, pool.submit(process_batch, str(raw), b)) for b, _ in pending)
            nxt = next(todo, None)
            if nxt is not None:
                pending.append((nxt, pool.submit(process_batch, str(raw), nxt)))
            yield result
    finally:
        pool.shutdown(cancel_futures=True)


def _pool(ctx: BaseContext, workers: int) -> ProcessPoolExecutor:
    """A pool of parser workers that end with this process (``work.init_worker``)."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=init_worker, initargs=(os.getpid(),))


def _isolate(ctx: BaseContext, raw: Path, batch: list[str]) -> list[FileResult]:
    """The batch a dead worker was reading, one file at a time in a pool of its own: a file
    whose worker dies again is rejected as parse/worker_crashed."""
    out: list[FileResult] = []
    pool: ProcessPoolExecutor | None = None
    try:
        for rel in batch:
            pool = pool or _pool(ctx, 1)
            try:
                out.append(pool.submit(process, str(raw), rel).result())
            except BrokenProcessPool:
                pool.shutdown()
                pool = None
                out.append(crashed(str(raw), rel))
    finally:
        if pool is not None:
            pool.shutdown()
    return out


def build(
    raw: Path,
    warehouse: Path,
    *,
    full: bool = False,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    command: str = "build",
) -> Summary:
    """Lock the warehouse, bring it up to date with the raw folder, log the run.  A failure
    leaves the previous generation serving and is logged as a failed run before it propagates."""
    raw, warehouse = raw.resolve(), warehouse.resolve()
    if not raw.is_dir():
        raise FileNotFoundError(f"raw corpus folder not found: {raw}")
    summary = Summary(new_run_id(), time.time(), command=command)
    with WarehouseLock(warehouse):
        try:
            _build(raw, warehouse, full, jobs or os.cpu_count() or 1, progress, summary)
        except BaseException as exc:
            summary.finished = time.time()
            runs.log(warehouse, summary.row("failed", f"{type(exc).__name__}: {exc}"))
            raise
        summary.finished = time.time()
        runs.log(warehouse, summary.row("published" if summary.published else "unchanged"))
    return summary


def _arrow_pool() -> None:
    """Arrow's memory in this process: jemalloc where pyarrow has it.  tidy and the writer make
    and free tens of MB of buffers for every group of reports; Arrow's default allocator
    (mimalloc) gave the pages back to the kernel and took them again, and zeroing the fresh pages
    was an eighth of this process's CPU in a cold build (jemalloc: a sixtieth)."""
    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:  # a pyarrow built without it
        return
    pa.set_memory_pool(pool)


def _build(
    raw: Path, warehouse: Path, full: bool, jobs: int, progress: Callable[[int, int], None] | None, summary: Summary
) -> None:
    _arrow_pool()
    gen = current_generation(warehouse)
    files = manifest.discover(raw)
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
    outcomes: list[tuple[str, int, int, str, str, str | None]] = []
    with GenerationWriter(warehouse, summary.run_id) as writer:
        if gen is not None:
            for table in SCHEMAS:
                writer.carry(gen, table, plan.unchanged)
        done = 0
        for batch in _grouped(parse_files(raw, plan.todo, jobs), TIDY_FILES):
            _reject_duplicates(batch, first)
            for table, parts in tidy(batch, PARSER_VERSION, summary.run_id).items():
                for rows in parts:
                    writer.write(table, rows)
            for r in batch:
                outcomes.append(
                    (
                        r.path,
                        r.size,
                        r.mtime_ns,
                        r.sha256,
                        "report" if r.report else f"reject:{r.reject.code}",
                        r.report_id if r.report else None,
                    )
                )
            summary.parsed += sum(r.report is not None for r in batch)
            summary.rejected += sum(r.reject is not None for r in batch)
            done += len(batch)
            if progress:
                progress(done, len(plan.todo))
        new_gen = writer.close(extra={manifest.FILE: _manifest(previous, plan, outcomes)})
    summary.status = _status_counts(new_gen)
    switch(warehouse, new_gen)
    summary.published, summary.generation = True, new_gen.name


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


def _manifest(
    previous: pl.DataFrame, plan: manifest.Plan, outcomes: list[tuple[str, int, int, str, str, str | None]]
) -> pl.DataFrame:
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
        pl.DataFrame(
            outcomes,
            schema={k: v for k, v in manifest.SCHEMA.items() if k != "parser_version"},
            orient="row",
        )
        .with_columns(pl.lit(PARSER_VERSION).alias("parser_version"))
        .select(list(manifest.SCHEMA))
    )
    return pl.concat([kept.select(list(manifest.SCHEMA)), fresh])


def _status_counts(gen: Path) -> dict[str, int]:
    frame = pl.scan_parquet(gen / "reports" / "**" / "*.parquet", hive_partitioning=False).select("status")
    return dict(frame.group_by("status").len().collect().iter_rows())
