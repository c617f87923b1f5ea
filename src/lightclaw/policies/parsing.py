"""Raw policy output -> typed actions. :func:`parse_output` never raises.

Rules, in order:

1. ``raw.tool_calls`` non-empty (OpenAI-compatible servers): every item must be a call object,
   ``{"id": str?, "type": "function"?, "function": {"name": str, "arguments": ...}}`` (the simple
   ``{"tool"|"name": ..., "arguments"|"parameters": ...}`` shape is accepted too). ``arguments`` may
   be a JSON string of an object (also a doubly encoded one), an object, ``""`` or ``null``
   (both mean ``{}``). If any item fails, the whole output is an error naming the item's index.
   The text is then the model's commentary and is not parsed.
2. Otherwise the text (stripped; empty -> ``"empty output"``). JSON is looked for, first match wins:
   the whole text (several whitespace-separated objects count as a list); each fenced block
   (```` ``` ```` or ```` ```json ````); then JSON embedded in prose, decoded from each ``{`` or
   ``[`` (the first 64 positions within the first 200 kB, skipping the inside of decoded values).
   The first value with a recognised shape decides the result:

   * an action object with ``"kind"`` (validated against the action union);
   * a list of action objects (parallel calls / several actions; items may use any shape here);
   * ``{"tool": name, "arguments": {...}}``, ``{"name": name, "arguments": ...}`` (``"parameters"``
     is an alias of ``"arguments"``) or an OpenAI ``{"function": {...}}`` object -> tool_call;
   * ``{"tool_calls": [...]}`` with items as in rule 1;
   * ``{"final_answer": X}`` / ``{"answer": X}`` -> final_answer; ``{"ask_user": "q"}`` -> ask_user.

   Other keys next to a simple shape are ignored; two shapes in one object are an error.
3. If no value has a recognised shape: a text that is itself broken JSON (it starts with ``{``, or
   is bracketed by ``[...]``, or sits in a ``json`` fence) is an error quoting the decoder's message
   and position. Otherwise, with ``text_is_final_answer`` the text is the final answer; without it,
   unrecognised JSON is "JSON does not describe an action" and prose is "no JSON action found".

``NaN``/``Infinity`` are rejected (they cannot be stored as JSON). Errors are one readable sentence
fed back to the model; they quote at most ~120 characters of the offending text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, get_args

from pydantic import ValidationError

from lightclaw.schema import (
    ACTION_ADAPTER,
    ACTION_LIST_ADAPTER,
    Action,
    AskUser,
    FinalAnswer,
    RawOutput,
    ToolCall,
)
from lightclaw.schema.actions import ActionKind

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

EMPTY_OUTPUT = "empty output"
MAX_SCAN_CHARS = 200_000
MAX_CANDIDATES = 64
QUOTE_CHARS = 120

EXPECTED_SHAPES = (
    'expected an action object with "kind" (or a list of them), '
    '{"tool": name, "arguments": {...}}, {"name": name, "arguments": {...}}, '
    '{"tool_calls": [...]}, {"final_answer": ...} or {"ask_user": "question"}'
)
_KINDS: tuple[str, ...] = get_args(ActionKind)
_FENCE = re.compile(r"```[ \t]*(?:([A-Za-z][\w+.-]*)[ \t]*\n)?(.*?)```", re.DOTALL)
_OPENERS = re.compile(r"[\[{]")
_WS = re.compile(r"\s*")


@dataclass(frozen=True)
class ParseResult:
    """Parsed actions, or a human-readable error (exactly one of the two is set)."""

    actions: list[Action]
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def parse_output(raw: RawOutput, *, text_is_final_answer: bool = False) -> ParseResult:
    """Parse a policy's raw output into actions (rules in the module docstring). Never raises."""
    try:
        if raw.tool_calls:
            return ParseResult(list(_calls(raw.tool_calls, "tool_calls")))
        return ParseResult(_from_text(raw.text or "", text_is_final_answer))
    except _Invalid as exc:
        return ParseResult([], str(exc))
    except RecursionError:
        return ParseResult([], "output is nested too deeply to parse")


