"""The path a file is known by in the warehouse (`source_path`), from the name it has on disk.

Names are bytes on Linux; Python hands over the ones that are not UTF-8 with the bad bytes as
surrogates, which no Parquet string can hold.  Chinese agencies' files often come out of zip
archives made on Windows, whose names are GBK: those are stored decoded, and any other byte that
is not text is stored as ``\\xNN``.  The mapping depends on the name alone, so the same file is
known by the same path on every run, and only the opening of a file uses the name on disk.
"""

from __future__ import annotations

import os


def source_path(rel: str) -> str:
    """`rel` ('/'-separated, as listed) as stored; the same string for every UTF-8 name."""
    try:
        rel.encode("utf-8")
        return rel
    except UnicodeEncodeError:
        return "/".join(_segment(part) for part in rel.split("/"))


def _segment(name: str) -> str:
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        raw = os.fsencode(name)
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "backslashreplace")
