"""`make bench`: the pipeline measured against the floor, in one run, on one machine.

Steps, each a separate process whose whole tree is sampled for peak RSS:
- floor: read and decode every file of the corpus in one process — the least any pipeline does;
- cold build (`xxgk build --full`), no-op refresh, refresh after 1 % of the files changed;
- scaling: cold builds at several corpus sizes (subsets of one generated corpus);
- per input kind: PDF, HTML and text reports/s through the read+parse worker, in one process;
- where valgrind is installed, the instructions of the worker's read + parse per report over the
  first `--instructions` files: the one figure here that does not drift with the machine.
Ratios are to the floor measured in the same run; absolute seconds drift on shared machines, so
the floor and the cold build are run `--repeat` times, interleaved, and the fastest of each is
kept (all runs are in results.json).
Corpora are generated once per (seed, size) and cached under bench/cache/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "bench" / "cache"
XXGK = str(Path(sys.executable).parent / "xxgk")


def warm(raw: Path) -> None:
    """Every file under `raw` read once, so that a build is timed on files in the page cache, as
    the floor and the cold builds of the corpus are (the floor runs first, three times): the
    80,000 files of the largest size are otherwise read from disk the first time they are built."""
    for p in raw.rglob("*"):
        if p.is_file():
            p.read_bytes()


def compile_bytecode(tree: Path) -> None:
    """The package's bytecode written, as ``make build`` writes it: where PYTHONDONTWRITEBYTECODE
    is set, no process writes it, and each compiled the modules again."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "pipeline")], check=True)


def generate_corpus(seed: int, n: int) -> Path:
    """n generated reports (all text layouts, both templates), cached by seed and size."""
    from pipeline.generate import generate_many

    root = CACHE / f"corpus-{seed}-{n}"
    done = root / ".complete"
    if done.exists():
        return root / "raw"
    shutil.rmtree(root, ignore_errors=True)
    raw = root / "raw"
    started = time.time()
    for i, g in enumerate(generate_many(seed, n)):
        folder = raw / f"{i // 1000:03}"
        if i % 1000 == 0:
            folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{i:06}_{g.layout}_{g.template}.txt").write_bytes(g.data)
    done.write_text(f"{n} reports generated in {time.time() - started:.1f} s\n")
    return raw


def subset(raw: Path, n: int) -> Path:
    """The first n files of a corpus, as a folder of symlinks."""
    root = raw.parent / f"subset-{n}"
    if not root.exists():
        files = sorted(p for p in raw.rglob("*") if p.is_file())[:n]
        for f in files:
            target = root / f.relative_to(raw)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(f)
    return root


TREE_POLLS = 5  # samples of memory (every 20 ms) to a listing of the process tree


def measure(cmd: list[str], cwd: Path = REPO) -> dict:
    """Wall seconds and peak RSS (MB, summed over the process tree, sampled every 20 ms; a
    process counts from the first listing of the tree after it started, within 0.1 s) of one
    command, and where its CPU went: the command's own process (tidy, Parquet, views) and the
    processes it started and reaped (the parser workers), as last sampled before it exited."""
    started = time.perf_counter()
    proc = psutil.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd)
    peak = 0
    cpu = None
    tree = [proc]
    polls = 0
    while proc.poll() is None:
        try:
            # the process tree listed again every TREE_POLLS samples: psutil lists it by reading
            # every process's stat (0.42 ms of CPU here), which at each sample took 2 % of a core
            # from the measured command; the memory of the processes known is read each time
            if polls % TREE_POLLS == 0:
                tree = [proc, *proc.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
            cpu = proc.cpu_times()
        except psutil.Error:
            pass
        polls += 1
        time.sleep(0.02)
    wall = time.perf_counter() - started
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.decode()[-2000:]}")
    return {
        "seconds": wall,
        "peak_rss_mb": peak / 2**20,
        "cpu_main_s": cpu.user + cpu.system if cpu else None,
        "cpu_workers_s": cpu.children_user + cpu.children_system if cpu else None,
        "stderr": err.decode().strip().splitlines()[-1:],
    }


def _cpu(step: dict) -> str:
    """'main + workers' CPU seconds of a step, or '-' when it ended before a sample."""
    if step.get("cpu_main_s") is None:
        return "-"
    return f"{step['cpu_main_s']:.1f} + {step['cpu_workers_s']:.1f}"


def corpus_size(raw: Path) -> tuple[int, int]:
    files = [p for p in raw.rglob("*") if p.is_file() or p.is_symlink()]
    return len(files), sum(p.stat().st_size for p in files)


PARSE = """
import sys
from pathlib import Path
from pipeline import work
raw = Path(sys.argv[1])
rels = sorted(str(p.relative_to(raw)) for p in raw.rglob("*.txt"))[: int(sys.argv[2])]
work.tune_gc()
work.process_batch(str(raw), rels)
"""


