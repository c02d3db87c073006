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
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, TypeVar

from pipeline.errors import Reject
from pipeline.model import FileResult, Part, Report
from pipeline.parse import _Parse, parse_batch
from pipeline.paths import source_path
from pipeline.pool import tune_gc
from pipeline.read import read_text


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
READ_AHEAD_BYTES = 32 * 2**20  # files' bytes read, decoded and parsed together, at most (or one file's)


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


T = TypeVar("T")
FILE_SECONDS = 300.0  # a 100-page PDF reads in ~30 s; past this a reader is lost in a malformed file
_SHORTEST_TIMER = 1e-3  # seconds: a timer set for less (0 would clear it) is set for this


class _Timeout(BaseException):
    """Raised by the timer in the file's reader or parser; a BaseException, so that no reader's
    `except Exception` swallows it."""


class _Steps:
    """The bookkeeping of a batch's steps, each a step of one file's work, under one timer: the
    base of ``_Deadline``, which sets its fields and owns the timer and its handler (``_arm``,
    ``_ring``).  A file's time is the sum of its steps'.  ``_steps.Steps`` is the same in C,
    where the install built it (that file says why)."""

    limit: float  # FILE_SECONDS, as the batch began
    until: float  # when the current file's time is up
    rings_at: float  # when the timer is set to ring
    armed: bool  # the timer is this object's
    file: int  # the current file's place in the batch
    started: float | None  # when the current file's step began (time.monotonic)
    spent: dict[int, float]  # each file's time in its steps so far
    places: list[int]  # the file of each text of the group being parsed (``step``)
    failed: Callable[[int, BaseException], None]  # a step's failure made that file's reject
    _arm: Callable[[float], None]  # _Deadline's: the timer set to ring in so many seconds

    def begin(self, file: int) -> None:
        """File `file` of the batch (its place) is worked on: its time runs again, from what
        its earlier steps left.  The timer is set again only where it would ring after that
        time is up (a file that spent more in its earlier steps than has passed since the timer
        was set)."""
        now = time.monotonic()
        self.until = now + self.limit - self.spent.get(file, 0.0)
        self.file = file
        self.started = now  # last: from here a ring is this file's
        if self.armed and self.until < self.rings_at:
            self._arm(self.until - now)

    def end(self) -> None:
        """The file's step is over: a ring from now on is for the next one."""
        started, self.started = self.started, None
        if started is not None:
            self.spent[self.file] = self.spent.get(self.file, 0.0) + time.monotonic() - started

    def run(self, file: int, fn: Callable[..., T], *args: object) -> T:
        """fn(*args) as a step of file `file` (``begin``, ``end``).  What it raises, and a
        timeout that lands in ``end`` itself, reach the caller."""
        try:
            self.begin(file)
            return fn(*args)
        finally:
            self.end()

    def step(self, i: int, stage: Callable[[_Parse], bool], parse: _Parse) -> bool | None:
        """``parse_batch``'s step: `stage` on text `i` of the group, a step of file
        ``places[i]``.  What it raises goes to ``failed``, and the text is dropped (None)."""
        k = self.places[i]
        try:
            return self.run(k, stage, parse)
        except BaseException as exc:
            self.failed(k, exc)
            return None


try:
    from pipeline import _steps
except ImportError:  # installed where no C compiler was: the Python alone
    _steps = None  # type: ignore[assignment]
if TYPE_CHECKING:  # the two have the same fields and methods: the type checker knows the Python
    _StepsBase = _Steps
else:
    _StepsBase = _Steps if _steps is None else _steps.Steps


class _Deadline(_StepsBase):
    """FILE_SECONDS for each file, by SIGALRM: its handler runs where the interpreter runs (a
    reader's Python, a step's end, ``_Steps``).  Only in a process's main thread, where signals
    are delivered: elsewhere there is no limit.

    One timer for a batch of files, not one per file.  A file is worked on in steps (its
    decoding, then each stage of the batch's parse), and a step's start and end only note the
    time (``begin``, ``end``): a file's time is the sum of its steps'.  When the timer rings it
    stops the file being worked on if that file's time is up, and otherwise sets itself for when
    it will be (or for a whole FILE_SECONDS, between steps).  The timer never rings later than
    the end of the current file's time: each file still has exactly FILE_SECONDS.  Setting and
    clearing a timer around every file were two system calls a file; in this virtual machine
    they cost 2 % of a worker's CPU."""

    def __init__(self) -> None:
        self.limit = FILE_SECONDS
        self.armed = threading.current_thread() is threading.main_thread()
        self.started = None
        self.until = 0.0
        self.file = -1
        self.spent = {}
        self.rings_at = 0.0

    def _arm(self, seconds: float) -> None:
        signal.setitimer(signal.ITIMER_REAL, max(seconds, _SHORTEST_TIMER))
        self.rings_at = time.monotonic() + seconds

    def _ring(self, signum: int, frame: object) -> None:
        if self.started is None:  # between steps: the next one has FILE_SECONDS at most
            self._arm(self.limit)
            return
        left = self.until - time.monotonic()
        if left > 0:  # set when an earlier step began: this one has time left
            self._arm(left)
            return
        self._arm(self.limit)  # for the files after this one
        self.started = None  # the step ends here: no later ring is its
        raise _Timeout

    def __enter__(self) -> _Deadline:
        if self.armed:
            self._previous = signal.signal(signal.SIGALRM, self._ring)
            self._arm(self.limit)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.armed:
            self.armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous)


