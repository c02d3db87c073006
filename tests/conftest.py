"""Shared fixtures: where the real reports are, and a parse helper."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("XXGK_SHARED", REPO.parent / "shared")).resolve()
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def shared() -> Path:
    assert (SHARED / "SPEC.md").exists(), f"../shared not found at {SHARED} (set XXGK_SHARED)"
    return SHARED


def recorded(monkeypatch, owner: object, name: str) -> list[tuple]:
    """The arguments of every call of owner.name from here on (a method's start with self)."""
    calls: list[tuple] = []
    inner = getattr(owner, name)

    def recording(*args):
        calls.append(args)
        return inner(*args)

    monkeypatch.setattr(owner, name, recording)
    return calls


@pytest.fixture
def placers(monkeypatch) -> list[tuple]:
    """(placer,) for every section-三 RunPlacer asked for its best placement while the test runs."""
    from pipeline.parse import sections

    return recorded(monkeypatch, sections.RunPlacer, "best")
