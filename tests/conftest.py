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


@pytest.fixture
def placers(monkeypatch) -> list:
    """Every section-三 RunPlacer asked for its best placement while the test runs."""
    from pipeline.parse import sections

    made: list[sections.RunPlacer] = []
    best = sections.RunPlacer.best

    def recorded(self):
        made.append(self)
        return best(self)

    monkeypatch.setattr(sections.RunPlacer, "best", recorded)
    return made