def parse_instructions(trees: dict[str, Path], raw: Path, n: int) -> dict[str, float]:
    """Per side, the instructions a worker spends reading and parsing one report, over the first
    n files: callgrind's count with them, less its count with none.  The four runs at once."""
    runs = {}
    for side, tree in trees.items():
        for k in (n, 0):
            cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c", PARSE]
            env = {**os.environ, "PYTHONPATH": str(tree)}
            runs[side, k] = subprocess.Popen(
                [*cmd, str(raw), str(k)],
                cwd=tree,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
    counts = {}
    for key, proc in runs.items():
        _, err = proc.communicate()
        found = re.search(r"Collected : (\d+)", err)
        if proc.returncode != 0 or not found:
            raise SystemExit(f"callgrind failed on {key}:\n{err[-2000:]}")
        counts[key] = int(found.group(1))
    return {side: (counts[side, n] - counts[side, 0]) / n for side in trees}


FLOOR = """
import sys
from pathlib import Path
from pipeline.normalize import decode
n = 0
for p in sorted(Path(sys.argv[1]).rglob("*")):
    if p.is_file():
        decode(p.read_bytes())
        n += 1
print(n)
"""

KIND = """
import sys, time
from pathlib import Path
from pipeline.work import process
files = sys.argv[2:]
t = time.perf_counter()
ok = sum(process(sys.argv[1], f).report is not None for f in files)
print(len(files), ok, time.perf_counter() - t)
"""


def per_kind(tmp: Path, n: int, repeat: int = 3) -> dict[str, dict]:
    """Reports/s through read+parse for each input kind, in one process: the two real PDFs
    (copied), generated HTML pages and DOCX files, generated text.  The fastest of `repeat`
    runs: 100 text files take 50 ms, and one run was as likely to catch a slow moment of the
    machine as not."""
    import random

    from pipeline.generate import generate_many
    from pipeline.generate_published import generate_published

    shared = REPO.parent / "shared" / "corpus"
    rng = random.Random(5)
    sources: dict[str, list[tuple[str, bytes]]] = {
        "pdf": [
            (f"{i:04}_{f.name}", f.read_bytes()) for i in range(max(1, n // 20)) for f in sorted(shared.glob("*.pdf"))
        ],
        "html": [(f"{i:04}.html", generate_published(rng, ("2019", "2021")[i % 2], "html").data) for i in range(n)],
        "docx": [(f"{i:04}.docx", generate_published(rng, ("2019", "2021")[i % 2], "docx").data) for i in range(n)],
        "text": [(f"{i:04}.txt", g.data) for i, g in enumerate(generate_many(9, n))],
    }
    out = {}
    for kind, files in sources.items():
        folder = tmp / kind
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in files:
            (folder / name).write_bytes(data)
        runs = []
        for _ in range(repeat):
            run = subprocess.run(
                [sys.executable, "-c", KIND, str(folder), *(name for name, _ in files)],
                capture_output=True,
                text=True,
                check=True,
                cwd=REPO,
            )
            count, ok, seconds = run.stdout.split()
            runs.append((float(seconds), int(count), int(ok)))
        seconds, count, ok = min(runs)
        out[kind] = {
            "files": count,
            "reports": ok,
            "seconds": seconds,
            "reports_per_s": ok / seconds,
            "runs_s": [round(r[0], 3) for r in runs],
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20000, help="corpus size for floor/cold/no-op/1%% steps")
    ap.add_argument("--scaling", default="5000,20000,80000", help="comma-separated sizes for the scaling line")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--repeat", type=int, default=3, help="runs of the floor and the cold build; the fastest is kept")
    ap.add_argument("--out", default=str(REPO / "bench" / "results.json"))
    ap.add_argument("--instructions", type=int, default=300, help="files whose read + parse callgrind counts (0: none)")
    args = ap.parse_args()
    compile_bytecode(REPO)
    sizes = sorted({int(s) for s in args.scaling.split(",") if s} | {args.n})
    print(f"generating/caching corpus of {max(sizes)} reports (seed {args.seed})…", file=sys.stderr)
    full = generate_corpus(args.seed, max(sizes))
    work = CACHE / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)

    raw = subset(full, args.n) if args.n < max(sizes) else full
    # the 1 % step edits files: work on a private copy of the corpus
    private = work / "raw"
    shutil.copytree(raw, private, symlinks=False)
    files, size = corpus_size(private)
    results: dict = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        },
        "n": files,
        "bytes": size,
        "jobs": args.jobs,
        "steps": {},
    }
    steps = results["steps"]
    wh = work / "wh"
    floors, colds = [], []
    for _ in range(args.repeat):  # interleaved, so that a slow spell of the machine hits both
        floors.append(measure([sys.executable, "-c", FLOOR, str(private)]))
        shutil.rmtree(wh, ignore_errors=True)
        colds.append(
            measure([XXGK, "build", "--raw", str(private), "--warehouse", str(wh), "--full", "--jobs", str(args.jobs)])
        )
    for name, runs in (("floor", floors), ("cold_build", colds)):
        steps[name] = min(runs, key=lambda m: m["seconds"])
        steps[name]["runs_s"] = [round(m["seconds"], 2) for m in runs]
    floor = steps["floor"]
    steps["noop_refresh"] = measure([XXGK, "refresh", "--raw", str(private), "--warehouse", str(wh)])
    changed = sorted(p for p in private.rglob("*") if p.is_file())[::100]
    for p in changed:
        p.write_bytes(p.read_bytes() + "\n附件：无\n".encode())
    steps["refresh_1pct"] = measure(
        [XXGK, "refresh", "--raw", str(private), "--warehouse", str(wh), "--jobs", str(args.jobs)]
    )
    steps["refresh_1pct"]["files"] = len(changed)
    for step in steps.values():
        n_files = step.get("files", files)
        step["reports_per_s"] = n_files / step["seconds"]
        step["mb_per_s"] = size * n_files / files / 2**20 / step["seconds"]
        step["ratio_to_floor"] = step["seconds"] / (floor["seconds"] * n_files / files)
    scaling = []
    for n in sizes:
        src = full if n == max(sizes) else subset(full, n)
        warm(src)
        m = measure(
            [
                XXGK,
                "build",
                "--raw",
                str(src),
                "--warehouse",
                str(work / f"scale-{n}"),
                "--full",
                "--jobs",
                str(args.jobs),
            ]
        )
        scaling.append(
            {
                "n": n,
                "seconds": m["seconds"],
                "reports_per_s": n / m["seconds"],
                "peak_rss_mb": m["peak_rss_mb"],
                "cpu_main_s": m["cpu_main_s"],
                "cpu_workers_s": m["cpu_workers_s"],
            }
        )
        shutil.rmtree(work / f"scale-{n}", ignore_errors=True)
    results["scaling"] = scaling
    results["per_kind"] = per_kind(work / "kinds", n=100)
    if args.instructions and shutil.which("valgrind"):  # the one figure that does not drift
        per = parse_instructions({"here": REPO}, full, args.instructions)["here"]
        results["parse_instructions"] = {"files": args.instructions, "per_report": per}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2, ensure_ascii=False))
    report(results)


