"""Find where each template row's label is printed.

The TEXT tokens of a stretch of the stream are joined into one canonical string (see
``normalize.canon``), so a label wrapped over lines, split around its numbers or typeset one
character per line is still one run of characters.  Each row may match any of its key fragments;
the chosen matches must appear in template order, and among all such choices the one matching the
most value rows (then the most specific keys) wins — a weighted longest-increasing-subsequence.
That keeps one stray fragment in the prose or a header from derailing the rows after it.
"""

from __future__ import annotations

import bisect
import functools
import itertools
from typing import NamedTuple

from pipeline.parse.tokens import Token, label_text

try:
    from pipeline.parse import _anchors
except ImportError:  # installed where no C compiler was: the rows are placed by the Python
    _anchors = None  # type: ignore[assignment]


class Anchor(NamedTuple):
    """Where a row's label is printed.  A tuple: made ~50 times a report, by ``match_rows`` (and
    its C, which builds tuples fast)."""

    row: int  # position in the row list
    start_tok: int  # first token of the match
    end_tok: int  # last token of the match
    key_rank: int  # 0 = the most specific key
    tail: bool = False  # more label text follows the match inside its last token


class LabelStream:
    """Canonical text of the TEXT tokens in tokens[lo:hi], with a map back to token indices."""

    def __init__(self, text: str, owner: list[int], lo: int, hi: int):
        self.text, self.owner, self.lo, self.hi = text, owner, lo, hi

    @classmethod
    def of(cls, tokens: list[Token], lo: int, hi: int) -> LabelStream:
        """The stream of tokens[lo:hi] (a parse has it from ``tokens.labelled``)."""
        return cls(*label_text(tokens, lo, hi), lo, hi)

    def span(self, c0: int, c1: int) -> LabelStream:
        """The label text in chars [c0, c1) and the tokens that hold it and the values after it,
        cut out of this stream without canonicalising again.  Glued text may hold the end of one
        section and the heading of the next in one token: the label text is cut at the char,
        the token belongs to both."""
        lo, hi = self.token_at(c0), self.token_at(c1)
        if c0 < c1 < len(self.owner) and self.owner[c1 - 1] == self.owner[c1]:
            hi += 1
        return LabelStream(self.text[c0:c1], self.owner[c0:c1], lo, hi)

    def first(self, keys: tuple[str, ...], after_char: int = 0) -> tuple[int, int] | None:
        """Character span of the earliest occurrence of any key at or after after_char."""
        best: tuple[int, int] | None = None
        for key in keys:
            pos = self.text.find(key, after_char)
            if pos >= 0 and (best is None or pos < best[0]):
                best = (pos, pos + len(key))
        return best

    def last_before(self, keys: tuple[str, ...], before_char: int) -> tuple[int, int] | None:
        best: tuple[int, int] | None = None
        for key in keys:
            pos = self.text.rfind(key, 0, max(before_char, 0))
            if pos >= 0 and (best is None or pos > best[0]):
                best = (pos, pos + len(key))
        return best

    def token_at(self, char: int) -> int:
        if char >= len(self.owner):
            return self.hi
        return self.owner[char]


Specs = tuple[tuple[tuple[str, ...], bool], ...]  # per row: its keys, and whether it carries values


def match_rows(stream: LabelStream, rows: Specs, labels: tuple[str, ...] | None = None) -> list[Anchor | None]:
    """Place each row (keys, carries_values) at most once, in order, maximising the weight of
    matched rows.  Returns one Anchor or None per row.  With the rows' printed `labels`
    (canonical), a row found by a key inside its label starts where the label does
    (``_label_start``)."""
    placed = _match_chars(stream.text, rows)
    before = _before_keys(rows, labels) if labels is not None else None
    if _anchors is not None:
        found = _anchors.anchor_rows(stream.text, stream.owner, placed, before, len(rows), Anchor)
        if found is not NotImplemented:
            return found
    return _anchor_rows(stream.text, stream.owner, placed, before, len(rows))


def _anchor_rows(
    text: str,
    owner: list[int],
    placed: tuple[tuple[int, int, int, int], ...],
    before: tuple[tuple[str, ...], ...] | None,
    rows: int,
) -> list[Anchor | None]:
    """The anchors of ``match_rows`` from the matches ``_match_chars`` placed (in C where
    _anchors was built: the same anchors, or NotImplemented)."""
    result: list[Anchor | None] = [None] * rows
    floor = 0
    for r, a, b, rank in sorted(placed, key=lambda m: m[1]):
        tail = b < len(owner) and owner[b] == owner[b - 1]
        start = a
        if before is not None and (prefix := before[r][rank]):
            start = _label_start(text, owner, a, prefix, floor)
        result[r] = Anchor(r, owner[start], owner[b - 1], rank, tail)
        floor = b
    return result


