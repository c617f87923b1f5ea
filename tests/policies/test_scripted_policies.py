"""Offline test policies: ScriptedPolicy, FunctionPolicy, ReplayPolicy, and the Policy protocol."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from lightclaw.errors import RuntimeBug, ScriptError
from lightclaw.policies import (
    BasePolicy,
    FunctionPolicy,
    Policy,
    PolicyError,
    PolicyOutput,
    PolicyRequest,
    ReplayPolicy,
    ScriptedPolicy,
    normalize_output,
    parse_output,
)
from lightclaw.schema import (
    Episode,
    ErrorType,
    RawOutput,
    Step,
    ToolCall,
    ToolSchema,
    UserMessage,
)

TOOLS = [ToolSchema(name="add", description="Add", parameters={"type": "object"})]


def request(step: int) -> PolicyRequest:
    return PolicyRequest(
        messages=[UserMessage(content="add 1 and 2")], tools=TOOLS, step=step, max_steps=5, seed=7
    )


def run(policy: Policy, steps: int) -> list[PolicyOutput]:
    async def go() -> list[PolicyOutput]:
        return [await policy.act(request(i)) for i in range(steps)]

    return asyncio.run(go())


def act(policy: Policy, step: int) -> PolicyOutput:
    return asyncio.run(policy.act(request(step)))


# ---------------------------------------------------------------- ScriptedPolicy
def test_scripted_returns_outputs_in_order_and_records_requests() -> None:
    outputs: list[PolicyOutput] = [
        '{"tool": "add", "arguments": {"a": 1, "b": 2}}',
        RawOutput(text="thinking"),
        {"content": None, "tool_calls": [{"function": {"name": "add", "arguments": "{}"}}]},
    ]
    policy = ScriptedPolicy(outputs)
    assert isinstance(policy, Policy)
    assert run(policy, 3) == outputs
    assert [c.step for c in policy.calls] == [0, 1, 2]
    assert policy.calls[0].tools == TOOLS
    assert policy.remaining == 0
    policy.finish()  # all used: no error


def test_scripted_exception_item_is_raised_in_its_turn() -> None:
    policy = ScriptedPolicy(["a", PolicyError("HTTP 503 from endpoint"), "b"])
    assert act(policy, 0) == "a"
    with pytest.raises(PolicyError, match="HTTP 503"):
        act(policy, 1)
    assert act(policy, 2) == "b"
    policy.finish()


def test_scripted_extra_call_is_a_script_error() -> None:
    policy = ScriptedPolicy(["only one"], name="mini")
    act(policy, 0)
    with pytest.raises(ScriptError, match=r"mini: unexpected call 2 \(step 1\).*only 1 outputs"):
        act(policy, 1)


def test_scripted_unused_outputs_fail_at_finish() -> None:
    policy = ScriptedPolicy(["a", "b", "c", "d"])
    act(policy, 0)
    with pytest.raises(ScriptError, match="3 scripted outputs were never requested: 'b', 'c', 'd'"):
        policy.finish()
    assert issubclass(ScriptError, RuntimeBug)


def test_empty_script_fails_on_first_call() -> None:
    with pytest.raises(ScriptError):
        act(ScriptedPolicy([]), 0)


# ---------------------------------------------------------------- FunctionPolicy
def test_function_policy_with_sync_function_sees_the_request() -> None:
    def decide(req: PolicyRequest) -> PolicyOutput:
        return f'{{"final_answer": "step {req.step} of {req.max_steps}, seed {req.seed}"}}'

    policy = FunctionPolicy(decide)
    assert policy.name == "function"
    out = act(policy, 3)
    assert parse_output(normalize_output(out)).actions[0].content == "step 3 of 5, seed 7"  # type: ignore[union-attr]
    assert [c.step for c in policy.calls] == [3]
    policy.finish()


def test_function_policy_with_async_function() -> None:
    async def decide(req: PolicyRequest) -> PolicyOutput:
        await asyncio.sleep(0)
        return {"content": None, "tool_calls": [{"function": {"name": req.tools[0].name}}]}

    out = act(FunctionPolicy(decide, name="fn"), 0)
    assert parse_output(normalize_output(out)).actions == [ToolCall(tool="add")]


def test_function_policy_propagates_policy_errors() -> None:
    def fail(req: PolicyRequest) -> PolicyOutput:
        raise PolicyError("refused")

    async def afail(req: PolicyRequest) -> PolicyOutput:
        raise PolicyError("timed out")

    with pytest.raises(PolicyError, match="refused"):
        act(FunctionPolicy(fail), 0)
    with pytest.raises(PolicyError, match="timed out"):
        act(FunctionPolicy(afail), 0)


# ---------------------------------------------------------------- ReplayPolicy
def make_episode(steps: list[Step]) -> Episode:
    return Episode(
        id="ep-1",
        run_id="run-1",
        task_id="t1",
        suite="custom",
        policy="scripted",
        seed=0,
        outcome="final_answer",
        steps=steps,
        started_at=datetime(2025, 1, 1, tzinfo=UTC),
    )


def step(index: int, raw: RawOutput, **kw: Any) -> Step:
    return Step(index=index, observation=[], raw_output=raw, **kw)


def test_replay_returns_recorded_raw_outputs_and_model_errors() -> None:
    first = RawOutput(tool_calls=[{"id": "c", "function": {"name": "add", "arguments": "{}"}}])
    last = RawOutput(text='{"final_answer": 3}')
    episode = make_episode(
        [
            step(0, first),
            step(1, RawOutput(), error_type=ErrorType.MODEL_ERROR, error_message="HTTP 500"),
            step(2, last),
        ]
    )
    policy = ReplayPolicy(episode)
    assert act(policy, 0) == first
    with pytest.raises(PolicyError, match="HTTP 500"):
        act(policy, 1)
    assert act(policy, 2) == last
    policy.finish()


def test_replay_raises_recorded_model_errors_and_replays_judged_outputs() -> None:
    empty = RawOutput(text="  ")
    episode = make_episode(
        [
            step(0, RawOutput(), error_type=ErrorType.MODEL_ERROR, error_message="HTTP 503: busy"),
            step(1, empty, error_type=ErrorType.MODEL_ERROR,
                 error_message="the policy returned an empty output"),
            step(2, RawOutput(), error_type=ErrorType.MODEL_ERROR),
        ]
    )  # fmt: skip
    policy = ReplayPolicy(episode)
    with pytest.raises(PolicyError) as info:
        act(policy, 0)
    assert str(info.value) == "HTTP 503: busy"  # the call that raised raises again
    assert act(policy, 1) == empty  # the runtime judges the empty output again
    with pytest.raises(PolicyError, match="no message recorded"):
        act(policy, 2)
    policy.finish()


def test_replay_extra_call_and_unreplayed_steps_are_script_errors() -> None:
    episode = make_episode([step(0, RawOutput(text="a")), step(1, RawOutput(text="b"))])
    policy = ReplayPolicy(episode)
    act(policy, 0)
    with pytest.raises(
        ScriptError, match=r"1 recorded steps of episode 'ep-1' were never replayed"
    ):
        policy.finish()
    act(policy, 1)
    with pytest.raises(ScriptError, match="recorded only 2 steps"):
        act(policy, 2)


# ---------------------------------------------------------------- protocol and normalisation
def test_base_policy_gives_name_and_noop_finish() -> None:
    class Echo(BasePolicy):
        name = "echo"

        async def act(self, request: PolicyRequest) -> PolicyOutput:
            return str(request.step)

    policy = Echo()
    assert isinstance(policy, Policy)
    assert act(policy, 4) == "4"
    policy.finish()


def test_normalize_output_shapes() -> None:
    raw = RawOutput(text="x", tool_calls=[])
    assert normalize_output(raw) is raw
    assert normalize_output("hi") == RawOutput(text="hi")
    assert normalize_output(
        {"role": "assistant", "content": "ok", "tool_calls": [{"id": "1"}]}
    ) == RawOutput(text="ok", tool_calls=[{"id": "1"}])
    parts = {"content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}
    assert normalize_output(parts) == RawOutput(text="ab")
    # non-string content is kept as JSON text, a single non-list tool_calls as a one-item list
    assert normalize_output({"content": {"final_answer": 1}}) == RawOutput(
        text='{"final_answer": 1}'
    )
    assert normalize_output({"tool_calls": {"function": {"name": "f"}}}).tool_calls == [
        {"function": {"name": "f"}}
    ]
    assert normalize_output({"content": object()}).text.startswith("{'content': <object")  # type: ignore[union-attr]
    assert normalize_output(42) == RawOutput(text="42")  # type: ignore[arg-type]
