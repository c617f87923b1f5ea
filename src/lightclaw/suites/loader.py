"""Load task files (JSONL or YAML) with errors that name the file, line and field; built-in suites.

Every task is validated on load; the FIRST problem raises :class:`~lightclaw.errors.TaskFileError`.
A task file is untrusted input: YAML is loaded safely (plain data, no ``!!python`` tags), aliases
may not expand the file by more than :data:`MAX_ALIAS_EXPANSION` values nor refer to themselves,
and no value nests deeper than :data:`MAX_DEPTH` levels — so loading stays bounded by the file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from lightclaw.errors import TaskFileError, UnknownChoiceError
from lightclaw.files import shown
from lightclaw.schema import Task, ToolCall, effective
from lightclaw.suites.core import core_registry

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping

    from pydantic_core import ErrorDetails

    from lightclaw.tools import ToolRegistry

JSONL_SUFFIXES = (".jsonl",)
YAML_SUFFIXES = (".yaml", ".yml")
MAX_DEPTH = 100
"""How deep a task's values may nest (a task mapping is level 1)."""
MAX_ALIAS_EXPANSION = 1_000_000
"""How many values YAML aliases may add to a file beyond the values written in it."""
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_NO_CONSTRUCTOR = "could not determine a constructor for the tag "


class _Loader(yaml.SafeLoader):
    """Safe YAML without timestamp resolution: ``2026-03-05`` stays a string, as in JSON."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _describe(error: ErrorDetails) -> tuple[str, str]:
    """The dotted location and a readable message of a Pydantic error."""
    field = ".".join(str(part) for part in error["loc"])
    message = error["msg"]
    if error["type"] not in ("missing", "extra_forbidden") and "input" in error:
        shown = repr(error["input"])
        message += f" (got {shown if len(shown) <= 60 else shown[:57] + '...'})"
    return field, message


def _validate(path: str, line: int, data: object) -> Task:
    if not isinstance(data, dict):
        raise TaskFileError(
            path, line, None, f"a task must be a mapping, got {type(data).__name__}"
        )
    try:
        return Task.model_validate(data)
    except ValidationError as exc:
        field, message = _describe(exc.errors()[0])
        raise TaskFileError(path, line, field or None, message) from None


def _jsonl_items(path: str, text: str) -> Iterator[tuple[int, object]]:
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            item = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise TaskFileError(
                path, number, None, f"invalid JSON: {exc.msg} (column {exc.colno})"
            ) from None
        except RecursionError:
            raise TaskFileError(path, number, None, _too_deep()) from None
        if _depth(item) > MAX_DEPTH:
            raise TaskFileError(path, number, None, _too_deep())
        yield number, item


def _too_deep() -> str:
    return f"values nest more than {MAX_DEPTH} levels deep"


def _depth(value: object) -> int:
    """How deep ``value`` nests (a scalar is 0, ``[1]`` is 1), without recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        current, depth = stack.pop()
        children: Iterable[object]
        if isinstance(current, dict):
            children = current.values()
        elif isinstance(current, list):
            children = current
        else:
            continue
        deepest = max(deepest, depth + 1)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _yaml_items(path: str, text: str) -> Iterator[tuple[int, object]]:
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise TaskFileError(path, line, None, f"invalid YAML: {problem}") from None
    except RecursionError:
        raise TaskFileError(path, None, None, _too_deep()) from None
    if root is None:
        return
    nodes: list[yaml.Node]
    if isinstance(root, yaml.SequenceNode):
        nodes = list(root.value)
    elif isinstance(root, yaml.MappingNode) and any(k.value == "tasks" for k, _ in root.value):
        tasks = next(v for k, v in root.value if k.value == "tasks")
        if not isinstance(tasks, yaml.SequenceNode):
            raise TaskFileError(path, tasks.start_mark.line + 1, "tasks", "'tasks' must be a list")
        nodes = list(tasks.value)
    else:
        raise TaskFileError(
            path,
            root.start_mark.line + 1,
            None,
            "expected a list of tasks or a mapping with 'tasks'",
        )
    constructor = _Loader("")
    sizes = _NodeSizes(path)
    for node in nodes:
        line = node.start_mark.line + 1
        sizes.check(node, line)
        try:
            item = constructor.construct_document(node)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise TaskFileError(
                path, line if mark is None else mark.line + 1, None, _construct_problem(exc)
            ) from None
        yield line, item


def _construct_problem(exc: yaml.YAMLError) -> str:
    problem = str(getattr(exc, "problem", None) or exc)
    if problem.startswith(_NO_CONSTRUCTOR):
        tag = problem.removeprefix(_NO_CONSTRUCTOR).strip("'").replace("tag:yaml.org,2002:", "!!")
        return (
            f"YAML tag {tag!r} is not allowed: a task file holds plain data "
            "(mappings, lists, strings, numbers, booleans, null)"
        )
    return f"invalid YAML: {problem}"


