"""A small Google-style docstring parser: summary/description and per-argument descriptions."""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field

_ARG_SECTIONS = frozenset(
    {
        "args",
        "arguments",
        "parameters",
        "params",
        "keyword args",
        "keyword arguments",
        "other parameters",
    }
)
_OTHER_SECTIONS = frozenset(
    {
        "returns",
        "return",
        "yields",
        "yield",
        "raises",
        "raise",
        "example",
        "examples",
        "note",
        "notes",
        "attributes",
        "see also",
        "warning",
        "warnings",
        "todo",
        "references",
    }
)
_INLINE_OK = frozenset({"returns", "return", "yields", "yield", "raises", "raise"})
_HEADER = re.compile(r"^([A-Za-z][A-Za-z ]*?)\s*:\s*(.*)$")
_ENTRY = re.compile(r"^\*{0,2}([A-Za-z_]\w*)\s*(?:\([^)]*\))?\s*:\s*(.*)$")


@dataclass(frozen=True)
class Docstring:
    """The parts of a docstring a tool schema needs."""

    description: str = ""
    params: dict[str, str] = field(default_factory=dict)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _section(line: str) -> str | None:
    """The lower-case section name if ``line`` (unindented) is a known section header.

    A header stands alone on its line; only ``Returns: ...``-like headers may carry text inline.
    """
    match = _HEADER.match(line)
    if match is None:
        return None
    name = match.group(1).lower()
    if match.group(2) and name not in _INLINE_OK:
        return None  # "Note: text" on one line is prose, not a section
    return name if name in _ARG_SECTIONS or name in _OTHER_SECTIONS else None


def _parse_args(lines: list[str]) -> dict[str, str]:
    """Entries of an ``Args:`` section body (already dedented relative to the header)."""
    body = [line for line in lines if line.strip()]
    if not body:
        return {}
    entry_indent = min(_indent(line) for line in body)
    params: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lines:
        if not line.strip():
            if current is not None and current and current[-1] != "":
                current.append("")
            continue
        if _indent(line) == entry_indent:
            match = _ENTRY.match(line.strip())
            if match is not None:
                current = [match.group(2).strip()] if match.group(2).strip() else []
                params[match.group(1)] = current
                continue
        if current is not None:
            current.append(line.strip())
    return {name: _join(parts) for name, parts in params.items()}


def _join(parts: list[str]) -> str:
    """Join continuation lines with spaces, keeping blank-line paragraph breaks."""
    paragraphs: list[list[str]] = [[]]
    for part in parts:
        if part == "":
            paragraphs.append([])
        else:
            paragraphs[-1].append(part)
    return "\n\n".join(" ".join(p) for p in paragraphs if p)


def parse_docstring(doc: str | None) -> Docstring:
    """Parse a Google-style docstring; unknown layouts degrade to "all description"."""
    if not doc or not doc.strip():
        return Docstring()
    lines = inspect.cleandoc(doc).splitlines()
    description: list[str] = []
    params: dict[str, str] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        name = _section(line) if _indent(line) == 0 else None
        if name is None:
            description.append(line)
            i += 1
            continue
        i += 1
        body: list[str] = []
        while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > 0):
            body.append(lines[i])
            i += 1
        if name in _ARG_SECTIONS:
            params.update(_parse_args(body))
    text = "\n".join(description).strip()
    return Docstring(description=re.sub(r"\n{3,}", "\n\n", text), params=params)
