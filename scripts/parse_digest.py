"""Hold the parser's output still while its code changes: save what it reads from a fixed set of
reports, change the code, compare.

    python scripts/parse_digest.py save /tmp/before.pickle     # on the old code
    python scripts/parse_digest.py compare /tmp/before.pickle  # on the new: exit 1 if any differ

The set: 1,200 generated reports (seed 7, every text layout, both templates, every encoding the
generator writes), 200 generated web pages and 200 Word files, the real reports in
../shared/corpus and ../shared/seeds, and with ``--pdf N`` N generated PDFs of each kind (for a
change to the PDF reader: ``save --pdf 40`` then ``compare --pdf 40``).  What is compared for
each: every cell (value, raw text, line), every check, status, template, layout, title, agency,
year, and the text the reader gave the parser.  A speed change must leave all of it the same; a
reader or parser fix shows here what it moved.
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import random
import sys
from pathlib import Path

from pipeline.errors import Reject
from pipeline.generate import generate_many
from pipeline.generate_published import generate_published
from pipeline.parse import parse_text
from pipeline.read import read_text

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


def inputs(pdfs: int = 0) -> list[tuple[str, bytes]]:
    files = [(f"gen{i:04}.txt", g.data) for i, g in enumerate(generate_many(7, 1200))]
    rng = random.Random(7)
    for kind in ("html", "docx"):
        files += [
            (f"pub{i:04}.{kind}", generate_published(rng, ("2019", "2021")[i % 2], kind).data) for i in range(200)
        ]
    pdf_rng = random.Random("pdf:7")  # its own, so the inputs above stay the same with or without
    for kind in ("pdf_print", "pdf_word"):
        files += [
            (f"pub{i:04}.{kind}", generate_published(pdf_rng, ("2019", "2021")[i % 2], kind).data) for i in range(pdfs)
        ]
    real = sorted(p for folder in ("corpus", "seeds") for p in (SHARED / folder).glob("*") if p.is_file())
    files += [(p.name, p.read_bytes()) for p in real if p.suffix not in (".csv", ".md", ".tsv")]
    return files


# what `reading` returns for an input that was read, in order
_FIELDS = ("kind", "text", "cells", "checks", "status", "template", "layout", "title", "agency", "year", "sections")


def reading(name: str, data: bytes) -> tuple:
    """Everything the reader and parser made of one input."""
    try:
        text, kind = read_text(name, data)
    except Reject as reject:
        return ("reject", reject.stage, reject.code)
    r = parse_text(text)
    return (
        kind,
        hashlib.sha256(text.encode()).hexdigest(),
        r.facts,
        [(c.rule, c.scope, c.expected, c.actual, c.passed, c.note) for c in r.checks],
        r.status,
        r.template,
        r.layout,
        r.title,
        r.agency,
        r.year,
        r.sections,
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=["save", "compare"])
    ap.add_argument("file", type=Path)
    ap.add_argument(
        "--pdf",
        type=int,
        default=0,
        metavar="N",
        help="also N generated PDFs of each kind (Chromium prints, LibreOffice exports; a second or two each); "
        "give the same N to save and compare",
    )
    ap.add_argument(
        "--show",
        type=int,
        default=10,
        metavar="K",
        help="inputs read differently to list, each with every field that differs",
    )
    args = ap.parse_args()
    files = inputs(args.pdf)
    now = {name: reading(name, data) for name, data in files}
    if args.mode == "save":
        args.file.write_bytes(pickle.dumps(now))
        print(f"{len(now)} readings saved to {args.file}")
        return 0
    before = pickle.loads(args.file.read_bytes())
    differ = [name for name in now if before.get(name) != now[name]]
    print(f"{len(now)} inputs compared: {len(differ)} read differently")
    for name in differ[: args.show]:
        old, new = before.get(name), now[name]
        what = (
            "status/kind"
            if old is None or old[0] != new[0]
            else ", ".join(label for label, a, b in zip(_FIELDS, old, new, strict=False) if a != b)
        )
        print(f"  {name}: {what}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
