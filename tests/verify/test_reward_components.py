"""Reward components (SPEC §4): each applicable and not; scalar, weights, per-step rewards."""

from __future__ import annotations

import pytest
from reward_builders import answer, make_episode, make_task, step, tool

from lightclaw.errors import UserError
from lightclaw.policies.personas import PERSONAS
from lightclaw.runtime import run_episode_sync
from lightclaw.schema import Episode, ErrorType, GuiClick, SelfCorrection
from lightclaw.suites.loader import get_suite
from lightclaw.verify import Verdict, judge_episode
from lightclaw.verify.ground_truth import judge
from lightclaw.verify.reward import (
    COMPONENTS,
    DEFAULT_WEIGHTS,
    STEP_COMPONENTS,
    assess,
    resolve_weights,
    score,
)

GOOD = tool("convert", value=42, unit="km")
BAD = tool("convert", value=43, unit="km")
AUX = tool("calculate", expression="26.1 * 1")


def clean_episode() -> Episode:
    return make_episode(step(0, GOOD), step(1, AUX), answer(2, "about 26.1"))


def test_clean_success_components() -> None:
    reward = score(make_task(), clean_episode())
    assert reward.verdict.success
    assert reward.components == {
        "task_success": 1.0,
        "tool_correctness": 0.5,  # calculate is not a tool of an expected call
        "argument_correctness": 1.0,
        "recovery": None,  # no runtime error
        "gui_hit": None,  # a tool task
        "policy_penalty": -0.0,
        "redundancy_penalty": -0.0,
        "latency_proxy": -0.2,  # 3 steps of at most 10
    }
    assert list(reward.components) == list(COMPONENTS)


def test_failure_scores_task_success_zero() -> None:
    episode = make_episode(step(0, GOOD), answer(1, "40"))
    reward = score(make_task(), episode)
    assert reward.components["task_success"] == 0.0
    assert reward.verdict.error_type == ErrorType.WRONG_ANSWER


def test_tool_and_argument_correctness_count_calls_and_expected_calls() -> None:
    episode = make_episode(step(0, tool("lookup", q="km"), BAD), step(1, GOOD), answer(2, "26.1"))
    parts = score(make_task(), episode).components
    assert parts["tool_correctness"] == pytest.approx(2 / 3)
    assert parts["argument_correctness"] == 1.0
    wrong_only = make_episode(step(0, BAD), answer(1, "26.1"))
    assert score(make_task(), wrong_only).components["argument_correctness"] == 0.0


def test_argument_correctness_ignores_execution_status_like_bfcl() -> None:
    episode = make_episode(step(0, GOOD, errors={0: ErrorType.TIMEOUT}), answer(1, "26.1"))
    reward = score(make_task(), episode)
    assert reward.components["argument_correctness"] == 1.0
    assert reward.components["task_success"] == 0.0  # the judge needs the call to succeed


def test_call_components_not_applicable_without_expected_calls_or_calls() -> None:
    no_expected = score(make_task(expected_calls=[]), clean_episode()).components
    assert no_expected["tool_correctness"] is None
    assert no_expected["argument_correctness"] is None
    assert no_expected["policy_penalty"] == 0.0  # calls were made
    no_calls = score(make_task(expected_calls=[]), make_episode(answer(0, "26.1"))).components
    assert no_calls["tool_correctness"] is None
    assert no_calls["policy_penalty"] is None
    assert no_calls["redundancy_penalty"] is None
    assert no_calls["latency_proxy"] == 0.0
    # expected calls but none made: nothing matched, yet no call to grade
    missing = score(make_task(), make_episode(answer(0, "26.1"))).components
    assert missing["argument_correctness"] == 0.0
    assert missing["tool_correctness"] is None


