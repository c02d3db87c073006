"""Round trip: generated reports in every layout parse back to exactly their generated values.

The generator (pipeline/generate.py) knows the answer for every report it prints, so the parser
can be held to it cell by cell; rows the parser itself marks as in doubt are excused, but then
the report may not claim status 'ok'.  The sample here is small and seeded (scripts/roundtrip.py
runs 10,000); the fuzz test checks that no input makes the read and parse stages raise.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import Reject
from pipeline.generate import LAYOUTS, compare, generate
from pipeline.parse import parse_text
from pipeline.read import read_text
from pipeline.template import TEMPLATES

# Layouts whose round trip is not yet exact (scripts/roundtrip.py shows the cells): the parser
# still misplaces some rows there.  Remove an entry once its layout round-trips.
KNOWN_GAPS: set[str] = set()

FAST = settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


def _parse(data: bytes):
    text, _ = read_text("report.txt", data)
    return parse_text(text)


@pytest.mark.parametrize("template", sorted(TEMPLATES))
@pytest.mark.parametrize(
    "layout",
    [
        pytest.param(lay, marks=pytest.mark.xfail(reason="parser gap", strict=False)) if lay in KNOWN_GAPS else lay
        for lay in LAYOUTS
    ],
)
@FAST
@given(seed=st.integers(0, 2**32 - 1))
def test_generated_report_parses_to_its_values(layout, template, seed):
    g = generate(random.Random(seed), template, layout)
    c = compare(g, _parse(g.data))
    assert c.wrong == [], g.text
    assert not c.silent


@pytest.mark.parametrize("layout", ["tsv", "pipe", "markdown"])
@FAST
@given(seed=st.integers(0, 2**32 - 1), data=st.data())
def test_a_printed_error_is_read_as_printed_and_never_ok(layout, seed, data):
    """A publisher error (one requests or appeals cell printed one too high) is loaded as printed
    and the report is marked, never 'ok'."""
    template = data.draw(st.sampled_from(sorted(TEMPLATES)))
    keys = [k for k in generate(random.Random(seed), template, layout).expected if k[0] != "proactive"]
    key = data.draw(st.sampled_from(keys))
    g = generate(random.Random(seed), template, layout, misprint=key)
    report = _parse(g.data)
    assert report.status != "ok"
    assert report.values()[key] == g.expected[key]


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.one_of(st.binary(max_size=400), st.text(max_size=400).map(lambda t: t.encode("utf-8"))))
def test_read_and_parse_never_raise(data):
    try:
        text, _ = read_text("input.txt", data)
    except Reject:
        return
    parse_text(text)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), cut=st.floats(0, 1), junk=st.text(max_size=30))
def test_damaged_reports_never_raise(seed, cut, junk):
    """Truncated and spliced reports: the parser may give up on a section, never raise."""
    g = generate(
        random.Random(seed), random.Random(seed).choice(sorted(TEMPLATES)), random.Random(seed).choice(LAYOUTS)
    )
    at = int(len(g.text) * cut)
    parse_text(g.text[:at] + junk + g.text[at + len(junk) * 3 :])
