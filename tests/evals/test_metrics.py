"""compute_metrics on stores of hand-built episodes whose counts are known."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lightclaw.errors import UnknownChoiceError, UserError
from lightclaw.evals.metrics import GroupMetrics, compute_metrics
from lightclaw.schema import CallRecord, Episode, FinalAnswer, RawOutput, Run, Step, ToolCall
from lightclaw.schema.errors import ErrorType
from lightclaw.store import Store
from lightclaw.verify.corrections import relabel

# A step spec: (error type or None, number of tool calls, correction_of).
Spec = tuple[str | None, int, int | None]
T0 = datetime(2025, 5, 1, tzinfo=UTC)


def make_step(index: int, error: str | None, n_calls: int, correction_of: int | None) -> Step:
    calls = [
        CallRecord(
            index=i,
            call_id=f"c{index}_{i}",
            tool="search",
            arguments={"q": i},
            status="error" if error is not None and i == 0 else "ok",
            error_type=ErrorType(error) if error is not None and i == 0 else None,
        )
        for i in range(n_calls)
    ]
    actions = [ToolCall(tool="search", arguments={"q": i}) for i in range(n_calls)] or [
        FinalAnswer(content="done")
    ]
    return Step(
        index=index,
        observation=[],
        raw_output=RawOutput(text="..."),
        actions=[] if error == "invalid_format" else actions,
        calls=calls,
        error_type=None if error is None else ErrorType(error),
        correction_of=correction_of,
    )


def make_episode(
    ep_id: str,
    run_id: str,
    specs: list[Spec],
    success: bool | None,
    *,
    task: str | None = None,
    trial: int = 0,
    policy: str = "p1",
    suite: str = "s1",
) -> Episode:
    episode = Episode(
        id=ep_id,
        run_id=run_id,
        task_id=task or ep_id,
        suite=suite,
        policy=policy,
        trial=trial,
        seed=0,
        outcome="final_answer",
        steps=[make_step(i, *spec) for i, spec in enumerate(specs)],
        success=success,
        started_at=T0,
    )
    return relabel(episode)  # the correction labels the judge gives these recorded verdicts


def make_run(run_id: str, source: str = "deterministic") -> Run:
    return Run.model_validate(
        {"id": run_id, "created": T0, "source": source, "suite": "s1", "policy": "p1",
         "config": {"suite": "s1"}, "code_version": "test"}
    )  # fmt: skip


OK, FINAL = (None, 1, None), (None, 0, None)

# Run "det": five episodes of policy p1 with these known counts:
#   steps 2+3+3+2+4 = 14, tool steps 1+2+1+1+3 = 8 (failed: wrong_args, tool_error, timeout,
#   unknown_tool -> 4/8 ok), invalid_format 2/14, wrong_args 1/8, judged 4 (success 2), unjudged 1,
#   runtime-error episodes judged: ep2 (ok), ep3 (fail), ep5 (fail) -> recovery 1/3,
#   feedback events (error steps that are not last): ep2 s0, ep3 s0, ep3 s1, ep5 s0, ep5 s1 = 5,
#   followed by a correction (a later step's correction_of names it): ep2 s0, ep5 s0 = 2,
#   corrections 2: ep2 s1 ran, cannot be judged on its own and ep2 succeeded (recovers);
#   ep5 s1 failed at runtime (does not) -> recovery success 1/2; over-corrections 0/2.
DET = [
    make_episode("ep1", "det", [OK, FINAL], True),
    make_episode("ep2", "det", [("wrong_args", 1, None), (None, 1, 0), FINAL], True),
    make_episode(
        "ep3",
        "det",
        [("invalid_format", 0, None), ("invalid_format", 0, None), ("tool_error", 1, None)],
        False,
    ),
    make_episode("ep4", "det", [(None, 2, None), FINAL], None),
    make_episode(
        "ep5",
        "det",
        [("timeout", 2, None), ("unknown_tool", 1, 0), (None, 1, None), FINAL],
        False,
    ),
]
# Run "live": same suite and policy, another source; one clean episode.
LIVE = [make_episode("ep6", "live", [OK, OK, FINAL], True)]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "lc.db") as s:
        s.create_run(make_run("det"))
        s.create_run(make_run("live", "live"))
        s.add_episodes(DET + LIVE)
        yield s


def _only(groups: list[GroupMetrics], source: str) -> GroupMetrics:
    (group,) = [g for g in groups if g.source == source]
    return group


def test_counts_of_a_hand_built_run(store: Store) -> None:
    report = compute_metrics(store, ["det", "live"])
    assert [(g.suite, g.policy, g.source) for g in report.groups] == [
        ("s1", "p1", "deterministic"),
        ("s1", "p1", "live"),
    ]
    g = _only(report.groups, "deterministic")
    assert (g.episodes, g.judged, g.unjudged, g.steps, g.tool_steps) == (5, 4, 1, 14, 8)
    got = {
        name: (rate.numerator, rate.denominator)
        for name, rate in [
            ("task_success", g.task_success_rate),
            ("tool_execution_success", g.tool_execution_success_rate),
            ("invalid_format", g.invalid_format_rate),
            ("wrong_args", g.wrong_args_rate),
            ("recovery", g.recovery_rate),
            ("correction_attempt", g.correction_attempt_rate),
            ("recovery_success", g.recovery_success_rate),
            ("over_correction", g.over_correction_rate),
        ]
    }
    assert got == {
        "task_success": (2, 4),
        "tool_execution_success": (4, 8),
        "invalid_format": (2, 14),
        "wrong_args": (1, 8),
        "recovery": (1, 3),
        "correction_attempt": (2, 5),
        "recovery_success": (1, 2),
        "over_correction": (0, 2),
    }
    assert g.step_errors == {
        "invalid_format": 2,
        "timeout": 1,
        "tool_error": 1,
        "unknown_tool": 1,
        "wrong_args": 1,
    }
    assert g.task_success_rate.value == pytest.approx(0.5)
    rate = g.recovery_rate
    assert rate.ci_low is not None and rate.ci_high is not None
    assert rate.ci_low <= 1 / 3 <= rate.ci_high


def test_sources_are_never_mixed_and_empty_denominators_are_null(store: Store) -> None:
    live = _only(compute_metrics(store, ["det", "live"]).groups, "live")
    assert (live.episodes, live.steps, live.tool_steps) == (1, 3, 2)
    assert live.tool_execution_success_rate.value == 1.0
    for rate in (live.recovery_rate, live.correction_attempt_rate):
        assert (rate.value, rate.numerator, rate.denominator) == (None, 0, 0)
        assert (rate.ci_low, rate.ci_high) == (None, None)


def test_only_the_requested_runs_count(store: Store) -> None:
    report = compute_metrics(store, ["live"])
    assert report.run_ids == ["live"]
    assert [g.episodes for g in report.groups] == [1]


def test_group_by_run_and_policy(tmp_path: Path) -> None:
    with Store(tmp_path / "lc.db") as s:
        s.create_run(make_run("a"))
        s.create_run(make_run("b"))
        s.add_episodes(
            [
                make_episode("e1", "a", [OK, FINAL], True, policy="p1"),
                make_episode("e2", "a", [OK, FINAL], False, policy="p2"),
                make_episode("e3", "b", [OK, FINAL], False, policy="p1"),
            ]
        )
        by_run = compute_metrics(s, ["a", "b"], group_by=("run",))
        assert [(g.run_id, g.source, g.policy, g.episodes) for g in by_run.groups] == [
            ("a", None, None, 2),
            ("b", None, None, 1),
        ]
        by_policy = compute_metrics(s, ["a", "b"], group_by=("policy", "source"))
        assert [(g.policy, g.task_success_rate.numerator) for g in by_policy.groups] == [
            ("p1", 1),
            ("p2", 0),
        ]
        assert by_policy.group_by == ["policy", "source"]


def test_pass_k_over_trials_of_each_task(tmp_path: Path) -> None:
    """t1 succeeds 2 of 3 trials, t2 0 of 3 (a 4th trial is unjudged), t3 3 of 3."""
    outcomes = {"t1": [True, True, False], "t2": [False, False, False, None], "t3": [True] * 3}
    with Store(tmp_path / "lc.db") as s:
        s.create_run(make_run("r"))
        s.add_episodes(
            [
                make_episode(f"{task}-{trial}", "r", [FINAL], ok, task=task, trial=trial)
                for task, oks in outcomes.items()
                for trial, ok in enumerate(oks)
            ]
        )
        (group,) = compute_metrics(s, ["r"]).groups
    assert group.unjudged == 1
    assert [p.k for p in group.pass_k] == [1, 2, 3]
    assert {p.tasks for p in group.pass_k} == {3}
    k1, k2, k3 = group.pass_k
    assert k1.pass_at_k == pytest.approx((2 / 3 + 0 + 1) / 3)
    assert k1.pass_hat_k == pytest.approx((2 / 3 + 0 + 1) / 3)
    assert k2.pass_at_k == pytest.approx((1 + 0 + 1) / 3)  # t1: 1 - C(1,2)/C(3,2) = 1
    assert k2.pass_hat_k == pytest.approx((1 / 3 + 0 + 1) / 3)  # t1: C(2,2)/C(3,2)
    assert k3.pass_at_k == pytest.approx((1 + 0 + 1) / 3)
    assert k3.pass_hat_k == pytest.approx((0 + 0 + 1) / 3)


def test_unjudged_only_group_has_null_rates(tmp_path: Path) -> None:
    with Store(tmp_path / "lc.db") as s:
        s.create_run(make_run("r"))
        s.add_episodes([make_episode("e", "r", [("wrong_args", 1, None), FINAL], None)])
        (g,) = compute_metrics(s, ["r"]).groups
    assert (g.episodes, g.judged, g.unjudged) == (1, 0, 1)
    assert g.task_success_rate.value is None
    assert g.recovery_rate.value is None  # the erroring episode was never judged
    assert g.pass_k == []
    assert g.wrong_args_rate.value == 1.0
    assert (g.correction_attempt_rate.numerator, g.correction_attempt_rate.denominator) == (0, 1)


def test_bad_arguments_are_user_errors(store: Store) -> None:
    with pytest.raises(UnknownChoiceError, match="nope"):
        compute_metrics(store, ["det", "nope"])
    with pytest.raises(UserError, match="source"):
        compute_metrics(store, ["det"], group_by=("suite", "policy"))
    with pytest.raises(UnknownChoiceError, match="colour"):
        compute_metrics(store, ["det"], group_by=("colour", "source"))


def test_no_runs_and_report_round_trip(store: Store) -> None:
    assert compute_metrics(store, []).groups == []
    report = compute_metrics(store, ["det", "live"], n_resamples=200, seed=5)
    assert type(report).model_validate_json(report.model_dump_json()) == report
    again = compute_metrics(store, ["live", "det"], n_resamples=200, seed=5)
    assert again == report  # order of run ids and repeated computation do not matter
