"""The characters and ruling lines of a PDF's pages, read by PDFium, in pdfplumber's form.

pdfplumber builds its page objects by running pdfminer's content-stream interpreter, pure
Python, which is most of the time a PDF takes to read.  PDFium (C++, the engine of Chrome's
viewer) reads the same content streams many times as fast.  This module asks PDFium for the
characters and the painted paths of each page and gives them the geometry pdfminer gives them,
so that pdfplumber's table finder and word grouping run on them unchanged and the reader's text
is pdfminer's:
- a character's box runs from its origin to its advance, and from pdfminer's descent of its font
  to one font size above it; a vertical font's glyph is centred on its origin, as pdfminer does.
  pdfminer's figures come from the font dictionaries, read by pikepdf (``page_fonts``);
- a path is split into subpaths, and each is a line, a rectangle or a curve by pdfminer's rules;
- coordinates are turned as the page's /Rotate turns them, from the media box's corner.

PDFium's text page is not pdfminer's character list, and where the difference could change the
text the file is left to pdfminer (``Unmatched``; ``document_objects`` returns None):
- it leaves out characters of a font whose program is not embedded, and says nothing of it: a
  page with such a font is pdfminer's;
- it maps a character to no text where pdfminer writes "(cid:N)": pdfminer's;
- it leaves out a text object that holds only space glyphs (a browser prints a space in another
  font that way): a space is put at the object's origin, as pdfplumber ends a word at a space;
  a text object it leaves out that shows ink is a loss, and the page is pdfminer's;
- it puts spaces and line breaks of its own ("generated") where it sees gaps: they are dropped,
  since pdfplumber sees the gaps;
- Kangxi radicals are folded into the characters they print, as NFKC folds them later anyway.
PDFium computes in single precision: a gap that sits exactly on one of the reader's thresholds
must be read as a tie there (``pdf._TIE``), not by rounding noise.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as raw
from pdfminer.cmapdb import CMapDB
from pdfminer.fontmetrics import FONT_METRICS
from pdfminer.pdffont import IDENTITY_ENCODER

log = logging.getLogger(__name__)
Matrix = tuple[float, float, float, float, float, float]
Point = tuple[float, float]
Box = tuple[float, float, float, float]

_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
_NO_TEXT = (0, 0xFFFE, 0xFFFF)
_POINT = 0.01  # points: bounds this narrow or this low cover no area (no ink), rounding aside


def _multiply(m: Matrix, n: Matrix) -> Matrix:
    """m, then n (points are row vectors, as in the PDF specification)."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t, e * q + f * s + u)


def _apply(m: Matrix, x: float, y: float) -> Point:
    return (x * m[0] + y * m[2] + m[4], x * m[1] + y * m[3] + m[5])


def page_ctm(mediabox: Iterable[float], rotate: int) -> Matrix:
    """The matrix pdfminer starts a page with: the media box's corner to the origin, turned by
    the page's /Rotate."""
    x0, y0, x1, y1 = mediabox
    return {
        90: (0.0, -1.0, 1.0, 0.0, -y0, x1),
        180: (-1.0, 0.0, 0.0, -1.0, x1, y1),
        270: (0.0, 1.0, -1.0, 0.0, y1, -x0),
    }.get(rotate % 360, (1.0, 0.0, 0.0, 1.0, -x0, -y0))


class Placer:
    """PDF points to pdfplumber's page positions (``top`` measured down from the page's top)."""

    def __init__(self, ctm: Matrix, height: float, mediabox_x0: float, mediabox_top: float, doctop: float) -> None:
        self.ctm, self.height, self.dx, self.dy, self.doctop = ctm, height, mediabox_x0, mediabox_top, doctop

    def box(self, corners: Iterable[Point]) -> dict[str, float]:
        """The box around points of the page's user space."""
        pts = [_apply(self.ctm, x, y) for x, y in corners]
        return self.extent(
            min(p[0] for p in pts), min(p[1] for p in pts), max(p[0] for p in pts), max(p[1] for p in pts)
        )

    def extent(self, x0: float, y0: float, x1: float, y1: float) -> dict[str, float]:
        """pdfplumber's fields of a box already turned by the page's matrix."""
        top = self.height - y1 + self.dy
        return {
            "x0": x0 + self.dx,
            "x1": x1 + self.dx,
            "y0": y0,
            "y1": y1,
            "top": top,
            "bottom": self.height - y0 + self.dy,
            "doctop": self.doctop + top,
            "width": x1 - x0,
            "height": y1 - y0,
        }

    def point(self, x: float, y: float) -> Point:
        px, py = _apply(self.ctm, x, y)
        return (px + self.dx, self.height - py + self.dy)


