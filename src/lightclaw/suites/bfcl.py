"""BFCL questions as a LightClaw suite: tools from BFCL function docs, ground truth from answers.

``load_suite("bfcl:PATH")`` loads a BFCL question file (JSONL); its answers are read from
``possible_answer/<same name>`` next to it unless given. BFCL is judged on the call's AST, not
on execution: a BFCL tool validates its arguments against the JSON Schema converted from the
function doc, records the call and returns ``{"status": "recorded"}``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from pathlib import Path
from typing import Any

from lightclaw.errors import TaskFileError
from lightclaw.schema import (
    Action,
    ArgIssue,
    ExpectedCall,
    FinalAnswer,
    Task,
    ToolCall,
    ToolSchema,
)
from lightclaw.suites.bfcl_types import BfclDataError, bfcl_type, category_of, oracle_calls
from lightclaw.suites.loader import Suite
from lightclaw.tools import ArgumentsInvalid, Tool, ToolContext, ToolRegistry, schema_hash

_JSON_TYPES = {
    "string": "string",
    "integer": "integer",
    "float": "number",
    "boolean": "boolean",
    "array": "array",
    "tuple": "array",
    "dict": "object",
}
_KEPT = ("description", "enum", "default")
_EXPANSION_LIMIT = 64


def json_schema(param: dict[str, Any]) -> dict[str, Any]:
    """JSON Schema of a BFCL parameter (``float``: number, ``tuple``: array, ``any``: {})."""
    kind = bfcl_type(str(param.get("type", "any")))
    out: dict[str, Any] = {k: param[k] for k in _KEPT if k in param}
    if kind != "any":
        out["type"] = _JSON_TYPES[kind]
    if kind in ("array", "tuple") and isinstance(param.get("items"), dict):
        out["items"] = json_schema(param["items"])
    if kind in ("array", "tuple") and "enum" in out:  # BFCL puts item choices on the array
        out.setdefault("items", {})["enum"] = out.pop("enum")
    if kind == "dict" and isinstance(param.get("properties"), dict):
        out["properties"] = {k: json_schema(v) for k, v in param["properties"].items()}
        if param.get("required"):
            out["required"] = list(param["required"])
    return out


def parameters_schema(doc: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of a function doc's arguments (unknown top-level arguments rejected)."""
    params = doc.get("parameters", {})
    properties = {k: json_schema(v) for k, v in params.get("properties", {}).items()}
    return {
        "type": "object",
        "properties": properties,
        "required": list(params.get("required", [])),
        "additionalProperties": False,
    }


_CHECKS = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def schema_issues(schema: dict[str, Any], value: Any, loc: str = "") -> list[ArgIssue]:
    """Where ``value`` breaks ``schema`` (the subset :func:`json_schema` produces)."""
    kind = schema.get("type")
    if kind is not None and not _CHECKS[kind](value):
        return [ArgIssue(kind="wrong_type", loc=loc, message=f"Input should be a valid {kind}",
                         input=repr(value)[:80])]  # fmt: skip
    if "enum" in schema and value not in schema["enum"]:
        choices = ", ".join(repr(c) for c in schema["enum"])
        return [ArgIssue(kind="enum", loc=loc, message=f"Input should be {choices}",
                         input=repr(value)[:80])]  # fmt: skip
    issues: list[ArgIssue] = []
    if kind == "array" and "items" in schema:
        for index, item in enumerate(value):
            issues += schema_issues(schema["items"], item, f"{loc}.{index}" if loc else str(index))
    if kind == "object":
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                where = f"{loc}.{name}" if loc else name
                issues.append(ArgIssue(kind="missing", loc=where, message="Field required"))
        for name, item in value.items():
            where = f"{loc}.{name}" if loc else str(name)
            if name in properties:
                issues += schema_issues(properties[name], item, where)
            elif schema.get("additionalProperties") is False:
                issues.append(ArgIssue(kind="unexpected", loc=where, message="Extra inputs"))
    return issues


