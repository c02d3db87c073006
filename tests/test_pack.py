"""``_pack.columns``, the C of ``model._columns``, and ``_pack.parts``, the same of the facts
``model.part_facts`` makes of a report's parts, against the Python: the same bytes and strings for
every report, and NotImplemented — never a different value or a silent pass — for what the Python
refuses (a parser bug) or packs by a path the C leaves to it."""

from __future__ import annotations

import dataclasses
import pickle
from collections import namedtuple
from types import MappingProxyType, SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import _pack, model, work
from pipeline.generate import generate_many
from pipeline.model import _CELL_KEYS, FACT_TABLES, Check, FileResult
from pipeline.parse import parse_parts, parse_text, sections
from pipeline.parse.readings import Reading
from pipeline.template import CELL_LABELS

text = st.text(st.sampled_from("0１2,.—-无 \t\n"), max_size=4)
plain_text = st.text(st.sampled_from("0１2,.—-无 \t"), max_size=4)
number = st.one_of(st.none(), st.integers(0, 2**53), st.floats(-(2**62), 2**62), st.just(float("nan")))
line = st.one_of(st.none(), st.integers(1, 2**31 - 1))


key = st.sampled_from(list(CELL_LABELS))


def facts(raw, value, lines, key=key):
    return st.lists(st.tuples(key, raw, value, lines).map(lambda f: (*f[0], *f[1:])), max_size=30)


def checks(texts, values, passed=None):
    passed = st.booleans() if passed is None else passed
    return st.lists(st.builds(Check, texts, texts, values, values, passed, texts), max_size=8)


def python(facts: list, checks: list) -> object:
    try:
        return model._columns(facts, checks)
    except (ValueError, OverflowError, TypeError) as exc:
        return type(exc)


@settings(max_examples=600, deadline=None)
@given(facts(plain_text, number, line), checks(plain_text, number))
def test_the_c_packs_plain_reports_as_the_python_does(facts, checks):
    assert _pack.columns(facts, _CELL_KEYS, FACT_TABLES, checks) == python(facts, checks)


odd_key = st.one_of(key, st.just(("requests", "no.such.row", "total")))
odd_raw = st.one_of(text, st.integers(0, 3), st.just("1\ud800"))  # a lone surrogate has no UTF-8
past_bigint = st.sampled_from([2**63, -(2**63), 2**64, float(2**63), float("inf"), float("-inf")])
odd_number = st.one_of(number, st.booleans(), st.integers(2**1024, 2**1030), st.just("3"), past_bigint)
odd_line = st.one_of(line, st.integers(-2, 0), st.integers(2**31, 2**40), st.just(1.0), st.just(True))


@settings(max_examples=600, deadline=None)
@given(facts(odd_raw, odd_number, odd_line, odd_key), checks(odd_raw, odd_number, st.one_of(st.booleans(), st.just(1))))
def test_what_the_c_does_not_take_it_leaves_to_the_python(facts, checks):
    got, want = _pack.columns(facts, _CELL_KEYS, FACT_TABLES, checks), python(facts, checks)
    if isinstance(want, type):  # the Python refuses: a parser bug it names
        assert got is NotImplemented
    elif got is not NotImplemented:
        assert got == want


@settings(max_examples=200, deadline=None)
@given(checks(plain_text, number))
def test_checks_pack_by_their_fields_names_whatever_their_type(checks):
    """The C reads a Check's fields by their places, and any other check's by their names: an
    object with the fields as attributes, and a named tuple with them in another order, pack as
    the same Checks do."""
    Shuffled = namedtuple("Shuffled", ["note", "passed", "actual", "expected", "scope", "rule"])
    want = _pack.columns([], _CELL_KEYS, FACT_TABLES, checks)
    assert want == python([], checks)
    for other in (SimpleNamespace(**c._asdict()) for c in checks), (Shuffled(**c._asdict()) for c in checks):
        assert _pack.columns([], _CELL_KEYS, FACT_TABLES, list(other)) == want
    assert _pack.columns([], _CELL_KEYS, FACT_TABLES, checks) == want  # and Checks again, after the others


