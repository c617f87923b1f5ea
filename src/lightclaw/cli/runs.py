"""``lightclaw runs list|show``."""

from __future__ import annotations

import argparse

from rich.table import Table

from lightclaw.cli.render import console, print_summary
from lightclaw.store import Store


def runs(args: argparse.Namespace) -> int:
    with Store() as store:
        if args.runs_command == "list":
            table = Table(title=f"runs in {store.path}", title_justify="left")
            for col in (
                "run",
                "created",
                "source",
                "suite",
                "policy",
                "status",
                "episodes",
                "steps",
            ):
                table.add_column(col)
            for r in store.list_runs(limit=args.limit):
                table.add_row(
                    r.id,
                    r.created.strftime("%Y-%m-%d %H:%M:%S"),
                    r.source,
                    r.suite,
                    _short(r.policy),
                    r.status,
                    str(r.episodes),
                    str(r.steps),
                )
            console().print(table)
            return 0
        run = store.get_run(args.run_id)
        out = console()
        out.print(
            f"run {run.id}  created {run.created:%Y-%m-%d %H:%M:%S}  source {run.source}  "
            f"status {run.status}  code {run.code_version}"
        )
        out.print(f"suite {run.suite}  config {run.config}")
        out.print(f"tools: {', '.join(f'{t.name}@{t.hash[:8]}' for t in run.tool_schemas)}")
        print_summary(store, run.id)
    return 0


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
