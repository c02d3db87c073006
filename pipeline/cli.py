"""The `xxgk` command line.

Data goes to stdout, logs and progress to stderr.  Exit codes: 0 success, 1 error (the message
names the file), 2 usage, 75 another build or refresh holds the warehouse.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pipeline import PARSER_VERSION, __version__
from pipeline.lock import EXIT_LOCKED, LockedError

if TYPE_CHECKING:
    from pipeline.build import Summary
    from pipeline.pool import Started

DEFAULT_RAW = Path("data/raw")
DEFAULT_WAREHOUSE = Path("data/warehouse")

app = typer.Typer(
    name="xxgk",
    help=(
        "Turn 政府信息公开工作年度报告 (open government information annual reports) into a "
        "queryable warehouse.\n\n"
        "Examples: `xxgk build` (data/raw into data/warehouse, incremental) · "
        '`xxgk sql "select * from reports"` (ad-hoc SQL, read-only) · '
        "`xxgk parse report.txt --json` (one report, every cell with its line).\n\n"
        "Tables: requests, proactive, appeals, reports, checks, rejects, runs; views from sql/."
    ),
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

RawOpt = Annotated[Path, typer.Option("--raw", help="Folder of reports (any depth of subfolders).")]
WarehouseOpt = Annotated[Path, typer.Option("--warehouse", help="Warehouse folder (Parquet + warehouse.duckdb).")]


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _fail(message: str, code: int = 1) -> typer.Exit:
    _err(f"xxgk: {message}")
    return typer.Exit(code)


def _run_build(raw: Path, warehouse: Path, full: bool, jobs: int | None, command: str, quiet: bool) -> None:
    from pipeline import pool

    # where every file will be parsed, the workers start on them while this process loads
    # polars, Arrow and DuckDB
    started = pool.start(raw, warehouse, full, jobs)
    try:
        summary = _built(raw, warehouse, full, jobs, command, quiet, started)
    finally:
        if started is not None:  # the build stops them; this, if the build never began
            started.parses.close()
    _err(summary.text())


def _built(
    raw: Path, warehouse: Path, full: bool, jobs: int | None, command: str, quiet: bool, started: Started | None
) -> Summary:
    # Arrow's C++ default allocator, which the Parquet writer's encoders take theirs from, is the
    # one this variable names when it first allocates (build._arrow_pool sets pyarrow's, which
    # they do not use): mimalloc's zeroing of the huge pages it faulted in again and again was
    # 0.1 s of this process's CPU in a cold build of 20,000 reports
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")
    from pipeline.build import build
    from pipeline.pool import tune_gc
    from pipeline.publish import PublishError

    tune_gc()  # this process unpickles every parse

    progress = None
    bar = None
    if not quiet and sys.stderr.isatty():
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            transient=True,
        )
        task = bar.add_task("parsing", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        bar.start()
    try:
        return build(raw, warehouse, full=full, jobs=jobs, progress=progress, command=command, started=started)
    except LockedError as exc:
        raise _fail(str(exc), EXIT_LOCKED) from None
    except (FileNotFoundError, PublishError) as exc:
        raise _fail(str(exc)) from None
    finally:
        if bar is not None:
            bar.stop()


@app.command()
def build(
    raw: RawOpt = DEFAULT_RAW,
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    full: Annotated[bool, typer.Option("--full", help="Reparse every file, not only new and changed ones.")] = False,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", min=1, help="Parser processes (default: CPU count).")
    ] = None,
) -> None:
    """Build or update the warehouse from a folder of reports.

    Incremental: only files that are new or changed since the last build are read (size and
    mtime first, the hash when those moved); deleted files leave the warehouse; a new parser
    version reparses everything.  Files that are not reports land in `rejects` with a reason.
    The new generation is checked, then switched in atomically: readers never see half of it.
    """
    _run_build(raw, warehouse, full, jobs, "build", quiet=False)


@app.command()
def refresh(
    raw: RawOpt = DEFAULT_RAW,
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", min=1, help="Parser processes (default: CPU count).")
    ] = None,
) -> None:
    """The scheduled job: lock, incremental build, data tests, publish, log a row in `runs`.

    Quiet except for one summary line on stderr.  Exits 75 when another build or refresh holds
    the warehouse; any other failure exits 1 and leaves the previous warehouse serving.
    """
    _run_build(raw, warehouse, False, jobs, "refresh", quiet=True)


@app.command()
def parse(
    file: Annotated[Path, typer.Argument(help="A report: text, HTML, PDF or DOCX.", exists=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON: every cell with its line, every check.")] = False,
) -> None:
    """Parse one report and print it; no warehouse is touched.

    Shows agency, year, template, layout and status, then every table cell with the line of
    the decoded text it came from, and every identity check that failed.
    """
    from pipeline.errors import Reject
    from pipeline.parse import parse_text
    from pipeline.read import read_text

    if not file.is_file():
        raise _fail(f"{file}: no such file")
    try:
        text, reader = read_text(file.name, file.read_bytes())
        report = parse_text(text)
    except Reject as exc:
        raise _fail(f"{file}: {exc.code}: {exc.message}") from None
    report.layout = (report.layout or "").replace("text/", f"{reader}/", 1)
    if as_json:
        doc = {
            "source": str(file),
            "parser_version": PARSER_VERSION,
            **{
                k: getattr(report, k)
                for k in ("agency", "year", "template", "layout", "title", "province", "city", "county")
            },
            "status": report.status,
            "checks_failed": report.checks_failed,
            "cells": [
                {"table": c.table, "key1": c.key1, "key2": c.key2, "raw": c.raw, "value": c.value, "line": c.line}
                for c in report.cells
            ],
            "checks": [
                {
                    "rule": c.rule,
                    "scope": c.scope,
                    "expected": c.expected,
                    "actual": c.actual,
                    "passed": c.passed,
                    "note": c.note,
                }
                for c in report.checks
            ],
        }
        typer.echo(json.dumps(doc, ensure_ascii=False, indent=1))
        return
    typer.echo(
        f"{file}\n  agency {report.agency} · year {report.year} · template {report.template} · "
        f"layout {report.layout} · status {report.status}"
    )
    current = None
    for c in report.cells:
        if (c.table, c.key1) != current:
            current = (c.table, c.key1)
            typer.echo(f"{c.table}.{c.key1}")
        where = f"line {c.line}" if c.line else "not printed"
        typer.echo(f"    {c.key2:<24} {c.raw!s:>14}  {where}")
    failed = [c for c in report.checks if not c.passed]
    typer.echo(f"checks: {len(report.checks) - len(failed)} passed, {len(failed)} failed")
    for c in failed:
        typer.echo(f"  FAILED {c.rule} {c.scope}: expected {c.expected}, actual {c.actual} {c.note}".rstrip())


def _connect(warehouse: Path):
    import duckdb

    db = warehouse / "warehouse.duckdb"
    if not db.exists():
        raise _fail(f"no warehouse at {db}; run `xxgk build` first")
    return duckdb.connect(str(db), read_only=True)


@app.command()
def check(
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 if any identity or data test fails.")] = False,
) -> None:
    """Report the identity checks (勾稽关系) and the data tests of the warehouse.

    Identities that fail are the agencies' own arithmetic (kept as printed) or readings the
    parser could not confirm; data tests (sql/tests/) guard the warehouse itself.
    """
    from pipeline.publish import data_tests

    con = _connect(warehouse)
    status = con.execute("SELECT status, count(*) FROM reports GROUP BY 1 ORDER BY 1").fetchall()
    rules = con.execute("""SELECT rule, count(*), count(*) FILTER (WHERE NOT passed),
                                  count(DISTINCT report_id) FILTER (WHERE NOT passed)
                           FROM checks GROUP BY 1 ORDER BY 1""").fetchall()
    rejects = con.execute("SELECT error_code, count(*) FROM rejects GROUP BY 1 ORDER BY 1").fetchall()
    tests = data_tests(con)
    typer.echo("reports: " + (", ".join(f"{n} {s}" for s, n in status) or "none"))
    typer.echo("rejects: " + (", ".join(f"{n} {c}" for c, n in rejects) or "none"))
    typer.echo(f"{'identity':<16}{'evaluated':>10}{'failed':>8}{'reports':>9}")
    for rule, n, failed, reports in rules:
        typer.echo(f"{rule:<16}{n:>10}{failed:>8}{reports:>9}")
    typer.echo(
        "data tests: " + ", ".join(f"{name} {'ok' if not n else f'FAILED ({n} rows)'}" for name, n in tests.items())
    )
    if strict and (any(failed for _, _, failed, _ in rules) or any(tests.values())):
        raise typer.Exit(1)


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help='SQL to run, e.g. "select * from reports limit 5".')],
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
) -> None:
    """Run ad-hoc SQL on the warehouse, read-only.

    Views: requests, proactive, appeals, reports, checks, rejects, runs, and the cross-agency
    views in sql/ (request_summary, carryover_mismatches, failed_checks).
    """
    import duckdb
    import polars as pl

    if fmt not in ("table", "csv", "json"):
        raise _fail(f"--format must be table, csv or json, not {fmt!r}", 2)
    con = _connect(warehouse)
    try:
        relation = con.sql(query)
        frame = relation.pl() if relation is not None else pl.DataFrame()
    except duckdb.Error as exc:
        raise _fail(str(exc).strip()) from None
    if fmt == "csv":
        sys.stdout.write(frame.write_csv())
    elif fmt == "json":
        sys.stdout.write(json.dumps(frame.to_dicts(), ensure_ascii=False, default=str) + "\n")
    else:
        with pl.Config(tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=80, tbl_hide_dataframe_shape=True):
            typer.echo(frame)


@app.command()
def version() -> None:
    """Print the xxgk and parser versions."""
    typer.echo(f"xxgk {__version__} (parser {PARSER_VERSION})")


def main() -> None:
    """The `xxgk` console script (and `python -m pipeline`): the app, then the process ends at
    once.  A command has written, flushed and closed all it writes when it returns (a
    generation, the views, the run log, the lock); what would follow is the interpreter's
    teardown of polars, Arrow and DuckDB, ~0.1 s of a build (a sixth of a no-op refresh) with
    the other core idle.  Tests call `app` in their own process, which goes on."""
    try:
        app()
        code = 0
    except SystemExit as exc:
        code = _exit_code(exc.code)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe (`xxgk sql … | head`) loses nothing more
            stream.flush()
    os._exit(code)


def _exit_code(code: object) -> int:
    """The status SystemExit(code) ends the interpreter with; a message goes to stderr first."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1
