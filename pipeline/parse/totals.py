"""The search behind ``readings.totalled_readings``: the cheapest ways to read a row's printed
tokens as runs of cells in which the last cell of every run is the sum of the others.

A search state is (token, offset in it, cells read, running sum of the run, blanks used).  A
run's total is never enumerated but read off as the sum of the run; the cheapest cost to finish
from every state is computed once (memoised), so readings come out best first with no dead end
explored; past `budget` states the row is too ambiguous to read.

The search is written twice.  ``search`` here is the definition.  ``_totals.c`` is the same
search in C, for speed alone: in Python it was 13 % of the parse's CPU on the bench corpus
(0.7 ms a row searched, 60 ms for the worst rows of glued zeros), a cost spread over a few
hundred states a row, each a handful of tuples and dict lookups.  ``best`` takes the C search
wherever its inputs are plain — every digit run ASCII, every whole cell a count or a mark —
and this one where they are not (a decimal in a row of counts, digits of another script, a
row of hundreds of cells), or where the package was installed with no C compiler.  The tests
hold the two equal, output for output, on random rows and on real ones.
"""

from __future__ import annotations

import heapq
import math

try:
    from pipeline.parse import _totals
except ImportError:  # installed where no C compiler was: the Python search alone
    _totals = None  # type: ignore[assignment]

CellReading = tuple[str, "int | float | None", int]  # raw, value, index of the token (-1: a blank)
Found = tuple[tuple[tuple[CellReading, ...], float], ...]
MAX_COUNT = 10**9  # no agency counts a billion requests: a longer integer is glued cells
C_MAX_CELLS = 256  # cells and tokens the C search takes (its depth of recursion); rows have 7 or 15

_BLANK: CellReading = ("", None, -1)
# the arguments of ``search``, in its order (texts, digit, pair, whole, n, size, split_cost,
# blank_cost, weight, limit, counted, cut, keep, budget), for what takes them as they are
Args = tuple[
    tuple[str, ...],
    tuple[bool, ...],
    tuple[bool, ...],
    tuple["CellReading | None", ...],
    int,
    int,
    float,
    float,
    tuple[float, ...],
    int,
    int,
    bool,
    int,
    int,
]


def best(*args: *Args) -> Found:
    """``search``, in C where its inputs are plain."""
    texts, digit, _, whole, n = args[:5]
    if (
        _totals is not None
        and n <= C_MAX_CELLS
        and len(texts) <= C_MAX_CELLS
        and all(text.isascii() for text, d in zip(texts, digit, strict=True) if d)
        and all(
            cell is None or cell[1] is None or (type(cell[1]) is int and 0 <= cell[1] < MAX_COUNT) for cell in whole
        )
    ):
        return _totals.search(*args)
    return search(*args)


