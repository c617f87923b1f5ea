"""Argument validation errors: Pydantic errors mapped to the closed ``ArgIssue`` kinds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from pydantic_core import to_json

from lightclaw.errors import LightClawError
from lightclaw.schema import ArgIssue, ErrorType

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from pydantic import BaseModel
    from pydantic_core import ErrorDetails

    from lightclaw.schema.errors import ArgIssueKind

_INPUT_LIMIT = 80
_RANGE_TYPES = frozenset(
    {
        "greater_than",
        "greater_than_equal",
        "less_than",
        "less_than_equal",
        "multiple_of",
        "too_short",
        "too_long",
        "string_too_short",
        "string_too_long",
        "bytes_too_short",
        "bytes_too_long",
        "int_parsing_size",
        "decimal_max_digits",
        "decimal_max_places",
        "decimal_whole_digits",
    }
)
_WRONG_TYPE_TYPES = frozenset(
    {
        "model_type",
        "model_attributes_type",
        "dataclass_type",
        "dataclass_exact_type",
        "int_from_float",
        "none_required",
        "is_instance_of",
        "is_subclass_of",
        "callable_type",
        "union_tag_invalid",
        "union_tag_not_found",
    }
)


def issue_kind(error_type: str) -> ArgIssueKind:
    """The ``ArgIssue`` kind for a Pydantic error type."""
    if error_type in ("missing", "missing_argument", "missing_keyword_only_argument"):
        return "missing"
    if error_type in ("extra_forbidden", "unexpected_keyword_argument"):
        return "unexpected"
    if error_type in ("literal_error", "enum"):
        return "enum"
    if error_type in _RANGE_TYPES:
        return "range"
    if (
        error_type in _WRONG_TYPE_TYPES
        or error_type.endswith("_type")
        or error_type.endswith("_parsing")
    ):
        return "wrong_type"
    return "invalid"


def short_repr(value: object) -> str:
    """``repr(value)`` cut to at most 80 characters."""
    text = repr(value)
    return text if len(text) <= _INPUT_LIMIT else text[: _INPUT_LIMIT - 3] + "..."


def _issue(error: ErrorDetails) -> ArgIssue:
    kind = issue_kind(error["type"])
    loc = ".".join(str(part) for part in error["loc"])
    shown = None if kind == "missing" else short_repr(error.get("input"))
    return ArgIssue(kind=kind, loc=loc, message=error["msg"], input=shown)


def _describe(issue: ArgIssue) -> str:
    """One clause of the feedback message for ``issue``."""
    what = "field" if "." in issue.loc else "argument"
    if issue.kind == "missing":
        return f"missing required {what} '{issue.loc}'"
    if issue.kind == "unexpected":
        return f"unexpected {what} '{issue.loc}'"
    subject = f"'{issue.loc}'" if issue.loc else "the arguments"
    message = issue.message
    if issue.kind == "enum" and message.startswith("Input should be "):
        choices = message[len("Input should be ") :]
        head, sep, last = choices.rpartition(" or ")
        text = f"{subject} must be one of {head}, {last}" if sep else f"{subject} must be {last}"
    elif message.startswith("Input should"):
        text = f"{subject} must{message[len('Input should') :]}"
    else:
        text = f"{subject}: {message[:1].lower()}{message[1:]}"
    return text if issue.input is None else f"{text} (got {issue.input})"


class ArgumentsInvalid(LightClawError):
    """Arguments that fail a tool's schema (``wrong_args``): issues and feedback for the model."""

    error_type = ErrorType.WRONG_ARGS

    def __init__(
        self, issues: list[ArgIssue], tool: str = "", accepted: Iterable[str] = ()
    ) -> None:
        self.issues = list(issues)
        self.tool = tool
        self.accepted = list(accepted)
        super().__init__(self.message())

    def message(self) -> str:
        """A one-paragraph summary of what is wrong and what is accepted, fed back to the policy."""
        head = f"wrong arguments for {self.tool}" if self.tool else "wrong arguments"
        clauses = [_describe(issue) for issue in self.issues] or ["invalid arguments"]
        text = f"{head}: {'; '.join(clauses)}."
        if any(i.kind in ("unexpected", "missing") and "." not in i.loc for i in self.issues):
            listed = ", ".join(f"'{name}'" for name in self.accepted) or "none"
            text += f" Accepted arguments: {listed}."
        return text

    def __str__(self) -> str:
        return self.message()


def validate_arguments(
    model: type[BaseModel],
    names: Mapping[str, str],
    arguments: object,
    tool: str = "",
) -> dict[str, Any]:
    """Validate JSON-like ``arguments`` with ``model`` in strict JSON mode.

    ``names`` maps the model's field names to the function's parameter names (the JSON keys).
    Returns keyword arguments for the function; raises :class:`ArgumentsInvalid` otherwise.
    """
    accepted = list(names.values())
    if not isinstance(arguments, dict):
        issue = ArgIssue(
            kind="wrong_type",
            loc="",
            message="Input should be an object",
            input=short_repr(arguments),
        )
        raise ArgumentsInvalid([issue], tool, accepted)
    try:
        payload = to_json(arguments, inf_nan_mode="strings")
    except (TypeError, ValueError) as exc:
        issue = ArgIssue(
            kind="invalid",
            loc="",
            message=f"Arguments are not JSON-serializable: {exc}",
            input=short_repr(arguments),
        )
        raise ArgumentsInvalid([issue], tool, accepted) from None
    try:
        instance = model.model_validate_json(payload, strict=True)
    except ValidationError as exc:
        issues = [_issue(error) for error in exc.errors()]
        raise ArgumentsInvalid(issues, tool, accepted) from None
    return {param: getattr(instance, field) for field, param in names.items()}