def test_recovery_both_ways_and_not_applicable() -> None:
    task = make_task()
    recovered = make_episode(
        step(0, BAD, errors={0: ErrorType.WRONG_ARGS}),
        step(1, GOOD, correction_of=0),
        answer(2, "26.1"),
    )
    assert score(task, recovered).components["recovery"] == 1.0
    failed = make_episode(step(0, BAD, errors={0: ErrorType.TOOL_ERROR}), answer(1, "26.1"))
    assert score(task, failed).components["recovery"] == 0.0
    assert score(task, clean_episode()).components["recovery"] is None


def test_gui_hit_only_on_gui_tasks() -> None:
    click = GuiClick(x=3, y=4)
    episode = make_episode(
        step(0, click, error_type=ErrorType.GUI_MISS, screenshot="s0.png"),
        step(1, click, screenshot="s1.png"),
        step(2, click, screenshot="s2.png"),
        answer(3, "26.1"),
    )
    task = make_task(expected_calls=[], tags=["gui"])
    reward = score(task, episode)
    assert reward.components["gui_hit"] == pytest.approx(2 / 3)
    assert [parts["gui_hit"] for parts in reward.step_components] == [0.0, 1.0, 1.0, None]
    tool_task = make_task()
    tool_episode = make_episode(step(0, click, error_type=ErrorType.GUI_MISS), answer(1, "1"))
    assert score(tool_task, tool_episode).components["gui_hit"] is None


def test_policy_and_redundancy_penalties() -> None:
    episode = make_episode(
        step(0, GOOD, tool("lookup", q="x"), errors={1: ErrorType.POLICY_BLOCKED}),
        step(1, GOOD, errors={0: ErrorType.REDUNDANT_CALL}),
        step(2, AUX),
        answer(3, "26.1"),
    )
    parts = score(make_task(), episode).components
    assert parts["policy_penalty"] == pytest.approx(-1 / 4)
    assert parts["redundancy_penalty"] == pytest.approx(-1 / 4)


def test_latency_proxy_is_bounded_by_max_steps() -> None:
    task = make_task(max_steps=4)
    long = make_episode(*[step(i, AUX) for i in range(3)], answer(3, "26.1"))
    assert score(task, long).components["latency_proxy"] == pytest.approx(-3 / 4)
    assert score(task, make_episode(answer(0, "26.1"))).components["latency_proxy"] == 0.0


def test_scalar_is_the_weighted_sum_of_present_components() -> None:
    reward = score(make_task(), clean_episode())
    expected = sum(
        DEFAULT_WEIGHTS[name] * value
        for name, value in reward.components.items()
        if value is not None
    )
    assert reward.scalar == pytest.approx(expected)
    only_success = {name: 0.0 for name in COMPONENTS} | {"task_success": 2.0}
    assert score(make_task(), clean_episode(), only_success).scalar == 2.0


def test_partial_weights_keep_defaults_and_unknown_names_are_user_errors() -> None:
    weights = resolve_weights({"latency_proxy": 0.0})
    assert weights["latency_proxy"] == 0.0
    assert weights["task_success"] == DEFAULT_WEIGHTS["task_success"]
    with pytest.raises(UserError, match=r"'speed'.*task_success"):
        score(make_task(), clean_episode(), {"speed": 1.0})
    with pytest.raises(UserError, match="must be a number"):
        resolve_weights({"recovery": True})


def test_default_weights_rank_every_success_above_every_failure() -> None:
    others = sum(abs(w) for name, w in DEFAULT_WEIGHTS.items() if name != "task_success")
    assert others < DEFAULT_WEIGHTS["task_success"]
    worst_success = make_episode(
        step(0, tool("lookup", q="x"), errors={0: ErrorType.POLICY_BLOCKED}),
        step(1, GOOD),
        step(2, GOOD, errors={0: ErrorType.REDUNDANT_CALL}),
        *[step(i, AUX) for i in range(3, 9)],
        answer(9, "26.1"),
    )
    best_failure = make_episode(step(0, GOOD), answer(1, "99"))
    low, high = score(make_task(), worst_success), score(make_task(), best_failure)
    assert low.verdict.success and not high.verdict.success
    assert low.scalar is not None and high.scalar is not None
    assert low.scalar > high.scalar