@pytest.mark.parametrize(
    "fact",
    [
        ("requests", "no.such.row", "total", "1", 1, 5),
        ("requests", "received.new", "total", "1\n2", 12, 4),
        ("requests", "received.new", "total", "", None, 0),
        ("requests", "received.new", "total", "3", 2**1100, 4),
        ("requests", "received.new", "total", "92233720368547758070", 2**63, 4),
        ("appeals", "review", "upheld", "-9", -(2**63), None),
        ("requests", "received.new", "total", "3", float("inf"), 4),
    ],
)
def test_each_refusal_of_the_python_is_left_to_it(fact):
    with pytest.raises((ValueError, OverflowError)):
        model._columns([fact], [])
    assert _pack.columns([fact], _CELL_KEYS, FACT_TABLES, []) is NotImplemented


def test_a_count_past_bigint_is_a_parser_error_that_names_its_cell():
    """A count of 2**63 or more would not fit BIGINT: the pack refuses the report, naming the
    cell (the reject's message); a proactive amount that large is no count and is packed."""
    key = next(k for k in CELL_LABELS if k[0] == "requests")
    with pytest.raises(ValueError, match=rf"^requests\.{key[1]}\.{key[2]} read as '9{{19}}' \(line 4\)$"):
        model._columns([(*key, "9" * 19, 10**19 - 1, 4)], [])
    amount = next(k for k in CELL_LABELS if k[0] == "proactive")
    assert _pack.columns([(*amount, "1e19", 1e19, 2)], _CELL_KEYS, FACT_TABLES, []) is NotImplemented
    assert model._columns([(*amount, "1e19", 1e19, 2)], [])[2] == 1


def test_parsed_reports_pack_in_c_as_in_python():
    reports = [parse_text(g.text) for g in generate_many(11, 40)]
    for report in reports:
        got = _pack.columns(report.facts, _CELL_KEYS, FACT_TABLES, report.checks)
        assert got is not NotImplemented
        assert got == model._columns(report.facts, report.checks)
    assert sum(len(r.facts) for r in reports) > 40 * 150 and sum(len(r.checks) for r in reports) > 40 * 20


def test_a_cells_key_is_numbered_by_the_keys_given_whatever_the_c_remembers():
    """The C remembers the number of a key by the identity of its three strings: the same strings
    get their number from another keys dict when given one, and equal strings that are other
    objects get the same number."""
    keys = list(CELL_LABELS)
    fact = (*keys[5], "1", 1, 3)
    first = _pack.columns([fact], _CELL_KEYS, FACT_TABLES, [])
    assert first[0][0][0] == (5).to_bytes(2, "little")  # the first table's keys
    reversed_keys = {k: len(keys) - 1 - i for i, k in enumerate(keys)}
    again = _pack.columns([fact], reversed_keys, FACT_TABLES, [])
    assert again[0][0][0] == (len(keys) - 1 - 5).to_bytes(2, "little")
    assert _pack.columns([fact], _CELL_KEYS, FACT_TABLES, [])[0][0][0] == first[0][0][0]
    copies = tuple("".join(list(part)) for part in keys[5])  # equal strings, other objects
    assert all(c == k and c is not k for c, k in zip(copies, keys[5], strict=True))
    assert _pack.columns([(*copies, "1", 1, 3)], _CELL_KEYS, FACT_TABLES, [])[0][0][0] == first[0][0][0]


def test_keys_that_share_two_strings_are_told_apart():
    """Every applicant column of a row: keys alike but for their last string."""
    row = [k for k in CELL_LABELS if k[:2] == ("requests", "received.new")]
    facts = [(*k, str(i), i, i + 1) for i, k in enumerate(row)] * 2
    assert _pack.columns(facts, _CELL_KEYS, FACT_TABLES, []) == python(facts, [])


def test_many_keys_that_share_two_strings_are_told_apart():
    """More keys than the C remembers, alike but for one string at a time: where two share a
    slot of its memory, each is still told by all three of its strings, and goes to its table."""
    table, key1, key2 = "requests", "received.new", "total"
    keys = [(table, key1, f"c{i}") for i in range(3000)]
    keys += [(table, f"r{i}", key2) for i in range(3000)]
    keys += [(t, key1, key2) for t in FACT_TABLES]
    numbered = {k: i for i, k in enumerate(keys)}
    facts = [(*k, "1", 1, 1) for k in keys]
    for _ in range(2):  # the second time from what it remembers
        got = _pack.columns(facts, numbered, FACT_TABLES, [])
        for t, name in enumerate(FACT_TABLES):
            want = [numbered[k] for k in keys if k[0] == name]
            assert got[0][t][0] == b"".join(i.to_bytes(2, "little") for i in want)


