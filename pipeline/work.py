"""The unit of parallel work: one input file, read and parsed, in a worker process.

Kept apart from the build so that worker processes (started with spawn) import only the pure
stages — no polars, no duckdb — and the same function can run on any distributed engine.
"""

from __future__ import annotations

import gc
import hashlib
import os
import signal
import threading
import time

from pipeline.errors import Reject
from pipeline.model import FileResult
from pipeline.parse import parse_parts
from pipeline.paths import source_path
from pipeline.read import read_text


def tune_gc() -> None:
    """For a process that parses or collects parses: a parse allocates hundreds of thousands of
    short-lived objects and leaves no cycles, so the collector's default pace (a scan every 700
    allocations) costs 3.6% of the parse's instructions.  What outlives a parse is the caches'
    entries, and most of those are dropped again (a cache emptied when full) before a scan every
    200,000 finds them: 1 scan in 9,000 parses, 8.8 us a parse, against 13 scans and 19 us a
    parse for a scan every 50,000."""
    gc.set_threshold(200_000, 20, 100)


def init_worker(parent: int) -> None:
    """A parser worker's start (the pool's initializer, given the pid of the process that starts
    the pool): the collector's pace (``tune_gc``), and a watch on that process.  A pool's worker
    waits for work, and to hand back its result, on pipes no one else would close: when the
    build is killed (kill -9, the OOM killer, a timer's timeout) it would wait for ever, and a
    refresh killed every night would leave two more each night.  The watch ends the worker within
    a second of its parent's end, or at once when the parent ended before the worker started."""
    tune_gc()
    threading.Thread(target=_exit_with, args=(parent,), name="exit-with-parent", daemon=True).start()


PARENT_POLL_SECONDS = 1.0


def _exit_with(parent: int) -> None:
    """Exit the process once `parent` is no longer its parent (it ended: the process was
    re-parented)."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)


MAX_INPUT_BYTES = 128 * 2**20  # the largest report seen is under 1 MB; a PDF full of scans, 100 MB


def _read(raw_root: str, rel: str) -> tuple[bytes, FileResult]:
    """The file's bytes and the result they start; a file gone since the scan (a crawler at
    work) or locked comes back as no bytes and a reject: it costs this file, not the build.  So
    does a file too large to be a report (a dump saved among the reports), hashed but not read.
    Read with bare ``os`` calls: a Python file object (a buffer, an isatty probe) cost as much as
    the read itself."""
    try:
        fd = os.open(os.path.join(raw_root, rel), os.O_RDONLY)
        try:
            st = os.fstat(fd)
            if st.st_size > MAX_INPUT_BYTES:
                with open(fd, "rb", closefd=False) as f:
                    digest = hashlib.file_digest(f, "sha256").hexdigest()
                result = FileResult(source_path(rel), digest, st.st_size, st.st_mtime_ns)
                result.reject = Reject("read", "too_large", f"{st.st_size / 2**20:.0f} MB: no report is this large")
                return b"", result
            data = os.read(fd, st.st_size + 1)  # a regular file reads whole, or to its end
            if len(data) > st.st_size:  # grown since the stat
                data += b"".join(iter(lambda: os.read(fd, 2**20), b""))
        finally:
            os.close(fd)
    except OSError as exc:
        result = FileResult(
            source_path(rel), hashlib.sha256(b"").hexdigest(), -1, -1
        )  # -1: the next refresh reads it again
        result.reject = Reject("read", "unreadable", f"cannot read the file: {exc.strerror or exc}")
        return b"", result
    return data, FileResult(source_path(rel), hashlib.sha256(data).hexdigest(), len(data), st.st_mtime_ns)


FILE_SECONDS = 300.0  # a 100-page PDF reads in ~30 s; past this a reader is lost in a malformed file
_SHORTEST_TIMER = 1e-3  # seconds: a timer set for less (0 would clear it) is set for this


class _Timeout(BaseException):
    """Raised by the timer in the file's reader or parser; a BaseException, so that no reader's
    `except Exception` swallows it."""


class _Deadline:
    """FILE_SECONDS for each file, by SIGALRM (the parse is Python, so the signal lands between
    two of its steps).  Only in a process's main thread, where signals are delivered: elsewhere
    there is no limit.

    One timer for a batch of files, not one per file: a file's start and end only note the time
    (``begin``, ``end``).  When the timer rings it stops the file being read if that file's time
    is up, and otherwise sets itself for when it will be (or for a whole FILE_SECONDS, between
    files).  The timer never rings later than the end of the current file's time: each file still
    has exactly FILE_SECONDS.  Setting and clearing a timer around every file were two system
    calls a file; in this virtual machine they cost 2 % of a worker's CPU."""

    def __init__(self) -> None:
        self.armed = threading.current_thread() is threading.main_thread()
        self.started: float | None = None  # when the file being read began (time.monotonic)

    def _ring(self, signum: int, frame: object) -> None:
        started = self.started
        if started is None:  # between files: the next one has its whole time
            signal.setitimer(signal.ITIMER_REAL, FILE_SECONDS)
            return
        left = started + FILE_SECONDS - time.monotonic()
        if left > 0:  # set when an earlier file began: this one has time left
            signal.setitimer(signal.ITIMER_REAL, max(left, _SHORTEST_TIMER))
            return
        raise _Timeout

    def __enter__(self) -> _Deadline:
        if self.armed:
            self._previous = signal.signal(signal.SIGALRM, self._ring)
            signal.setitimer(signal.ITIMER_REAL, FILE_SECONDS)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.armed:
            self.armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous)

    def begin(self) -> None:
        """A file's time starts."""
        self.started = time.monotonic()

    def end(self) -> None:
        """The file is read: a ring from now on is for the next one."""
        self.started = None


