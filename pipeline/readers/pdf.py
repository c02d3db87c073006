"""PDF to text from the PDF's own text layer, with its tables rebuilt as tab-separated rows.

Plain text extraction loses what the parser needs most in a PDF: which number sits in which cell.
A printed table shows it with ruling lines, so tables are found from those lines (pdfplumber's
table finder) and every cell is read from the characters inside it: blank cells stay blank, a
label wrapped over three lines stays one cell, a value printed beside the middle of its label
stays on the label's row.  Text outside the tables is rebuilt into lines from word positions (a
wide gap becomes a tab) and merged with the tables in reading order.  Page counters and running
headers in the margins are dropped, and a table that crosses a page is joined, mending a row the
page break cut in two.

No OCR: a PDF of scanned pages has no text layer and is rejected, as are encrypted, truncated
and otherwise unreadable files.  pdfplumber (MIT) runs on pdfminer.six (MIT).
"""

from __future__ import annotations

import bisect
import io
import logging
import re
from dataclasses import dataclass, field

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfplumber.utils import extract_text
from pdfplumber.utils.exceptions import PdfminerException

from pipeline.errors import Reject
from pipeline.readers.grid import Cell, grid_lines

_MARGIN = 0.075  # share of the page height taken by header and footer bands
_GAP_TAB = 2.0  # a gap wider than this many character heights separates cells
_HANG = 12.0  # points beside a table where hanging punctuation still belongs to it
_PAGE_NUMBER = re.compile(
    r"[-—–－~\s]*(第\s*)?\d{1,4}(\s*页)?(\s*[/／,，]?\s*共\s*\d{1,4}\s*页|\s*[/／]\s*\d{1,4})?[-—–－~\s]*"
    r"|page\s*\d+(\s*(of|/)\s*\d+)?",
    re.IGNORECASE,
)
_CID = re.compile(r"\(cid:\d+\)")
_NUMERIC = re.compile(r"[\s\d.,+\-%/—－–]+(万元|元)?")
_NEW_ROW = re.compile(r"\s*([一二三四五六七八九十]+[、.]|[（(][一二三四五六七八九十]+[)）]|\d+\s*[.、．])")

# pdfminer logs every repair it makes to a damaged file; the outcome is ours to report
logging.getLogger("pdfminer").setLevel(logging.ERROR)


@dataclass
class _Item:
    """A line of text or a table, placed on its page."""

    page: int
    top: float
    bottom: float
    text: str = ""
    rows: list[list[Cell]] = field(default_factory=list)

    @property
    def is_table(self) -> bool:
        return bool(self.rows)


def to_text(data: bytes) -> str:
    if b"%%EOF" not in data[-4096:]:
        raise Reject("extract", "truncated_pdf", "the PDF ends before its end-of-file marker (cut off)")
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            pages = [_page_items(n, page) for n, page in enumerate(pdf.pages)]
            heights = [float(page.height) for page in pdf.pages]
    except Reject:
        raise
    except PdfminerException as exc:
        cause = exc.args[0] if exc.args else exc
        if isinstance(cause, PDFPasswordIncorrect | PDFEncryptionError):
            raise Reject("extract", "encrypted_pdf", "the PDF is encrypted with a password") from exc
        raise Reject("extract", "corrupt_pdf", f"unreadable PDF: {cause!r}"[:300]) from exc
    except Exception as exc:  # pdfminer fails in many ways on damaged files; none may stop a build
        raise Reject("extract", "corrupt_pdf", f"unreadable PDF: {exc!r}"[:300]) from exc
    items = _drop_margins(pages, heights)
    lines = _join_tables(items)
    text = "\n".join(lines) + "\n"
    if not text.strip():
        raise Reject("extract", "no_text_layer", "the PDF has no text layer (scanned pages?); xxgk does no OCR")
    if len(_CID.findall(text)) > len("".join(_CID.sub("", text).split())):
        raise Reject("extract", "no_text_layer", "the PDF's fonts map no characters to text (cid glyphs only)")
    return text


def _page_items(number: int, page) -> list[_Item]:
    tables = page.find_tables()
    boxes = [(x0 - _HANG, top, x1 + _HANG, bottom) for x0, top, x1, bottom in (t.bbox for t in tables)]
    items = [
        _Item(number, t.bbox[1], t.bbox[3], rows=_table_rows(t, box, page.chars))
        for t, box in zip(tables, boxes, strict=True)
    ]
    items = [i for i in items if any(any(c for c in row) for row in i.rows)]

    def outside(obj) -> bool:
        return obj.get("object_type") != "char" or not any(_inside(obj, box) for box in boxes)

    for words in _line_words(page.filter(outside).extract_words()):
        items.append(
            _Item(number, min(w["top"] for w in words), max(w["bottom"] for w in words), text=_words_line(words))
        )
    items.sort(key=lambda i: i.top)
    return items


def _inside(char: dict, box: tuple) -> bool:
    x, y = (char["x0"] + char["x1"]) / 2, (char["top"] + char["bottom"]) / 2
    return box[0] <= x < box[2] and box[1] <= y < box[3]


