"""Read stage: encodings are detected, not assumed; what is not a report says why."""

from __future__ import annotations

import unicodedata
from unittest import mock

import pytest
from conftest import SHARED
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import _text, normalize
from pipeline.errors import Reject
from pipeline.normalize import canon, normalize_line, normalize_text, split_lines
from pipeline.parse import parse_text
from pipeline.read import read_text, sniff

SEED = (SHARED / "seeds/000_1658f79ee837fe88.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16", "utf-16-le", "utf-16-be"])
def test_every_encoding_reads_to_the_same_report(encoding):
    text, reader = read_text("r.txt", SEED.encode(encoding))
    assert reader == "text"
    assert text.lstrip("\ufeff") == SEED
    assert parse_text(text).values() == parse_text(SEED).values()


def test_big5_mirror_site_text():
    traditional = "政府資訊公開工作年度報告 總計 處理 申請"
    text, _ = read_text("r.txt", traditional.encode("big5"))
    assert text == traditional


@pytest.mark.parametrize(
    "name,data,code",
    [
        ("a.txt", b"", "empty_file"),
        ("a.txt", b"  \n\t\n", "empty_file"),
        ("a.png", b"\x89PNG\r\n\x1a\n\0\0", "not_a_report"),
        ("a.bin", b"\x00\x01\x02\x03" * 100, "not_a_report"),
        ("a.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "unsupported_format"),
        ("log.txt", "第1行\t日志\n".encode() * 1_200_000, "too_large"),  # 18 MB: a log, not a report
        ("a.html", b"<html>" + b" " * (16 * 2**20), "too_large"),
    ],
)
def test_non_reports_are_rejected_with_a_code(name, data, code):
    with pytest.raises(Reject) as info:
        read_text(name, data)
    assert info.value.code == code


def test_doc_reject_names_the_conversion():
    with pytest.raises(Reject, match="libreoffice --headless --convert-to docx"):
        read_text("a.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64)


def test_content_decides_the_kind_not_the_name():
    assert sniff("report.html", b"%PDF-1.7\n...") == "pdf"
    assert sniff("report.txt", b"<!DOCTYPE html><html>") == "html"
    assert sniff("report.txt", "一、总体情况".encode()) == "text"


def test_normalisation_folds_widths_and_keeps_lines():
    assert normalize_line("（一）予以公开　１２３") == "(一)予以公开 123"
    assert normalize_text("甲\u200b１\r\n\x0b（二）\f\r\ufeff") == ["甲1", " (二) ", ""]
    assert normalize_text("甲\r\u00ad\n乙") == ["甲", "", "乙"]  # a soft hyphen between CR and LF is a line
    assert canon("（二） 部分公開（區分處理的）") == canon("(二)部分公开(区分处理的)")
    assert canon("1、属于国家秘密") == canon("1.属于 国家秘密")


def test_radicals_printed_for_characters_are_the_characters():
    """Chromium's PDFs write a radical's code point where the font draws it with the
    character's glyph: 人⺠ (U+2EA0) is 人民, ⾸⻚ is 首页 (NFKC folds only the Kangxi block)."""
    assert normalize_line("洛阳市瀍⻄街道 人⺠政府 ⾸⻚") == "洛阳市瀍西街道 人民政府 首页"
    assert normalize_text("人⺠\n⻓") == ["人民", "长"]


def test_password_protected_docx_is_not_called_legacy_doc():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64 + "EncryptedPackage".encode("utf-16-le") + b"\0" * 64
    with pytest.raises(Reject) as info:
        read_text("report.docx", ole)
    assert info.value.code == "encrypted_docx"


_AWKWARD = "\r\n\x0b\x0c\u200b\u200c\u200d\u2060\ufeff\u00ad\u3000\u0301\u0338\u1100\u1161（），：；．！？１ｶﾞ⼆⺠⻚⺟"


@given(st.text(alphabet=st.sampled_from(_AWKWARD) | st.characters(), max_size=60))
def test_whole_text_normalisation_is_line_by_line(text):
    """normalize_text maps the whole text at once for speed: it must equal normalize_line on
    every line, and keep the line count."""
    assert normalize_text(text) == [normalize_line(line) for line in split_lines(text)]
    with mock.patch.object(normalize, "_FOLDER", None):  # folded by the Python
        assert normalize_text(text) == [normalize_line(line) for line in split_lines(text)]


@given(st.text(alphabet=st.sampled_from("\r\n a甲"), max_size=30))
def test_lines_split_as_the_regular_expression_splits_them(text):
    """split_lines' shortcuts (no CR; CR only before LF) give the lines the expression gives."""
    assert split_lines(text) == normalize._LINE_BREAK.split(text)


_FOLDED = _AWKWARD + "".join(map(chr, normalize._FOLD)) + "甲a\u00e9\U00020628"


@settings(max_examples=500)
@given(st.text(alphabet=st.sampled_from(_FOLDED) | st.characters(), max_size=40))
def test_c_fold_is_the_python_fold(text):
    """The C fold (_text.Fold) maps a text as ``normalize._fold`` does: each character of the
    table to its own (some out of the BMP), None for a text with a zero-width character, and a
    string of the narrowest kind (a text of full-width forms only comes out ASCII, equal to the
    Python's)."""
    got = normalize._FOLDER(text)
    assert got == normalize._fold(text)
    if got is not None:
        assert got.isascii() == normalize._fold(text).isascii()
        assert (got is text) == (got == text)


def _composition_seconds() -> set[str]:
    """Every character a canonical composition can end with: the second of each two-character
    canonical decomposition, and the Hangul vowels and finals (composed by rule, not by table)."""
    seconds = {chr(c) for c in [*range(0x1161, 0x1176), *range(0x11A8, 0x11C3)]}
    for c in range(0x110000):
        d = unicodedata.decomposition(chr(c)).split()
        if len(d) == 2 and not d[0].startswith("<"):
            seconds.add(chr(int(d[1], 16)))
    return seconds


def test_plain_characters_are_nfkc_whatever_stands_around_them():
    """A text of PLAIN_RANGES' characters alone is NFKC (``normalize._folded`` tells, and the
    quick check is skipped): none decomposes, none has a combining class, and none ends a
    composition."""
    plain = [chr(c) for a, b in normalize.PLAIN_RANGES for c in range(a, b + 1)]
    seconds = _composition_seconds()
    bad = [c for c in plain if unicodedata.decomposition(c) or unicodedata.combining(c) or c in seconds]
    assert not bad
    assert unicodedata.is_normalized("NFKC", "".join(plain))


_PLAINISH = "a1\t\n 甲乙、。“”—…％é\u0301\u3000\u1100\u1161（"


@settings(max_examples=500)
@given(st.text(alphabet=st.sampled_from(_PLAINISH + _FOLDED) | st.characters(), max_size=40))
def test_c_plain_test_is_the_python_one(text):
    """The C fold tells a folded text plain as the Python does (``normalize._folded``), and a
    plain text is NFKC."""
    folded, plain = normalize._FOLDER.folded(text)
    with mock.patch.object(normalize, "_FOLDER", None):
        assert (folded, plain) == normalize._folded(text)
    if plain:
        assert unicodedata.is_normalized("NFKC", folded)


def test_c_fold_takes_only_a_table_of_characters():
    tables = ({0x1F600: "a"}, {ord("a"): "bc"}, {ord("a"): -1}, {ord("a"): 0}, {ord("a"): "\0"})
    for table, stop in [*((t, "") for t in tables), ({ord("a"): "b"}, "a")]:
        with pytest.raises(ValueError):
            _text.Fold(table, stop)
    fold = _text.Fold({ord("a"): ord("b"), ord("c"): "\U00020628"}, "z")
    assert fold("abc") == "bb\U00020628" and fold("az") is None and fold("") == ""
    with pytest.raises(ValueError):
        _text.Fold({}, "", "a\U00020628")  # plain characters of the BMP only
    fold = _text.Fold({ord("a"): ord("b"), ord("c"): ord("d")}, "z", "b甲")
    assert fold.folded("a甲") == ("b甲", True)  # plain as folded: a becomes b
    assert fold.folded("b") == ("b", True) and fold.folded("") == ("", True)
    assert fold.folded("c") == ("d", False) and fold.folded("az") == (None, False)
    assert fold.folded("\U00020628") == ("\U00020628", False)
    assert _text.Fold({}, "").folded("b") == ("b", False)  # no plain characters given: none is


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(st.sampled_from(" a\té中文\u3000𠀋\n"), max_size=12), max_size=6))
def test_c_squeezed_is_the_python_one(lines):
    """Lines of every width (ASCII, Latin-1, BMP, beyond), spaces of every kind (only " " goes)."""
    from pipeline import parse

    assert _text.squeezed(lines) == parse._joined_squeezed(lines)
    assert _text.squeezed(lines).isascii() == parse._joined_squeezed(lines).isascii()


def test_squeezed_of_real_texts_is_the_python_ones():
    from pipeline import parse

    for rel in ("seeds/000_1658f79ee837fe88.txt", "seeds/004_baf32f534e185151.txt", "corpus/huaian_2024.pdf.txt"):
        lines = normalize_text(read_text(rel, (SHARED / rel).read_bytes())[0])
        assert parse._squeezed(lines) == parse._joined_squeezed(lines)
    with pytest.raises(TypeError):
        _text.squeezed(["a", 3])
