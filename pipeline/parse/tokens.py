"""Normalised lines to a flat stream of tokens: label text, numbers, not-applicable marks, blanks.

One pass over the text.  Every layout ends up here in the same vocabulary, so the rest of the
parser never asks which printer made the file:
- tab- and pipe-separated lines are split into cells, and an empty cell becomes a BLANK token;
- other lines are split on whitespace, then digits are cut out of glued text ("行政许可3960181");
- an ordinal glued to the digits before it ("00000002.其他法律") is given back to its label;
- whole lines that printers and crawlers insert (page counters, print headers, URLs) are dropped.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.normalize import canon
from pipeline.template import (
    DIGIT_HEADER_HINTS,
    DIGIT_HEADER_PHRASES,
    MARK_PAIRS,
    NA_CELLS,
    NOISE_LINE_PATTERNS,
    NOISE_LINE_STARTS,
)

TEXT, NUM, NA, BLANK = "T", "N", "A", "B"


@dataclass(slots=True)
class PyToken:
    """One token of a report's text.  The definition: ``_tokens.c`` makes the same object in C,
    for speed alone, and ``Token`` is that one where the package was built with a C compiler."""

    kind: str
    text: str
    line: int  # 1-based line of the decoded text
    col: int  # offset in the line
    celled: bool  # the line is tab- or pipe-separated


try:
    from pipeline.parse import _tokens
except ImportError:  # installed where no C compiler was: the dataclass alone
    _tokens = None  # type: ignore[assignment]
if TYPE_CHECKING:  # the two have the same fields: the type checker knows the dataclass
    Token = PyToken
else:
    Token = PyToken if _tokens is None else _tokens.Token


_UNBORDERED = re.compile(r"[^|\s].*\|\s*$")  # a pipe row with a first cell and no left border
_NOISE_MAX = 400  # longer lines are never page chrome
_NOISE = re.compile(r"\s*(?:" + "|".join(f"(?:{p})" for p in NOISE_LINE_PATTERNS) + r")\s*")
_DIGIT_HEADERS = re.compile("|".join(DIGIT_HEADER_PHRASES))
_DIGIT_HEADER_HINT = re.compile("|".join(map(re.escape, DIGIT_HEADER_HINTS)))
_MD_RULE = re.compile(r"\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*")
_CELL_SPLIT = re.compile(r"\t|\|")
_CHUNK = re.compile(r"\S+")
_DIGIT = re.compile(r"\d")
# digits, optionally grouped by thousands ("12,345"), a decimal part and a unit
_NUMBER = re.compile(r"[+\-]?\d+(?:,\d{3})*(?:\.\d+)?(?:万元|元)?")
_ORDINAL_AFTER = re.compile(r"[.、](?!\d)")
_NA = frozenset(NA_CELLS)
# an ordinal ("4.", "(四)"): a mark that is a word ("无") right after one begins the row's label
# ("4. 无正当理由…" with the rest wrapped onto the next lines)
_ORDINAL = re.compile(r"(?:\d+|[一二三四五六七八九十]+)[.、．]|[(（](?:\d+|[一二三四五六七八九十]+)[)）]")
_WORD_MARKS = frozenset(c for c in NA_CELLS if c.isalpha())
_MARK_CHARS = "".join(c for c in NA_CELLS if len(c) == 1 and not c.isalnum())  # "/", "-", "—", …
_NA_RUN = re.compile(f"[{re.escape(_MARK_CHARS)}]+")
_NA_MARK = re.compile(r"——|.")
# the marks split off label text they are glued to: dashes and slashes (not "\\" or "×")
_MARK_RUN = re.compile("[" + re.escape("".join(c for c in _MARK_CHARS if c not in "\\×")) + "]+")


Piece = tuple[str, str, int, bool]  # a token of one line: kind, text, col, celled
Flat = tuple[str | int | bool | None, ...]  # a line's pieces as the C tokenize keeps them (see _C_LINES)


def touches(a: Token, b: Token) -> bool:
    """Is `b` printed right after `a`, with no space between (crawler text)?"""
    return a.line == b.line and b.col == a.col + len(a.text)


def _text_or_marks(piece: str, col: int, celled: bool, out: list[Piece]) -> None:
    """Label text, or not-applicable marks glued together by a crawler ("///" is three cells;
    "——" is one mark, as printed), or both: runs of dashes or slashes glued to labels
    ("总计-----", "处理///////(七)总计", "总计/") are cells.  Marks touching Latin letters or digits
    are part of the text (a URL), and so is a slash inside a label's word ("本年增/" wrapped before
    "减"; the words are the template's)."""
    if not _NA_RUN.search(piece):  # the usual case: label text with no mark at all
        out.append((TEXT, piece, col, celled))
        return
    if _NA_RUN.fullmatch(piece):
        _marks(piece, col, celled, out)
        return
    pos = 0
    for m in _MARK_RUN.finditer(piece):
        a, b = m.span()
        if (m.group() == "/" and (piece[a - 1 : b] in MARK_PAIRS or piece[a : b + 1] in MARK_PAIRS)) or (
            (a and _latin(piece[a - 1])) or (b < len(piece) and _latin(piece[b]))
        ):
            continue
        if a > pos:
            out.append((TEXT, piece[pos:a], col + pos, celled))
        _marks(m.group(), col + a, celled, out)
        pos = b
    if pos < len(piece):
        out.append((TEXT, piece[pos:], col + pos, celled))


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _marks(piece: str, col: int, celled: bool, out: list[Piece]) -> None:
    for m in _NA_MARK.finditer(piece):
        out.append((NA, m.group(), col + m.start(), celled))


