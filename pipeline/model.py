"""The parsed report: what the pure parse stage hands to the tidy stage.

Plain dataclasses and tuples, picklable, so a parse can run in a worker process and come back whole.
"""

from __future__ import annotations

import operator
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import NamedTuple, Protocol, TypeVar

from pipeline.errors import Reject
from pipeline.template import CELL_LABELS

try:
    from pipeline import _pack
except ImportError:  # installed where no C compiler was: reports are packed by the Python
    _pack = None  # type: ignore[assignment]


_D = TypeVar("_D")


def _pickled_by_fields(cls: type[_D]) -> type[_D]:
    """A slots dataclass pickled as its class and its fields' values, in order, and made again by
    its __init__.  The __getstate__ and __setstate__ dataclass gives it look its fields up and set
    them one by one, in Python: a worker's batch of results took 7.0 us a file to pickle and 4.5
    to unpickle, this way 4.9 and 2.6."""
    values = operator.attrgetter(*(f.name for f in fields(cls)))  # type: ignore[arg-type]

    def __reduce__(self: _D) -> tuple[type[_D], tuple]:
        return cls, values(self)

    cls.__reduce__ = __reduce__  # type: ignore[method-assign,assignment]
    return cls


@dataclass(slots=True)
class Cell:
    """One printed number (or blank) of a statistical table, with the line it came from."""

    table: str  # 'requests' | 'proactive' | 'appeals'
    key1: str  # category | item | proceeding
    key2: str  # applicant_type | metric | outcome
    raw: str  # the cell's text as printed ('' for a blank cell)
    value: float | int | None
    line: int | None  # 1-based line in the decoded text; None when the row is not printed


# A cell as the parser makes it: a plain tuple of Cell's fields, ten times cheaper to build than
# the object (a report has ~260); ``Report.cells`` turns them into Cells for whoever asks.
Fact = tuple[str, str, str, str, "float | int | None", "int | None"]


# A section's cells before they are made (``part_facts``): each row's code with its cells' keys
# (table, key1, key2), in the order of the facts, and the reading of each row printed, by code.
Keys = tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...]


class Printed(Protocol):
    """A row's reading as a part holds it (parse.readings.Reading): its cells' (raw, value, line)."""

    @property
    def cells(self) -> tuple[tuple[str, float | int | None, int | None], ...]: ...


Part = tuple[Keys, Mapping[str, Printed]]


def part_facts(keys: Keys, printed: Mapping[str, Printed]) -> list[Fact]:
    """The facts of the rows of `keys`: a row's cells from its reading in `printed` (by its code),
    NULL cells for a row not printed."""
    cells: list[Fact] = []
    for code, row in keys:
        pick = printed.get(code)
        if pick is None:
            cells.extend([(*key, "", None, None) for key in row])
        else:
            cells.extend([key + cell for key, cell in zip(row, pick.cells, strict=True)])
    return cells


class Check(NamedTuple):
    """An identity evaluated on a report's numbers, or a flag on its reading.  A tuple: a report
    has ~40, made by the Python and by the C (which makes them as tuple.__new__ does)."""

    rule: str  # balance | row_total | outcome_total | appeals_total | reading | section
    scope: str
    expected: float | None
    actual: float | None
    passed: bool
    note: str = ""


@_pickled_by_fields
@dataclass(slots=True)
class Report:
    agency: str | None = None
    year: int | None = None
    template: str | None = None
    layout: str | None = None
    title: str | None = None
    province: str | None = None
    city: str | None = None
    county: str | None = None
    facts: list[Fact] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    sections: dict[str, bool] = field(default_factory=dict)

    @property
    def cells(self) -> list[Cell]:
        return [Cell(*f) for f in self.facts]

    @property
    def status(self) -> str:
        """'partial' if a section is missing or a reading is in doubt; 'inconsistent' if an
        identity the agency printed fails; 'ok' otherwise."""
        return self.outcome()[0]

    @property
    def checks_failed(self) -> int:
        return self.outcome()[1]

    def outcome(self) -> tuple[str, int]:
        """The status and the number of checks failed, from one pass over the checks."""
        failed = [c.rule for c in self.checks if not c.passed]
        if "section" in failed or "reading" in failed:
            return "partial", len(failed)
        return "inconsistent" if failed else "ok", len(failed)

    def values(self) -> dict[tuple[str, str, str], float | int | None]:
        return {(table, key1, key2): value for table, key1, key2, _, value, _ in self.facts}


