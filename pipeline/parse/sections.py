"""Readers for the three statistical sections: 二 (proactive), 三 (requests), 四 (appeals).

Each takes the token stream and its bounds, places the template's labels (``anchors``), gathers
the value tokens that belong to each row, and hands ambiguous rows to ``readings``.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import operator
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from pipeline.identities import (
    BALANCE,
    appeal_checks,
    appeal_residuals,
    column_vector,
    outcome_coefficient,
    request_checks,
)
from pipeline.model import Check, Keys
from pipeline.normalize import canon
from pipeline.parse.anchors import Anchor, LabelStream, Specs, match_rows, row_weights, score
from pipeline.parse.readings import (
    MAX_STATES,
    Choice,
    Reading,
    Search,
    _solve,
    _totalled,
    choose,
    cut_apart,
    failed_lanes,
    plain_readings,
    readings,
    search_of,
    searched,
    solve,
)
from pipeline.parse.tokens import BLANK, NA, NUM, TEXT, Token, _tokens, touches
from pipeline.parse.totals import MAX_COUNT
from pipeline.template import (
    APPEAL_OUTCOMES,
    APPEAL_PROCEEDINGS,
    APPLICANT_CODES,
    REQUEST_BLANK_WEIGHT,
    TEMPLATES,
    Row,
    Template,
)

WIDTH = len(APPLICANT_CODES)
_APPEALS_FALLBACK = 200  # readings of section 四 tried when none balances
_UNBALANCED_READINGS = 50  # readings of a section-三 row tried when none balances
APPEALS_WIDTH = len(APPEAL_PROCEEDINGS) * len(APPEAL_OUTCOMES)


@dataclass
class SectionResult:
    """A section as read: its rows' keys and the readings of those printed (its cells, which
    ``model.part_facts`` makes), its checks, and whether its text was glued."""

    keys: Keys = ()
    printed: dict[str, Reading] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    glued: bool = False


def value_tokens(tokens: list[Token], lo: int, hi: int, width: int) -> list[int]:
    """Indices of the value tokens in tokens[lo:hi] (``_value_tokens``; in C where the tokens
    are C's)."""
    if _tokens is not None:
        return _tokens.value_tokens(tokens, lo, hi, width, TEXT, BLANK)
    return _value_tokens(tokens, lo, hi, width)


def _value_tokens(tokens: list[Token], lo: int, hi: int, width: int) -> list[int]:
    """Indices of the value tokens in tokens[lo:hi].

    On a tab/pipe line the values are the cells after its last label cell; empty cells there are
    blanks, but empty cells standing for merged label cells (leading) or padding (trailing) are
    trimmed while the line holds more than `width` cells.  Consecutive lines of one cell each
    (one cell per line) count as one line.  A line of empty cells only is layout."""
    out: list[int] = []
    pending: list[int] = []

    def flush() -> None:
        vals = pending[:]
        pending.clear()
        while len(vals) > width and tokens[vals[-1]].kind == BLANK:
            vals.pop()
        while len(vals) > width and tokens[vals[0]].kind == BLANK:
            vals.pop(0)
        if any(tokens[k].kind != BLANK for k in vals) or len(vals) >= width:
            out.extend(vals)

    i = lo
    while i < hi:
        tok = tokens[i]
        if not tok.celled:
            if pending:
                flush()
            if tok.kind != TEXT:
                out.append(i)
            i += 1
            continue
        j = i + 1
        while j < hi and tokens[j].line == tok.line:
            j += 1
        # the values of the line: the cells after its last label cell
        first = next((k + 1 for k in range(j - 1, i - 1, -1) if tokens[k].kind == TEXT), i)
        if j == i + 1 and tok.kind != TEXT:  # a line of one value: one cell per line
            pending.append(i)
        else:
            if pending:
                flush()
            pending.extend(range(first, j))
            flush()
        i = j
    flush()
    return out


def groups_of(tokens: list[Token], vals: list[int]) -> list[list[int]]:
    """``_groups_of`` (in C where the tokens are C's)."""
    if _tokens is not None:
        return _tokens.groups_of(tokens, vals, TEXT)
    return _groups_of(tokens, vals)


def _groups_of(tokens: list[Token], vals: list[int]) -> list[list[int]]:
    """Runs of value tokens: split where label text intervenes, and at line breaks between
    lines that hold several values each (lines of one value each form one run)."""
    per_line = Counter(tokens[k].line for k in vals)
    out: list[list[int]] = []
    for k in vals:
        if out:
            run = out[-1]
            prev = run[-1]
            here, there = tokens[k].line, tokens[prev].line
            same_run = here == there or (per_line[here] == 1 and per_line[there] == 1)
            if same_run and (k == prev + 1 or all(tokens[m].kind != TEXT for m in range(prev + 1, k))):
                run.append(k)
                continue
        out.append([k])
    return out


def _glued_after(tokens: list[Token], anchor: Anchor) -> bool | None:
    """Does a number follow the label with no space at all (crawler text)?  None when no number
    follows on the label's line: an empty row says nothing about the layout."""
    a = tokens[anchor.end_tok]
    k = anchor.end_tok + 1
    if k >= len(tokens) or tokens[k].kind != NUM or tokens[k].line != a.line:
        return None
    return touches(a, tokens[k])


def glued_after(tokens: list[Token], anchors: list[Anchor]) -> list[bool]:
    """The votes of ``_glued_after`` that are not None, label by label (in C where the tokens
    are C's: the same list, or NotImplemented)."""
    if _tokens is not None:
        found = _tokens.glued_after(tokens, [a.end_tok for a in anchors], NUM)
        if found is not NotImplemented:
            return found
    return [v for v in (_glued_after(tokens, a) for a in anchors) if v is not None]


def glued_numbers(tokens: list[Token], lo: int, hi: int) -> list[bool]:
    """``_glued_numbers`` (in C where the tokens are C's: the same list, or NotImplemented)."""
    if _tokens is not None:
        found = _tokens.glued_numbers(tokens, lo, hi, TEXT, NUM)
        if found is not NotImplemented:
            return found
    return _glued_numbers(tokens, lo, hi)


def _glued_numbers(tokens: list[Token], lo: int, hi: int) -> list[bool]:
    """For every number that follows text on its line: does it touch the text?"""
    return [
        touches(a, b)
        for a, b in itertools.pairwise(tokens[lo:hi])
        if b.kind == NUM and a.kind == TEXT and a.line == b.line
    ]


# What ``match_rows`` takes of each template, made once: keyed by the template's name, not by
# its rows, whose frozen dataclasses hash in Python on every lookup.
@functools.cache
def _request_specs(name: str) -> Specs:
    return tuple((r.keys, r.carries_values) for r in TEMPLATES[name].requests)


@functools.cache
def _request_labels(name: str) -> tuple[str, ...]:
    return tuple(canon(r.label) for r in TEMPLATES[name].requests)


@functools.cache
def _request_weights(name: str) -> tuple[float, ...]:
    return row_weights(_request_specs(name))


@functools.cache
def _request_best(name: str) -> float:
    """The most ``score`` can give: every row found by its most specific key."""
    return sum(_request_weights(name))


def _request_bound(name: str, text: str) -> float:
    """The most ``score`` can give this row set in `text` (canonical label text): its best,
    less the weight of each of its rows that no other set has whose keys all are absent (a row
    is found by a key in the text).  Rows the sets share are counted as found."""
    return _request_best(name) - sum(w for keys, w in _own_request_rows(name) if not any(k in text for k in keys))


@functools.cache
def _own_request_rows(name: str) -> tuple[tuple[tuple[str, ...], float], ...]:
    """The rows of this set that share no key with another set's rows, with their weights."""
    others = {k for other in TEMPLATES if other != name for keys, _ in _request_specs(other) for k in keys}
    specs, weights = _request_specs(name), _request_weights(name)
    return tuple((keys, w) for (keys, _), w in zip(specs, weights, strict=True) if not others.intersection(keys))


@functools.cache
def _value_rows(name: str) -> tuple[tuple[int, Row], ...]:
    """The rows of section 三 that carry values, with their places among the template's rows."""
    return tuple((k, r) for k, r in enumerate(TEMPLATES[name].requests) if r.carries_values)


@functools.cache
def _value_codes(name: str) -> list[str]:
    """The codes of ``_value_rows`` (every row that carries values has one), in order: the same
    list for every report, which no one changes."""
    return [row.code or "" for _, row in _value_rows(name)]


@functools.cache
def _template_order(preferred: str) -> tuple[str, ...]:
    """The row sets in the order ``request_rows`` tries them: the preferred one first."""
    return tuple(sorted(TEMPLATES, key=lambda n: n != preferred))


@functools.cache
def _proactive_specs(name: str) -> Specs:
    return tuple((item.keys, True) for item in TEMPLATES[name].proactive)


# The row set section 三 printed: its name, its template, and its rows' anchors (None: not found)
RowSet = tuple[str, Template, list[Anchor | None]]


def request_rows(stream: LabelStream, template: Template | None) -> RowSet:
    """The row set section 三 (the label text `stream`) printed, and where its rows' labels are:
    reports may print the other template's （六） block, so both row sets are tried, the report's
    `template` (when section 二 told it; else 2021) winning ties.  With no template given, the
    row set decides it.  The first of section 三's two steps; ``read_request_rows`` reads its
    values."""
    best: tuple[float, str, Template, list[Anchor | None]] | None = None
    preferred = template.name if template else "2021"
    # the preferred set first: it is the likelier, and the other is then often not worth placing.
    # Scores do not tie (one set's carries the bonus, 0.5; weights and ranks are whole), so the
    # order decides nothing but what is skipped.
    for name in _template_order(preferred):
        tpl, specs = TEMPLATES[name], _request_specs(name)
        bonus = 0.5 if name == preferred else 0
        if best is not None and best[0] >= _request_bound(name, stream.text) + bonus:
            continue  # this set could not score more, whatever it found: not worth placing
        anchors = match_rows(stream, specs, _request_labels(name))
        s = score(anchors, _request_weights(name)) + bonus
        if best is None or s > best[0]:
            best = (s, name, tpl, anchors)
    assert best is not None  # there are two row sets
    return best[1:]


def read_request_rows(
    tokens: list[Token], stream: LabelStream, template: Template | None, row_set: RowSet
) -> tuple[SectionResult, str]:
    """Section 三's values read into the rows of `row_set` (``request_rows``).  Returns the
    result and the name of the row set ('2019'/'2021')."""
    lo, hi = stream.lo, stream.hi
    variant, tpl, anchors = row_set
    template = template or tpl
    value_rows = [(r, anchors[k]) for k, r in _value_rows(variant)]
    found = [(r, a) for r, a in value_rows if a is not None]
    result = SectionResult()
    glued_votes = glued_after(tokens, [a for _, a in found])
    if not glued_votes:  # no row of section 三 printed a number: ask the other tables
        glued_votes = glued_numbers(tokens, 0, len(tokens))
    result.glued = sum(glued_votes) * 2 > len(glued_votes)
    if not found:
        result.checks.append(Check("section", "requests", None, None, False, "section 三 not found"))
        result.keys = _request_keys(template.name, tpl.name)
        return result, variant
    vals = value_tokens(tokens, lo, hi, WIDTH)
    rows = _Rows(
        [a.end_tok if a else -1 for _, a in value_rows],
        _value_codes(variant),
        {row.code or "" for row, _ in found},
    )
    # the rows read from the tokens given to each (``_attempt``); a partial, not a closure: compiled
    # (pipeline/compiled.py), a closure that another (``failures``) calls would hold the scope that
    # holds it, a reference cycle each report
    attempt = functools.partial(_attempt, tokens, rows, result.glued, {})

    if result.glued:
        # crawler text keeps HTML order: a row's digits follow its label
        bounds = [a.start_tok for _, a in found[1:]] + [hi]
        owned = {  # the values between the row's label and the next (vals ascend)
            row.code: vals[bisect.bisect_right(vals, a.end_tok) : bisect.bisect_left(vals, end)]
            for (row, a), end in zip(found, bounds, strict=True)
        }
        tried = [attempt([owned.get(row.code) for row, _ in value_rows])]
        unweighed: set[int] = set()
    else:
        groups = groups_of(tokens, vals)
        placer = RunPlacer(groups, [a for _, a in value_rows], lo, hi, tokens)
        attempts: dict[tuple, tuple[int, Choice, list[Check]]] = {}
        runs = [tuple(g) for g in groups]  # a row given one run (the usual case) takes it as it is

        def failures(spans: tuple) -> int:
            if spans not in attempts:
                per_row = [runs[j] if e == j + 1 else tuple(itertools.chain(*runs[j:e])) for j, e in spans]
                attempts[spans] = attempt(per_row)
            return attempts[spans][0]

        # the cheapest placement, then placements one run away, and from those that the
        # identities like as well, further: a run of zeros between two labels may belong to
        # either, so a chain of such runs can shift as a whole.  A placement the identities
        # like better is climbed to; the ones they like as well show the rows in doubt.
        current = tuple(placer.best())
        while True:
            level, plateau, frontier = failures(current), {current}, [current]
            better: tuple | None = None
            while frontier and better is None and len(attempts) < _PLACEMENTS:
                for alt in map(tuple, placer.alternatives(list(frontier.pop()))):
                    if alt in plateau:
                        continue
                    if failures(alt) < level:
                        better = alt
                        break
                    if attempts[alt][0] == level:
                        plateau.add(alt)
                        frontier.append(alt)
            if better is None:
                break
            current = better
        tried = [attempts[current], *(v for k, v in attempts.items() if k != current)]
        unweighed = _unweighed(placer, frontier, set(attempts), len(value_rows))
        # a placement gives each row runs j..e-1 of these groups, the rows' runs in order, none twice
        if sum(e - j for j, e in current) < len(groups):
            placed = set(itertools.chain.from_iterable(itertools.starmap(range, current)))
            left = (k for g, run in enumerate(groups) if g not in placed for k in run)
            result.checks += _numbers_flag("requests", sum(tokens[k].kind == NUM for k in left), "belong to no row")
    key, choice, notes = min(tried, key=lambda t: t[0])
    result.checks.extend(notes)
    for r in sorted(unweighed):
        choice.doubtful.setdefault(value_rows[r][0].code or "", 2)
    for other_key, other, _ in tried:
        if other_key != key or other is choice:
            continue
        for code in [*choice.picks, *(c for c in other.picks if c not in choice.picks)]:  # a set's order varies by run
            mine, theirs = choice.picks.get(code), other.picks.get(code)
            if mine is not None and theirs is not None:
                differs = theirs.cells != mine.cells
            else:  # a row given no values in one reading: in doubt unless the other is all blank
                given = mine or theirs
                differs = given is not None and any(v is not None for v in given.values)
            if differs and code not in choice.doubtful:
                choice.doubtful[code] = 2
    for code, n in choice.doubtful.items():
        result.checks.append(
            Check("reading", f"requests.{code}", 1, n, False, f"{n} readings of this row fit the identities equally")
        )
    printed = dict(choice.picks)
    for code, p in printed.items():
        if p.left_out:
            result.checks += _numbers_flag(f"requests.{code}", p.left_out, "left out")
    if len(printed) < len(value_rows):  # the picks are of these rows' codes, each its own
        for row, _ in value_rows:
            if row.code not in printed and row.code not in {c.scope.split(".", 1)[1] for c in result.checks}:
                result.checks.append(Check("reading", f"requests.{row.code}", 1, 0, False, "row not found"))
    result.keys, result.printed = _request_keys(template.name, tpl.name), printed
    result.checks.extend(_request_checks({c: p.values for c, p in printed.items()}))
    return result, variant


def _attempt(
    tokens: list[Token], rows: _Rows, glued: bool, seen: Seen, per_row: Sequence[Sequence[int] | None]
) -> tuple[int, Choice, list[Check]]:
    """The identities' failures of reading each row from the tokens `per_row` gives it, the
    choice they make and the notes (``_read_rows``, `seen` kept across the placements tried)."""
    choice, notes = _read_rows(tokens, rows, per_row, glued, seen)
    return choice.failures + len(notes), choice, notes


def _request_checks(rows: dict[str, tuple[int | float | None, ...]]) -> list[Check]:
    """``request_checks`` (in C where _solve was built: the same checks, or NotImplemented for
    rows it leaves to the Python)."""
    if _solve is not None:
        checks = _solve.request_checks(rows, APPLICANT_CODES, Check)
        if checks is not NotImplemented:
            return checks
    return request_checks(rows)


@functools.cache
def _request_keys(template: str, rows: str) -> Keys:
    """Section 三's keys: seven cells for every category of the report's `template`, and of the
    row set it printed (`rows`: a 2021 report may print the 2019 （六） row), each category with its
    cells' keys (table, category, applicant)."""
    categories = list(TEMPLATES[template].categories)
    categories += [c for c in TEMPLATES[rows].categories if c not in categories]
    return tuple((code, tuple(("requests", code, applicant) for applicant in APPLICANT_CODES)) for code in categories)


def _balanced(toks: list[Token], search: Search, line: int | None) -> list[Reading]:
    """The readings of `search` (``totalled_readings``), and in spaced text where nothing
    balances, of the same with cells an extractor glued together cut apart."""
    opts = searched(toks, search, line)
    if not opts and not search[2]:  # spaced text: the search is not the glued one
        opts = searched(toks, cut_apart(search), line)
    return opts


def _row_readings(tokens: list[Token], idx: Sequence[int], glued: bool, line: int | None) -> list[Reading]:
    toks = [tokens[k] for k in idx]
    if len(toks) == WIDTH:  # the usual row, one plain cell per token: as ``readings`` reads it
        plain = plain_readings(toks, True)
        if plain is not None:
            return plain
    opts = []
    if len(toks) != WIDTH:
        # the row's own total prunes the search; only when nothing balances (a publisher
        # error) are the unbalanced readings considered
        opts = _balanced(toks, _row_search(glued), line)
    return (
        opts
        or readings(toks, WIDTH, integer=True, glued=glued, line=line, blank_weight=REQUEST_BLANK_WEIGHT)[
            :_UNBALANCED_READINGS
        ]
    )


# A run of tokens given to a row, and its line -> the row's readings and pool (see ``_known``)
Seen = dict[tuple[tuple[int, ...], int | None], tuple[list[Reading], list[Reading]]]
# Each row's readings and pool by code, and the (code, tokens) of rows given tokens with no reading
Pools = tuple[dict[str, list[Reading]], dict[str, list[Reading]], list[tuple[str, int]]]


class _Rows(NamedTuple):
    """Section 三's rows that carry values, as ``_read_rows`` reads them for every placement."""

    ends: list[int]  # each row's label's last token (-1: its label not found)
    codes: list[str]
    labelled: set[str]  # the rows whose labels are printed


def _read_rows(
    tokens: list[Token],
    rows: _Rows,
    per_row: Sequence[Sequence[int] | None],
    glued: bool,
    seen: Seen,
) -> tuple[Choice, list[Check]]:
    """Readings of every row from the tokens given to it, and the choice the identities make.
    `seen` keeps the readings of a run of tokens across the assignments tried, with those whose
    row total holds (all of them when none does): the pool the identities choose from."""
    options, pools, unread = row_pools(tokens, rows, per_row, glued, seen)
    notes = [
        Check("reading", f"requests.{code}", WIDTH, n, False, "row has no reading with 7 cells") for code, n in unread
    ]
    # an identity holds over the rows whose labels are printed; a printed row left empty is 0
    use_balance = all(code in rows.labelled or code in options for code in BALANCE)
    use_outcome = "outcome.total" in rows.labelled or "outcome.total" in options
    if sum(map(len, options.values())) == len(options):  # every row read one way (a row there has a reading)
        picks = dict(zip(options, map(_first, options.values()), strict=True))
        return Choice(picks, {}, _failures(picks, use_balance, use_outcome)), notes
    choice = _solve_rows(pools)
    if choice is None:

        def vector(code: str, reading: Reading) -> tuple:
            return column_vector(code, reading.values, use_balance, use_outcome)

        choice = choose(options, lambda r: _row_total_holds(r.values), vector)
    else:
        choice.failures = _failures(choice.picks, use_balance, use_outcome)
    return choice, notes


def row_pools(
    tokens: list[Token],
    rows: _Rows,
    per_row: Sequence[Sequence[int] | None],
    glued: bool,
    seen: Seen,
) -> Pools:
    """``_row_pools`` (in C where the tokens are C's)."""
    if _tokens is not None:
        return _tokens.row_pools(
            tokens,
            rows.ends,
            rows.codes,
            per_row,
            glued,
            seen,
            _known,
            Reading,
            NUM,
            MAX_COUNT,
            WIDTH,
            _row_searches(glued),
            _totalled,
        )
    return _row_pools(tokens, rows, per_row, glued, seen)


def _row_pools(
    tokens: list[Token],
    rows: _Rows,
    per_row: Sequence[Sequence[int] | None],
    glued: bool,
    seen: Seen,
) -> Pools:
    """Each row's readings and pool (``_known``, kept in `seen` by the row's tokens and line), by
    code, and the (code, tokens) of the rows given tokens with no reading."""
    options: dict[str, list[Reading]] = {}
    pools: dict[str, list[Reading]] = {}
    unread: list[tuple[str, int]] = []
    for end, code, idx in zip(rows.ends, rows.codes, per_row, strict=True):
        if idx is None:
            continue
        line = tokens[end].line if end >= 0 else tokens[idx[0]].line if idx else None  # None: no line printed
        key = (tuple(idx), line)
        known = seen.get(key)
        if known is None:
            known = seen[key] = _known(tokens, idx, glued, line)
        if known[0]:
            options[code], pools[code] = known
        else:
            unread.append((code, len(idx)))
    return options, pools, unread


@functools.cache
def _row_search(glued: bool) -> Search:
    """The search of a row of section 三 with other than seven tokens (``_row_readings``)."""
    return search_of(WIDTH, 1, glued=glued, blank_weight=REQUEST_BLANK_WEIGHT)


@functools.cache
def _row_searches(glued: bool) -> tuple[Search, Search]:
    """The searches ``_balanced`` runs for such a row, the first and the one cut apart, for the C
    row_pools, which runs them itself."""
    return _row_search(glued), cut_apart(_row_search(glued))


def _known(
    tokens: list[Token], idx: Sequence[int], glued: bool, line: int | None
) -> tuple[list[Reading], list[Reading]]:
    """A row's readings, and the pool the identities choose from: those whose row total holds
    (all of them when none does; a row's one reading is its pool whether its total holds or not)."""
    opts = _row_readings(tokens, idx, glued, line)
    pool = [r for r in opts if _row_total_holds(r.values)] if len(opts) > 1 else opts
    return opts, pool or opts


_first = operator.itemgetter(0)


def _solve_rows(pools: dict[str, list[Reading]]) -> Choice | None:
    """``solve`` over section 三's rows, with their identities' coefficients (in C where _solve
    was built: the same choice, or NotImplemented for rows it leaves to the Python)."""
    if _solve is not None:
        found = _solve.solve_requests(pools, BALANCE, MAX_STATES, Choice)
        if found is not NotImplemented:
            return found
    return solve(pools, _coefficients)


def _coefficients(code: str) -> tuple[int, int]:
    """A row's coefficients in the balance and in the outcomes' total (see ``identities``)."""
    return BALANCE.get(code, 0), outcome_coefficient(code)


def _failures(picks: dict[str, Reading], use_balance: bool, use_outcome: bool) -> int:
    """The identities the picks fail (lanes of their column vectors not summing to zero), and
    the picks whose row total does not hold (in C where _solve was built: the same count, or
    NotImplemented for what it leaves to this)."""
    if _solve is not None:
        failed = _solve.failures(picks, use_balance, use_outcome, BALANCE)
        if failed is not NotImplemented:
            return failed
    vectors = (column_vector(code, pick.values, use_balance, use_outcome) for code, pick in picks.items())
    return failed_lanes(vectors) + sum(not _row_total_holds(p.values) for p in picks.values())


@functools.lru_cache(maxsize=1 << 14)
def _row_total_holds(values: tuple[int | float | None, ...]) -> bool:
    """Do a row's first six cells sum to its seventh?  Cached: the same readings are weighed for
    every placement tried, and rows of zeros recur across reports."""
    return sum(x or 0 for x in values[:6]) == (values[6] or 0)


def _unweighed(placer: RunPlacer, frontier: list[tuple], weighed: set[tuple], rows: int) -> set[int]:
    """The rows in doubt because the identities' budget ran out: those that any placement within
    reach of the placements left unexplored would move (all rows if even that is too far)."""
    moved: set[int] = set()
    seen = set(weighed)
    while frontier:
        spans = frontier.pop()
        for alt in map(tuple, placer.alternatives(list(spans))):
            if alt in seen:
                continue
            if len(seen) >= _REACH:
                return set(range(rows))
            seen.add(alt)
            frontier.append(alt)
            moved.update(r for r, span in enumerate(alt) if span != spans[r])
    return moved


# Costs of placing a run of values with a row (see ``assign``).
_BEFORE_LABEL = 1.0  # printed before its label (a vertically centred PDF cell)
_NO_LABEL = 0.5  # the row's label was not found: any run between its neighbours
_LOST_CELL = 2.0  # per cell a spaced layout dropped (a blank that left no trace)
_EXTRA_CELL = 40.0  # per token more than the row has cells
_NOISE = 20.0  # a run given to no row
_BLANK_NOISE = 10.0  # a run of blank cells given to no row: it loses nothing printed
_MAX_RUNS = 4  # runs one row may take (a row wrapped over lines)
_EMPTY_ROW = WIDTH * _LOST_CELL  # a row given no run at all
_CLOSE = 1.0  # alternatives this close to the cheapest are weighed by the identities too
_PLACEMENTS = 24  # placements of runs weighed by the identities, at most
_REACH = 2000  # placements looked through (not weighed) for the rows the unweighed ones move
_COSTS = (_BEFORE_LABEL, _NO_LABEL, _LOST_CELL, _EXTRA_CELL, _NOISE, _BLANK_NOISE, _EMPTY_ROW, _MAX_RUNS)  # for the C


class RunPlacer:
    """Gives runs of values to rows, in order, at the least cost.

    A run between two labels belongs after the first (the usual order) or before the second
    (PDF text prints vertically centred cells above their label); how many cells each row then
    holds decides.  Rows must come out with seven cells; runs that fit no row are noise.
    ``alternatives`` yields the assignments one run away from the best that cost at most _CLOSE
    more: the identities get a say between them, and where they cannot tell, the rows are in
    doubt."""

    def __init__(self, groups: list[list[int]], anchors: list[Anchor | None], lo: int, hi: int, tokens: list[Token]):
        self.groups, self.anchors, self.tokens, self.lo, self.hi = groups, anchors, tokens, lo, hi
        self._costs: dict[tuple[int, int, int], float] = {}
        self.whole: list[tuple[int, int]] | None = None  # the placement of rows printed whole, if so
        self._c: _tokens.Placer | None = None  # this placer in C (``c``)

    @functools.cached_property
    def _cells_before(self) -> list[int]:
        """The cells in the runs before run j."""
        return [0, *itertools.accumulate(map(len, self.groups))]

    @functools.cached_property
    def _bounds(self) -> tuple[list[int], list[int]]:
        """For each row, the last token of the label before its own (lo - 1: none) and the first
        of the nearest label after its own (hi: none): its runs lie between.  A row's runs end
        where the nearest label after its own starts: two labels a PDF cell ran together
        ("…公开申请3.其他") share the runs after them, in order."""
        prev_end, next_start = [], []
        starts = sorted(a.start_tok for a in self.anchors if a)
        last = self.lo - 1
        for a in self.anchors:
            prev_end.append(last)
            if a:
                last = a.end_tok
            k = bisect.bisect_right(starts, last)
            next_start.append(starts[k] if k < len(starts) else self.hi)
        return prev_end, next_start

    @property
    def prev_end(self) -> list[int]:
        return self._bounds[0]

    @property
    def next_start(self) -> list[int]:
        return self._bounds[1]

    def place(self, g: int, r: int) -> float:
        first, final = self.groups[g][0], self.groups[g][-1]
        a = self.anchors[r]
        if a is None:
            return _NO_LABEL if self.prev_end[r] < first and final < self.next_start[r] else math.inf
        if a.start_tok < first and final < self.next_start[r]:
            return 0.0
        if self.prev_end[r] < first and final < a.start_tok and self._may_precede(g, r):
            return _BEFORE_LABEL
        return math.inf

    def _may_precede(self, g: int, r: int) -> bool:
        """Only a PDF prints a row's values above its label, and there they share a line: a run
        that starts on the line where the label before it ends is that label's row, and a run
        stacked one value per line is a cell-per-line copy of HTML, which keeps document order."""
        run, prev = self.groups[g], self.prev_end[r]
        lines = {self.tokens[k].line for k in run}
        if len(run) > 1 and len(lines) == len(run):
            return False
        return prev < self.lo or self.tokens[prev].line != self.tokens[run[0]].line

    def size_cost(self, j: int, e: int) -> float:
        """What a row holding runs j..e-1 costs for its number of cells alone."""
        size = self._cells_before[e] - self._cells_before[j]
        return (WIDTH - size) * _LOST_CELL if size <= WIDTH else (size - WIDTH) * _EXTRA_CELL

    def row_cost(self, r: int, j: int, e: int) -> float:
        key = (r, j, e)
        cost = self._costs.get(key)
        if cost is None:
            cost = self._costs[key] = sum(self.place(g, r) for g in range(j, e)) + self.size_cost(j, e)
        return cost

    def c(self) -> _tokens.Placer:
        """This placer in C (``_tokens.placer``), made once: where the tokens are C's."""
        if self._c is None:
            starts = [a.start_tok if a else None for a in self.anchors]
            ends = [a.end_tok if a else None for a in self.anchors]
            args = (self.lo, self.hi, WIDTH, BLANK, _COSTS)
            self._c = _tokens.placer(self.tokens, self.groups, starts, ends, *args)
        return self._c

    def best(self) -> list[tuple[int, int]]:
        """The cheapest placement: ``_best`` (in C where the tokens are C's)."""
        spans, whole = self.c().best() if _tokens is not None else self._best()
        if whole:
            self.whole = list(spans)
        return spans

    def _best(self) -> tuple[list[tuple[int, int]], bool]:
        """The cheapest placement, and whether it is every row printed whole after its label."""
        n_rows, n_groups = len(self.anchors), len(self.groups)
        if n_groups == n_rows and all(len(g) == WIDTH and self.place(i, i) == 0.0 for i, g in enumerate(self.groups)):
            return [(i, i + 1) for i in range(n_rows)], True
        inf = math.inf
        cost = [[inf] * (n_groups + 1) for _ in range(n_rows + 1)]
        back: list[list[tuple[int, int] | None]] = [[None] * (n_groups + 1) for _ in range(n_rows + 1)]
        cost[0][0] = 0.0
        firsts = [g[0] for g in self.groups]
        finals = [g[-1] for g in self.groups]
        noise = [_BLANK_NOISE if all(self.tokens[k].kind == BLANK for k in g) else _NOISE for g in self.groups]
        for r in range(n_rows + 1):
            if r < n_rows:
                # the runs a row can take lie between its neighbours' labels
                window = (
                    bisect.bisect_right(firsts, self.prev_end[r]),
                    bisect.bisect_left(finals, self.next_start[r]),
                )
            for j in range(n_groups + 1):
                c = cost[r][j]
                if c == inf:
                    continue
                if j < n_groups and c + noise[j] < cost[r][j + 1]:  # run j is noise
                    cost[r][j + 1], back[r][j + 1] = c + noise[j], (r, j)
                if r == n_rows:
                    continue
                if not window[0] <= j < window[1]:  # the row takes no run here
                    if c + _EMPTY_ROW < cost[r + 1][j]:
                        cost[r + 1][j], back[r + 1][j] = c + _EMPTY_ROW, (r, j)
                    continue
                for e in range(j, min(window[1], j + _MAX_RUNS) + 1):
                    step = self.row_cost(r, j, e)
                    if step == inf:
                        break
                    if c + step < cost[r + 1][e]:
                        cost[r + 1][e], back[r + 1][e] = c + step, (r, j)
        spans: list[tuple[int, int]] = []
        r, j = n_rows, n_groups
        while (r, j) != (0, 0):
            link = back[r][j]
            assert link is not None  # every cell on the path was reached
            pr, pj = link
            if pr < r:
                spans.append((pj, j))
            r, j = pr, pj
        return spans[::-1], False

    def alternatives(self, spans: list[tuple[int, int]]) -> Iterable[Sequence[tuple[int, int]]]:
        """Assignments that move one run across the boundary of two neighbouring rows.  None
        from rows printed whole: moving a run leaves one row empty and gives the other 14 cells,
        which costs far more than _CLOSE (so that case is not weighed run by run).  ``_alternatives``
        (in C where the tokens are C's: the same placements, as tuples)."""
        if spans == self.whole:
            return ()
        if _tokens is not None:
            return self.c().alternatives(spans, _CLOSE)
        return self._alternatives(spans)

    def _alternatives(self, spans: list[tuple[int, int]]) -> Iterator[list[tuple[int, int]]]:
        for r in range(len(spans) - 1):
            (j1, e1), (j2, e2) = spans[r], spans[r + 1]
            if e1 != j2:
                continue
            old = self.row_cost(r, j1, e1) + self.row_cost(r + 1, j2, e2)
            for nj1, ne1, nj2, ne2 in ((j1, e1 - 1, j2 - 1, e2), (j1, e1 + 1, j2 + 1, e2)):
                if not (nj1 <= ne1 and nj2 <= ne2):
                    continue
                if self.size_cost(nj1, ne1) + self.size_cost(nj2, ne2) - old > _CLOSE:
                    continue  # placing costs nothing less: too dear already (rows printed whole)
                new = self.row_cost(r, nj1, ne1) + self.row_cost(r + 1, nj2, ne2)
                if new - old <= _CLOSE:
                    alt = list(spans)
                    alt[r], alt[r + 1] = (nj1, ne1), (nj2, ne2)
                    yield alt


def read_appeals(tokens: list[Token], lo: int, hi: int, glued: bool) -> SectionResult:
    """Section 四: the 15 numbers, in printed order, from the first runs of values."""
    result = SectionResult(glued=glued)
    toks = appeal_tokens(tokens, value_tokens(tokens, lo, hi, APPEALS_WIDTH))
    line = tokens[lo].line if lo < len(tokens) else None  # None: no line printed
    opts = []
    if len(toks) != APPEALS_WIDTH:
        # a blank that left no trace is only assumed where the digits cannot be read without
        # it: search with no more blanks than printed, then one more, and so on
        printed = sum(t.kind == BLANK for t in toks)
        for allowed in range(printed, APPEALS_WIDTH + 1) if glued else (None,):
            search = search_of(len(APPEAL_OUTCOMES), len(APPEAL_PROCEEDINGS), glued=glued, max_blanks=allowed)
            opts = _balanced(toks, search, line)
            if opts:
                break
        fewest = min((_blanks(r) for r in opts), default=0)
        opts = [r for r in opts if _blanks(r) == fewest]
    opts = opts or readings(toks, APPEALS_WIDTH, integer=True, glued=glued, line=line)[:_APPEALS_FALLBACK]
    if not toks or not opts:
        return unread_appeals("section 四 not read")
    if len(opts) == 1:  # the usual section: one reading, which choose would pick, in no doubt
        pick, doubtful = opts[0], {}
    else:
        choice = choose({"appeals": opts}, lambda r: True, lambda _, r: appeal_residuals(r.values))
        pick, doubtful = choice.picks["appeals"], choice.doubtful
    if doubtful:
        result.checks.append(
            Check(
                "reading",
                "appeals",
                1,
                doubtful["appeals"],
                False,
                "several readings of section 四 fit the identities equally",
            )
        )
    result.checks += _numbers_flag("appeals", pick.left_out, "left out")
    result.keys, result.printed = _APPEAL_CELL_KEYS, {"appeals": pick}
    result.checks.extend(appeal_checks(pick.values))
    return result


def _blanks(reading: Reading) -> int:
    return sum(raw == "" for raw, _, _ in reading.cells)


_APPEAL_CELL_KEYS: Keys = (
    ("appeals", tuple(("appeals", p, o) for p, _ in APPEAL_PROCEEDINGS for o, _ in APPEAL_OUTCOMES)),
)


def unread_appeals(note: str) -> SectionResult:
    """Section 四 missing or unreadable: its 15 cells as NULL, and the reason as a failed check."""
    result = SectionResult()
    result.checks.append(Check("section", "appeals", None, None, False, note))
    result.keys = _APPEAL_CELL_KEYS
    return result


def appeal_tokens(tokens: list[Token], vals: list[int]) -> list[Token]:
    """``_appeal_tokens`` (in C where the tokens are C's)."""
    if _tokens is not None:
        return _tokens.appeal_tokens(tokens, vals, APPEALS_WIDTH, TEXT, NUM)
    return _appeal_tokens(tokens, vals)


def _appeal_tokens(tokens: list[Token], vals: list[int]) -> list[Token]:
    """The tokens section 四 reads, of its value tokens `vals`: the first runs of them, up to
    the label text after the run that makes them hold 15 cells or more (a number holds as many
    cells as it has digits, glued; any other token one)."""
    picked: list[int] = []
    for k in vals:
        if (
            picked
            and any(tokens[m].kind == TEXT for m in range(picked[-1] + 1, k))
            and _capacity_sum(tokens, picked) >= APPEALS_WIDTH
        ):
            break
        picked.append(k)
    return [tokens[k] for k in picked]


def _capacity_sum(tokens: list[Token], idx: list[int]) -> int:
    return sum(sum(ch.isdigit() for ch in tokens[k].text) if tokens[k].kind == NUM else 1 for k in idx)


# Plausibility of a proactive reading when glued digits admit several: lower is likelier.
# Year-on-year changes and repeals are usually small; what is in force is at least what was issued
# this year; what was made is usually what was published; a procurement averages ~10^5.5 yuan.
def _proactive_cost(metrics: tuple[str, ...], values: tuple) -> float:
    v = dict(zip(metrics, (x or 0 for x in values), strict=False))
    cost = 0.0
    for m in ("items_change", "repealed"):
        if m in v:
            cost += abs(v[m])
    if "in_force" in v and v["in_force"] < v.get("issued", 0):
        cost += 1e6
    if "total_published" in v:
        cost += abs(v["made"] - v["published"])
        if v["total_published"] < v["published"]:
            cost += 1e6
    if "items" in v and v["items"]:
        cost += abs(math.log10(max(v["amount_10k_yuan"] * 1e4 / v["items"], 1e-9)) - 5.5) * 10
    return cost


def _signed(toks: list[Token]) -> list[Token]:
    """The tokens with a +/- mark that touches the number after it read as its sign."""
    out: list[Token] = []
    for t in toks:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.kind == NA
            and prev.text in "+-"
            and t.kind == NUM
            and t.text[0].isdigit()
            and touches(prev, t)
        ):
            out[-1] = Token(NUM, prev.text + t.text, prev.line, prev.col, prev.celled)
        else:
            out.append(t)
    return out


