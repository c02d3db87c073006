"""The packed columns a worker sends back (``FileResult.pack``) tidy to exactly the parser's cells
and checks, in order: text, numbers, blanks, NULL lines, reports with nothing in them."""

from __future__ import annotations

import copy
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pyarrow as pa
import pytest

from pipeline import work
from pipeline.generate import generate_many
from pipeline.model import Check, FileResult, Report
from pipeline.parse import parse_text
from pipeline.parse.readings import Reading
from pipeline.read import read_text
from pipeline.tidy import tidy

RAW = Path(__file__).parent.parent / "data" / "raw"
_KEYS = {
    "requests": ("category", "applicant_type"),
    "proactive": ("item", "metric"),
    "appeals": ("proceeding", "outcome"),
}


def _reports() -> list[Report]:
    texts = [read_text(p.name, p.read_bytes())[0] for p in sorted(RAW.iterdir())]
    texts += [g.text for g in generate_many(7, 24)]
    reports = [parse_text(t) for t in texts]
    odd = Report(agency="某局", year=2021, template="2021", layout="text/plain", sections={"requests": True})
    odd.facts = [
        ("requests", "received.new", "total", "", None, None),  # a row not printed
        ("proactive", "regulations", "issued", "1.5", 1.5, 3),
        ("appeals", "review", "total", "—", 0, 9),
    ]
    odd.checks = [Check("balance", "requests.total", 3, None, False, "其他，“说明”")]
    empty = Report(agency="空", year=2019, template="2019", layout="text/plain", sections={"requests": True})
    return [reports[0], empty, odd, *reports[1:], empty]


def _packed(reports: list[Report]) -> list[FileResult]:
    results = []
    for i, report in enumerate(reports):
        result = FileResult(f"r{i}.txt", f"{i:064x}", 100 + i, 0)
        result.pack(copy.deepcopy(report))
        results.append(result)
    return results


def _frames(parts: list[pa.Table]) -> list[pl.DataFrame]:
    """A table's Arrow parts as polars frames, the dictionaries as plain text."""
    return [pl.from_arrow(p).with_columns(pl.col(pl.Categorical).cast(pl.String)) for p in parts]


def test_packed_reports_tidy_to_the_parsers_cells_and_checks_in_order():
    """Each fact table and the checks come as one part per year, holding that year's rows in the
    order of the reports and of their cells or checks; reports as one part."""
    reports = _reports()
    unknown = copy.deepcopy(reports[3])
    unknown.year = None  # a report whose year the text did not give
    reports.insert(2, unknown)
    tables = {t: _frames(parts) for t, parts in tidy(_packed(reports), "v1", "run1").items()}
    years = list(dict.fromkeys(r.year for r in reports))
    assert len(years) > 2 and None in years
    for table in (*_KEYS, "checks"):
        assert all(p["year"].n_unique() == 1 for p in tables[table])
        assert len({p["year"][0] for p in tables[table]}) == len(tables[table])
    [reports_table] = tables["reports"]
    assert reports_table["cells"].to_list() == [sum(f[3] != "" for f in r.facts) for r in reports]
    for table, (k1, k2) in _KEYS.items():
        value = "value" if table == "proactive" else "count"
        for part in tables[table]:
            year = part["year"][0]
            got = part.select("source_path", k1, k2, "raw", value, "source_line").rows()
            want = [
                (
                    f"r{i}.txt",
                    key1,
                    key2,
                    raw,
                    None if v is None else (float(v) if table == "proactive" else int(v)),
                    line,
                )
                for i, r in enumerate(reports)
                if r.year == year
                for t, key1, key2, raw, v, line in r.facts
                if t == table
            ]
            assert got == want
            assert part["report_id"].null_count() == 0 and part["agency"].null_count() == 0
            assert part.select("parser_version", "run_id").unique().rows() == [("v1", "run1")]
        assert sum(p.height for p in tables[table]) == sum(f[0] == table for r in reports for f in r.facts)
    assert all(p["label_zh"].null_count() == 0 for p in tables["requests"])
    for part in tables["checks"]:
        got = part.select("source_path", "rule", "scope", "expected", "actual", "passed", "note").rows()
        want = [
            (f"r{i}.txt", c.rule, c.scope, c.expected, c.actual, c.passed, c.note)
            for i, r in enumerate(reports)
            if r.year == part["year"][0]
            for c in r.checks
        ]
        assert got == want
        assert part.select("run_id").unique().rows() == [("run1",)]
    want = [(c.rule, c.passed) for r in reports for c in r.checks]
    assert sum(p.height for p in tables["checks"]) == len(want)
    assert len(want) > 24 * 20 and any(not passed for _, passed in want)  # real checks, failed ones among them


def test_a_report_with_no_agency_has_null_agency_cells():
    """A report whose agency the text did not give: its cells' agency is NULL (not '', nor a
    NULL in the dictionary), the other reports' as they were."""
    reports = _reports()[:3]
    reports[1] = copy.deepcopy(reports[0])
    reports[1].agency = None
    tables = tidy(_packed(reports), "v1", "run1")
    [requests] = _frames(tables["requests"])  # the three reports are of one year
    agency = requests.group_by("source_path", maintain_order=True).agg(pl.col("agency").unique())
    assert agency.rows() == [("r0.txt", [reports[0].agency]), ("r1.txt", [None]), ("r2.txt", [reports[2].agency])]