def parts_in_python(parts: list, checks: list) -> object:
    facts = []
    try:
        for keys, printed in parts:
            facts += model.part_facts(keys, printed)
    except (ValueError, TypeError) as exc:  # a reading that does not fit its keys
        return type(exc)
    return python(facts, checks)


def test_results_come_back_from_a_worker_whole(tmp_path):
    """A worker's results are pickled back as their fields' values, and made again by __init__:
    every field of the result and of its report comes back equal, a reject's too."""
    for k, g in enumerate(generate_many(11, 12)):
        (tmp_path / f"r{k}.txt").write_text(g.text, encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    rels = sorted(p.name for p in tmp_path.iterdir())
    results = work.process_batch(str(tmp_path), rels)
    back = pickle.loads(pickle.dumps(results, protocol=5))
    assert [r.reject is not None for r in results].count(True) == 1
    for mine, theirs in zip(results, back, strict=True):
        assert type(theirs) is FileResult
        for f in dataclasses.fields(FileResult):
            if f.name != "reject":  # an exception: equal only to itself
                assert getattr(theirs, f.name) == getattr(mine, f.name), f.name
        if mine.report is not None:
            assert [getattr(theirs.report, f.name) for f in dataclasses.fields(model.Report)] == [
                getattr(mine.report, f.name) for f in dataclasses.fields(model.Report)
            ]
        else:
            assert (theirs.reject.stage, theirs.reject.code, theirs.reject.message) == (
                mine.reject.stage,
                mine.reject.code,
                mine.reject.message,
            )
    assert FileResult.__reduce__(results[0])[0] is FileResult


def test_parsed_parts_pack_in_c_as_their_facts_do():
    """A report's parts packed as they are give the bytes its facts give, and FileResult.pack
    keeps the same columns, counts and status either way."""
    for g in generate_many(13, 40):
        report, parts = parse_parts(g.text)
        facts = [f for keys, printed in parts for f in model.part_facts(keys, printed)]
        assert len(parts) == 3 and len(facts) > 150
        got = _pack.parts(parts, _CELL_KEYS, FACT_TABLES, report.checks)
        assert got is not NotImplemented
        assert (
            got == model._columns(facts, report.checks) == _pack.columns(facts, _CELL_KEYS, FACT_TABLES, report.checks)
        )
        whole, by_parts = FileResult("r", "0" * 64, 1, 1), FileResult("r", "0" * 64, 1, 1)
        whole.pack(parse_text(g.text))
        by_parts.pack(report, parts)
        assert (by_parts.cells, by_parts.checks, by_parts.counts, by_parts.printed, by_parts.status) == (
            whole.cells,
            whole.checks,
            whole.counts,
            whole.printed,
            whole.status,
        )
        assert sum(by_parts.counts[:-1]) == len(facts)


codes = st.sampled_from(["a", "b", "c"])
cell = st.tuples(odd_raw, odd_number, odd_line)
reading = st.one_of(
    st.none(),
    st.lists(st.tuples(plain_text, number, line), max_size=3).map(lambda cs: Reading(tuple(cs), 0.0)),
    st.lists(cell, max_size=3).map(lambda cs: SimpleNamespace(cells=tuple(cs))),
    st.lists(cell, max_size=3).map(lambda cs: SimpleNamespace(cells=cs)),  # a list: not the C's
    st.lists(st.one_of(cell, st.tuples(plain_text, number)), max_size=3).map(
        lambda cs: SimpleNamespace(cells=tuple(cs))
    ),
)
section = st.tuples(
    st.lists(st.tuples(codes, st.lists(odd_key, max_size=3).map(tuple)), max_size=4).map(tuple),
    st.dictionaries(codes, reading, max_size=3),
)


@settings(max_examples=800, deadline=None)
@given(st.lists(section, max_size=3), checks(plain_text, number))
def test_parts_the_c_takes_pack_as_their_facts_and_the_rest_is_left_to_the_python(parts, checks):
    """Rows read or not, readings of the width of their keys or not, cells of any value: the C
    packs the parts as the Python packs their facts, or leaves them to it."""
    got, want = _pack.parts(parts, _CELL_KEYS, FACT_TABLES, checks), parts_in_python(parts, checks)
    if isinstance(want, type):
        assert got is NotImplemented
    elif got is not NotImplemented:
        assert got == want


def test_the_plain_parts_are_packed_by_the_c():
    """What the parser makes (tuples of three, a reading as wide as its keys) is never left to the
    Python, and a part with a row not read packs that row's cells as NULLs."""
    row = tuple(k for k in CELL_LABELS if k[:2] == ("requests", "received.new"))
    read = Reading(tuple((str(i), i, 10 + i) for i in range(len(row))), 0.0)
    parts = [((("received.new", row),), {"received.new": read}), ((("received.new", row),), {})]
    got = _pack.parts(parts, _CELL_KEYS, FACT_TABLES, [])
    assert got is not NotImplemented and got == parts_in_python(parts, [])
    assert got[2] == len(row)  # "0".."6" printed, then the row not read: blanks, not printed


ROW = tuple(k for k in CELL_LABELS if k[:2] == ("requests", "received.new"))[:2]


@pytest.mark.parametrize(
    ("parts", "python_gives"),
    [
        ([((("r", ROW),), {"r": SimpleNamespace(cells=(("1", 1, 3), ("2", 2)))})], ValueError),  # a cell of two
        ([((("r", ROW),), {"r": SimpleNamespace(cells=(("1", 1, 3), ["2", 2, 3]))})], TypeError),  # a list
        ([((("r", (ROW[0], (*ROW[1], "x"))),), {"r": Reading((("1", 1, 3), ("2", 2, 3)), 0.0)})], TypeError),
        ([((("r", ROW),), MappingProxyType({"r": Reading((("1", 1, 3), ("2", 2, 3)), 0.0)}))], tuple),  # no dict
    ],
)
def test_parts_not_as_the_parser_makes_them_are_left_to_the_python(parts, python_gives):
    """A cell of two, a list for a cell, a key of four: the Python refuses them (a parser bug);
    a mapping that is not a dict it packs."""
    assert _pack.parts(parts, _CELL_KEYS, FACT_TABLES, []) is NotImplemented
    got = parts_in_python(parts, [])
    assert got is python_gives if isinstance(got, type) else type(got) is python_gives


COUNT_TEXT = st.sampled_from(["0", "7", "0012", "999999999", "", "—", "无", "1,234", "3.5"])
CELL = st.tuples(COUNT_TEXT, st.one_of(st.none(), st.integers(0, 99)), st.one_of(st.none(), st.integers(1, 500)))


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_any_rows_read_of_any_section_pack_as_their_facts(data):
    """The keys of every section of either template (三's of either row set, 二's, 四's), each
    row read (a cell a key), read as None, or not in `printed`: the C packs the part as the
    Python packs ``model.part_facts`` of it, a blank a key for a row not read."""
    template, rows = data.draw(st.sampled_from(["2019", "2021"])), data.draw(st.sampled_from(["2019", "2021"]))
    keys = data.draw(
        st.sampled_from(
            [sections._request_keys(template, rows), sections._proactive_keys(template), sections._APPEAL_CELL_KEYS]
        )
    )
    how = data.draw(st.lists(st.sampled_from(["read", "none", "absent"]), min_size=len(keys), max_size=len(keys)))
    cells = data.draw(st.lists(CELL, min_size=1, max_size=7 * len(keys)))
    printed = {}
    for k, ((code, row), read) in enumerate(zip(keys, how, strict=True)):
        if read == "read":
            printed[code] = Reading(tuple(cells[(7 * k + j) % len(cells)] for j in range(len(row))), 0.0)
        elif read == "none":
            printed[code] = None  # as good as not read
    facts = model.part_facts(keys, printed)
    assert len(facts) == sum(len(row) for _, row in keys)
    got = _pack.parts([(keys, printed)], _CELL_KEYS, FACT_TABLES, [])
    assert got is not NotImplemented and got == model._columns(facts, [])
