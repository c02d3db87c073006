"""`make profile`: where a cold build's CPU goes, stage by stage, on the bench corpus.

    python scripts/profile.py --n 5000

Two parts, each in this one process:
- the parser worker's stages on N files (``work.process_batch`` on batches, as a worker runs
  it): read the file, decode it, each stage of the batch's parse (``parse._STAGES``), pack the
  result, pickle it;
- the main process of a cold build of the same N files with the usual worker pool: receiving
  parsed batches, tidying, writing Parquet, closing the generation, views and data tests.
Stages are timed by wrapping the functions that do them (process CPU time, all threads); what no
wrapper covers shows as "other".  Use it to find the next cost; measure a change with `make bench`
or instruction counts, and hold the parser's output with scripts/parse_digest.py.
"""

from __future__ import annotations

import argparse
import pickle
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

from bench import CACHE, generate_corpus, subset

spent: dict[str, float] = defaultdict(float)


def timed(owner: object, name: str, label: str) -> None:
    """Replace owner.name by a wrapper that adds its CPU time to spent[label]."""
    inner: Callable = getattr(owner, name)

    def wrapper(*args, **kwargs):
        started = time.process_time()
        try:
            return inner(*args, **kwargs)
        finally:
            spent[label] += time.process_time() - started

    setattr(owner, name, wrapper)


def worker_stages(raw: Path, rels: list[str]) -> float:
    from pipeline import parse, pool, work
    from pipeline.model import FileResult

    timed(work, "_read", "read the file")
    timed(work, "read_text", "decode")
    stages = []
    for stage in parse._STAGES:  # each stage of the batch's parse, by its function's name
        holder = SimpleNamespace(run=stage)
        timed(holder, "run", f"parse: {stage.__name__.strip('_')}")
        stages.append(holder.run)
    parse._STAGES = tuple(stages)
    timed(FileResult, "pack", "pack")
    work.tune_gc()
    started = time.process_time()
    for i in range(0, len(rels), pool.BATCH):  # in batches, as a worker is given them
        results = work.process_batch(str(raw), rels[i : i + pool.BATCH])
        pickled = time.process_time()
        pickle.dumps(results)
        spent["pickle"] += time.process_time() - pickled
        work.settle(results)
    return time.process_time() - started


def main_stages(raw: Path, jobs: int) -> float:
    from pipeline import build, publish

    timed(build, "tidy", "tidy")
    timed(publish.GenerationWriter, "write", "write Parquet")
    timed(publish.GenerationWriter, "close", "close the generation")
    timed(build, "switch", "views and data tests")
    timed(build.inputs, "discover", "scan the folder")
    parses = build._parses

    def received(*args, **kwargs):
        it = iter(parses(*args, **kwargs))
        while True:
            started = time.process_time()
            try:
                batch = next(it)
            except StopIteration:
                return
            finally:
                spent["receive batches"] += time.process_time() - started
            yield batch

    build._parses = received
    warehouse = Path(tempfile.mkdtemp(prefix="xxgk-profile-"))
    try:
        started = time.process_time()
        build.build(raw, warehouse, full=True, jobs=jobs)
        return time.process_time() - started
    finally:
        shutil.rmtree(warehouse, ignore_errors=True)


def table(title: str, total: float, n: int) -> None:
    print(f"\n{title}: {total:.2f} s CPU, {1000 * total / n:.3f} ms per report")
    rows = sorted(spent.items(), key=lambda kv: -kv[1])
    rows.append(("other", total - sum(spent.values())))
    for label, seconds in rows:
        print(f"  {label:26} {1000 * seconds / n:7.3f} ms  {100 * seconds / total:5.1f} %")
    spent.clear()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=5000, help="files of the bench corpus to profile")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    corpus = generate_corpus(args.seed, 20000)
    raw = subset(corpus, args.n) if args.n < 20000 else corpus
    rels = sorted(str(p.relative_to(raw)) for p in raw.rglob("*.txt"))[: args.n]
    print(f"{len(rels)} reports of {CACHE.name}/corpus-{args.seed}-20000")
    table("parser worker (one process)", worker_stages(raw, rels), len(rels))
    table(f"main process of a cold build ({args.jobs} workers)", main_stages(raw, args.jobs), len(rels))
    return 0


if __name__ == "__main__":
    sys.exit(main())