def _table_rows(table, box: tuple, chars: list[dict]) -> list[list[Cell]]:
    """The table's cells; text inside the table that no cell holds is given to the grid position
    it sits in.  That is the label of a merged cell left open by a page break (no ruling line
    closes it, so the table finder sees no cell), or punctuation hanging past the last column."""
    rows = table.extract()
    tops = sorted({cell[1] for cell in table.cells})
    lefts = sorted({cell[0] for cell in table.cells})
    orphans: dict[tuple[int, int], list[dict]] = {}
    for char in chars:
        if _inside(char, box) and not any(_inside(char, cell) for cell in table.cells):
            x, y = (char["x0"] + char["x1"]) / 2, (char["top"] + char["bottom"]) / 2
            r = max(bisect.bisect_right(tops, y) - 1, 0)
            c = min(max(bisect.bisect_right(lefts, x) - 1, 0), len(rows[r]) - 1)
            orphans.setdefault((r, c), []).append(char)
    for (r, c), group in orphans.items():
        text = extract_text(group)
        rows[r][c] = f"{rows[r][c]}{text}" if rows[r][c] else text
    return [_without_colspans(row, found.cells, lefts) for row, found in zip(rows, table.rows, strict=True)]


def _without_colspans(row: list[Cell], boxes: list, lefts: list[float]) -> list[Cell]:
    """Drop the positions a cell covers to its right; keep those covered from above (None)."""
    out: list[Cell] = []
    reach = float("-inf")
    for text, box, left in zip(row, boxes, lefts, strict=True):
        if box is not None:
            reach = box[2]
        elif text is None and left < reach - 1:
            continue
        out.append(text)
    return out


def _line_words(words: list[dict]) -> list[list[dict]]:
    """Words grouped into printed lines: same baseline band, left to right."""
    lines: list[list[dict]] = []
    for w in sorted(words, key=lambda w: (w["top"], w["x0"])):
        if lines:
            last = lines[-1]
            band = min(x["bottom"] - x["top"] for x in last)
            if abs(w["top"] - last[0]["top"]) <= band / 2:
                last.append(w)
                continue
        lines.append([w])
    return [sorted(line, key=lambda w: w["x0"]) for line in lines]


def _words_line(words: list[dict]) -> str:
    out = words[0]["text"]
    for prev, w in zip(words, words[1:], strict=False):
        height = w["bottom"] - w["top"]
        out += "\t" if w["x0"] - prev["x1"] > _GAP_TAB * height else " "
        out += w["text"]
    return out


def _margin_key(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def _drop_margins(pages: list[list[_Item]], heights: list[float]) -> list[_Item]:
    """Drop page counters and running headers/footers: lines in the top or bottom band of a page
    that are a page number, or that repeat (digits aside) on most pages."""

    def in_margin(item: _Item) -> bool:
        h = heights[item.page]
        return not item.is_table and (item.bottom < h * _MARGIN or item.top > h * (1 - _MARGIN))

    seen: dict[str, set[int]] = {}
    for items in pages:
        for item in filter(in_margin, items):
            seen.setdefault(_margin_key(item.text), set()).add(item.page)
    running = {k for k, p in seen.items() if len(pages) > 1 and len(p) * 2 > len(pages)}
    kept = []
    for items in pages:
        for item in items:
            if in_margin(item) and (_PAGE_NUMBER.fullmatch(item.text) or _margin_key(item.text) in running):
                continue
            kept.append(item)
    return kept


def _join_tables(items: list[_Item]) -> list[str]:
    """Lines of the document; a table continued at the top of the next page with the same
    columns is one table, and a row cut by the page break is made whole again."""
    lines: list[str] = []
    rows: list[list[Cell]] = []
    last: _Item | None = None
    for item in items:
        if (
            item.is_table
            and last is not None
            and last.is_table
            and item.page == last.page + 1
            and _width(item.rows) == _width(rows)
        ):
            rows = _mend(rows, item.rows)
        else:
            lines.extend(grid_lines(rows))
            rows = item.rows if item.is_table else []
            if not item.is_table:
                lines.append(item.text)
        last = item
    lines.extend(grid_lines(rows))
    return lines


def _width(rows: list[list[Cell]]) -> int:
    return max((len(r) for r in rows), default=0)


def _is_value(cell: Cell) -> bool:
    return bool(cell) and _NUMERIC.fullmatch(cell) is not None


def _mend(above: list[list[Cell]], below: list[list[Cell]]) -> list[list[Cell]]:
    """Join two parts of a table.  The first row below continues the last row above when it
    starts no new row (no ordinal), exactly one of the two carries the values, and no column is
    filled on both sides with a value."""
    a, b = above[-1], below[0]
    first = next((c for c in b if c), "")
    if not first or _NEW_ROW.match(first) or _has_values(a) == _has_values(b):
        return above + below
    if any(x and y and (_is_value(x) or _is_value(y)) for x, y in zip(a, b, strict=False)):
        return above + below
    merged = [y if not x else x if not y else f"{x}\n{y}" for x, y in zip(a, b, strict=False)]
    return above[:-1] + [merged] + below[1:]


def _has_values(row: list[Cell]) -> bool:
    return any(map(_is_value, row))
