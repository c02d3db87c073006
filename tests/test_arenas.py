"""``_arenas``: a parser worker's pymalloc arenas on huge pages (see _arenas.c).  Installing it
is for the life of a process, so the allocator is tried in a process of its own."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import pool

_arenas = pytest.importorskip("pipeline._arenas")
THP = Path("/sys/kernel/mm/transparent_hugepage/enabled").exists()

# objects of every pymalloc size class in many arenas (some made before the install), freed, made
# again; the memory and the maps of the regions read from /proc: each advised for huge pages ("hg")
SCRIPT = r"""
import json
from pipeline import _arenas


def rss():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) // 1024  # MB

early = [(i, str(i)) for i in range(300_000)]  # in arenas of pymalloc's own allocator
before = _arenas.stats()
_arenas.install()
_arenas.install()  # once only: a second call keeps the first allocator
made = [(i, str(i) * (i % 60), [i] * (i % 50)) for i in range(600_000)]
assert all(t[0] == i and t[1] == str(i) * (i % 60) and t[2] == [i] * (i % 50) for i, t in enumerate(made))
grown = _arenas.stats()
del early
returned = _arenas.stats()  # their arenas went back to that allocator, not to the regions'
peak = rss()
del made
emptied = _arenas.stats()
after = rss()
again = [(i, str(i)) for i in range(200_000)]
assert all(t == (i, str(i)) for i, t in enumerate(again))
reused = _arenas.stats()
advised, spans = [], []
with open("/proc/self/smaps") as maps:
    span = None
    for line in maps:
        first = line.split()[0]
        if "-" in first and ":" not in first:
            lo, hi = (int(x, 16) for x in first.split("-"))
            span = (lo, hi)
        elif first == "VmFlags:":
            spans.append((span, "hg" in line.split()))
stats = {"before": before, "returned": returned, "grown": grown, "emptied": emptied, "reused": reused}
print(json.dumps({**stats, "peak": peak, "after": after, "spans": spans}))
"""


def test_arenas_come_from_huge_page_regions_and_128_are_kept_when_emptied():
    run = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=120)
    got = json.loads(run.stdout)
    assert got["before"]["installed"] is False and got["before"]["regions"] == 0
    assert got["returned"]["emptied"] == 0
    grown, emptied, reused = got["grown"], got["emptied"], got["reused"]
    assert grown["installed"] is True
    assert grown["arena_size"] == 1 << 20  # pymalloc's arena on a 64-bit build of 3.11
    assert grown["regions"] >= 2  # 600,000 tuples, strings and lists are more than one 64 MB region
    assert grown["regions"] == -(-grown["carved"] // 64)  # each region cut into 64 arenas, all used
    assert emptied["emptied"] > 200 and emptied["counted"] == emptied["emptied"]  # freed arenas are kept...
    assert reused["emptied"] < emptied["emptied"] and reused["counted"] == reused["emptied"]  # ...given out first
    # all but 128 of them gave their pages back: memory falls by as much
    assert emptied["released"] == emptied["emptied"] - 128
    assert got["after"] <= got["peak"] - emptied["released"] * 0.9
    assert reused["regions"] == grown["regions"]
    if THP:  # (a kernel built without transparent huge pages refuses the advice: plain pages)
        advised = [(lo, hi) for (lo, hi), hg in got["spans"] if hg]
        whole = grown["regions"] * (64 << 20)
        assert sum(hi - lo for lo, hi in advised) >= whole  # each region advised, whole (two may be one map)
        assert all(lo % (2 << 20) == 0 and hi % (2 << 20) == 0 for lo, hi in advised)  # on huge pages' bounds


def test_the_pools_workers_install_it_and_start_with_glibcs_huge_pages(monkeypatch):
    """A parser worker's first step is the install: the parser's objects are made after it.  Its
    glibc advises huge pages too: it started with the tunable in its environment."""
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.arena_max=2")
    executor = pool._pool(multiprocessing.get_context("spawn"), 1)
    try:
        stats = executor.submit(_arenas.stats).result(timeout=120)
        tunables = executor.submit(os.getenv, "GLIBC_TUNABLES").result(timeout=120)
    finally:
        executor.shutdown()
    assert stats["installed"] is True and stats["regions"] >= 1
    assert tunables == "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1"  # the caller's kept


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (None, "glibc.malloc.hugetlb=1"),
        ("glibc.malloc.arena_max=2", "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1"),
        ("glibc.malloc.hugetlb=0", "glibc.malloc.hugetlb=0"),  # the caller's choice stands
    ],
)
def test_a_pool_adds_the_huge_page_tunable_to_the_environment_once(monkeypatch, before, after):
    if before is None:
        monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    else:
        monkeypatch.setenv("GLIBC_TUNABLES", before)
    for _ in range(2):
        pool._pool(multiprocessing.get_context("spawn"), 1).shutdown()  # no task: no worker started
        assert os.environ["GLIBC_TUNABLES"] == after
