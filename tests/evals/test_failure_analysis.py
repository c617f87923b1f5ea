"""Failure analysis groups what actually failed, and each case replays to the same failure."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from lightclaw.evals.failures import analyse_failures
from lightclaw.rollouts.collect import collect, start_run
from lightclaw.rollouts.replay import replay_sync
from lightclaw.store import Store
from lightclaw.suites.loader import load_suite
from lightclaw.verify.ground_truth import judge


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    db = tmp_path_factory.mktemp("fa") / "lightclaw.db"
    with Store(db) as store:
        personas = ["scripted:oracle", "scripted:stubborn", "scripted:overcorrector",
                    "scripted:hallucinator", "scripted:sloppy"]  # fmt: skip
        r = start_run(store, "core", personas)
        asyncio.run(collect(store, r, show_progress=False))
    return db, r.id


def test_groups_count_every_failure_once(run: tuple[Path, str]) -> None:
    db, run_id = run
    tasks = {t.id: t for t in load_suite("core").tasks}
    with Store(db) as store:
        groups = analyse_failures(store, run_id, tasks)
        expected: dict[str, int] = {}
        for ep in store.iter_episodes(run_id):
            for step in ep.steps:
                if step.error_type is not None:
                    expected[step.error_type.value] = expected.get(step.error_type.value, 0) + 1
            for step in ep.steps:
                if step.over_correction:
                    expected["over_correction"] = expected.get("over_correction", 0) + 1
            if ep.outcome == "max_steps":
                expected["max_steps"] = expected.get("max_steps", 0) + 1
            elif ep.outcome == "final_answer":
                verdict = judge(tasks[ep.task_id], ep)
                if not verdict.success and verdict.error_type is not None:
                    key = verdict.error_type.value
                    expected[key] = expected.get(key, 0) + 1
    assert {g.error_type: g.count for g in groups} == expected
    assert [g.count for g in groups] == sorted((g.count for g in groups), reverse=True)
    assert sum(g.share for g in groups) == pytest.approx(1.0)
    for g in groups:
        assert sum(g.by_task.values()) == g.count == sum(g.by_policy.values())
        assert 1 <= len(g.cases) <= 3
    # the overcorrector's changed answers show up as judged failures, not as runtime errors
    judged = {g.error_type for g in groups} & {"wrong_answer", "semantic_wrong_args", "wrong_tool"}
    assert judged
    over = next(g for g in groups if g.error_type == "over_correction")
    assert set(over.by_policy) <= {"scripted:overcorrector", "scripted:hallucinator"}


def test_every_case_replays_to_the_same_failure(run: tuple[Path, str]) -> None:
    db, run_id = run
    tasks = {t.id: t for t in load_suite("core").tasks}
    with Store(db) as store:
        for group in analyse_failures(store, run_id, tasks):
            for case in group.cases:
                assert case.replay == f"lightclaw replay {case.episode_id}"
                result = replay_sync(store, case.episode_id)
                assert result.identical
                if case.step is None:
                    continue
                step = result.replayed.steps[case.step]
                if group.error_type == "over_correction":  # judged: the replay is a correction
                    assert step.correction_of is not None
                else:
                    assert step.error_type is not None
                    assert step.error_type.value == group.error_type
