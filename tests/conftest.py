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