def read_proactive(tokens: list[Token], stream: LabelStream, template: Template, glued: bool) -> SectionResult:
    """Section 二: for each item, the values right after its label."""
    result = SectionResult(glued=glued)
    anchors = match_rows(stream, _proactive_specs(template.name))
    if not any(anchors):
        result.checks.append(Check("section", "proactive", None, None, False, "section 二 not found"))
    values, left = proactive_values(tokens, anchors, stream.hi)
    printed: dict[str, Reading] = {}
    for item, a, toks in zip(template.proactive, anchors, values, strict=True):
        if a is None or toks is None:  # the item's label not found (toks is None then too)
            continue
        n = len(item.metrics)
        line = tokens[a.end_tok].line
        opts = readings(toks, n, integer=False, glued=glued, line=line)
        signed = _signed(toks) if glued else toks
        if signed != toks:  # "—-126": a mark then 126, or a mark then -1 and 26
            opts += readings(signed, n, integer=False, glued=glued, line=line)
        if len(opts) == 1:  # the usual row: one reading
            printed[item.code] = opts[0]
        elif opts:
            # the cheapest, the likeliest among those (as the first of a stable sort by both)
            cheapest = min(r.cost for r in opts)
            tied = [r for r in opts if r.cost == cheapest]
            pick = tied[0] if len(tied) == 1 else min(tied, key=lambda r: _proactive_cost(item.metrics, r.values))
            printed[item.code] = pick
            rivals = len({r.values for r in opts})
            if rivals > 1:
                result.checks.append(
                    Check(
                        "reading",
                        f"proactive.{item.code}",
                        1,
                        rivals,
                        False,
                        f"{rivals} readings of glued digits; kept the likeliest",
                    )
                )
        else:
            result.checks.append(
                Check(
                    "reading",
                    f"proactive.{item.code}",
                    n,
                    len(toks),
                    False,
                    "no reading with the template's columns",
                )
            )
    result.keys, result.printed = _proactive_keys(template.name), printed
    result.checks += _numbers_flag("proactive", left, "belong to no row")
    return result


