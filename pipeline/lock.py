"""One build or refresh at a time per warehouse.

An advisory ``flock`` on ``<warehouse>/.lock``: the kernel releases it when the holder dies, so a
lock left by a killed process is simply taken over.  The holder writes its PID and start time into
the file so that the one turned away can say who holds it.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

EXIT_LOCKED = 75


class LockedError(RuntimeError):
    """Another run holds the warehouse."""


class WarehouseLock:
    def __init__(self, warehouse: Path):
        self.path = warehouse / ".lock"
        self.fd: int | None = None

    def __enter__(self) -> WarehouseLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise LockedError(f"another build or refresh holds {self.path} ({holder})") from None
        os.ftruncate(fd, 0)
        started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        os.pwrite(fd, f"pid {os.getpid()}, started {started}\n".encode(), 0)
        self.fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            os.ftruncate(self.fd, 0)
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
