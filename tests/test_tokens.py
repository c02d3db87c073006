"""The token is written twice (pipeline/parse/_tokens.c says why): the C Token and its tokenize
loop must give what the dataclass and the Python loop give, field for field."""

from __future__ import annotations

import functools
import itertools
import pickle
import random
import re
from types import SimpleNamespace
from unittest import mock

import pytest
from conftest import SHARED, recorded
from hypothesis import given, settings
from hypothesis import strategies as st
from test_golden import TEXT_REPORTS

import pipeline.parse as parse
from pipeline.generate import generate_many
from pipeline.normalize import canon, normalize_text
from pipeline.parse import _table_lines, _tokens, parse_text, readings, sections, tokens
from pipeline.parse.anchors import Anchor
from pipeline.parse.tokens import BLANK, NA, NUM, TEXT, PyToken, Token
from pipeline.read import read_text
from pipeline.template import NOISE_LINE_PATTERNS

FIELDS = ("kind", "text", "line", "col", "celled")


def as_rows(toks: list) -> list[tuple]:
    return [tuple(getattr(t, f) for f in FIELDS) for t in toks]


def python_tokens(lines: list[str], start: int = 0, end: int | None = None) -> list[PyToken]:
    """tokens.tokenize as it runs with no C module."""
    return python_labelled(lines, start, end)[0]


def python_labelled(lines: list[str], start: int = 0, end: int | None = None) -> tuple[list[PyToken], str, list[int]]:
    """tokens.labelled as it runs with no C module."""
    with mock.patch.object(tokens, "_tokens", None):
        return tokens.labelled(lines, start, end)


@functools.cache
def texts() -> list[str]:
    """The golden corpus's text reports and generated reports of every layout."""
    out = [read_text(rel, (SHARED / rel).read_bytes())[0] for rel in TEXT_REPORTS]
    return out + [read_text("r.txt", g.data)[0] for g in generate_many(5, 24)]


def test_the_c_module_is_built():
    """`make build` compiles it: a missing module would pass every other test here in silence."""
    assert _tokens is not None and Token is _tokens.Token


@pytest.mark.parametrize("whole", [True, False], ids=["whole text", "table lines"])
def test_c_tokens_are_the_dataclass_tokens(whole):
    for text in texts():
        lines = normalize_text(text)
        bounds = (0, None) if whole else _table_lines(lines)
        assert as_rows(tokens.tokenize(lines, *bounds)) == as_rows(python_tokens(lines, *bounds))


def test_c_tokens_with_a_line_cache_emptied_as_it_fills(monkeypatch):
    """The C tokenize keeps each line's pieces (per `bordered`) and empties its cache when it
    holds _LINES_CACHED lines: with room for 3 lines it empties it every few lines, and what
    it reads stays the dataclass tokens."""
    caches: tuple[dict, dict] = ({}, {})
    monkeypatch.setattr(tokens, "_C_LINES", caches)
    monkeypatch.setattr(tokens, "_LINES_CACHED", 3)
    for text in texts()[:6]:
        lines = normalize_text(text)
        for _ in range(2):  # the second time, from the cache where the line is still in it
            assert as_rows(tokens.tokenize(lines)) == as_rows(python_tokens(lines))
            assert 0 < max(map(len, caches)) <= 3
    for bordered, cache in enumerate(caches):  # each line's pieces, flat, with the labels of its text
        for line, flat in cache.items():
            pieces = tokens._line_tokens.__wrapped__(line, bool(bordered))
            assert flat == tuple(itertools.chain(*((*p, canon(p[1]) if p[0] == TEXT else None) for p in pieces)))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(st.sampled_from("0123 4|\t/-—（）一总计.、无"), max_size=20), max_size=8), st.data())
def test_c_tokens_of_any_lines(lines, data):
    start = data.draw(st.integers(0, len(lines)))
    end = data.draw(st.one_of(st.none(), st.integers(start, len(lines) + 2)))
    toks, text, owner = tokens.labelled(lines, start, end)
    want = python_labelled(lines, start, end)
    assert (as_rows(toks), text, owner) == (as_rows(want[0]), *want[1:])


@settings(max_examples=500, deadline=None)
@given(st.lists(st.text(st.sampled_from("a1 |\t\u3000\x1c\u2028\x0b总"), max_size=6), max_size=5), st.data())
def test_c_bordered_of_any_lines(lines, data):
    """Pipe rows with and without a left border, spaces of every kind around them."""
    first = data.draw(st.integers(0, len(lines)))
    stop = data.draw(st.integers(first, len(lines)))
    assert _tokens.bordered(lines, first, stop) is tokens._bordered(lines, first, stop)


