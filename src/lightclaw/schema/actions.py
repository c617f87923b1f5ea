"""The typed action union (SPEC §1): one vocabulary for runtime, store and exports."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, TypeAdapter


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ToolCall(_Action):
    """Call a registered tool with JSON arguments. Several per step are parallel calls."""

    kind: Literal["tool_call"] = "tool_call"
    tool: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    call_id: str | None = None


class AskUser(_Action):
    """Ask the user (or the task's simulated user) a question."""

    kind: Literal["ask_user"] = "ask_user"
    question: str


class FinalAnswer(_Action):
    """End the episode with an answer (text or JSON)."""

    kind: Literal["final_answer"] = "final_answer"
    content: JsonValue


class GuiClick(_Action):
    """Click at pixel coordinates of the screenshot the policy saw."""

    kind: Literal["gui_click"] = "gui_click"
    x: float
    y: float
    element_id: str | None = None


class GuiGrounding(_Action):
    """Locate the element an instruction refers to."""

    kind: Literal["gui_grounding"] = "gui_grounding"
    instruction: str
    point: tuple[float, float] | None = None
    bbox: tuple[float, float, float, float] | None = None
    element_id: str | None = None


Revisable = Annotated[ToolCall | FinalAnswer | GuiClick | GuiGrounding, Field(discriminator="kind")]


class SelfCorrection(_Action):
    """An explicit correction of an earlier step, carrying the revised action."""

    kind: Literal["self_correction"] = "self_correction"
    corrects_step: int = Field(ge=0)
    reason: str
    revised: Revisable


Action = Annotated[
    ToolCall | AskUser | FinalAnswer | GuiClick | GuiGrounding | SelfCorrection,
    Field(discriminator="kind"),
]
ACTION_ADAPTER: TypeAdapter[Action] = TypeAdapter(Action)
ACTION_LIST_ADAPTER: TypeAdapter[list[Action]] = TypeAdapter(list[Action])

ActionKind = Literal[
    "tool_call", "ask_user", "final_answer", "gui_click", "gui_grounding", "self_correction"
]


def effective(action: Action) -> Action:
    """The action that is actually carried out (a self_correction carries out its revision)."""
    return action.revised if isinstance(action, SelfCorrection) else action
