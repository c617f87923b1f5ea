"""Contacts, the todo list and the key-value store: ``state["contacts"]``, ``"todos"``, ``"kv"``."""

from typing import Annotated, Any, Literal

from pydantic import Field

from lightclaw.suites.core._common import (
    find_by_id,
    next_id,
    parse_date,
    read_list,
    snapshot,
    write_list,
)
from lightclaw.tools import ToolContext, tool

Priority = Literal["low", "normal", "high"]
Key = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


@tool
def find_contact(
    ctx: ToolContext, query: Annotated[str, Field(min_length=1)], team: str | None = None
) -> list[dict[str, Any]]:
    """Find contacts whose name or email contains ``query`` (case-insensitive).

    Args:
        query: A full or partial name or email, e.g. "Priya".
        team: Only contacts in this team, e.g. "Design".
    """
    wanted = query.strip().casefold()
    found = []
    for contact in read_list(ctx.state, "contacts"):
        if team is not None and str(contact.get("team", "")).casefold() != team.casefold():
            continue
        if wanted in str(contact["name"]).casefold() or wanted in str(contact["email"]).casefold():
            found.append(contact)
    if not found:
        where = f" in team {team!r}" if team is not None else ""
        raise LookupError(f"no contact matches {query!r}{where}")
    return snapshot(found)


@tool
def add_todo(
    ctx: ToolContext,
    title: Annotated[str, Field(min_length=1, max_length=200)],
    priority: Priority = "normal",
    due: str | None = None,
) -> dict[str, Any]:
    """Add an item to the todo list.

    Args:
        title: What needs doing.
        priority: How urgent it is.
        due: Due date, YYYY-MM-DD.
    """
    due_date = parse_date(due, "due date").isoformat() if due is not None else None
    todos = write_list(ctx.state, "todos")
    for todo in todos:
        if not todo.get("done") and str(todo["title"]).casefold() == title.strip().casefold():
            raise ValueError(f"an open todo titled {title!r} already exists ({todo['id']})")
    todo = {
        "id": next_id(todos, "todo"),
        "title": title.strip(),
        "priority": priority,
        "due": due_date,
        "done": False,
    }
    todos.append(todo)
    return snapshot(todo)


@tool
def complete_todo(ctx: ToolContext, todo_id: str) -> dict[str, Any]:
    """Mark a todo as done (ids come from list_todos or add_todo).

    Args:
        todo_id: The todo's id, e.g. "todo-2".
    """
    todo = find_by_id(write_list(ctx.state, "todos"), todo_id, "todo")
    if todo.get("done"):
        raise ValueError(f"todo {todo_id} ({todo['title']!r}) is already done")
    todo["done"] = True
    return snapshot(todo)


@tool
def list_todos(
    ctx: ToolContext,
    status: Literal["open", "done", "all"] = "open",
    priority: Priority | None = None,
) -> list[dict[str, Any]]:
    """List todos in the order they were added.

    Args:
        status: Which todos to list.
        priority: Only todos of this priority.
    """
    found = []
    for todo in read_list(ctx.state, "todos"):
        done = bool(todo.get("done"))
        if (status == "open" and done) or (status == "done" and not done):
            continue
        if priority is not None and todo.get("priority") != priority:
            continue
        found.append(todo)
    return snapshot(found)


def _store(ctx: ToolContext, *, create: bool) -> dict[str, Any]:
    store = ctx.state.setdefault("kv", {}) if create else ctx.state.get("kv", {})
    if not isinstance(store, dict):
        raise TypeError(f"state['kv'] must be an object, found {type(store).__name__}")
    return store


def _missing(key: str, store: dict[str, Any]) -> LookupError:
    known = ", ".join(sorted(store)) or "none"
    return LookupError(f"key {key!r} is not set; existing keys: {known}")


@tool
def kv_set(
    ctx: ToolContext, key: Key, value: str | int | float | bool, overwrite: bool = True
) -> dict[str, Any]:
    """Store a value under a key in the persistent key-value store.

    Args:
        key: Letters, digits and _ . : - only, e.g. "standup_time".
        value: The value to store (text, number or true/false).
        overwrite: Replace an existing value; when false, an existing key is an error.
    """
    store = _store(ctx, create=True)
    previous = store.get(key)
    if key in store and not overwrite:
        raise ValueError(f"key {key!r} already holds {previous!r} and overwrite is false")
    store[key] = value
    return {"key": key, "value": value, "previous": snapshot(previous)}


@tool
def kv_get(ctx: ToolContext, key: Key) -> dict[str, Any]:
    """Read the value stored under a key.

    Args:
        key: The key to read.
    """
    store = _store(ctx, create=False)
    if key not in store:
        raise _missing(key, store)
    return {"key": key, "value": snapshot(store[key])}


@tool
def kv_delete(ctx: ToolContext, key: Key) -> dict[str, Any]:
    """Delete a key from the key-value store.

    Args:
        key: The key to delete.
    """
    store = _store(ctx, create=False)
    if key not in store:
        raise _missing(key, store)
    return {"key": key, "deleted": store.pop(key)}
