"""A Word document (.docx) to text: paragraphs and tables in body order, tables as tab-separated rows.

Word stores a merged cell as one cell with a horizontal span (gridSpan) plus, for a vertical merge,
continuation cells below it (vMerge); a continuation is a position covered from above, as in
``grid``, so a spanned label is given once, as for HTML.  Headers and footers are not part of the body
and are left out.  python-docx (MIT) reads the package.
"""

from __future__ import annotations

import io
import zipfile

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table, _Cell
from lxml import etree

from pipeline.errors import Reject
from pipeline.readers.grid import Cell, grid_lines


def to_text(data: bytes) -> str:
    try:
        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                lines.extend(grid_lines(_grid(block)))
            else:
                lines.extend(line for line in block.text.splitlines() if line.strip())
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError, etree.LxmlError) as exc:
        raise Reject("extract", "corrupt_docx", f"unreadable Word document: {exc!r}"[:300]) from exc
    if not lines:
        raise Reject("extract", "no_text", "the document has no text")
    return "\n".join(lines) + "\n"


def _grid(table: Table) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for tr in table._tbl.tr_lst:
        row: list[Cell] = [None] * tr.grid_before
        for tc in tr.tc_lst:
            row.append(None if tc.vMerge == "continue" else _Cell(tc, table).text)
        rows.append(row)
    return rows
