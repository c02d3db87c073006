"""End to end through the command line: every command teaches, a build lands in DuckDB."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import REPO, SHARED
from typer.testing import CliRunner

from pipeline.cli import app

runner = CliRunner()
COMMANDS = ["build", "refresh", "parse", "check", "sql", "version"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_answers_help(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
    short = runner.invoke(app, [command, "-h"])
    assert short.exit_code == 0


def test_top_level_help_lists_every_command():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.output


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    """Seeds and text corpus reports plus inputs that are not reports."""
    raw = tmp_path / "raw"
    (raw / "nested" / "deeper").mkdir(parents=True)
    for rel in ("seeds/000_1658f79ee837fe88.txt", "seeds/004_baf32f534e185151.txt"):
        shutil.copy(SHARED / rel, raw)
    shutil.copy(SHARED / "corpus/hongze_2023.pdf.txt", raw / "nested" / "deeper")
    shutil.copy(SHARED / "corpus/pingtan_2019.txt", raw / "nested")
    (raw / "README.txt").write_text("这个文件夹存放年度报告。\nThis folder holds the reports.\n", encoding="utf-8")
    (raw / "empty.txt").write_bytes(b"")
    (raw / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (raw / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    return raw


def _build(raw: Path, warehouse: Path, *extra: str):
    result = runner.invoke(app, ["build", "--raw", str(raw), "--warehouse", str(warehouse), *extra])
    assert result.exit_code == 0, result.output
    return result


def test_build_then_query_from_any_directory(corpus, tmp_path, monkeypatch):
    warehouse = tmp_path / "wh"
    result = _build(corpus, warehouse)
    assert "8 files seen" in result.output and "4 parsed into reports" in result.output
    assert "4 rejected" in result.output
    monkeypatch.chdir("/")
    con = duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True)
    totals = dict(
        con.sql("select category, sum(count) from requests where applicant_type = 'total' group by 1").fetchall()
    )
    assert totals["received.new"] == 21 + 23  # hongze 21, pingtan 2019 23, seeds 0
    paths = {p for (p,) in con.sql("select distinct source_path from requests").fetchall()}
    assert "nested/deeper/hongze_2023.pdf.txt" in paths
    rejects = dict(con.sql("select source_path, error_code from rejects").fetchall())
    assert rejects == {
        "README.txt": "no_report",
        "empty.txt": "empty_file",
        "logo.png": "not_a_report",
        "old.doc": "unsupported_format",
    }
    status = dict(con.sql("select source_path, status from reports").fetchall())
    assert status["nested/deeper/hongze_2023.pdf.txt"] == "inconsistent"
    assert status["000_1658f79ee837fe88.txt"] == "ok"
    con.close()


def test_sql_formats_and_errors(corpus, tmp_path):
    warehouse = tmp_path / "wh"
    _build(corpus, warehouse)
    q = "select agency, year from reports order by agency"
    as_json = runner.invoke(app, ["sql", q, "--warehouse", str(warehouse), "--format", "json"])
    assert as_json.exit_code == 0
    assert {"agency": "洪泽区人民政府", "year": 2023} in json.loads(as_json.stdout)
    as_csv = runner.invoke(app, ["sql", q, "--warehouse", str(warehouse), "-f", "csv"])
    assert as_csv.stdout.splitlines()[0] == "agency,year"
    bad = runner.invoke(app, ["sql", "select nope from reports", "--warehouse", str(warehouse)])
    assert bad.exit_code == 1 and "nope" in bad.output
    readonly = runner.invoke(app, ["sql", "create table t(x int)", "--warehouse", str(warehouse)])
    assert readonly.exit_code == 1
    missing = runner.invoke(app, ["sql", "select 1", "--warehouse", str(tmp_path / "none")])
    assert missing.exit_code == 1 and "xxgk build" in missing.output


def test_check_strict_fails_on_publisher_errors(corpus, tmp_path):
    warehouse = tmp_path / "wh"
    _build(corpus, warehouse)
    plain = runner.invoke(app, ["check", "--warehouse", str(warehouse)])
    assert plain.exit_code == 0
    assert "appeals_total" in plain.output and "unique_cells ok" in plain.output
    strict = runner.invoke(app, ["check", "--warehouse", str(warehouse), "--strict"])
    assert strict.exit_code == 1


def test_parse_json_shows_cells_with_lines_and_failed_checks():
    result = runner.invoke(app, ["parse", str(SHARED / "corpus/hongze_2023.pdf.txt"), "--json"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["agency"] == "洪泽区人民政府" and doc["year"] == 2023 and doc["status"] == "inconsistent"
    cell = next(c for c in doc["cells"] if (c["table"], c["key1"], c["key2"]) == ("requests", "received.new", "total"))
    assert cell["value"] == 21 and cell["line"] == 65
    failed = [c for c in doc["checks"] if not c["passed"]]
    assert {c["scope"] for c in failed} == {"review", "litigation_after_review"}


def test_parse_errors_name_the_file(tmp_path):
    missing = runner.invoke(app, ["parse", str(tmp_path / "nope.txt")])
    assert missing.exit_code == 1 and "nope.txt" in missing.output
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = runner.invoke(app, ["parse", str(empty)])
    assert result.exit_code == 1 and "empty.txt: empty_file" in result.output


def test_console_script_and_module_entry_point(tmp_path):
    xxgk = Path(sys.executable).parent / "xxgk"
    out = subprocess.run([str(xxgk), "version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("xxgk ")
    mod = subprocess.run(
        [sys.executable, "-m", "pipeline", "sql", "select 1", "--warehouse", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert mod.returncode == 1 and "xxgk build" in mod.stderr
    usage = subprocess.run([str(xxgk), "build", "--jobs", "0"], capture_output=True, text=True)
    assert usage.returncode == 2


@pytest.mark.parametrize(
    ("app", "code", "stdout", "stderr"),
    [
        ("print('x' * 100_000)", 0, "x" * 100_000 + "\n", ""),  # all of it, though the pipe is buffered
        ("sys.exit(3)", 3, "", ""),
        ("sys.exit('bad thing')", 1, "", "bad thing\n"),  # as the interpreter ends with a message
        ("print('partial'); sys.exit(None)", 0, "partial\n", ""),
    ],
)
def test_the_console_script_ends_its_process_as_the_interpreter_would(app, code, stdout, stderr):
    """``main`` ends the process at once (os._exit) after the app: what the app printed is
    flushed first, and the status is the one SystemExit gives."""
    script = (
        f"import sys\nimport pipeline.cli as cli\ncli.app = lambda: exec({app!r})\ncli.main()\nprint('not reached')"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert (run.returncode, run.stdout, run.stderr) == (code, stdout, stderr)


def test_a_cold_build_of_many_files_parses_in_workers_started_first(tmp_path):
    """Enough files for the pool: the console script lists them and starts its workers before it
    loads the rest (pool.start), the build takes their parses over, and every report lands."""
    from pipeline.generate import generate_many
    from pipeline.pool import INLINE_BELOW

    raw, wh = tmp_path / "raw", tmp_path / "wh"
    raw.mkdir()
    n = INLINE_BELOW + 6
    for i, g in enumerate(generate_many(3, n)):
        (raw / f"r{i:03}.txt").write_bytes(g.data)
    xxgk = Path(sys.executable).parent / "xxgk"
    for args in ([], ["--full"]):  # the first build of a warehouse, then a full one
        run = subprocess.run(
            [str(xxgk), "build", "--raw", str(raw), "--warehouse", str(wh), "--jobs", "2", *args],
            capture_output=True,
            text=True,
        )
        assert run.returncode == 0, run.stderr
        assert f"{n} parsed into reports" in run.stderr
    con = duckdb.connect(str(wh / "warehouse.duckdb"), read_only=True)
    try:
        assert con.sql("select count(*), count(distinct source_path) from reports").fetchall() == [(n, n)]
        assert con.sql("select count(*) from runs where outcome = 'published'").fetchall() == [(2,)]
    finally:
        con.close()


def test_a_build_takes_all_of_arrows_memory_from_jemalloc(corpus, tmp_path):
    """The console script's build sets Arrow's C++ default allocator before Arrow first
    allocates: the Parquet writer's encoders, which take theirs from it and not from the pool
    pyarrow is given, never touch mimalloc."""
    script = (
        "from pipeline.cli import app\n"
        f"app(['build', '--raw', {str(corpus)!r}, '--warehouse', {str(tmp_path / 'wh')!r}], standalone_mode=False)\n"
        "import pyarrow as pa\nprint(pa.mimalloc_memory_pool().max_memory())"
    )
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["0"]