class Unmatched(Exception):
    """PDFium's reading of a page cannot be held to pdfminer's: read the file with pdfminer."""


_SUBSET_TAG = re.compile(r"^[A-Z]{6}\+")


@dataclass
class Fonts:
    """What pdfminer makes of the fonts a page's resources name (and those of the forms they
    hold), by base font name without its subset tag (PDFium names some fonts without it); ''
    is the name of every Type 3 font.  A name two fonts share with different figures is left
    out, and a character in a font left out is read by pdfminer."""

    descent: dict[str, float]  # below the baseline, per unit of font size
    vertical: dict[str, float]  # vertical writing: the glyph's origin below its top, per 1000


_Figures = list[tuple[list[str], bool, float | None]]  # what a font adds: names, vertical, value


def page_fonts(page: pikepdf.Page, memo: dict[tuple[int, int], _Figures] | None = None) -> Fonts:
    """pdfminer's figures for a page's fonts, read from the font dictionaries as pdfminer reads
    them (``pdfminer.pdffont``).  pikepdf reads them: pdfminer's own font objects parse every
    Type 3 font's glyph procedures and encodings, and cost more than the page they print.

    PDFium takes a font's descent from its program where the descriptor gives none, where
    pdfminer takes 0: the boxes, and the lines and cells they fall in, follow pdfminer's.
    Vertical fonts are known only with one position vector for every glyph (no /W2).

    `memo` holds the figures of the fonts (indirect objects) already read, for the pages of one
    document: pages share their fonts."""
    found: dict[tuple[str, bool], set[float]] = {}
    seen: set[tuple[int, int]] = set()
    memo = {} if memo is None else memo

    def walk(res: object, depth: int) -> None:
        if not isinstance(res, pikepdf.Dictionary) or depth > 8:
            return
        for font in _values(res.get("/Font")):
            key = getattr(font, "objgen", (0, 0))
            if key == (0, 0):  # a direct object: nothing to know it by on the next page
                figures = _font_figures(font)
            elif (figures := memo.get(key)) is None:
                figures = memo[key] = _font_figures(font)
            for names, vertical, value in figures:
                for name in names:
                    values = found.setdefault((_SUBSET_TAG.sub("", name), vertical), set())
                    values.update((value,) if value is not None else (0.0, 1.0))  # unknown: two values
        for xobj in _values(res.get("/XObject")):
            key = xobj.objgen
            if key in seen or str(xobj.get("/Subtype")) != "/Form":
                continue
            seen.add(key)
            walk(xobj.get("/Resources"), depth + 1)

    walk(_inherited(page.obj, "/Resources"), 0)
    one = {key: next(iter(values)) for key, values in found.items() if len(values) == 1}
    return Fonts(
        descent={name: v for (name, vertical), v in one.items() if not vertical},
        vertical={name: v for (name, vertical), v in one.items() if vertical},
    )


def _font_figures(font: object) -> _Figures:
    """What pdfminer makes of one font: (names, vertical, descent or position vector; None:
    not sure)."""
    if not isinstance(font, pikepdf.Dictionary):
        return []
    subtype = str(font.get("/Subtype", "/Type1"))
    base = _str(font.get("/BaseFont"))
    if subtype == "/Type3":
        return [(["", base] if base else [""], False, _type3_descent(font))]
    if subtype == "/Type0":
        descendants = font.get("/DescendantFonts")
        cid = descendants[0] if isinstance(descendants, pikepdf.Array) and len(descendants) else None
        if not isinstance(cid, pikepdf.Dictionary):
            return []  # pdfminer cannot read it either; PDFium shows nothing of it
        names = [base, _str(cid.get("/BaseFont"))]
        if _vertical(font.get("/Encoding")):
            return [(names, True, _vertical_origin(cid))]
        return [(names, False, _descent(_descriptor_descent(cid)))]
    if base in FONT_METRICS:  # a standard font: pdfminer takes its own metrics
        return [([base], False, _descent(FONT_METRICS[base][0].get("Descent")))]
    return [([base], False, _descent(_descriptor_descent(font)))]


def _inherited(node: pikepdf.Dictionary, key: str) -> object:
    """A page attribute, from the page or the nearest page tree node above it that has it."""
    for _ in range(64):
        if key in node:
            return node[key]
        node = node.get("/Parent")
        if not isinstance(node, pikepdf.Dictionary):
            return None
    return None


