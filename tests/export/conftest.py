"""Shared export fixtures: a real store with every persona, single and two-attempt runs."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from lightclaw.policies.personas import PERSONAS
from lightclaw.rollouts.collect import collect_sync, start_run
from lightclaw.schema import Run
from lightclaw.store import Store

ALL_PERSONAS = [f"scripted:{name}" for name in sorted(PERSONAS)]


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store path holding the core suite run by all personas, plus a two-attempt run
    (verifier feedback) by oracle, sloppy and overcorrector. Open it read-only in tests."""
    path = tmp_path_factory.mktemp("export_store") / "lightclaw.db"
    with Store(path) as store:
        single = start_run(store, "core", ALL_PERSONAS)
        collect_sync(store, single, show_progress=False)
        store.set_run_status(single.id, "complete")
        pairs = start_run(
            store,
            "core",
            ["scripted:oracle", "scripted:sloppy", "scripted:overcorrector"],
            feedback="verifier",
        )
        collect_sync(store, pairs, show_progress=False)
        store.set_run_status(pairs.id, "complete")
    return path


@pytest.fixture
def home(demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A LIGHTCLAW_HOME holding a copy of the session's demo store."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(demo_db, home / "lightclaw.db")
    monkeypatch.setenv("LIGHTCLAW_HOME", str(home))
    return home


@pytest.fixture
def demo_store(demo_db: Path) -> Iterator[Store]:
    """The session's demo store, opened read-only."""
    with Store(demo_db, readonly=True) as store:
        yield store


@pytest.fixture
def demo_runs(demo_store: Store) -> tuple[Run, Run]:
    """(the single-attempt run, the two-attempt run) of :func:`demo_db`."""
    single, pairs = (demo_store.get_run(r.id) for r in reversed(demo_store.list_runs()))
    return single, pairs
