"""lightclaw.rewards: TRL reward functions and verl's compute_score on real completions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lightclaw.errors import UserError
from lightclaw.export.conversation import assistant_message, to_messages
from lightclaw.rewards import (
    DEFAULT_WEIGHTS,
    GroundTruth,
    answer_reward,
    argument_reward,
    compute_score,
    format_reward,
    lightclaw_reward,
    make_lightclaw_reward,
    score_completion,
    tool_choice_reward,
)
from lightclaw.schema import Episode, Task, ToolCall, effective
from lightclaw.store import Store
from lightclaw.suites.loader import get_suite

Msg = dict[str, Any]


@pytest.fixture(scope="module")
def episodes(demo_db: Path) -> list[Episode]:
    """Attempt-1 episodes of every persona on the core suite (the shared export store)."""
    with Store(demo_db, readonly=True) as store:
        run_id = store.list_runs()[-1].id  # the oldest: one attempt per job
        return [e for e in store.iter_episodes(run_id) if e.attempt == 1]


@pytest.fixture(scope="module")
def tasks() -> dict[str, Task]:
    return {task.id: task for task in get_suite("core").tasks}


def columns(truths: list[GroundTruth]) -> dict[str, list[Any]]:
    """Ground truth as TRL passes dataset columns: one list per column."""
    rows = [json.loads(t.model_dump_json()) for t in truths]
    return {key: [row[key] for row in rows] for key in rows[0]}


def first_turn(episode: Episode) -> list[Msg]:
    message = assistant_message(episode.steps[0])
    assert message is not None
    return [message]


def call_completion(tool: str, arguments: dict[str, Any]) -> list[Msg]:
    call = {"type": "function", "function": {"name": tool, "arguments": arguments}}
    return [{"role": "assistant", "tool_calls": [call]}]


def oracle_call(task: Task) -> ToolCall:
    first = effective(task.oracle[0][0])
    assert isinstance(first, ToolCall)
    return first


def test_oracle_first_turns_score_full_marks(
    episodes: list[Episode], tasks: dict[str, Task]
) -> None:
    oracle = [
        e
        for e in episodes
        if e.policy == "scripted:oracle"
        and tasks[e.task_id].expected_calls
        and e.steps[0].calls  # tasks that start by asking the user have no call to score
    ]
    assert len(oracle) > 30
    completions = [first_turn(e) for e in oracle]
    cols = columns([GroundTruth.from_task(tasks[e.task_id]) for e in oracle])
    assert format_reward(completions, **cols) == [1.0] * len(oracle)
    assert tool_choice_reward(completions, **cols) == [1.0] * len(oracle)
    assert argument_reward(completions, **cols) == [1.0] * len(oracle)


def test_argument_reward_agrees_with_the_recorded_step_judgement(
    episodes: list[Episode], tasks: dict[str, Task]
) -> None:
    checked = {True: 0, False: 0}
    for episode in episodes:
        step = episode.steps[0]
        if not step.calls or step.judged_correct is None:
            continue
        truth = GroundTruth.from_task(tasks[episode.task_id])
        scores = score_completion(first_turn(episode), truth)
        assert (scores["arguments"] == 1.0) is step.judged_correct, episode.id
        checked[step.judged_correct] += 1
    assert checked[True] > 20 and checked[False] > 3  # hallucinated arguments are caught


def test_whole_oracle_conversations_earn_the_answer(
    episodes: list[Episode], tasks: dict[str, Task]
) -> None:
    scored = 0
    for episode in episodes:
        task = tasks[episode.task_id]
        if episode.policy != "scripted:oracle" or task.answer_match == "python":
            continue
        completion = to_messages(episode)[2:]  # everything after the system + user prompt
        truth = GroundTruth.from_task(task)
        scores = score_completion(completion, truth)
        if task.expected_answer is None:
            assert scores["answer"] is None
            continue
        assert scores["answer"] == 1.0, episode.task_id
        expected = sum(DEFAULT_WEIGHTS[k] for k, v in scores.items() if v is not None)
        assert lightclaw_reward([completion], **columns([truth])) == [pytest.approx(expected)]
        scored += 1
    assert scored > 20


def test_wrong_tool_wrong_arguments_and_malformed_output(tasks: dict[str, Task]) -> None:
    task = tasks["date-weekday-july-fourth"]
    call = oracle_call(task)
    other_tool = next(name for name in task.tools if name != call.tool)
    wrong_args = {key: "1999-01-01" for key in call.arguments}
    completions: list[list[Msg]] = [
        call_completion(call.tool, call.arguments),
        call_completion(other_tool, call.arguments),
        call_completion(call.tool, wrong_args),
        [{"role": "assistant", "content": '{"kind": "tool_call", "tool": "weekday_of", "argum'}],
        [],
    ]
    cols = columns([GroundTruth.from_task(task)] * len(completions))
    assert format_reward(completions, **cols) == [1.0, 1.0, 1.0, 0.0, 0.0]
    assert tool_choice_reward(completions, **cols) == [1.0, 0.0, 1.0, 0.0, 0.0]
    assert argument_reward(completions, **cols) == [1.0, 0.0, 0.0, 0.0, 0.0]
    assert answer_reward(completions, **cols) == [0.0] * 5  # no final answer yet
    total = lightclaw_reward(completions, **cols)
    assert total[0] == pytest.approx(0.5)
    assert total[0] > total[2] > total[1] > total[3] == 0.0


def test_final_answers_in_prose_json_and_wrong(tasks: dict[str, Task]) -> None:
    task = tasks["date-weekday-july-fourth"]  # expected answer judged by its answer_match
    truth = GroundTruth.from_task(task)
    right = str(task.expected_answer)
    completions = [
        [{"role": "assistant", "content": f"It is a {right}."}],
        [{"role": "assistant", "content": json.dumps({"final_answer": right})}],
        [{"role": "assistant", "content": "It is a Tuesday."}],
    ]
    assert answer_reward(completions, **columns([truth] * 3)) == [1.0, 1.0, 0.0]


def test_plain_strings_and_tool_call_tags_score_like_messages(tasks: dict[str, Task]) -> None:
    task = tasks["date-weekday-july-fourth"]
    call = oracle_call(task)
    body = json.dumps({"name": call.tool, "arguments": call.arguments})
    cols = columns([GroundTruth.from_task(task)] * 3)
    strings = [
        f"<think>use {{the}} tool</think>\n<tool_call>\n{body}\n</tool_call>",
        "<tool_call>\n{not json}\n</tool_call>",
        json.dumps({"kind": "tool_call", "tool": call.tool, "arguments": call.arguments}),
    ]
    assert argument_reward(strings, **cols) == [1.0, 0.0, 1.0]
    assert format_reward(strings, **cols) == [1.0, 0.0, 1.0]


def test_irrelevance_rewards_not_calling() -> None:
    truth = GroundTruth(task_id="irrelevant", tools=["kv_get"], no_call_expected=True)
    completions = [
        [{"role": "assistant", "content": "None of the tools can do that."}],
        call_completion("kv_get", {"key": "x"}),
    ]
    cols = columns([truth] * 2)
    assert tool_choice_reward(completions, **cols) == [1.0, 0.0]
    assert argument_reward(completions, **cols) == [None, None]
    assert answer_reward(completions, **cols) == [None, None]


def test_custom_weights_and_bad_weights(tasks: dict[str, Task]) -> None:
    task = tasks["date-weekday-july-fourth"]
    call = oracle_call(task)
    only_args = make_lightclaw_reward({"format": 0, "tool_choice": 0, "arguments": 2.0})
    cols = columns([GroundTruth.from_task(task)])
    assert only_args([call_completion(call.tool, call.arguments)], **cols) == [2.0]
    with pytest.raises(UserError, match="unknown reward component"):
        make_lightclaw_reward({"speed": 1.0})


def test_ground_truth_column_and_missing_columns(tasks: dict[str, Task]) -> None:
    task = tasks["date-weekday-july-fourth"]
    call = oracle_call(task)
    gt = GroundTruth.from_task(task).model_dump_json()
    completion = [call_completion(call.tool, call.arguments)]
    assert argument_reward(completion, ground_truth=[gt]) == [1.0]
    with pytest.raises(UserError, match="ground-truth columns"):
        argument_reward(completion, prompts=[[]], completion_ids=[[1]])
    with pytest.raises(UserError, match="one value per completion"):
        argument_reward(completion, ground_truth=[gt, gt])


def test_compute_score_is_verls_scorer(tasks: dict[str, Task]) -> None:
    task = tasks["date-weekday-july-fourth"]
    call = oracle_call(task)
    gt = GroundTruth.from_task(task).model_dump_json()
    good = (
        "<tool_call>"
        + json.dumps({"name": call.tool, "arguments": call.arguments})
        + "</tool_call>"
    )
    assert compute_score("lightclaw/core", good, gt, {"split": "train", "index": 0}) == 0.5
    assert compute_score("lightclaw/core", "{broken", gt) == 0.0
    answer = compute_score("lightclaw/core", f"It is {task.expected_answer}.", gt)
    assert answer == pytest.approx(1.1)  # format + answer; no tool call for tool/argument credit
    with pytest.raises(UserError, match="lightclaw/"):
        compute_score("openai/gsm8k", good, gt)
