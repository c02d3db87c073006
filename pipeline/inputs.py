"""The inputs of a build: every file under the raw root.

Apart from the manifest (which needs polars) so that a build can list its files, and start
parsing them, before it has loaded what it needs to tidy and write them.
"""

from __future__ import annotations

import os
from pathlib import Path


def discover(raw: Path) -> dict[str, os.stat_result]:
    """Every input file under the raw root (any depth), keyed by '/'-separated relative path:
    a folder's files by name, then its subfolders by name (links to folders are not followed).
    Hidden files and folders (a name starting with '.') are not inputs.  Walked with
    ``os.scandir``: building a Path per file cost more than the stat calls."""
    found: dict[str, os.stat_result] = {}

    def walk(folder: str, prefix: str) -> None:
        try:
            with os.scandir(folder) as it:
                entries = sorted((e for e in it if not e.name.startswith(".")), key=lambda e: e.name)
        except FileNotFoundError:  # removed while the tree was walked
            return
        folders = []
        for entry in entries:
            if not _is_dir(entry):
                try:
                    found[prefix + entry.name] = entry.stat()
                except OSError:
                    # a link to nothing (or to itself) is an input that cannot be read: a
                    # reject, tried again on every run; a file gone since the listing is no
                    # input at all
                    if entry.is_symlink():
                        found[prefix + entry.name] = entry.stat(follow_symlinks=False)
            elif not entry.is_symlink():
                folders.append(entry)
        for entry in folders:
            walk(entry.path, f"{prefix}{entry.name}/")

    walk(str(raw), "")
    return found


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a link to itself
        return False
