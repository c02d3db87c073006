"""The glued-digit search is written twice (pipeline/parse/totals.py says why): the C search must
give what the Python one gives, reading for reading, cost for cost, in the same order."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import pipeline
from pipeline.generate import generate
from pipeline.parse import _totals, readings, totals
from pipeline.parse.tokens import BLANK, NA, NUM

DIGITS = st.text(st.sampled_from("00001123456789"), min_size=1, max_size=10)
TOKENS = st.one_of(
    DIGITS.map(lambda t: (NUM, t)),
    DIGITS.map(lambda t: (NUM, t)),
    st.sampled_from(["/", "-", "——", "—", "无", "\\"]).map(lambda t: (NA, t)),
    st.just((BLANK, "")),
    st.sampled_from(["1,234", "12,000", "0013,994", "+3", "3"]).map(lambda t: (NUM, t)),
)


def _arguments(shape, size, blocks, glued, cut, weight, keep, budget, max_blanks) -> tuple | None:
    """The arguments readings._totalled hands the search for this row, or None when it needs none."""
    return readings.search_arguments(shape, size, blocks, glued, cut, weight, keep, budget, max_blanks)


def _plain(args: tuple) -> bool:
    texts, digit, _, whole = args[:4]
    return all(t.isascii() for t, d in zip(texts, digit, strict=True) if d) and all(
        c is None or c[1] is None or (type(c[1]) is int and 0 <= c[1] < totals.MAX_COUNT) for c in whole
    )


@settings(max_examples=400, deadline=None)
@given(
    shape=st.lists(TOKENS, max_size=8).map(tuple),
    size=st.integers(1, 7),
    blocks=st.integers(1, 3),
    glued=st.booleans(),
    cut=st.booleans(),
    weighted=st.booleans(),
    keep=st.integers(1, 40),
    budget=st.sampled_from([20, 300, 200_000]),
    max_blanks=st.one_of(st.none(), st.integers(0, 6)),
)
# rows of the bench corpus that cost the Python search most (50–60 ms each)
@example(((NUM, "700000070"),), 7, 1, True, True, False, 32, 200_000, None)
@example(((NUM, "6349812013218129160502"),), 5, 3, True, True, False, 32, 200_000, 6)
@example(((NUM, "963725421311141932114427653411103850109"),), 5, 3, True, True, False, 32, 200_000, 0)
@example(((NUM, "23"), (NUM, "23")), 7, 1, False, False, True, 32, 200_000, None)
@example(((NUM, "824333241823334111997"), (NA, "——"), (NA, "——"), (NA, "—")), 5, 3, True, True, False, 32, 200_000, 0)
def test_the_c_search_reads_as_the_python_search(shape, size, blocks, glued, cut, weighted, keep, budget, max_blanks):
    weight = tuple(1.0 + (k % 3) * 0.75 for k in range(size)) if weighted else None
    args = _arguments(shape, size, blocks, glued, cut, weight, keep, budget, max_blanks)
    if args is not None and _plain(args):  # what is not plain only the Python search takes
        assert _totals.search(*args) == totals.search(*args)
    # the arguments made in C, for a shape of plain counts: the same search of the same arguments
    shaped = _totals.shaped(shape, size, blocks, glued, cut, weight, keep, budget, max_blanks, NUM, NA)
    plain_counts = all(kind != NUM or (text.isascii() and text.isdigit()) for kind, text in shape)
    if args is None:
        assert shaped == ()
    elif not plain_counts:
        assert shaped is NotImplemented
    else:
        assert shaped == totals.search(*args)


def test_rows_that_are_not_plain_are_searched_in_python():
    """A decimal read whole in a row of counts, or digits of another script, go to the Python
    search; the C search refuses them rather than read them otherwise."""
    for shape, error, message in [
        (((NUM, "2.5"), (NUM, "2.5")), TypeError, "integer or None"),
        (((NUM, "١٢"), (NUM, "12")), ValueError, "not ASCII"),
    ]:
        args = _arguments(shape, 2, 1, True, True, None, 32, 200_000, None)
        assert args is not None and not _plain(args)
        assert totals.best(*args) == totals.search(*args) != ()
        with pytest.raises(error, match=message):
            _totals.search(*args)


def test_a_row_past_its_budget_has_no_reading_in_either_search():
    """Both searches stop at the same count of states: every budget up to the one the row needs."""
    args = _arguments(((NUM, "700000070"),), 7, 1, True, True, None, 32, 0, None)
    assert args is not None and _plain(args)
    found = [(totals.search(*args[:-1], budget), _totals.search(*args[:-1], budget)) for budget in range(300)]
    assert all(py == c for py, c in found)
    assert found[0][0] == () != found[-1][0]


def test_without_the_c_modules_the_parser_reads_the_same(tmp_path):
    """Installed where no C compiler was, the parser searches in Python and makes the dataclass
    tokens (tokens.py), and reports are packed by the Python (model.py): glued and PDF-text
    reports (the rows the search is for) read to the same cells and checks, packed the same."""
    folder = tmp_path / "reports"
    folder.mkdir()
    rng = random.Random(7)
    for k in range(12):
        g = generate(rng, ("2019", "2021")[k % 2], ("glued", "pdf_text")[k % 3 == 2])
        (folder / f"{k:02}.txt").write_bytes(g.data)
    script = (
        "import json, sys\n"
        "if sys.argv[1] == 'python':\n"
        "    for name in ('_totals', '_tokens', '_solve', '_anchors'):\n"
        "        sys.modules[f'pipeline.parse.{name}'] = None\n"
        "    sys.modules['pipeline._pack'] = None\n"
        "    sys.modules['pipeline._text'] = None\n"
        "from pathlib import Path\n"
        "from pipeline import model, normalize\n"
        "from pipeline.parse import anchors, parse_text, readings, tokens, totals\n"
        "from pipeline.read import read_text\n"
        "assert (totals._totals is None) == (tokens._tokens is None) == (readings._solve is None)\n"
        "assert (readings._solve is None) == (model._pack is None) == (anchors._anchors is None)\n"
        "assert (anchors._anchors is None) == (normalize._text is None) == (sys.argv[1] == 'python')\n"
        "out = []\n"
        "for p in sorted(Path(sys.argv[2]).iterdir()):\n"
        "    r = parse_text(read_text(p.name, p.read_bytes())[0])\n"
        "    facts, checks = r.facts, [repr(c) for c in r.checks]\n"
        "    packed = model.FileResult(p.name, '0' * 64, 1, 0)\n"
        "    packed.pack(r)\n"
        "    out.append([facts, checks, repr((packed.cells, packed.checks, packed.printed))])\n"
        "print(json.dumps(out))\n"
    )
    read = {
        mode: json.loads(
            subprocess.run(
                [sys.executable, "-c", script, mode, str(folder)], capture_output=True, text=True, check=True
            ).stdout
        )
        for mode in ("c", "python")
    }
    assert read["c"] == read["python"]
    assert any(facts for facts, _, _ in read["c"])


def test_the_c_search_is_part_of_the_parser_version():
    """A change to the C search changes what reports may parse to: like a change to the parser's
    Python, it must make the next build reparse everything."""
    names = {p.relative_to(Path(pipeline.__file__).parent).as_posix() for p in pipeline.parser_sources()}
    c_twins = {"parse/_totals.c", "parse/_tokens.c", "parse/_solve.c", "parse/_anchors.c", "_text.c"}
    assert c_twins | {"parse/totals.py", "parse/readings.py"} <= names


@settings(max_examples=150, deadline=None)
@given(
    texts=st.lists(
        st.one_of(st.text(st.sampled_from("0000123456789"), min_size=1, max_size=40), st.sampled_from(["/", "——", ""])),
        max_size=30,
    ),
    size=st.integers(1, 9),
    blocks=st.integers(1, 6),
    cut=st.booleans(),
    keep=st.integers(1, 50),
    budget=st.integers(0, 3000),
    limit=st.integers(0, 60),
)
def test_the_searches_agree_on_rows_longer_than_any_printed(texts, size, blocks, cut, keep, budget, limit):
    """Long glued runs, many tokens, wide rows and small budgets: no crash, the same readings."""
    digit = tuple(cut and t.isdigit() for t in texts)
    pair = tuple(cut and t == "——" for t in texts)
    whole = tuple(
        None
        if d or (t.isdigit() and (t[0] == "0" and t != "0" or int(t) >= totals.MAX_COUNT))
        else (t, int(t) if t.isdigit() else None, k)
        for k, (t, d) in enumerate(zip(texts, digit, strict=True))
    )
    n = size * blocks
    args = (
        tuple(texts),
        digit,
        pair,
        whole,
        n,
        size,
        0.1,
        3.0,
        (1.0,) * size,
        limit,
        int(limit < n),
        cut,
        keep,
        budget,
    )
    assert _totals.search(*args) == totals.search(*args)
    with pytest.raises(ValueError, match="more cells"):
        _totals.search(*args[:4], totals.C_MAX_CELLS + 1, *args[5:])
    huge = (("9", 2**62, 0), *args[3][1:]) if texts else ()
    if huge:  # a whole cell past any count: refused, where a sum of such cells would overflow
        with pytest.raises(ValueError, match="below MAX_COUNT"):
            _totals.search(*args[:3], huge, *args[4:])
        assert totals.best(*args[:3], huge, *args[4:]) == totals.search(*args[:3], huge, *args[4:])
