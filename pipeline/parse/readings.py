"""Readings of a row: every way its printed tokens can make the row's cells.

Text that lost its structure admits several readings.  A crawler glues "21710000218" into one
token where seven cells were printed; a PDF extractor drops blank cells so a row shows three
numbers for seven columns.  ``readings`` enumerates the ways tokens can be cut into digits
(without leading zeros) and blanks can be put back, each with a cost that says how unusual it is
for the layout; ``choose`` then keeps the combination of row readings that the identities accept,
cheapest first, and reports which rows stayed in doubt.
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from pipeline.parse import totals
from pipeline.parse.tokens import BLANK, NA, NUM, Token, _tokens
from pipeline.parse.totals import MAX_COUNT
from pipeline.template import AMOUNT_UNITS

try:
    from pipeline.parse import _solve
except ImportError:  # installed where no C compiler was: the searches run their Python
    _solve = None  # type: ignore[assignment]

CellReading = tuple[str, "int | float | None", "int | None"]  # raw, value, line (None: no line printed)

_SPLITTABLE = re.compile(r"(?P<sign>[+\-]?)(?P<int>\d+)(?P<rest>(?:,\d{3})*(?:\.\d+)?(?:万元|元)?)")
_GROUP_LEAD = 3  # digits before the first thousands separator, at most
MAX_READINGS = 4000
MAX_SPLITS = 20000  # ways to cut one glued digit string, beyond which it is not enumerated
MIXED_MAX_CELLS = 7  # glued rows this wide may be read as cuts and blanks at once
MAX_STEPS = 20000  # search budget per row: past it the row keeps the readings found so far
MAX_WRAPPED = 3  # numbers of one row a narrow column wraps onto a line of no cells, at most


class _ReadingFields(NamedTuple):
    cells: tuple[CellReading, ...]
    cost: float
    values: tuple[int | float | None, ...]  # the cells' values
    left_out: int  # printed numbers and marks the reading drops for no reason it can give


class Reading(_ReadingFields):
    """One way to read a row.  A tuple: readings are made for every row of every report, by the
    Python and by the C (as tuple.__new__ makes them, the values given)."""

    __slots__ = ()

    def __new__(cls, cells: tuple[CellReading, ...], cost: float, values: tuple = (), left_out: int = 0) -> Reading:
        if len(values) != len(cells):  # not given by the caller
            values = tuple([v for _, v, _ in cells])
        return tuple.__new__(cls, (cells, cost, values, left_out))


def cell_value(raw: str, integer: bool) -> int | float | None:
    """The number a printed cell holds; None for blanks and not-applicable marks."""
    if raw.isdigit():
        return int(raw) if integer else float(raw)
    text = raw.strip().replace(",", "")  # thousands separators ("12,345")
    unit = 1
    for suffix, divisor in AMOUNT_UNITS.items():
        if text.endswith(suffix):
            text, unit = text[: -len(suffix)], divisor
            break
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if unit != 1:
        number = number / unit
    if integer and number == number.to_integral_value() and unit == 1:
        return int(number)
    return float(number)


@functools.lru_cache(maxsize=4096)
def _splits(digits: str, parts: int) -> tuple[tuple[str, ...], ...]:
    """Cut a digit string into `parts` numbers, none with a leading zero.  Past MAX_SPLITS ways
    the string is too ambiguous to enumerate: none are returned and the row stays unread."""
    n = len(digits)
    if parts > n or math.comb(n - 1, parts - 1) > MAX_SPLITS:
        return ()
    out = []
    for cuts in itertools.combinations(range(1, n), parts - 1):
        bounds = (0, *cuts, n)
        pieces = [digits[a:b] for a, b in itertools.pairwise(bounds)]
        if all(p == "0" or p[0] != "0" for p in pieces):
            out.append(tuple(pieces))
    return tuple(out)


def _whole(tok: Token) -> bool:
    """Can the token stand as one cell?  "0000000" cannot: nobody prints leading zeros, and
    "0013,994" cannot either: a thousands group is led by at most three digits (glued cells
    "0", "0", "13,994")."""
    m = _SPLITTABLE.fullmatch(tok.text) if tok.kind == NUM else None
    if not m:
        return True
    digits = m.group("int")
    return _leads(digits, m.group("rest")) and (digits == "0" or digits[0] != "0")


def _leads(digits: str, rest: str) -> bool:
    """Can these digits stand before `rest`?  A thousands group ("994" in ",994") is led by at
    most three digits."""
    return not rest.startswith(",") or len(digits) <= _GROUP_LEAD


def _token_parts(tok: Token, parts: int) -> list[list[str]]:
    """The ways one token can be read as exactly `parts` cells."""
    if parts == 1:
        return [[tok.text]] if _whole(tok) else []
    m = _SPLITTABLE.fullmatch(tok.text) if tok.kind == NUM else None
    if not m:
        return []
    sign, digits, rest = m.group("sign"), m.group("int"), m.group("rest")
    options = []
    for split in _splits(digits, parts):
        if not _leads(split[-1], rest):
            continue
        pieces = list(split)
        pieces[0] = sign + pieces[0]
        pieces[-1] = pieces[-1] + rest
        options.append(pieces)
    return options


def _ungrouped(toks: list[Token]) -> list[list[Token]]:
    """The tokens with every grouped number that glued digits run into ("0013,994") cut into
    those digits and the group's lead, in each way the lead can be (1 to 3 digits, no leading
    zero): the search over glued digits then treats the group as one cell."""
    variants: list[list[Token]] = [[]]
    for t in toks:
        m = _SPLITTABLE.fullmatch(t.text) if t.kind == NUM and "," in t.text else None
        digits = m.group("int") if m else ""
        if not m or not m.group("rest").startswith(",") or _whole(t):
            variants = [v + [t] for v in variants]
            continue
        ways = []
        for lead in range(1, min(_GROUP_LEAD, len(digits) - 1) + 1):
            head, tail = digits[:-lead], digits[-lead:]
            if lead > 1 and tail[0] == "0":
                continue
            ways.append(
                [
                    Token(NUM, m.group("sign") + head, t.line, t.col, t.celled),
                    Token(NUM, tail + m.group("rest"), t.line, t.col + len(m.group("sign")) + len(head), t.celled),
                ]
            )
        variants = [v + w for v in variants for w in ways]
    return variants


def _capacity(tok: Token) -> int:
    m = _SPLITTABLE.fullmatch(tok.text) if tok.kind == NUM else None
    return len(m.group("int")) if m else 1


def _cut(toks: list[Token], n: int) -> list[list[tuple[Token, str]]]:
    """Every way to cut the tokens into exactly n cells (each token into >= 1 cells)."""
    caps = [_capacity(t) for t in toks]
    out: list[list[tuple[Token, str]]] = []
    if sum(caps) >= n >= len(toks):
        _walk(toks, caps, out, [0], 0, n, [])
    return out


def _walk(
    toks: list[Token],
    caps: list[int],
    out: list[list[tuple[Token, str]]],
    steps: list[int],
    i: int,
    budget: int,
    acc: list[tuple[Token, str]],
) -> None:
    """``_cut``'s depth-first search from token i with `budget` cells to go.  A function of its
    own, not a closure: a closure that calls itself is a reference cycle, garbage only the
    collector frees, and its runs over the young objects cost the parse 4 %."""
    steps[0] += 1
    if len(out) >= MAX_READINGS or steps[0] > MAX_STEPS:
        return
    if i == len(toks):
        if budget == 0:
            out.append(list(acc))
        return
    rest_min = len(toks) - i - 1
    rest_max = sum(caps[i + 1 :])
    for parts in range(1, min(caps[i], budget - rest_min) + 1):
        if budget - parts > rest_max:
            continue
        for pieces in _token_parts(toks[i], parts):
            if steps[0] > MAX_STEPS:
                return
            _walk(toks, caps, out, steps, i + 1, budget - parts, acc + [(toks[i], p) for p in pieces])


def plain_readings(tokens: Sequence[Token], integer: bool) -> list[Reading] | None:
    """``_plain_readings`` (in C where the tokens are C's)."""
    if _tokens is not None:
        return _tokens.plain_readings(tokens, integer, NUM, MAX_COUNT, Reading)
    return _plain_readings(tokens, integer)


# a number that is not a count but is plain: a change ("-3", "+5") or an amount ("12.5")
_SIGNED_DECIMAL = re.compile(r"[+\-]?[0-9]+(?:\.[0-9]+)?")


def _plain_readings(tokens: Sequence[Token], integer: bool) -> list[Reading] | None:
    """The row read as one cell per token, when every number is plain: digits, or where the
    cells are not counts (not `integer`) ASCII digits with a sign or a decimal part, read as
    ``cell_value`` reads them (the same float: the decimal's value, rounded once).  Its one
    reading, none when a count is too large to be one; None when a number is not plain."""
    cells: list[CellReading] = []
    values: list[int | float | None] = []
    too_large = False
    for t in tokens:
        if t.kind != NUM:
            cells.append((t.text, None, t.line))
            values.append(None)
        elif t.text.isdigit():
            v = int(t.text) if integer else float(t.text)
            too_large = too_large or v >= MAX_COUNT
            cells.append((t.text, v, t.line))
            values.append(v)
        elif not integer and _SIGNED_DECIMAL.fullmatch(t.text):
            v = float(t.text)
            cells.append((t.text, v, t.line))
            values.append(v)
        else:
            return None
    return [] if integer and too_large else [Reading(tuple(cells), 0.0, tuple(values))]


def readings(
    tokens: Sequence[Token],
    n: int,
    *,
    integer: bool,
    glued: bool,
    line: int | None,
    blank_weight: Sequence[float] | None = None,
) -> list[Reading]:
    """Every reading of `tokens` as exactly n cells, cheapest first.

    Costs: a token cut into several numbers costs little in glued text and much in spaced text;
    a blank put back costs the other way round, times `blank_weight` of its column (a column
    that is rarely blank when its row has numbers weighs more).  Glued text may also need both:
    "18871887" is 1887, five blanks, 1887.  Extra tokens are dropped only when they stand alone
    on their line (a stray page number)."""
    if len(tokens) == n:
        # the usual row: one plain cell per token (most rows of most reports)
        plain = plain_readings(tokens, integer)
        if plain is not None:
            return plain
    toks = printed = unsigned(tokens) if integer else list(tokens)
    if len(toks) > n:
        toks = _trim_blanks(toks, n)
        plain = plain_readings(toks, integer) if len(toks) == n else None
        if plain is not None:  # blank cells trimmed off its ends, one plain cell per token
            return plain
    if len(toks) == n:  # the usual row: one cell per token
        numbers = tuple([cell_value(t.text, integer) if t.kind == NUM else None for t in toks])
        if integer and not all(v is None or 0 <= v < MAX_COUNT for v in numbers):
            return []
        return [Reading(tuple([(t.text, v, t.line) for t, v in zip(toks, numbers, strict=True)]), 0.0, numbers)]
    if len(toks) > n:
        return _drop_readings(toks, n, integer, printed)
    return cut_readings(toks, n, integer, glued, line, blank_weight)


_LIMITS = (MAX_READINGS, MAX_STEPS, MAX_SPLITS, MIXED_MAX_CELLS)  # for the C


def cut_readings(
    toks: list[Token], n: int, integer: bool, glued: bool, line: int | None, blank_weight: Sequence[float] | None
) -> list[Reading]:
    """``_cut_readings`` (in C where the tokens are C's: the same readings, its cells' values
    ``cell_value``'s where a number has a sign, a group, decimals or a unit; or NotImplemented for
    rows with a number that is not ``_SPLITTABLE`` with ASCII digits)."""
    if _tokens is not None:
        found = _tokens.cut_readings(
            toks, n, integer, glued, line, blank_weight, Reading, NUM, MAX_COUNT, _LIMITS, cell_value
        )
        if found is not NotImplemented:
            return found
    return _cut_readings(toks, n, integer, glued, line, blank_weight)


def _cut_readings(
    toks: list[Token], n: int, integer: bool, glued: bool, line: int | None, blank_weight: Sequence[float] | None
) -> list[Reading]:
    """``readings`` of a row of fewer tokens than cells: tokens cut into several numbers, blanks
    put back, or (in glued text) both."""
    split_cost, blank_cost = (0.1, 3.0) if glued else (3.0, 0.5)
    weight = blank_weight or (1.0,) * n
    out: list[Reading] = []
    for pieces in _cut(toks, n):
        out.append(Reading(tuple(_cell(t, raw, integer) for t, raw in pieces), (n - len(toks)) * split_cost))
    sizes = range(len(toks), n) if glued and n <= MIXED_MAX_CELLS else (len(toks),)
    for size in sizes:
        cuts = (
            _cut(toks, size) if size > len(toks) else ([[(t, t.text) for t in toks]] if all(map(_whole, toks)) else [])
        )
        for cut in cuts:
            values = [_cell(t, raw, integer) for t, raw in cut]
            for slots in itertools.combinations(range(n), n - size):
                it = iter(values)
                cells = tuple(("", None, line) if pos in slots else next(it) for pos in range(n))
                cost = (size - len(toks)) * split_cost + sum(blank_cost * weight[pos] for pos in slots)
                out.append(Reading(cells, cost))
                if len(out) >= MAX_READINGS:
                    break
            if len(out) >= MAX_READINGS:
                break
        if len(out) >= MAX_READINGS:
            break
    out.sort(key=lambda r: r.cost)
    return [r for r in out if _plausible(r, integer)]


def _plausible(reading: Reading, integer: bool) -> bool:
    return not integer or all(v is None or 0 <= v < MAX_COUNT for v in reading.values)


def unsigned(tokens: Sequence[Token]) -> list[Token]:
    """Counts have no sign: in a row of counts "-3" is a not-applicable mark "-" glued to 3."""
    if all(t.kind != NUM or t.text[0].isdigit() for t in tokens):
        return list(tokens)
    out: list[Token] = []
    for t in tokens:
        if t.kind == NUM and t.text[:1] in "+-" and len(t.text) > 1:
            out.append(Token(NA, t.text[0], t.line, t.col, t.celled))
            out.append(Token(NUM, t.text[1:], t.line, t.col + 1, t.celled))
        else:
            out.append(t)
    return out


KEEP = 32  # readings a search keeps, cheapest first
BUDGET = 200_000  # states a search may visit


def totalled_readings(
    tokens: Sequence[Token],
    size: int,
    blocks: int,
    *,
    glued: bool,
    line: int | None,
    blank_weight: Sequence[float] | None = None,
    cut: bool | None = None,
    keep: int = KEEP,
    budget: int = BUDGET,
    max_blanks: int | None = None,
) -> list[Reading]:
    """The `keep` cheapest readings as `blocks` runs of `size` integer cells in which the last
    cell of every run is the sum of the others (a row of section 三 and its 总计; section 四's
    three proceedings).  Blanks lost by an extractor are put back (costed by `blank_weight` of
    their column, as in ``readings``); in glued text (or wherever `cut` says) tokens may also be
    cut, and both at once (at most `max_blanks` blanks); costs are those of the layout.  The
    search is ``totals.search``; past `budget` states the row is too ambiguous to read: none."""
    search = search_of(
        size, blocks, glued=glued, blank_weight=blank_weight, cut=cut, keep=keep, budget=budget, max_blanks=max_blanks
    )
    return searched(tokens, search, line)


Search = tuple[int, int, bool, bool, "tuple[float, ...] | None", int, int, "int | None"]


def search_of(
    size: int,
    blocks: int,
    *,
    glued: bool,
    blank_weight: Sequence[float] | None = None,
    cut: bool | None = None,
    keep: int = KEEP,
    budget: int = BUDGET,
    max_blanks: int | None = None,
) -> Search:
    """The search ``totalled_readings`` runs (``_totalled``'s arguments after the shape), from
    its own arguments."""
    return (
        size,
        blocks,
        glued,
        glued if cut is None else cut,
        tuple(blank_weight) if blank_weight else None,
        keep,
        budget,
        max_blanks,
    )


def cut_apart(search: Search) -> Search:
    """`search` in spaced text, with cells an extractor glued together cut apart."""
    return (search[0], search[1], False, True, *search[4:])


def searched(tokens: Sequence[Token], search: Search, line: int | None) -> list[Reading]:
    """The readings of `search` (``totalled_readings``; in C where the tokens are C's)."""
    if _tokens is not None:  # the usual row, in C: the same readings, or NotImplemented
        found = _tokens.totalled_readings(tokens, search, line, _totalled, Reading, NUM)
        if found is not NotImplemented:
            return found
    return _totalled_readings(tokens, search, line)


def _totalled_readings(tokens: Sequence[Token], search: Search, line: int | None) -> list[Reading]:
    """``totalled_readings`` in Python: `search` is ``_totalled``'s arguments after the shape."""
    keep = search[5]
    out: list[Reading] = []
    variants = _ungrouped(unsigned(tokens))
    for toks in variants:
        lines = [t.line for t in toks]
        for cells, cost in _totalled(tuple((t.kind, t.text) for t in toks), *search):
            placed = tuple([(raw, v, line if k < 0 else lines[k]) for raw, v, k in cells])
            out.append(Reading(placed, cost, tuple([v for _, v, _ in cells])))
    if len(variants) > 1:  # several ways to lead a group: best first across them
        out = sorted(out, key=lambda r: r.cost)[:keep]
    return out


@functools.lru_cache(maxsize=4096)
def _totalled(
    shape: tuple[tuple[str, str], ...],
    size: int,
    blocks: int,
    glued: bool,
    cut: bool,
    blank_weight: tuple[float, ...] | None,
    keep: int,
    budget: int,
    max_blanks: int | None,
) -> totals.Found:
    """The search of ``totalled_readings`` (``totals``) over the kinds and texts of the tokens
    alone, so that the many rows printed alike ("1 1", "0000000") are searched once per process;
    a cell's third field is the index of its token (-1: a blank put back).  Its arguments are
    ``search_arguments``'; made in C where the shape's numbers are all ASCII digits
    (``_totals.shaped``: the same arguments, the same search)."""
    if totals._totals is not None:
        found = totals._totals.shaped(shape, size, blocks, glued, cut, blank_weight, keep, budget, max_blanks, NUM, NA)
        if found is not NotImplemented:
            return found
    args = search_arguments(shape, size, blocks, glued, cut, blank_weight, keep, budget, max_blanks)
    return () if args is None else totals.best(*args)


def search_arguments(shape: tuple[tuple[str, str], ...], *search: *Search) -> totals.Args | None:
    """What ``_totalled`` hands the search (``totals.search``'s arguments) for this shape and
    `search` (``search_of``); None where no reading can be had: more tokens than cells, and none
    may be cut."""
    size, blocks, glued, cut, blank_weight, keep, budget, max_blanks = search
    n = size * blocks
    if n < len(shape) and not cut:
        return None
    toks = [Token(kind, text, k, 0, False) for k, (kind, text) in enumerate(shape)]
    whole: list[totals.CellReading | None] = []
    for t in toks:
        raw, value, _ = _cell(t, t.text, True)
        whole.append((raw, value, t.line) if _whole(t) and (value is None or 0 <= value < MAX_COUNT) else None)
    split_cost, blank_cost = (0.1, 3.0) if glued else (3.0, 0.5)
    return (
        tuple(t.text for t in toks),
        tuple(cut and t.kind == NUM and t.text.isdigit() for t in toks),
        tuple(cut and t.kind == NA and t.text == "——" for t in toks),  # one mark, or two glued
        tuple(whole),
        n,
        size,
        split_cost,
        blank_cost,
        blank_weight or (1.0,) * size,
        n if max_blanks is None else max_blanks,
        int(max_blanks is not None),  # blanks are a state only when they are limited
        cut,
        keep,
        budget,
    )


def _cell(tok: Token, raw: str, integer: bool) -> CellReading:
    return (raw, cell_value(raw, integer) if tok.kind == NUM else None, tok.line)


def _trim_blanks(toks: list[Token], n: int) -> list[Token]:
    while len(toks) > n and toks[-1].kind == BLANK:
        toks = toks[:-1]
    while len(toks) > n and toks[0].kind == BLANK:
        toks = toks[1:]
    return toks


def _drop_readings(toks: list[Token], n: int, integer: bool, printed: list[Token]) -> list[Reading]:
    """Readings of a row printed with more tokens than cells: each drops tokens that may not be
    cells, a number or mark alone on its line (a stray page number) or an empty cell (a PDF
    reader that put two cells' numbers into one, "0 0", leaves the cell beside it empty), or
    joins a line of wrapped ends to the numbers above (``_wrapped_readings``).  When nothing
    explains the extra tokens, the row is read from its first or last n: a guess, which counts
    the printed numbers it leaves out.  `toks` are the row's tokens without the blank cells at
    either end that `printed` has past n: a line of n cells whose first cells are blank keeps
    them where its wrapped ends are joined, as they place its numbers."""
    lines = [t.line for t in toks]
    lone = [i for i, t in enumerate(toks) if t.kind == BLANK or (t.kind in (NUM, NA) and lines.count(t.line) == 1)]
    extra = len(toks) - n
    drops = []
    # past MAX_READINGS ways to drop, the row is not enumerated: it is read as a guess, flagged
    for drop in itertools.combinations(lone, extra) if math.comb(len(lone), extra) <= MAX_READINGS else ():
        kept = [t for i, t in enumerate(toks) if i not in drop]
        drops.append(Reading(tuple(_cell(t, t.text, integer) for t in kept), 5.0 * extra))
    # cheapest first, as ``readings`` gives them (a caller may keep only the first few):
    # joining at most MAX_WRAPPED ends costs no more than dropping the tokens they add
    wrapped = _wrapped_readings(printed, n, integer)
    if not wrapped and toks is not printed:  # blank cells trimmed from its ends: read it without them
        wrapped = _wrapped_readings(toks, n, integer)
    out = wrapped + drops
    if not out:
        for kept, dropped in ((toks[:n], toks[n:]), (toks[-n:], toks[:-n])):
            cells = tuple(_cell(t, t.text, integer) for t in kept)
            out.append(Reading(cells, 50.0, left_out=sum(t.kind != BLANK for t in dropped)))
    return out


def _wrapped_readings(toks: list[Token], n: int, integer: bool) -> list[Reading]:
    """Readings of a row whose last line holds only the wrapped ends of numbers printed on the
    line above: a borderless table's narrow cell wraps a total ("32" over "4" for 324), and the
    text shows the end as a line of its own (with empty cells, if it was split into cells).
    Each end is joined to a number above it, in order, every way, and the identities choose;
    on a line of as many cells as the row, each end is under its number, the one way."""
    last = toks[-1].line
    tail = [t for t in toks if t.line == last]
    ends = [t for t in tail if t.kind == NUM]
    head = toks[: len(toks) - len(tail)]
    if (
        len(head) != n
        or not ends
        or any(t.kind not in (NUM, BLANK) or (t.kind == NUM and not t.text.isdigit()) for t in tail)
    ):
        return []
    above = [i for i, t in enumerate(head) if t.line == last - 1 and t.text.isdigit() and t.text != "0"]
    if len(tail) == n and all(t.celled for t in tail):  # a line of n cells: each end under its number
        under = tuple(k for k, t in enumerate(tail) if t.kind == NUM)
        ways: Iterable[tuple[int, ...]] = [under] if set(under) <= set(above) else []
    else:
        ways = itertools.combinations(above, len(ends)) if len(ends) <= MAX_WRAPPED else []
    out = []
    for joined in ways:
        ends_of = dict(zip(joined, ends, strict=True))
        cells = tuple(
            _cell(t, t.text + ends_of[i].text, integer) if i in ends_of else _cell(t, t.text, integer)
            for i, t in enumerate(head)
        )
        out.append(Reading(cells, 5.0 * len(ends)))
    return out


@dataclass(slots=True)
class Choice:
    picks: dict[str, Reading]
    doubtful: dict[str, int]  # row -> number of readings that fit as well as the chosen one
    failures: int


def choose(
    rows: dict[str, list[Reading]],
    row_ok: Callable[[Reading], bool],
    vector: Callable[[str, Reading], tuple],
    limit: int = 500,
) -> Choice:
    """Pick one reading per row when no exact search applies: first the readings that satisfy
    the row's own identity, then the combination with the fewest failed identities, cheapest on
    ties — every combination when there are at most `limit`, else by improving one row at a
    time from the cheapest.  A row is in doubt when a different reading of it fits as well, and
    after the one-row-at-a-time search whenever it has another reading (two rows changed together
    might fit as well: nothing was proved).

    `vector` gives what a reading adds to the identities' residuals: an identity fails where
    the rows' vectors do not sum to zero."""
    pools = {code: [r for r in options if row_ok(r)] or options for code, options in rows.items()}
    picks = {c: p[0] for c, p in pools.items()}
    open_rows = [c for c, p in pools.items() if len(p) > 1]
    base = _vector_sum(vector(c, p) for c, p in picks.items() if c not in open_rows)
    vectors = [[vector(c, r) for r in pools[c]] for c in open_rows]
    costs = [[r.cost for r in pools[c]] for c in open_rows]
    exhaustive, best_fail, chosen, fitting = combine(base, vectors, costs, limit)
    picks.update((c, pools[c][k]) for c, k in zip(open_rows, chosen, strict=True))
    doubtful = {c: len({pools[c][k].values for k in ks}) for c, ks in zip(open_rows, fitting, strict=True)}
    doubtful = {c: n for c, n in doubtful.items() if n > 1}
    for code in open_rows:
        # with identities failing, or combinations not all weighed, any row read otherwise is in doubt
        if code not in doubtful and (best_fail or not exhaustive) and len({r.values for r in pools[code]}) > 1:
            doubtful[code] = 2
    return Choice(picks, doubtful, best_fail)


Combined = tuple[bool, int, list[int], list[set[int]]]


def combine(base: tuple | None, vectors: list[list[tuple]], costs: list[list[float]], limit: int) -> Combined:
    """``_combine`` (in C where the package was built with it; the C leaves vectors whose lanes
    are not integers within 2**50 to the Python)."""
    if _solve is not None:
        found = _solve.combine(base, vectors, costs, limit)
        if found is not NotImplemented:
            return found
    return _combine(base, vectors, costs, limit)


def _combine(base: tuple | None, vectors: list[list[tuple]], costs: list[list[float]], limit: int) -> Combined:
    """The search of ``choose`` over the rows with several readings, by the vectors they add to
    `base` (None: nothing) and their costs: whether it weighed every combination (at most `limit`),
    the fewest identities failed, the reading picked for each row, and for each row the readings
    that fit as well (in a combination failing as few, or beside the others' picks)."""
    n_rows = len(vectors)
    if math.prod(map(len, vectors)) <= limit:
        scored = []
        for combo in itertools.product(*(range(len(v)) for v in vectors)):
            total = _vector_sum((vectors[i][k] for i, k in enumerate(combo)), base)
            scored.append((_nonzero(total), sum(costs[i][k] for i, k in enumerate(combo)), combo))
        scored.sort(key=lambda s: (s[0], s[1]))
        best_fail = scored[0][0]
        equal = [s[2] for s in scored if s[0] == best_fail]
        return True, best_fail, list(scored[0][2]), [{combo[i] for combo in equal} for i in range(n_rows)]
    picks = [0] * n_rows

    def without(row: int) -> tuple | None:
        return _vector_sum((vectors[i][picks[i]] for i in range(n_rows) if i != row), base)

    best_fail = _nonzero(without(-1))
    improved = True
    while improved and best_fail:
        improved = False
        for i in range(n_rows):
            rest = without(i)
            for k in range(1, len(vectors[i])):
                f = _nonzero(_vector_sum((vectors[i][k],), rest))
                if f < best_fail:
                    picks[i], best_fail, improved = k, f, True
    fitting = []
    for i in range(n_rows):
        rest = without(i)
        fits = {picks[i]}
        fits.update(k for k, v in enumerate(vectors[i]) if _nonzero(_vector_sum((v,), rest)) == best_fail)
        fitting.append(fits)
    return False, best_fail, picks, fitting


def _vector_sum(vectors: Iterable[tuple], start: tuple | None = None) -> tuple | None:
    total = start
    for v in vectors:
        total = v if total is None else tuple(map(operator.add, total, v))
    return total


def _nonzero(total: tuple | None) -> int:
    return len(total) - total.count(0) if total else 0


def failed_lanes(vectors: Iterable[tuple]) -> int:
    """How many identities fail when rows add these residual vectors: the lanes not summing to 0.
    (Lane by lane: a third of the time of adding the vectors one by one.)"""
    lanes = list(map(sum, zip(*vectors, strict=True)))
    return len(lanes) - lanes.count(0)


Vector = tuple[int, ...]


@functools.lru_cache(maxsize=1 << 14)
def _contribution(balance: int, outcome: int, values: tuple[int | float | None, ...]) -> Vector:
    """What a row's values add to the balance lanes and the outcome lanes (cached: rows of
    zeros and the readings of one row recur across the placements tried and across reports)."""
    vals = [int(v or 0) if isinstance(v, int) or v is None else 0 for v in values]
    return tuple(balance * v for v in vals) + tuple(outcome * v for v in vals)


@functools.lru_cache(maxsize=1 << 14)
def _pack(v: Vector, bits: int) -> int:
    """The vector as one integer, lane i in bits [i*bits, (i+1)*bits) (see ``solve``)."""
    return sum(x << (bits * i) for i, x in enumerate(v))


MAX_STATES = 50000  # states of one row's layer past which ``solve`` gives up


def solve(
    rows: dict[str, list[Reading]], coefficients: Callable[[str], tuple[int, int]], max_states: int = MAX_STATES
) -> Choice | None:
    """The readings that make every column identity hold exactly, found by dynamic programming
    over the per-column residuals (balance and outcome_total, see ``identities``), cheapest
    first.  Rows with one reading only are summed once; the search runs over the others.
    Returns None when no combination fits or the search grows too large.

    A row is in doubt when readings with different values occur in different exact solutions:
    the identities cannot tell them apart, so neither can we."""
    if not rows:
        return Choice({}, {}, 0)
    use_balance = sum(1 for c in rows if coefficients(c)[0]) == 4
    width = len(next(iter(rows.values()))[0].values)

    def contribution(code: str, reading: Reading) -> Vector:
        b, o = coefficients(code)
        return _contribution(b if use_balance else 0, o, reading.values)

    fixed = [c for c in rows if len(rows[c]) == 1]
    # the total (coefficient -1) first and the balance rows early, so that the bounds below
    # bite from the first rows on
    order = sorted(
        (c for c in rows if len(rows[c]) > 1), key=lambda c: (coefficients(c)[1] != -1, coefficients(c)[0] == 0)
    )
    lanes = 2 * width
    start = [0] * lanes
    for code in fixed:
        for i, v in enumerate(contribution(code, rows[code][0])):
            start[i] += v
    zero: Vector = (0,) * lanes
    first: Vector = tuple(start)
    # readings that add the same vector ("0 0" placed in any two columns) are one step of the
    # search, taken at the cost of the cheapest; all of them count when rows are put in doubt
    steps_by_row: list[list[tuple[Vector, int, list[int]]]] = []
    for code in order:
        same: dict[Vector, list[int]] = {}
        for k, reading in enumerate(rows[code]):
            same.setdefault(contribution(code, reading), []).append(k)
        costs = [reading.cost for reading in rows[code]]
        steps_by_row.append([(add, min(ks, key=costs.__getitem__), ks) for add, ks in same.items()])
    # a state can still reach zero only if, lane by lane, the rows left can cancel it: it lies
    # between minus the most and minus the least they can add
    low, high = [zero], [zero]
    for steps in reversed(steps_by_row):
        lanes_of = list(zip(*(add for add, _, _ in steps), strict=True))
        low.append(tuple(map(operator.sub, low[-1], map(max, lanes_of))))
        high.append(tuple(map(operator.sub, high[-1], map(min, lanes_of))))
    low.reverse()
    high.reverse()
    dp_steps = [
        [(add, k, rows[code][k].cost) for add, k, _ in steps] for code, steps in zip(order, steps_by_row, strict=True)
    ]
    found = layers(first, dp_steps, low, high, max_states)
    if found is None:
        return None
    path, used = found
    picks: dict[str, Reading] = {c: rows[c][0] for c in fixed}
    doubtful: dict[str, int] = {}
    for r in range(len(order) - 1, -1, -1):  # last row first: the order the checks come out in
        code = order[r]
        picks[code] = rows[code][path[r]]
        viable_values = {rows[code][k].values for g in used[r] for k in steps_by_row[r][g][2]}
        if len(viable_values) > 1:
            doubtful[code] = len(viable_values)
    return Choice(picks, doubtful, 0)


Step = tuple[Vector, int, float]  # what a row adds, the reading that adds it, its cost


def layers(
    first: Vector, steps: list[list[Step]], low: list[Vector], high: list[Vector], max_states: int
) -> tuple[list[int], list[set[int]]] | None:
    """``_layers`` (in C where the package was built with it; the C leaves vectors whose lanes
    are not integers within 2**50 to the Python)."""
    if _solve is not None:
        found = _solve.layers(first, steps, low, high, max_states)
        if found is not NotImplemented:
            return found
    return _layers(first, steps, low, high, max_states)


def _layers(
    first: Vector, steps: list[list[Step]], low: list[Vector], high: list[Vector], max_states: int
) -> tuple[list[int], list[set[int]]] | None:
    """The dynamic programming of ``solve``: from the residuals `first`, row after row, every
    step of the row added to every state that can still reach zero (lane by lane, between
    low[r] and high[r]), each state kept at its cheapest; insertion order breaks ties.  Returns
    the reading of each row on the cheapest path to zero, and for each row the steps on any path
    to zero; None when zero cannot be reached or a row's states pass `max_states`.

    The vectors are packed into one integer, lane i in bits [i*bits, (i+1)*bits): packing is
    linear, so adding packed vectors adds them, and with every lane offset by `half` the
    lane-wise bounds are one subtraction and one mask each.  A lane of a bound is at most
    `reach` from zero, a step at most 2 * reach (the difference of two bounds), so a lane
    differs from a bound by at most 4 * reach: `half` exceeds that, and lanes never carry into
    each other."""
    lanes = len(first)
    reach = max(abs(x) for v in (first, *low, *high) for x in v)
    bits = (4 * reach + 1).bit_length() + 2
    half = 1 << (bits - 2)  # lane offset
    offset = sum(half << (bits * i) for i in range(lanes))
    signs = offset  # the bit that is set in an offset lane exactly when the lane is >= 0

    floor = [_pack(v, bits) for v in low]
    ceiling = [_pack(v, bits) + 2 * offset for v in high]
    packed_steps = [[(_pack(add, bits), k, cost) for add, k, cost in row] for row in steps]

    def viable(state: int, r: int) -> bool:  # low[r] <= state <= high[r], lane by lane
        return (state - floor[r]) & signs == signs and (ceiling[r] - state) & signs == signs

    origin, goal = _pack(first, bits) + offset, offset  # the zero vector, offset
    if not viable(origin, 0):
        return None
    states: list[dict[int, tuple[float, int | None, int]]] = [{origin: (0.0, None, -1)}]
    edges: list[list[tuple[int, int, int]]] = []
    for r, row in enumerate(packed_steps):
        nxt: dict[int, tuple[float, int | None, int]] = {}
        row_edges = []
        below, above = floor[r + 1], ceiling[r + 1]
        for src, (cost, _, _) in states[-1].items():
            for g, (add, k, step_cost) in enumerate(row):
                new = src + add
                if (new - below) & signs != signs or (above - new) & signs != signs:  # not viable
                    continue
                row_edges.append((src, g, new))
                total = cost + step_cost
                if new not in nxt or total < nxt[new][0]:
                    nxt[new] = (total, src, k)
        if not nxt or len(nxt) > max_states:
            return None
        states.append(nxt)
        edges.append(row_edges)
    if goal not in states[-1]:
        return None
    path = [0] * len(steps)
    state = goal
    for r in range(len(steps), 0, -1):
        _, prev, path[r - 1] = states[r][state]
        if prev is not None:  # None before the first row only
            state = prev
    used: list[set[int]] = [set() for _ in steps]
    alive = {goal}
    for r in range(len(steps) - 1, -1, -1):
        before: set[int] = set()
        for s, g, new in edges[r]:
            if new in alive:
                before.add(s)
                used[r].add(g)
        alive = before
    return path, used