def _signs_after(prev: str) -> bool:
    """Can a "-" right after `prev` be the sign of the number after it?  After digits ("396-18",
    glued cells) and after a label ("收费-6", a change glued to its label) it is; after a dash
    ("-----1", glued marks) or a Latin word it is not.  A "+" is always a sign ("—+13")."""
    return prev.isdigit() or (not prev.isascii() and not _NA_RUN.fullmatch(prev))


def _chunk_tokens(chunk: str, col: int, celled: bool, out: list[Piece]) -> None:
    if chunk.isdecimal():  # the common cases first: a plain number, text with no digit
        out.append((NUM, chunk, col, celled))
        return
    if chunk in _NA:
        out.append((NA, chunk, col, celled))
        return
    if not _DIGIT.search(chunk):
        _text_or_marks(chunk, col, celled, out)
        return
    pos = 0
    for m in _NUMBER.finditer(chunk):
        start, end = m.span()
        digits = m.group()
        if start > 0 and digits[0] == "-" and not _signs_after(chunk[start - 1]):
            start += 1  # a hyphen after a mark or a word is not a sign; glued "396-18" is
            digits = digits[1:]
        if _ORDINAL_AFTER.match(chunk, end) and digits[-1].isdigit():
            # "2.其他法律" or glued "00000002.其他法律": the last digit numbers the label
            end -= 1
            digits = digits[:-1]
            if not digits or digits in "+-":
                continue
        if start > pos:
            _text_or_marks(chunk[pos:start], col + pos, celled, out)
        out.append((NUM, digits, col + start, celled))
        pos = end
    if pos < len(chunk):
        _text_or_marks(chunk[pos:], col + pos, celled, out)


def tokenize(lines: list[str], start: int = 0, end: int | None = None) -> list[Token]:
    """Tokens of lines[start:end]; line numbers stay those of the whole text (``_tokenize``)."""
    return labelled(lines, start, end)[0]


def labelled(lines: list[str], start: int = 0, end: int | None = None) -> tuple[list[Token], str, list[int]]:
    """The tokens of lines[start:end] and their ``label_text``: one pass over the lines in C
    (where the package was built with it), which keeps each line's labels with its pieces."""
    first, stop, _ = slice(start, end).indices(len(lines))
    if _tokens is not None:
        bordered = _tokens.bordered(lines, first, stop)
        cache = _C_LINES[bordered]
        return _tokens.tokenize(lines, first, stop, bordered, _tokens.line_tokens, cache, _LINES_CACHED, TEXT, canon)
    toks = _tokenize(lines, first, stop, _bordered(lines, first, stop))
    return (toks, *label_text(toks, 0, len(toks)))


def label_text(tokens: list[Token], lo: int, hi: int) -> tuple[str, list[int]]:
    """The canonical text (``normalize.canon``) of the TEXT tokens in tokens[lo:hi], and for
    each of its characters the index of its token: what rows' labels are found in."""
    parts: list[str] = []
    owner: list[int] = []
    for i in range(lo, hi):
        tok = tokens[i]
        if tok.kind != TEXT:
            continue
        c = canon(tok.text)
        parts.append(c)
        owner.extend([i] * len(c))
    return "".join(parts), owner


def _bordered(lines: list[str], first: int, stop: int) -> bool:
    """Do the pipe rows of lines[first:stop] have a left border?  `a | b |` rows (no left border)
    print an empty first cell as ` |`: its pipe is no border."""
    return not any(_UNBORDERED.match(line) for line in lines[first:stop] if "|" in line)


