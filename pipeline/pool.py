"""The parser pool of a build: files in, parsed batches out, in path order.

Light to import, so that a build that will parse every file can start its workers on them
before it has loaded what it needs to tidy and write them (polars, Arrow, DuckDB: 0.4 s, with one
of two cores idle).  The parser itself (``pipeline.work``, 0.1 s to load) is imported only where
it runs: in the workers, or here when a build parses inline.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import itertools
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from pipeline import DB_NAME, inputs

if TYPE_CHECKING:
    from pipeline.model import FileResult

INLINE_BELOW = 64  # files; below this a process pool costs more than it saves
BATCH = 64  # files per task sent to a worker
# batches per worker submitted but not yet consumed: bounds the results waiting in memory (a
# parsed file is ~8 KB: 2,048 files, ~16 MB), and must cover the main process's tidy and write of
# a group of files, or the workers sit idle meanwhile (at 2 a build left 1.6 core-seconds of 20
# idle in 20,000 reports; at 16, 0.4)
IN_FLIGHT = 16


def tune_gc() -> None:
    """For a process that parses or collects parses: a parse allocates hundreds of thousands of
    short-lived objects and leaves no cycles, so the collector's default pace (a scan every 700
    allocations) costs 3.6% of the parse's instructions.  What outlives a parse is the caches'
    entries, and most of those are dropped again (a cache emptied when full) before a scan every
    200,000 finds them: 1 scan in 9,000 parses, 8.8 us a parse, against 13 scans and 19 us a
    parse for a scan every 50,000.  Here, not beside the parser: the process that collects the
    parses would load the whole parser for it (26 ms of its CPU)."""
    gc.set_threshold(200_000, 20, 100)


class Parses:
    """The parsed batches of `rels` (names on disk), in path order, read by a spawn pool (inline
    for small inputs or one job).  The pool starts, and the first batches are submitted, when
    the object is made; iterating yields the batches and keeps at most IN_FLIGHT batches per
    worker submitted ahead of the one being consumed, so results do not pile up in memory when
    the consumer is slower than the workers.  A worker that dies (killed for memory, a crash in
    a reader's compiled code) breaks the pool: its batch is re-read one file at a time to find
    the file that kills it, and a new pool takes the rest.  Iterate once; ``close`` (also at the
    end of the iteration) stops the workers.  `pool`: workers started already (``spawned``),
    taken where a pool is wanted, else stopped."""

    def __init__(self, raw: Path, rels: list[str], jobs: int, pool: ProcessPoolExecutor | None = None) -> None:
        self.raw, self.rels, self._jobs = raw, rels, jobs
        self._batches = [rels[i : i + BATCH] for i in range(0, len(rels), BATCH)]
        self._pool: ProcessPoolExecutor | None = None
        self._pending: deque[tuple[list[str], Future[list[FileResult]]]] = deque()
        self._ctx = multiprocessing.get_context("spawn")
        if jobs > 1 and len(rels) >= INLINE_BELOW:
            self._pool = pool or _pool(self._ctx, jobs)
            self._todo = iter(self._batches)
            for batch in itertools.islice(self._todo, IN_FLIGHT * jobs):
                self._submit(batch)
        elif pool is not None:
            pool.shutdown(cancel_futures=True)

    def _submit(self, batch: list[str]) -> None:
        assert self._pool is not None
        self._pending.append((batch, self._pool.submit(_parse_batch, str(self.raw), batch)))

    def __iter__(self) -> Iterator[list[FileResult]]:
        if self._pool is None:
            from pipeline.work import process_batch

            for batch in self._batches:
                yield process_batch(str(self.raw), batch)
            return
        try:
            while self._pending:
                batch, future = self._pending.popleft()
                try:
                    result = future.result()
                except BrokenProcessPool:
                    self._pool.shutdown(cancel_futures=True)
                    result = _isolate(self._ctx, self.raw, batch)
                    self._pool = _pool(self._ctx, self._jobs)
                    waiting, self._pending = self._pending, deque()
                    for b, _ in waiting:
                        self._submit(b)
                nxt = next(self._todo, None)
                if nxt is not None:
                    self._submit(nxt)
                yield result
        finally:
            self.close()

    def close(self) -> None:
        """Stop the workers; batches submitted and not started are dropped."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
        self._pending.clear()


class Started(NamedTuple):
    """A build's files, listed and being parsed before the build itself began."""

    files: dict[str, os.stat_result]
    parses: Parses
    at: float  # when the listing began (time.time()): the run's start


def workers(jobs: int | None) -> int:
    """The parser processes a build runs: `jobs`, or one per CPU."""
    return jobs or os.cpu_count() or 1


def start(raw: Path, warehouse: Path, full: bool, jobs: int | None) -> Started | None:
    """List `raw` and start parsing every file, where the build will parse every file: a full
    build, or the first one (no warehouse.duckdb).  None otherwise: which files an incremental
    build parses takes the manifest to know.  The caller hands the result to ``build.build``,
    which checks that its plan is these files in this order, and stops the workers otherwise.
    Where the folder cannot be listed or the workers not started, None too: the build then
    tries again itself, and fails as it would have, logged as a failed run."""
    raw, warehouse = raw.resolve(), warehouse.resolve()
    if not (full or not (warehouse / DB_NAME).exists()) or not raw.is_dir():
        return None
    at = time.time()
    n = workers(jobs)
    # the workers start (and load the parser, 0.07 s) while the folder is listed (0.05 s for
    # 20,000 files)
    early = spawned(n) if n > 1 else None
    try:
        files = inputs.discover(raw)
        return Started(files, Parses(raw, list(files), n, early), at)
    except OSError:
        if early is not None:
            early.shutdown(cancel_futures=True)
        return None


def spawned(jobs: int) -> ProcessPoolExecutor:
    """A pool of `jobs` parser workers (``_pool``), each started now: a pool starts a worker only
    when a task is submitted to it and no worker is idle, so each is given an empty task."""
    pool = _pool(multiprocessing.get_context("spawn"), jobs)
    for _ in range(jobs):
        pool.submit(_ready)
    return pool


def _ready() -> None:
    """A worker's first task: none (``spawned``); its initializer has loaded the parser."""


def _parse_batch(raw_root: str, rels: list[str]) -> list[FileResult]:
    """A worker's task: ``work.process_batch``, then ``work.settle``."""
    from pipeline.work import process_batch, settle

    results = process_batch(raw_root, rels)
    settle(results)
    return results


def _init_worker(parent: int) -> None:
    """``work.init_worker``, the parser's objects on huge pages first (``_arenas`` says why)."""
    try:
        from pipeline import _arenas
    except ImportError:  # installed where no C compiler was: pymalloc's own arenas
        pass
    else:
        _arenas.install()
    from pipeline.work import init_worker

    init_worker(parent)


# glibc's malloc in the workers advises its memory for huge pages too (the report's text, lists
# of tokens, the caches' tables: what pymalloc leaves to it); read by glibc as a process starts
HUGE_MALLOC = "glibc.malloc.hugetlb=1"


def _pool(ctx: BaseContext, workers: int) -> ProcessPoolExecutor:
    """A pool of parser workers that end with this process (``work.init_worker``), whose
    memory is on huge pages where the kernel has them (``HUGE_MALLOC``, ``_arenas``).  The
    workers inherit this process's environment: ``HUGE_MALLOC`` is added to its GLIBC_TUNABLES
    (where that does not set the tunable already), which only processes started after it read."""
    tunables = os.environ.get("GLIBC_TUNABLES", "")
    if HUGE_MALLOC.split("=")[0] not in tunables:
        os.environ["GLIBC_TUNABLES"] = f"{tunables}:{HUGE_MALLOC}" if tunables else HUGE_MALLOC
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(os.getpid(),))
    _roomy_results(pool)
    return pool


