"""Readers for published files: HTML pages, PDF files and Word documents to plain text.

Each reader exposes ``to_text(data: bytes) -> str`` and raises ``Reject`` for files it cannot
read.  Whatever the format, a table comes out as one tab-separated line per table row (an empty
cell between two tabs is a blank cell) and everything else as lines in reading order, so a single
parser (``pipeline.parse``) reads every format, and a cell's line number points into this text.
"""
