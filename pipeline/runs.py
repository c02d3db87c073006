"""The run log: one row per build or refresh, kept outside the generations.

Each run appends its own small Parquet file under ``<warehouse>/runs/`` (written aside, then
renamed), so the log survives failed runs — which publish no generation — and the ``runs`` view
sees a new row without the views being rebuilt.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

SCHEMA = {
    "run_id": pl.String,
    "command": pl.String,
    "started": pl.Datetime("us", "UTC"),
    "finished": pl.Datetime("us", "UTC"),
    "seconds": pl.Float64,
    "files_seen": pl.Int64,
    "files_new": pl.Int64,
    "files_changed": pl.Int64,
    "files_deleted": pl.Int64,
    "files_unchanged": pl.Int64,
    "files_rejected": pl.Int64,
    "reports_ok": pl.Int64,
    "reports_inconsistent": pl.Int64,
    "reports_partial": pl.Int64,
    "outcome": pl.String,
    "generation": pl.String,
    "message": pl.String,
    "parser_version": pl.String,
}
DIR = "runs"


def ensure(warehouse: Path) -> Path:
    """The runs folder, with a schema-only file so the view answers before the first run."""
    folder = warehouse / DIR
    folder.mkdir(parents=True, exist_ok=True)
    empty = folder / "empty.parquet"
    if not empty.exists():
        tmp = folder / ".empty.tmp"
        pl.DataFrame(schema=SCHEMA).write_parquet(tmp)
        os.replace(tmp, empty)
    return folder


def log(warehouse: Path, row: dict) -> None:
    folder = ensure(warehouse)
    for key in ("started", "finished"):
        if isinstance(row.get(key), float):
            row[key] = pl.Series([int(row[key] * 1e6)]).cast(pl.Datetime("us", "UTC"))[0]
    frame = pl.DataFrame([{k: row.get(k) for k in SCHEMA}], schema=SCHEMA)
    tmp = folder / f".{row['run_id']}.tmp"
    frame.write_parquet(tmp)
    os.replace(tmp, folder / f"{row['run_id']}.parquet")
