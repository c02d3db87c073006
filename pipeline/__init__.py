"""xxgk: 政府信息公开工作年度报告 → an analytical warehouse.

Stages, one module each: read (bytes → text) → normalize → parse (text → cells with lines) →
tidy (polars frames) → publish (Parquet + DuckDB views).  ``build`` runs them over a corpus.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pipeline.compiled import stale

_STALE = stale(Path(__file__).parent.parent)
if _STALE:
    raise ImportError(
        f"{', '.join(_STALE)}: the .py changed after it was compiled, and the compiled module would run in its "
        "place: run `make env` to compile again"
    )

__version__ = "0.1.0"
DB_NAME = "warehouse.duckdb"  # in the warehouse folder: the views readers open


def parser_sources() -> list[Path]:
    """Every source file that decides what a report parses to (those of this install)."""
    here = Path(__file__).parent
    return sorted(
        [
            here / "template.py",
            here / "normalize.py",
            here / "_text.c",  # normalize.py's C twin
            here / "hanzi.py",
            here / "read.py",
            here / "identities.py",
            *here.glob("parse/*.py"),
            *here.glob("parse/*.c"),  # the C twins of Python code (parse/totals.py, parse/tokens.py)
            *here.glob("readers/*.py"),
        ]
    )


def _parser_fingerprint() -> str:
    """A hash of the parser's sources: a build reparses everything when it changes, so the
    warehouse never mixes two parsers' readings."""
    digest = hashlib.sha256()
    for f in parser_sources():
        if f.exists():
            digest.update(f.name.encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()[:10]


PARSER_VERSION = f"{__version__}+{_parser_fingerprint()}"
