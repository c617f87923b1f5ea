"""Notes and document search: ``state["notes"]`` and ``state["documents"]`` (or the handbook).

Scoring is deterministic keyword overlap: each distinct query term counts 3 per occurrence in
the title (or a tag) and 1 per occurrence in the body; ties keep the stored order.
"""

import re
from typing import Annotated, Any

from pydantic import Field

from lightclaw.suites.core._common import next_id, read_list, snapshot, write_list
from lightclaw.tools import ToolContext, tool

_STOPWORDS = frozenset(
    {
        "a", "about", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for",
        "from", "how", "i", "in", "is", "it", "its", "me", "my", "of", "on", "or", "our",
        "should", "the", "to", "what", "when", "where", "which", "who", "why", "with",
    }
)  # fmt: skip

# The company handbook searched when the state carries no "documents" of its own.
HANDBOOK: tuple[dict[str, str], ...] = (
    {
        "id": "doc-expenses",
        "title": "Expense policy",
        "text": "Submit expense reports within 30 days of purchase through the Ledgerly app. "
        "Receipts are required for any item over $25. Reimbursements are paid with the "
        "next payroll run.",
    },
    {
        "id": "doc-travel",
        "title": "Travel policy",
        "text": "Book flights at least 14 days ahead through the travel desk. The domestic "
        "per-diem is $75 per day and the international per-diem is $110 per day. Economy "
        "class is standard for flights under 6 hours.",
    },
    {
        "id": "doc-leave",
        "title": "Leave policy",
        "text": "Full-time employees get 25 days of paid vacation per year. Parental leave is "
        "16 weeks at full pay for all parents. Up to 5 unused vacation days can be carried "
        "over to the next year.",
    },
    {
        "id": "doc-security",
        "title": "Security policy",
        "text": "Laptops must use full-disk encryption and lock after 5 minutes idle. "
        "Passwords must have at least 14 characters. Report lost devices to "
        "security@northwind.example within 24 hours.",
    },
    {
        "id": "doc-remote",
        "title": "Remote work policy",
        "text": "Employees may work remotely up to 3 days per week. The home-office stipend is "
        "$500 once per year. Core collaboration hours are 10:00 to 15:00 local time.",
    },
    {
        "id": "doc-onboarding",
        "title": "Onboarding checklist",
        "text": "New hires receive a laptop on day one. Complete security training within the "
        "first 7 days. Each new hire is paired with an onboarding buddy for their first "
        "30 days.",
    },
)


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def terms(text: str) -> list[str]:
    """Lower-cased, lightly stemmed keywords of ``text`` without stopwords."""
    words = re.findall(r"[a-z0-9]+", text.casefold())
    return [_stem(word) for word in words if word not in _STOPWORDS]


def _query_terms(query: str) -> set[str]:
    found = set(terms(query))
    if not found:
        raise ValueError(f"the query {query!r} has no searchable words; use a few keywords")
    return found


def _score(wanted: set[str], title: str, body: str) -> int:
    title_terms, body_terms = terms(title), terms(body)
    return sum(3 * title_terms.count(term) + body_terms.count(term) for term in wanted)


@tool
def save_note(
    ctx: ToolContext,
    title: Annotated[str, Field(min_length=1, max_length=120)],
    body: Annotated[str, Field(min_length=1, max_length=4000)],
    tags: list[str] | None = None,
) -> dict[str, Any]:
    """Save a new note. Titles are unique (case-insensitive).

    Args:
        title: Title of the note.
        body: The note's text.
        tags: Lower-case labels for finding the note later, e.g. ["vendors"].
    """
    notes = write_list(ctx.state, "notes")
    for note in notes:
        if str(note.get("title", "")).casefold() == title.strip().casefold():
            raise ValueError(f"a note titled {title!r} already exists ({note['id']})")
    note = {
        "id": next_id(notes, "note"),
        "title": title.strip(),
        "body": body,
        "tags": [tag.strip().casefold() for tag in tags or []],
    }
    notes.append(note)
    return snapshot(note)


@tool
def search_notes(
    ctx: ToolContext,
    query: str = "",
    tag: str | None = None,
    limit: Annotated[int, Field(ge=1, le=20)] = 5,
) -> list[dict[str, Any]]:
    """Search saved notes by keywords and/or a tag; best matches first.

    Args:
        query: Keywords to look for in titles, tags and bodies.
        tag: Only notes carrying this tag.
        limit: Maximum number of notes returned.
    """
    if not query.strip() and tag is None:
        raise ValueError("give a query, a tag, or both")
    wanted = _query_terms(query) if query.strip() else set()
    ranked: list[tuple[int, int, dict[str, Any]]] = []
    for position, note in enumerate(read_list(ctx.state, "notes")):
        tags = [str(t) for t in note.get("tags") or []]
        if tag is not None and tag.strip().casefold() not in tags:
            continue
        score = _score(wanted, f"{note['title']} {' '.join(tags)}", str(note["body"]))
        if wanted and score == 0:
            continue
        ranked.append((-score, position, note))
    ranked.sort(key=lambda item: item[:2])
    return [snapshot(note) for _, _, note in ranked[:limit]]


@tool
def search_docs(
    ctx: ToolContext, query: str, limit: Annotated[int, Field(ge=1, le=10)] = 3
) -> list[dict[str, Any]]:
    """Search the company documents (the handbook) by keywords; best matches first.

    Args:
        query: Keywords, e.g. "expense report deadline".
        limit: Maximum number of documents returned.
    """
    wanted = _query_terms(query)
    stored = read_list(ctx.state, "documents")
    documents = stored if "documents" in ctx.state else list(HANDBOOK)
    ranked: list[tuple[int, int, dict[str, Any]]] = []
    for position, document in enumerate(documents):
        score = _score(wanted, str(document["title"]), str(document["text"]))
        if score > 0:
            ranked.append((-score, position, document))
    ranked.sort(key=lambda item: item[:2])
    return [{**snapshot(document), "score": -negative} for negative, _, document in ranked[:limit]]
