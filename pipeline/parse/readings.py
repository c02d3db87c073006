"""Readings of a row: every way its printed tokens can make the row's cells.

Text that lost its structure admits several readings.  A crawler glues "21710000218" into one
token where seven cells were printed; a PDF extractor drops blank cells so a row shows three
numbers for seven columns.  ``readings`` enumerates the ways tokens can be cut into digits
(without leading zeros) and blanks can be put back, each with a cost that says how unusual it is
for the layout; ``choose`` then keeps the combination of row readings that the identities accept,
cheapest first, and reports which rows stayed in doubt.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from pipeline.parse.tokens import BLANK, NA, NUM, Token
from pipeline.template import AMOUNT_UNITS

CellReading = tuple[str, "int | float | None", int]      # raw, value, line

_SPLITTABLE = re.compile(r"(?P<sign>[+\-]?)(?P<int>\d+)(?P<rest>(?:\.\d+)?(?:万元|元)?)")
MAX_READINGS = 4000


@dataclass(slots=True)
class Reading:
    cells: tuple[CellReading, ...]
    cost: float

    @property
    def values(self) -> tuple[int | float | None, ...]:
        return tuple(v for _, v, _ in self.cells)


def cell_value(raw: str, integer: bool) -> int | float | None:
    """The number a printed cell holds; None for blanks and not-applicable marks."""
    text = raw.strip()
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


def _splits(digits: str, parts: int) -> list[list[str]]:
    """Cut a digit string into `parts` numbers, none with a leading zero."""
    n = len(digits)
    if parts > n:
        return []
    out = []
    for cuts in itertools.combinations(range(1, n), parts - 1):
        bounds = (0, *cuts, n)
        pieces = [digits[a:b] for a, b in itertools.pairwise(bounds)]
        if all(p == "0" or p[0] != "0" for p in pieces):
            out.append(pieces)
    return out


def _whole(tok: Token) -> bool:
    """Can the token stand as one cell?  "0000000" cannot: nobody prints leading zeros."""
    m = _SPLITTABLE.fullmatch(tok.text) if tok.kind == NUM else None
    return not m or m.group("int") == "0" or m.group("int")[0] != "0"


def _token_parts(tok: Token, parts: int) -> list[list[str]]:
    """The ways one token can be read as exactly `parts` cells."""
    if parts == 1:
        return [[tok.text]] if _whole(tok) else []
    m = _SPLITTABLE.fullmatch(tok.text) if tok.kind == NUM else None
    if not m:
        return []
    sign, digits, rest = m.group("sign"), m.group("int"), m.group("rest")
    options = []
    for pieces in _splits(digits, parts):
        pieces[0] = sign + pieces[0]
        pieces[-1] = pieces[-1] + rest
        options.append(pieces)
    return options


def _capacity(tok: Token) -> int:
    m = _SPLITTABLE.fullmatch(tok.text) if tok.kind == NUM else None
    return len(m.group("int")) if m else 1


def _cut(toks: list[Token], n: int) -> list[list[tuple[Token, str]]]:
    """Every way to cut the tokens into exactly n cells (each token into >= 1 cells)."""
    caps = [_capacity(t) for t in toks]
    out: list[list[tuple[Token, str]]] = []

    def walk(i: int, budget: int, acc: list[tuple[Token, str]]) -> None:
        if len(out) >= MAX_READINGS:
            return
        if i == len(toks):
            if budget == 0:
                out.append(list(acc))
            return
        rest_min = len(toks) - i - 1
        rest_max = sum(caps[i + 1:])
        for parts in range(1, min(caps[i], budget - rest_min) + 1):
            if budget - parts > rest_max:
                continue
            for pieces in _token_parts(toks[i], parts):
                walk(i + 1, budget - parts, acc + [(toks[i], p) for p in pieces])

    if sum(caps) >= n >= len(toks):
        walk(0, n, [])
    return out


def readings(tokens: Sequence[Token], n: int, *, integer: bool, glued: bool,
             line: int) -> list[Reading]:
    """Every reading of `tokens` as exactly n cells, cheapest first.

    Costs: a token cut into several numbers costs little in glued text and much in spaced text;
    a blank put back costs the other way round.  Extra tokens are dropped only when they stand
    alone on their line (a stray page number)."""
    toks = list(tokens)
    if len(toks) > n:
        toks = _trim_blanks(toks, n)
    if len(toks) == n:
        return [Reading(tuple(_cell(t, t.text, integer) for t in toks), 0.0)]
    if len(toks) > n:
        return _drop_readings(toks, n, integer)
    split_cost, blank_cost = (0.1, 3.0) if glued else (3.0, 0.5)
    out: list[Reading] = []
    for cells in _cut(toks, n):
        cuts = n - len(toks)
        out.append(Reading(tuple(_cell(t, raw, integer) for t, raw in cells), cuts * split_cost))
    missing = n - len(toks)
    blank_slots = itertools.combinations(range(n), missing) if all(_whole(t) for t in toks) else ()
    for slots in blank_slots:
        it = iter(toks)
        cells = []
        for pos in range(n):
            if pos in slots:
                cells.append(("", None, line))
            else:
                t = next(it)
                cells.append(_cell(t, t.text, integer))
        out.append(Reading(tuple(cells), missing * blank_cost))
        if len(out) >= MAX_READINGS:
            break
    out.sort(key=lambda r: r.cost)
    return out


def _cell(tok: Token, raw: str, integer: bool) -> CellReading:
    return (raw, cell_value(raw, integer) if tok.kind == NUM else None, tok.line)


def _trim_blanks(toks: list[Token], n: int) -> list[Token]:
    while len(toks) > n and toks[-1].kind == BLANK:
        toks = toks[:-1]
    while len(toks) > n and toks[0].kind == BLANK:
        toks = toks[1:]
    return toks


def _drop_readings(toks: list[Token], n: int, integer: bool) -> list[Reading]:
    lines = [t.line for t in toks]
    lone = [i for i, t in enumerate(toks) if t.kind in (NUM, NA) and lines.count(t.line) == 1]
    extra = len(toks) - n
    out = []
    for drop in itertools.combinations(lone, extra):
        kept = [t for i, t in enumerate(toks) if i not in drop]
        out.append(Reading(tuple(_cell(t, t.text, integer) for t in kept), 5.0 * extra))
    if not out:
        for kept in (toks[:n], toks[-n:]):
            out.append(Reading(tuple(_cell(t, t.text, integer) for t in kept), 50.0))
    return out


@dataclass(slots=True)
class Choice:
    picks: dict[str, Reading]
    doubtful: dict[str, int]      # row -> number of readings that fit as well as the chosen one
    failures: int


def choose(rows: dict[str, list[Reading]], row_ok: Callable[[Reading], bool],
           failures_of: Callable[[dict[str, Reading]], int], limit: int = 20000) -> Choice:
    """Pick one reading per row: first the readings that satisfy the row's own identity, then the
    combination with the fewest failed identities, cheapest on ties.  A row is in doubt when a
    different reading of it fits equally well."""
    pools: dict[str, list[Reading]] = {}
    for code, options in rows.items():
        passing = [r for r in options if row_ok(r)]
        pools[code] = passing or options
    fixed = {c: p[0] for c, p in pools.items() if len(p) == 1}
    open_rows = [c for c, p in pools.items() if len(p) > 1]
    size = 1
    for c in open_rows:
        size *= len(pools[c])
    if size > limit:
        # too many combinations: keep each open row's cheapest readings
        keep = max(2, int(limit ** (1 / max(len(open_rows), 1))))
        for c in open_rows:
            pools[c] = pools[c][:keep]
    scored = []
    for combo in itertools.product(*(pools[c] for c in open_rows)):
        picks = dict(fixed)
        picks.update(zip(open_rows, combo))
        scored.append((failures_of(picks), sum(r.cost for r in combo), combo))
    scored.sort(key=lambda s: (s[0], s[1]))
    best_fail, _, best = scored[0] if scored else (failures_of(fixed), 0.0, ())
    picks = dict(fixed)
    picks.update(zip(open_rows, best))
    doubtful: dict[str, int] = {}
    equal = [s[2] for s in scored if s[0] == best_fail]
    for i, code in enumerate(open_rows):
        distinct = {combo[i].cells for combo in equal}
        if len(distinct) > 1:
            doubtful[code] = len(distinct)
    for code, options in rows.items():
        if code not in doubtful and len(options) > 1 and not row_ok(picks[code]):
            doubtful[code] = len(options)
    return Choice(picks, doubtful, best_fail)
