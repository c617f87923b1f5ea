"""lightclaw.rewards: the TRL reward functions and verl's compute_score give the stored reward."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lightclaw.errors import UserError
from lightclaw.export.conversation import to_messages
from lightclaw.export.grpo import GrpoExport, GrpoRow, grpo_row
from lightclaw.export.pool import Pool, Selection, select
from lightclaw.rewards import (
    COMPONENTS,
    GroundTruth,
    component_reward,
    compute_score,
    lightclaw_reward,
    make_lightclaw_reward,
    score_completion,
)
from lightclaw.schema import Episode, Task, ToolCall, effective
from lightclaw.store import Store
from lightclaw.suites.loader import get_suite
from lightclaw.verify.reward import DEFAULT_WEIGHTS

Msg = dict[str, Any]
ROW_ONLY = ("prompt",)  # TRL passes every column but the prompt to reward functions


@pytest.fixture(scope="module")
def demo(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every episode of the demo's single-attempt run (all seven personas, core suite), with
    the GRPO row of its task: as ``lightclaw export --formats grpo`` wrote it, or -- for the
    tasks that export skips (they need a simulated user) -- as its row builder makes it."""
    out = tmp_path_factory.mktemp("grpo_rewards")
    with Store(demo_db, readonly=True) as store:
        run_id = store.list_runs()[-1].id  # the oldest: one attempt per job
        pool = Pool(store)
        grpo = GrpoExport(out, pool)
        for episode in select(store, Selection(runs=[run_id], dedupe=False), pool=pool):
            grpo.add(episode)
        grpo.close()
        episodes = list(store.iter_episodes(run_id))
        rows = {
            row["task_id"]: row
            for line in (out / "grpo" / "train.jsonl").read_text(encoding="utf-8").splitlines()
            for row in [json.loads(line)]
        }
        built = 0
        for episode in episodes:
            if episode.task_id not in rows:
                task = pool.task(episode)
                assert task is not None and task.user is not None
                row = GrpoRow.model_validate(grpo_row(episode, pool, task, "train"))
                rows[episode.task_id] = row.model_dump(mode="json")
                built += 1
    return {"episodes": episodes, "rows": rows, "built": built}


def completion(episode: Episode) -> list[Msg]:
    """The conversation after the prompt, as TRL would hand it to a reward function."""
    return to_messages(episode)[len(to_messages(episode, upto=0)) :]