def render_actions(actions: Sequence[Action]) -> str:
    """JSON text for ``actions`` that :func:`parse_output` turns back into the same actions."""
    dumped = ACTION_LIST_ADAPTER.dump_python(list(actions), mode="json")
    return json.dumps(dumped[0] if len(dumped) == 1 else dumped, ensure_ascii=False)


class _Invalid(Exception):
    """The output cannot become actions; the message is the error fed back to the model."""


class _JsonFail(Exception):
    def __init__(self, detail: str, doc: str, pos: int) -> None:
        super().__init__(detail)
        self.detail, self.doc, self.pos = detail, doc, pos

    def message(self) -> str:
        return f"could not parse JSON: {self.detail} in: {_quote(self.doc, self.pos)}"


@dataclass(frozen=True)
class _Candidate:
    value: Any = None
    doc: str = ""
    start: int = 0
    end: int = 0
    failure: _JsonFail | None = None
    explicit: bool = False  # a failure where the text clearly meant to be JSON
    embedded: bool = False  # a failure at a '{' / '[' inside prose


# ---------------------------------------------------------------- text
def _from_text(text: str, text_is_final_answer: bool) -> list[Action]:
    stripped = text.strip()
    if not stripped:
        raise _Invalid(EMPTY_OUTPUT)
    if stripped[0] in "{[":  # fast path: the whole output is one JSON action (the usual case)
        try:
            value = _DECODER.decode(stripped)
        except (ValueError, RecursionError):
            pass  # the general path below finds and explains what is wrong
        else:
            if _recognised(value):
                return _interpret(value)
    explicit: _JsonFail | None = None
    embedded: _JsonFail | None = None
    unrecognised: _Candidate | None = None
    for cand in _candidates(stripped):
        if cand.failure is not None:
            if cand.explicit:
                explicit = explicit or cand.failure
            elif cand.embedded:
                embedded = embedded or cand.failure
        elif _recognised(cand.value):
            return _interpret(cand.value)
        elif unrecognised is None:
            unrecognised = cand
    if explicit is not None:
        raise _Invalid(explicit.message())
    if text_is_final_answer:
        return [FinalAnswer(content=stripped)]
    if unrecognised is not None:
        quote = _quote(unrecognised.doc[unrecognised.start : unrecognised.end])
        raise _Invalid(f"JSON does not describe an action: {EXPECTED_SHAPES}; got: {quote}")
    hint = ""
    if embedded is not None:
        hint = f" (JSON in it does not parse: {embedded.detail})"
    raise _Invalid(f"no JSON action found in output{hint}: {_quote(stripped)}")


def _candidates(text: str) -> Iterator[_Candidate]:
    """JSON values in ``text``: the whole text, then fenced blocks, then embedded in prose."""
    yield _whole(text, explicit=text[0] == "{" or (text[0] == "[" and text[-1] == "]"))
    scan = text[:MAX_SCAN_CHARS]
    for fence in _FENCE.finditer(scan):
        body = fence.group(2).strip()
        if body:
            lang = (fence.group(1) or "").lower()
            explicit = lang == "json" or (body[0] in "{[" and body[-1] in "}]")
            yield _whole(body, explicit=explicit)
    pos = 0
    for _ in range(MAX_CANDIDATES):
        match = _OPENERS.search(scan, pos)
        if match is None:
            return
        try:
            value, end = _raw_decode(scan, match.start())
        except _JsonFail as fail:
            pos = match.start() + 1
            yield _Candidate(failure=fail, embedded=True)
        else:  # the next candidate starts after this value, not inside it
            pos = end
            yield _Candidate(value=value, doc=scan, start=match.start(), end=end)


def _whole(doc: str, *, explicit: bool) -> _Candidate:
    """``doc`` as one JSON value; several whitespace-separated values become a list."""
    values: list[Any] = []
    pos = 0
    try:
        while pos < len(doc):
            if values and doc[pos] != "{":
                raise _extra_data(doc, pos)
            value, pos = _raw_decode(doc, pos)
            values.append(value)
            pos = _WS.match(doc, pos).end()  # type: ignore[union-attr]  # \s* always matches
    except _JsonFail as fail:  # JSON followed by prose is not broken JSON
        return _Candidate(failure=fail, explicit=explicit and not values)
    if len(values) > 1 and not all(isinstance(v, dict) for v in values):
        return _Candidate(failure=_JsonFail("several JSON values that are not all objects", doc, 0))
    return _Candidate(value=values[0] if len(values) == 1 else values, doc=doc, end=len(doc))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def _loads(doc: str) -> Any:
    """Exactly one JSON value filling ``doc`` (already stripped)."""
    value, end = _raw_decode(doc, 0)
    if end < len(doc):
        raise _extra_data(doc, end)
    return value


