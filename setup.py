"""The install's Cython step: the modules of ``pipeline/compiled.py`` compiled to C (that module
says why), beside the hand-written C modules of pyproject.toml's ext-modules.  Like those, each is
optional: where it cannot be built the install goes on, and its .py runs."""

import runpy
from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, setup

compiled = runpy.run_path("pipeline/compiled.py")

setup(
    ext_modules=cythonize(
        [
            Extension(
                ".".join(path.with_suffix("").parts), [path.as_posix()], extra_compile_args=["-O2"], optional=True
            )
            for path in (compiled["source"](m, Path()) for m in compiled["MODULES"])
        ],  # a package's own module as pipeline.parse.__init__: beside its __init__.py
        build_dir="build/cython",  # the C it writes, out of the package (and of the Makefile's C sources)
        compiler_directives={
            "language_level": 3,
            "annotation_typing": False,  # annotations are for mypy: a `float` would become a C double
            "binding": True,  # functions as Python's, with names, signatures and pickling by name
        },
        nthreads=2,
        quiet=True,
    ),
    options={"build_ext": {"parallel": 2}},
)
