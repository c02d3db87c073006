"""A Word document (.docx) to text: paragraphs and tables in body order, tables as tab-separated rows.

Word stores a merged cell as one cell with a horizontal span (gridSpan) plus, for a vertical merge,
continuation cells below it (vMerge); a continuation is a position covered from above, as in
``grid``, so a spanned label is given once, as for HTML.  Headers and footers are not part of the body
and are left out.  python-docx (MIT) reads the package; only the main document part is parsed.
"""

from __future__ import annotations

import io

from docx.opc.constants import CONTENT_TYPE, RELATIONSHIP_TYPE
from docx.opc.packuri import PACKAGE_URI
from docx.opc.phys_pkg import PhysPkgReader
from docx.opc.pkgreader import _ContentTypeMap, _SerializedRelationships
from docx.oxml.document import CT_Document
from docx.oxml.ns import nsmap, qn
from docx.oxml.parser import parse_xml
from docx.oxml.table import CT_Tbl
from docx.oxml.text.paragraph import CT_P
from lxml import etree

from pipeline.errors import Reject
from pipeline.readers.grid import Cell, grid_lines


def to_text(data: bytes) -> str:
    try:
        document = _main_document(data)
    except Exception as exc:  # a damaged package fails zipfile, zlib and python-docx in many ways
        raise _corrupt(exc) from exc
    lines: list[str] = []
    try:
        for block in document.body.inner_content_elements:
            if isinstance(block, CT_Tbl):
                lines.extend(grid_lines(_grid(block)))
            else:
                lines.extend(line for line in _text(block).splitlines() if line.strip())
    except (ValueError, KeyError, etree.LxmlError) as exc:  # an attribute python-docx cannot read
        raise _corrupt(exc) from exc
    if not lines:
        raise Reject("extract", "no_text", "the document has no text")
    return "\n".join(lines) + "\n"


def _main_document(data: bytes) -> CT_Document:
    """The main document part's XML, as ``docx.Document(...).element`` gives it (same part, same
    content-type check, same element classes), without reading and parsing every other part as
    python-docx does on opening: styles alone (hundreds of KB in a document Word saves) took more
    than half of the reading time.  tests/test_readers.py holds the two equal."""
    package = PhysPkgReader(io.BytesIO(data))
    main = next(
        srel.target_partname
        for srel in _SerializedRelationships.load_from_xml(PACKAGE_URI.baseURI, package.rels_xml_for(PACKAGE_URI))
        if srel.reltype == RELATIONSHIP_TYPE.OFFICE_DOCUMENT and not srel.is_external
    )
    content_type = _ContentTypeMap.from_xml(package.content_types_xml)[main]
    if content_type != CONTENT_TYPE.WML_DOCUMENT_MAIN:
        raise ValueError(f"not a Word document: its main part is {content_type}")
    return parse_xml(package.blob_for(main))


_TR, _TC, _P = qn("w:tr"), qn("w:tc"), qn("w:p")
# cells continuing a vertical merge, as python-docx's ``tc.vMerge == "continue"`` (a w:vMerge with
# no w:val continues) but in one query: python-docx's properties took a third of the reading time
_CONTINUED = etree.XPath(
    "w:tr/w:tc[w:tcPr[1]/w:vMerge[1][not(@w:val) or @w:val='continue']]", namespaces={"w": nsmap["w"]}
)
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
    continued = set(_CONTINUED(table))  # proxies stay alive in the set, so `in` finds them
    rows: list[list[Cell]] = []
    for tr in table.iterchildren(_TR):
        row: list[Cell] = [None] * tr.grid_before
        for tc in tr.iterchildren(_TC):
            row.append(None if tc in continued else "\n".join(_text(p) for p in tc.iterchildren(_P)))
        rows.append(row)
    return rows
