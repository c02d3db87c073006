"""Read stage: bytes of one input file to the text the parser reads, or a Reject.

What a file is comes from its first bytes, with the file name as a hint only: crawls save PDFs as
.html and web pages as .txt.  Text files are decoded (encoding detected, see ``normalize.decode``);
HTML, PDF and DOCX go to their readers in ``pipeline.readers``, which rebuild table rows as
tab-separated lines so that one parser reads every format.
"""

from __future__ import annotations

import importlib
import os

from pipeline.errors import Reject
from pipeline.normalize import DecodeError, decode, utf16_without_bom

_MAGIC = (
    (b"%PDF", "pdf"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "doc"),
    (b"PK\x03\x04", "zip"),
    (b"\x89PNG", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"GIF8", "image"),
    (b"BM", "image"),
    (b"RIFF", "binary"),
    (b"\x1f\x8b", "binary"),
)
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff", ".svg"}
_HTML_SUFFIXES = {".html", ".htm", ".shtml", ".xhtml"}


def sniff(name: str, data: bytes) -> str:
    """The kind of an input: text | html | pdf | docx | doc | image | binary | empty."""
    if not data.strip():
        return "empty"
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            if kind == "zip":
                return "docx" if b"word/" in data[:4096] or name.lower().endswith(".docx") else "binary"
            return kind
    suffix = os.path.splitext(name)[1].lower()  # as PurePath's suffix for every suffix below
    if suffix in _IMAGE_SUFFIXES:
        return "image"
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if suffix in _HTML_SUFFIXES or head.startswith((b"<!doctype html", b"<html", b"<?xml", b"<meta", b"<head")):
        return "html"
    if (
        b"\x00" in data[:4096]
        and not data.startswith((b"\xff\xfe", b"\xfe\xff"))
        and utf16_without_bom(data[:4096]) is None
    ):
        return "binary"
    return "text"


MAX_TEXT_BYTES = 16 * 2**20  # text or HTML: the longest report seen is 0.1 MB; a log or dump is not read


_READERS = {"html": "pipeline.readers.html", "pdf": "pipeline.readers.pdf", "docx": "pipeline.readers.docx"}


def read_text(name: str, data: bytes) -> tuple[str, str]:
    """(text, reader) for one input; raises Reject when the input holds no text we can read."""
    kind = sniff(name, data)
    if kind == "empty":
        raise Reject("read", "empty_file", "the file is empty")
    if kind == "image":
        raise Reject("read", "not_a_report", "an image, not a report (xxgk does no OCR)")
    if kind == "binary":
        raise Reject("read", "not_a_report", "binary data, not a report")
    if kind == "doc" and "EncryptedPackage".encode("utf-16-le") in data[:65536]:
        raise Reject("read", "encrypted_docx", "a password-protected Word document; save it without a password")
    if kind == "doc":
        raise Reject(
            "read",
            "unsupported_format",
            "legacy Word .doc; convert it first: libreoffice --headless --convert-to docx FILE",
        )
    if kind in ("text", "html") and len(data) > MAX_TEXT_BYTES:
        raise Reject("read", "too_large", f"{len(data) / 2**20:.0f} MB of {kind}: no report is this long")
    if kind == "text":
        try:
            text, _ = decode(data)
        except DecodeError as exc:
            raise Reject("decode", "decode_error", str(exc)) from exc
        return text, "text"
    module = importlib.import_module(_READERS[kind])
    return module.to_text(data), kind