# How a report's cells and checks travel from a worker to the tidy stage: each column of the
# report as one value, not one Python object per cell, and the cells of each fact table
# (FACT_TABLES) apart, in the order of the report's facts: the tidy stage joins a table's cells of
# a batch's reports as they come (sorting a batch's cells by table, and taking every column in
# that order, cost it 1.3 ms of 9 a group of 1,024 reports).  A text column is the int32 lengths
# of its texts' UTF-8 bytes, then those bytes (``_texts``): the tidy stage joins a batch's and has
# an Arrow column of text with no text made one by one (splitting texts joined by line breaks was
# a fifth of its time); numbers are the bytes of a C array, NaN or 0 standing for none.  A
# report's ~200 cells and ~40 checks then pickle as 18 values instead of ~1,500: the main
# process, the part of a build that does not run in parallel, unpickles them in a third of the
# time, and the tidy stage reads a batch's columns in one vectorised step each.
CELL_COLUMNS = (("key", "u16"), ("raw", "str"), ("value", "f64"), ("line", "i32"))  # key: in CELL_LABELS
FACT_TABLES = ("requests", "proactive", "appeals")
CHECK_COLUMNS = (
    ("rule", "str"),
    ("scope", "str"),
    ("note", "str"),
    ("expected", "f64"),
    ("actual", "f64"),
    ("passed", "bool"),
)
_NAN = float("nan")
_CELL_KEYS = {key: i for i, key in enumerate(CELL_LABELS)}
assert {key[0] for key in CELL_LABELS} <= set(FACT_TABLES)


def _texts(texts: Sequence[str], column: str) -> bytes:
    """A text column packed: the int32 lengths of the texts' UTF-8 bytes, then the bytes.  A text
    with a line break is a parser bug (a cell's text comes from one line), as is one that is
    not a str or has no UTF-8 (a lone surrogate: UnicodeEncodeError, a ValueError)."""
    bad = next((t for t in texts if "\n" in t), None)
    if bad is not None:
        raise ValueError(f"a {column} holds a line break: {bad!r}")
    encoded = [t.encode("utf-8") for t in texts]
    return array("i", map(len, encoded)).tobytes() + b"".join(encoded)


def _packed(values: Sequence[Sequence], columns: tuple[tuple[str, str], ...]) -> tuple[bytes, ...]:
    """Each column's `values` (``zip(*rows)``, `columns` in order) as one value (see CELL_COLUMNS)."""
    packed: list[bytes] = []
    for (name, kind), column in zip(columns, values, strict=True):
        if kind == "str":
            packed.append(_texts(column, name))
        elif kind == "f64":  # most reports have no None: the array takes the tuple as it is
            numbers = column if None not in column else [_NAN if v is None else v for v in column]
            packed.append(array("d", numbers).tobytes())
        elif kind == "i32":  # line numbers, 1-based: 0 stands for none
            if 0 in column:
                raise ValueError(f"a {name} of 0: lines are numbered from 1")
            lines = column if None not in column else [0 if v is None else v for v in column]
            packed.append(array("i", lines).tobytes())
        elif kind == "u16":
            packed.append(array("H", column).tobytes())
        else:
            packed.append(bytes(column))
    return tuple(packed)


