"""``_anchors``, the C of ``anchors._match_chars`` and ``anchors._anchor_rows``, against the
Python: the same matches and the same anchors for random label texts and row sets and for the
streams of parsed reports, and NotImplemented for what the C leaves to the Python."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.generate import generate_many
from pipeline.parse import _anchors, anchors, parse_text, sections
from pipeline.parse.anchors import Anchor

# a small alphabet, so that keys recur in the text, overlap and run across each other's matches
ALPHABET = "申请办理结果予以公开不一"
key = st.text(st.sampled_from(ALPHABET), min_size=1, max_size=3)
rows = st.lists(st.tuples(st.lists(key, min_size=0, max_size=3).map(tuple), st.booleans()), max_size=8).map(tuple)


@st.composite
def streams(draw):
    """Label text, its owner list (token indices, non-decreasing), matches placed in it, and the
    labels' text before each key."""
    text = draw(st.text(st.sampled_from(ALPHABET), max_size=60))
    owner, tok = [], 0
    for _ in text:
        tok += draw(st.sampled_from((0, 0, 1, 2)))
        owner.append(tok)
    specs = draw(rows)
    placed = anchors._placed_matches(text, specs)
    before = tuple(tuple(draw(st.text(st.sampled_from(ALPHABET), max_size=4)) for _ in keys) for keys, _ in specs)
    return text, owner, placed, draw(st.one_of(st.none(), st.just(before))), len(specs)


@settings(max_examples=800, deadline=None)
@given(st.text(st.sampled_from(ALPHABET), max_size=80), rows)
def test_the_c_places_the_keys_as_the_python_does(text, specs):
    assert _anchors.match_chars(text, specs) == anchors._placed_matches(text, specs)


# characters of every width (ASCII, CJK, astral) and many first characters, so that the C's
# table of the keys' first characters fills and collides
WIDE = st.sampled_from("0123456789总计其他abcdefghij" + "".join(map(chr, range(0x4E00, 0x4E40))) + "𠀀𠀁")
wide_rows = st.lists(
    st.tuples(st.lists(st.text(WIDE, min_size=1, max_size=3), max_size=4).map(tuple), st.booleans()), max_size=40
).map(tuple)


@settings(max_examples=400, deadline=None)
@given(st.text(WIDE, max_size=200), wide_rows, st.integers(1, 3))
def test_the_c_places_keys_of_any_characters_as_the_python_does(text, specs, repeat):
    """Texts and keys of every character width, with many first characters, and a row set
    used again (the C keeps what it prepared of the first few)."""
    for _ in range(repeat):
        assert _anchors.match_chars(text, specs) == anchors._placed_matches(text, specs)


@settings(max_examples=800, deadline=None)
@given(streams())
def test_the_c_makes_the_anchors_the_python_makes(stream):
    text, owner, placed, before, n = stream
    got, want = _anchors.anchor_rows(text, owner, placed, before, n, Anchor), anchors._anchor_rows(*stream)
    assert got == want
    assert [type(a) for a in got] == [type(a) for a in want]


def test_the_c_reads_a_label_across_the_tokens_of_another_as_the_python_does():
    """A narrow column runs a label's characters into its neighbour's ("1本 无法 机关 提供 不掌握"):
    the label's start is found across the other tokens, but not before the row above ends."""
    text, owner = "1本无法机关提供不掌握", [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 4]
    alone = (text, owner, ((0, 8, 11, 0),), (("1本机关",),), 1)
    assert anchors._anchor_rows(*alone)[0].start_tok == 0  # read back across 提供 and 无法
    assert _anchors.anchor_rows(*alone, Anchor) == anchors._anchor_rows(*alone)
    # the row above ends after "1本": the label is not read into it, it starts at its key
    below = (text, owner, ((1, 8, 11, 0), (0, 0, 2, 0)), (("",), ("1本机关",)), 2)
    assert anchors._anchor_rows(*below)[1].start_tok == 4
    assert _anchors.anchor_rows(*below, Anchor) == anchors._anchor_rows(*below)
    # glued text: the row above ends inside a token (请办), whose part after it is the label's
    inside = ("申请办理结果", [0, 1, 1, 2, 3, 3], ((1, 4, 6, 0), (0, 0, 2, 0)), (("",), ("请办理",)), 2)
    assert anchors._anchor_rows(*inside)[1].start_tok == 3
    assert _anchors.anchor_rows(*inside, Anchor) == anchors._anchor_rows(*inside)


def test_the_c_anchors_are_the_tuples_the_python_makes():
    a = _anchors.anchor_rows("申请", [3, 3], ((0, 0, 2, 0),), None, 2, Anchor)
    assert a == [Anchor(0, 3, 3, 0, False), None]
    assert type(a[0]) is Anchor and a[0].start_tok == 3 and a[0].tail is False


@pytest.mark.parametrize(
    "args",
    [
        ("申请", [3, "3"], ((0, 0, 2, 0),), None, 1),  # an owner that is not a token index
        ("申请", [3, -1], ((0, 0, 2, 0),), None, 1),
        ("申请", [3], ((0, 0, 2, 0),), None, 1),  # an owner as long as no text
        ("申请", [3, 3], ((0, 0, 3, 0),), None, 1),  # a match past the text
        ("申请", [3, 3], ((1, 0, 2, 0),), None, 1),  # a row past the rows
        ("申请", [3, 3], ((0, 0, 2, 1),), (("",),), 1),  # a key rank past the row's keys
        ("申请", [3, 3], ((0, 0, 2),), None, 1),
        ("申请", [3, 3], ((0, 0, 2, 0.0),), None, 1),
    ],
)
def test_what_the_c_does_not_take_it_leaves_to_the_python(args):
    assert _anchors.anchor_rows(*args, Anchor) is NotImplemented


@pytest.mark.parametrize(
    "specs",
    [
        ((("",), True),),  # an empty key
        ((["申请"], True),),  # keys in a list
        ((("申请",),),),
        [(("申请",), True)],
    ],
)
def test_row_sets_the_c_does_not_take_are_left_to_the_python(specs):
    assert _anchors.match_chars("申请", specs) is NotImplemented


def test_the_c_places_the_rows_of_parsed_reports_as_the_python_does(monkeypatch):
    """Every call ``match_rows`` gets parsing reports of every layout, both templates."""
    calls = []
    inner = anchors.match_rows
    monkeypatch.setattr(sections, "match_rows", lambda *a: calls.append(a) or inner(*a))
    for g in generate_many(11, 40):
        parse_text(g.text)
    monkeypatch.undo()
    assert len(calls) > 80
    for stream, specs, *labels in calls:
        placed = anchors._placed_matches(stream.text, specs)
        assert _anchors.match_chars(stream.text, specs) == placed
        before = anchors._before_keys(specs, labels[0]) if labels else None
        args = (stream.text, stream.owner, placed, before, len(specs))
        assert _anchors.anchor_rows(*args, Anchor) == anchors._anchor_rows(*args)
