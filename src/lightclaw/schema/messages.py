"""What a policy sees: the observation history, as typed messages, and its raw output."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from lightclaw.schema.errors import ErrorType


class RawOutput(BaseModel):
    """A policy's output as emitted: free text and/or OpenAI-style ``tool_calls`` objects."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str | None = None
    tool_calls: list[Any] | None = None
    """JSON values as emitted (the runtime only stores what serialises to JSON)."""


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SystemMessage(_Message):
    kind: Literal["system"] = "system"
    content: str


class UserMessage(_Message):
    kind: Literal["user"] = "user"
    content: str


class AssistantMessage(_Message):
    """The policy's raw output at a step (kept verbatim, parseable or not)."""

    kind: Literal["assistant"] = "assistant"
    step: int
    raw: RawOutput


class ToolResultMessage(_Message):
    """The result of one tool call: its output as text, or the error fed back to the policy."""

    kind: Literal["tool_result"] = "tool_result"
    call_id: str
    tool: str
    content: str
    error_type: ErrorType | None = None


class FeedbackMessage(_Message):
    """Runtime feedback on a step that is not tied to one call (e.g. invalid_format)."""

    kind: Literal["feedback"] = "feedback"
    step: int
    error_type: ErrorType | None = None
    content: str


Message = Annotated[
    SystemMessage | UserMessage | AssistantMessage | ToolResultMessage | FeedbackMessage,
    Field(discriminator="kind"),
]
MESSAGE_ADAPTER: TypeAdapter[Message] = TypeAdapter(Message)
MESSAGE_LIST_ADAPTER: TypeAdapter[list[Message]] = TypeAdapter(list[Message])


class ToolSchema(BaseModel):
    """A tool as the policy sees it (OpenAI function-calling shape via :meth:`openai`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str
    parameters: dict[str, Any]

    def openai(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }
