"""The runtime attributes every failure to the closed vocabulary and keeps the episode going."""

from __future__ import annotations

import json

import pytest
from runtime_helpers import call, final, make_task

from lightclaw.errors import ScriptError
from lightclaw.policies.base import PolicyError
from lightclaw.policies.scripted import ScriptedPolicy
from lightclaw.runtime import run_episode_sync
from lightclaw.schema import ErrorType, FeedbackMessage, ToolResultMessage
from lightclaw.tools import ToolRegistry


def run(registry: ToolRegistry, outputs: list[object], **task_kw: object):  # type: ignore[no-untyped-def]
    return run_episode_sync(make_task(**task_kw), ScriptedPolicy(outputs), registry)  # type: ignore[arg-type]


def j(x: object) -> str:
    return json.dumps(x)


def test_success_path_records_calls_latency_and_answer(registry: ToolRegistry) -> None:
    ep = run(registry, [j(call("add", a=2, b=3)), j(final(5))])
    assert ep.outcome == "final_answer" and ep.final_answer == 5
    first = ep.steps[0]
    assert first.error_type is None
    assert first.calls[0].status == "ok" and first.calls[0].output == 5
    assert first.calls[0].latency_ns > 0 and first.latency_ns >= first.calls[0].latency_ns
    # the tool result is what the policy sees at the next step
    result = ep.steps[1].observation[0]
    assert isinstance(result, ToolResultMessage) and result.content == "5"


def test_unknown_tool_names_the_available_tools(registry: ToolRegistry) -> None:
    ep = run(registry, [j(call("web_search", q="x")), j(final())])
    rec = ep.steps[0].calls[0]
    assert rec.error_type is ErrorType.UNKNOWN_TOOL
    assert "web_search" in (rec.error_message or "") and "add" in (rec.error_message or "")
    assert ep.outcome == "final_answer"


@pytest.mark.parametrize(
    ("arguments", "kind"),
    [
        ({"a": 1}, "missing"),
        ({"a": 1, "b": 2, "c": 3}, "unexpected"),
        ({"a": "1", "b": 2}, "wrong_type"),
    ],
)
def test_wrong_args_carry_pydantic_details(
    registry: ToolRegistry, arguments: dict[str, object], kind: str
) -> None:
    ep = run(registry, [j(call("add", **arguments)), j(final())])
    step = ep.steps[0]
    assert step.error_type is ErrorType.WRONG_ARGS
    assert [i.kind for i in step.calls[0].arg_issues] == [kind]
    fed_back = ep.steps[1].observation[0]
    assert isinstance(fed_back, ToolResultMessage) and fed_back.error_type is ErrorType.WRONG_ARGS


def test_tool_error_gives_type_and_message_and_stores_traceback(registry: ToolRegistry) -> None:
    ep = run(registry, [j(call("get", key="nope")), j(final())])
    rec = ep.steps[0].calls[0]
    assert rec.error_type is ErrorType.TOOL_ERROR and rec.exception_type == "KeyError"
    assert "no value stored under 'nope'" in (rec.error_message or "")
    assert rec.traceback is not None and "Traceback" in rec.traceback
    observed = ep.steps[1].observation[0]
    assert isinstance(observed, ToolResultMessage)
    assert "Traceback" not in observed.content and "KeyError" in observed.content


@pytest.mark.parametrize("name", ["hang", "ahang"])
def test_timeout_is_a_real_deadline_never_success(registry: ToolRegistry, name: str) -> None:
    ep = run(registry, [j(call(name)), j(call("add", a=1, b=1)), j(final())])
    rec = ep.steps[0].calls[0]
    assert rec.status == "error" and rec.error_type is ErrorType.TIMEOUT and rec.output is None
    assert ep.steps[1].calls[0].status == "ok"  # the episode went on
    assert ep.outcome == "final_answer"


def test_unserialisable_output_is_a_tool_error(registry: ToolRegistry) -> None:
    ep = run(registry, [j(call("unserialisable")), j(final())])
    rec = ep.steps[0].calls[0]
    assert rec.error_type is ErrorType.TOOL_ERROR and "serialised" in (rec.error_message or "")


def test_redundant_call_only_without_state_change(registry: ToolRegistry) -> None:
    ep = run(
        registry,
        [
            j(call("put", key="k", value="1")),
            j(call("get", key="k")),
            j(call("get", key="k")),  # same call, nothing changed: redundant
            j(call("put", key="k", value="2")),
            j(call("get", key="k")),  # state changed since: executed again
            j(final()),
        ],
        max_steps=8,
    )
    errors = [s.error_type for s in ep.steps]
    assert errors == [None, None, ErrorType.REDUNDANT_CALL, None, None, None]
    assert ep.steps[4].calls[0].output == "2"
    assert ep.steps[0].calls[0].state_changed and not ep.steps[1].calls[0].state_changed


def test_identical_retry_after_error_is_redundant_not_correction(registry: ToolRegistry) -> None:
    bad = j(call("add", a=1))
    ep = run(registry, [bad, bad, j(call("add", a=1, b=2)), j(final(3))])
    assert [s.error_type for s in ep.steps[:3]] == [
        ErrorType.WRONG_ARGS,
        ErrorType.REDUNDANT_CALL,
        None,
    ]
    assert ep.steps[1].correction_of is None  # identical retry
    assert ep.steps[2].correction_of == 1  # differs from the failed step before it


