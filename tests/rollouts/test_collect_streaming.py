"""Collection streams finished episodes to the store as they finish, whatever the suite."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from lightclaw.rollouts import collect as collect_module
from lightclaw.rollouts.collect import collect, start_run
from lightclaw.store import Store
from lightclaw.suites.loader import load_suite


def test_first_write_comes_long_before_the_plan_is_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a user task file whose tools never wait: nothing yields to the writer on its own
    tasks = [t for t in load_suite("core").tasks if t.id.startswith("units-")][:2]
    path = tmp_path / "my_tasks.jsonl"
    path.write_text("".join(t.model_dump_json() + "\n" for t in tasks))
    started = 0
    real_resolve = collect_module.resolve_policy

    def counting_resolve(spec: str) -> Any:
        name, factory = real_resolve(spec)

        def make(*args: Any) -> Any:
            nonlocal started
            started += 1
            return factory(*args)

        return name, make

    monkeypatch.setattr(collect_module, "resolve_policy", counting_resolve)
    started_at_writes: list[int] = []
    real_add = Store.add_episodes

    def spy(self: Store, episodes: Any, **kwargs: Any) -> int:
        started_at_writes.append(started)
        return real_add(self, episodes, **kwargs)

    monkeypatch.setattr(Store, "add_episodes", spy)
    concurrency, trials = 8, 400
    with Store(tmp_path / "db.sqlite") as store:
        run = start_run(store, str(path), ["scripted:sloppy", "scripted:stubborn"], trials=trials)
        ran = asyncio.run(collect(store, run, concurrency=concurrency, show_progress=False))
        assert ran == started == 2 * len(tasks) * trials == store.count_episodes(run.id)
    batch = 256  # the writer's default batch size
    assert started_at_writes[0] <= batch + 2 * concurrency, started_at_writes[:3]
    assert len(started_at_writes) >= ran // batch
