"""The parsed report: what the pure parse stage hands to the tidy stage.

Plain dataclasses, picklable, so a parse can run in a worker process and come back whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.errors import Reject


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


@dataclass(slots=True)
class Check:
    rule: str  # balance | row_total | outcome_total | appeals_total | reading | section
    scope: str
    expected: float | None
    actual: float | None
    passed: bool
    note: str = ""


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
        if any(not c.passed and c.rule in ("section", "reading") for c in self.checks):
            return "partial"
        if any(not c.passed for c in self.checks):
            return "inconsistent"
        return "ok"

    @property
    def checks_failed(self) -> int:
        return sum(not c.passed for c in self.checks)

    def values(self) -> dict[tuple[str, str, str], float | int | None]:
        return {(table, key1, key2): value for table, key1, key2, _, value, _ in self.facts}


@dataclass(slots=True)
class FileResult:
    """The outcome of reading and parsing one input file: a report or a reject, never neither.

    Built in a worker process and pickled back, so the report travels packed: its cells and
    checks as columns (``pack``), which pickle in a fraction of the time of one object per cell.
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
    cells: dict[str, tuple[list, ...]] = field(default_factory=dict)  # table -> key1, key2, raw, value, line
    checks: tuple[list, ...] = ()  # rule, scope, expected, actual, passed, note

    @property
    def report_id(self) -> str:
        """Stable across runs and machines: the hash of the source bytes."""
        return self.sha256[:16]

    def pack(self, report: Report) -> None:
        self.status, self.checks_failed = report.status, report.checks_failed
        self.printed = sum(f[3] != "" for f in report.facts)
        tables: dict[str, list[Fact]] = {"requests": [], "proactive": [], "appeals": []}
        for f in report.facts:
            tables[f[0]].append(f)
        for table, facts in tables.items():
            _, key1, key2, raw, value, line = zip(*facts, strict=True) if facts else ((),) * 6
            self.cells[table] = (
                list(key1),
                list(key2),
                list(raw),
                [None if v is None else float(v) for v in value],
                list(line),
            )
        ch = report.checks
        self.checks = (
            [c.rule for c in ch],
            [c.scope for c in ch],
            [None if c.expected is None else float(c.expected) for c in ch],
            [None if c.actual is None else float(c.actual) for c in ch],
            [c.passed for c in ch],
            [c.note for c in ch],
        )
        report.facts, report.checks = [], []
        self.report = report
