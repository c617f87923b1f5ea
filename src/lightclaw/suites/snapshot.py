"""A run's task snapshot: taken from a suite at collection, turned back into a suite later.

Replay, resume, eval and export read the tasks a run was collected on from the store, never
from the task file as it is now: the file may have moved or changed. A changed file is
reported (:func:`source_change`), never silently used.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from lightclaw.schema import RunConfig, Task, TaskSnapshot
from lightclaw.suites.bfcl import registry_from_docs
from lightclaw.suites.core import core_registry
from lightclaw.suites.loader import Suite

if TYPE_CHECKING:
    from collections.abc import Sequence

    from lightclaw.tools import ToolRegistry


def take_snapshot(suite: Suite) -> list[TaskSnapshot]:
    """Every task of ``suite`` with the tool docs it brings, in suite order."""
    return [TaskSnapshot(task=task, tool_docs=suite.tool_docs(task)) for task in suite.tasks]


def suite_from_snapshot(name: str, snapshot: Sequence[TaskSnapshot]) -> Suite:
    """The suite a run was collected on, rebuilt from its snapshot.

    Tasks that brought tool docs (BFCL) get a registry of exactly those docs; the others run
    against the core tools (the only code-defined tools so far).
    """
    docs = {s.task.id: s.tool_docs for s in snapshot if s.tool_docs is not None}

    def task_registry(task: Task) -> ToolRegistry:
        own = docs.get(task.id)
        return core_registry() if own is None else registry_from_docs(own)

    return Suite(
        name=name,
        tasks=tuple(s.task for s in snapshot),
        registry_factory=core_registry,
        task_registry=task_registry if docs else None,
        tool_docs=lambda task: docs.get(task.id),
    )


def source_change(config: RunConfig) -> str | None:
    """A note when the run's task file changed (or disappeared) since collection; else None."""
    if config.suite_file is None or config.suite_sha256 is None:
        return None
    path = Path(config.suite_file)
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None  # moved or deleted: the snapshot is all there is, and it is complete
    if digest == config.suite_sha256:
        return None
    return (
        f"task file {path} changed since this run was collected; using the task definitions "
        "stored with the run"
    )
