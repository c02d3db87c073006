"""The parser pool's plumbing: the pipe its workers' batches come back through."""

from __future__ import annotations

import fcntl
import multiprocessing
from pathlib import Path

import pytest

from pipeline import pool


@pytest.fixture(autouse=True)
def _environment_kept(monkeypatch):
    """A pool adds glibc's huge-page tunable to this process's environment (``pool._pool``);
    taken back after each test, or processes that later tests start would inherit it."""
    monkeypatch.setenv("GLIBC_TUNABLES", "")  # set: monkeypatch gives back what was there before


MAX_PIPE = int(Path("/proc/sys/fs/pipe-max-size").read_text()) if Path("/proc/sys/fs/pipe-max-size").exists() else 0


@pytest.mark.skipif(not hasattr(fcntl, "F_GETPIPE_SZ") or MAX_PIPE < pool.RESULT_PIPE_BYTES, reason="Linux pipes only")
def test_a_workers_batch_fits_the_pipe_of_results():
    """A batch of ~430 KB goes back in one write, not in 64 KB handovers (RESULT_PIPE_BYTES)."""
    executor = pool._pool(multiprocessing.get_context("spawn"), 1)
    try:
        size = fcntl.fcntl(executor._result_queue._reader.fileno(), fcntl.F_GETPIPE_SZ)
        assert size >= pool.RESULT_PIPE_BYTES
        assert executor.submit(bytes, 600_000).result(timeout=120) == bytes(600_000)
    finally:
        executor.shutdown()


def test_a_pipe_the_system_will_not_enlarge_is_kept(monkeypatch):
    """Past the system's limit the pipe stays as it was, and the pool works as before."""

    def refuse(fd, cmd, arg=0):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(pool.fcntl, "fcntl", refuse)
    executor = pool._pool(multiprocessing.get_context("spawn"), 1)
    try:
        assert executor.submit(bytes, 100_000).result(timeout=120) == bytes(100_000)
    finally:
        executor.shutdown()