def _values(obj: object) -> list:
    return list(obj.values()) if isinstance(obj, pikepdf.Dictionary) else []


def _str(obj: object) -> str:
    if isinstance(obj, pikepdf.Name):
        return str(obj)[1:]
    return str(obj) if isinstance(obj, pikepdf.String) else ""


def _number(obj: object, default: float = 0.0) -> float:
    try:
        return float(obj)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default


def _descriptor_descent(font: pikepdf.Dictionary) -> object:
    descriptor = font.get("/FontDescriptor")
    return descriptor.get("/Descent") if isinstance(descriptor, pikepdf.Dictionary) else None


def _descent(value: object) -> float:
    """pdfminer's descent of a simple or CID font, per unit of font size, from its /Descent
    (the descriptor's, or a standard font's own): made negative, 0 without one."""
    return -abs(_number(value)) * 0.001


def _type3_descent(font: pikepdf.Dictionary) -> float | None:
    """pdfminer's descent of a Type 3 font: the bottom of the descriptor's /FontBBox (the font's
    own when it has no descriptor; 0 when it is not four numbers) scaled by its /FontMatrix."""
    descriptor = font.get("/FontDescriptor")
    box = descriptor.get("/FontBBox") if isinstance(descriptor, pikepdf.Dictionary) else font.get("/FontBBox")
    matrix = font.get("/FontMatrix")
    if not isinstance(matrix, pikepdf.Array) or len(matrix) != 6:
        return None
    bottom = _number(box[1]) if isinstance(box, pikepdf.Array) and len(box) == 4 else 0.0
    return bottom * (_number(matrix[1]) + _number(matrix[3]))


def _vertical(encoding: object) -> bool:
    """Does pdfminer read the font as vertical writing?  By the name of its CMap only, as
    pdfminer does (an embedded CMap's /WMode is not read)."""
    if isinstance(encoding, pikepdf.Dictionary):
        encoding = encoding.get("/CMapName")
    name = _str(encoding) if isinstance(encoding, pikepdf.Name) else "unknown"
    name = IDENTITY_ENCODER.get(name, name)
    try:
        return CMapDB.get_cmap(name).is_vertical()
    except CMapDB.CMapNotFound:
        return False


def _vertical_origin(cid: pikepdf.Dictionary) -> float | None:
    """The position vector's height of every glyph of a vertical CID font (/DW2), None when
    glyphs have their own (/W2)."""
    w2 = cid.get("/W2")
    if isinstance(w2, pikepdf.Array) and len(w2):
        return None
    dw2 = cid.get("/DW2")
    return _number(dw2[0], 880.0) if isinstance(dw2, pikepdf.Array) and len(dw2) == 2 else 880.0


def _font_name(font: int) -> str:
    size = _pdfium.FPDFFont_GetBaseFontName(font, None, 0)
    buf = ctypes.create_string_buffer(size)
    _pdfium.FPDFFont_GetBaseFontName(font, buf, size)
    return _SUBSET_TAG.sub("", buf.value.decode("utf-8", "replace"))


def _by_address(fn: ctypes._CFuncPtr) -> ctypes._CFuncPtr:
    """PDFium's function `fn` with every pointer it takes or gives as a plain address (an int):
    a handle is then a dictionary key, with no ctypes.cast and no pointer object per call."""

    def plain(t: type | None) -> type | None:
        return ctypes.c_void_p if t is not None and issubclass(t, ctypes._Pointer) else t

    return ctypes.CFUNCTYPE(plain(fn.restype), *map(plain, fn.argtypes))(ctypes.cast(fn, ctypes.c_void_p).value)


_pdfium = SimpleNamespace(
    **{
        name: _by_address(getattr(raw, name))
        for name in (
            "FPDFText_GetTextObject",
            "FPDFTextObj_GetFont",
            "FPDFTextObj_GetFontSize",
            "FPDFFont_GetGlyphWidth",
            "FPDFFont_GetIsEmbedded",
            "FPDFFont_GetBaseFontName",
            "FPDFPage_GetObject",
            "FPDFPageObj_GetType",
            "FPDFPageObj_GetMatrix",
            "FPDFPageObj_GetBounds",
            "FPDFFormObj_CountObjects",
            "FPDFFormObj_GetObject",
            "FPDFPath_GetDrawMode",
            "FPDFPath_CountSegments",
            "FPDFPath_GetPathSegment",
            "FPDFPathSegment_GetPoint",
            "FPDFPathSegment_GetType",
            "FPDFPathSegment_GetClose",
        )
    }
)


