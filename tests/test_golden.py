"""Golden tests: every real report parses to its hand-checked expected.csv, cell for cell."""

from __future__ import annotations

import pytest
from conftest import SHARED
from golden import differences, load_expected

from pipeline.normalize import normalize_text
from pipeline.parse import parse_text
from pipeline.read import read_text

TEXT_REPORTS = [
    "seeds/000_1658f79ee837fe88.txt",
    "seeds/004_baf32f534e185151.txt",
    "corpus/pingtan_2019.txt",
    "corpus/pingtan_2021.txt",
    "corpus/hongze_2023.pdf.txt",
    "corpus/huaian_2024.pdf.txt",
]


def _parse(rel: str):
    path = SHARED / rel
    text, _ = read_text(path.name, path.read_bytes())
    return parse_text(text)


def _expected(rel: str):
    path = SHARED / rel
    return load_expected(path.parent / (path.name.split(".")[0] + ".expected.csv"))


@pytest.mark.parametrize("rel", TEXT_REPORTS)
def test_report_matches_expected(rel):
    report = _parse(rel)
    cells, meta = _expected(rel)
    assert differences(report, cells, meta) == []


@pytest.mark.parametrize("rel", TEXT_REPORTS)
def test_every_number_has_a_line(rel):
    report = _parse(rel)
    lines = normalize_text((SHARED / rel).read_text(encoding="utf-8"))
    for cell in report.cells:
        if cell.raw:
            assert cell.line is not None
            assert cell.raw in lines[cell.line - 1], cell


@pytest.mark.parametrize("rel", TEXT_REPORTS)
def test_every_identity_is_evaluated(rel):
    report = _parse(rel)
    rules = [c.rule for c in report.checks]
    rows = {c.key1 for c in report.cells if c.table == "requests" and c.line is not None}
    assert rules.count("balance") == 7
    assert rules.count("outcome_total") == 7
    assert rules.count("appeals_total") == 3
    assert rules.count("row_total") == len(rows)


def test_publisher_errors_are_kept_and_flagged():
    report = _parse("corpus/hongze_2023.pdf.txt")
    failed = {(c.rule, c.scope) for c in report.checks if not c.passed}
    assert failed == {("appeals_total", "review"), ("appeals_total", "litigation_after_review")}
    assert report.status == "inconsistent"
    assert report.values()[("appeals", "review", "total")] == 0


def test_hybrid_template_keeps_the_printed_single_other_row():
    report = _parse("corpus/hongze_2023.pdf.txt")
    assert report.template == "2021"
    values = report.values()
    assert values[("requests", "outcome.other", "total")] == 0
    assert values[("requests", "outcome.other.other", "total")] is None


@pytest.mark.parametrize("rel", ["corpus/pingtan_2019.txt", "corpus/pingtan_2021.txt"])
def test_glued_proactive_digits_are_marked_in_doubt(rel):
    """Glued section-二 digits have no identity to confirm them: never 'ok'."""
    report = _parse(rel)
    doubts = [c for c in report.checks if c.rule == "reading" and not c.passed]
    assert doubts and all(c.scope.startswith("proactive.") for c in doubts)
    assert report.status == "partial"


@pytest.mark.parametrize(
    "rel,status",
    [
        ("seeds/000_1658f79ee837fe88.txt", "ok"),
        ("seeds/004_baf32f534e185151.txt", "ok"),
        ("corpus/huaian_2024.pdf.txt", "ok"),
    ],
)
def test_clean_reports_are_ok(rel, status):
    assert _parse(rel).status == status
