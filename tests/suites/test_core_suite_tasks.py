"""The built-in core tasks: well-formed, covering, and each oracle passes the judge while a
perturbed oracle fails it with the right error type."""

import contextlib
import json
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from suite_oracle_runner import run_oracle

from lightclaw.schema import (
    ACTION_LIST_ADAPTER,
    AskUser,
    ErrorType,
    FinalAnswer,
    Task,
    ToolCall,
)
from lightclaw.suites.core import CORE_TOOLS, RATES_PER_USD, core_registry
from lightclaw.suites.loader import get_suite
from lightclaw.verify import judge, values_equal

CORE = get_suite("core")
TASKS = {task.id: task for task in CORE.tasks}
MUTATING = {"create_event", "delete_event", "save_note", "add_todo", "complete_todo"}
MUTATING |= {"kv_set", "kv_delete"}


def _calls(task: Task) -> list[ToolCall]:
    return [a for step in task.oracle for a in step if isinstance(a, ToolCall)]


def test_core_suite_shape() -> None:
    assert CORE.name == "core"
    assert len(CORE.tasks) >= 44
    assert len(TASKS) == len(CORE.tasks), "task ids must be unique"
    assert all(task.suite == "core" for task in CORE.tasks)
    assert CORE.registry_factory().names() == core_registry().names()


def test_every_tool_is_used_and_the_live_rates_tool_only_offered() -> None:
    used = {call.tool for task in CORE.tasks for call in _calls(task)}
    offered = {name for task in CORE.tasks for name in task.tools}
    every = {item.name for item in CORE_TOOLS}
    assert used == every - {"fetch_live_rates"}
    assert "fetch_live_rates" in offered


def test_task_mix() -> None:
    parallel = [
        t for t in CORE.tasks if any(sum(isinstance(a, ToolCall) for a in s) > 1 for s in t.oracle)
    ]
    asking = [t for t in CORE.tasks if any(isinstance(a, AskUser) for s in t.oracle for a in s)]
    no_user = [t for t in CORE.tasks if "no_user" in t.tags]
    multi = [
        t
        for t in CORE.tasks
        if sum(1 for s in t.oracle if any(isinstance(a, ToolCall) for a in s)) > 1
    ]
    assert len(parallel) >= 6
    assert len(asking) >= 3
    assert len(multi) >= 10
    for task in asking:
        asks = sum(isinstance(a, AskUser) for s in task.oracle for a in s)
        assert task.user is not None and len(task.user.replies) >= asks, task.id
    assert len(no_user) >= 2
    for task in no_user:
        assert task.user is None and task not in asking
    assert any(t.calls_ordered for t in CORE.tasks)
    assert {t.answer_match for t in CORE.tasks if t.expected_answer is not None} >= {
        "numeric", "contains", "regex", "normalized", "json_subset",
    }  # fmt: skip


@pytest.mark.parametrize("task_id", sorted(TASKS))
def test_task_is_well_formed(task_id: str) -> None:
    task = TASKS[task_id]
    assert task.max_steps >= len(task.oracle)
    assert task.expected_calls or task.expected_answer is not None or task.expected_state
    mutates = any(call.tool in MUTATING for call in _calls(task))
    assert (task.expected_state is not None) >= mutates, "mutating tasks need expected_state"
    assert isinstance(task.oracle[-1][-1], FinalAnswer)


@pytest.mark.parametrize("task_id", sorted(TASKS))
def test_oracle_passes_the_judge(task_id: str) -> None:
    task = TASKS[task_id]
    episode = run_oracle(task)
    failed = [call for step in episode.steps for call in step.calls if call.status != "ok"]
    assert failed == []
    verdict = judge(task, episode)
    assert verdict.success, verdict.message
    assert verdict.error_type is None
    if task.expected_state is not None:
        assert episode.final_state == task.expected_state


# ---- perturbed oracles -------------------------------------------------------------------------


def _unacceptable(value: Any, acceptable: list[Any], enum: list[Any] | None) -> Any:
    """A schema-valid value close to ``value`` that is none of the acceptable ones."""
    candidates: list[Any] = []
    if enum:
        candidates += enum
    if isinstance(value, bool):
        candidates.append(not value)
    elif isinstance(value, int | float):
        candidates += [value + 1, value + 1.5]
    elif isinstance(value, str):
        with contextlib.suppress(ValueError):
            candidates.append((date.fromisoformat(value) + timedelta(days=1)).isoformat())
        if value.upper() in RATES_PER_USD:
            candidates += sorted(RATES_PER_USD)
        head, _, number = value.rpartition("-")
        if number.isdigit():
            candidates.append(f"{head}-{int(number) + 50}")
        candidates.append(value + " (draft)")
    elif isinstance(value, list):
        candidates.append([*value, "extra@northwind.example"])
    elif isinstance(value, dict):
        candidates.append({k: v + 5 if isinstance(v, int) else v for k, v in value.items()})
    for candidate in candidates:
        if not any(values_equal(candidate, ok) for ok in acceptable if ok != ""):
            return candidate
    raise AssertionError(f"no unacceptable value near {value!r}")