def search(
    texts: tuple[str, ...],
    digit: tuple[bool, ...],
    pair: tuple[bool, ...],
    whole: tuple[CellReading | None, ...],
    n: int,
    size: int,
    split_cost: float,
    blank_cost: float,
    weight: tuple[float, ...],
    limit: int,
    counted: int,
    cut: bool,
    keep: int,
    budget: int,
) -> Found:
    """The `keep` cheapest readings of the tokens `texts` as n cells in runs of `size`, best first
    (ties in the order a depth-first search would meet them), each with its cost; none past
    `budget` states.

    A token is read whole (`whole`: its cell, or None where it cannot stand alone), or, where
    `digit` says, cut into numbers (a piece costs `split_cost` unless it ends the token); a
    `pair` ("——") is one mark or two.  A blank put back costs `blank_cost` times the `weight` of
    its column, at most `limit` of them when `counted`; `cut` lets a blank go anywhere, not only
    between tokens while tokens are fewer than the cells still to read."""
    count = len(texts)
    left = [0] * (count + 1)  # digits in the tokens from i on
    plain = [True] * (count + 1)  # only glued digits from i on
    for k in range(count - 1, -1, -1):
        left[k] = left[k + 1] + (len(texts[k]) if digit[k] else 0)
        plain[k] = plain[k + 1] and digit[k]

    State = tuple[int, int, int, int | float, int]  # token, offset, cells read, run sum, blanks
    starting: dict[tuple[int, int], list[tuple[str, int, int]]] = {}

    def numbers_at(i: int, off: int) -> list[tuple[str, int, int]]:
        """The cells that glued digits can begin with at `off` in token i, as (digits, value,
        offset after them): no leading zero, no count of a billion or more."""
        got = starting.get((i, off))
        if got is None:
            text = texts[i]
            got = starting[(i, off)] = []
            for end in range(off + 1, len(text) + 1):
                piece = text[off:end]
                v = int(piece)
                if (len(piece) > 1 and piece[0] == "0") or v >= MAX_COUNT:
                    break
                got.append((piece, v, end))
        return got

    def moves(state: State) -> list[tuple[CellReading, float, State]]:
        i, off, p, s, b = state
        out: list[tuple[CellReading, float, State]] = []
        if p == n:
            return out
        last = p % size == size - 1
        if i < count:
            if not digit[i]:
                cell = whole[i] if off == 0 else None
                if cell is not None:
                    v = cell[1] or 0
                    if not last:
                        out.append((cell, 0.0, (i + 1, 0, p + 1, s + v, b)))
                    elif v == s:
                        out.append((cell, 0.0, (i + 1, 0, p + 1, 0, b)))
                if pair[i] and (not last or s == 0):
                    half = (texts[i][off], None, i)
                    nxt = (i, 1, p + 1, 0 if last else s, b) if off == 0 else (i + 1, 0, p + 1, 0 if last else s, b)
                    out.append((half, split_cost if off == 0 else 0.0, nxt))
            else:
                text = texts[i]
                if last:  # the run's total: the digits that print its sum, if they are next
                    total = str(s)
                    if s < MAX_COUNT and text.startswith(total, off):
                        done = off + len(total) == len(text)
                        nxt = (i + 1, 0, p + 1, 0, b) if done else (i, off + len(total), p + 1, 0, b)
                        out.append(((total, s, i), 0.0 if done else split_cost, nxt))
                else:
                    for piece, v, end in numbers_at(i, off):
                        done = end == len(text)
                        nxt = (i + 1, 0, p + 1, s + v, b) if done else (i, end, p + 1, s + v, b)
                        out.append(((piece, v, i), 0.0 if done else split_cost, nxt))
        if b < limit and (cut or (off == 0 and n - p > count - i)) and (not last or s == 0):
            out.append((_BLANK, blank_cost * weight[p % size], (i, off, p + 1, 0 if last else s, b + counted)))
        return out

    memo: dict[State, float] = {}

    def to_go(state: State) -> float:
        """The least cost from `state` to a complete reading (inf: none)."""
        got = memo.get(state)
        if got is not None:
            return got
        if len(memo) > budget:
            raise _TooAmbiguous
        i, off, p, s, b = state
        if p == n:
            best = 0.0 if i == count else math.inf
        elif s >= MAX_COUNT:
            best = math.inf  # no total can print the run's sum
        elif plain[i] and left[i] - off < (
            (len(str(s)) if s else 0) if b < limit else n - p - 1 + (len(str(s)) if s else 1)
        ):
            # too few digits left: the run's total prints its sum (a blank only if that is 0),
            # and with no blank left to put back, every other cell still to read takes a digit
            best = math.inf
        else:
            best = math.inf
            for _, cost, nxt in moves(state):
                rest = memo.get(nxt)
                if rest is None:
                    rest = to_go(nxt)
                if cost + rest < best:
                    best = cost + rest
        memo[state] = best
        return best

    start: State = (0, 0, 0, 0, 0)
    try:
        if to_go(start) == math.inf:
            return ()
        out: list[tuple[tuple[CellReading, ...], float]] = []
        heap: list[tuple[float, tuple[int, ...], float, State, tuple[CellReading, ...]]] = [
            (round(memo[start], 9), (), 0.0, start, ())
        ]
        while heap and len(out) < keep:
            _, path, cost, state, cells = heapq.heappop(heap)
            if state[2] == n:
                out.append((cells, cost))
                continue
            for k, (cell, step, nxt) in enumerate(moves(state)):
                rest = to_go(nxt)
                if rest < math.inf:
                    heapq.heappush(heap, (round(cost + step + rest, 9), (*path, k), cost + step, nxt, (*cells, cell)))
    except _TooAmbiguous:
        return ()
    return tuple(out)


class _TooAmbiguous(Exception):
    """The search space of a row passed its budget."""
