"""The closed error taxonomy (SPEC §2). One value per failed step."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict


class ErrorType(StrEnum):
    # detected by the runtime
    INVALID_FORMAT = "invalid_format"
    UNKNOWN_TOOL = "unknown_tool"
    WRONG_ARGS = "wrong_args"
    TOOL_ERROR = "tool_error"
    TIMEOUT = "timeout"
    POLICY_BLOCKED = "policy_blocked"
    REDUNDANT_CALL = "redundant_call"
    GUI_MISS = "gui_miss"
    MAX_STEPS = "max_steps"
    MODEL_ERROR = "model_error"
    # judged by verifiers against ground truth
    WRONG_TOOL = "wrong_tool"
    SEMANTIC_WRONG_ARGS = "semantic_wrong_args"
    WRONG_ANSWER = "wrong_answer"
    OVER_CORRECTION = "over_correction"


CALL_ERRORS: frozenset[ErrorType] = frozenset(
    {
        ErrorType.UNKNOWN_TOOL,
        ErrorType.WRONG_ARGS,
        ErrorType.TOOL_ERROR,
        ErrorType.TIMEOUT,
        ErrorType.POLICY_BLOCKED,
        ErrorType.REDUNDANT_CALL,
    }
)
"""Errors that only a failed tool call gives a step (the executor's vocabulary). A step that also
holds a failed GUI action is named by its call error: call errors rank first."""
RUNTIME_ERRORS: frozenset[ErrorType] = CALL_ERRORS | {
    ErrorType.INVALID_FORMAT,
    ErrorType.GUI_MISS,
    ErrorType.MAX_STEPS,
    ErrorType.MODEL_ERROR,
}
"""Errors the runtime detects (SPEC §2): the call errors and those of a whole step."""
JUDGED_ERRORS: frozenset[ErrorType] = frozenset(set(ErrorType) - RUNTIME_ERRORS)

# Severity when several calls of one step fail: the step keeps the first in this order.
ERROR_PRIORITY: tuple[ErrorType, ...] = (
    ErrorType.MODEL_ERROR,
    ErrorType.INVALID_FORMAT,
    ErrorType.POLICY_BLOCKED,
    ErrorType.UNKNOWN_TOOL,
    ErrorType.WRONG_ARGS,
    ErrorType.TIMEOUT,
    ErrorType.TOOL_ERROR,
    ErrorType.REDUNDANT_CALL,
    ErrorType.GUI_MISS,
    ErrorType.MAX_STEPS,
)

ArgIssueKind = Literal["missing", "unexpected", "wrong_type", "enum", "range", "invalid"]


class ArgIssue(BaseModel):
    """One problem with a tool call's arguments, from schema validation (wrong_args)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ArgIssueKind
    loc: str
    message: str
    input: str | None = None


def worst(errors: list[ErrorType]) -> ErrorType | None:
    """The error that names a step with several failed calls."""
    for candidate in ERROR_PRIORITY:
        if candidate in errors:
            return candidate
    return errors[0] if errors else None