def _chars(textpage: ctypes.c_void_p, place: Placer, number: int, known: Fonts) -> tuple[list[dict], set[int]]:
    """The page's characters with pdfminer's boxes: from the origin to the advance along the
    baseline, from pdfminer's descent of the font to one font size above it, turned by the
    character's matrix.  The spaces and line breaks PDFium puts in of its own ("generated")
    are dropped: pdfplumber reads the gaps they stand for.  Returns the characters and the
    text objects they were read from.

    Raises Unmatched where PDFium may have read otherwise than pdfminer: a font whose program is
    not embedded (PDFium's text page leaves out characters it cannot map through the font it
    puts in its place, and says nothing of it), a character it maps to no text, a glyph whose
    width it cannot tell, or a font whose figures pdfminer's would not be sure of."""
    out: list[dict] = []
    m = raw.FS_MATRIX()
    ox, oy = ctypes.c_double(), ctypes.c_double()
    width = ctypes.c_float()
    # a text object's font, its name, its characters' matrix and font size: PDFium gives every
    # character of a text object the object's text matrix and font size (checked on 59,783
    # characters of 123 PDFs), so they are asked for once per object
    objects: dict[int, tuple[int, str, tuple[float, float, float, float], float]] = {}
    names: dict[int, str] = {}  # by font
    widths: dict[tuple[int, int, float], float] = {}  # by font, character and size
    generated, unicode, map_error = raw.FPDFText_IsGenerated, raw.FPDFText_GetUnicode, raw.FPDFText_HasUnicodeMapError
    m_ref, ox_ref, oy_ref, width_ref = ctypes.byref(m), ctypes.byref(ox), ctypes.byref(oy), ctypes.byref(width)
    get_origin, text_object, glyph_width = (
        raw.FPDFText_GetCharOrigin,
        _pdfium.FPDFText_GetTextObject,
        _pdfium.FPDFFont_GetGlyphWidth,
    )
    for i in range(raw.FPDFText_CountChars(textpage)):
        if generated(textpage, i):
            continue
        code = unicode(textpage, i)
        if code in _NO_TEXT or map_error(textpage, i):
            raise Unmatched(f"page {number}: a character PDFium maps to no text")
        get_origin(textpage, i, ox_ref, oy_ref)
        key = text_object(textpage, i) or 0
        if key not in objects:
            font = _pdfium.FPDFTextObj_GetFont(key) or 0
            if font not in names:
                if not font or not _pdfium.FPDFFont_GetIsEmbedded(font):
                    raise Unmatched(f"page {number}: a font whose program is not embedded")
                names[font] = _font_name(font)
            raw.FPDFText_GetMatrix(textpage, i, m_ref)
            objects[key] = (font, names[font], (m.a, m.b, m.c, m.d), raw.FPDFText_GetFontSize(textpage, i))
        font, name, turn, size = objects[key]
        advance = widths.get((font, code, size))
        if advance is None:
            if not glyph_width(font, code, size, width_ref):
                raise Unmatched(f"page {number}: no width for {chr(code)!r} in the font {name!r}")
            advance = widths[(font, code, size)] = width.value
        matrix = (*turn, ox.value, oy.value)
        if advance < 0:
            # vertical writing: the advance runs down; pdfminer centres the glyph on the origin
            if name not in known.vertical:
                raise Unmatched(f"page {number}: no one position vector for the vertical font {name!r}")
            top = (1000 - known.vertical[name]) * size / 1000
            box = (-size / 2, top + advance, size / 2, top)
        else:
            if name not in known.descent:
                raise Unmatched(f"page {number}: no one descent for the font {name!r}")
            low = known.descent[name] * size
            box = (0.0, low, advance, low + size)
        out.append(_char(chr(code), matrix, box, place, number, vertical=advance < 0))
    return out, set(objects)


