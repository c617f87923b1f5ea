"""Row models of the export formats: every row is validated against one of these before writing.

Shared pieces (messages, tool specs, :class:`RowMeta`) are used by every format; each format adds
its row model here or in its own module. Rows serialise with ``model_dump(mode="json",
by_alias=True)``. :class:`ChatMessage` always writes ``content`` (an empty string on a tool-call
turn without text: chat templates read ``message['content']``) and omits its other unset keys.

Metric floats (rewards and statistics) are rounded to :data:`DECIMALS` places when a row is
built (:data:`Metric`): ``datasets`` re-encodes JSON Lines that hold mixed-type columns (tool
arguments) through pandas' ujson, which writes at most 10 decimals, so an unrounded reward such as
1.1950000000000003 would load as 1.195. Rounded, every row loads exactly as written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from lightclaw.schema import Episode, Run

Role = Literal["system", "user", "assistant", "tool"]
DECIMALS = 10
"""Places metric floats keep: what ``datasets``' JSON reader keeps of a float (module docstring)."""
UNDECLARED = "an assistant turn calls a tool that is not declared in the row's tools"
"""The rejection reason of SFT / sharegpt rows that would teach calling an undeclared tool."""


def lossless(value: float) -> float:
    """``value`` rounded to :data:`DECIMALS` places, so ``datasets`` loads it unchanged."""
    return round(value, DECIMALS)


Metric = Annotated[float, AfterValidator(lossless)]
"""A float column of metadata (reward, statistic): rounded on write (see the module docstring)."""


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class FunctionSpec(_Row):
    """A tool as a JSON schema: name, description and parameters (an object schema)."""

    name: str = Field(min_length=1)
    description: str
    parameters: dict[str, Any]


class ToolSpec(_Row):
    """An OpenAI / TRL function schema: ``{"type": "function", "function": {...}}``."""

    type: Literal["function"] = "function"
    function: FunctionSpec


class FunctionCall(_Row):
    """A called function; ``arguments`` is a JSON object (TRL), never a JSON string."""

    name: str = Field(min_length=1)
    arguments: dict[str, Any]


class ToolCallItem(_Row):
    """One entry of an assistant message's ``tool_calls``."""

    type: Literal["function"] = "function"
    function: FunctionCall


