"""The core notes, documents, contacts, todo and key-value tools on the seed state."""

import copy
from typing import Any

import pytest
from suite_oracle_runner import invoke, seed_state

from lightclaw.suites.core import CORE_TOOLS, HANDBOOK, core_registry
from lightclaw.tools import ArgumentsInvalid


def test_save_note_assigns_an_id_and_refuses_duplicate_titles() -> None:
    state = seed_state()
    note = invoke("save_note", state, title="Vendor call", body="Acme: $12k", tags=["Vendors"])
    assert note == {
        "id": "note-6",
        "title": "Vendor call",
        "body": "Acme: $12k",
        "tags": ["vendors"],
    }
    assert state["notes"][-1] == note
    with pytest.raises(ValueError, match=r"a note titled 'vendor CALL' already exists \(note-6\)"):
        invoke("save_note", state, title="vendor CALL", body="again")


def test_search_notes_ranks_by_keywords_and_filters_by_tag() -> None:
    state = seed_state()
    found = invoke("search_notes", state, query="printer toner cartridges")
    assert [note["id"] for note in found] == ["note-2"]
    recipes = invoke("search_notes", state, tag="recipes")
    assert [note["title"] for note in recipes] == ["Shakshuka", "Banana bread"]
    eggs = invoke("search_notes", state, query="egg", tag="recipes", limit=1)
    assert [note["title"] for note in eggs] == ["Shakshuka"]
    assert invoke("search_notes", state, query="kubernetes") == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [({}, "give a query, a tag, or both"), ({"query": "the of my"}, "no searchable words")],
)
def test_search_notes_errors(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        invoke("search_notes", seed_state(), **arguments)


def test_search_docs_searches_the_handbook_or_the_state_documents() -> None:
    hits = invoke("search_docs", {}, query="expense report deadline")
    assert hits[0]["id"] == "doc-expenses"
    assert "30 days" in hits[0]["text"]
    assert hits[0]["score"] > 0
    assert len(invoke("search_docs", {}, query="days", limit=10)) == 5
    own = {"documents": [{"id": "d1", "title": "Espresso guide", "text": "Grind fine."}]}
    assert [d["id"] for d in invoke("search_docs", own, query="espresso")] == ["d1"]
    assert invoke("search_docs", own, query="expense") == []
    assert {doc["id"] for doc in HANDBOOK} >= {"doc-leave", "doc-travel"}


def test_search_docs_rejects_a_query_without_keywords() -> None:
    with pytest.raises(ValueError, match="no searchable words"):
        invoke("search_docs", {}, query="what is the")


def test_find_contact_by_partial_name_email_and_team() -> None:
    state = seed_state()
    alexes = invoke("find_contact", state, query="alex")
    assert [c["name"] for c in alexes] == ["Alex Chen", "Alex Moreau"]
    assert [c["name"] for c in invoke("find_contact", state, query="Alex", team="legal")] == [
        "Alex Moreau"
    ]
    by_email = invoke("find_contact", state, query="jonas.berg@")
    assert by_email[0]["phone"] == "+46 8 555 013 22"


def test_find_contact_not_found() -> None:
    with pytest.raises(LookupError, match="no contact matches 'Zed' in team 'Sales'"):
        invoke("find_contact", seed_state(), query="Zed", team="Sales")


def test_todos_add_complete_and_list() -> None:
    state = seed_state()
    added = invoke("add_todo", state, title="Renew passport", priority="high", due="2026-04-15")
    assert added == {
        "id": "todo-7",
        "title": "Renew passport",
        "priority": "high",
        "due": "2026-04-15",
        "done": False,
    }
    assert invoke("complete_todo", state, todo_id="todo-7")["done"] is True
    assert state["todos"][-1]["done"] is True
    open_high = invoke("list_todos", state, priority="high")
    assert [t["id"] for t in open_high] == ["todo-2", "todo-4"]
    assert [t["id"] for t in invoke("list_todos", state, status="done")] == ["todo-5", "todo-7"]
    assert len(invoke("list_todos", state, status="all")) == 7


@pytest.mark.parametrize(
    ("tool", "arguments", "error", "message"),
    [
        ("add_todo", {"title": "x", "due": "next friday"}, ValueError, "malformed due date"),
        ("add_todo", {"title": "update team WIKI"}, ValueError, r"already exists \(todo-6\)"),
        ("complete_todo", {"todo_id": "todo-5"}, ValueError, "already done"),
        ("complete_todo", {"todo_id": "todo-42"}, LookupError, "no todo with id 'todo-42'"),
    ],
)
def test_todo_errors(
    tool: str, arguments: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        invoke(tool, seed_state(), **arguments)


def test_kv_set_get_delete() -> None:
    state = seed_state()
    assert invoke("kv_set", state, key="theme", value="dark") == {
        "key": "theme",
        "value": "dark",
        "previous": None,
    }
    assert invoke("kv_set", state, key="theme", value=True)["previous"] == "dark"
    assert invoke("kv_get", state, key="theme") == {"key": "theme", "value": True}
    assert invoke("kv_delete", state, key="theme") == {"key": "theme", "deleted": True}
    assert "theme" not in state["kv"]
    fresh: dict[str, Any] = {}
    invoke("kv_set", fresh, key="n", value=6)
    assert fresh == {"kv": {"n": 6}}


@pytest.mark.parametrize(
    ("tool", "arguments", "error", "message"),
    [
        ("kv_get", {"key": "nope"}, LookupError, "key 'nope' is not set; existing keys: deploy"),
        ("kv_delete", {"key": "nope"}, LookupError, "key 'nope' is not set"),
        (
            "kv_set",
            {"key": "deploy_window", "value": "Thu", "overwrite": False},
            ValueError,
            "already holds 'Tue 18:00'",
        ),
    ],
)
def test_kv_errors(
    tool: str, arguments: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        invoke(tool, seed_state(), **arguments)


def test_kv_key_schema() -> None:
    with pytest.raises(ArgumentsInvalid) as caught:
        invoke("kv_set", {}, key="has spaces", value=[1])
    locs = {issue.loc.split(".")[0] for issue in caught.value.issues}
    assert locs == {"key", "value"}


READERS: list[tuple[str, dict[str, Any]]] = [
    ("list_events", {"attendee": "priya"}),
    ("search_notes", {"query": "offsite"}),
    ("search_docs", {"query": "leave"}),
    ("find_contact", {"query": "a"}),
    ("list_todos", {"status": "all"}),
    ("kv_get", {"key": "monthly_budget_usd"}),
]


@pytest.mark.parametrize(("tool", "arguments"), READERS)
def test_reading_tools_never_mutate_the_state(tool: str, arguments: dict[str, Any]) -> None:
    state = seed_state()
    before = copy.deepcopy(state)
    result = invoke(tool, state, **arguments)
    if isinstance(result, list):
        for item in result:
            item.clear()
    assert state == before


@pytest.mark.parametrize("tool", ["list_events", "search_notes", "list_todos"])
def test_reading_tools_do_not_create_missing_sections(tool: str) -> None:
    state: dict[str, Any] = {}
    arguments = {"query": "x"} if tool == "search_notes" else {}
    assert invoke(tool, state, **arguments) == []
    assert state == {}


def test_core_registry_is_fresh_and_fully_documented() -> None:
    first, second = core_registry(), core_registry()
    assert first is not second
    assert len(first) == len(CORE_TOOLS) >= 12
    for item in first:
        assert item.description, item.name
        for name, spec in item.parameters["properties"].items():
            assert spec.get("description"), f"{item.name}.{name}"
