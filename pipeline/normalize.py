"""Bytes to text, and text to the forms the parser compares.

Two outputs with different jobs:
- ``normalize_text`` keeps every line where it was (so a cell's line number is a line of the
  decoded file) but folds the printer's variety: NFKC turns full-width digits, brackets, colons
  and ideographic spaces into their ASCII forms; zero-width characters go.
- ``canon`` is for comparing labels only: simplified characters, no whitespace, no punctuation.
"""

from __future__ import annotations

import codecs
import functools
import re
import unicodedata

from pipeline.hanzi import T2S

try:
    from pipeline import _text
except ImportError:  # installed where no C compiler was: the text is folded by the Python
    _text = None  # type: ignore[assignment]


class DecodeError(ValueError):
    """The bytes are not text in any encoding we read."""


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_VOCABULARY = "政府信息公开申请年度报告情况處理總計數量"


def utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 with no BOM shows as NUL in every other byte for ASCII; CJK text has few NULs
    but decodes to mostly CJK in the right byte order."""
    if len(data) < 4 or len(data) % 2:
        return None
    even_nul = data[0::2].count(0)
    odd_nul = data[1::2].count(0)
    for enc, nul in (("utf-16-le", odd_nul), ("utf-16-be", even_nul)):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        controls = sum(ch < " " and ch not in "\t\r\n\f" for ch in text)
        if controls * 20 < len(text) and (nul > len(data) // 8 or len(_CJK.findall(text)) > len(text) // 3):
            return text
    return None


def decode(data: bytes) -> tuple[str, str]:
    """Decode report bytes; returns (text, encoding).  Detects, never assumes."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            # a BOM settles the encoding; a damaged or truncated tail must not make it unreadable
            return data.decode(enc, errors="replace"), enc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    text = utf16_without_bom(data)
    if text is not None:
        return text, "utf-16"
    # GB18030 (a superset of GBK and GB2312) is what mainland sites mean; Big5 appears on mirror
    # sites in traditional characters.  Both decode many byte strings, so the one whose text
    # holds more of the report vocabulary wins.
    decoded = []
    for enc in ("gb18030", "big5"):
        try:
            decoded.append((enc, data.decode(enc)))
        except UnicodeDecodeError:
            continue
    if decoded:  # the vocabulary counted only where there is a choice (GB bytes are rarely Big5)
        enc, text = (
            max(decoded, key=lambda d: sum(d[1].count(c) for c in _VOCABULARY)) if len(decoded) > 1 else decoded[0]
        )
        return text, enc
    # the last resort, loaded only here: a fifth of what a parser worker loads to start
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise DecodeError("bytes are not text in any known encoding")
    return str(best), best.encoding


_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
# CJK radicals that fonts draw with the glyph of a whole character, so a PDF printer may write
# the radical's code point for the character ("人⺠政府" for 人民政府: Chromium does).  NFKC
# folds the Kangxi radicals (U+2F00..) but not this supplement (U+2E80..).  The pairs are the
# radicals that share one glyph with a unified ideograph in every Noto CJK font (Sans and Serif;
# SC, TC, HK, JP, KR), where no radical shares a glyph with two different characters.
_RADICALS = str.maketrans(
    "⺂⺃⺅⺇⺉⺋⺍⺎⺏⺐⺒⺓⺔⺕⺖⺘⺙⺛⺞⺠⺡⺣⺤⺦⺨⺩⺫⺭⺮⺯⺰⺱⺲⺳⺹⺺⺽⺾⺿⻁⻂⻃⻄⻅⻆⻇⻈⻉⻊⻋⻌⻍⻎⻐⻑⻒⻓⻔⻕⻖⻘⻙⻚⻛⻜⻝⻞⻟⻠⻡⻢⻣⻤⻥⻦⻧⻨⻩⻪⻫⻬⻭⻮⻯⻰⻱⻲",
    "乛乚亻𠘨刂㔾𭕄兀尣尢巳幺彑彐忄扌攵旡歺民氵灬爫丬犭𤣩罒礻𥫗糹纟罓罒㓁耂肀𦥑艹艹虎衤覀西见角𧢲讠贝𧾷车辶辶辶钅長镸长门𨸏阝青韦页风飞食𩙿飠饣𩠐马骨鬼鱼鸟卤麦黄黾斉齐歯齿竜龙龜亀",
)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """Lines as a user counts them: split on CR LF, CR or LF only.  A text whose every CR ends
    its line with an LF (Windows' line breaks) is split on LF once they are LF alone: the regular
    expression took 13.6 us of a bench report so broken (2,100 characters), this 8.5."""
    if "\r" not in text:
        return text.split("\n")
    unix = text.replace("\r\n", "\n")
    return unix.split("\n") if "\r" not in unix else _LINE_BREAK.split(text)


