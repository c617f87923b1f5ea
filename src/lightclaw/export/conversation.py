"""Episodes as TRL conversational messages (OpenAI roles, native ``tool_calls``).

Rendering rules (docs/exports.md, "Conversations"):

* The recorded system prompt asks for JSON actions in text; since exported assistant turns use
  native ``tool_calls``, that runtime preamble is replaced by :data:`NATIVE_SYSTEM` (the task's own
  system text is kept). Other system prompts are kept verbatim.
* Per step: the messages the policy observed, then its assistant message: ``tool_calls`` (one item
  per parallel call, ``arguments`` a JSON object) for tool calls, ``content`` for ``ask_user`` (the
  question), ``final_answer`` (the answer; JSON answers as JSON text) and a self-correction's
  reason. ``content`` is always present (``""`` on a tool-call turn without text): chat templates
  such as SmolLM2's read ``message['content']`` on every turn. Output that did not parse is kept
  verbatim as ``content``; a step whose policy produced nothing (model error) has no assistant
  message.
* Tool results become ``{"role": "tool", "name", "content"}`` in call order; runtime feedback
  (e.g. invalid_format) and simulated-user replies become ``user`` messages.
* The last step's results, which no later step observed, are rebuilt from its call records with
  the runtime's own renderer (:mod:`lightclaw.schema.render`).
* An attempt-2 episode continues its parent's conversation (pass ``parent``) as the revision saw
  it: the parent's turns without its last step's results, then the feedback.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lightclaw.errors import RuntimeBug, UserError
from lightclaw.schema import (
    AskUser,
    AssistantMessage,
    Episode,
    ErrorType,
    FeedbackMessage,
    FinalAnswer,
    Message,
    Run,
    SelfCorrection,
    Step,
    SystemMessage,
    ToolCall,
    ToolResultMessage,
    UserMessage,
    effective,
)
from lightclaw.schema.actions import ACTION_LIST_ADAPTER
from lightclaw.schema.render import DEFAULT_SYSTEM, result_text

if TYPE_CHECKING:
    from lightclaw.export.pool import Pool

NATIVE_SYSTEM = (
    "You are an assistant that solves the user's task with the tools provided. Call tools when "
    "you need them (several at once when they are independent), read their results and errors, "
    "fix mistakes, ask the user when information is missing, and reply with the final answer "
    "when done."
)

Msg = dict[str, Any]
_FEEDBACK_ERRORS = (ErrorType.INVALID_FORMAT, ErrorType.GUI_MISS)


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def system_text(recorded: str) -> str:
    """The exported system prompt for a recorded one (see the module docstring)."""
    if recorded.startswith(DEFAULT_SYSTEM):
        return NATIVE_SYSTEM + recorded[len(DEFAULT_SYSTEM) :]
    return recorded


def observed(message: Message) -> Msg | None:
    """One observed message as a chat message (assistant messages are rendered from steps)."""
    if isinstance(message, SystemMessage):
        return {"role": "system", "content": system_text(message.content)}
    if isinstance(message, UserMessage):
        return {"role": "user", "content": message.content}
    if isinstance(message, ToolResultMessage):
        return {"role": "tool", "name": message.tool, "content": message.content}
    if isinstance(message, FeedbackMessage):
        return {"role": "user", "content": message.content}
    if isinstance(message, AssistantMessage):
        return None
    raise RuntimeBug(f"unknown message kind {type(message).__name__}")


def assistant_message(step: Step) -> Msg | None:
    """The assistant turn of ``step`` (None when the policy produced nothing)."""
    raw = step.raw_output
    if not step.actions:
        if raw.text is None and raw.tool_calls is None:
            return None
        text = raw.text if raw.text is not None else json.dumps(raw.tool_calls)
        return {"role": "assistant", "content": text}
    texts: list[str] = []
    if raw.tool_calls and raw.text and raw.text.strip():
        texts.append(raw.text)  # commentary next to native tool calls
    calls: list[Msg] = []
    for action in step.actions:
        if isinstance(action, SelfCorrection):
            texts.append(action.reason)
        act = effective(action)
        if isinstance(act, ToolCall):
            calls.append(
                {"type": "function", "function": {"name": act.tool, "arguments": act.arguments}}
            )
        elif isinstance(act, AskUser):
            texts.append(act.question)
        elif isinstance(act, FinalAnswer):
            texts.append(_json_text(act.content))
        else:
            texts.append(json.dumps(ACTION_LIST_ADAPTER.dump_python([act], mode="json")[0]))
    message: Msg = {"role": "assistant", "content": "\n\n".join(texts)}
    if calls:
        message["tool_calls"] = calls
    return message


def tail_messages(step: Step) -> list[Msg]:
    """What followed the last step (never observed by a later step), rebuilt from its records."""
    out: list[Msg] = []
    for rec in step.calls:
        out.append({"role": "tool", "name": rec.tool, "content": result_text(rec)})
    if step.error_type in _FEEDBACK_ERRORS and step.error_message:
        out.append({"role": "user", "content": step.error_message})
    if step.user_reply is not None:
        out.append({"role": "user", "content": step.user_reply})
    return out


def _episode_messages(episode: Episode, upto: int | None, *, tail: bool) -> list[Msg]:
    out: list[Msg] = []
    steps = episode.steps
    for step in steps:
        out.extend(m for m in map(observed, step.observation) if m is not None)
        if upto is not None and step.index >= upto:
            return out
        turn = assistant_message(step)
        if turn is not None:
            out.append(turn)
    if steps and tail:
        out.extend(tail_messages(steps[-1]))
    return out


def to_messages(
    episode: Episode,
    *,
    upto: int | None = None,
    system: bool = True,
    parent: Episode | None = None,
) -> list[Msg]:
    """The episode as TRL conversational messages.

    ``upto=i`` stops before step ``i``'s assistant turn (the prompt that step answered: its
    observation included). An attempt-2 episode needs its ``parent`` (attempt 1): its own record
    starts with the feedback message that followed the parent's conversation.
    """
    if upto is not None and not 0 <= upto <= len(episode.steps):
        raise RuntimeBug(f"upto={upto} outside 0..{len(episode.steps)} for {episode.id}")
    out: list[Msg] = []
    if episode.parent_id is not None:
        if parent is None or parent.id != episode.parent_id:
            raise RuntimeBug(f"episode {episode.id} continues {episode.parent_id}: pass parent")
        # the revision saw the parent's history without its last step's results
        out.extend(_episode_messages(parent, None, tail=False))
    out.extend(_episode_messages(episode, upto, tail=upto is None))
    if not system:
        out = [m for m in out if m["role"] != "system"]
    return out


def task_tools(episode: Episode, pool: Pool) -> list[str]:
    """Names of the tools the episode's task offered (from its run's task snapshot; without
    one, the tools the episode called)."""
    task = pool.task(episode)
    if task is not None:
        return list(task.tools)
    called = {
        act.tool
        for step in episode.steps
        for act in map(effective, step.actions)
        if isinstance(act, ToolCall)
    }
    return sorted(called)


def tool_specs(run: Run, names: Sequence[str]) -> list[dict[str, Any]]:
    """OpenAI function schemas of ``names`` as stored with ``run`` (in the order given)."""
    stored = {r.name: r.json_schema for r in run.tool_schemas}
    missing = [n for n in names if n not in stored]
    if missing:
        raise UserError(f"run {run.id} stored no schema for tools {missing}")
    return [_spec(stored[n]) for n in names]


def episode_tool_specs(episode: Episode, pool: Pool) -> list[dict[str, Any]]:
    """The tool schemas the episode's policy was offered (per-task tools for BFCL-style suites)."""
    suite = pool.suite(episode.run_id)
    task = pool.task(episode)
    if suite is not None and task is not None and suite.task_registry is not None:
        return [s.openai() for s in suite.task_registry(task).schemas()]
    run = pool.run(episode.run_id)
    names = task_tools(episode, pool)
    stored = {r.name for r in run.tool_schemas}
    return tool_specs(run, [n for n in names if n in stored])


def _spec(schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": schema["name"],
            "description": schema.get("description", ""),
            "parameters": schema.get("parameters", {"type": "object", "properties": {}}),
        },
    }
