"""Find where each template row's label is printed.

The TEXT tokens of a stretch of the stream are joined into one canonical string (see
``normalize.canon``), so a label wrapped over lines, split around its numbers or typeset one
character per line is still one run of characters.  Each row may match any of its key fragments;
the chosen matches must appear in template order, and among all such choices the one matching the
most value rows (then the most specific keys) wins — a weighted longest-increasing-subsequence.
That keeps one stray fragment in the prose or a header from derailing the rows after it.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.normalize import canon
from pipeline.parse.tokens import TEXT, Token


@dataclass(slots=True)
class Anchor:
    index: int          # position in the row list
    start_tok: int      # first token of the match
    end_tok: int        # last token of the match
    key_rank: int       # 0 = the most specific key
    tail: bool = False  # more label text follows the match inside its last token


class LabelStream:
    """Canonical text of the TEXT tokens in tokens[lo:hi], with a map back to token indices."""

    def __init__(self, tokens: list[Token], lo: int, hi: int):
        parts: list[str] = []
        owner: list[int] = []
        for i in range(lo, hi):
            tok = tokens[i]
            if tok.kind != TEXT:
                continue
            c = canon(tok.text)
            parts.append(c)
            owner.extend([i] * len(c))
        self.text = "".join(parts)
        self.owner = owner
        self.lo, self.hi = lo, hi

    def find_all(self, key: str) -> list[tuple[int, int]]:
        """Token spans (first, last) of every occurrence of key."""
        spans = []
        pos = self.text.find(key)
        while pos >= 0:
            spans.append((self.owner[pos], self.owner[pos + len(key) - 1], pos, pos + len(key)))
            pos = self.text.find(key, pos + 1)
        return [(a, b) for a, b, _, _ in spans]

    def find_chars(self, key: str, start_char: int = 0) -> list[tuple[int, int]]:
        """Character spans of every occurrence of key at or after start_char."""
        out = []
        pos = self.text.find(key, start_char)
        while pos >= 0:
            out.append((pos, pos + len(key)))
            pos = self.text.find(key, pos + 1)
        return out

    def first(self, keys: tuple[str, ...], after_char: int = 0) -> tuple[int, int] | None:
        """Character span of the earliest occurrence of any key at or after after_char."""
        best = None
        for key in keys:
            pos = self.text.find(key, after_char)
            if pos >= 0 and (best is None or pos < best[0]):
                best = (pos, pos + len(key))
        return best

    def last_before(self, keys: tuple[str, ...], before_char: int) -> tuple[int, int] | None:
        best = None
        for key in keys:
            pos = self.text.rfind(key, 0, max(before_char, 0))
            if pos >= 0 and (best is None or pos > best[0]):
                best = (pos, pos + len(key))
        return best

    def token_at(self, char: int) -> int:
        if char >= len(self.owner):
            return self.hi
        return self.owner[char]


def match_rows(stream: LabelStream, rows: list[tuple[tuple[str, ...], bool]]) -> list[Anchor | None]:
    """Place each row (keys, carries_values) at most once, in order, maximising the weight of
    matched rows.  Returns one Anchor or None per row."""
    candidates: list[tuple[int, int, int, int]] = []   # (char_start, char_end, row, key_rank)
    for r, (keys, _) in enumerate(rows):
        for rank, key in enumerate(keys):
            for a, b in stream.find_chars(key):
                candidates.append((a, b, r, rank))
    candidates.sort()

    def weight(row: int, rank: int) -> float:
        return (100.0 if rows[row][1] else 1.0) - rank

    n = len(candidates)
    best = [0.0] * n
    prev = [-1] * n
    for j in range(n):
        a, b, r, rank = candidates[j]
        best[j] = weight(r, rank)
        for i in range(j):
            ai, bi, ri, _ = candidates[i]
            if ri < r and bi <= a and best[i] + weight(r, rank) > best[j]:
                best[j] = best[i] + weight(r, rank)
                prev[j] = i
    result: list[Anchor | None] = [None] * len(rows)
    if not n:
        return result
    j = max(range(n), key=lambda k: best[k])
    while j >= 0:
        a, b, r, rank = candidates[j]
        tail = b < len(stream.owner) and stream.owner[b] == stream.owner[b - 1]
        result[r] = Anchor(r, stream.owner[a], stream.owner[b - 1], rank, tail)
        j = prev[j]
    return result


def score(anchors: list[Anchor | None], rows: list[tuple[tuple[str, ...], bool]]) -> float:
    return sum((100.0 if rows[i][1] else 1.0) - a.key_rank for i, a in enumerate(anchors) if a)
