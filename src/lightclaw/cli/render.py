"""Terminal output helpers shared by the commands."""

from __future__ import annotations

import sys
from functools import cache
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from lightclaw.rollouts.summary import summarize
from lightclaw.schema import ErrorType

if TYPE_CHECKING:
    from lightclaw.store import Store


@cache
def console() -> Console:
    """stdout console; when piped, wide enough that ids and numbers are never cut."""
    return Console(highlight=False, width=None if sys.stdout.isatty() else 200)


def print_summary(store: Store, run_id: str) -> None:
    rows = summarize(store, run_id)
    seen = sorted(
        {e for r in rows for e in r.errors}, key=lambda e: list(ErrorType).index(ErrorType(e))
    )
    table = Table(title=f"run {run_id}", title_justify="left")
    table.add_column("policy")
    table.add_column("episodes", justify="right")
    table.add_column("success", justify="right")
    table.add_column("steps", justify="right")
    table.add_column("corrections", justify="right")
    for name in seen:
        table.add_column(name, justify="right")
    for r in rows:
        rate = f"{r.succeeded}/{r.episodes}"
        table.add_row(
            r.policy,
            str(r.episodes),
            rate,
            str(r.steps),
            str(r.corrections),
            *(str(r.errors.get(e, 0)) for e in seen),
        )
    console().print(table)