def test_invalid_format_is_fed_back_and_episode_continues(registry: ToolRegistry) -> None:
    ep = run(registry, ['{"kind": "tool_call", "tool": "add", "argu', j(final())])
    assert ep.steps[0].error_type is ErrorType.INVALID_FORMAT
    assert ep.steps[0].raw_output.text == '{"kind": "tool_call", "tool": "add", "argu'
    fb = ep.steps[1].observation[0]
    assert isinstance(fb, FeedbackMessage) and fb.error_type is ErrorType.INVALID_FORMAT
    assert ep.steps[1].correction_of == 0
    assert ep.outcome == "final_answer"


def test_model_error_ends_episode_and_is_recorded(registry: ToolRegistry) -> None:
    ep = run(registry, [j(call("add", a=1, b=2)), PolicyError("HTTP 500")])
    assert ep.outcome == "model_error"
    assert ep.steps[-1].error_type is ErrorType.MODEL_ERROR
    assert "HTTP 500" in (ep.steps[-1].error_message or "")


def test_empty_output_is_model_error(registry: ToolRegistry) -> None:
    ep = run(registry, ["   "])
    assert ep.outcome == "model_error" and ep.steps[0].error_type is ErrorType.MODEL_ERROR


def test_max_steps(registry: ToolRegistry) -> None:
    outputs = [j(call("add", a=i, b=i)) for i in range(3)]
    ep = run(registry, outputs, max_steps=3)
    assert ep.outcome == "max_steps" and len(ep.steps) == 3


def test_parallel_calls_in_one_step(registry: ToolRegistry) -> None:
    ep = run(
        registry,
        [
            {
                "content": None,
                "tool_calls": [
                    {
                        "id": "a",
                        "type": "function",
                        "function": {"name": "aecho", "arguments": '{"text": "x"}'},
                    },
                    {
                        "id": "b",
                        "type": "function",
                        "function": {"name": "add", "arguments": '{"a": 1, "b": "2"}'},
                    },
                    {
                        "id": "c",
                        "type": "function",
                        "function": {"name": "aecho", "arguments": '{"text": "y"}'},
                    },
                ],
            },
            j(final()),
        ],
    )
    calls = ep.steps[0].calls
    assert [c.call_id for c in calls] == ["a", "b", "c"]
    assert [c.status for c in calls] == ["ok", "error", "ok"]
    assert [c.output for c in calls] == ["x", None, "y"]
    assert ep.steps[0].error_type is ErrorType.WRONG_ARGS


def test_ask_user_answered_by_simulated_user_or_needs_user(registry: ToolRegistry) -> None:
    ask = j({"kind": "ask_user", "question": "which key?"})
    ep = run(registry, [ask, j(final("k"))], user={"replies": ["use k"]})
    assert ep.steps[0].user_reply == "use k" and ep.outcome == "final_answer"
    ep = run(registry, [ask])
    assert ep.outcome == "needs_user" and ep.stop_reason == "needs_user"


def test_gui_action_without_screen_is_gui_miss(registry: ToolRegistry) -> None:
    ep = run(registry, [j({"kind": "gui_click", "x": 1, "y": 2}), j(final())])
    assert ep.steps[0].error_type is ErrorType.GUI_MISS


def test_guard_blocks_call(registry: ToolRegistry) -> None:
    import asyncio

    from lightclaw.runtime import run_episode

    def no_put(c, env):  # type: ignore[no-untyped-def]
        return "writes are disabled" if c.tool == "put" else None

    ep = asyncio.run(
        run_episode(
            make_task(),
            ScriptedPolicy([j(call("put", key="a", value="b")), j(final())]),
            registry,
            guards=[no_put],
        )
    )
    rec = ep.steps[0].calls[0]
    assert rec.error_type is ErrorType.POLICY_BLOCKED and "writes are disabled" in (
        rec.error_message or ""
    )
    assert ep.final_state == {}  # the blocked call never ran


def test_explicit_self_correction_executes_the_revision(registry: ToolRegistry) -> None:
    fix = {
        "kind": "self_correction",
        "corrects_step": 0,
        "reason": "typo",
        "revised": call("add", a=2, b=2),
    }
    ep = run(registry, [j(call("add", a=2, b=3)), j(fix), j(final(4))])
    assert ep.steps[1].correction_of == 0 and ep.steps[1].calls[0].output == 4


def test_scripted_policy_misuse_fails_loudly(registry: ToolRegistry) -> None:
    with pytest.raises(ScriptError):
        run(registry, [j(call("add", a=1, b=2))], max_steps=3)  # script too short
    with pytest.raises(ScriptError):
        run(registry, [j(final()), j(final())])  # unused scripted output


def test_identical_parallel_calls_in_one_step_are_not_redundant(registry: ToolRegistry) -> None:
    twice = [call("add", a=1, b=1), call("add", a=1, b=1)]
    ep = run(registry, [j(twice), j(call("add", a=1, b=1)), j(final())])
    assert [c.status for c in ep.steps[0].calls] == ["ok", "ok"]
    assert ep.steps[1].error_type is ErrorType.REDUNDANT_CALL  # a later step repeating it is