def report(r: dict) -> None:
    m = r["machine"]
    print(
        f"\nxxgk bench — {r['n']} reports, {r['bytes'] / 2**20:.1f} MB, {r['jobs']} jobs; "
        f"{m['cpus']} CPUs, {m['memory_gb']} GB, Python {m['python']}"
    )
    print(
        f"{'step':<14}{'seconds':>9}{'reports/s':>11}{'MB/s':>8}{'peak RSS MB':>13}{'× floor':>9}"
        f"{'CPU s main + workers':>23}"
    )
    for name, s in r["steps"].items():
        print(
            f"{name:<14}{s['seconds']:>9.2f}{s['reports_per_s']:>11.0f}{s['mb_per_s']:>8.1f}"
            f"{s['peak_rss_mb']:>13.0f}{s['ratio_to_floor']:>9.1f}{_cpu(s):>23}"
        )
    base = r["scaling"][0]
    line = ", ".join(
        f"{s['n']}: {s['seconds']:.1f} s ({s['reports_per_s']:.0f}/s, "
        f"{s['seconds'] / base['seconds'] / (s['n'] / base['n']):.2f}× linear, {s['peak_rss_mb']:.0f} MB)"
        for s in r["scaling"]
    )
    print(f"scaling (cold build): {line}")
    for name in ("floor", "cold_build"):
        runs = r["steps"][name].get("runs_s", [])
        if len(runs) > 1:
            print(f"{name}: fastest of {len(runs)} runs: {', '.join(f'{x:.2f}' for x in runs)} s")
    for kind, k in r["per_kind"].items():
        print(
            f"per kind {kind:<5}: {k['reports_per_s']:.1f} reports/s in one process "
            f"({k['reports']}/{k['files']} files parsed; fastest of {', '.join(f'{x:.3f}' for x in k.get('runs_s', []))} s)"
        )
    if "parse_instructions" in r:
        i = r["parse_instructions"]
        print(
            f"read + parse: {i['per_report'] / 1e6:.2f} M instructions per report (callgrind, first {i['files']} files)"
        )


if __name__ == "__main__":
    main()