def test_step_rewards_per_step_and_none_where_nothing_applies() -> None:
    fix = SelfCorrection(corrects_step=0, reason="r", revised=BAD)
    episode = make_episode(step(0, GOOD), step(1, fix, correction_of=0), answer(2, "26.1"))
    reward = score(make_task(), episode)
    assert all(set(parts) == set(STEP_COMPONENTS) for parts in reward.step_components)
    first, second, last = reward.step_components
    assert first["argument_correctness"] == 1.0 and second["argument_correctness"] == 0.0
    assert first["tool_correctness"] == 1.0
    assert last == dict.fromkeys(STEP_COMPONENTS)
    good, bad, final = reward.step_rewards
    assert good is not None and bad is not None and good > bad
    assert final is None


def test_verifier_failure_is_not_scored() -> None:
    task = make_task(expected_answer="([", answer_match="regex")
    reward = score(task, clean_episode())
    assert reward.verdict.verifier_error is not None
    assert reward.components["task_success"] is None
    assert reward.scalar is None
    assert reward.components["argument_correctness"] == 1.0  # other components still measured


def test_score_reuses_a_given_judgement() -> None:
    task, episode = make_task(), clean_episode()
    judgement = judge_episode(task, episode)
    reward = score(task, episode, judgement=judgement)
    assert reward.judgement is judgement and reward.verdict is judgement.verdict
    assert reward == score(task, episode)  # judging again gives the same reward


def test_components_are_read_off_the_judgement() -> None:
    # the components are a function of the judgement (and runtime facts): a judgement that
    # says otherwise changes them, so nothing was judged again inside score()
    task, episode = make_task(), clean_episode()
    judgement = judge_episode(task, episode)
    failed = judgement.model_copy(
        update={"verdict": Verdict(success=False, message="forced"), "calls": []}
    )
    reward = score(task, episode, judgement=failed)
    assert reward.components["task_success"] == 0.0
    assert reward.components["argument_correctness"] == 0.0
    assert score(task, episode).components["task_success"] == 1.0


def test_assess_stores_the_judgement_on_the_record() -> None:
    task = make_task()
    fix = SelfCorrection(corrects_step=0, reason="r", revised=tool("convert", value=43, unit="km"))
    episode = make_episode(
        step(0, tool("convert", value=42, unit="km")),
        step(1, fix, correction_of=0),
        answer(2, "26.1"),
    )
    reward = assess(task, episode)
    assert episode.judgement == reward.judgement == judge_episode(task, episode)
    assert episode.reward == reward.scalar and episode.success is True  # step 0 did the job
    assert [s.judged_correct for s in episode.steps] == [True, False, True]
    assert [s.over_correction for s in episode.steps] == [None, True, None]
    assert [s.correction_ok for s in episode.steps] == [None, False, None]
    assert [s.reward for s in episode.steps] == reward.step_rewards


def test_rewards_on_real_persona_episodes() -> None:
    suite = get_suite("core")
    registry = suite.registry_factory()
    scalars: dict[str, list[float]] = {}
    for persona in ("oracle", "overcorrector", "stubborn"):
        for task in suite.tasks[:12]:
            episode = run_episode_sync(task, PERSONAS[persona](task, 0, 0), registry, seed=0)
            reward = score(task, episode)
            assert set(reward.components) == set(COMPONENTS)
            assert len(reward.step_rewards) == len(episode.steps)
            assert reward.scalar is not None
            assert reward.components["task_success"] == float(judge(task, episode).success)
            scalars.setdefault(persona, []).append(reward.scalar)
    mean = {name: sum(values) / len(values) for name, values in scalars.items()}
    assert mean["oracle"] > mean["overcorrector"]
    assert mean["oracle"] > mean["stubborn"]
