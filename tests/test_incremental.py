"""Incremental builds: only what changed is read; the run log says what happened."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from conftest import SHARED

import pipeline.build as build_mod
from pipeline import inputs, pool, work
from pipeline.build import build
from pipeline.lock import LockedError, WarehouseLock
from pipeline.publish import current_generation

SEEDS = ["seeds/000_1658f79ee837fe88.txt", "seeds/004_baf32f534e185151.txt", "corpus/pingtan_2021.txt"]


@pytest.fixture()
def setup(tmp_path: Path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for rel in SEEDS:
        shutil.copy(SHARED / rel, raw)
    return raw, tmp_path / "wh"


def _q(warehouse: Path, sql: str):
    con = duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


def test_noop_build_reads_nothing_and_keeps_the_generation(setup):
    raw, wh = setup
    first = build(raw, wh, jobs=1)
    second = build(raw, wh, jobs=1)
    assert first.parsed == 3 and second.parsed == 0 and second.unchanged == 3
    assert not second.published
    assert current_generation(wh).name == first.generation
    assert _q(wh, "select outcome from runs order by started") == [("published",), ("unchanged",)]


def test_a_build_keeps_arrow_buffers_in_jemalloc(setup, monkeypatch):
    try:
        jemalloc = pa.jemalloc_memory_pool()
    except NotImplementedError:
        pytest.skip("this pyarrow was built without jemalloc")
    monkeypatch.setattr(pa, "set_memory_pool", lambda pool: chosen.append(pool.backend_name))
    chosen: list[str] = []
    raw, wh = setup
    build(raw, wh, jobs=1)
    assert chosen == [jemalloc.backend_name]


def test_a_build_takes_over_the_parses_started_before_it(setup, monkeypatch):
    raw, wh = setup
    started = pool.start(raw, wh, full=False, jobs=1)  # no warehouse yet: every file is parsed
    assert started is not None and started.parses.rels == list(inputs.discover(raw)) == list(started.files)
    made: list[list[str]] = []
    monkeypatch.setattr(build_mod, "Parses", lambda raw, rels, jobs: made.append(rels))
    first = build(raw, wh, jobs=1, started=started)
    assert first.parsed == 3 and made == []
    assert first.started == started.at  # the run began with the listing: its seconds count the parse begun then
    assert pool.start(raw, wh, full=False, jobs=1) is None  # an incremental build: the manifest decides
    assert pool.start(raw, wh, full=True, jobs=1) is not None


def test_a_build_whose_plan_is_not_the_started_files_parses_its_own(setup):
    raw, wh = setup
    build(raw, wh, jobs=1)
    (raw / "pingtan_2021.txt").write_bytes((raw / "pingtan_2021.txt").read_bytes() + b"\n")
    started = pool.start(raw, wh, full=True, jobs=1)  # every file
    assert started is not None
    second = build(raw, wh, jobs=1, started=started)  # not full: the one file changed
    assert (second.parsed, second.unchanged) == (1, 2)


def test_a_folder_that_cannot_be_listed_early_is_left_to_the_build(setup, monkeypatch):
    raw, wh = setup

    def unreadable(_raw):
        raise PermissionError(13, "Permission denied", str(_raw))

    monkeypatch.setattr(inputs, "discover", unreadable)
    assert pool.start(raw, wh, full=True, jobs=1) is None
    with pytest.raises(PermissionError):
        build(raw, wh, jobs=1)
    logged = duckdb.sql(f"select outcome from read_parquet('{wh}/runs/*.parquet')")
    assert logged.fetchall() == [("failed",)]  # no generation, no views: the run log itself


def test_a_build_turned_away_stops_the_parses_started_for_it(setup):
    raw, wh = setup
    started = pool.start(raw, wh, full=False, jobs=1)
    assert started is not None
    stopped: list[bool] = []
    started.parses.close = lambda: stopped.append(True)  # type: ignore[method-assign]
    with WarehouseLock(wh), pytest.raises(LockedError):
        build(raw, wh, jobs=1, started=started)
    assert stopped


def test_change_delete_add(setup):
    raw, wh = setup
    build(raw, wh, jobs=1)
    before = dict(_q(wh, "select source_path, run_id from reports"))
    # change one file: its numbers change, the others keep their run id
    seed = raw / "000_1658f79ee837fe88.txt"
    seed.write_text(seed.read_text(encoding="utf-8").replace("39.1", "41.5"), encoding="utf-8")
    changed = build(raw, wh, jobs=1)
    assert (changed.parsed, changed.changed, changed.new, changed.unchanged) == (1, 1, 0, 2)
    after = dict(_q(wh, "select source_path, run_id from reports"))
    assert after["000_1658f79ee837fe88.txt"] == changed.run_id
    assert after["pingtan_2021.txt"] == before["pingtan_2021.txt"]
    assert _q(wh, "select value from proactive where item = 'fees'").count((41.5,)) == 1
    # delete one: its facts are gone
    (raw / "pingtan_2021.txt").unlink()
    deleted = build(raw, wh, jobs=1)
    assert deleted.deleted == 1 and deleted.parsed == 0
    assert _q(wh, "select count(*) from requests where source_path = 'pingtan_2021.txt'") == [(0,)]
    # add one: it appears
    shutil.copy(SHARED / "corpus/hongze_2023.pdf.txt", raw / "hongze.txt")
    added = build(raw, wh, jobs=1)
    assert added.new == 1 and added.parsed == 1
    assert _q(wh, "select agency from reports where source_path = 'hongze.txt'") == [("洪泽区人民政府",)]
    runs = _q(wh, "select files_new, files_changed, files_deleted, files_unchanged from runs order by started")
    assert runs == [(3, 0, 0, 0), (0, 1, 0, 2), (0, 0, 1, 2), (1, 0, 0, 2)]


def test_touched_file_is_hashed_not_reparsed(setup):
    raw, wh = setup
    build(raw, wh, jobs=1)
    f = raw / "004_baf32f534e185151.txt"
    os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 10**9))
    again = build(raw, wh, jobs=1)
    assert again.parsed == 0 and again.unchanged == 3
    third = build(raw, wh, jobs=1)  # the new mtime was recorded
    assert not third.published and third.unchanged == 3


def test_full_reparses_everything(setup):
    raw, wh = setup
    build(raw, wh, jobs=1)
    full = build(raw, wh, jobs=1, full=True)
    assert full.parsed == 3 and full.changed == 3
    assert _q(wh, "select count(*) from reports") == [(3,)]


def test_second_run_is_turned_away_with_75(setup):
    raw, wh = setup
    wh.mkdir()
    with WarehouseLock(wh):
        with pytest.raises(LockedError, match=f"pid {os.getpid()}"):
            build(raw, wh, jobs=1)
        xxgk = Path(sys.executable).parent / "xxgk"
        out = subprocess.run(
            [str(xxgk), "refresh", "--raw", str(raw), "--warehouse", str(wh)], capture_output=True, text=True
        )
        assert out.returncode == 75
        assert f"pid {os.getpid()}" in out.stderr
    assert build(raw, wh, jobs=1).parsed == 3  # the lock is free again


def test_pool_and_inline_agree(setup, tmp_path):
    raw, wh = setup
    for i in range(70):  # above the inline threshold: goes through the spawn pool
        text = (SHARED / SEEDS[i % 3]).read_text(encoding="utf-8")
        (raw / f"copy_{i:02}.txt").write_text(text + f"\n附件{i}\n", encoding="utf-8")
    (raw / "notes.txt").write_text("会议纪要，没有统计表\n", encoding="utf-8")  # rejects travel back from workers too
    (raw / "scan.pdf").write_bytes(b"%PDF-1.4 truncated")
    pooled = build(raw, wh, jobs=2)
    inline = tmp_path / "inline"
    build(raw, inline, jobs=1)
    assert pooled.rejected == 2
    for q in (
        "select source_path, category, applicant_type, count, source_line from requests order by all",
        "select source_path, stage, error_code, message from rejects order by all",
    ):
        assert _q(wh, q) == _q(inline, q)


_KILLER = """
import os, signal, time
import pipeline.work

