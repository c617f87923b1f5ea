"""Date arithmetic tools. Pure functions of their arguments; they never touch the state."""

from datetime import timedelta
from typing import Annotated

from pydantic import Field

from lightclaw.suites.core._common import parse_date
from lightclaw.tools import tool

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@tool
def add_days(date: str, days: Annotated[int, Field(ge=-3650, le=3650)]) -> str:
    """Add (or, if negative, subtract) a number of days to a date.

    Args:
        date: Starting day, YYYY-MM-DD.
        days: Number of days to add; negative goes back in time.
    """
    try:
        return (parse_date(date) + timedelta(days=days)).isoformat()
    except OverflowError:
        raise ValueError(f"{date} + {days} days is outside the supported calendar") from None


@tool
def days_between(start: str, end: str) -> int:
    """Number of days from ``start`` to ``end`` (negative if ``end`` is earlier).

    Args:
        start: First day, YYYY-MM-DD.
        end: Second day, YYYY-MM-DD.
    """
    return (parse_date(end, "end") - parse_date(start, "start")).days


@tool
def weekday_of(date: str) -> str:
    """The English weekday name of a date, e.g. "Thursday".

    Args:
        date: The day, YYYY-MM-DD.
    """
    return _WEEKDAYS[parse_date(date).weekday()]