@functools.cache
def _proactive_keys(name: str) -> Keys:
    """The items of section 二, each with its cells' keys (table, item, metric)."""
    return tuple(
        (item.code, tuple(("proactive", item.code, m) for m in item.metrics)) for item in TEMPLATES[name].proactive
    )


def proactive_values(
    tokens: list[Token], anchors: list[Anchor | None], hi: int
) -> tuple[list[list[Token] | None], int]:
    """``_proactive_values`` (in C where the tokens are C's)."""
    if _tokens is not None:
        return _tokens.proactive_values(tokens, anchors, hi, TEXT, NUM)
    return _proactive_values(tokens, anchors, hi)


def _proactive_values(
    tokens: list[Token], anchors: list[Anchor | None], hi: int
) -> tuple[list[list[Token] | None], int]:
    """The value tokens of each item of section 二 (None where its label was not found): those
    right after its label, up to the next text (none where more label text follows the match in
    its last token); where none follow, the values its label was printed around ("其他对 0 -5 0"
    / "外管理服务事项").  And how many numbers from the first label found to `hi` no item took."""
    taken: set[int] = set()
    out: list[list[Token] | None] = []
    for a in anchors:
        if a is None:
            out.append(None)
            continue
        idx = []
        k = a.end_tok + 1
        while k < hi and tokens[k].kind != TEXT and not a.tail:
            idx.append(k)
            k += 1
        if not idx:
            idx = [k for k in range(a.start_tok + 1, a.end_tok) if tokens[k].kind != TEXT]
        taken.update(idx)
        out.append([tokens[k] for k in idx])
    first = min((a.start_tok for a in anchors if a is not None), default=hi)
    left = sum(tokens[k].kind == NUM for k in range(first, hi) if k not in taken)
    return out, left


def _numbers_flag(scope: str, n: int, what: str) -> list[Check]:
    """The flag on `n` printed numbers a reading did not take: numbers that belong to no row (a
    row's values were lost somewhere), or numbers a row read from its first or last cells left
    out (nothing explained the tokens it had too many).  Either way they may be a row's own."""
    return [Check("reading", scope, 0, n, False, f"{n} printed numbers {what}")] if n else []
