"""A Word document (.docx) to text: paragraphs and tables in body order, tables as tab-separated rows.

Word stores a merged cell as one cell with a horizontal span (gridSpan) plus, for a vertical merge,
continuation cells below it (vMerge); a continuation is a position covered from above, as in
``grid``, so a spanned label is given once, as for HTML.  Headers and footers are not part of the body
and are left out.  python-docx (MIT) reads the package.
"""

from __future__ import annotations

import io

import docx
from docx.oxml.ns import qn
from docx.oxml.table import CT_Tbl
from docx.oxml.text.paragraph import CT_P
from lxml import etree

from pipeline.errors import Reject
from pipeline.readers.grid import Cell, grid_lines


def to_text(data: bytes) -> str:
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # a damaged package fails zipfile, zlib and python-docx in many ways
        raise _corrupt(exc) from exc
    lines: list[str] = []
    try:
        for block in document.element.body.inner_content_elements:
            if isinstance(block, CT_Tbl):
                lines.extend(grid_lines(_grid(block)))
            else:
                lines.extend(line for line in _text(block).splitlines() if line.strip())
    except (ValueError, KeyError, etree.LxmlError) as exc:  # an attribute python-docx cannot read
        raise _corrupt(exc) from exc
    if not lines:
        raise Reject("extract", "no_text", "the document has no text")
    return "\n".join(lines) + "\n"


_R, _HYPERLINK = qn("w:r"), qn("w:hyperlink")
_RUN_TEXT = frozenset(qn(f"w:{tag}") for tag in ("br", "cr", "noBreakHyphen", "ptab", "t", "tab"))


def _corrupt(exc: Exception) -> Reject:
    return Reject("extract", "corrupt_docx", f"unreadable Word document: {exc!r}"[:300])


def _text(p: CT_P) -> str:
    """A paragraph's text exactly as python-docx gives it (``Paragraph.text``: the text of its
    runs, and of the runs of its hyperlinks, each element's text as python-docx writes it), but
    without the three XPath queries per paragraph and run it makes: they took half the reading
    time.  tests/test_readers.py holds the two equal."""
    return "".join(
        _run_text(e) if e.tag == _R else "".join(_run_text(r) for r in e if r.tag == _R)
        for e in p
        if e.tag == _R or e.tag == _HYPERLINK
    )


def _run_text(r) -> str:
    return "".join(str(e) for e in r if e.tag in _RUN_TEXT)


def _grid(table: CT_Tbl) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for tr in table.tr_lst:
        row: list[Cell] = [None] * tr.grid_before
        for tc in tr.tc_lst:
            row.append(None if tc.vMerge == "continue" else "\n".join(_text(p) for p in tc.p_lst))
        rows.append(row)
    return rows