def process(raw_root: str, rel: str) -> FileResult:
    """Read and parse one file (``process_batch`` of one)."""
    return process_batch(raw_root, [rel])[0]


def process_batch(raw_root: str, rels: list[str]) -> list[FileResult]:
    """Read and parse the files `rels`, in groups of at most READ_AHEAD_BYTES (``_read_ahead``):
    a group's files read, then each decoded, then all parsed together, stage by stage
    (``parse_batch``), then each packed.  Whatever goes wrong in a file costs that file alone: a
    reject."""
    results: list[FileResult] = []
    with _Deadline() as deadline:
        for group in _read_ahead(raw_root, rels):
            _process_group(rels, group, results, deadline)
    return results


def _process_group(
    rels: list[str], group: list[tuple[bytes, FileResult]], results: list[FileResult], deadline: _Deadline
) -> None:
    """The files of one group read ahead, decoded, parsed and packed; their results appended to
    `results` (a file's place there is its place in `rels`)."""

    def failed(k: int, exc: BaseException) -> None:
        results[k].reject = _rejected(exc)

    texts: list[str] = []
    decoded: list[tuple[int, str]] = []  # (the file's place, its reader) of each text
    for data, result in group:
        k = len(results)
        results.append(result)
        if result.reject is not None:
            continue
        try:
            text, reader = deadline.run(k, read_text, os.path.basename(rels[k]), data)
        except BaseException as exc:
            failed(k, exc)
            continue
        texts.append(text)
        decoded.append((k, reader))
    deadline.places, deadline.failed = [k for k, _ in decoded], failed
    for (k, reader), parsed in zip(decoded, parse_batch(texts, deadline.step), strict=True):
        if parsed is not None:
            _packed(results[k], *parsed, reader)


def _read_ahead(raw_root: str, rels: list[str]) -> Iterator[list[tuple[bytes, FileResult]]]:
    """The files read (``_read``), in order, in groups of READ_AHEAD_BYTES or less (or of one
    larger file): a batch's files read one after another, then decoded, took 0.98 of the time
    of each read and decoded in turn; and neither a batch of large files' bytes nor their texts
    and parses are in memory at once."""
    group: list[tuple[bytes, FileResult]] = []
    size = 0
    for rel in rels:
        data, result = _read(raw_root, rel)
        if group and size + len(data) > READ_AHEAD_BYTES:
            yield group
            group, size = [], 0
        group.append((data, result))
        size += len(data)
    if group:
        yield group


def _rejected(exc: BaseException) -> Reject:
    """The reject of a file whose reader or parser raised `exc` (re-raised where it is no
    file's fault: an interrupt, the process's exit)."""
    if isinstance(exc, Reject):
        return exc
    if isinstance(exc, _Timeout):
        return Reject("parse", "timeout", f"gave up after {FILE_SECONDS:g} s (a malformed file?)")
    if isinstance(exc, Exception):  # a parser bug must cost one file, not the build
        return Reject("parse", "parser_error", f"{type(exc).__name__}: {exc}")
    raise exc


def _packed(result: FileResult, report: Report, parts: list[Part], reader: str) -> None:
    """A parsed file's result: its report's cells and checks packed, or a reject."""
    if not any(report.sections.values()):
        result.reject = Reject(
            "parse", "no_report", "no statistical tables of a 政府信息公开工作年度报告 found in the text"
        )
        return
    report.layout = (report.layout or "").replace("text/", f"{reader}/", 1)
    try:
        result.pack(report, parts)
    except (ValueError, TypeError) as exc:  # a count past BIGINT, a reading that fits no keys: a parser bug,
        # kept visible as a reject
        result.reject = Reject("parse", "parser_error", str(exc))


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
