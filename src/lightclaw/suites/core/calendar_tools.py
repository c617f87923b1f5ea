"""Calendar tools: events live in ``state["calendar"]``, a list of event dicts (see tools.py)."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from lightclaw.suites.core._common import (
    find_by_id,
    format_time,
    next_id,
    parse_date,
    parse_time,
    read_list,
    snapshot,
    write_list,
)
from lightclaw.tools import ToolContext, tool

_DAY_MINUTES = 24 * 60


class Reminder(BaseModel):
    """When and how to remind the attendees of an event."""

    model_config = ConfigDict(extra="forbid")

    minutes_before: int = Field(
        ge=0, le=10080, description="Minutes before the start (at most one week)."
    )
    channel: Literal["popup", "email", "sms"] = Field(
        default="popup", description="How the reminder is delivered."
    )


def _span(event: dict[str, Any]) -> tuple[int, int]:
    start = parse_time(str(event["start"]))
    return start, start + int(event["duration_minutes"])


def _matches_attendee(event: dict[str, Any], attendee: str) -> bool:
    wanted = attendee.strip().casefold()
    for address in event.get("attendees") or []:
        email = str(address).casefold()
        spoken = email.split("@", 1)[0].replace(".", " ")
        if wanted in email or wanted in spoken:
            return True
    return False


@tool
def create_event(
    ctx: ToolContext,
    title: Annotated[str, Field(min_length=1, max_length=120)],
    date: str,
    start: str,
    duration_minutes: Annotated[int, Field(ge=5, le=720)] = 60,
    attendees: list[str] | None = None,
    location: str | None = None,
    reminder: Reminder | None = None,
) -> dict[str, Any]:
    """Create a calendar event. Refuses events that overlap an existing one on the same day.

    Args:
        title: Short title of the event.
        date: Day of the event, YYYY-MM-DD.
        start: Start time, 24-hour HH:MM.
        duration_minutes: Length of the event in minutes.
        attendees: Email addresses of the people to invite (look names up with find_contact).
        location: Room, address or video link.
        reminder: Optional reminder settings.
    """
    day = parse_date(date)
    begin = parse_time(start, "start time")
    end = begin + duration_minutes
    if end > _DAY_MINUTES:
        raise ValueError(f"event would end after midnight ({start} + {duration_minutes} min)")
    invited = list(attendees or [])
    for address in invited:
        if "@" not in address:
            raise ValueError(
                f"attendee {address!r} is not an email address; look it up with find_contact"
            )
    events = write_list(ctx.state, "calendar")
    for other in events:
        if other.get("date") != day.isoformat():
            continue
        other_begin, other_end = _span(other)
        if begin < other_end and other_begin < end:
            raise ValueError(
                f"{format_time(begin)}-{format_time(end)} on {day.isoformat()} overlaps "
                f"{other['title']!r} ({other['id']}, {format_time(other_begin)}-"
                f"{format_time(other_end)}); choose another time"
            )
    event: dict[str, Any] = {
        "id": next_id(events, "evt"),
        "title": title,
        "date": day.isoformat(),
        "start": format_time(begin),
        "duration_minutes": duration_minutes,
        "attendees": invited,
        "location": location,
        "reminder": reminder.model_dump() if reminder is not None else None,
    }
    events.append(event)
    return snapshot(event)


@tool
def list_events(
    ctx: ToolContext,
    start_date: str | None = None,
    end_date: str | None = None,
    attendee: str | None = None,
) -> list[dict[str, Any]]:
    """List calendar events, sorted by date and start time. Filters are inclusive and optional.

    Args:
        start_date: Earliest day to include, YYYY-MM-DD.
        end_date: Latest day to include, YYYY-MM-DD.
        attendee: Only events this person attends (a name or email, case-insensitive).
    """
    first = parse_date(start_date, "start_date") if start_date is not None else None
    last = parse_date(end_date, "end_date") if end_date is not None else None
    if first is not None and last is not None and last < first:
        raise ValueError(f"end_date {end_date} is before start_date {start_date}")
    found = []
    for event in read_list(ctx.state, "calendar"):
        day = parse_date(str(event["date"]))
        if (first is not None and day < first) or (last is not None and day > last):
            continue
        if attendee is not None and not _matches_attendee(event, attendee):
            continue
        found.append(event)
    found.sort(key=lambda event: (event["date"], _span(event)[0], event["id"]))
    return snapshot(found)


@tool
def delete_event(ctx: ToolContext, event_id: str) -> dict[str, Any]:
    """Delete a calendar event by its id (ids come from list_events or create_event).

    Args:
        event_id: The event's id, e.g. "evt-3".
    """
    events = write_list(ctx.state, "calendar")
    event = find_by_id(events, event_id, "event")
    events.remove(event)
    return {"deleted": event}
