"""A refresh never leaves a half-written warehouse, never breaks a reader, never runs twice.

Every file of the corpus prints the same fee (a marker): a complete generation shows exactly one
marker in `proactive`, a mix of generations would show two.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest
from conftest import REPO, SHARED

XXGK = str(Path(sys.executable).parent / "xxgk")
N_FILES = 100
SEED_TSV = (SHARED / "seeds/000_1658f79ee837fe88.txt").read_text(encoding="utf-8")
SEED_PDF = (SHARED / "seeds/004_baf32f534e185151.txt").read_text(encoding="utf-8")


def write_corpus(raw: Path, marker: int) -> None:
    raw.mkdir(exist_ok=True)
    for i in range(N_FILES):
        if i % 2:
            text = SEED_TSV.replace("39.1", str(marker))
        else:
            text = SEED_PDF.replace("行政事业性收费 0", f"行政事业性收费 {marker}")
        (raw / f"r{i:03}.txt").write_text(text + f"\n编号 {i}\n", encoding="utf-8")


def state(warehouse: Path) -> tuple[set[float], int]:
    con = duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True)
    try:
        fees = {v for (v,) in con.sql("select distinct value from proactive where item = 'fees'").fetchall()}
        (reports,) = con.execute("select count(*) from reports").fetchone()
    finally:
        con.close()
    return fees, reports


def refresh(raw: Path, wh: Path, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [XXGK, "refresh", "--raw", str(raw), "--warehouse", str(wh)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        **kw,
    )


@pytest.fixture()
def built(tmp_path: Path):
    raw, wh = tmp_path / "raw", tmp_path / "wh"
    write_corpus(raw, 1)
    subprocess.run([XXGK, "build", "--raw", str(raw), "--warehouse", str(wh)], check=True, capture_output=True)
    return raw, wh


def test_kill_9_at_random_moments_keeps_the_last_good_warehouse(built):
    raw, wh = built
    rng = random.Random(7)
    write_corpus(raw, 2)
    started = time.time()
    p = refresh(raw, wh)
    assert p.wait() == 0, p.stderr.read()
    duration = time.time() - started
    published = 2
    for attempt in range(20):
        marker = 3 + attempt
        write_corpus(raw, marker)
        p = refresh(raw, wh)
        time.sleep(rng.uniform(0, duration * 1.1))
        p.kill()
        p.wait()
        fees, reports = state(wh)
        assert reports == N_FILES and len(fees) == 1, (attempt, fees)
        (fee,) = fees
        assert fee in (published, marker), (attempt, fee)
        published = int(fee)
    p = refresh(raw, wh)
    assert p.wait() == 0, p.stderr.read()
    assert state(wh) == ({22.0}, N_FILES)
    assert len(list((wh / "generations").iterdir())) == 1  # what killed runs left is gone


READER = textwrap.dedent("""
    import sys, time, duckdb
    from pathlib import Path
    db, stop, mode = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    q = "select count(distinct value), min(value), (select count(*) from reports) from proactive where item = 'fees'"
    held = duckdb.connect(db, read_only=True) if mode == "held" else None
    seen = []
    while not stop.exists():
        con = held or duckdb.connect(db, read_only=True)
        seen.append(con.execute(q).fetchone())
        if held is None:
            con.close()
        time.sleep(0.005)
    print(repr(seen))
