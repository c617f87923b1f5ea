"""Small builders of tasks, steps and episodes for the judging and reward tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from lightclaw.schema import (
    Action,
    CallRecord,
    Episode,
    ErrorType,
    FinalAnswer,
    RawOutput,
    Step,
    Task,
    ToolCall,
    effective,
)

CONVERT = {
    "tool": "convert",
    "arguments": {"value": [42], "unit": ["km", "kilometers"], "note": [""]},
}


def make_task(**changes: Any) -> Task:
    """A task expecting ``convert(value=42, unit=km)``; the oracle also uses ``calculate``."""
    data: dict[str, Any] = {
        "id": "t",
        "prompt": "p",
        "tools": ["convert", "calculate", "lookup"],
        "expected_calls": [CONVERT],
        "expected_answer": 26.1,
        "answer_match": "numeric",
        "tolerance": 0.05,
        "oracle": [
            [{"kind": "tool_call", "tool": "convert", "arguments": {"value": 42, "unit": "km"}}],
            [{"kind": "tool_call", "tool": "calculate", "arguments": {"expression": "26.1 * 1"}}],
            [{"kind": "final_answer", "content": "about 26.1"}],
        ],
        "max_steps": 10,
    }
    data.update(changes)
    return Task.model_validate(data)


def tool(name: str, **arguments: Any) -> ToolCall:
    return ToolCall(tool=name, arguments=arguments)


def record(action: ToolCall, index: int = 0, error: ErrorType | None = None) -> CallRecord:
    return CallRecord(
        index=index,
        call_id=f"c{index}",
        tool=action.tool,
        arguments=dict(action.arguments),
        status="error" if error else "ok",
        error_type=error,
        error_message=f"{error.value}: failed" if error else None,
    )


def step(
    index: int,
    *actions: Action,
    errors: dict[int, ErrorType] | None = None,
    error_type: ErrorType | None = None,
    correction_of: int | None = None,
    screenshot: str | None = None,
) -> Step:
    """A step with ``actions``; each tool call gets a call record (``errors`` by position)."""
    errors = errors or {}
    calls = []
    for action in actions:
        done = effective(action)
        if isinstance(done, ToolCall):
            calls.append(record(done, len(calls), errors.get(len(calls))))
    failed = [c.error_type for c in calls if c.error_type is not None]
    return Step(
        index=index,
        observation=[],
        raw_output=RawOutput(text=f"step {index}"),
        actions=list(actions),
        calls=calls,
        error_type=error_type or (failed[0] if failed else None),
        correction_of=correction_of,
        screenshot=screenshot,
    )


def answer(index: int, content: Any, **kwargs: Any) -> Step:
    return step(index, FinalAnswer(content=content), **kwargs)


def make_episode(*steps: Step, outcome: str = "final_answer", **changes: Any) -> Episode:
    final = next((a.content for s in steps for a in s.actions if isinstance(a, FinalAnswer)), None)
    data: dict[str, Any] = {
        "id": "e",
        "run_id": "r",
        "task_id": "t",
        "suite": "custom",
        "policy": "test",
        "seed": 0,
        "outcome": outcome,
        "final_answer": final,
        "final_state": {},
        "steps": list(steps),
        "started_at": datetime(2026, 1, 1, tzinfo=UTC),
    }
    data.update(changes)
    return Episode.model_validate(data)