def process(raw_root: str, rel: str, deadline: _Deadline | None = None) -> FileResult:
    """Read and parse one file; `deadline` is the batch's (one of its own without)."""
    if deadline is None:
        with _Deadline() as own:
            return process(raw_root, rel, own)
    data, result = _read(raw_root, rel)
    if result.reject is not None:
        return result
    try:
        deadline.begin()
        try:
            text, reader = read_text(os.path.basename(rel), data)
            report, parts = parse_parts(text)
        finally:
            deadline.end()
    except Reject as reject:
        result.reject = reject
        return result
    except _Timeout:
        result.reject = Reject("parse", "timeout", f"gave up after {FILE_SECONDS:g} s (a malformed file?)")
        return result
    except Exception as exc:  # a parser bug must cost one file, not the build
        result.reject = Reject("parse", "parser_error", f"{type(exc).__name__}: {exc}")
        return result
    if not any(report.sections.values()):
        result.reject = Reject(
            "parse", "no_report", "no statistical tables of a 政府信息公开工作年度报告 found in the text"
        )
        return result
    report.layout = report.layout.replace("text/", f"{reader}/", 1)
    try:
        result.pack(report, parts)
    except (ValueError, TypeError) as exc:  # a count past BIGINT, a reading that fits no keys: a parser bug,
        # kept visible as a reject
        result.reject = Reject("parse", "parser_error", str(exc))
    return result


def process_batch(raw_root: str, rels: list[str]) -> list[FileResult]:
    with _Deadline() as deadline:
        return [process(raw_root, rel, deadline) for rel in rels]


def settle(results: list[FileResult]) -> None:
    """A parser worker's step after each batch.  What outlives a batch is the caches' entries,
    and the collector scanned them again and again (in 10,000 reports, three scans of up to
    200,000 objects: 15 us a report, and more in the processor's caches it emptied).
    ``gc.freeze`` moves them out of its sight, where they are still freed when a cache drops
    them: they hold no cycles.  A batch read as text leaves no cyclic garbage either (the parse
    makes none: test_a_parse_leaves_no_garbage_for_the_cycle_collector).  One with a reject, or
    a file another reader read (PDF, HTML, DOCX), may: it is collected before the freeze."""
    if not all(r.report is not None and (r.report.layout or "").startswith("text/") for r in results):
        gc.collect()
    gc.freeze()


def crashed(raw_root: str, rel: str) -> FileResult:
    """The result for a file whose worker process died reading it (killed for memory, or a crash
    in a reader's compiled code): a reject, so one bad file cannot stop every build after it."""
    _, result = _read(raw_root, rel)
    if result.reject is None:
        result.reject = Reject(
            "parse", "worker_crashed", "the process reading this file died (out of memory or a crash in a reader)"
        )
    return result