def normalize_line(line: str) -> str:
    line = unicodedata.normalize("NFKC", line.translate(_ZERO_WIDTH)).translate(_RADICALS)
    return line.replace("\f", " ").replace("\x0b", " ")


_ZERO_WIDTH_CHARS = "".join(map(chr, _ZERO_WIDTH))
_NFKC = functools.partial(unicodedata.normalize, "NFKC")
_RADICAL = re.compile("[\u2e80-\u2eff]")
# The full-width forms Chinese text prints on most of its lines, each folded to the one ASCII
# character that is its compatibility decomposition.  NFKC makes the same change, but it rebuilds
# every line that holds one character by character; folded first, nine lines in ten pass its
# quick check untouched (normalize_text on the bench corpus: 175 us a report before, 81 after).
_FULL_WIDTH = tuple((wide, unicodedata.normalize("NFKC", wide)) for wide in "（），：；．！？\u3000")

# What normalize_text maps over the whole text before NFKC: form feeds and vertical tabs to
# spaces, radicals to their characters, full-width forms to ASCII (text.translate(_FOLD))
_FOLD: dict[int, str | int] = {ord("\f"): " ", ord("\x0b"): " ", **_RADICALS}
_FOLD.update({ord(wide): narrow for wide, narrow in _FULL_WIDTH})
# Characters a text may hold and be NFKC as it is, whatever stands around them: ASCII, the CJK
# Unified Ideographs and the punctuation Chinese reports print (what the fold leaves of it).  Each
# has no decomposition, combines with nothing before it (no canonical composition ends with it)
# and has combining class 0 (tests/test_read.py checks each against the Unicode database), so a
# text of them alone is NFKC; Python's quick check looks every character up in the database (3.2 us
# of a report's 2,100 characters).
PLAIN_RANGES = ((0x00, 0x7F), (0x4E00, 0x9FFF)) + tuple(
    (ord(c), ord(c)) for c in "、。〈〉《》「」『』【】〔〕—–‘’“”·×"
)
_NOT_PLAIN = re.compile("[^" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in PLAIN_RANGES) + "]")
_FOLDER = (
    _text.Fold(_FOLD, _ZERO_WIDTH_CHARS, "".join(chr(c) for a, b in PLAIN_RANGES for c in range(a, b + 1)))
    if _text is not None
    else None
)


def _folded(text: str) -> tuple[str | None, bool]:
    """``_fold``, and whether the folded text holds PLAIN_RANGES' characters only (in C where
    _text was built: both in one pass over the text)."""
    if _FOLDER is not None:
        return _FOLDER.folded(text)
    folded = _fold(text)
    return folded, folded is not None and _NOT_PLAIN.search(folded) is None


def _fold(text: str) -> str | None:
    """text.translate(_FOLD), or None where the text holds a zero-width character."""
    if any(ch in text for ch in _ZERO_WIDTH_CHARS):  # seven times faster than a regex's scan
        return None
    text = text.replace("\f", " ").replace("\x0b", " ")
    if _RADICAL.search(text):
        text = text.translate(_RADICALS)
    for wide, narrow in _FULL_WIDTH:
        text = text.replace(wide, narrow)
    return text


def normalize_text(text: str) -> list[str]:
    """The decoded text as normalised lines; index i holds line i + 1.  The same as
    ``normalize_line`` on every line (no character is, or normalises to, a line break, a form
    feed or a vertical tab), with the character maps run once over the whole text (``_folded``;
    but for zero-width characters, which are rare) and NFKC per line, where its quick check
    passes over the lines that need nothing.  Folding a full-width character to its ASCII form
    before NFKC changes nothing NFKC gives: it decomposes the character to that form itself, and
    an ASCII character composes with nothing.  Where the folded text is NFKC as a whole (a
    generated report is), so is each of its lines: a line break composes with nothing and is no
    character's decomposition, so NFKC maps the lines apart.  A text of plain characters alone
    (``_folded`` tells) is NFKC without the quick check."""
    folded, plain = _folded(text)
    if folded is None:
        # line by line: dropped from the whole text, one between CR and LF would join two lines
        return [normalize_line(line) for line in split_lines(text)]
    if plain or unicodedata.is_normalized("NFKC", folded):
        return split_lines(folded)
    return list(map(_NFKC, split_lines(folded)))


_NOT_WORD = re.compile(r"[\W_]+")


@functools.lru_cache(maxsize=1 << 16)
def canon(s: str) -> str:
    """Canonical key for label comparison: simplified, no whitespace or punctuation.  Cached:
    reports print the same label texts."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", s)).translate(T2S)