def _extra_data(doc: str, pos: int) -> _JsonFail:
    line, col = doc.count("\n", 0, pos) + 1, pos - doc.rfind("\n", 0, pos)
    return _JsonFail(f"Extra data at line {line} column {col}", doc, pos)


def _raw_decode(doc: str, pos: int) -> tuple[Any, int]:
    try:
        return _DECODER.raw_decode(doc, pos)
    except json.JSONDecodeError as exc:
        detail = f"{exc.msg.removesuffix(' at')} at line {exc.lineno} column {exc.colno}"
        raise _JsonFail(detail, doc, exc.pos) from None
    except ValueError as exc:  # NaN / Infinity
        raise _JsonFail(str(exc), doc, pos) from None
    except RecursionError:
        raise _JsonFail("JSON is nested too deeply", doc, pos) from None


# ---------------------------------------------------------------- shapes
def _markers(obj: dict[str, Any]) -> list[str]:
    keys: tuple[str, ...] = ("tool_calls", "final_answer", "answer", "ask_user")
    found = [key for key in keys if key in obj]
    if "function" in obj or "tool" in obj or ("name" in obj and _args_key(obj) is not None):
        found.insert(0, "tool")
    return found


def _recognised(value: Any) -> bool:
    if isinstance(value, list):  # a list of actions is recognised by its first item
        value = value[0] if value else None
    return isinstance(value, dict) and ("kind" in value or bool(_markers(value)))


def _interpret(value: Any) -> list[Action]:
    if isinstance(value, dict):
        return _from_object(value, "")
    if not value:
        raise _Invalid("empty list of actions")
    actions: list[Action] = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise _Invalid(f"item {i} of the action list is not an object: {_quote_json(item)}")
        actions.extend(_from_object(item, f"item {i}: "))
    return actions


def _from_object(obj: dict[str, Any], prefix: str) -> list[Action]:
    if "kind" in obj:
        return [_validate_kind(obj, prefix)]
    markers = _markers(obj)
    if not markers:
        raise _Invalid(f"{prefix}JSON does not describe an action: {EXPECTED_SHAPES}")
    if len(markers) > 1:
        shown = " and ".join(repr(m) for m in markers)
        raise _Invalid(f"{prefix}ambiguous action object: it has {shown}; use exactly one")
    marker = markers[0]
    if marker == "tool_calls":
        return list(_calls(obj["tool_calls"], f"{prefix}tool_calls"))
    if marker == "tool":
        return [_call(obj, prefix.removesuffix(": ") or "tool call")]
    if marker == "ask_user":
        question = obj["ask_user"]
        if not isinstance(question, str):
            raise _Invalid(f"{prefix}ask_user must be a string question, got {_type(question)}")
        return [AskUser(question=question)]
    try:
        return [FinalAnswer(content=obj[marker])]
    except ValidationError as exc:
        raise _Invalid(f"{prefix}invalid final answer: {_errors(exc)}") from None


def _validate_kind(obj: dict[str, Any], prefix: str) -> Action:
    kind = obj["kind"]
    if kind not in _KINDS:
        raise _Invalid(
            f"{prefix}unknown action kind {_quote_json(kind)}; expected one of: {', '.join(_KINDS)}"
        )
    fixed = _fix_arguments(obj, prefix)
    if kind == "self_correction" and isinstance(obj.get("revised"), dict):
        fixed = {**fixed, "revised": _fix_arguments(obj["revised"], prefix)}
    try:
        return ACTION_ADAPTER.validate_python(fixed)
    except ValidationError as exc:
        raise _Invalid(f"{prefix}invalid {kind} action: {_errors(exc)}") from None