@pytest.mark.parametrize(
    ("line", "bordered"),
    [
        ("a | b |", False),
        ("a|\u3000\x0b", False),
        ("总计 |\u2028", False),
        ("| a | b |", True),
        (" a |", True),
        ("|", True),
    ],
)
def test_pipe_rows_with_no_left_border(line, bordered):
    assert tokens._bordered([line], 0, 1) is _tokens.bordered([line], 0, 1) is bordered


# every character a branch of _line_tokens turns on: separators, spaces (ideographic, vertical
# tab), digits that are decimal or only digits, signs, groups, units, ordinals, marks and the
# label words they pair with, page chrome, a URL, a digit-count header, a Markdown rule
LINE_CHARS = st.sampled_from(
    list("0123456789 |\t\u3000\x0b\r+-,.、万元()（）一四十总计/—–－\\×无法提供增减保留位小数第页共#:wh٣²a")
    + ["http://", "www.", "---", "——", "保留2位小数", "第 3 页", "2/3", "2026/1/5 10:00", "(四)无", "4. 无"]
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(LINE_CHARS, max_size=24).map("".join), st.booleans())
def test_c_line_tokens_of_any_line(line, bordered):
    assert _tokens.line_tokens(line, bordered) == tokens._line_tokens.__wrapped__(line, bordered)


def test_c_line_tokens_of_every_line_of_the_texts():
    for text in texts():
        for line in normalize_text(text):
            for bordered in (True, False):
                assert _tokens.line_tokens(line, bordered) == tokens._line_tokens.__wrapped__(line, bordered)


def test_a_c_token_behaves_as_the_dataclass():
    a, b = Token(NUM, "3", 5, 0, True), PyToken(NUM, "3", 5, 0, True)
    assert repr(a) == repr(b).replace("PyToken", "Token")
    assert a == Token(kind=NUM, text="3", line=5, col=0, celled=True)
    assert a != Token(NUM, "3", 5, 1, True)
    assert (a == Token(NUM, "3", 5, 1, True)) is False
    assert [a] == [Token(NUM, "3", 5, 0, True)]
    assert a != b  # another class, as two dataclasses are
    assert pickle.loads(pickle.dumps(a)) == a
    with pytest.raises(TypeError):
        hash(a)
    with pytest.raises(TypeError):
        Token(NUM, "3", 5, 0)
    with pytest.raises(TypeError):
        Token(NUM, "3", 5, 0, True, kind=NUM)


def test_c_labels_and_loops_are_the_python_ones():
    """The label text and its owners the C tokenize gives with the tokens (whole texts and their
    tables, from the line cache or not) are the Python's, as are the C loops over spans."""
    rng = random.Random(3)
    for text in texts():
        lines = normalize_text(text)
        for bounds in ((0, None), _table_lines(lines)):
            for _ in range(2):  # the second time, from the line cache
                assert tokens.labelled(lines, *bounds)[1:] == python_labelled(lines, *bounds)[1:]
        toks = tokens.tokenize(lines)
        assert tokens.labelled(lines)[1:] == tokens.label_text(toks, 0, len(toks))
        spans = [(0, len(toks))] + [tuple(sorted(rng.sample(range(len(toks) + 1), 2))) for _ in range(5)]
        for lo, hi in spans:
            for width in (7, 15, 1):
                vals = _tokens.value_tokens(toks, lo, hi, width, TEXT, BLANK)
                assert vals == sections._value_tokens(toks, lo, hi, width)
                assert _tokens.groups_of(toks, vals, TEXT) == sections._groups_of(toks, vals)
            assert _tokens.line_counts(toks, lo, hi, NUM) == parse._line_counts(toks, lo, hi)
            assert _tokens.glued_numbers(toks, lo, hi, TEXT, NUM) == sections._glued_numbers(toks, lo, hi)
            for k in range(lo, hi - 7):  # every stretch of 7 tokens as a row
                for integer in (True, False):
                    assert readings.plain_readings(toks[k : k + 7], integer) == readings._plain_readings(
                        toks[k : k + 7], integer
                    )


