"""The manifest: every input of a generation and what became of it.

It lets a build do only the new work.  A file is unchanged when its size and mtime match the
manifest (no read at all); when only the mtime moved, its hash decides.  Any change of the parser
(see ``PARSER_VERSION``) makes every file changed.  The manifest is stored inside the generation
it describes, so the two can never disagree.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipeline.paths import source_path

SCHEMA = {
    "source_path": pl.String,
    "source_size": pl.Int64,
    "mtime_ns": pl.Int64,
    "source_sha256": pl.String,
    "parser_version": pl.String,
    "outcome": pl.String,
    "report_id": pl.String,
}
FILE = "manifest.parquet"
DUPLICATE = "reject:duplicate"  # re-examined on every build: the file it copies may be gone


def _sha256(path: Path) -> str | None:
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except OSError:
        return None


def load(gen: Path | None) -> pl.DataFrame:
    if gen is None or not (gen / FILE).exists():
        return pl.DataFrame(schema=SCHEMA)
    return pl.read_parquet(gen / FILE)


@dataclass
class Plan:
    """What a build has to do."""

    todo: list[str] = field(default_factory=list)  # new or changed: parse these (names on disk)
    new: int = 0
    changed: int = 0
    unchanged: list[str] = field(default_factory=list)  # keep their facts
    deleted: list[str] = field(default_factory=list)
    touched: dict[str, int] = field(default_factory=dict)  # unchanged content, new mtime

    @property
    def nothing_to_do(self) -> bool:
        return not self.todo and not self.deleted and not self.touched


def plan(raw: Path, files: dict[str, os.stat_result], previous: pl.DataFrame, parser_version: str, full: bool) -> Plan:
    """`todo` holds names on disk (to open); the other lists, paths as stored (``source_path``)."""
    p = Plan()
    known = {row[0]: row for row in previous.iter_rows()}
    listed = set()
    for rel, st in files.items():
        path = source_path(rel)
        listed.add(path)
        old = known.get(path)
        if old is None:
            p.todo.append(rel)
            p.new += 1
            continue
        _, size, mtime, sha, version, outcome, _ = old
        if full or version != parser_version or size != st.st_size or outcome == DUPLICATE:
            p.todo.append(rel)
            p.changed += 1
        elif mtime == st.st_mtime_ns:
            p.unchanged.append(path)
        elif _sha256(raw / rel) == sha:
            p.unchanged.append(path)
            p.touched[path] = st.st_mtime_ns
        else:  # changed, or gone since the scan (its reading will say so)
            p.todo.append(rel)
            p.changed += 1
    p.deleted = sorted(set(known) - listed)
    return p