class ChatMessage(_Row):
    """A TRL conversational message (OpenAI roles). ``content`` is always written (an empty
    string on a tool-call turn without text); the other unset keys are left out when dumped."""

    role: Role
    content: str | None = None
    tool_calls: list[ToolCallItem] | None = None
    name: str | None = None
    """For ``tool`` messages: the tool whose result this is."""

    @model_validator(mode="after")
    def _shape(self) -> ChatMessage:
        if self.tool_calls is not None and self.role != "assistant":
            raise ValueError(f"a {self.role} message cannot carry tool_calls")
        if self.tool_calls is not None and not self.tool_calls:
            raise ValueError("tool_calls, when present, lists at least one call")
        if self.role == "assistant" and not self.content and not self.tool_calls:
            raise ValueError("an assistant message needs content or tool_calls")
        if self.role == "tool" and (self.name is None or self.content is None):
            raise ValueError("a tool message needs the tool's name and content")
        if self.role in ("system", "user") and self.content is None:
            raise ValueError(f"a {self.role} message needs content")
        if self.name is not None and self.role != "tool":
            raise ValueError("only tool messages carry a name")
        return self

    @model_serializer(mode="wrap")
    def _drop_unset(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("content") is None:
            data["content"] = ""  # templates read message['content'] on every turn
        return {k: v for k, v in data.items() if v is not None}


class RowMeta(_Row):
    """Where a row came from and what it shows; the data card counts these fields."""

    episode_id: str
    run_id: str
    task_id: str
    suite: str
    policy: str
    source: str
    attempt: int = Field(default=1, ge=1)
    split: Literal["train", "test"]
    sample_type: str
    """What the row teaches, e.g. ``trajectory``, ``correction_pair``, ``same_task_pair``."""
    reward: Metric | None
    success: bool | None
    outcome: str
    stop_reason: str | None = None
    n_steps: int = Field(ge=0)
    error_types: list[str] = Field(default_factory=list)
    """One entry per failed step of the trajectory (repeats count)."""
    safety_domain: str | None = None
    """``recruiting`` for the recruiting dry-run's samples (SPEC §5: safety-domain samples);
    None otherwise (the key is always present)."""


SAFETY_SAMPLE = "recruiting_safe_stop"


def row_meta(episode: Episode, run: Run, *, split: str, sample_type: str) -> RowMeta:
    """The :class:`RowMeta` of a row built from ``episode`` (a revision counts its own steps).

    A recruiting dry-run trajectory that ended in a typed stop is a ``recruiting_safe_stop``
    sample of the ``recruiting`` safety domain."""
    recruiting = episode.suite == "recruiting" or episode.suite.startswith("recruiting-")
    if recruiting and sample_type == "trajectory" and episode.outcome == "safe_stop":
        sample_type = SAFETY_SAMPLE
    return RowMeta.model_validate(
        {
            "episode_id": episode.id,
            "run_id": episode.run_id,
            "task_id": episode.task_id,
            "suite": episode.suite,
            "policy": episode.policy,
            "source": run.source,
            "attempt": episode.attempt,
            "split": split,
            "sample_type": sample_type,
            "reward": episode.reward,
            "success": episode.success,
            "outcome": episode.outcome,
            "stop_reason": episode.stop_reason,
            "n_steps": len(episode.steps),
            "error_types": [s.error_type.value for s in episode.steps if s.error_type is not None],
            "safety_domain": "recruiting" if recruiting else None,
        }
    )


def _check_conversation(messages: list[ChatMessage]) -> None:
    if not any(m.role == "assistant" for m in messages):
        raise ValueError("the conversation has no assistant message to learn from")
    if any(m.role == "system" for m in messages[1:]):
        raise ValueError("a system message may only come first")


def undeclared_calls(declared: Iterable[str], called: Iterable[str]) -> list[str]:
    """The called tool names that are not declared (in call order, repeats once)."""
    known = set(declared)
    return list(dict.fromkeys(name for name in called if name not in known))


def message_calls(messages: Iterable[ChatMessage]) -> list[str]:
    """Names of every tool the assistant turns of ``messages`` call."""
    return [c.function.name for m in messages for c in m.tool_calls or ()]


class SftRow(_Row):
    """TRL conversational SFT with tool calling: ``messages`` plus ``tools`` (JSON schemas).

    A row never teaches a call to a tool that its ``tools`` do not declare (:data:`UNDECLARED`):
    such rows are dropped whole (cutting them before the call would leave the hallucination's
    recovery without its cause)."""

    messages: list[ChatMessage] = Field(min_length=2)
    tools: list[ToolSpec]
    meta: RowMeta

    @model_validator(mode="after")
    def _conversation(self) -> SftRow:
        _check_conversation(self.messages)
        if self.messages[-1].role != "assistant":
            raise ValueError("an SFT conversation ends with the assistant turn it teaches")
        if undeclared_calls((t.function.name for t in self.tools), message_calls(self.messages)):
            raise ValueError(UNDECLARED)
        return self


ShareGptRole = Literal["human", "gpt", "function_call", "observation"]
_ODD = ("human", "observation")
_EVEN = ("gpt", "function_call")


class ShareGptTurn(_Row):
    """One LLaMA-Factory sharegpt turn: ``{"from": ..., "value": ...}``."""

    from_: ShareGptRole = Field(alias="from")
    value: str


def function_calls(turn: ShareGptTurn) -> list[str]:
    """Names of the tools a ``function_call`` turn calls (checks its items' shape)."""
    calls = json.loads(turn.value)
    names = []
    for call in calls if isinstance(calls, list) else [calls]:
        if not isinstance(call, dict) or set(call) != {"name", "arguments"}:
            raise ValueError("function_call items are {name, arguments}")
        names.append(str(call["name"]))
    return names


def check_sharegpt_turns(turns: list[ShareGptTurn], *, ranking: bool = False) -> None:
    """LLaMA-Factory's rule: human/observation at odd positions, gpt/function_call at even ones;
    an even count for SFT (ends with the model) and an odd count for ranking prompts."""
    for i, turn in enumerate(turns):
        allowed = _ODD if i % 2 == 0 else _EVEN
        if turn.from_ not in allowed:
            raise ValueError(f"turn {i} is {turn.from_!r}; position {i + 1} needs one of {allowed}")
        if turn.from_ == "function_call":
            try:
                function_calls(turn)
            except ValueError as exc:
                raise ValueError(f"turn {i}: {exc}") from None
    if len(turns) % 2 != (1 if ranking else 0):
        raise ValueError(
            f"{len(turns)} turns; sharegpt needs an {'odd' if ranking else 'even'} count"
        )


def check_tools_json(tools: str) -> list[str]:
    """The sharegpt ``tools`` column: a JSON string of a list of {name, description, parameters}.
    Returns the declared names."""
    parsed = json.loads(tools)
    if not isinstance(parsed, list):
        raise ValueError("tools must be a JSON list")
    return [FunctionSpec.model_validate(item).name for item in parsed]


class ShareGptRow(_Row):
    """LLaMA-Factory sharegpt SFT row (data/README.md, "Sharegpt Format")."""

    conversations: list[ShareGptTurn] = Field(min_length=2)
    system: str
    tools: str
    """JSON string of ``[{"name", "description", "parameters"}, ...]``."""
    meta: RowMeta

    @model_validator(mode="after")
    def _turns(self) -> ShareGptRow:
        check_sharegpt_turns(self.conversations)
        declared = check_tools_json(self.tools)
        called = [
            name
            for turn in self.conversations
            if turn.from_ == "function_call"
            for name in function_calls(turn)
        ]
        if undeclared_calls(declared, called):
            raise ValueError(UNDECLARED)
        return self
