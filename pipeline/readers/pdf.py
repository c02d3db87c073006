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
and otherwise unreadable files.  pdfplumber (MIT) runs on pdfminer.six (MIT); pypdfium2
(Apache-2.0 or BSD-3-Clause) binds PDFium, pikepdf (MPL-2.0) binds qpdf.

The characters and ruling lines come from PDFium (C++) where it reads a page as pdfminer would,
and from pdfminer (pure Python, several times slower) where it may not: a font whose program is
not embedded, a character with no text, a text object left out that shows ink
(``pdf_objects``).  The choice is per file, and the text is meant to be the same either way
(on 242 PDFs, normalised, it is: see the README).
"""

from __future__ import annotations

import bisect
import io
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfplumber.utils import extract_text
from pdfplumber.utils.exceptions import PdfminerException

from pipeline.errors import Reject
from pipeline.normalize import canon, normalize_line
from pipeline.readers import pdf_objects, pdf_tables
from pipeline.readers.grid import Cell, grid_lines
from pipeline.template import (
    APPEAL_OUTCOMES,
    APPEAL_PROCEEDINGS,
    APPLICANT_TYPES,
    NA_CELLS,
    SECTION_AFTER_APPEALS,
    SECTION_APPEALS,
    SECTION_REQUESTS,
    TEMPLATES,
)

_MARGIN = 0.075  # share of the page height taken by header and footer bands
_GAP_TAB = 2.0  # a gap wider than this many character heights separates cells
_TIE = 0.01  # points: a gap this near a threshold is a tie, read as wider (not by float noise)
_HANG = 12.0  # points beside a table where hanging punctuation still belongs to it
_OF_NUMBERS = frozenset(".,+-")  # a number's decimal point, thousands separator and sign: never hanging
_MIN_RULE = 3.0  # points: shorter strokes are no table rules (underlines of a glyph, dots)
_CLOSED = 3.0  # points: a horizontal rule this near a vertical rule's end closes it
_SAME_EDGE = 1.0  # points: the middles of two cells this near are in one column
_PAGE_NUMBER = re.compile(
    r"[-—–－~\s]*(第\s*)?\d{1,4}(\s*页)?(\s*[/／,，]?\s*共\s*\d{1,4}\s*页|\s*[/／]\s*\d{1,4})?[-—–－~\s]*"
    r"|page\s*\d+(\s*(of|/)\s*\d+)?",
    re.IGNORECASE,
)
_CID = re.compile(r"\(cid:\d+\)")
_NUMERIC = re.compile(r"[\s\d.,+\-%/—－–]+(万元|元)?")
# an ordinal, or an article heading over a section 二 table ("第二十条第（六）项")
_NEW_ROW = re.compile(
    r"\s*([一二三四五六七八九十]+[、.]|[（(][一二三四五六七八九十]+[)）]|\d+\s*[.、．]|第[一二三四五六七八九十]+条)"
)
# section 二's row labels, which have no ordinal, and their variants: a cell that starts with one
# starts a row of its own.  A key found inside its label past the start ("对外管理服务" of
# 其他对外管理服务事项) is no start; section 三's rows start with ordinals.
_LABEL_STARTS = tuple(
    sorted(
        {
            key
            for t in TEMPLATES.values()
            for item in t.proactive
            for key in item.keys
            if canon(item.label).find(key) in (-1, 0)
        }
    )
)

# the headers of section 二's value columns ("本年制发件数", "本年收费金额（单位：万元）")
_METRIC_HEADERS = tuple(
    sorted({canon(h) for t in TEMPLATES.values() for h in (*t.metric_headers, *t.metric_labels.values())})
)
# the headers over the value columns of sections 三 and 四, left to right, by the headings that
# open the sections; the headings that end section 四
_APPLICANT_COLUMNS = tuple(canon(label) for _, label in APPLICANT_TYPES)
_COLUMN_HEADERS = (
    (tuple(map(canon, SECTION_REQUESTS)), _APPLICANT_COLUMNS),
    (
        tuple(map(canon, SECTION_APPEALS)),
        tuple(canon(label) for _ in APPEAL_PROCEEDINGS for _, label in APPEAL_OUTCOMES),
    ),
)
_MARK_CELLS = frozenset(c for c in NA_CELLS if not c.isalnum())  # not 无: it begins labels
_SECTION_ENDS = tuple(canon(h) for h in SECTION_AFTER_APPEALS if len(h) > 1)
# a label's first words: an ordinal, whole or cut by the line's end ("（三" over "）不")
_OPENS_LABEL = re.compile(r"\s*([（(]\s*[一二三四五六七八九十\d]|[一二三四五六七八九十]+\s*[、.．]|\d+\s*[.、．])")
_PLAIN_NUMBER = re.compile(r"[+\-＋－]?(\d{1,3}(,\d{3})+(\.\d+)?|\d+(\.\d+)?)")  # a change is signed

# pdfminer logs every repair it makes to a damaged file; the outcome is ours to report
logging.getLogger("pdfminer").setLevel(logging.ERROR)


_Span = tuple[float, float] | None  # a cell's left and right edge; None where covered from above


@dataclass
class _Item:
    """A line of text or a table, placed on its page."""

    page: int
    top: float
    bottom: float
    text: str = ""
    words: list[dict] = field(default_factory=list)  # a line's words, left to right
    rows: list[list[Cell]] = field(default_factory=list)
    spans: list[list[_Span]] = field(default_factory=list)  # each cell's left and right edge
    cut_above: bool = False  # the first row is open at the top of the page (a page break cut it)
    cut_below: bool = False  # the last row is open at the foot of the page

    @property
    def is_table(self) -> bool:
        return bool(self.rows)


def to_text(data: bytes) -> str:
    if b"%%EOF" not in data[-4096:]:
        raise Reject("extract", "truncated_pdf", "the PDF ends before its end-of-file marker (cut off)")
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            fast = pdf_objects.document_objects(data, pdf.pages)
            for page, objects in zip(pdf.pages, fast or (), strict=False):
                page._objects = objects  # pdfplumber's cache, filled by pdfminer where it is empty
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
    _place_under_headers(items)
    _place_in_columns(items)
    lines = _join_tables(items)
    text = "\n".join(lines) + "\n"
    if not text.strip():
        raise Reject("extract", "no_text_layer", "the PDF has no text layer (scanned pages?); xxgk does no OCR")
    if len(_CID.findall(text)) > len("".join(_CID.sub("", text).split())):
        raise Reject("extract", "no_text_layer", "the PDF's fonts map no characters to text (cid glyphs only)")
    return text


def _page_items(number: int, page) -> list[_Item]:
    closers = _open_row_closers(page.edges)
    tables = pdf_tables.find_tables(page, {"explicit_horizontal_lines": closers} if closers else None)
    boxes = [t.bbox for t in tables]
    closed_by = [c["top"] for c in closers]
    chars = _Bands(page.chars) if tables else None
    items = [
        _Item(
            number,
            t.bbox[1],
            t.bbox[3],
            **_table_rows(t, chars),
            cut_above=any(abs(y - t.bbox[1]) <= _CLOSED for y in closed_by),
            cut_below=any(abs(y - t.bbox[3]) <= _CLOSED for y in closed_by),
        )
        for t in tables
    ]
    items = [i for i in items if any(any(c for c in row) for row in i.rows)]
    in_tables = {id(c) for box in boxes for c in chars.between(box[1], box[3]) if _in_table(c, box)} if chars else set()

    def outside(obj) -> bool:
        return obj.get("object_type") != "char" or id(obj) not in in_tables

    for words in _line_words(page.filter(outside).extract_words()):
        items.append(
            _Item(
                number,
                min(w["top"] for w in words),
                max(w["bottom"] for w in words),
                text=_words_line(words),
                words=words,
            )
        )
    items.sort(key=lambda i: i.top)
    return items


def _open_row_closers(edges: list[dict]) -> list[dict]:
    """Ruling lines that close the rows a page break left open.  A browser prints a table row
    cut by the page break without a bottom border on the page it starts on, and without a top
    border on the page it ends on; the table finder sees no cell there, so the row's label and
    values would be read as loose text, apart from each other.  Where two or more vertical rules
    end at one height with no horizontal rule there, a rule between the outermost of them is
    added: the open row becomes cells, and ``_mend`` joins its two halves."""
    vertical = [e for e in edges if e["orientation"] == "v" and e["height"] >= _MIN_RULE]
    horizontal = sorted(
        (e["top"], e["x0"], e["x1"]) for e in edges if e["orientation"] == "h" and e["width"] >= _MIN_RULE
    )
    heights = [h[0] for h in horizontal]
    open_ends: dict[float, list[float]] = {}
    for e in vertical:
        x = e["x0"]
        for y in (e["top"], e["bottom"]):
            near = horizontal[bisect.bisect_left(heights, y - _CLOSED) : bisect.bisect_right(heights, y + _CLOSED)]
            if not any(x0 - _CLOSED <= x <= x1 + _CLOSED for _, x0, x1 in near):
                level = next((k for k in open_ends if abs(k - y) <= _CLOSED), y)
                open_ends.setdefault(level, []).append(x)
    return [
        {
            "object_type": "line",
            "x0": min(xs),
            "x1": max(xs),
            "top": y,
            "bottom": y,
            "width": max(xs) - min(xs),
            "height": 0,
        }
        for y, xs in open_ends.items()
        if len(set(xs)) >= 2
    ]


def _inside(char: dict, box: tuple) -> bool:
    x, y = (char["x0"] + char["x1"]) / 2, (char["top"] + char["bottom"]) / 2
    return box[0] <= x < box[2] and box[1] <= y < box[3]


def _in_table(char: dict, box: tuple) -> bool:
    """Inside the table's box, or punctuation hanging just past its sides.  Only punctuation:
    a number printed beside a table whose far rules the finder missed is no part of it (its
    first digit was once read into the row's label), nor is its decimal point, its thousands
    separator or its sign ("2.4" beside a table of labels was read "2 4", the "." hung on the
    label)."""
    if _inside(char, box):
        return True
    text = char["text"]
    return (
        not text.isalnum()
        and text not in _OF_NUMBERS
        and _inside(char, (box[0] - _HANG, box[1], box[2] + _HANG, box[3]))
    )


class _Bands:
    """A page's characters by the height of their middle, which decides the row they are read
    into (as in pdfplumber's ``Table.extract``: middle at or below a box's top and above its
    bottom): the characters of a band of the page are found by bisection, not by testing every
    character of the page against every row of every table."""

    def __init__(self, chars: list[dict]) -> None:
        self.chars = chars
        middles = [(c["top"] + c["bottom"]) / 2 for c in chars]
        self.order = sorted(range(len(chars)), key=middles.__getitem__)
        self.middles = [middles[k] for k in self.order]

    def between(self, top: float, bottom: float) -> list[dict]:
        """The characters whose middle is at or below `top` and above `bottom`, in page order."""
        lo, hi = bisect.bisect_left(self.middles, top), bisect.bisect_left(self.middles, bottom)
        return [self.chars[k] for k in sorted(self.order[lo:hi])]


def _extract(rows: list, chars: _Bands) -> list[list[Cell]]:
    """pdfplumber's ``Table.extract()`` of a table's `rows`, the same text, with a row's
    characters found by band."""
    out: list[list[Cell]] = []
    for row in rows:
        x0, top, x1, bottom = row.bbox
        middles = [(c, (c["x0"] + c["x1"]) / 2, (c["top"] + c["bottom"]) / 2) for c in chars.between(top, bottom)]
        inside = [(c, x, y) for c, x, y in middles if x0 <= x < x1]
        texts: list[Cell] = []
        for cell in row.cells:
            if cell is None:
                texts.append(None)
                continue
            left, high, right, low = cell
            texts.append(_text_of([c for c, x, y in inside if left <= x < right and high <= y < low]))
        out.append(texts)
    return out


def _text_of(chars: list[dict]) -> str:
    """pdfplumber's ``extract_text`` of a cell's characters.  Most cells hold one character (a
    0): its text is the character's, or nothing for a blank, with no need to group lines and
    words."""
    if len(chars) == 1:
        text = chars[0]["text"]
        return "" if text.isspace() else text
    return extract_text(chars)


def _table_rows(table, chars: _Bands) -> dict[str, list]:
    """The table's cells; text inside the table that no cell holds is given to the grid position
    it sits in.  That is the label of a merged cell left open by a page break (no ruling line
    closes it, so the table finder sees no cell), or punctuation hanging past the last column.
    Returns the item's ``rows`` and their cells' ``spans``."""
    found = table.rows
    rows = _extract(found, chars)
    tops = sorted({cell[1] for cell in table.cells})
    lefts = sorted({cell[0] for cell in table.cells})
    in_a_cell = _covered(table.cells)
    orphans: dict[tuple[int, int], list[dict]] = {}
    box = table.bbox
    for char in chars.between(box[1], box[3]):
        if not _in_table(char, box):
            continue
        x, y = (char["x0"] + char["x1"]) / 2, (char["top"] + char["bottom"]) / 2
        if not in_a_cell(x, y):
            r = max(bisect.bisect_right(tops, y) - 1, 0)
            c = min(max(bisect.bisect_right(lefts, x) - 1, 0), len(rows[r]) - 1)
            orphans.setdefault((r, c), []).append(char)
    for (r, c), group in orphans.items():
        text = _text_of(group)
        rows[r][c] = f"{rows[r][c]}{text}" if rows[r][c] else text
    cells = [_without_colspans(row, group.cells, lefts) for row, group in zip(rows, found, strict=True)]
    return {"rows": [[text for text, _ in row] for row in cells], "spans": [[span for _, span in row] for row in cells]}


def _covered(cells: list[tuple]) -> Callable[[float, float], bool]:
    """Is a point inside one of the cells, as ``_inside`` reads it?  The cells' edges cut the
    table into a grid of slots and each cell covers a block of them, so a point's slot tells,
    without trying every cell for every character."""
    xs = sorted({v for cell in cells for v in (cell[0], cell[2])})
    ys = sorted({v for cell in cells for v in (cell[1], cell[3])})
    col = {v: i for i, v in enumerate(xs)}
    row = {v: i for i, v in enumerate(ys)}
    slots = {
        (r, c) for x0, top, x1, bottom in cells for r in range(row[top], row[bottom]) for c in range(col[x0], col[x1])
    }
    return lambda x, y: (bisect.bisect_right(ys, y) - 1, bisect.bisect_right(xs, x) - 1) in slots


def _without_colspans(row: list[Cell], boxes: list, lefts: list[float]) -> list[tuple[Cell, _Span]]:
    """Drop the positions a cell covers to its right; keep those covered from above (None)."""
    out: list[tuple[Cell, _Span]] = []
    reach = float("-inf")
    for text, box, left in zip(row, boxes, lefts, strict=True):
        if box is not None:
            reach = box[2]
        elif text is None and left < reach - 1:
            continue
        out.append((text, (box[0], box[2]) if box is not None else None))
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
        out += "\t" if w["x0"] - prev["x1"] > _GAP_TAB * height - _TIE else " "
        out += w["text"]
    return out


def _place_under_headers(items: list[_Item]) -> None:
    """Give the blank cells back to the rows of a section 二 table printed without rules.

    With no ruling lines there are no cells, only words, and a blank cell leaves no word: "规章
    8" under three value columns does not say which column the 8 is in.  The header row does
    (信息内容 and the template's value headers, each over its column): a row of section 二 whose
    numbers each sit nearest a different header, in order, and nearer to it than half the
    distance between two headers, is written with a cell per column, blanks included (a "—"
    that marks a cell not applicable is placed as a number is).  Rows are changed only under
    such a header, only when they start with a section 二 label (or the first line of one a
    narrow column wrapped: 其他对外管理服务 over 事项), and only when they print fewer values
    than there are columns; a table with rules ends it."""
    columns: list[float] = []
    for item in items:
        if item.is_table:
            columns = []
            continue
        words = item.words
        if len(words) >= 2 and all(canon(w["text"]).startswith(_METRIC_HEADERS) for w in words[1:]):
            columns = [_middle(w) for w in words[1:]]
            continue
        first = canon(words[0]["text"]) if words else ""
        if len(columns) >= 2 and (first.startswith(_LABEL_STARTS) or _begins(first, _LABEL_STARTS)):
            _place_row(item, columns)  # a label printed whole, or the first line of a wrapped one


def _place_in_columns(items: list[_Item]) -> None:
    """Give the blank cells back to the rows of sections 三 and 四 printed without rules, as
    ``_place_under_headers`` does for section 二.

    The columns are those of the last header row (自然人 … 总计; 结果维持 … 总计 under each of
    the three proceedings), and a narrow column wraps its header over several lines (结/果/维/
    持) under headers that span columns (法人或其他组织, 行政诉讼): a column stands where the
    words stand that begin one of the section's column headers, on the lines between the
    section's heading and its first value.  Their middles, grouped where they lie within half
    a character of each other, are the columns when there are exactly as many groups as column
    headers; otherwise nothing is changed.  A line is then changed as in section 二 (every
    value nearest a different column, in order, within half the narrowest column's distance
    to the next, fewer values than columns), whether or not a label starts it: a total too
    wide for its column wraps its last digits onto a line of their own, under their column.
    A table with rules, or the heading of section 五 or 六, ends it.  Section 三's labels are
    gathered first (``_gather_labels``)."""
    for headers, columns, rows in _column_regions(items):
        if headers == _APPLICANT_COLUMNS:  # section 三
            _gather_labels(rows, columns[0] - _reach(columns))
        for item in rows:
            _place_row(item, columns)


def _column_regions(items: list[_Item]) -> Iterator[tuple[tuple[str, ...], list[float], list[_Item]]]:
    """The lines under the column headers of section 三 or 四 printed without rules: (the
    section's column headers, the columns, the lines from the first with a value on)."""
    headers: tuple[str, ...] | None = None
    starts: list[dict] = []  # the words that begin a column header
    columns: list[float] | None = None  # None: the header rows are still being read
    rows: list[_Item] = []
    for item in items:
        if item.is_table and headers is not None and columns is None and (ruled := _table_columns(item, headers)):
            columns = ruled  # the header rows are a table's with rules: lines under it continue it
            continue
        key = canon(item.text)
        ended = item.is_table or any(h in key for h in _SECTION_ENDS)
        opened = None if ended else next((h for hints, h in _COLUMN_HEADERS if any(k in key for k in hints)), None)
        heading = opened is not None and (opened != headers or columns is not None)  # not a header
        if (ended or heading) and headers is not None and columns:
            yield headers, columns, rows
        if ended or heading:
            headers, starts, columns, rows = (opened if heading else None), [], None, []
            continue
        if headers is None:
            continue
        if columns is None:
            if not any(_is_cell(w["text"]) for w in item.words):
                starts += [w for w in item.words if _begins(canon(w["text"]), headers)]
                continue
            columns = _columns([_middle(w) for w in starts], _half_height(starts), len(headers)) if starts else []
        rows.append(item)
    if headers is not None and columns:
        yield headers, columns, rows


def _table_columns(table: _Item, headers: tuple[str, ...]) -> list[float]:
    """The columns of a table with rules whose cells begin the section's column headers, one
    cell's middle per header: the columns of its rows that a page printed on without rules
    (a table split in two, the second without borders)."""
    middles = [
        (span[0] + span[1]) / 2
        for row, spans in zip(table.rows, table.spans, strict=False)
        for cell, span in zip(row, spans, strict=False)
        if cell and span and _begins(canon(cell), headers)
    ]
    return _columns(middles, _SAME_EDGE, len(headers))


def _gather_labels(rows: list[_Item], right: float) -> None:
    """Put each label of section 三's rows whole on the line it begins on.  Without rules a
    narrow label column wraps a label a few characters a line, beside the labels of the
    columns to its left (the group's, "(三)不予公开", and the section's, "三、本年度办理结果"),
    and the text runs them together line by line: "(三)不 1.属", "予公 于国", "开 家秘".  The
    words left of `right` (the first value column's reach), in pieces of a line less than a
    character apart ("5. 属"), are grouped into label columns by their middles (a cell centres
    its lines); in each column, a piece that does not begin a label (no ordinal: "予公",
    "于国") joins the label begun above it, on its line: "(三)不予公开 1.属于国家秘密", the
    values where they were.  A line with two pieces in one column is left as it is."""
    labels = [[w for w in item.words if w["x1"] <= right] for item in rows]
    words = [w for line in labels for w in line]
    if not words:
        return
    tolerance = _half_height(words)
    # a line's words a gap narrower than a character apart are one piece of one cell ("5. 属")
    pieces = [_pieces(line, 2 * tolerance) for line in labels]
    groups = _groups([_middle(*p) for line in pieces for p in line], tolerance)
    column_of = {x: column for column, group in enumerate(groups) for x in group}
    moved = False
    open_at: dict[int, tuple[list[dict], dict]] = {}  # per label column: the line of its open label, its last word
    for line, line_pieces in zip(labels, pieces, strict=True):
        by_column = {column_of[_middle(*p)]: p for p in line_pieces}
        if len(by_column) < len(line_pieces):
            continue  # two pieces of one line in one column: no column to read
        for c, piece in by_column.items():
            if _OPENS_LABEL.match(" ".join(w["text"] for w in piece)):
                open_at[c] = (line, piece[-1])
            elif c in open_at:
                there, last = open_at[c]
                at = there.index(last) + 1
                there[at:at] = piece
                open_at[c] = (there, piece[-1])
                for w in piece:
                    line.remove(w)
                moved = True
    if not moved:
        return
    for item, line in zip(rows, labels, strict=True):
        values = [w for w in item.words if w["x1"] > right]
        item.words = line + values
        item.text = _words_line(item.words) if item.words else ""


def _columns(middles: list[float], reach: float, count: int) -> list[float]:
    """The columns, left to right, that `middles` stand over: their groups within `reach` of
    each other (half a character for words, a point for the cells of a ruled table), when
    there are `count` groups; none otherwise."""
    groups = _groups(middles, reach)
    return [sum(g) / len(g) for g in groups] if len(groups) == count else []


def _groups(xs: list[float], reach: float) -> list[list[float]]:
    """`xs` sorted, in groups where each lies within `reach` of the one before."""
    groups: list[list[float]] = []
    for x in sorted(xs):
        if groups and x - groups[-1][-1] <= reach:
            groups[-1].append(x)
        else:
            groups.append([x])
    return groups


def _half_height(words: list[dict]) -> float:
    """Half the height of the smallest of `words`: half a character."""
    return min(w["bottom"] - w["top"] for w in words) / 2


def _is_cell(text: str) -> bool:
    """A number, or a mark that says not applicable ("—", "/"), printed as a cell."""
    return text in _MARK_CELLS or _PLAIN_NUMBER.fullmatch(text) is not None


def _begins(text: str, headers: tuple[str, ...]) -> bool:
    return bool(text) and any(h.startswith(text) for h in headers)


def _middle(*words: dict) -> float:
    """The middle of a word, or of a run of words left to right."""
    return (words[0]["x0"] + words[-1]["x1"]) / 2


def _pieces(words: list[dict], gap: float) -> list[list[dict]]:
    """A line's words, left to right, in runs whose gaps are narrower than `gap`."""
    out: list[list[dict]] = []
    for w in words:
        if out and w["x0"] - out[-1][-1]["x1"] < gap:
            out[-1].append(w)
        else:
            out.append([w])
    return out


def _reach(columns: list[float]) -> float:
    """Half the narrowest distance between two columns: a word nearer a column is in it."""
    return min(b - a for a, b in zip(columns, columns[1:], strict=False)) / 2


def _place_row(item: _Item, columns: list[float]) -> None:
    """Write the line with a cell for each of `columns` when its values (the words from its
    first number or not-applicable mark on, all of them numbers or marks, fewer than there are
    columns) each sit nearest a different column, left to right, and nearer than half the
    narrowest distance between two columns; the words before them are its label."""
    words = item.words
    first = next((k for k, w in enumerate(words) if _is_cell(w["text"])), len(words))
    numbers = words[first:]
    if not 0 < len(numbers) < len(columns) or not all(_is_cell(w["text"]) for w in numbers):
        return
    reach = _reach(columns)
    cells = [""] * len(columns)
    taken = -1
    for w in numbers:
        x = _middle(w)
        k = min(range(len(columns)), key=lambda c: abs(columns[c] - x))
        if k <= taken or abs(columns[k] - x) >= reach:
            return
        cells[k], taken = w["text"], k
    item.text = "\t".join([_words_line(words[:first]), *cells] if first else cells)


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
    """Lines of the document; a table continued at the top of the next page is one table, and
    a row cut by the page break is made whole again."""
    lines: list[str] = []
    rows: list[list[Cell]] = []
    spans: list[list[_Span]] = []
    last: _Item | None = None
    for item in items:
        if item.is_table and last is not None and last.is_table and item.page == last.page + 1:
            rows, spans = _mend(rows, spans, item, cut=last.cut_below or item.cut_above)
        else:
            lines.extend(grid_lines(rows))
            rows, spans = (item.rows, item.spans) if item.is_table else ([], [])
            if not item.is_table:
                lines.append(item.text)
        last = item
    lines.extend(grid_lines(rows))
    return lines


def _is_value(cell: Cell) -> bool:
    return bool(cell) and _NUMERIC.fullmatch(cell) is not None


def _mend(above: list[list[Cell]], spans: list[list[_Span]], below: _Item, cut: bool) -> tuple[list, list]:
    """Join two parts of a table.  The first row below continues the last row above when no
    cell of it starts a new row (no ordinal, no section 二 label: a cut group label beside it
    does not make it a continuation), exactly one of the two carries the values, each of its
    cells lies under a cell above (the same position when both rows have as many cells; else,
    in a row the page break left open, the cell with the same edges: the cells each page shows
    can differ), and no cell is filled on both sides with a value.  The tables around the two
    rows may differ: the finder joins the rest of a cut table to the table printed under it."""
    joined = (above + below.rows, spans + below.spans)
    a, b = above[-1], below.rows[0]
    if not any(b) or any(_starts_row(c) for c in b if c) or _has_values(a) == _has_values(b):
        return joined
    if len(a) == len(b):
        under: list[int | None] = list(range(len(b)))
    elif cut:
        under = _under(spans[-1], below.spans[0])
    else:
        return joined
    merged = list(a)
    for j, y in enumerate(b):
        if not y:
            continue
        i = under[j]
        if i is None or (merged[i] and (_is_value(merged[i]) or _is_value(y))):
            return joined
        merged[i] = f"{merged[i]}\n{y}" if merged[i] else y
    return above[:-1] + [merged] + below.rows[1:], spans + below.spans[1:]


def _starts_row(text: str) -> bool:
    """Does the cell start a row of its own: an ordinal ("3.", "（五）") or a section 二 label
    ("其他对外管理服务事项" under "行政许可", both printed whole), not the rest of a cut label?
    Read as the parser reads it: a printer may write "（二）" with the Kangxi radical ⼆."""
    return bool(_NEW_ROW.match(normalize_line(text))) or canon(text).startswith(_LABEL_STARTS)


def _under(above: list[_Span], below: list[_Span]) -> list[int | None]:
    """For each cell below, the cell above in the same column: the one with the same left and
    right edges (None if there is none: a heading over other columns continues no cell)."""
    return [
        next(
            (
                i
                for i, top in enumerate(above)
                if span is not None
                and top is not None
                and abs(span[0] - top[0]) <= _CLOSED
                and abs(span[1] - top[1]) <= _CLOSED
            ),
            None,
        )
        for span in below
    ]


def _has_values(row: list[Cell]) -> bool:
    return any(map(_is_value, row))
