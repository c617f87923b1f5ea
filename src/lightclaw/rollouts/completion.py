"""Recorded outputs run again through the runtime: a chat completion, or a task's oracle.

A reward function receives what the model said, not an episode. :func:`completion_outputs`
turns a completion (TRL conversational messages, or one decoded string as verl passes it) into
the policy outputs it stands for, and :func:`run_outputs` runs them through LightClaw's own
runtime against the task's tools, from the task's initial state -- parsing, schema validation,
execution, redundancy checks and error attribution are the runtime's, exactly as at collection.
The tool results inside a completion are not trusted: the tools run again (the core tools and
BFCL's recording tools are deterministic).

How assistant turns become outputs (docs/reward.md):

* a turn with ``tool_calls`` is those calls (any text beside them is commentary); a text turn
  holding Hermes/Qwen ``<tool_call>{...}</tool_call>`` blocks is those calls; ``<think>``
  reasoning is dropped;
* a text turn that parses as a JSON action is that action;
* any other text turn is, by what follows it in the completion: a question to the task's
  simulated user when the next message is a user message equal to the user's next reply; the
  raw output (which the runtime rejects as ``invalid_format``) when another user message follows
  (the runtime's feedback); otherwise the final answer -- prose, or the JSON object or list it
  holds (exported conversations, and TRL's tool loop, end with the answer in plain text);
* when the outputs run out before the episode ends, the next step is a ``model_error`` ("the
  completion ended"), as when a model stops answering.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from lightclaw.policies.base import BasePolicy, PolicyError, PolicyOutput, PolicyRequest
from lightclaw.policies.parsing import parse_output, render_actions
from lightclaw.runtime import run_episode
from lightclaw.schema import AskUser, FinalAnswer, RawOutput

if TYPE_CHECKING:
    from lightclaw.schema import Episode, Task
    from lightclaw.tools import ToolRegistry

__all__ = [
    "COMPLETION_ENDED",
    "Completion",
    "OutputsPolicy",
    "blocking",
    "completion_outputs",
    "run_outputs",
]

Completion = str | Sequence[Mapping[str, Any]]
COMPLETION_ENDED = "the completion ended before the episode did"
_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL)
_TOOL_CALL_TAG = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)
T = TypeVar("T")


class OutputsPolicy(BasePolicy):
    """Emits ``outputs`` in order; once they run out, fails like a model that stopped."""

    def __init__(self, outputs: Sequence[PolicyOutput], name: str = "completion") -> None:
        self.name = name
        self.outputs = list(outputs)
        self.used = 0

    async def act(self, request: PolicyRequest) -> PolicyOutput:
        if self.used >= len(self.outputs):
            raise PolicyError(COMPLETION_ENDED)
        self.used += 1
        return self.outputs[self.used - 1]


def _text_of(content: Any) -> str:
    """Message content as text (a list of ``{"type": "text", "text": ...}`` parts is joined)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text", "") if isinstance(p, Mapping) else str(p) for p in content]
        return "".join(part for part in parts if isinstance(part, str))
    return str(content)


def _tagged_calls(text: str) -> RawOutput | None:
    """``<tool_call>`` blocks as raw tool calls (broken JSON: the block's text, to be judged)."""
    blocks = _TOOL_CALL_TAG.findall(text)
    if not blocks:
        return None
    calls = []
    for block in blocks:
        try:
            calls.append(json.loads(block))
        except ValueError:
            return RawOutput(text=block)
    return RawOutput(tool_calls=calls)


def _answer(text: str) -> FinalAnswer:
    """A final answer: the JSON object or list the text holds, else the text."""
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        try:
            value = json.loads(stripped)
        except ValueError:
            pass
        else:
            if isinstance(value, dict | list):
                return FinalAnswer(content=value)
    return FinalAnswer(content=stripped)


def completion_outputs(completion: Completion, replies: Sequence[str] = ()) -> list[PolicyOutput]:
    """The policy outputs a completion stands for (rules in the module docstring);
    ``replies`` are the task's simulated-user replies, in order."""
    messages: list[Mapping[str, Any]] = (
        [{"role": "assistant", "content": completion}]
        if isinstance(completion, str)
        else [m for m in completion if isinstance(m, Mapping)]
    )
    outputs: list[PolicyOutput] = []
    asked = 0
    for position, message in enumerate(messages):
        if message.get("role", "assistant") != "assistant":
            continue
        text = _text_of(message.get("content"))
        calls = message.get("tool_calls")
        if calls:
            outputs.append(RawOutput(text=text or None, tool_calls=list(calls)))
            continue
        text = _THINK.sub("", text)
        tagged = _tagged_calls(text)
        if tagged is not None:
            outputs.append(tagged)
            continue
        raw = RawOutput(text=text)
        if not text.strip() or parse_output(raw).ok:
            outputs.append(raw)  # the runtime parses it (or rejects the empty output) itself
            continue
        after = messages[position + 1] if position + 1 < len(messages) else None
        if after is not None and after.get("role") == "user":
            if asked < len(replies) and _text_of(after.get("content")) == replies[asked]:
                asked += 1
                outputs.append(render_actions([AskUser(question=text.strip())]))
            else:
                outputs.append(raw)  # unparseable output, answered by the runtime's feedback
            continue
        outputs.append(render_actions([_answer(text)]))
    return outputs


def run_outputs(
    task: Task, registry: ToolRegistry, outputs: Sequence[PolicyOutput], *, name: str
) -> Episode:
    """Run ``outputs`` as the policy of one episode of ``task`` (blocking; safe to call from
    inside a running event loop, which then is not blocked)."""
    policy = OutputsPolicy(outputs, name=name)
    return blocking(
        run_episode(task, policy, registry, run_id=name, policy_name=name, episode_id=name)
    )


def blocking(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to completion from synchronous code (in a worker thread when an event
    loop is already running in this one)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coroutine)
        except BaseException as exc:
            box["error"] = exc

    worker = threading.Thread(target=target, name="lightclaw-completion")
    worker.start()
    worker.join()
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]
