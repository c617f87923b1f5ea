"""The core calendar and date tools, called through their schemas on the seed state."""

import copy

import pytest
from suite_oracle_runner import invoke, seed_state

from lightclaw.tools import ArgumentsInvalid


def test_create_event_appends_a_full_event_with_the_next_id() -> None:
    state = seed_state()
    created = invoke(
        "create_event",
        state,
        title="Design review",
        date="2026-03-10",
        start="9:05",
        duration_minutes=45,
        attendees=["priya.raman@northwind.example"],
        reminder={"minutes_before": 10},
    )
    assert created == {
        "id": "evt-9",
        "title": "Design review",
        "date": "2026-03-10",
        "start": "09:05",
        "duration_minutes": 45,
        "attendees": ["priya.raman@northwind.example"],
        "location": None,
        "reminder": {"minutes_before": 10, "channel": "popup"},
    }
    assert state["calendar"][-1] == created
    created["title"] = "changed by the caller"
    assert state["calendar"][-1]["title"] == "Design review"


def test_create_event_on_empty_state_creates_the_calendar() -> None:
    state: dict[str, object] = {}
    invoke("create_event", state, title="Focus", date="2026-03-10", start="08:00")
    assert state == {
        "calendar": [
            {
                "id": "evt-1",
                "title": "Focus",
                "date": "2026-03-10",
                "start": "08:00",
                "duration_minutes": 60,
                "attendees": [],
                "location": None,
                "reminder": None,
            }
        ]
    }


def test_create_event_refuses_an_overlap_and_leaves_state_alone() -> None:
    state = seed_state()
    before = copy.deepcopy(state)
    with pytest.raises(ValueError, match=r"overlaps 'Sprint planning' \(evt-8, 10:00-11:00\)"):
        invoke("create_event", state, title="Clash", date="2026-03-05", start="10:30")
    assert state == before


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"date": "03/10/2026", "start": "10:00"}, "expected YYYY-MM-DD"),
        ({"date": "2026-02-30", "start": "10:00"}, "invalid date '2026-02-30'"),
        ({"date": "2026-03-10", "start": "10am"}, "expected 24-hour HH:MM"),
        ({"date": "2026-03-10", "start": "24:10"}, "hours must be 0-23"),
        ({"date": "2026-03-10", "start": "23:30", "duration_minutes": 60}, "after midnight"),
        ({"date": "2026-03-10", "start": "10:00", "attendees": ["Marco"]}, "find_contact"),
    ],
)
def test_create_event_rejects_semantically_invalid_input(
    arguments: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        invoke("create_event", seed_state(), title="Event", **arguments)


def test_create_event_schema_rejects_out_of_range_duration_and_bad_reminder() -> None:
    with pytest.raises(ArgumentsInvalid) as caught:
        invoke(
            "create_event",
            {},
            title="x",
            date="2026-03-10",
            start="10:00",
            duration_minutes=1,
            reminder={"minutes_before": 5, "channel": "pigeon"},
        )
    kinds = {issue.loc: issue.kind for issue in caught.value.issues}
    assert kinds == {"duration_minutes": "range", "reminder.channel": "enum"}


def test_list_events_filters_sorts_and_does_not_mutate() -> None:
    state = seed_state()
    before = copy.deepcopy(state)
    week = invoke("list_events", state, start_date="2026-03-02", end_date="2026-03-06")
    assert [event["id"] for event in week] == ["evt-1", "evt-2", "evt-4", "evt-8", "evt-7", "evt-3"]
    by_name = invoke("list_events", state, attendee="Alex Moreau")
    by_email = invoke("list_events", state, attendee="alex.moreau@northwind.example")
    assert [event["title"] for event in by_name] == ["Board meeting"]
    assert by_email == by_name
    assert invoke("list_events", {}) == []
    assert state == before


def test_list_events_rejects_an_inverted_range() -> None:
    with pytest.raises(ValueError, match="before start_date"):
        invoke("list_events", seed_state(), start_date="2026-03-06", end_date="2026-03-02")


def test_delete_event_removes_it_and_unknown_ids_list_the_existing_ones() -> None:
    state = seed_state()
    deleted = invoke("delete_event", state, event_id="evt-3")
    assert deleted["deleted"]["title"] == "Vendor sync"
    assert "evt-3" not in [event["id"] for event in state["calendar"]]
    with pytest.raises(LookupError, match=r"no event with id 'evt-3'; existing ids: evt-1, evt-2"):
        invoke("delete_event", state, event_id="evt-3")


def test_date_math() -> None:
    assert invoke("add_days", {}, date="2026-03-02", days=90) == "2026-05-31"
    assert invoke("add_days", {}, date="2026-03-01", days=-1) == "2026-02-28"
    assert invoke("days_between", {}, start="2026-03-02", end="2026-06-15") == 105
    assert invoke("days_between", {}, start="2026-06-15", end="2026-03-02") == -105
    assert invoke("weekday_of", {}, date="2026-07-04") == "Saturday"


@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    [
        ("add_days", {"date": "2026-3-2", "days": 1}, "malformed date"),
        ("add_days", {"date": "9999-12-31", "days": 1}, "outside the supported calendar"),
        ("days_between", {"start": "2026-03-02", "end": "tomorrow"}, "malformed end"),
        ("weekday_of", {"date": "2026-13-01"}, "invalid date"),
    ],
)
def test_date_tools_reject_bad_dates(tool: str, arguments: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        invoke(tool, {}, **arguments)
