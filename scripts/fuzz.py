"""Longer fuzzing than the test suite: read_text + parse_text must never raise on any input
(except Reject from read_text), including damaged generated reports, web pages and Word files,
and damaged copies of the real PDFs in ../shared/corpus (PDFium's path, C++, and pdfminer's).

    python scripts/fuzz.py --seconds 300
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import Reject
from pipeline.generate import LAYOUTS, generate
from pipeline.generate_published import generate_published
from pipeline.parse import parse_text
from pipeline.read import read_text
from pipeline.template import TEMPLATES


def _read_parse(named: tuple[str, bytes]) -> None:
    name, data = named
    try:
        text, _ = read_text(name, data)
    except Reject:
        return
    parse_text(text)


REAL_PDFS = [p.read_bytes() for p in sorted((Path(__file__).resolve().parents[2] / "shared" / "corpus").glob("*.pdf"))]

inputs = st.one_of(
    st.binary(max_size=4000).map(lambda b: ("input.txt", b)),
    st.text(max_size=4000).map(lambda t: ("input.txt", t.encode("utf-8"))),
    st.tuples(
        st.integers(0, 2**32 - 1),
        st.sampled_from(LAYOUTS),
        st.sampled_from(sorted(TEMPLATES)),
        st.floats(0, 1),
        st.text(max_size=60),
        st.integers(0, 200),
    ).map(lambda a: ("input.txt", _damaged(*a))),
    st.tuples(
        st.integers(0, 2**32 - 1),
        st.sampled_from(["html", "docx"]),
        st.floats(0, 1),
        st.binary(max_size=60),
        st.integers(0, 2000),
    ).map(lambda a: (f"input.{a[1]}", _damaged_published(*a))),
    st.tuples(
        st.sampled_from(REAL_PDFS),
        st.floats(0, 1),
        st.binary(max_size=60),
        st.integers(0, 2000),
    ).map(lambda a: ("input.pdf", _spliced(*a))),
)


def _damaged(seed: int, layout: str, template: str, cut: float, junk: str, drop: int) -> bytes:
    g = generate(random.Random(seed), template, layout)
    return _spliced(g.data, cut, junk.encode("utf-8", "replace"), drop)


def _damaged_published(seed: int, kind: str, cut: float, junk: bytes, drop: int) -> bytes:
    return _spliced(generate_published(random.Random(seed), "2021", kind).data, cut, junk, drop)


def _spliced(data: bytes, cut: float, junk: bytes, drop: int) -> bytes:
    """`junk` put in at `cut` (a share of the length), `drop` bytes after it taken out."""
    at = int(len(data) * cut)
    return data[:at] + junk + data[at + drop :]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=120)
    args = ap.parse_args()
    deadline = time.monotonic() + args.seconds
    runs = 0
    while time.monotonic() < deadline:

        @settings(max_examples=200, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(inputs)
        def fuzz(named: tuple[str, bytes]) -> None:
            _read_parse(named)

        fuzz()
        runs += 200
    print(f"{runs} inputs, no crash", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