def _char(text: str, matrix: Matrix, box: Box, place: Placer, number: int, vertical: bool) -> dict:
    """A character as pdfplumber has it, from its box in text space (left, bottom, right, top)
    and its matrix.  The box's corners, turned, span each axis as far as the matrix's terms
    reach over the box's sides: one sum per edge, where four corners would each be turned."""
    a, b, c, d, e, f = _multiply(matrix, place.ctm)
    left, low, right, high = box
    x0 = e + min(a * left, a * right) + min(c * low, c * high)
    x1 = e + max(a * left, a * right) + max(c * low, c * high)
    y0 = f + min(b * left, b * right) + min(d * low, d * high)
    y1 = f + max(b * left, b * right) + max(d * low, d * high)
    obj = place.extent(x0, y0, x1, y1)
    obj["object_type"] = "char"
    obj["page_number"] = number
    obj["text"] = text
    obj["upright"] = a * d > 0 and b * c <= 0
    obj["size"] = x1 - x0 if vertical or abs(matrix[1]) >= abs(matrix[0]) else y1 - y0
    obj["fontname"] = ""
    return obj


def _blank(obj: int, matrix: Matrix, place: Placer, number: int, known: Fonts) -> dict:
    """The space a text object PDFium's text page left out prints.  PDFium leaves out text
    objects that hold only spaces (a browser prints a space of another font, or a no-break
    space, as an object of its own), and pdfplumber ends a word at a space.  A text object it
    left out whose bounds cover an area shows ink: that is a loss, and the page is pdfminer's."""
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    _pdfium.FPDFPageObj_GetBounds(obj, *map(ctypes.byref, (left, bottom, right, top)))
    if min(right.value - left.value, top.value - bottom.value) > _POINT:
        raise Unmatched(f"page {number}: a text object with ink that PDFium's text page left out")
    font = _pdfium.FPDFTextObj_GetFont(obj)
    name = _font_name(font) if font else None
    if name not in known.descent:
        raise Unmatched(f"page {number}: no one descent for the font {name!r}")
    size, width = ctypes.c_float(), ctypes.c_float()
    _pdfium.FPDFTextObj_GetFontSize(obj, ctypes.byref(size))
    if not _pdfium.FPDFFont_GetGlyphWidth(font, 0x20, size.value, ctypes.byref(width)) or width.value <= 0:
        raise Unmatched(f"page {number}: a blank text object of a font with no space")
    low = known.descent[name] * size.value
    return _char(" ", matrix, (0.0, low, width.value, low + size.value), place, number, vertical=False)


def _objects(objects: Iterable[int], ctm: Matrix, page: _Page, out: dict) -> None:
    """The painted paths among `objects` (and inside their form XObjects), as pdfminer's
    lines, rectangles and curves, and the spaces of text objects the text page left out."""
    p = _pdfium
    m = raw.FS_MATRIX()
    x, y = ctypes.c_float(), ctypes.c_float()
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    m_ref, x_ref, y_ref, fill_ref, stroke_ref = map(ctypes.byref, (m, x, y, fill, stroke))
    for obj in objects:
        kind = p.FPDFPageObj_GetType(obj)
        if kind not in (raw.FPDF_PAGEOBJ_PATH, raw.FPDF_PAGEOBJ_FORM, raw.FPDF_PAGEOBJ_TEXT):
            continue
        p.FPDFPageObj_GetMatrix(obj, m_ref)
        matrix = _multiply((m.a, m.b, m.c, m.d, m.e, m.f), ctm)
        if kind == raw.FPDF_PAGEOBJ_TEXT:
            if obj not in page.read:
                out["char"].append(_blank(obj, matrix, page.place, page.number, page.fonts))
            continue
        if kind == raw.FPDF_PAGEOBJ_FORM:
            count = p.FPDFFormObj_CountObjects(obj)
            _objects((p.FPDFFormObj_GetObject(obj, i) for i in range(count)), matrix, page, out)
            continue
        p.FPDFPath_GetDrawMode(obj, fill_ref, stroke_ref)
        if not fill.value and not stroke.value:
            continue  # a clipping path: nothing painted
        segments = []
        for i in range(p.FPDFPath_CountSegments(obj)):
            seg = p.FPDFPath_GetPathSegment(obj, i)
            p.FPDFPathSegment_GetPoint(seg, x_ref, y_ref)
            segments.append(
                (p.FPDFPathSegment_GetType(seg), _apply(matrix, x.value, y.value), p.FPDFPathSegment_GetClose(seg))
            )
        for shape, pts in _subpaths(segments):
            _add_path(shape, pts, page.place, page.number, out)