def columns(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Rows as TRL passes dataset columns: one list per column, the prompt left out."""
    return {key: [row[key] for row in rows] for key in rows[0] if key not in ROW_ONLY}


def test_the_reward_function_gives_every_stored_episode_its_stored_reward(
    demo: dict[str, Any],
) -> None:
    episodes: list[Episode] = demo["episodes"]
    assert {e.policy for e in episodes} == {
        f"scripted:{p}"
        for p in ("oracle", "sloppy", "stubborn", "overcorrector", "slow", "hallucinator", "flaky")
    }
    assert demo["built"] > 0  # the simulated-user tasks are covered too
    completions = [completion(e) for e in episodes]
    cols = columns([demo["rows"][e.task_id] for e in episodes])
    assert lightclaw_reward(completions, **cols) == [e.reward for e in episodes]
    for name in COMPONENTS:
        got = component_reward(name)(completions, **cols)
        assert got == [e.reward_components[name] for e in episodes], name
    # the data is varied: runtime errors, corrections, failures, model errors, max_steps
    outcomes = {e.outcome for e in episodes}
    assert {"final_answer", "max_steps", "model_error"} <= outcomes
    assert len({e.reward for e in episodes}) > 20


def test_the_stored_judgement_is_reproduced(demo: dict[str, Any]) -> None:
    checked = 0
    for episode in demo["episodes"]:
        truth = GrpoRow.model_validate(demo["rows"][episode.task_id]).ground_truth()
        reward = score_completion(completion(episode), truth)
        assert episode.judgement is not None
        stored = episode.judgement.verdict  # the message may list arguments in another order
        assert reward.verdict.model_dump(exclude={"message"}) == stored.model_dump(
            exclude={"message"}
        ), episode.id
        assert [c.correct for c in reward.judgement.calls] == [
            c.correct for c in episode.judgement.calls
        ]
        checked += 1
    assert checked == len(demo["episodes"])


def test_component_functions_are_the_stored_components_by_name() -> None:
    assert {component_reward(name).__name__ for name in COMPONENTS} == {
        f"{name}_reward" for name in COMPONENTS
    }
    with pytest.raises(UserError, match="unknown reward component"):
        component_reward("format")


def oracle_call(task: Task) -> ToolCall:
    first = effective(task.oracle[0][0])
    assert isinstance(first, ToolCall)
    return first


def call_completion(tool: str, arguments: dict[str, Any]) -> list[Msg]:
    call = {"type": "function", "function": {"name": tool, "arguments": arguments}}
    return [{"role": "assistant", "content": "", "tool_calls": [call]}]


@pytest.fixture(scope="module")
def weekday() -> Task:
    return next(t for t in get_suite("core").tasks if t.id == "date-weekday-july-fourth")


def test_a_trl_completion_is_run_and_judged(weekday: Task) -> None:
    truth = GroundTruth.from_task(weekday)
    call = oracle_call(weekday)
    tool_result = {"role": "tool", "name": call.tool, "content": "Saturday"}
    answered = [*call_completion(call.tool, call.arguments), tool_result]
    answered.append({"role": "assistant", "content": "It is a Saturday."})
    wrong = [*call_completion(call.tool, {"date": "2026-07-05"}), tool_result]
    wrong.append({"role": "assistant", "content": "It is a Sunday."})
    stopped = call_completion(call.tool, call.arguments)  # no answer: the completion ended
    cols = {"ground_truth": [truth.model_dump_json()] * 3}
    success = component_reward("task_success")([answered, wrong, stopped], **cols)
    assert success == [1.0, 0.0, 0.0]
    arguments = component_reward("argument_correctness")([answered, wrong, stopped], **cols)
    assert arguments == [1.0, 0.0, 1.0]
    # the two-step episode: latency -(2 - 1) / max_steps, tool choice 1, arguments 1
    expected = 1.0 + 0.1 + 0.1 + DEFAULT_WEIGHTS["latency_proxy"] * -(1 / weekday.max_steps)
    assert lightclaw_reward([answered], ground_truth=cols["ground_truth"][:1]) == [
        pytest.approx(expected)
    ]
    ended = score_completion(stopped, truth)
    assert ended.verdict.error_type == "model_error"
    assert ended.components["recovery"] == 0.0  # the runtime recorded the stop as an error


def test_text_turns_become_answers_questions_or_unparseable_output(weekday: Task) -> None:
    truth = GroundTruth.from_task(weekday)
    broken = [
        {"role": "assistant", "content": '{"kind": "tool_call", "tool": "weekday_of", "argum'},
        {"role": "user", "content": "invalid_format: could not parse JSON"},
        {"role": "assistant", "content": "Saturday."},
    ]
    reward = score_completion(broken, truth)
    assert reward.judgement.steps[0].correct is None  # nothing parsed: invalid_format
    assert reward.components["task_success"] == 0.0  # the expected call was never made
    assert reward.judgement.answer is True  # but the prose answer was read as the answer
    json_action = [{"role": "assistant", "content": json.dumps({"final_answer": "Saturday"})}]
    assert score_completion(json_action, truth).judgement.answer is True


def test_tool_call_tags_and_thinking_in_a_string(weekday: Task) -> None:
    truth = GroundTruth.from_task(weekday)
    call = oracle_call(weekday)
    body = json.dumps({"name": call.tool, "arguments": call.arguments})
    tagged = score_completion(
        f"<think>use {{the}} tool</think>\n<tool_call>\n{body}\n</tool_call>", truth
    )
    assert tagged.components["argument_correctness"] == 1.0
    broken = score_completion("<tool_call>\n{not json}\n</tool_call>", truth)
    assert broken.components["argument_correctness"] == 0.0
    assert broken.judgement.verdict.error_type == "model_error"


def test_custom_weights_override_the_rows(weekday: Task) -> None:
    truth = GroundTruth.from_task(weekday, reward_weights={"latency_proxy": 0.0})
    call = oracle_call(weekday)
    completion_ = [*call_completion(call.tool, call.arguments)]
    completion_.append({"role": "tool", "name": call.tool, "content": "Saturday"})
    completion_.append({"role": "assistant", "content": "Saturday"})
    gt = [truth.model_dump_json()]
    assert lightclaw_reward([completion_], ground_truth=gt) == [pytest.approx(1.2)]
    only_success = make_lightclaw_reward({"tool_correctness": 0, "argument_correctness": 0})
    assert only_success([completion_], ground_truth=gt) == [pytest.approx(1.0)]
    with pytest.raises(UserError, match="unknown reward component"):
        make_lightclaw_reward({"speed": 1.0})


def test_ground_truth_column_and_missing_columns(weekday: Task) -> None:
    call = oracle_call(weekday)
    gt = GroundTruth.from_task(weekday).model_dump_json()
    done = [call_completion(call.tool, call.arguments)]
    argument = component_reward("argument_correctness")
    assert argument(done, ground_truth=[gt]) == [1.0]
    with pytest.raises(UserError, match="ground-truth columns"):
        argument(done, prompts=[[]], completion_ids=[[1]])
    with pytest.raises(UserError, match="one value per completion"):
        argument(done, ground_truth=[gt, gt])
    with pytest.raises(UserError, match="invalid LightClaw ground truth"):
        argument(done, ground_truth=[json.dumps({"task_id": "x"})])


def test_compute_score_is_verls_scorer(weekday: Task) -> None:
    truth = GroundTruth.from_task(weekday)
    call = oracle_call(weekday)
    gt = truth.model_dump_json()
    good = (
        "<tool_call>"
        + json.dumps({"name": call.tool, "arguments": call.arguments})
        + "</tool_call>"
    )
    assert compute_score("lightclaw/core", good, gt, {"split": "train", "index": 0}) == (
        score_completion(good, truth).scalar
    )
    answer = compute_score("lightclaw/core", f"It is {weekday.expected_answer}.", gt)
    assert answer == score_completion(f"It is {weekday.expected_answer}.", truth).scalar
    assert answer < compute_score("lightclaw/core", good, gt) + 1.0
    with pytest.raises(UserError, match="lightclaw/"):
        compute_score("openai/gsm8k", good, gt)


def test_a_failing_task_verifier_is_no_reward() -> None:
    truth = GroundTruth(
        task_id="checked", tools=["weekday_of"], answer_match="python", verifier="nosuch:check"
    )
    done = [{"role": "assistant", "content": "Saturday"}]
    assert lightclaw_reward([done], ground_truth=[truth.model_dump_json()]) == [None]
    assert score_completion(done, truth).verdict.verifier_error is not None
    with pytest.raises(UserError, match="not scored"):
        compute_score("lightclaw/core", "Saturday", truth.model_dump_json())
