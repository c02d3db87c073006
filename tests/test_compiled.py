"""The Python modules the install compiles with Cython (pipeline/compiled.py): the compiled
module is the one imported, and one older than its .py is named before it can run in its place."""

from __future__ import annotations

import importlib
import importlib.machinery
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import compiled

ROOT = Path(compiled.__file__).parent.parent
SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


@pytest.mark.parametrize("module", compiled.MODULES)
def test_a_compiled_module_is_the_one_imported(module: str):
    """Where the install compiled a module, its .so lies beside the .py and is what `import`
    loads (a package's own module as its __init__: compiled under the package's name it would lie
    beside the folder, and never be loaded)."""
    source = compiled.source(module, ROOT)
    assert source.exists(), f"{module}: no {source}"
    if source.name == "__init__.py":
        assert not source.parent.with_name(source.parent.name + SUFFIX).exists(), "compiled beside its folder"
    built = source.with_name(source.stem + SUFFIX)
    if not built.exists():
        pytest.skip(f"{module} was not compiled (no Cython or C compiler at install)")
    assert Path(importlib.import_module(module).__file__) == built


def test_stale_names_a_compiled_module_older_than_its_source(tmp_path: Path):
    for module in ("pipeline.parse.sections", "pipeline.parse", "pipeline.model"):
        py = compiled.source(module, tmp_path)
        py.parent.mkdir(parents=True, exist_ok=True)
        py.write_text("")
        py.with_name(py.stem + SUFFIX).write_bytes(b"")
    assert compiled.stale(tmp_path) == []
    sections = compiled.source("pipeline.parse.sections", tmp_path)
    package = compiled.source("pipeline.parse", tmp_path)
    assert package.name == "__init__.py"
    for py in (sections, package):
        built = py.with_name(py.stem + SUFFIX)
        os.utime(built, ns=(py.stat().st_mtime_ns - 10**9,) * 2)  # compiled a second before the edit
    assert compiled.stale(tmp_path) == ["pipeline.parse", "pipeline.parse.sections"]


def test_the_package_will_not_load_beside_a_stale_module(tmp_path: Path):
    """A copy of the package with one compiled module older than its .py fails to import,
    naming the module and what to run."""
    (tmp_path / "pipeline").mkdir()
    for name in ("__init__.py", "compiled.py"):
        (tmp_path / "pipeline" / name).write_bytes((ROOT / "pipeline" / name).read_bytes())
    py = compiled.source("pipeline.read", tmp_path)
    py.write_text("")
    built = py.with_name(py.stem + SUFFIX)
    built.write_bytes(b"")
    os.utime(built, ns=(py.stat().st_mtime_ns - 10**9,) * 2)
    run = subprocess.run(
        [sys.executable, "-c", "import pipeline"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1
    assert "ImportError: pipeline.read: the .py changed after it was compiled" in run.stderr
    assert "run `make env`" in run.stderr


# Run in a process of its own: the compiled modules of MODULES loaded from their .py, as where the
# install had no compiler; each file's report printed as JSON, one line each.
_INTERPRETED = """
import importlib.util, json, sys
from pathlib import Path

import pipeline
from pipeline import compiled

root = Path(pipeline.__file__).parent.parent


class FromSource:
    def find_spec(self, name, path, target=None):
        if name not in compiled.MODULES:
            return None
        py = compiled.source(name, root)
        return importlib.util.spec_from_file_location(
            name, py, submodule_search_locations=[str(py.parent)] if py.name == "__init__.py" else None
        )


sys.meta_path.insert(0, FromSource())
from report_json import report_json  # noqa: E402

for m in compiled.MODULES:
    assert sys.modules[m].__file__.endswith(".py"), m
for path in sys.argv[1:]:
    print(report_json(Path(path)))
"""


def test_the_python_reads_as_the_compiled(tmp_path: Path):
    """The .py is the one definition, and what runs where nothing was compiled: its reports, in
    a process that loads every module of MODULES from its .py, are the compiled modules' (real
    reports of the golden corpus and generated ones in every layout and template)."""
    from conftest import SHARED
    from report_json import report_json
    from test_golden import TEXT_REPORTS

    from pipeline.generate import generate_many

    files = []
    for rel in TEXT_REPORTS:
        files.append(tmp_path / Path(rel).name)
        files[-1].write_bytes((SHARED / rel).read_bytes())
    for i, g in enumerate(generate_many(11, 48)):
        files.append(tmp_path / f"g{i:02}_{g.layout}_{g.template}.txt")
        files[-1].write_bytes(g.data)
    tests = Path(__file__).parent
    run = subprocess.run(
        [sys.executable, "-c", _INTERPRETED, *map(str, files)],
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(tests), str(ROOT)])},
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    interpreted = run.stdout.splitlines()
    assert len(interpreted) == len(files)
    for path, line in zip(files, interpreted, strict=True):
        assert report_json(path) == line, path.name
