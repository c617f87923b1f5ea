"""The core suite's tools and the shape of the episode state they share.

Every tool reads and writes ``ctx.state`` (a JSON-able dict). Reading tools never mutate it; a
missing section counts as empty and writing tools create it. Sections:

``calendar``: list of events ``{"id": "evt-1", "title": str, "date": "YYYY-MM-DD",
  "start": "HH:MM", "duration_minutes": int, "attendees": [email, ...], "location": str | null,
  "reminder": {"minutes_before": int, "channel": "popup" | "email" | "sms"} | null}``
``notes``: list of ``{"id": "note-1", "title": str, "body": str, "tags": [str, ...]}``
``documents``: list of ``{"id": str, "title": str, "text": str}``; when absent, search_docs
  searches the built-in company handbook (:data:`HANDBOOK`)
``contacts``: list of ``{"name": str, "email": str, "phone": str, "team": str, "timezone": str}``
``todos``: list of ``{"id": "todo-1", "title": str, "priority": "low" | "normal" | "high",
  "due": "YYYY-MM-DD" | null, "done": bool}``
``kv``: object mapping keys to text, number or boolean values

New ids are one more than the largest existing number of their prefix (``evt``, ``note``,
``todo``), so a run is deterministic given the initial state and the order of calls.
Currency conversion uses the fixed table :data:`RATES_PER_USD`; ``fetch_live_rates`` models a
remote service that never answers here (it times out after 0.3 s).
"""

from lightclaw.suites.core.calendar_tools import Reminder, create_event, delete_event, list_events
from lightclaw.suites.core.compute import (
    RATES_PER_USD,
    calculate,
    convert_currency,
    convert_units,
    fetch_live_rates,
)
from lightclaw.suites.core.dates import add_days, days_between, weekday_of
from lightclaw.suites.core.organizer import (
    add_todo,
    complete_todo,
    find_contact,
    kv_delete,
    kv_get,
    kv_set,
    list_todos,
)
from lightclaw.suites.core.search import HANDBOOK, save_note, search_docs, search_notes
from lightclaw.tools import Tool, ToolRegistry

CORE_TOOLS: tuple[Tool, ...] = (
    create_event,
    list_events,
    delete_event,
    save_note,
    search_notes,
    search_docs,
    find_contact,
    add_todo,
    complete_todo,
    list_todos,
    kv_set,
    kv_get,
    kv_delete,
    convert_units,
    convert_currency,
    fetch_live_rates,
    calculate,
    add_days,
    days_between,
    weekday_of,
)


def core_registry() -> ToolRegistry:
    """A fresh registry holding every core tool."""
    registry = ToolRegistry()
    for core_tool in CORE_TOOLS:
        registry.register(core_tool)
    return registry


__all__ = ["CORE_TOOLS", "HANDBOOK", "RATES_PER_USD", "Reminder", "core_registry"]