class BfclTool(Tool[..., dict[str, Any]]):
    """A tool made from BFCL function docs: validates by JSON Schema, records the call.

    Docs that share a name but differ (BFCL reuses names across questions) are variants: the
    first is offered to the policy; arguments valid for any variant are accepted.
    """

    def __init__(self, docs: list[dict[str, Any]]) -> None:
        first = docs[0]
        self.fn = self._record
        self.name = str(first["name"])
        self.description = str(first.get("description", ""))
        self.timeout = None
        self.is_async = False
        self.context_param = None
        self.parameters = parameters_schema(first)
        self.variants = [parameters_schema(doc) for doc in docs]
        self.schema = ToolSchema(
            name=self.name, description=self.description, parameters=self.parameters
        )
        self.schema_hash = schema_hash(self.schema)
        self._names = {name: name for name in self.parameters["properties"]}
        self.__name__ = self.name
        self.__qualname__ = self.name
        self.__wrapped__ = self._record

    @staticmethod
    def _record(**arguments: Any) -> dict[str, Any]:
        return {"status": "recorded"}

    def validate(self, arguments: object) -> dict[str, Any]:
        if not isinstance(arguments, dict):
            issue = ArgIssue(kind="wrong_type", loc="", message="Input should be an object")
            raise ArgumentsInvalid([issue], self.name, self._names.values())
        found = [schema_issues(variant, arguments) for variant in self.variants]
        if any(not issues for issues in found):
            return dict(arguments)
        raise ArgumentsInvalid(found[0], self.name, self._names.values())

    def call_kwargs(self, validated: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        return dict(validated)


def expand(value: Any) -> list[Any]:
    """Concrete values of an acceptable answer value (nested dict keys list alternatives)."""
    if isinstance(value, dict):
        per_key = []
        for key, options in value.items():
            choices: list[tuple[str, Any] | None] = []
            for option in options if isinstance(options, list) else [options]:
                choices += [None] if option == "" else [(key, v) for v in expand(option)]
            per_key.append(choices or [None])
        combos = itertools.islice(itertools.product(*per_key), _EXPANSION_LIMIT)
        return [dict(pair for pair in combo if pair is not None) for combo in combos]
    if isinstance(value, list):
        combos = itertools.islice(itertools.product(*map(expand, value)), _EXPANSION_LIMIT)
        return [list(combo) for combo in combos]
    return [value]


def _expected(ground_truth: list[dict[str, Any]]) -> list[ExpectedCall]:
    calls = []
    for entry in ground_truth:
        for name, answers in entry.items():
            arguments = {
                param: [v for option in options for v in ([""] if option == "" else expand(option))]
                for param, options in answers.items()
            }
            calls.append(ExpectedCall(tool=name, arguments=arguments))
    return calls


def _prompt(question: Any) -> tuple[str | None, str]:
    turn = question[0] if question and isinstance(question[0], list) else question
    system = [m["content"] for m in turn if m.get("role") == "system"]
    user = [m["content"] for m in turn if m.get("role") != "system"]
    return ("\n".join(system) or None), "\n".join(user)


def _lines(path: Path, digest: Any = None) -> list[tuple[int, dict[str, Any]]]:
    shown = str(path)
    if not path.is_file():
        raise TaskFileError(shown, None, None, "BFCL file does not exist")
    data = path.read_bytes()
    if digest is not None:
        digest.update(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TaskFileError(shown, None, None, f"not UTF-8 text: {exc.reason}") from None
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.strip():
            try:
                out.append((number, json.loads(raw)))
            except json.JSONDecodeError as exc:
                raise TaskFileError(shown, number, None, f"invalid JSON: {exc.msg}") from None
    return out


def load_bfcl(path: Path | str, answers: Path | str | None = None) -> Suite:
    """A suite of the BFCL questions in ``path`` (answers default: ``possible_answer/<name>``)."""
    file = Path(path)
    answer_file = Path(answers) if answers else file.parent / "possible_answer" / file.name
    truth: dict[str, list[dict[str, Any]]] = {}
    digest = hashlib.sha256()
    numbered = _lines(file, digest)
    if answer_file.is_file():
        truth = {row["id"]: row["ground_truth"] for _, row in _lines(answer_file)}
    lines: dict[str, int] = {}
    docs: dict[str, list[dict[str, Any]]] = {}
    own_docs: dict[str, list[dict[str, Any]]] = {}
    tasks = []
    for number, row in numbered:
        try:
            task_id, category = row["id"], category_of(row["id"])
            lines[task_id] = number
            functions: list[dict[str, Any]] = row["function"]
            own_docs[task_id] = functions
            for doc in functions:
                variants = docs.setdefault(doc["name"], [])
                if doc not in variants:
                    variants.append(doc)
            ground = truth.get(task_id)
            if ground is None and "irrelevance" not in category:
                raise BfclDataError(f"no possible answer for {task_id!r} in {answer_file}")
            calls = oracle_calls(functions, ground or [])
            system, prompt = _prompt(row["question"])
            oracle: list[list[Action]] = [
                [ToolCall(tool=n, arguments=a) for call in calls for n, a in call.items()]
            ] if calls else []  # fmt: skip
            oracle.append([FinalAnswer(content="done")])
            tasks.append(
                Task(
                    id=task_id,
                    suite=f"bfcl:{file.stem}",
                    prompt=prompt,
                    system=system,
                    tools=list(dict.fromkeys(doc["name"] for doc in functions)),
                    expected_calls=_expected(ground or []),
                    no_call_expected="irrelevance" in category,
                    oracle=oracle,
                    max_steps=5,
                    tags=["bfcl", category],
                )
            )
        except (KeyError, TypeError, IndexError, ValueError) as exc:
            raise TaskFileError(str(file), number, None, f"not a BFCL question: {exc}") from None
    if not tasks:
        raise TaskFileError(str(file), None, None, "the file contains no questions")

    def registry() -> ToolRegistry:
        return ToolRegistry(BfclTool(variants) for variants in docs.values())

    def task_registry(task: Task) -> ToolRegistry:  # exactly the docs this question offers
        return registry_from_docs(own_docs[task.id])

    return Suite(
        name=f"bfcl:{file.stem}",
        tasks=tuple(tasks),
        registry_factory=registry,
        task_registry=task_registry,
        source=str(file.resolve()),
        sha256=digest.hexdigest(),
        lines=lines,
        tool_docs=lambda task: own_docs.get(task.id),
        published=True,
    )


def registry_from_docs(docs: list[dict[str, Any]]) -> ToolRegistry:
    """The registry of one BFCL question's function docs (as snapshotted with a run)."""
    return ToolRegistry(BfclTool([doc]) for doc in docs)