""")


def test_readers_see_only_complete_generations_during_refreshes(built, tmp_path):
    """One reader reconnects for every query (xxgk sql, the duckdb shell); one holds its
    connection for the whole time (a notebook).  Neither sees a mix or an error."""
    raw, wh = built
    stop = tmp_path / "stop"
    readers = {
        mode: subprocess.Popen(
            [sys.executable, "-c", READER, str(wh / "warehouse.duckdb"), str(stop), mode],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for mode in ("fresh", "held")
    }
    time.sleep(1.0)
    for marker in (2, 3, 4):
        write_corpus(raw, marker)
        p = refresh(raw, wh)
        assert p.wait() == 0, p.stderr.read()
    time.sleep(0.5)
    stop.touch()
    fees = {}
    for mode, reader in readers.items():
        out, err = reader.communicate(timeout=60)
        assert reader.returncode == 0, err
        seen = eval(out)  # noqa: S307 - our own repr of tuples
        assert len(seen) > 20
        for distinct, _, reports in seen:
            assert distinct == 1 and reports == N_FILES
        fees[mode] = [fee for _, fee, _ in seen]
    assert set(fees["held"]) == {1.0}
    assert fees["fresh"][0] == 1.0 and fees["fresh"][-1] == 4.0
    assert fees["fresh"] == sorted(fees["fresh"])  # generations only move forward


def test_two_refreshes_started_together(built):
    raw, wh = built
    write_corpus(raw, 5)
    first, second = refresh(raw, wh), refresh(raw, wh)
    codes = sorted([first.wait(), second.wait()])
    assert codes == [0, 75], (first.stderr.read(), second.stderr.read())
    assert state(wh) == ({5.0}, N_FILES)


def test_failed_refresh_exits_non_zero_and_keeps_serving(built, tmp_path):
    raw, wh = built
    write_corpus(raw, 6)
    bad_sql = tmp_path / "sql"
    shutil.copytree(REPO / "sql", bad_sql)
    (bad_sql / "tests" / "always_fails.sql").write_text("select 1 as offending_row")
    code = f"import pipeline.publish as p, pathlib; p.SQL_DIR = pathlib.Path({str(bad_sql)!r}); from pipeline.cli import main; main()"
    out = subprocess.run(
        [sys.executable, "-c", code, "refresh", "--raw", str(raw), "--warehouse", str(wh)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert out.returncode == 1 and "always_fails" in out.stderr
    assert state(wh) == ({1.0}, N_FILES)
    con = duckdb.connect(str(wh / "warehouse.duckdb"), read_only=True)
    assert con.execute("select outcome from runs order by started desc limit 1").fetchone() == ("failed",)
    con.close()
    assert refresh(raw, wh).wait() == 0
    assert state(wh) == ({6.0}, N_FILES)


def test_dead_holders_lock_is_taken_over(built):
    raw, wh = built
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from pipeline.lock import WarehouseLock\n"
            "with WarehouseLock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(60)",
            str(wh),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert holder.stdout.readline().strip() == "held"
    assert refresh(raw, wh).wait() == 75
    holder.kill()
    holder.wait()
    assert refresh(raw, wh).wait() == 0


def test_systemd_units_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here")
    for name in ("xxgk-refresh.service", "xxgk-refresh.timer"):
        text = (REPO / "deploy" / name).read_text()
        text = text.replace("@REPO@", str(REPO)).replace("@RAW@", str(tmp_path)).replace("@WAREHOUSE@", str(tmp_path))
        (tmp_path / name).write_text(text)
    out = subprocess.run(
        [analyze, "verify", str(tmp_path / "xxgk-refresh.service"), str(tmp_path / "xxgk-refresh.timer")],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr


def _children(pid: int) -> set[int]:
    """The processes whose parent is `pid`, from /proc."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])  # the fields after the name
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue  # ended meanwhile
        if ppid == pid and b"spawn_main" in cmdline:  # a pool's worker, not the resource tracker
            found.add(int(stat.parent.name))
    return found


def _running(pids: set[int]) -> set[int]:
    """Those of `pids` that still run (not ended, not a zombie waiting to be reaped)."""
    out = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z":
            out.add(pid)
    return out


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
def test_a_refresh_killed_with_9_leaves_no_worker_waiting(built):
    """A pool's worker waits for work on a pipe it holds both ends of: killed, the refresh would
    leave its workers waiting for ever, two more each night a timer's timeout kills it.  Each
    worker watches its parent and ends within a second of it."""
    raw, wh = built
    write_corpus(raw, 5)
    p = refresh(raw, wh)
    workers: set[int] = set()
    deadline = time.time() + 60
    while len(workers) < 2 and p.poll() is None and time.time() < deadline:
        workers |= _children(p.pid)
        time.sleep(0.02)
    p.kill()
    p.wait()
    assert workers, "the refresh ended before its workers were seen"
    deadline = time.time() + 10
    while _running(workers) and time.time() < deadline:
        time.sleep(0.1)
    assert not _running(workers)
