"""LightClaw's contenders: run_episode + ScriptedPolicy, with OpenAI-style dicts or JSON text."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from _peers_common import (
    CALLS,
    FINAL_ANSWER,
    PROMPT,
    STEPS,
    AddArgs,
    Harness,
    add,
    check_outputs,
    openai_tool_call,
    package_version,
)


def dict_outputs() -> list[Any]:
    """What an OpenAI-compatible tool-calling model returns: messages with ``tool_calls``."""
    final = {"content": json.dumps({"final_answer": FINAL_ANSWER}), "tool_calls": None}
    return [*(openai_tool_call(i) for i in range(STEPS - 1)), final]


def text_outputs() -> list[Any]:
    """What a JSON-prompted model returns: plain text holding one JSON action (the parser path)."""
    calls = [json.dumps({"tool": "add", "arguments": {"a": a, "b": b}}) for a, b in CALLS]
    return [*calls, json.dumps({"final_answer": FINAL_ANSWER})]


def _build(name: str, outputs: Callable[[], Sequence[Any]]) -> Harness:
    from lightclaw.policies import ScriptedPolicy
    from lightclaw.runtime import run_episode
    from lightclaw.schema import FinalAnswer, Task, ToolCall
    from lightclaw.tools import ToolRegistry, tool

    registry = ToolRegistry()
    registry.register(tool(add))
    oracle: list[list[Any]] = [
        [ToolCall(tool="add", arguments={"a": a, "b": b}, call_id=f"call_{i}")]
        for i, (a, b) in enumerate(CALLS)
    ]
    oracle.append([FinalAnswer(content=FINAL_ANSWER)])
    task = Task(
        id="bench-add",
        prompt=PROMPT,
        tools=["add"],
        oracle=oracle,
        expected_answer=FINAL_ANSWER,
        max_steps=STEPS,
    )
    script = list(outputs())
    policy: list[ScriptedPolicy] = []

    def reset() -> None:
        # a ScriptedPolicy is one episode's script (it checks it was used up), so one per episode
        policy[:] = [ScriptedPolicy(script)]

    async def episode() -> Any:
        return await run_episode(task, policy[0], registry)

    def check(ep: Any) -> None:
        if len(ep.steps) != STEPS or ep.outcome != "final_answer":
            raise AssertionError(f"{name}: {len(ep.steps)} steps, outcome {ep.outcome}")
        outputs_ = [call.output for step in ep.steps for call in step.calls]
        check_outputs(name, outputs_, ep.final_answer)

    return Harness(name, episode, check, reset, {"lightclaw": package_version("lightclaw")})


def build_lightclaw_dicts() -> Harness:
    return _build("LightClaw (OpenAI-style dicts)", dict_outputs)


def build_lightclaw_text() -> Harness:
    return _build("LightClaw (JSON text, parser)", text_outputs)


def build_typed_floor() -> Harness:
    """The floor plus what any typed recorder pays: an awaited policy and validated Pydantic
    records (RawOutput, ToolCall, CallRecord, ToolResultMessage, Step, Episode) per step.
    Informational: it shows how much of LightClaw's time the record types alone explain."""
    from lightclaw.schema import (
        CallRecord,
        Episode,
        FinalAnswer,
        RawOutput,
        Step,
        ToolCall,
        ToolResultMessage,
    )

    tools = {"add": (add, AddArgs)}
    script = dict_outputs()

    async def policy(step: int) -> Any:
        return script[step]

    async def episode() -> Episode:
        steps: list[Step] = []
        observation: list[Any] = []
        answer: Any = None
        for index in range(STEPS):
            t0 = time.monotonic_ns()
            out = await policy(index)
            raw = RawOutput(text=out["content"], tool_calls=out["tool_calls"])
            if not out["tool_calls"]:
                answer = json.loads(out["content"])["final_answer"]
                actions: list[Any] = [FinalAnswer(content=answer)]
                steps.append(
                    Step(
                        index=index,
                        observation=observation,
                        raw_output=raw,
                        actions=actions,
                        latency_ns=time.monotonic_ns() - t0,
                    )
                )
                break
            actions, records, observation = [], [], []
            for i, call in enumerate(out["tool_calls"]):
                function = call["function"]
                fn, model = tools[function["name"]]
                args = model.model_validate(function["arguments"], strict=True)
                result = fn(args.a, args.b)
                actions.append(
                    ToolCall(
                        tool=function["name"], arguments=function["arguments"], call_id=call["id"]
                    )
                )
                records.append(
                    CallRecord(
                        index=i,
                        call_id=call["id"],
                        tool=function["name"],
                        arguments=function["arguments"],
                        status="ok",
                        output=result,
                    )
                )
                observation.append(
                    ToolResultMessage(
                        call_id=call["id"], tool=function["name"], content=json.dumps(result)
                    )
                )
            steps.append(
                Step(
                    index=index,
                    observation=observation,
                    raw_output=raw,
                    actions=actions,
                    calls=records,
                    latency_ns=time.monotonic_ns() - t0,
                )
            )
        return Episode(
            id="ep",
            run_id="adhoc",
            task_id="bench-add",
            suite="custom",
            policy="scripted",
            seed=0,
            outcome="final_answer",
            final_answer=answer,
            steps=steps,
            started_at=datetime.now(UTC),
        )

    def check(ep: Any) -> None:
        outputs_ = [call.output for step in ep.steps for call in step.calls]
        check_outputs("typed floor", outputs_, ep.final_answer)

    return Harness("floor + typed records (async)", episode, check)