TOKEN = st.tuples(
    st.sampled_from([TEXT, NUM, NA, BLANK]),
    st.sampled_from(["", "0", "1(一)", "总计", "/"]),
    st.booleans(),
    st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(TOKEN, max_size=40), st.integers(1, 9), st.data())
def test_c_loops_of_any_tokens(specs, width, data):
    """Tokens of every kind, on lines that change or not, celled or not."""
    line, toks = 1, []
    for k, (kind, text, next_line, celled) in enumerate(specs):
        line += next_line
        toks.append(Token(kind, text, line, k, celled))
    lo = data.draw(st.integers(0, len(toks)))
    hi = data.draw(st.integers(lo, len(toks)))
    assert _tokens.value_tokens(toks, lo, hi, width, TEXT, BLANK) == sections._value_tokens(toks, lo, hi, width)
    vals = sorted(data.draw(st.sets(st.integers(0, len(toks) - 1))) if toks else [])
    if data.draw(st.booleans()):  # out of line order too
        vals = data.draw(st.permutations(vals))
    assert _tokens.groups_of(toks, vals, TEXT) == sections._groups_of(toks, vals)
    assert _tokens.line_counts(toks, lo, hi, NUM) == parse._line_counts(toks, lo, hi)
    assert _tokens.glued_numbers(toks, lo, hi, TEXT, NUM) == sections._glued_numbers(toks, lo, hi)
    ends = data.draw(st.lists(st.integers(0, len(toks) - 1))) if toks else []
    labels = [SimpleNamespace(end_tok=e) for e in ends]
    votes = [v for v in (sections._glued_after(toks, a) for a in labels) if v is not None]
    assert _tokens.glued_after(toks, ends, NUM) == sections.glued_after(toks, labels) == votes
    shuffled = data.draw(st.permutations(toks))  # lines out of order
    assert _tokens.line_counts(shuffled, lo, hi, NUM) == parse._line_counts(shuffled, lo, hi)
    if toks:  # labels anywhere (one token or several, more label text after the match or not), or not found
        label = st.tuples(st.integers(0, len(toks) - 1), st.integers(0, 3), st.booleans())
        anchors = [
            None if spec is None else Anchor(r, spec[0], min(spec[0] + spec[1], len(toks) - 1), 0, spec[2])
            for r, spec in enumerate(data.draw(st.lists(st.one_of(st.none(), label), max_size=8)))
        ]
        assert _tokens.proactive_values(toks, anchors, hi, TEXT, NUM) == sections._proactive_values(toks, anchors, hi)
        vals = data.draw(st.lists(st.integers(0, len(toks) - 1), max_size=30))  # in order, or not
        assert _tokens.appeal_tokens(toks, vals, 15, TEXT, NUM) == sections._appeal_tokens(toks, vals)


# counts up to the ceiling (MAX_COUNT = 10^9 is too large to be one), past the digits a double holds
NUMBER_TEXT = st.sampled_from(
    ["0", "7", "0012", "999999999", "1000000000", "1" * 16, "1" * 30, "", "3.5", "1,234", "-3", "３", "²", "万元"]
    + ["+5", "-0", "12.50", "0.1", "-3.", ".5", "1.2.3", "-", "+-3", "－3", "3.5万元", "-３", "1e5", " 3"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([NUM, NUM, TEXT, NA, BLANK]), NUMBER_TEXT), max_size=9), st.booleans())