@_pickled_by_fields
@dataclass(slots=True)
class FileResult:
    """The outcome of reading and parsing one input file: a report or a reject, never neither.

    Built in a worker process and pickled back, so the report travels packed: its cells and
    checks as a few columns (``pack``), not as an object for each.
    """

    path: str  # relative to the raw root, '/'-separated
    sha256: str
    size: int
    mtime_ns: int
    report: Report | None = None  # metadata only once packed
    reject: Reject | None = None
    status: str | None = None
    checks_failed: int = 0
    printed: int = 0  # cells with something printed in them
    cells: tuple[tuple[bytes, ...], ...] = ()  # each FACT_TABLES table's cells: CELL_COLUMNS, packed
    checks: tuple[bytes, ...] = ()  # CHECK_COLUMNS, packed
    counts: tuple[int, ...] = (0, 0, 0, 0)  # each FACT_TABLES table's cells, then the checks

    @property
    def report_id(self) -> str:
        """Stable across runs and machines: the hash of the source bytes."""
        return self.sha256[:16]

    def pack(self, report: Report, parts: Sequence[Part] = ()) -> None:
        """Keep the report's cells and checks as columns (see CELL_COLUMNS), each table's cells
        apart: its facts, then those of `parts` (``part_facts``), which are packed as they are,
        without a tuple made for each cell.  A ValueError, a parser bug, if a count would not fit BIGINT (it names the
        cell), a text holds a line break (no text read from one line can), a line is 0 or a cell
        is one no template has; a ValueError or TypeError where a part's reading does not fit its
        keys."""
        packed = (
            _pack.parts(list(parts), _CELL_KEYS, FACT_TABLES, report.checks)
            if _pack is not None and parts and not report.facts
            else NotImplemented
        )
        if packed is NotImplemented:
            facts = report.facts + [f for keys, printed in parts for f in part_facts(keys, printed)]
            packed = (
                _pack.columns(facts, _CELL_KEYS, FACT_TABLES, report.checks) if _pack is not None else NotImplemented
            )
            if packed is NotImplemented:
                packed = _columns(facts, report.checks)
        self.cells, self.checks, self.printed = packed
        self.counts = (*(len(cells[0]) // 2 for cells in self.cells), len(report.checks))  # keys: 2 bytes a cell
        self.status, self.checks_failed = report.outcome()
        report.facts, report.checks = [], []
        self.report = report


def _columns(facts: list[Fact], checks: list[Check]) -> tuple[tuple[tuple[bytes, ...], ...], tuple[bytes, ...], int]:
    """The packed cells (each FACT_TABLES table's apart, in the order of the facts) and checks of
    ``FileResult.pack``, and the count of cells with something printed in them (in C where _pack
    was built: the same values, or NotImplemented for what it leaves to this)."""
    huge = next((f for f in facts if f[0] != "proactive" and f[4] is not None and abs(f[4]) >= 2**63), None)
    if huge is not None:  # a count that would not fit BIGINT
        raise ValueError(f"{huge[0]}.{huge[1]}.{huge[2]} read as {huge[3]!r} (line {huge[5]})")
    try:
        keys = [_CELL_KEYS[f[:3]] for f in facts]
    except KeyError as exc:
        raise ValueError(f"a cell no template has: {exc.args[0]}") from None
    tables: list[list[tuple[int, Fact]]] = [[] for _ in FACT_TABLES]
    for key, fact in zip(keys, facts, strict=True):
        tables[FACT_TABLES.index(fact[0])].append((key, fact))
    cells = []
    for table in tables:
        _, _, _, raw, value, line = zip(*[fact for _, fact in table], strict=True) if table else ((),) * 6
        cells.append(_packed([[key for key, _ in table], raw, value, line], CELL_COLUMNS))
    columns = list(zip(*[(c.rule, c.scope, c.note, c.expected, c.actual, c.passed) for c in checks], strict=True))
    return (
        tuple(cells),
        _packed(columns or [()] * len(CHECK_COLUMNS), CHECK_COLUMNS),
        sum(f[3] != "" for f in facts),
    )
