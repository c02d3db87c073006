"""`make bench-ab REF=<commit>`: this checkout's cold build against another commit's, in one run.

    python scripts/bench_ab.py --ref 899d666 [--n 20000] [--rounds 3]

A change of 10 or 20 % is lost in the drift of a shared machine between two `make bench` runs
(three cold builds of one run have spread 34 to 43 s).  Here both sides build the same corpus in
turn, `--rounds` times, the order alternating, so drift falls on both alike; the ratio of their
medians is the change.  Seconds still drift by as much as the change can be, so where valgrind is
installed both sides' read and parse of the first `--instructions` files are also counted in
instructions (callgrind, less the same process with no file): the same for the same code and
input whatever the machine is doing.  The other commit is checked out in a temporary git worktree and run by
this environment's Python from there (its own C modules built in place), so a change of
dependencies between the two is not measured.  Then the two warehouses are compared row for
row, every table but the run and parser-version columns: a change made for speed must not
change a number, and this exits 1 if one did.
"""

from __future__ import annotations

import argparse
import json
import os
import runpy
import shutil
import statistics
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import duckdb

from bench import REPO, compile_bytecode, generate_corpus, measure, parse_instructions, subset

TABLES = ("requests", "proactive", "appeals", "reports", "checks", "rejects")


def checkout(ref: str, root: Path) -> Path:
    """`ref` in a worktree under root, its C modules (pyproject's ext-modules, and where it has a
    setup.py the Python modules that compiles) built in place."""
    tree = root / "ref"
    subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(tree), ref], cwd=REPO, check=True)
    modules = tomllib.loads((tree / "pyproject.toml").read_text())["tool"].get("setuptools", {}).get("ext-modules", [])
    names = [m["name"] for m in modules]
    if (tree / "setup.py").exists():
        build = [sys.executable, "setup.py", "build_ext", "--inplace"]
        names += runpy.run_path(str(tree / "pipeline" / "compiled.py"))["MODULES"]
    else:
        build = [
            sys.executable,
            "-c",
            "import sys, json\n"
            "from setuptools import Distribution, Extension\n"
            "mods = json.loads(sys.argv[1])\n"
            "exts = [Extension(m['name'], m['sources'], extra_compile_args=m.get('extra-compile-args', [])) for m in mods]\n"
            "dist = Distribution({'ext_modules': exts, 'script_name': 'setup.py'})\n"
            "cmd = dist.get_command_obj('build_ext'); cmd.inplace = 1\n"
            "dist.run_command('build_ext')\n",
            json.dumps(modules),
        ]
    if names:
        subprocess.run(build, cwd=tree, check=True, capture_output=True, text=True)
    for name in names:  # built, and the one the ref side imports (not this checkout's)
        where = Path(
            subprocess.run(
                [sys.executable, "-c", f"import {name} as m; print(m.__file__)"],
                cwd=tree,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
        )
        if not where.is_relative_to(tree) or where.suffix != ".so":
            raise SystemExit(f"{name} of {ref} imports from {where}, not built in its worktree")
    return tree


def _rows(warehouse: Path, table: str) -> str:
    """The rows of a table in a warehouse's one generation, less what names the run."""
    glob = (warehouse / "generations").as_posix() + f"/*/{table}/**/*.parquet"
    run = "run_id" if table == "checks" else "run_id, parser_version"
    return f"SELECT * EXCLUDE ({run}) FROM read_parquet('{glob}', hive_partitioning = false)"


def differences(a: Path, b: Path) -> dict[str, tuple[int, int, int]]:
    """Per table: rows in a, rows of a not in b, rows of b not in a (multisets)."""
    con = duckdb.connect()
    out = {}
    for table in TABLES:
        n = con.execute(f"SELECT count(*) FROM ({_rows(a, table)})").fetchone()[0]
        only_a = con.execute(f"SELECT count(*) FROM (({_rows(a, table)}) EXCEPT ALL ({_rows(b, table)}))").fetchone()[0]
        only_b = con.execute(f"SELECT count(*) FROM (({_rows(b, table)}) EXCEPT ALL ({_rows(a, table)}))").fetchone()[0]
        out[table] = (n, only_a, only_b)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref", required=True, help="the commit to measure this checkout against")
    ap.add_argument("--n", type=int, default=20000, help="reports of the bench corpus to build")
    ap.add_argument("--rounds", type=int, default=3, help="cold builds of each side, interleaved")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--instructions", type=int, default=300, help="files counted under callgrind (0: none)")
    args = ap.parse_args()
    corpus = generate_corpus(args.seed, 20000)
    raw = subset(corpus, args.n) if args.n < 20000 else corpus
    with tempfile.TemporaryDirectory(prefix="xxgk-ab-") as tmp:
        root = Path(tmp)
        try:
            sides = {args.ref: checkout(args.ref, root), "this checkout": REPO}
            for tree in sides.values():
                compile_bytecode(tree)
            runs: dict[str, list[dict]] = {side: [] for side in sides}
            for k in range(args.rounds):
                order = list(sides) if k % 2 == 0 else list(reversed(sides))
                for side in order:
                    wh = root / f"warehouse-{list(sides).index(side)}"
                    shutil.rmtree(wh, ignore_errors=True)  # a cold build each time
                    cmd = [sys.executable, "-m", "pipeline", "build", "--full", "--raw", str(raw)]
                    cmd += ["--warehouse", str(wh), "--jobs", str(args.jobs)]
                    runs[side].append(measure(cmd, cwd=sides[side]))
                    step = runs[side][-1]
                    print(
                        f"round {k + 1} {side:>14}: {step['seconds']:6.2f} s, "
                        f"CPU {step['cpu_main_s']:.1f} + {step['cpu_workers_s']:.1f} s",
                        flush=True,
                    )
            print(f"\n{args.n} reports, {args.rounds} rounds; medians")
            med = {}
            for side, steps in runs.items():
                wall = statistics.median(s["seconds"] for s in steps)
                cpu = statistics.median(s["cpu_main_s"] + s["cpu_workers_s"] for s in steps)
                med[side] = (wall, cpu)
                print(f"  {side:>14}: {wall:6.2f} s wall, {cpu:6.1f} s CPU, {args.n / wall:5.0f} reports/s")
            (ref_wall, ref_cpu), (wall, cpu) = med[args.ref], med["this checkout"]
            print(f"  this checkout / {args.ref}: wall {wall / ref_wall:.3f}, CPU {cpu / ref_cpu:.3f}")
            if args.instructions and shutil.which("valgrind"):
                per = parse_instructions(sides, raw, args.instructions)
                ref_i, this_i = per[args.ref], per["this checkout"]
                print(
                    f"\nread + parse, first {args.instructions} files, instructions per report (callgrind): "
                    f"{args.ref} {ref_i / 1e6:.2f} M, this checkout {this_i / 1e6:.2f} M, ratio {this_i / ref_i:.3f}"
                )
            elif args.instructions:
                print("\n(no valgrind: instructions not counted)")
            diff = differences(root / "warehouse-0", root / "warehouse-1")
            changed = {t: d for t, d in diff.items() if d[1] or d[2]}
            total = sum(d[0] for d in diff.values())
            if changed:
                print(f"\nthe warehouses differ: {changed} (table: rows, only {args.ref}, only this checkout)")
                return 1
            print(f"\nthe two warehouses hold the same {total:,} rows")
            return 0
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(root / "ref")], cwd=REPO, capture_output=True)


if __name__ == "__main__":
    sys.exit(main())