def _fix_arguments(obj: dict[str, Any], prefix: str) -> dict[str, Any]:
    """A tool_call whose ``arguments`` is a JSON string gets them decoded."""
    if obj.get("kind") == "tool_call" and isinstance(obj.get("arguments"), str):
        return {**obj, "arguments": _arguments(obj["arguments"], prefix.removesuffix(": "))}
    return obj


def _errors(exc: ValidationError) -> str:
    errors = exc.errors()
    parts = []
    for err in errors[:3]:
        loc = ".".join(str(p) for p in err["loc"] if p not in _KINDS)
        parts.append(f"field {loc!r}: {err['msg']}" if loc else err["msg"])
    more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
    return "; ".join(parts) + more


# ---------------------------------------------------------------- tool calls
def _calls(items: Any, where: str) -> Iterator[ToolCall]:
    if not isinstance(items, list):
        raise _Invalid(f"{where} must be a list of tool calls, got {_type(items)}")
    if not items:
        raise _Invalid(f"{where} is an empty list")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise _Invalid(f"{where}[{i}] is not a tool call object: {_quote_json(item)}")
        yield _call(item, f"{where}[{i}]")


def _call(item: dict[str, Any], where: str) -> ToolCall:
    if "function" in item:
        if item.get("type") not in (None, "function"):
            kind = _quote_json(item["type"])
            raise _Invalid(f'{where}: unsupported call type {kind} (use "function")')
        spec = item["function"]
        if not isinstance(spec, dict):
            raise _Invalid(f"{where}: function must be an object, got {_type(spec)}")
        name: Any = spec.get("name")
        key = _args_key(spec)
        args: Any = spec[key] if key else None
    else:
        name = item["tool"] if "tool" in item else item.get("name")
        key = _args_key(item)
        args = item[key] if key else None
    if not isinstance(name, str):
        raise _Invalid(f"{where}: tool name must be a string, got {_type(name)}")
    if not name.strip():
        raise _Invalid(f"{where}: tool name is empty")
    call_id: Any = item.get("id", item.get("call_id"))
    if isinstance(call_id, int) and not isinstance(call_id, bool):
        call_id = str(call_id)
    if call_id is not None and not isinstance(call_id, str):
        raise _Invalid(f"{where}: id must be a string, got {_type(call_id)}")
    try:
        return ToolCall(tool=name, arguments=_arguments(args, where), call_id=call_id)
    except ValidationError as exc:
        raise _Invalid(f"{where}: invalid tool call: {_errors(exc)}") from None


def _args_key(obj: dict[str, Any]) -> str | None:
    return "arguments" if "arguments" in obj else "parameters" if "parameters" in obj else None


def _arguments(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        raise _Invalid(f"{where}: arguments must be a JSON object, got {_type(value)}")
    text = value.strip()
    if not text:
        return {}
    try:
        parsed = _loads(text)
    except _JsonFail as fail:
        detail = f"{fail.detail} in: {_quote(text, fail.pos)}"
        raise _Invalid(f"{where}: arguments are not valid JSON: {detail}") from None
    if isinstance(parsed, str) and parsed.strip().startswith("{"):  # doubly encoded
        return _arguments(parsed, where)
    if not isinstance(parsed, dict):
        raise _Invalid(
            f"{where}: arguments must be a JSON object, got {_type(parsed)}: {_quote(text)}"
        )
    return parsed


# ---------------------------------------------------------------- quoting
def _type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number" if isinstance(value, int | float) else "a value")


def _quote(text: str, pos: int | None = None) -> str:
    """At most QUOTE_CHARS of ``text``, around ``pos`` when it lies beyond the start."""
    start = 0 if pos is None or pos < QUOTE_CHARS - 20 else pos - QUOTE_CHARS // 2
    window = text[start : start + QUOTE_CHARS]
    head = "..." if start else ""
    tail = "..." if start + QUOTE_CHARS < len(text) else ""
    return head + window.replace("\n", "\\n") + tail


def _quote_json(value: Any) -> str:
    try:
        return _quote(json.dumps(value, ensure_ascii=False))
    except (RecursionError, ValueError, TypeError):
        return f"<{_type(value)}>"
