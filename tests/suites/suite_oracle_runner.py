"""Execute a task's oracle directly against the core tools (no runtime) and record an Episode."""

from __future__ import annotations

import asyncio
import copy
import json
from datetime import UTC, datetime
from typing import Any

from lightclaw.schema import (
    ACTION_LIST_ADAPTER,
    Action,
    AskUser,
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
from lightclaw.suites.core import core_registry
from lightclaw.tools import ArgumentsInvalid, ToolContext, ToolRegistry


async def _execute(
    registry: ToolRegistry, call: ToolCall, ctx: ToolContext, index: int
) -> CallRecord:
    record: dict[str, Any] = {
        "index": index,
        "call_id": call.call_id or f"call-{ctx.step}-{index}",
        "tool": call.tool,
        "arguments": dict(call.arguments),
    }
    found = registry.get(call.tool)
    if found is None:
        return CallRecord(**record, status="error", error_type=ErrorType.UNKNOWN_TOOL)
    before = json.dumps(ctx.state, sort_keys=True)
    try:
        kwargs = found.call_kwargs(found.validate(call.arguments), ctx)
        result = found.fn(**kwargs)
        if found.is_async:
            result = await asyncio.wait_for(result, found.timeout)
    except ArgumentsInvalid as exc:
        return CallRecord(
            **record,
            status="error",
            error_type=ErrorType.WRONG_ARGS,
            error_message=str(exc),
            arg_issues=exc.issues,
        )
    except TimeoutError:
        return CallRecord(**record, status="error", error_type=ErrorType.TIMEOUT)
    except Exception as exc:
        return CallRecord(
            **record,
            status="error",
            error_type=ErrorType.TOOL_ERROR,
            error_message=str(exc),
            exception_type=type(exc).__name__,
        )
    changed = json.dumps(ctx.state, sort_keys=True) != before
    output = json.loads(json.dumps(result))
    return CallRecord(**record, status="ok", output=output, state_changed=changed)


async def run_oracle_async(
    task: Task, steps: list[list[Action]] | None = None, registry: ToolRegistry | None = None
) -> Episode:
    """Run ``steps`` (default: the task's oracle) and record what happened as an Episode."""
    tools = registry if registry is not None else core_registry()
    ctx = ToolContext(state=copy.deepcopy(task.initial_state), episode_id=f"oracle-{task.id}")
    replies = list(task.user.replies) if task.user is not None else []
    recorded: list[Step] = []
    outcome: Any = "max_steps"
    final: Any = None
    for number, actions in enumerate(steps if steps is not None else task.oracle):
        ctx.step = number
        calls: list[CallRecord] = []
        reply: str | None = None
        for action in actions:
            done = effective(action)
            if isinstance(done, ToolCall):
                calls.append(await _execute(tools, done, ctx, len(calls)))
            elif isinstance(done, AskUser):
                if not replies:
                    outcome = "needs_user"
                    break
                reply = replies.pop(0)
            elif isinstance(done, FinalAnswer):
                final, outcome = done.content, "final_answer"
        raw = RawOutput(text=ACTION_LIST_ADAPTER.dump_json(actions).decode())
        recorded.append(
            Step(
                index=number,
                observation=[],
                raw_output=raw,
                actions=actions,
                calls=calls,
                user_reply=reply,
            )
        )
        if outcome != "max_steps":
            break
    return Episode(
        id=f"oracle-{task.id}",
        run_id="oracle",
        task_id=task.id,
        suite=task.suite,
        policy="oracle",
        seed=0,
        outcome=outcome,
        final_answer=final,
        final_state=ctx.state,
        steps=recorded,
        started_at=datetime(2026, 3, 2, tzinfo=UTC),
    )


def run_oracle(
    task: Task, steps: list[list[Action]] | None = None, registry: ToolRegistry | None = None
) -> Episode:
    """Synchronous wrapper of :func:`run_oracle_async`."""
    return asyncio.run(run_oracle_async(task, steps, registry))


def invoke(tool_name: str, state: dict[str, Any], **arguments: Any) -> Any:
    """Validate ``arguments`` with the core tool's schema and call it on ``state`` (sync tools)."""
    found = core_registry().get(tool_name)
    assert found is not None, tool_name
    assert not found.is_async, tool_name
    return found.fn(**found.call_kwargs(found.validate(arguments), ToolContext(state=state)))


def seed_state() -> dict[str, Any]:
    """A fresh copy of the core suite's seed data: the union of its tasks' initial states."""
    from lightclaw.suites.loader import get_suite

    merged: dict[str, Any] = {}
    for task in get_suite("core").tasks:
        merged.update(copy.deepcopy(task.initial_state))
    return merged