def _tokenize(lines: list[str], first: int, stop: int, bordered: bool) -> list[PyToken]:
    return [
        PyToken(kind, text, number, col, celled)
        for number, line in enumerate(lines[first:stop], first + 1)
        for kind, text, col, celled in _line_tokens(line, bordered)
    ]


_LINES_CACHED = 1 << 14  # lines whose tokens a process keeps, at most


@functools.lru_cache(maxsize=_LINES_CACHED)
def _line_tokens(line: str, bordered: bool) -> tuple[Piece, ...]:
    """The tokens of one line.  A line's tokens depend on nothing else in the text but
    `bordered`, and reports print the same lines (nine in ten table lines of a generated corpus
    recur), so they are cached per process."""
    out: list[Piece] = []
    if (
        not line.strip("\n\r\x0b\x0c ")  # a line of tabs only is a row of empty cells
        or (len(line) < _NOISE_MAX and _may_be_noise(line) and _NOISE.fullmatch(line))
        or ("---" in line and _MD_RULE.fullmatch(line))
    ):
        return ()
    if _DIGIT_HEADER_HINT.search(line):
        line = _masked_digit_headers(line)
    if "\t" in line or "|" in line:
        body = line.strip(" ")
        offset = line.find(body)
        if bordered and body.startswith("|"):
            body, offset = body[1:], offset + 1
        if body.endswith("|"):
            body = body[:-1]
        col = offset
        for cell in _CELL_SPLIT.split(body):
            stripped = cell.strip()
            if not stripped:
                out.append((BLANK, "", col, True))
            elif stripped.isdecimal():  # a plain number: the usual cell (as _chunk_tokens reads it)
                out.append((NUM, stripped, col + cell.find(stripped), True))
            elif len(stripped.split()) == 1:  # one chunk
                _chunk_tokens(stripped, col + cell.find(stripped), True, out)
            else:
                inner = col + cell.find(stripped)
                for m in _CHUNK.finditer(stripped):
                    _chunk_tokens(m.group(), inner + m.start(), True, out)
            col += len(cell) + 1
    else:
        for m in _CHUNK.finditer(line):
            chunk = m.group()
            if out and out[-1][0] == NA and out[-1][1] + chunk[0] in MARK_PAIRS:
                out[-1] = (TEXT, *out[-1][1:])  # "（四）无 法提供": a stray space inside a label
            if chunk.isdecimal():  # a plain number (as _chunk_tokens reads it)
                out.append((NUM, chunk, m.start(), False))
            else:
                _chunk_tokens(chunk, m.start(), False, out)
    for k in range(1, len(out)):
        if out[k][0] == NA and out[k][1] in _WORD_MARKS and out[k - 1][0] == TEXT and _ORDINAL.fullmatch(out[k - 1][1]):
            out[k] = (TEXT, *out[k][1:])
    return tuple(out)


def _may_be_noise(line: str) -> bool:
    """Does the line start (after spaces) as page chrome can: with a digit or one of
    NOISE_LINE_STARTS?  A line of spaces cannot."""
    first = line.lstrip()[:1]
    return first.isdecimal() or (first != "" and first in NOISE_LINE_STARTS)


def _masked_digit_headers(line: str) -> str:
    """A header that says how many decimals a column prints ("保留2位小数") is not a number."""
    return _DIGIT_HEADERS.sub(lambda m: "#" * len(m.group()), line)


if _tokens is not None:
    # _line_tokens in C: its data and patterns given once, cached per line as the Python is
    _tokens.configure(
        TEXT,
        NUM,
        NA,
        BLANK,
        _NA,
        MARK_PAIRS,
        _WORD_MARKS,
        _MARK_CHARS,
        _NOISE.fullmatch,
        _MD_RULE.fullmatch,
        _ORDINAL.fullmatch,
        tuple(DIGIT_HEADER_HINTS),
        _masked_digit_headers,
        _text_or_marks,
        NOISE_LINE_STARTS,
        _NOISE_MAX,
    )
    # per `bordered`: line -> its pieces in one flat tuple (kind, text, col, celled, label,
    # kind, ...; label: the canon of a TEXT piece's text, else None), filled and emptied by the
    # C tokenize (a dict looked up in C costs a third of an lru_cache's call, and nine in ten
    # table lines recur; one tuple a line, read in order, took a quarter less time than a tuple
    # a piece)
    _C_LINES: tuple[dict[str, Flat], dict[str, Flat]] = ({}, {})
