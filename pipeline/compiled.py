"""The package's Python modules that the install also compiles to C with Cython, and the check
that none of those compiled modules is older than its source.

A parser worker's time is spent in these modules' Python: some hundred functions run once per
report, none of them above a few percent of it.  Compiled, the same source ran in 0.91 of the
time (a worker's read, decode, parse and pack of 8,000 bench reports, one process: 263 against
290 us a report; callgrind's count 2.72 -> 2.48 M instructions).  The .py
stays the one definition: it is what Cython compiles, and what runs where the install had no
compiler.  The stage loop and its deadline (``work``) are not compiled: a signal's handler runs
only where the interpreter runs (its steps' bookkeeping is C, ``_steps``, which runs a pending
handler as a step returns).

An editable install (``make env``) puts each compiled module (a .so) beside its .py, and Python
imports the .so first: a .py edited after the install would not run.  ``stale`` names such
modules, and the package will not load beside them (``pipeline/__init__``); the Makefile counts
these files among what the install depends on, so every ``make`` target compiles them again.
Run as a script, this prints their paths, for the Makefile.
"""

from __future__ import annotations

import importlib.machinery
from pathlib import Path

MODULES = (
    "pipeline.normalize",
    "pipeline.read",
    "pipeline.model",
    "pipeline.identities",
    "pipeline.parse",
    "pipeline.parse.anchors",
    "pipeline.parse.meta",
    "pipeline.parse.readings",
    "pipeline.parse.sections",
    "pipeline.parse.tokens",
    "pipeline.parse.totals",
)


def source(module: str, root: Path) -> Path:
    """The .py of `module` under `root` (the folder that holds the package)."""
    path = root.joinpath(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def stale(root: Path) -> list[str]:
    """The compiled modules under `root` whose .py changed after they were compiled."""
    out = []
    for module in MODULES:
        py = source(module, root)
        if not py.exists():
            continue
        built = [py.with_name(py.stem + suffix) for suffix in importlib.machinery.EXTENSION_SUFFIXES]
        if any(b.exists() and b.stat().st_mtime_ns < py.stat().st_mtime_ns for b in built):
            out.append(module)
    return out


if __name__ == "__main__":
    print(" ".join(source(m, Path()).as_posix() for m in MODULES))
