"""A table as rows of cells, written out as the tab-separated lines the parser reads.

All three readers rebuild the same thing: rows of cells where a merged cell is given once, at its
top-left position.  A position that a merged cell from a row above covers holds ``None``; a
position covered from the left (the rest of a colspan) is not there at all.  Writing out:
- a position covered from above becomes an empty cell, so the label columns of a row under a
  spanned group line up, and the group's label is never repeated beside the values below it;
- the rest of a colspan is dropped: a label or value spread over several columns is one cell,
  and no blank the parser would read as a value falls between two numbers;
- covered positions at the end of a row are dropped (a heading over the table is one cell);
- a row with nothing in it (a spacer) is dropped;
- a label wrapped inside its cell is joined into one line, but a row that is one cell only (a
  heading or prose framed by the table) keeps its lines, as text outside a table would.
"""

from __future__ import annotations

import re

Cell = str | None

_SPACE = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")
_WIDE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f“”‘’]")


def join_wrapped(text: str) -> str:
    """One line from a cell's wrapped lines: no space where the wrap fell between Chinese
    characters or inside a number (a narrow cell wraps 115 as "11" over "5"), one space
    elsewhere; runs of blanks (``&nbsp;`` included) become one space."""
    parts = [_SPACE.sub(" ", p).strip() for p in text.splitlines()]
    out = ""
    for part in parts:
        if not part:
            continue
        if out and not (_WIDE.match(out[-1]) or _WIDE.match(part[0]) or (out[-1].isdigit() and part[0].isdigit())):
            out += " "
        out += part
    return out


def row_lines(cells: list[Cell]) -> list[str]:
    """One grid row as a tab-separated line (or the lines of its only cell)."""
    cells = list(cells)
    while cells and cells[-1] is None:
        cells.pop()
    if len(cells) == 1:
        return [line for line in map(join_wrapped, (cells[0] or "").splitlines()) if line]
    texts = [join_wrapped(c) if c else "" for c in cells]
    return ["\t".join(texts)] if any(texts) else []


def grid_lines(rows: list[list[Cell]]) -> list[str]:
    return [line for row in rows for line in row_lines(row)]


def place(spans: list[list[tuple[str, int, int]]]) -> list[list[Cell]]:
    """The rows of a table given row by row as (text, colspan, rowspan) cells, HTML style:
    each cell takes the first column not yet covered by a rowspan from above.  A cell spanning
    rows and columns covers each row below it once (one ``None``), as Word's continuation cell
    does, so the rest of its colspan is dropped there too."""
    grid: list[list[Cell]] = []
    covered: dict[tuple[int, int], tuple[int, int]] = {}  # position -> where its covering cell starts

    def skip_covered(r: int, col: int, out: list[Cell]) -> int:
        while (r, col) in covered:
            if col == 0 or covered.get((r, col - 1)) != covered[(r, col)]:
                out.append(None)
            col += 1
        return col

    for r, row in enumerate(spans):
        out: list[Cell] = []
        col = 0
        for text, colspan, rowspan in row:
            col = skip_covered(r, col, out)
            out.append(text)
            covered.update(((r + dr, col + dc), (r, col)) for dr in range(1, rowspan) for dc in range(colspan))
            col += colspan
        skip_covered(r, col, out)
        grid.append(out)
    return grid
