"""An HTML page to text: its tables as tab-separated rows, everything else as lines in page order.

Agencies publish the report as a web page whose tables merge cells with rowspan and colspan, pad
blank cells with ``&nbsp;`` and sit among site chrome (menus, breadcrumbs, share buttons,
footers).  Copying such a page as text loses the cell structure, so the page is parsed (lxml) and
each data table is expanded into its grid (``grid.place``).  A table that holds other tables is
page layout, not data: its cells are read as ordinary blocks.  The charset comes from a BOM, from
the page's own declaration (GB2312 and GBK read as their superset GB18030) unless the bytes are
valid UTF-8, else it is detected.
"""

from __future__ import annotations

import re

from lxml import etree

from pipeline.errors import Reject
from pipeline.normalize import DecodeError, decode
from pipeline.readers.grid import grid_lines, place

_DECLARED = re.compile(rb"""<(?:meta|\?xml)[^>]*?(?:charset|encoding)\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_GB = frozenset({"gb2312", "gbk", "gb_2312-80", "x-gbk", "cp936", "csgb2312", "gb18030", "euc-cn"})
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>")


def _names(names: str) -> frozenset[str]:
    return frozenset(names.split())


_SKIP = _names(
    "script style noscript template iframe object embed svg canvas select button input textarea nav aside head"
    " map audio video"
)
_PAGE_CHROME = _names("header footer")  # chrome unless inside the article itself
_CHROME_ROLES = _names("navigation banner contentinfo search menu menubar")
_CHROME_WORDS = _names(
    "nav navbar menu breadcrumb breadcrumbs crumb crumbs footer sidebar share toolbar topbar location position dqwz skip"
)
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_BLOCK = _names(
    "p div h1 h2 h3 h4 h5 h6 li ul ol dl dt dd section article main header footer blockquote pre center form hr"
    " address figure figcaption caption tr td th table thead tbody tfoot body title fieldset legend details summary"
)
_MAX_SPAN = 1000
# lxml.etree's own HTML parser: lxml.html's would make a Python object per element visited
_PARSER = etree.HTMLParser()


def to_text(data: bytes) -> str:
    text = _decode(data)
    try:
        root = etree.fromstring(_XML_DECL.sub("", text.replace("\x00", "")), _PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise Reject("extract", "no_text", f"the page has no content: {exc}") from exc
    if root is None:
        raise Reject("extract", "no_text", "the page has no content: Document is empty")
    out = _Lines()
    body = root.find("body")
    _walk(body if body is not None else root, out)
    out.flush()
    if not out.lines:
        raise Reject("extract", "no_text", "the page has no visible text")
    return "\n".join(out.lines) + "\n"


def _decode(data: bytes) -> str:
    """The page's text: a BOM wins; then valid UTF-8 (a saved page keeps a stale GB2312 declaration
    when the server's header said UTF-8, and GBK text is almost never valid UTF-8); then the page's
    own declaration; then detection."""
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return decode(data)[0]
    if b"\x00" not in data:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    m = _DECLARED.search(data[:4096])
    declared = m.group(1).decode("ascii").lower() if m else None
    if declared in _GB:
        declared = "gb18030"
    if declared:
        try:
            return data.decode(declared)
        except LookupError:
            declared = None  # a charset no codec is called (misspelt, or damaged bytes)
        except UnicodeDecodeError:
            pass
    try:
        return decode(data)[0]
    except DecodeError:
        return data.decode(declared or "gb18030", errors="replace")


class _Lines:
    """Text collected in flow; a block boundary ends the current line."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.buf: list[str] = []

    def add(self, text: str | None) -> None:
        if text:
            self.buf.append(text)

    def flush(self) -> None:
        line = " ".join("".join(self.buf).split())
        self.buf = []
        if line:
            self.lines.append(line)

    def extend(self, lines: list[str]) -> None:
        self.flush()
        self.lines.extend(lines)


_WORD = re.compile(r"[\s_-]+")


def _is_chrome(el, in_article: bool) -> bool:
    tag = el.tag
    if tag in _SKIP or (tag in _PAGE_CHROME and not in_article):
        return True
    attrib = el.attrib
    if not attrib:  # most cells and spans: nothing more to look at
        return False
    if attrib.get("hidden") is not None or _HIDDEN.search(attrib.get("style", "")):
        return True
    if attrib.get("role", "").lower() in _CHROME_ROLES or attrib.get("aria-hidden") == "true":
        return True
    words = {w for name in (attrib.get("class", ""), attrib.get("id", "")) if name for w in _WORD.split(name.lower())}
    # a block that holds a table holds content, whatever its class says
    return bool(words & _CHROME_WORDS) and el.find(".//table") is None


def _walk(el, out: _Lines, in_article: bool = False) -> None:
    for child in el:
        if not isinstance(child.tag, str):  # comment or processing instruction
            out.add(child.tail)
            continue
        tag = child.tag.lower()
        if _is_chrome(child, in_article):
            pass
        elif tag == "br":
            out.flush()
        elif tag == "table" and child.find(".//table") is None:
            out.extend(_table_lines(child))
        else:
            block = tag in _BLOCK
            if block:
                out.flush()
            out.add(child.text)
            if len(child):
                _walk(child, out, in_article or tag in ("article", "main"))
            if block:
                out.flush()
        out.add(child.tail)


def _rows(table) -> list:
    return [tr for tr in table.iter("tr") if next(tr.iterancestors("table")) is table]


def _span(cell, name: str, limit: int) -> int:
    given = cell.get(name)
    if given is None:
        return 1
    try:
        n = int(given.strip() or 1)
    except ValueError:
        return 1
    return limit if n == 0 else max(1, min(n, limit, _MAX_SPAN))


def _table_lines(table) -> list[str]:
    out = _Lines()
    caption = table.find("caption")
    if caption is not None:
        out.add(caption.text)
        _walk(caption, out)
        out.flush()
    trs = _rows(table)
    spans = []
    for r, tr in enumerate(trs):
        row = []
        for cell in tr:
            if not isinstance(cell.tag, str) or cell.tag.lower() not in ("td", "th"):
                continue
            if len(cell):
                text = _Lines()
                text.add(cell.text)
                _walk(cell, text)
                text.flush()
                content = "\n".join(text.lines)
            else:  # text only: one line
                content = " ".join((cell.text or "").split())
            row.append((content, _span(cell, "colspan", _MAX_SPAN), _span(cell, "rowspan", len(trs) - r)))
        spans.append(row)
    return out.lines + grid_lines(place(spans))