def _wrong_argument(task: Task) -> list[list[Any]] | None:
    """The oracle with one required expected argument changed to an unacceptable value."""
    for expected in task.expected_calls:
        required = [n for n, values in expected.arguments.items() if "" not in values]
        if not required:
            continue
        name = required[0]
        steps = [[a.model_dump() for a in step] for step in task.oracle]
        for step in steps:
            for action in step:
                if action["kind"] == "tool_call" and action["tool"] == expected.tool:
                    found = core_registry().get(expected.tool)
                    assert found is not None
                    enum = found.parameters["properties"][name].get("enum")
                    value = action["arguments"][name]
                    action["arguments"][name] = _unacceptable(value, expected.arguments[name], enum)
                    return steps
    return None


def _wrong_answer(task: Task) -> list[list[Any]] | None:
    if task.expected_answer is None:
        return None
    steps = [[a.model_dump() for a in step] for step in task.oracle]
    if task.answer_match == "numeric":
        wrong = float(json.dumps(task.expected_answer)) + max(1.0, 100 * task.tolerance)
        content: Any = f"The answer is {wrong}."
    elif task.answer_match == "json_subset":
        content = {"name": "unknown"}
    else:
        content = "I could not find that information."
    steps[-1] = [{"kind": "final_answer", "content": content}]
    return steps


def _dropped_change(task: Task) -> list[list[Any]] | None:
    """The oracle without its last state-changing call."""
    if task.expected_state is None:
        return None
    steps = [[a.model_dump() for a in step] for step in task.oracle]
    for step in reversed(steps):
        for action in reversed(step):
            if action["kind"] == "tool_call" and action["tool"] in MUTATING:
                step.remove(action)
                return [s for s in steps if s]
    return None


def _expected_error(task: Task, kind: str, steps: list[list[Any]]) -> ErrorType:
    if kind == "wrong_argument":
        return ErrorType.SEMANTIC_WRONG_ARGS
    if kind == "wrong_answer":
        return ErrorType.WRONG_ANSWER
    kept = Counter(a["tool"] for step in steps for a in step if a["kind"] == "tool_call")
    wanted = Counter(call.tool for call in task.expected_calls)
    # a dropped call that an expected call needs is a missing call; otherwise the state shows it
    return ErrorType.WRONG_TOOL if wanted - kept else ErrorType.WRONG_ANSWER


PERTURBATIONS = {
    "wrong_argument": _wrong_argument,
    "wrong_answer": _wrong_answer,
    "dropped_change": _dropped_change,
}
CASES = [
    (task_id, kind)
    for task_id in sorted(TASKS)
    for kind, perturb in PERTURBATIONS.items()
    if perturb(TASKS[task_id]) is not None
]


def test_every_task_has_a_perturbation() -> None:
    assert {task_id for task_id, _ in CASES} == set(TASKS)


@pytest.mark.parametrize(("task_id", "kind"), CASES)
def test_perturbed_oracle_fails_with_the_right_error(task_id: str, kind: str) -> None:
    task = TASKS[task_id]
    steps = PERTURBATIONS[kind](task)
    assert steps is not None
    episode = run_oracle(task, [ACTION_LIST_ADAPTER.validate_python(step) for step in steps])
    verdict = judge(task, episode)
    assert not verdict.success
    assert verdict.error_type == _expected_error(task, kind, steps), verdict.message


def test_wrong_argument_verdict_names_the_parameter_and_acceptable_values() -> None:
    task = TASKS["units-marathon-miles"]
    steps = [
        [
            ToolCall(
                tool="convert_units", arguments={"value": 42.195, "from_unit": "m", "to_unit": "mi"}
            )
        ]
    ]
    verdict = judge(task, run_oracle(task, [*steps, task.oracle[-1]]))
    assert verdict.error_type == ErrorType.SEMANTIC_WRONG_ARGS
    assert "'from_unit' is 'm'; acceptable: 'km', 'kilometers'" in verdict.message


def test_state_must_match_exactly_even_when_calls_match_after_standardisation() -> None:
    task = TASKS["calendar-book-design-review"]
    steps = [[a.model_dump() for a in step] for step in task.oracle]
    steps[0][0]["arguments"]["title"] = "design REVIEW"
    episode = run_oracle(task, [ACTION_LIST_ADAPTER.validate_python(s) for s in steps])
    verdict = judge(task, episode)
    assert verdict.error_type == ErrorType.WRONG_ANSWER
    assert "state.calendar[8].title is 'design REVIEW'" in verdict.message


def test_an_unwanted_change_fails_a_task_that_must_leave_state_alone() -> None:
    task = TASKS["kv-deploy-window-keep-existing"]
    change = ToolCall(tool="kv_set", arguments={"key": "deploy_window", "value": "Thu 18:00"})
    episode = run_oracle(task, [[*task.oracle[0], change], task.oracle[-1]])
    verdict = judge(task, episode)
    assert verdict.error_type == ErrorType.WRONG_ANSWER
    assert "deploy_window" in verdict.message


@pytest.mark.parametrize("task_id", sorted(t.id for t in CORE.tasks if t.user is not None))
def test_asking_without_a_user_ends_as_needs_user(task_id: str) -> None:
    task = TASKS[task_id].model_copy(update={"user": None})
    episode = run_oracle(task)
    assert episode.outcome == "needs_user"
    verdict = judge(task, episode)
    assert not verdict.success
    assert verdict.error_type is None
    assert "needs_user" in verdict.message
