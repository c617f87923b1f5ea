"""A real export for the train-check tests: the core suite run by every persona, exported once."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from lightclaw.export.formats import run_export
from lightclaw.export.pool import Selection
from lightclaw.policies.personas import PERSONAS
from lightclaw.rollouts.collect import collect_sync, start_run
from lightclaw.store import Store


@pytest.fixture(scope="session")
def traincheck_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One tokenizer cache for the session (the GGUF is parsed once)."""
    path = tmp_path_factory.mktemp("lightclaw-cache")
    old = os.environ.get("LIGHTCLAW_CACHE")
    os.environ["LIGHTCLAW_CACHE"] = str(path)
    yield path
    if old is None:
        os.environ.pop("LIGHTCLAW_CACHE", None)
    else:
        os.environ["LIGHTCLAW_CACHE"] = old


@pytest.fixture(scope="session")
def persona_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the core suite run once by every scripted persona."""
    path = tmp_path_factory.mktemp("traincheck_store") / "lightclaw.db"
    with Store(path) as store:
        run = start_run(store, "core", [f"scripted:{name}" for name in sorted(PERSONAS)])
        collect_sync(store, run, show_progress=False)
        store.set_run_status(run.id, "complete")
    return path


@pytest.fixture(scope="session")
def real_export(
    persona_db: Path, tmp_path_factory: pytest.TempPathFactory, traincheck_cache: Path
) -> Path:
    """Every format of :func:`persona_db`, as ``lightclaw export`` writes it (read-only: copy it
    before changing anything)."""
    out = tmp_path_factory.mktemp("traincheck_export") / "export"
    with Store(persona_db, readonly=True) as store:
        run_export(store, Selection(), out, test_fraction=0.1)
    return out