def test_a_batch_of_only_empty_reports_tidies_to_empty_tables():
    empty = Report(agency="空", year=2019, template="2019", layout="text/plain", sections={"requests": True})
    tables = tidy(_packed([empty, empty]), "v1", "run1")
    assert sum(p.num_rows for p in tables["reports"]) == 2
    assert all(sum(p.num_rows for p in tables[t]) == 0 for t in ("requests", "proactive", "appeals", "checks"))


# a part's keys (model.Keys): one row of two cells
_RECEIVED_NEW = (("received.new", (("requests", "received.new", "total"), ("requests", "received.new", "other_org"))),)


def test_a_cell_with_a_line_break_is_a_parser_error_not_a_shifted_column(monkeypatch: pytest.MonkeyPatch, tmp_path):
    broken = Report(agency="某局", year=2021, template="2021", layout="text/plain", sections={"requests": True})
    broken.facts = [
        ("requests", "received.new", "total", "1\n2", 12, 4),
        ("requests", "received.new", "other_org", "3", 3, 4),
    ]
    with pytest.raises(ValueError, match=r"a raw holds a line break: '1\\n2'"):
        FileResult("a.txt", "0" * 64, 1, 0).pack(broken)
    (tmp_path / "a.txt").write_text("政府信息公开工作年度报告")
    # the same cells as facts, and as the parse hands them to the pack: a part, a reading of a row
    reading = Reading((("1\n2", 12, 4), ("3", 3, 4)), 0.0)
    bare = copy.deepcopy(broken)
    bare.facts = []
    for parsed in ((broken, []), (bare, [(_RECEIVED_NEW, {"received.new": reading})])):
        monkeypatch.setattr(
            work, "parse_batch", lambda texts, step, parsed=parsed: [copy.deepcopy(parsed) for _ in texts]
        )
        result = work.process(str(tmp_path), "a.txt")
        assert result.report is None and result.cells == ()
        reject = result.reject
        message = "a raw holds a line break: '1\\n2'"
        assert (reject.stage, reject.code, reject.message) == ("parse", "parser_error", message)


def test_a_reading_that_fits_no_keys_is_a_parser_error_not_a_lost_batch(monkeypatch: pytest.MonkeyPatch, tmp_path):
    """The facts of a part are made when the report is packed: a reading narrower than its row
    (ValueError) or whose cells are not tuples (TypeError) is a parser bug, one reject."""
    report = Report(agency="某局", year=2021, template="2021", layout="text/plain", sections={"requests": True})
    (tmp_path / "a.txt").write_text("政府信息公开工作年度报告")
    for reading, error in (
        (Reading((("1", 1, 4),), 0.0), "zip() argument 2 is shorter than argument 1"),
        (SimpleNamespace(cells=(["1", 1, 4], ["2", 2, 4])), 'can only concatenate tuple (not "list") to tuple'),
    ):
        parsed = (report, [(_RECEIVED_NEW, {"received.new": reading})])
        monkeypatch.setattr(
            work, "parse_batch", lambda texts, step, parsed=parsed: [copy.deepcopy(parsed) for _ in texts]
        )
        reject = work.process(str(tmp_path), "a.txt").reject
        assert (reject.stage, reject.code, reject.message) == ("parse", "parser_error", error)


def test_a_count_past_bigint_is_a_parser_error_that_names_the_cell(monkeypatch: pytest.MonkeyPatch, tmp_path):
    """A count that would not fit BIGINT is a parser bug, kept visible as a reject naming the
    cell, even where another cell has a problem too."""
    broken = Report(agency="某局", year=2021, template="2021", layout="text/plain", sections={"requests": True})
    broken.facts = [
        ("requests", "received.new", "other_org", "3", 3, 0),  # a line 0 too: the count is named first
        ("requests", "received.new", "total", "9" * 20, 10**20 - 1, 4),
    ]
    (tmp_path / "a.txt").write_text("政府信息公开工作年度报告")
    monkeypatch.setattr(work, "parse_batch", lambda texts, step: [(copy.deepcopy(broken), []) for _ in texts])
    reject = work.process(str(tmp_path), "a.txt").reject
    message = f"requests.received.new.total read as '{'9' * 20}' (line 4)"
    assert (reject.stage, reject.code, reject.message) == ("parse", "parser_error", message)


def test_a_line_0_is_refused_not_published_as_null():
    """Lines are numbered from 1 and the packed column says none by 0: a 0 from the parser
    would become NULL without a word, so it is a parser error."""
    report = Report(agency="某局", year=2021, template="2021", layout="text/plain", sections={"requests": True})
    report.facts = [("requests", "received.new", "total", "", None, 0)]
    with pytest.raises(ValueError, match="a line of 0: lines are numbered from 1"):
        FileResult("a.txt", "0" * 64, 1, 0).pack(report)


def test_a_cell_no_template_has_is_refused():
    """A cell travels as its number in CELL_LABELS: one outside it is a parser error, not a row
    with no label."""
    report = Report(agency="某局", year=2021, template="2021", layout="text/plain", sections={"requests": True})
    report.facts = [("requests", "received.new", "total", "3", 3, 4), ("requests", "no.such.row", "total", "1", 1, 5)]
    with pytest.raises(ValueError, match=r"a cell no template has: \('requests', 'no.such.row', 'total'\)"):
        FileResult("a.txt", "0" * 64, 1, 0).pack(report)