def test_c_plain_readings_of_any_row(specs, integer):
    """Plain digits, digits too large for a count, numbers that are not plain, digits that are
    not ASCII: the C reads a row as the Python does, or leaves it to the Python (None)."""
    toks = [Token(kind, text, 4 + k // 3, k, False) for k, (kind, text) in enumerate(specs)]
    python = outcome(readings._plain_readings, toks, integer)
    assert outcome(readings.plain_readings, toks, integer) == python
    assert outcome(readings.plain_readings, tuple(toks), integer) == python
    if isinstance(python, list) and python:
        (got,) = readings.plain_readings(toks, integer)
        assert type(got) is readings.Reading and type(got.cost) is float and got.left_out == 0


@given(st.from_regex(r"[+\-]?[0-9]{1,20}(\.[0-9]{1,20})?", fullmatch=True))
def test_a_plain_change_or_amount_is_read_as_cell_value_reads_it(text):
    """The plain readings of cells that are not counts take a signed or decimal number as it
    is (float of the text): the value cell_value gives it (float of its Decimal)."""
    (got,) = readings._plain_readings([Token(NUM, text, 3, 0, False)], False)
    assert got.values == (readings.cell_value(text, False),)
    assert readings._plain_readings([Token(NUM, text, 3, 0, False)], True) is None or text.isdigit()


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from([NUM, NUM, NUM, TEXT, NA, BLANK]), NUMBER_TEXT), max_size=9),
    st.integers(1, 7),
    st.sampled_from([1, 1, 3]),
    st.booleans(),
    st.one_of(st.none(), st.booleans()),
    st.one_of(st.none(), st.integers(1, 400)),
    st.one_of(st.none(), st.integers(0, 3)),
)
def test_c_totalled_readings_of_any_row(specs, size, blocks, glued, cut, line, max_blanks):
    """Rows the search reads or finds no reading of, rows with signs and thousands separators
    (which the C leaves to the Python), on one line or several: the same readings."""
    toks = [Token(kind, text, 4 + k // 3, k, False) for k, (kind, text) in enumerate(specs)]
    weight = tuple(1.0 + (k % 3) for k in range(size))
    kwargs = {"glued": glued, "line": line, "cut": cut, "max_blanks": max_blanks, "budget": 3000}
    search = (size, blocks, glued, glued if cut is None else cut, weight, 32, 3000, max_blanks)
    python = raised(readings._totalled_readings, toks, search, line)
    got = raised(lambda: readings.totalled_readings(toks, size, blocks, blank_weight=weight, **kwargs))
    assert got == python
    c = raised(_tokens.totalled_readings, toks, search, line, readings._totalled, readings.Reading, NUM)
    takes = all(t.kind != NUM or (t.text[:1].isascii() and t.text[:1].isdigit() and "," not in t.text) for t in toks)
    assert (c is NotImplemented) == (not takes)
    if takes:
        assert c == python and all(type(r) is readings.Reading for r in c)
    if blocks == 1 and size == sections.WIDTH and isinstance(python, list):
        # every reading holds its total: the C row_pools puts each in the pool (sections._known)
        assert all(sections._row_total_holds(r.values) for r in python)


# digit strings to cut: leading zeros, long ones, ones past a count's ceiling; and what the C leaves
DIGITS = st.one_of(st.from_regex(r"[0-9]{1,9}", fullmatch=True), st.from_regex(r"[01]{1,14}", fullmatch=True))
# numbers with a sign, thousands groups, decimals or a unit, as glued text prints them
SIGNED = st.from_regex(r"[+\-]?[0-9]{1,9}(,[0-9]{3}){0,2}(\.[0-9]{1,4})?(万元|元)?", fullmatch=True)
CUT_TEXT = st.one_of(DIGITS, DIGITS, NUMBER_TEXT, SIGNED)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from([NUM, NUM, NUM, NA, BLANK]), CUT_TEXT), max_size=4),
    st.integers(1, 7),
    st.booleans(),
    st.booleans(),
    st.one_of(st.none(), st.integers(1, 400)),
    st.sampled_from([None, (), "weighted"]),
)
def test_c_cut_readings_of_any_row(specs, more, integer, glued, line, weight):
    """A row of fewer tokens than cells: cut, blanks put back, or both, read by the C as by the
    Python (``readings._cut_readings``), or left to the Python where a number is not
    ``_SPLITTABLE`` with ASCII digits.  Without ``cell_value`` the C reads plain digits only."""
    toks = [Token(kind, text, 4 + k // 2, k, False) for k, (kind, text) in enumerate(specs)]
    n = len(toks) + more
    if weight == "weighted":
        weight = tuple(0.5 + (k % 3) * 0.7 for k in range(n))
    python = outcome(readings._cut_readings, toks, n, integer, glued, line, weight)  # "²": ValueError
    assert outcome(readings.cut_readings, toks, n, integer, glued, line, weight) == python
    plain = _tokens.cut_readings(toks, n, integer, glued, line, weight, *_CUT_ARGS)
    c = _tokens.cut_readings(toks, n, integer, glued, line, weight, *_CUT_ARGS, readings.cell_value)
    digits = all(t.kind != NUM or (t.text.isascii() and t.text.isdigit()) for t in toks)
    takes = all(t.kind != NUM or _ASCII_SPLITTABLE.fullmatch(t.text) for t in toks)
    assert (plain is NotImplemented) == (not digits) and (c is NotImplemented) == (not takes)
    for got, read in ((plain, digits), (c, takes)):
        if read:
            assert got == python and all(type(r) is readings.Reading and type(r.cost) is float for r in got)
            assert [[type(v) for v in r.values] for r in got] == [[type(v) for v in r.values] for r in python]


# readings._SPLITTABLE with ASCII digits: the numbers the C cuts itself
_ASCII_SPLITTABLE = re.compile(readings._SPLITTABLE.pattern.replace(r"\d", "[0-9]"))


_CUT_ARGS = (readings.Reading, NUM, readings.MAX_COUNT, readings._LIMITS)


@pytest.mark.parametrize("limits", [(3, 20000, 20000, 7), (40, 100, 30, 7), (4000, 8, 20000, 7), (5, 1000, 5, 3)])
def test_c_cut_readings_keep_the_pythons_budgets(monkeypatch, limits):
    """Past MAX_READINGS readings, MAX_STEPS steps of a cut's walk or MAX_SPLITS ways to cut one
    number, and with MIXED_MAX_CELLS, the C stops where the Python does."""
    for name, value in zip(("MAX_READINGS", "MAX_STEPS", "MAX_SPLITS", "MIXED_MAX_CELLS"), limits, strict=True):
        monkeypatch.setattr(readings, name, value)
    monkeypatch.setattr(readings, "_LIMITS", limits)
    readings._splits.cache_clear()
    rnd = random.Random(sum(limits))
    stopped = 0
    for _ in range(400):
        specs = [
            (rnd.choice([NUM, NUM, NA]), "".join(rnd.choices("0123456789", k=rnd.randint(1, 11))))
            for _ in range(rnd.randint(0, 3))
        ]
        toks = [Token(kind, text if kind == NUM else "-", 3, k, False) for k, (kind, text) in enumerate(specs)]
        n, integer, glued = len(toks) + rnd.randint(1, 6), rnd.random() < 0.5, rnd.random() < 0.7
        python = readings._cut_readings(toks, n, integer, glued, 9, None)
        assert _tokens.cut_readings(toks, n, integer, glued, 9, None, *_CUT_ARGS[:3], limits) == python
        stopped += len(python) >= limits[0]
    readings._splits.cache_clear()
    assert stopped or limits[0] > 100


def test_c_cut_readings_are_the_python_ones_in_parsed_reports(monkeypatch):
    calls = recorded(monkeypatch, readings, "cut_readings")
    for g in generate_many(7, 60):
        parse_text(g.text)
    taken = 0
    for toks, n, integer, glued, line, weight in calls:
        c = _tokens.cut_readings(toks, n, integer, glued, line, weight, *_CUT_ARGS)
        if c is not NotImplemented:
            taken += 1
            assert c == readings._cut_readings(toks, n, integer, glued, line, weight)
    assert taken >= 20


def pool_args(glued: bool) -> tuple:
    """What sections.row_pools gives _tokens.row_pools after `seen`."""
    return (
        sections._known,
        readings.Reading,
        NUM,
        readings.MAX_COUNT,
        sections.WIDTH,
        sections._row_searches(glued),
        readings._totalled,
    )


def c_and_python_pools(tokens, rows, per_row, glued, seen) -> tuple:
    """``_tokens.row_pools`` and ``sections._row_pools`` of the same row, each from its own copy of
    `seen`: their results and what each left in its copy."""
    c_seen, python_seen = dict(seen), dict(seen)
    c = _tokens.row_pools(tokens, rows.ends, rows.codes, per_row, glued, c_seen, *pool_args(glued))
    python = sections._row_pools(tokens, rows, per_row, glued, python_seen)
    return (c, c_seen), (python, python_seen)


ROW_TEXT = st.sampled_from(["0", "7", "12", "1000000000", "3.5", "-3", "1,234", "0012", "1234567"])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from([NUM, NUM, NUM, NUM, NA, BLANK, TEXT]), ROW_TEXT), min_size=1, max_size=30),
    st.data(),
)
def test_c_row_pools_of_any_rows(specs, data):
    """Rows of seven plain numbers (read in C), of other widths and kinds (read by ``_known``),
    rows given no tokens or none at all, labels found or not, a row's readings seen before: the
    same readings, pools and unread rows, and the same left in `seen`."""
    plain = [(NUM, str(v)) for v in data.draw(st.lists(st.integers(0, 2 * 10**9), min_size=7, max_size=7))]
    toks = [Token(kind, text, 3 + k // 7, k, False) for k, (kind, text) in enumerate(plain + specs)]
    n = data.draw(st.integers(1, 6))
    index = st.integers(0, len(toks) - 1)
    seven = st.one_of(st.just(tuple(range(7))), st.lists(index, min_size=7, max_size=7))
    per_row = [data.draw(st.one_of(st.none(), st.lists(index, max_size=9).map(tuple), seven)) for _ in range(n)]
    rows = sections._Rows(
        [data.draw(st.one_of(st.just(-1), index)) for _ in range(n)],
        [f"r{k}" for k in range(n)],
        set(),
    )
    glued = data.draw(st.booleans())
    seen: dict = {}
    if data.draw(st.booleans()):  # readings of one of the rows seen before (in C or Python)
        sections._row_pools(toks, sections._Rows(rows.ends[:1], rows.codes[:1], set()), per_row[:1], glued, seen)
    (c, c_seen), (python, python_seen) = c_and_python_pools(toks, rows, per_row, glued, seen)
    assert c == python and c_seen == python_seen
    for readings_, pool in c_seen.values():
        assert all(type(r) is readings.Reading for r in readings_ + pool)


def test_c_row_pools_are_the_python_ones_in_parsed_reports(monkeypatch):
    calls = []
    inner = sections.row_pools

    def recording(tokens, rows, per_row, glued, seen):
        calls.append((tokens, rows, per_row, glued, dict(seen)))  # `seen` as it was before the call
        return inner(tokens, rows, per_row, glued, seen)

    monkeypatch.setattr(sections, "row_pools", recording)
    for g in generate_many(11, 40):
        parse_text(g.text)
    assert len(calls) >= 40
    for call in calls:
        (c, c_seen), (python, python_seen) = c_and_python_pools(*call)
        assert c == python and c_seen == python_seen


def test_c_row_pools_keep_the_readings_whose_total_holds_as_the_pool():
    """A row of eight numbers, the last alone on its line: joined to a number above it or dropped,
    four readings, of which the pool keeps the one whose total holds."""
    toks = [Token(NUM, t, 3, k, False) for k, t in enumerate(["1", "1", "0", "0", "0", "0", "2"])] + [
        Token(NUM, "5", 4, 0, False)
    ]
    rows = sections._Rows([-1], ["r"], set())
    (c, c_seen), (python, _) = c_and_python_pools(toks, rows, [tuple(range(8))], False, {})
    assert c == python
    options, pools, unread = c
    assert len(options["r"]) == 4 and [r.values for r in pools["r"]] == [(1, 1, 0, 0, 0, 0, 2)] and unread == []
    assert list(c_seen) == [(tuple(range(8)), 3)]


def test_c_row_pools_refuse_what_the_python_cannot_read():
    toks = [Token(NUM, "1", 3, k, False) for k in range(7)]
    args = pool_args(False)
    with pytest.raises(IndexError):
        _tokens.row_pools(toks, [-1], ["r"], [(0, 1, 2, 3, 4, 5, 7)], False, {}, *args)
    with pytest.raises(IndexError):
        _tokens.row_pools(toks, [9], ["r"], [(0,)], False, {}, *args)
    with pytest.raises(ValueError):
        _tokens.row_pools(toks, [-1, -1], ["r"], [(0,)], False, {}, *args)
    with pytest.raises(TypeError):
        _tokens.row_pools(toks, [-1], ["r"], [(0,)], False, {}, lambda *a: [], *args[1:])
    with pytest.raises(TypeError):
        _tokens.row_pools([PyToken(NUM, "1", 3, 0, False)], [0], ["r"], [(0,)], False, {}, *args)
    with pytest.raises(TypeError):  # the two searches of a row
        _tokens.row_pools(toks, [-1], ["r"], [(0,)], False, {}, *args[:5], args[5][:1], *args[6:])


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_page_chrome_starts_as_its_patterns_say(data):
    """Every line a noise pattern matches starts (after spaces) with a digit or a character of
    NOISE_LINE_STARTS: lines that start otherwise are not matched against the patterns."""
    pattern = data.draw(st.sampled_from(NOISE_LINE_PATTERNS))
    line = data.draw(st.from_regex(rf"\s*(?:{pattern})\s*", fullmatch=True))
    assert tokens._NOISE.fullmatch(line)
    assert tokens._may_be_noise(line)


def raised(f, *args):
    """What f returns, or the type of the error it raises (the Python reads no sign of an empty
    number, "" as a NUM token: IndexError; "²" is a digit that int() refuses: ValueError)."""
    try:
        return f(*args)
    except (IndexError, ValueError) as exc:
        return type(exc)


def outcome(f, *args):
    """What f returns, or the type of what it raises ("²" is a digit that int() refuses)."""
    try:
        return f(*args)
    except ValueError as exc:
        return type(exc)


def c_and_python_placements(placer: sections.RunPlacer) -> tuple:
    return placer.c().best(), placer._best()


def c_and_python_alternatives(placer: sections.RunPlacer, spans: list[tuple[int, int]]) -> tuple:
    c = placer.c().alternatives(spans, sections._CLOSE)
    return c, [tuple(alt) for alt in placer._alternatives(spans)]


def assert_alternatives_are_the_python_ones(
    placer: sections.RunPlacer, spans: list[tuple[int, int]], depth: int
) -> int:
    """The placements one run away from `spans`, and from those, `depth` runs away: the C's and
    the Python's.  Returns how many were compared."""
    c, python = c_and_python_alternatives(placer, spans)
    assert c == python
    return len(c) + sum(assert_alternatives_are_the_python_ones(placer, list(alt), depth - 1) for alt in c if depth)


def test_c_placements_are_the_python_ones(placers):
    """The cheapest placement of every report's runs, the C's and the Python's."""
    for text in [*texts(), *(read_text("r.txt", g.data)[0] for g in generate_many(11, 60))]:
        parse_text(text)
    assert sum(not c_and_python_placements(p)[0][1] for (p,) in placers) >= 10  # not only rows printed whole
    moved = 0
    for (placer,) in placers:
        c, python = c_and_python_placements(placer)
        assert c == python
        moved += assert_alternatives_are_the_python_ones(placer, c[0], 2)
    assert moved >= 10  # placements that have alternatives


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_c_placements_of_any_runs_and_labels(data):
    """Runs of blanks and numbers on lines shared or not, labels found or not, in or out of order."""
    n = data.draw(st.integers(1, 60))
    line, toks = 1, []
    for k in range(n):
        line += data.draw(st.integers(0, 1))
        toks.append(Token(data.draw(st.sampled_from([NUM, BLANK, TEXT])), "0", line, k, False))
    vals = sorted(data.draw(st.sets(st.integers(0, n - 1), min_size=1)))
    cuts = sorted(data.draw(st.sets(st.integers(1, len(vals) - 1), max_size=len(vals) - 1))) if len(vals) > 1 else []
    groups = [vals[a:b] for a, b in itertools.pairwise([0, *cuts, len(vals)])]
    anchors = []
    for r in range(data.draw(st.integers(1, 12))):
        if data.draw(st.booleans()):
            start = data.draw(st.integers(0, n - 1))
            anchors.append(Anchor(r, start, data.draw(st.integers(start, n - 1)), 0))
        else:
            anchors.append(None)
    placer = sections.RunPlacer(groups, anchors, data.draw(st.integers(0, n - 1)), n, toks)
    c, python = c_and_python_placements(placer)
    assert c == python
    assert_alternatives_are_the_python_ones(placer, c[0], 1)
    # any placement: rows in order, each given runs j..e-1 (none where j == e), some runs left
    bounds = sorted(
        data.draw(st.lists(st.integers(0, len(groups)), min_size=2 * len(anchors), max_size=2 * len(anchors)))
    )
    spans = [(bounds[2 * r], bounds[2 * r + 1]) for r in range(len(anchors))]
    assert_alternatives_are_the_python_ones(placer, spans, 1)


def test_c_loops_take_c_tokens_within_bounds():
    toks = [Token(TEXT, "总计", 1, 0, False)]
    with pytest.raises(TypeError):
        _tokens.value_tokens([PyToken(TEXT, "总计", 1, 0, False)], 0, 1, 7, TEXT, BLANK)
    with pytest.raises(TypeError):
        _tokens.groups_of([PyToken(NUM, "3", 1, 0, False)], [0], TEXT)
    with pytest.raises(TypeError):
        _tokens.plain_readings([PyToken(NUM, "3", 1, 0, False)], True, NUM, 10, readings.Reading)
    with pytest.raises(TypeError):
        _tokens.totalled_readings([PyToken(NUM, "3", 1, 0, False)], (1,) * 8, 1, str, readings.Reading, NUM)
    with pytest.raises(TypeError):
        _tokens.plain_readings([], True, NUM, 10, list)  # not a tuple type
    with pytest.raises(TypeError):
        _tokens.glued_after([PyToken(TEXT, "总计", 1, 0, False)], [0], NUM)
    with pytest.raises(TypeError):
        _tokens.cut_readings([PyToken(NUM, "3", 1, 0, False)], 3, True, True, 1, None, *_CUT_ARGS)
    with pytest.raises(IndexError):
        _tokens.groups_of(toks, [1], TEXT)
    with pytest.raises(TypeError):
        _tokens.proactive_values([PyToken(NUM, "3", 1, 0, False)], [], 1, TEXT, NUM)
    with pytest.raises(IndexError):  # a label past the tokens
        _tokens.proactive_values(toks, [Anchor(0, 0, 1, 0, False)], 1, TEXT, NUM)
    with pytest.raises(IndexError):
        _tokens.proactive_values(toks, [], 2, TEXT, NUM)
    with pytest.raises(TypeError):
        _tokens.appeal_tokens([PyToken(NUM, "3", 1, 0, False)], [0], 15, TEXT, NUM)
    with pytest.raises(IndexError):
        _tokens.appeal_tokens(toks, [1], 15, TEXT, NUM)
    with pytest.raises(TypeError):  # a label must be a str
        _tokens.tokenize(["总计"], 0, 1, False, _tokens.line_tokens, {}, 10, TEXT, len)


def test_c_proactive_values_are_the_python_ones_in_parsed_reports(monkeypatch):
    calls = recorded(monkeypatch, sections, "proactive_values")
    for g in generate_many(4, 24):
        parse_text(g.text)
    assert len(calls) == 24
    for toks, anchors, hi in calls:
        assert _tokens.proactive_values(toks, anchors, hi, TEXT, NUM) == sections._proactive_values(toks, anchors, hi)


def test_c_appeal_tokens_are_the_python_ones_in_parsed_reports(monkeypatch):
    calls = recorded(monkeypatch, sections, "appeal_tokens")
    for g in generate_many(5, 24):
        parse_text(g.text)
    assert len(calls) >= 20
    for toks, vals in calls:
        assert _tokens.appeal_tokens(toks, vals, 15, TEXT, NUM) == sections._appeal_tokens(toks, vals)
    # a value that is label text (value_tokens gives none) then one right after it: no text between
    toks = [Token(NUM, "1", 1, k, False) for k in range(14)] + [
        Token(TEXT, "总计", 1, 14, False),
        Token(NUM, "2", 1, 15, False),
    ]
    assert _tokens.appeal_tokens(toks, list(range(16)), 15, TEXT, NUM) == sections._appeal_tokens(toks, list(range(16)))
    assert len(sections._appeal_tokens(toks, list(range(16)))) == 16


def test_c_glued_numbers_leave_columns_that_are_not_ints_to_the_python():
    toks = [Token(TEXT, "总计", 1, 0.0, False), Token(NUM, "3", 1, 2.0, False)]
    assert _tokens.glued_numbers(toks, 0, 2, TEXT, NUM) is NotImplemented
    assert sections.glued_numbers(toks, 0, 2) == sections._glued_numbers(toks, 0, 2) == [True]
    assert _tokens.glued_after(toks, [0], NUM) is NotImplemented
    assert sections.glued_after(toks, [SimpleNamespace(end_tok=0)]) == [True]
    with pytest.raises(IndexError):
        _tokens.glued_after(toks, [2], NUM)


def test_c_alternatives_refuse_spans_outside_the_runs_and_rows():
    toks = [Token(TEXT, "总计", 1, 0, False), Token(NUM, "3", 1, 2, False)]
    placer = _tokens.placer(toks, [[1]], [0], [0], 0, 2, 7, BLANK, sections._COSTS)
    assert placer.alternatives([(0, 1)], sections._CLOSE) == []
    for spans in ([(0, 2)], [(1, 0)], [(0, 1), (1, 1)], [(-1, 1)]):
        with pytest.raises(IndexError):
            placer.alternatives(spans, sections._CLOSE)
    with pytest.raises(TypeError):
        placer.alternatives([[0, 1]], sections._CLOSE)
    for starts, ends in (([0], [0, 1]), ([0], [None]), ([None], [0])):
        with pytest.raises(ValueError):
            _tokens.placer(toks, [[1]], starts, ends, 0, 2, 7, BLANK, sections._COSTS)
