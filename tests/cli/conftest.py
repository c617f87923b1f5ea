from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh LIGHTCLAW_HOME for the test."""
    path = tmp_path / "home"
    monkeypatch.setenv("LIGHTCLAW_HOME", str(path))
    return path
