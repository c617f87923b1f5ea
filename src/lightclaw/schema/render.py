"""How the runtime renders what a policy sees, in one place: its system preamble and the text of
a tool result. The runtime writes observations with these; the exports read them back (the last
step's results, which no later step observed, are rebuilt from its call records with
:func:`result_text`), so both agree without export importing the runtime.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import to_json

from lightclaw.schema.trajectory import CallRecord

DEFAULT_SYSTEM = (
    "You are an assistant that solves the user's task with the tools provided. Each turn, reply "
    "with exactly one JSON action: "
    '{"kind": "tool_call", "tool": NAME, "arguments": {...}} (a list of these for parallel calls), '
    '{"kind": "ask_user", "question": TEXT} or {"kind": "final_answer", "content": ANSWER}. '
    "Tool results and errors come back as observations; fix errors and go on."
)
"""The runtime's action-format instructions (the task's own system text follows them)."""


def format_output(output: Any) -> str:
    """The text a policy sees for a tool's output."""
    return output if isinstance(output, str) else to_json(output).decode()


def result_text(record: CallRecord) -> str:
    """The text a policy sees for one call's result: its output, or its error."""
    if record.error_type is None:
        return format_output(record.output)
    return f"error ({record.error_type.value}): {record.error_message}"
