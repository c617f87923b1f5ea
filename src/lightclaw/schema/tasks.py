"""Tasks and their ground truth: expected calls (BFCL-style), answers, final state, oracle."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from lightclaw.schema.actions import Action

AnswerMatch = Literal[
    "exact", "normalized", "numeric", "json_subset", "regex", "contains", "python"
]


class ExpectedCall(BaseModel):
    """One expected call; each argument lists its acceptable values (``""`` = may be omitted)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tool: str
    arguments: dict[str, list[JsonValue]] = Field(default_factory=dict)


class SimulatedUser(BaseModel):
    """Answers ``ask_user`` actions in order; when the replies run out the episode needs a user."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    replies: list[str]


class Task(BaseModel):
    """A task: prompt, tools offered, ground truth and an oracle solution that passes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    suite: str = "custom"
    prompt: str = Field(min_length=1)
    system: str | None = None
    tools: list[str] = Field(min_length=1)
    initial_state: dict[str, JsonValue] = Field(default_factory=dict)
    expected_calls: list[ExpectedCall] = Field(default_factory=list)
    calls_ordered: bool = False
    no_call_expected: bool = False
    """Irrelevance (BFCL): none of the tools fits, so any tool call is ``wrong_tool``."""
    expected_answer: JsonValue = None
    answer_match: AnswerMatch = "normalized"
    tolerance: float = Field(default=1e-6, ge=0)
    verifier: str | None = None
    """With ``answer_match: python``: ``module:function`` or ``path/file.py:function``."""
    expected_state: dict[str, JsonValue] | None = None
    user: SimulatedUser | None = None
    oracle: list[list[Action]] = Field(min_length=1)
    max_steps: int = Field(default=10, ge=1, le=200)
    tags: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _verifier_with_python(self) -> Task:
        if self.answer_match == "python" and self.verifier is None:
            raise ValueError("answer_match 'python' needs a 'verifier' (module:function)")
        if self.verifier is not None and self.answer_match != "python":
            raise ValueError("a 'verifier' is used only with answer_match 'python'")
        return self


class TaskSnapshot(BaseModel):
    """A task definition as stored with a run, with the tool docs it brought (if any)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task: Task
    tool_docs: list[dict[str, Any]] | None = None
    """For suites whose tools come with the task file (BFCL): the function docs offered."""