# A worker's batch comes back whole through the pool's one pipe of results (64 files: ~430 KB
# pickled).  Through Linux's pipe of 64 KB it went in seven handovers: the worker blocked on its
# write until the main process's reader thread, which needs the interpreter's lock, read the
# last piece, and both workers could be waiting so while the main process waited for them.  At
# 1 MB (Linux's limit for a process without privileges) a cold build of 20,000 reports left
# 0.02-0.10 core-seconds idle between its first 0.3 s and last 0.5 s, not 0.20-0.34 (four
# interleaved pairs: 4.38/4.36/3.97/3.92 -> 4.06/4.03/3.85/3.78 s).
RESULT_PIPE_BYTES = 1 << 20


def _roomy_results(pool: ProcessPoolExecutor) -> None:
    """The pool's pipe of results enlarged to RESULT_PIPE_BYTES where the system allows it (a
    matter of speed only: elsewhere the pipe stays as it is)."""
    reader = getattr(getattr(pool, "_result_queue", None), "_reader", None)  # the executor's own
    setting = getattr(fcntl, "F_SETPIPE_SZ", None)  # Linux only
    if reader is None or setting is None:
        return
    with contextlib.suppress(OSError):  # past the system's limit (/proc/sys/fs/pipe-max-size)
        fcntl.fcntl(reader.fileno(), setting, RESULT_PIPE_BYTES)


def _isolate(ctx: BaseContext, raw: Path, batch: list[str]) -> list[FileResult]:
    """The batch a dead worker was reading, one file at a time in a pool of its own: a file
    whose worker dies again is rejected as parse/worker_crashed."""
    from pipeline.work import crashed, process

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
