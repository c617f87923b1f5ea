"""Episodes render as TRL conversational messages with native tool calls."""

from __future__ import annotations

import json

import pytest

from lightclaw.errors import RuntimeBug
from lightclaw.export.conversation import (
    NATIVE_SYSTEM,
    episode_tool_specs,
    tail_messages,
    task_tools,
    to_messages,
    tool_specs,
)
from lightclaw.export.pool import Pool, Selection, select
from lightclaw.export.rows import ChatMessage, ToolSpec
from lightclaw.schema import Episode, ErrorType
from lightclaw.schema.render import DEFAULT_SYSTEM
from lightclaw.store import Store
from lightclaw.suites.loader import get_suite


def _first(store: Store, pred: object, **sel: object) -> tuple[Episode, Pool]:
    pool = Pool(store)
    for ep in select(store, Selection(dedupe=False, **sel), pool=pool):  # type: ignore[arg-type]
        if pred(ep):  # type: ignore[operator]
            return ep, pool
    raise AssertionError("no episode matches")


def _valid(messages: list[dict[str, object]]) -> list[ChatMessage]:
    return [ChatMessage.model_validate(m) for m in messages]


def test_parallel_calls_render_as_one_turn_with_results_in_order(demo_store: Store) -> None:
    ep, _ = _first(demo_store, lambda e: any(len(s.calls) > 1 for s in e.steps))
    msgs = to_messages(ep)
    _valid(msgs)
    step = next(s for s in ep.steps if len(s.calls) > 1)
    turn = next(m for m in msgs if len(m.get("tool_calls", [])) == len(step.calls))
    i = msgs.index(turn)
    assert [c["function"]["name"] for c in turn["tool_calls"]] == [c.tool for c in step.calls]
    assert [c["function"]["arguments"] for c in turn["tool_calls"]] == [
        c.arguments for c in step.calls
    ]
    assert all(isinstance(c["function"]["arguments"], dict) for c in turn["tool_calls"])
    results = msgs[i + 1 : i + 1 + len(step.calls)]
    assert [(r["role"], r["name"]) for r in results] == [("tool", c.tool) for c in step.calls]
    assert turn["content"] == ""  # every template reads message['content']


def test_errors_are_tool_messages_and_bad_output_stays_verbatim(demo_store: Store) -> None:
    ep, _ = _first(
        demo_store, lambda e: any(s.error_type == ErrorType.INVALID_FORMAT for s in e.steps)
    )
    msgs = to_messages(ep)
    _valid(msgs)
    bad = next(s for s in ep.steps if s.error_type == ErrorType.INVALID_FORMAT)
    turn = next(m for m in msgs if m.get("content") == bad.raw_output.text)
    after = msgs[msgs.index(turn) + 1]
    assert after == {"role": "user", "content": bad.error_message}
    ep2, _ = _first(
        demo_store, lambda e: any(s.error_type == ErrorType.WRONG_ARGS for s in e.steps)
    )
    errors = [m for m in to_messages(ep2) if m["role"] == "tool" and "wrong_args" in m["content"]]
    assert errors and errors[0]["content"].startswith("error (wrong_args): ")


def test_ask_user_is_an_assistant_question_then_the_user_reply(demo_store: Store) -> None:
    ep, _ = _first(demo_store, lambda e: any(s.user_reply for s in e.steps))
    msgs = to_messages(ep)
    step = next(s for s in ep.steps if s.user_reply)
    question = next(a for a in step.actions if a.kind == "ask_user")
    i = next(i for i, m in enumerate(msgs) if m.get("content") == question.question)  # type: ignore[union-attr]
    assert msgs[i]["role"] == "assistant"
    assert msgs[i + 1] == {"role": "user", "content": step.user_reply}


def test_system_prompt_is_native_and_keeps_task_text(demo_store: Store) -> None:
    ep, _ = _first(demo_store, lambda e: e.outcome == "final_answer")
    msgs = to_messages(ep)
    recorded = ep.steps[0].observation[0].content  # type: ignore[union-attr]
    assert recorded.startswith(DEFAULT_SYSTEM)
    assert msgs[0] == {"role": "system", "content": NATIVE_SYSTEM + recorded[len(DEFAULT_SYSTEM) :]}
    assert msgs[1]["role"] == "user"
    assert to_messages(ep, system=False)[0]["role"] == "user"
    final = msgs[-1]
    assert final["role"] == "assistant"
    assert final["content"] == (
        ep.final_answer if isinstance(ep.final_answer, str) else json.dumps(ep.final_answer)
    )


def test_upto_is_the_prompt_of_that_step(demo_store: Store) -> None:
    ep, _ = _first(demo_store, lambda e: len(e.steps) >= 3)
    full = to_messages(ep)
    for i in range(len(ep.steps)):
        prefix = to_messages(ep, upto=i)
        assert full[: len(prefix)] == prefix
        assert prefix[-1]["role"] != "assistant"
        assert sum(m["role"] == "assistant" for m in prefix) == i
    with pytest.raises(RuntimeBug):
        to_messages(ep, upto=len(ep.steps) + 1)


def test_revision_continues_its_parent_conversation(demo_store: Store) -> None:
    ep, pool = _first(demo_store, lambda e: e.attempt == 2, attempt=2)
    parent = pool.parent(ep)
    assert parent is not None
    msgs = to_messages(ep, parent=parent)
    n_parent = sum(m["role"] == "assistant" for m in to_messages(parent))
    feedback = [m for m in msgs if m["role"] == "user" and m["content"] == ep.feedback]
    assert len(feedback) == 1
    i = msgs.index(feedback[0])
    assert sum(m["role"] == "assistant" for m in msgs[:i]) == n_parent
    whole = to_messages(parent)
    assert msgs[:i] == whole[: len(whole) - len(tail_messages(parent.steps[-1]))]
    with pytest.raises(RuntimeBug, match="pass parent"):
        to_messages(ep)


def test_tool_specs_are_the_tasks_tools_as_openai_functions(demo_store: Store) -> None:
    ep, pool = _first(demo_store, lambda e: e.outcome == "final_answer")
    run = pool.run(ep.run_id)
    task = get_suite("core").task(ep.task_id)
    assert task_tools(ep, pool) == list(task.tools)
    specs = episode_tool_specs(ep, pool)
    assert [s["function"]["name"] for s in specs] == list(task.tools)
    for spec in specs:
        ToolSpec.model_validate(spec)
        assert spec["function"]["parameters"]["type"] == "object"
    assert tool_specs(run, task.tools) == specs
