"""The tasks of a stored run: its snapshot (what it was collected on), not the file as it is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lightclaw.suites.loader import load_suite
from lightclaw.suites.recruiting.tasks import is_recruiting, recruiting_suite
from lightclaw.suites.snapshot import source_change, suite_from_snapshot

if TYPE_CHECKING:
    from lightclaw.schema import Run
    from lightclaw.store import Store
    from lightclaw.suites.loader import Suite


@dataclass(frozen=True)
class RunSuite:
    """A run's suite and, when its task file changed since collection, a note saying so."""

    suite: Suite
    note: str | None = None


def run_suite(store: Store, run: Run) -> RunSuite:
    """The suite ``run`` was collected on, from the task snapshot stored with it.

    Runs stored before snapshots existed load their suite spec as it is now (a missing file is
    a :class:`~lightclaw.errors.UserError`)."""
    snapshot = store.run_tasks(run.id)
    if not snapshot:
        return RunSuite(load_suite(run.config.suite))
    if is_recruiting(run.config.suite):
        return RunSuite(recruiting_suite(run.config.suite, tuple(s.task for s in snapshot)))
    return RunSuite(suite_from_snapshot(run.suite, snapshot), source_change(run.config))