def _subpaths(segments: list[tuple[int, Point, int]]) -> list[tuple[str, list[Point]]]:
    """Each subpath as pdfminer spells it (m, l, c, h) with its end points: a Bézier curve is
    three segments in PDFium and one point here; a closed subpath ends at its start."""
    out: list[tuple[str, list[Point]]] = []
    k = 0
    while k < len(segments):
        kind, pt, close = segments[k]
        if kind == raw.FPDF_SEGMENT_MOVETO or not out:
            out.append(("", []))
        shape, pts = out[-1]
        if kind == raw.FPDF_SEGMENT_BEZIERTO:
            kind, pt, close = segments[min(k + 2, len(segments) - 1)]
            shape += "c"
            k += 3
        else:
            shape += "m" if kind == raw.FPDF_SEGMENT_MOVETO else "l"
            k += 1
        pts.append(pt)
        if close:
            shape += "h"
            pts.append(pts[0])
        out[-1] = (shape, pts)
    return out


def _add_path(shape: str, pts: list[Point], place: Placer, number: int, out: dict) -> None:
    if not shape.startswith("m"):
        return
    if len(shape) > 3 and shape.endswith("lh") and pts[-2] == pts[0]:
        shape = shape[:-2] + "h"
        pts = pts[:-1]
    obj = place.box(pts)
    obj.update(page_number=number, pts=[place.point(*p) for p in pts])
    if shape in ("mlh", "ml"):
        obj["object_type"] = "line"
    elif shape in ("mlllh", "mllll") and pts[0] == pts[4] and _square(pts):
        obj["object_type"] = "rect"
    else:
        obj["object_type"] = "curve"
    out[obj["object_type"]].append(obj)


def _square(pts: list[Point]) -> bool:
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = pts[:4]
    return (x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0) or (y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0)


@dataclass
class _Page:
    place: Placer
    number: int
    fonts: Fonts
    read: set[int]  # the text objects the text page holds characters of


def page_objects(page: pdfium.PdfPage, number: int, place: Placer, known: Fonts) -> dict[str, list[dict]]:
    """A page's characters, lines, rectangles and curves, as pdfplumber's ``page.objects``.
    Raises Unmatched where PDFium's reading may differ from pdfminer's."""
    textpage = page.get_textpage()
    try:
        chars, read = _chars(textpage.raw, place, number, known)
    finally:
        textpage.close()
    out: dict[str, list[dict]] = {"char": chars, "line": [], "rect": [], "curve": []}
    count = raw.FPDFPage_CountObjects(page.raw)
    _objects(
        (_pdfium.FPDFPage_GetObject(page.raw, i) for i in range(count)),
        _IDENTITY,
        _Page(place, number, known, read),
        out,
    )
    return out


def document_objects(data: bytes, pages: list) -> list[dict[str, list[dict]]] | None:
    """Every page's objects read by PDFium, for pdfplumber's `pages`; None where PDFium's
    reading of a page may differ from pdfminer's (see Unmatched) or PDFium or pikepdf cannot
    open the file: the file is then pdfminer's to read, as a whole."""
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        return None
    try:
        with _source(data) as source, pikepdf.open(source) as book:
            if not len(doc) == len(book.pages) == len(pages):
                return None
            out = []
            memo: dict[tuple[int, int], _Figures] = {}
            for n, page in enumerate(pages):
                place = Placer(
                    page_ctm(page.page_obj.mediabox, page.rotation),
                    float(page.height),
                    float(page.mediabox[0]),
                    float(page.mediabox[1]),
                    float(page.initial_doctop),
                )
                pdfium_page = doc[n]
                try:
                    out.append(page_objects(pdfium_page, page.page_number, place, page_fonts(book.pages[n], memo)))
                finally:
                    pdfium_page.close()
            return out
    except Unmatched as why:
        log.debug("PDFium's reading left to pdfminer: %s", why)
        return None
    except Exception as exc:  # any failure of the fast reading leaves the file to pdfminer
        log.debug("PDFium's reading failed, left to pdfminer: %r", exc)
        return None
    finally:
        doc.close()


@contextlib.contextmanager
def _source(data: bytes) -> Iterator[str | io.BytesIO]:
    """`data` for pikepdf to open: an anonymous file in memory, by its path, where Linux has them,
    else a BytesIO.  qpdf reads a file itself but a BytesIO through a Python call per read: the
    fonts of 60 PDFs took 0.3–0.5 s read from the file against 0.7–0.9 s from a BytesIO."""
    if not hasattr(os, "memfd_create"):
        yield io.BytesIO(data)
        return
    fd = os.memfd_create("xxgk-pdf", os.MFD_CLOEXEC)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        path = f"/proc/self/fd/{fd}"
        yield path if os.path.exists(path) else io.BytesIO(data)  # no /proc: no path to give
    finally:
        os.close(fd)