class _NodeSizes:
    """Sizes and depths of composed YAML nodes as they would be constructed (an alias counts
    its whole target each time), computed without recursion and without constructing them."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.memo: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded values, depth)
        self.expanded = 0

    def check(self, task: yaml.Node, line: int) -> None:
        """Raise TaskFileError (at ``line``) if ``task`` nests too deep, refers to itself, or
        the file's aliases now expand past :data:`MAX_ALIAS_EXPANSION` values."""
        size, depth = self._measure(task, line)
        if depth > MAX_DEPTH:
            raise TaskFileError(self.path, line, None, _too_deep())
        self.expanded += size
        if self.expanded - len(self.memo) > MAX_ALIAS_EXPANSION:
            raise TaskFileError(
                self.path,
                line,
                None,
                f"YAML aliases expand the file by more than {MAX_ALIAS_EXPANSION:,} values (an "
                "alias bomb?); write the values out or use fewer aliases",
            )

    def _measure(self, top: yaml.Node, line: int) -> tuple[int, int]:
        expanding: set[int] = set()
        stack: list[tuple[yaml.Node, bool]] = [(top, False)]
        while stack:
            node, children_done = stack.pop()
            key = id(node)
            if children_done:
                parts = [self.memo[id(child)] for child in _children(node)]
                size = 1 + sum(size for size, _ in parts)
                self.memo[key] = (size, 1 + max((depth for _, depth in parts), default=0))
                expanding.discard(key)
            elif key in expanding:  # popped again while its own values are being measured
                raise TaskFileError(
                    self.path, node.start_mark.line + 1, None, "a YAML alias refers to itself"
                )
            elif key not in self.memo:
                expanding.add(key)
                stack.append((node, True))
                stack.extend((child, False) for child in _children(node))
        return self.memo[id(top)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _check_tools(path: str, line: int, task: Task, registry: ToolRegistry | None) -> None:
    """Tools the task names must exist; its oracle and expected calls may use only its tools."""
    if registry is not None:
        for index, name in enumerate(task.tools):
            if name not in registry:
                known = ", ".join(registry.names()) or "(none)"
                raise TaskFileError(
                    path, line, f"tools.{index}", f"unknown tool {name!r}; known tools: {known}"
                )
    offered = set(task.tools)
    for index, call in enumerate(task.expected_calls):
        if call.tool not in offered:
            raise TaskFileError(
                path,
                line,
                f"expected_calls.{index}.tool",
                f"expected call to {call.tool!r}, which is not in the task's tools",
            )
    for step, actions in enumerate(task.oracle):
        for position, action in enumerate(actions):
            acted = effective(action)
            if isinstance(acted, ToolCall) and acted.tool not in offered:
                raise TaskFileError(
                    path,
                    line,
                    f"oracle.{step}.{position}.tool",
                    f"oracle calls {acted.tool!r}, which is not in the task's tools",
                )


def load_tasks(path: Path | str, registry: ToolRegistry | None = None) -> list[Task]:
    """Load and validate every task of a ``.jsonl`` or ``.yaml``/``.yml`` file.

    JSONL: one task object per line; blank lines and ``#`` comment lines are skipped. YAML: a
    list of task mappings, or a mapping with a ``tasks`` list. With ``registry``, every tool a
    task names must be registered. Raises :class:`TaskFileError` on the first problem.
    """
    return [task for _, task in load_numbered_tasks(path, registry)[0]]


def load_numbered_tasks(
    path: Path | str, registry: ToolRegistry | None = None
) -> tuple[list[tuple[int, Task]], bytes]:
    """Like :func:`load_tasks`, with each task's line number, and the file's bytes."""
    file = Path(path)
    display = shown(path)
    try:
        is_file, is_dir = file.is_file(), file.is_dir()
    except OSError as exc:  # a name longer than the file system allows, a loop of links, ...
        raise TaskFileError(
            display, None, None, f"cannot read the task file: {exc.strerror}"
        ) from None
    if not is_file:
        what = "is a directory, not a task file" if is_dir else "does not exist"
        raise TaskFileError(display, None, None, f"task file {what}")
    suffix = file.suffix.lower()
    if suffix not in JSONL_SUFFIXES + YAML_SUFFIXES:
        raise TaskFileError(
            display,
            None,
            None,
            f"unsupported task file type {suffix or '(none)'!r}; use .jsonl, .yaml or .yml",
        )
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise TaskFileError(
            display, None, None, f"cannot read the task file: {exc.strerror}"
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TaskFileError(display, None, None, f"not UTF-8 text: {exc.reason}") from None
    items = _jsonl_items(display, text) if suffix in JSONL_SUFFIXES else _yaml_items(display, text)
    tasks: list[tuple[int, Task]] = []
    first_line: dict[str, int] = {}
    for line, item in items:
        task = _validate(display, line, item)
        if task.id in first_line:
            raise TaskFileError(
                display,
                line,
                "id",
                f"duplicate task id {task.id!r} (first on line {first_line[task.id]})",
            )
        first_line[task.id] = line
        _check_tools(display, line, task, registry)
        tasks.append((line, task))
    if not tasks:
        raise TaskFileError(display, None, None, "the file contains no tasks")
    return tasks, data


@dataclass(frozen=True)
class Suite:
    """A named set of tasks and the factory of the tool registry its tasks run against."""

    name: str
    tasks: tuple[Task, ...]
    registry_factory: Callable[[], ToolRegistry]
    task_registry: Callable[[Task], ToolRegistry] | None = None
    """For suites whose tasks define their own tools (BFCL: one name, several docs)."""
    source: str | None = None
    """The absolute path of the file the tasks were loaded from (None for built-in suites)."""
    sha256: str | None = None
    """The sha256 of that file's bytes when it was loaded."""
    lines: Mapping[str, int] = field(default_factory=dict)
    """Task id -> the line of the file that defines it (for errors that name file:line)."""
    tool_docs: Callable[[Task], list[dict[str, Any]] | None] = lambda task: None
    """The tool docs a task brings with it (BFCL function docs), kept in the run's snapshot."""
    environment: Callable[..., Any] | None = None
    """Per-run environment factory ``(screens, base) -> async context manager`` whose ``open(task,
    episode_id)`` gives an episode's tool ``deps`` and whose ``guards`` the executor applies
    (the recruiting web env)."""
    published: bool = False
    """Tasks of a published benchmark (BFCL) that the user cannot fix: a question whose own
    answer cannot pass is left out of a run (and recorded in its config), not refused."""

    def registry_for(self, task: Task, shared: ToolRegistry) -> ToolRegistry:
        """The registry ``task`` runs against: its own if the suite has one, else ``shared``."""
        return shared if self.task_registry is None else self.task_registry(task)

    def task(self, task_id: str) -> Task:
        """The task with ``task_id``; :class:`UnknownChoiceError` if there is none."""
        for task in self.tasks:
            if task.id == task_id:
                return task
        raise UnknownChoiceError("task", task_id, [task.id for task in self.tasks])


@cache
def _core_suite() -> Suite:
    data = resources.files("lightclaw.suites.core") / "tasks.jsonl"
    with resources.as_file(data) as path:
        tasks = load_tasks(path, registry=core_registry())
    return Suite(name="core", tasks=tuple(tasks), registry_factory=core_registry)


SUITES: Mapping[str, Callable[[], Suite]] = {"core": _core_suite}
"""Built-in suites by name; each value builds (and caches) its :class:`Suite`."""


def get_suite(name: str) -> Suite:
    """The built-in suite ``name``; :class:`UnknownChoiceError` for an unknown name."""
    factory = SUITES.get(name)
    if factory is None:
        raise UnknownChoiceError("suite", name, SUITES)
    return factory()


def load_suite(spec: str) -> Suite:
    """A built-in suite by name (``"core"``), BFCL questions (``"bfcl:PATH"``), or a task file.

    A file's tasks run against the core tool registry (custom tools are not loadable yet), so
    they may name only core tools. The suite is named after the file's stem.
    """
    if spec in SUITES:
        return get_suite(spec)
    if spec == "recruiting" or spec.startswith("recruiting:"):  # the recruiting dry-run
        from lightclaw.suites.recruiting.tasks import load_recruiting  # imports this module

        return load_recruiting(spec)
    if spec.startswith("bfcl:"):
        from lightclaw.suites.bfcl import load_bfcl  # imports this module

        return load_bfcl(spec.removeprefix("bfcl:"))
    path = Path(spec)
    try:
        looks_like_file = path.suffix.lower() in JSONL_SUFFIXES + YAML_SUFFIXES or path.exists()
    except OSError:  # too long to be a file name, ...: load_numbered_tasks says what is wrong
        looks_like_file = True
    if not looks_like_file:
        raise UnknownChoiceError("suite", spec, SUITES)
    numbered, data = load_numbered_tasks(path, registry=core_registry())
    return Suite(
        name=path.stem,
        tasks=tuple(task for _, task in numbered),
        registry_factory=core_registry,
        source=str(path.resolve()),
        sha256=hashlib.sha256(data).hexdigest(),
        lines={task.id: line for line, task in numbered},
    )
