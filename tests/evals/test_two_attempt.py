"""The SCoRe two-attempt protocol: attempt 1, feedback, attempt 2; metrics from stored pairs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from lightclaw.cli.main import main
from lightclaw.evals.report import EvalReport
from lightclaw.evals.two_attempt import two_attempt_metrics
from lightclaw.policies.feedback import ACCEPTED, GENERIC_FEEDBACK, REJECTED
from lightclaw.rollouts.collect import collect, start_run
from lightclaw.rollouts.replay import replay_sync
from lightclaw.store import Store

PERSONAS = ["scripted:oracle", "scripted:overcorrector", "scripted:hallucinator"]


def collect_protocol(db: Path, feedback: str) -> str:
    with Store(db) as store:
        run = start_run(store, "core", PERSONAS, feedback=feedback)
        asyncio.run(collect(store, run, show_progress=False))
        return run.id


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    db = tmp_path_factory.mktemp("score") / "lightclaw.db"
    return db, collect_protocol(db, "generic"), collect_protocol(db, "verifier")


def pairs(store: Store, run_id: str) -> dict[tuple[str, str, int], dict[int, object]]:
    out: dict[tuple[str, str, int], dict[int, object]] = {}
    for ep in store.iter_episodes(run_id):
        out.setdefault((ep.task_id, ep.policy, ep.trial), {})[ep.attempt] = ep
    return out


def test_every_job_is_a_linked_pair_with_the_feedback(runs: tuple[Path, str, str]) -> None:
    db, generic, verifier = runs
    with Store(db) as store:
        for run_id, mode in ((generic, "generic"), (verifier, "verifier")):
            for both in pairs(store, run_id).values():
                first, second = both[1], both[2]
                assert second.parent_id == first.id  # type: ignore[attr-defined]
                fb = second.feedback  # type: ignore[attr-defined]
                if mode == "generic":
                    assert fb == GENERIC_FEEDBACK
                elif first.success:  # type: ignore[attr-defined]
                    assert fb == ACCEPTED
                else:
                    assert fb.startswith(REJECTED)


def test_metrics_equal_a_recount_of_the_stored_pairs(runs: tuple[Path, str, str]) -> None:
    db, generic, verifier = runs
    with Store(db) as store:
        for run_id in (generic, verifier):
            metrics = {m.policy: m for m in two_attempt_metrics(store, run_id)}
            recount: dict[str, list[tuple[bool, bool]]] = {}
            for (_, policy, _), both in pairs(store, run_id).items():
                a, b = both[1].success, both[2].success  # type: ignore[attr-defined]
                recount.setdefault(policy, []).append((bool(a), bool(b)))
            assert set(metrics) == set(recount)
            for policy, outcomes in recount.items():
                m, n = metrics[policy], len(outcomes)
                assert m.pairs == n
                assert m.acc_t1 == pytest.approx(sum(a for a, _ in outcomes) / n)
                assert m.acc_t2 == pytest.approx(sum(b for _, b in outcomes) / n)
                assert m.delta_i_to_c == pytest.approx(sum(b and not a for a, b in outcomes) / n)
                assert m.delta_c_to_i == pytest.approx(sum(a and not b for a, b in outcomes) / n)
                assert m.delta == pytest.approx(m.delta_i_to_c - m.delta_c_to_i)


def test_behaviour_under_each_feedback(runs: tuple[Path, str, str]) -> None:
    db, generic, verifier = runs
    with Store(db) as store:
        g = {m.policy: m for m in two_attempt_metrics(store, generic)}
        v = {m.policy: m for m in two_attempt_metrics(store, verifier)}
    assert g["scripted:oracle"].acc_t1 == g["scripted:oracle"].acc_t2 == 1.0
    # generic "there might be an error": the overcorrector breaks answers that were right
    assert g["scripted:overcorrector"].delta_c_to_i > 0
    # the verifier's verdict: correct answers are kept, rejected ones get fixed
    for policy in ("scripted:overcorrector", "scripted:hallucinator"):
        assert v[policy].delta_c_to_i == 0
        assert v[policy].delta_i_to_c > 0


def test_second_attempts_replay_identically(runs: tuple[Path, str, str]) -> None:
    db, generic, _ = runs
    with Store(db) as store:
        seconds = [both[2] for both in pairs(store, generic).values()]
        for ep in seconds[:40]:
            result = replay_sync(store, ep.id)  # type: ignore[attr-defined]
            assert result.identical, result.differences[:3]


def test_cli_two_attempt_protocol(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LIGHTCLAW_HOME", str(tmp_path))
    argv = ["eval", "--protocol", "two-attempt", "--policy", "scripted:overcorrector",
            "--out", str(tmp_path / "r")]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "acc@t1" in printed and "Δc→i" in printed
    report = EvalReport.model_validate_json((tmp_path / "r" / "report.json").read_text())
    (m,) = report.two_attempt
    assert m.policy == "scripted:overcorrector" and m.pairs == 59
    assert main(["eval", report.run.id, "--protocol", "two-attempt"]) == 2
    assert main(["eval"]) == 2
    err = capsys.readouterr().err
    assert "RUN" in err


def test_unknown_reward_weight_is_exit_2_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LIGHTCLAW_HOME", str(tmp_path))
    config = tmp_path / "reward.toml"
    config.write_text("[reward.weights]\ntask_success = 1.0\nvibes = 0.5\n")
    argv = ["collect", "--policy", "scripted:oracle", "--reward-config", str(config)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "vibes" in err and "task_success" in err
    with Store() as store:
        assert store.list_runs() == []


def test_second_attempt_steps_continue_the_numbering_and_flag_over_corrections(
    runs: tuple[Path, str, str],
) -> None:
    from lightclaw.schema import SelfCorrection

    db, generic, _ = runs
    flagged = 0
    with Store(db) as store:
        for both in pairs(store, generic).values():
            first, second = both[1], both[2]
            indices = [s.index for s in second.steps]  # type: ignore[attr-defined]
            assert indices[0] == len(first.steps)  # type: ignore[attr-defined]
            for step in second.steps:  # type: ignore[attr-defined]
                explicit = [a for a in step.actions if isinstance(a, SelfCorrection)]
                for action in explicit:
                    assert step.correction_of == action.corrects_step < indices[0]
                    flagged += bool(step.over_correction)
    assert flagged > 0  # the overcorrector's prompted revisions of right calls
