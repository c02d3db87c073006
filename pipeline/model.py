"""The parsed report: what the pure parse stage hands to the tidy stage.

Plain dataclasses, picklable, so a parse can run in a worker process and come back whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.errors import Reject


@dataclass(slots=True)
class Cell:
    """One printed number (or blank) of a statistical table, with the line it came from."""

    table: str          # 'requests' | 'proactive' | 'appeals'
    key1: str           # category | item | proceeding
    key2: str           # applicant_type | metric | outcome
    raw: str            # the cell's text as printed ('' for a blank cell)
    value: float | int | None
    line: int | None    # 1-based line in the decoded text; None when the row is not printed


@dataclass(slots=True)
class Check:
    rule: str           # balance | row_total | outcome_total | appeals_total | reading | section
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
    cells: list[Cell] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    sections: dict[str, bool] = field(default_factory=dict)

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
        return {(c.table, c.key1, c.key2): c.value for c in self.cells}


@dataclass(slots=True)
class FileResult:
    """The outcome of reading and parsing one input file: a report or a reject, never neither."""

    path: str               # relative to the raw root, '/'-separated
    sha256: str
    size: int
    mtime_ns: int
    report: Report | None = None
    reject: Reject | None = None

    @property
    def report_id(self) -> str:
        """Stable across runs and machines: the hash of the source bytes."""
        return self.sha256[:16]
