"""Helpers shared by the core tools: strict date/time parsing, ids and state access."""

from __future__ import annotations

import copy
import re
from datetime import date
from typing import Any, TypeVar

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"(\d{1,2}):(\d{2})")
T = TypeVar("T")


def parse_date(value: str, what: str = "date") -> date:
    """Parse a ``YYYY-MM-DD`` date or raise a ``ValueError`` that says what is expected."""
    if not _DATE.fullmatch(value.strip()):
        raise ValueError(f"malformed {what} {value!r}: expected YYYY-MM-DD, e.g. 2026-03-05")
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValueError(f"invalid {what} {value!r}: {exc}") from None


def parse_time(value: str, what: str = "time") -> int:
    """Minutes since midnight of a 24-hour ``HH:MM`` time."""
    match = _TIME.fullmatch(value.strip())
    if match is None:
        raise ValueError(f"malformed {what} {value!r}: expected 24-hour HH:MM, e.g. 14:30")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours > 23 or minutes > 59:
        raise ValueError(f"invalid {what} {value!r}: hours must be 0-23 and minutes 0-59")
    return hours * 60 + minutes


def format_time(minutes: int) -> str:
    """``HH:MM`` for minutes since midnight."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def next_id(items: list[dict[str, Any]], prefix: str) -> str:
    """The next ``<prefix>-<n>`` id: one more than the largest existing number."""
    numbers = [0]
    for item in items:
        head, _, tail = str(item.get("id", "")).rpartition("-")
        if head == prefix and tail.isdigit():
            numbers.append(int(tail))
    return f"{prefix}-{max(numbers) + 1}"


def read_list(state: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """A list section of the state for reading (missing means empty; never mutates)."""
    value = state.get(key)
    return value if isinstance(value, list) else []


def write_list(state: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """A list section of the state for writing, created if missing."""
    value = state.setdefault(key, [])
    if not isinstance(value, list):
        raise TypeError(f"state[{key!r}] must be a list, found {type(value).__name__}")
    return value


def find_by_id(items: list[dict[str, Any]], item_id: str, what: str) -> dict[str, Any]:
    """The item with ``id == item_id`` or a ``LookupError`` listing the ids that exist."""
    for item in items:
        if item.get("id") == item_id:
            return item
    known = ", ".join(str(item.get("id")) for item in items) or "none"
    raise LookupError(f"no {what} with id {item_id!r}; existing ids: {known}")


def snapshot(value: T) -> T:
    """A deep copy, so a tool's output never aliases the live state."""
    return copy.deepcopy(value)