@functools.cache
def _before_keys(rows: Specs, labels: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """For each row and key, the label's text before the key ('' where the key begins the
    label, or is a variant's and not in it)."""
    return tuple(
        tuple(label[: max(label.find(key), 0)] for key in keys) for (keys, _), label in zip(rows, labels, strict=True)
    )


_MAX_SKIPPED = 3  # tokens of another label a row's label may be read across


def _label_start(text: str, owner: list[int], a: int, prefix: str, floor: int) -> int:
    """Where a row's label begins that a key found at char `a`, inside it: `prefix` (the label
    before the key, its ordinal first) read backwards from `a` a whole token at a time, across
    at most _MAX_SKIPPED tokens of other text, not before `floor` (the row before ends there).
    A narrow column prints "1.本机关不掌握…" a few characters a line beside its group's label,
    "(四)无法提供", and the stream runs them together ("1本 无法 机关 提供 不掌握…"): the key
    不掌握 is found two lines below the label's first, where the row's values are printed.
    `a` itself when the prefix is not all there."""
    if a - len(prefix) >= floor and text.startswith(prefix, a - len(prefix)):
        return a - len(prefix)  # printed whole, as usual
    pos, skipped = a, 0
    while prefix:
        if pos <= floor:
            return a
        first = max(bisect.bisect_left(owner, owner[pos - 1]), floor)  # the token's first char
        piece = text[first:pos]
        if prefix.endswith(piece):
            prefix, pos = prefix[: -len(piece)], first
        elif piece.endswith(prefix):
            return pos - len(prefix)
        elif skipped < _MAX_SKIPPED and owner[pos - 1] != owner[a]:
            skipped, pos = skipped + 1, first
        else:
            return a
    return pos


@functools.lru_cache(maxsize=4096)
def _match_chars(text: str, rows: Specs) -> tuple[tuple[int, int, int, int], ...]:
    """``match_rows`` on the label text alone, as (row, char start, char end, key rank): reports
    print the same labels, so the same text recurs and is placed once per process.  In C where
    _anchors was built (``_anchors.match_chars``: the same matches, or NotImplemented)."""
    if _anchors is not None:
        found = _anchors.match_chars(text, rows)
        if found is not NotImplemented:
            return found
    return _placed_matches(text, rows)


def _placed_matches(text: str, rows: Specs) -> tuple[tuple[int, int, int, int], ...]:
    """``_match_chars`` in Python: a weighted longest increasing subsequence of the keys'
    matches."""
    # (char_start, char_end, key_rank) of every match, per row
    by_row = [[(a, b, rank) for rank, key in enumerate(keys) for a, b in _find_all(text, key)] for keys, _ in rows]
    # Rows are visited in template order; the matches of earlier rows are kept sorted by where
    # they end, with a running best, so each match finds its best predecessor by bisection.
    ends: list[int] = []
    entries: list[tuple[float, int]] = []  # (score, candidate index), parallel to ends
    running: list[tuple[float, int]] = []  # prefix maximum of entries
    best: list[float] = []
    prev: list[int] = []
    flat: list[tuple[int, int, int, int]] = []
    for r, row_candidates in enumerate(by_row):
        if not row_candidates:
            continue
        added = []
        for a, b, rank in row_candidates:
            k = bisect.bisect_right(ends, a)
            before = running[k - 1] if k else (0.0, -1)
            flat.append((r, a, b, rank))
            best.append(_weight(rows, r, rank) + before[0])
            prev.append(before[1])
            added.append((b, (best[-1], len(flat) - 1)))
        first = len(ends)
        for b, entry in added:
            k = bisect.bisect_right(ends, b)
            ends.insert(k, b)
            entries.insert(k, entry)
            first = min(first, k)
        # labels come in order, so matches are mostly added at the end: only the maxima from
        # the first insertion on change
        del running[first:]
        maxima = itertools.accumulate(entries[first:], max, initial=running[-1]) if running else None
        running.extend(itertools.islice(maxima, 1, None) if maxima else itertools.accumulate(entries, max))
    placed = []
    if flat:
        j = max(range(len(flat)), key=lambda k: best[k])
        while j >= 0:
            placed.append(flat[j])
            j = prev[j]
    return tuple(placed)


def _find_all(text: str, key: str) -> list[tuple[int, int]]:
    """Character spans of every occurrence of key in text."""
    out = []
    pos = text.find(key)
    while pos >= 0:
        out.append((pos, pos + len(key)))
        pos = text.find(key, pos + 1)
    return out


def _weight(rows: Specs, r: int, rank: int) -> float:
    """A matched row is worth 100 if it carries values (1 if a heading), less its key's rank."""
    return (100.0 if rows[r][1] else 1.0) - rank


def row_weights(rows: Specs) -> tuple[float, ...]:
    """Each row's ``_weight`` when found by its most specific key: ``score`` subtracts the rank
    of the key that found it."""
    return tuple([_weight(rows, r, 0) for r in range(len(rows))])


def score(anchors: list[Anchor | None], weights: tuple[float, ...]) -> float:
    """The weight of the rows found (``_weight`` of each, summed in row order), from their
    ``row_weights``."""
    return sum([weights[i] - a.key_rank for i, a in enumerate(anchors) if a])
