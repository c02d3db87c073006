"""Round trip of published files: generated HTML pages and Word files, read by content
(``read_text``) and parsed, give back exactly the generated values, agency, year and template.

The sample is small and seeded (PDFs fewer: printing one takes a second or two);
scripts/roundtrip_published.py runs thousands per kind.
"""

from __future__ import annotations

import random

import pytest

from pipeline.generate import compare
from pipeline.generate_published import KINDS, generate_published
from pipeline.parse import parse_text
from pipeline.read import read_text
from pipeline.template import TEMPLATES

SAMPLE = {"html": 30, "docx": 30, "pdf_print": 6, "pdf_word": 4}


def _read(g):
    text, kind = read_text("report", g.data)
    assert kind == g.layout.split("_")[0]
    return text, parse_text(text)


@pytest.mark.parametrize("template", sorted(TEMPLATES))
@pytest.mark.parametrize("kind", KINDS)
def test_published_report_parses_to_its_values(kind, template):
    for i in range(SAMPLE[kind]):
        g = generate_published(random.Random(f"published:{i}"), template, kind)
        text, report = _read(g)
        c = compare(g, report)
        assert c.wrong == [] and c.flagged == 0, (i, c.wrong[:5], text)
        assert (report.agency, report.year, report.template) == (g.agency, g.year, g.template)
        assert report.status == "ok", [ch for ch in report.checks if not ch.passed]


@pytest.mark.parametrize("kind", KINDS)
def test_a_printed_error_is_read_as_printed_and_never_ok(kind):
    """A publisher error (one requests or appeals cell printed one too high) is loaded as printed
    and the report is marked, never 'ok'."""
    for i in range(SAMPLE[kind]):
        rng = random.Random(f"misprint:{kind}:{i}")
        template = rng.choice(sorted(TEMPLATES))
        keys = sorted(k for k in generate_published(random.Random(i), template, kind).expected if k[0] != "proactive")
        key = rng.choice(keys)
        g = generate_published(random.Random(i), template, kind, misprint=key)
        _, report = _read(g)
        assert report.status != "ok", key
        assert report.values()[key] == g.expected[key]


def test_charset_and_bytes_agree():
    """Every page decodes by its own declaration or its bytes: the text read holds the title."""
    encodings = set()
    for i in range(40):
        g = generate_published(random.Random(f"charset:{i}"), "2021", "html")
        text, _ = read_text("page.html", g.data)
        assert g.agency in text, g.encoding
        encodings.add(g.encoding)
    assert {"utf-8", "gb18030"} <= encodings


def test_blank_cells_at_the_end_of_a_row_keep_their_place():
    """A page that prints zero as a blank cell ends rows in empty cells: the values before them
    stay in their columns (they were once read right-aligned, and the report still said 'ok')."""
    text = (
        "三、收到和处理政府信息公开申请情况\n"
        "一、本年新收政府信息公开申请数量\t1\t0\t0\t0\t0\t0\t1\n"
        "四、政府信息公开行政复议、行政诉讼情况\n"
        "38\t2\t9\t31\t80\t0\t0\t0\t0\t0\t\t\t\t\t\n"
    )
    appeals = [v for k, v in parse_text(text).values().items() if k[0] == "appeals"]
    assert appeals == [38, 2, 9, 31, 80, 0, 0, 0, 0, 0, None, None, None, None, None]