_read_text = pipeline.work.read_text


def read_text(name, data):
    if "poison" in name:  # the worker dies on this file as if killed for memory
        os.kill(os.getpid(), signal.SIGKILL)
    if "stuck" in name:  # a reader lost in a malformed file
        time.sleep(30)
    return _read_text(name, data)


pipeline.work.read_text = read_text
pipeline.work.FILE_SECONDS = 1.0
"""


def test_a_file_that_kills_or_stalls_its_worker_is_rejected_and_the_build_goes_on(setup, tmp_path, monkeypatch):
    raw, wh = setup
    for i in range(140):  # several batches, so the pool is replaced with batches still in flight
        text = (SHARED / SEEDS[i % 3]).read_text(encoding="utf-8")
        (raw / f"copy_{i:03}.txt").write_text(text + f"\n附件{i}\n", encoding="utf-8")
    shutil.copy(raw / "copy_000.txt", raw / "copy_010_poison.txt")  # the first batch: others in flight
    shutil.copy(raw / "copy_001.txt", raw / "copy_100_poison.txt")  # and a later one
    shutil.copy(raw / "copy_002.txt", raw / "copy_050_stuck.txt")
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(_KILLER, encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(hook))  # spawned workers start with it; this process does not
    summary = build(raw, wh, jobs=2)
    assert (summary.parsed, summary.rejected) == (143, 3)
    assert _q(wh, "select source_path, stage, error_code from rejects order by 1") == [
        ("copy_010_poison.txt", "parse", "worker_crashed"),
        ("copy_050_stuck.txt", "parse", "timeout"),
        ("copy_100_poison.txt", "parse", "worker_crashed"),
    ]
    assert _q(wh, "select count(distinct source_path) from requests") == [(143,)]


def test_identical_copies_are_one_report(setup):
    raw, wh = setup
    shutil.copy(raw / "pingtan_2021.txt", raw / "a_copy.txt")
    build(raw, wh, jobs=1)
    assert _q(wh, "select source_path, error_code, message from rejects") == [
        ("pingtan_2021.txt", "duplicate", "same bytes as a_copy.txt")
    ]
    (raw / "a_copy.txt").unlink()  # the original goes: the copy becomes the report
    build(raw, wh, jobs=1)
    assert _q(wh, "select source_path from reports where agency = '平潭综合实验区'") == [("pingtan_2021.txt",)]
    assert _q(wh, "select count(*) from rejects") == [(0,)]


def test_file_gone_since_the_scan_is_a_reject_not_a_crash(setup, monkeypatch):
    raw, wh = setup
    scanned = inputs.discover(raw)
    ghost = {"vanished.txt": scanned["pingtan_2021.txt"], **scanned}  # listed, then deleted by a crawler
    monkeypatch.setattr(inputs, "discover", lambda _raw: ghost)
    first = build(raw, wh, jobs=1)
    assert (first.parsed, first.rejected) == (3, 1)
    assert _q(wh, "select stage, error_code, source_size from rejects where source_path = 'vanished.txt'") == [
        ("read", "unreadable", None)
    ]
    monkeypatch.undo()
    second = build(raw, wh, jobs=1)
    assert (second.deleted, second.parsed, second.rejected) == (1, 0, 0)
    assert _q(wh, "select count(*) from rejects") == [(0,)]


def test_a_file_too_large_to_be_a_report_is_hashed_not_read(setup, monkeypatch):
    raw, wh = setup
    monkeypatch.setattr(work, "MAX_INPUT_BYTES", 9_700)  # the three inputs are 6.5, 9.7 and 10 kB
    summary = build(raw, wh, jobs=1)
    big = _q(wh, "select source_path, source_sha256, error_code from rejects order by 1")
    sizes = {p.name: p.stat().st_size for p in raw.iterdir()}
    assert [path for path, _, _ in big] == sorted(name for name, size in sizes.items() if size > 9_700)
    assert all(code == "too_large" for _, _, code in big)
    assert big[0][1] == hashlib.sha256((raw / big[0][0]).read_bytes()).hexdigest()
    assert summary.rejected == len(big) >= 1


def test_a_file_that_reads_too_long_is_rejected(setup, monkeypatch):
    raw, wh = setup
    shutil.copy(raw / "pingtan_2021.txt", raw / "stuck.txt")
    read_text = work.read_text

    def slow(name, data):  # a reader lost in a malformed file
        if name == "stuck.txt":
            time.sleep(30)
        return read_text(name, data)

    monkeypatch.setattr(work, "read_text", slow)
    monkeypatch.setattr(work, "FILE_SECONDS", 0.5)
    started = time.monotonic()
    summary = build(raw, wh, jobs=1)
    assert time.monotonic() - started < 10
    assert (summary.parsed, summary.rejected) == (3, 1)
    assert _q(wh, "select source_path, error_code from rejects") == [("stuck.txt", "timeout")]
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # no timer left behind


def test_each_file_of_a_batch_has_the_whole_time_and_no_more(setup, monkeypatch):
    """One timer serves a batch (work._Deadline): files that each take most of the time all
    pass, however long the batch takes, and a stuck file after them is stopped once its own
    time is up, not earlier and not much later."""
    raw, _ = setup
    for i in range(3):
        shutil.copy(raw / "pingtan_2021.txt", raw / f"slow_{i}.txt")
    shutil.copy(raw / "pingtan_2021.txt", raw / "stuck.txt")
    read_text, ended = work.read_text, {}

    def slow(name, data):
        if name.startswith("slow_"):
            time.sleep(0.35)  # most of a file's time: the timer rings inside these files
        elif name == "stuck.txt":
            try:
                time.sleep(30)
            finally:
                ended[name] = time.monotonic()
        return read_text(name, data)

    monkeypatch.setattr(work, "read_text", slow)
    monkeypatch.setattr(work, "FILE_SECONDS", 0.5)
    names = [f"slow_{i}.txt" for i in range(3)] + ["stuck.txt", "pingtan_2021.txt"]
    started = time.monotonic()
    results = work.process_batch(str(raw), names)
    rejects = {r.path: r.reject.code for r in results if r.reject is not None}
    assert rejects == {"stuck.txt": "timeout"}
    # the stuck file began about 3 * 0.35 s in; a timer set for a whole FILE_SECONDS at each
    # ring would stop it only ~0.95 s later
    stuck_time = ended["stuck.txt"] - started - 3 * 0.35
    assert 0.45 <= stuck_time < 0.75
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # no timer left behind


def test_names_that_are_not_utf8_are_stored_readably_and_stay_the_same_file(setup):
    raw, wh = setup
    report = (raw / "pingtan_2021.txt").read_bytes()
    folder = os.fsencode(raw)
    with open(os.path.join(folder, "平潭年报.txt".encode("gbk")), "wb") as f:  # unzipped from Windows
        f.write(report + "\n附件1\n".encode())
    with open(os.path.join(folder, b"\xff\xfe.txt"), "wb") as f:  # not text in any encoding
        f.write(report + "\n附件2\n".encode())
    first = build(raw, wh, jobs=1)
    assert (first.parsed, first.rejected) == (5, 0)
    stored = {p for (p,) in _q(wh, "select source_path from reports")}
    assert {"平潭年报.txt", "\\xff\\xfe.txt"} <= stored
    again = build(raw, wh, jobs=1)
    assert (again.unchanged, again.new, again.changed, again.deleted) == (5, 0, 0, 0)
    os.remove(os.path.join(folder, b"\xff\xfe.txt"))
    assert build(raw, wh, jobs=1).deleted == 1


def test_a_link_to_nothing_is_rejected_and_read_once_its_target_exists(setup, tmp_path):
    raw, wh = setup
    target = tmp_path / "mirror" / "report.txt"  # the mirror has not fetched it yet
    (raw / "linked.txt").symlink_to(target)
    (raw / "loop.txt").symlink_to("loop.txt")
    first = build(raw, wh, jobs=1)
    assert (first.parsed, first.rejected) == (3, 2)
    assert _q(wh, "select source_path, error_code from rejects order by 1") == [
        ("linked.txt", "unreadable"),
        ("loop.txt", "unreadable"),
    ]
    target.parent.mkdir()
    target.write_text((raw / "pingtan_2021.txt").read_text(encoding="utf-8") + "\n附件\n", encoding="utf-8")
    second = build(raw, wh, jobs=1)
    assert (second.changed, second.parsed, second.rejected) == (2, 1, 1)
    assert _q(wh, "select source_path from rejects") == [("loop.txt",)]
