"""Row models of the export formats: every row is validated against one of these before writing.

Shared pieces (messages, tool specs, :class:`RowMeta`) are used by every format; each format adds
its row model here or in its own module. Rows serialise with ``model_dump(mode="json",
by_alias=True)``; :class:`ChatMessage` omits its unset keys, as in TRL's dataset_formats.md.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from lightclaw.schema import Episode, Run

Role = Literal["system", "user", "assistant", "tool"]


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
    """A TRL conversational message (OpenAI roles); unset keys are left out when dumped."""

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
        if self.role == "assistant" and self.content is None and not self.tool_calls:
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
    reward: float | None
    success: bool | None
    outcome: str
    stop_reason: str | None = None
    n_steps: int = Field(ge=0)
    error_types: list[str] = Field(default_factory=list)
    """One entry per failed step of the trajectory (repeats count)."""
    safety_domain: bool = False
    """A recruiting safe-stop sample (none are produced yet; the key is always present)."""


def row_meta(episode: Episode, run: Run, *, split: str, sample_type: str) -> RowMeta:
    """The :class:`RowMeta` of a row built from ``episode`` (a revision counts its own steps)."""
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
        }
    )


def _check_conversation(messages: list[ChatMessage]) -> None:
    if not any(m.role == "assistant" for m in messages):
        raise ValueError("the conversation has no assistant message to learn from")
    if any(m.role == "system" for m in messages[1:]):
        raise ValueError("a system message may only come first")


class SftRow(_Row):
    """TRL conversational SFT with tool calling: ``messages`` plus ``tools`` (JSON schemas)."""

    messages: list[ChatMessage] = Field(min_length=2)
    tools: list[ToolSpec]
    meta: RowMeta

    @model_validator(mode="after")
    def _conversation(self) -> SftRow:
        _check_conversation(self.messages)
        if self.messages[-1].role != "assistant":
            raise ValueError("an SFT conversation ends with the assistant turn it teaches")
        return self


ShareGptRole = Literal["human", "gpt", "function_call", "observation"]
_ODD = ("human", "observation")
_EVEN = ("gpt", "function_call")


class ShareGptTurn(_Row):
    """One LLaMA-Factory sharegpt turn: ``{"from": ..., "value": ...}``."""

    from_: ShareGptRole = Field(alias="from")
    value: str


def check_sharegpt_turns(turns: list[ShareGptTurn], *, ranking: bool = False) -> None:
    """LLaMA-Factory's rule: human/observation at odd positions, gpt/function_call at even ones;
    an even count for SFT (ends with the model) and an odd count for ranking prompts."""
    for i, turn in enumerate(turns):
        allowed = _ODD if i % 2 == 0 else _EVEN
        if turn.from_ not in allowed:
            raise ValueError(f"turn {i} is {turn.from_!r}; position {i + 1} needs one of {allowed}")
        if turn.from_ == "function_call":
            calls = json.loads(turn.value)
            for call in calls if isinstance(calls, list) else [calls]:
                if not isinstance(call, dict) or set(call) != {"name", "arguments"}:
                    raise ValueError(f"turn {i}: function_call items are {{name, arguments}}")
    if len(turns) % 2 != (1 if ranking else 0):
        raise ValueError(
            f"{len(turns)} turns; sharegpt needs an {'odd' if ranking else 'even'} count"
        )


def check_tools_json(tools: str) -> None:
    """The sharegpt ``tools`` column: a JSON string of a list of {name, description, parameters}."""
    parsed = json.loads(tools)
    if not isinstance(parsed, list):
        raise ValueError("tools must be a JSON list")
    for item in parsed:
        FunctionSpec.model_validate(item)


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
        check_tools_json(self.tools)
        return self
