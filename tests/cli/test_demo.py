"""`lightclaw demo`: every runtime error type comes from persona behaviour; all episodes replay."""

from __future__ import annotations

from pathlib import Path

import pytest

from lightclaw.cli.main import main
from lightclaw.rollouts.replay import replay_sync
from lightclaw.schema import Episode, ErrorType
from lightclaw.store import Store
from lightclaw.suites.loader import load_suite
from lightclaw.verify.ground_truth import judge

EXPECTED = {
    ErrorType.INVALID_FORMAT,
    ErrorType.UNKNOWN_TOOL,
    ErrorType.WRONG_ARGS,
    ErrorType.TOOL_ERROR,
    ErrorType.TIMEOUT,
    ErrorType.REDUNDANT_CALL,
    ErrorType.MAX_STEPS,
    ErrorType.MODEL_ERROR,
}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, list[Episode]]:
    home = tmp_path_factory.mktemp("demo")
    mp = pytest.MonkeyPatch()
    mp.setenv("LIGHTCLAW_HOME", str(home))
    try:
        assert main(["demo"]) == 0
    finally:
        mp.undo()
    with Store(home / "lightclaw.db") as store:
        run = next(r for r in store.list_runs() if r.suite == "core")
        episodes = list(store.iter_episodes(run.id))
    return home, run.id, episodes


def errors_of(ep: Episode) -> set[ErrorType]:
    found = {s.error_type for s in ep.steps if s.error_type is not None}
    if ep.outcome == "max_steps":
        found.add(ErrorType.MAX_STEPS)
    return found


def test_demo_covers_every_runtime_error_type(demo_run: tuple[Path, str, list[Episode]]) -> None:
    _, _, episodes = demo_run
    seen = set().union(*(errors_of(ep) for ep in episodes))
    assert seen >= EXPECTED, f"missing: {sorted(EXPECTED - seen)}"


def test_oracle_persona_never_errs_and_always_succeeds(
    demo_run: tuple[Path, str, list[Episode]],
) -> None:
    _, _, episodes = demo_run
    tasks = {t.id: t for t in load_suite("core").tasks}
    oracle = [ep for ep in episodes if ep.policy == "scripted:oracle"]
    assert len(oracle) == len(tasks)
    for ep in oracle:
        assert not errors_of(ep), (ep.task_id, errors_of(ep))
        verdict = judge(tasks[ep.task_id], ep)
        assert verdict.success, (ep.task_id, verdict.message)


def test_demo_has_successful_and_failed_recoveries(
    demo_run: tuple[Path, str, list[Episode]],
) -> None:
    _, _, episodes = demo_run
    tasks = {t.id: t for t in load_suite("core").tasks}
    recovered = failed = 0
    for ep in episodes:
        if errors_of(ep) - {ErrorType.MAX_STEPS, ErrorType.MODEL_ERROR}:
            if judge(tasks[ep.task_id], ep).success:
                recovered += 1
            else:
                failed += 1
    assert recovered > 0 and failed > 0
    corrections = [s for ep in episodes for s in ep.steps if s.correction_of is not None]
    assert corrections


def test_every_demo_episode_replays_identically(
    demo_run: tuple[Path, str, list[Episode]],
) -> None:
    home, _, episodes = demo_run
    with Store(home / "lightclaw.db") as store:
        for ep in episodes:
            result = replay_sync(store, ep.id)
            assert result.identical, (ep.id, result.differences[:3])


def test_demo_is_reproducible_from_its_seed(demo_run: tuple[Path, str, list[Episode]]) -> None:
    home, run_id, episodes = demo_run
    mp = pytest.MonkeyPatch()
    mp.setenv("LIGHTCLAW_HOME", str(home))
    try:
        assert main(["demo"]) == 0
    finally:
        mp.undo()
    with Store(home / "lightclaw.db") as store:
        second = next(r for r in store.list_runs() if r.id != run_id and r.suite == "core")
        again = {(e.task_id, e.policy): e for e in store.iter_episodes(second.id)}
    for ep in episodes:
        other = again[(ep.task_id, ep.policy)]
        assert [s.raw_output for s in ep.steps] == [s.raw_output for s in other.steps]
        assert [s.error_type for s in ep.steps] == [s.error_type for s in other.steps]
        assert ep.outcome == other.outcome and ep.final_answer == other.final_answer
