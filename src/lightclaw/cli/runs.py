"""``lightclaw runs list|show``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from rich.padding import Padding
from rich.text import Text

from lightclaw.cli.render import console, print_lines, print_summary, shown
from lightclaw.store import Store

if TYPE_CHECKING:
    from rich.console import Console

    from lightclaw.schema import RunConfig
    from lightclaw.store.summary import RunSummary


def runs(args: argparse.Namespace) -> int:
    with Store() as store:
        if args.runs_command == "list":
            print_runs(store.path, store.list_runs(limit=args.limit))
            return 0
        run = store.get_run(args.run_id)
        out = console()
        out.print(
            f"run {run.id}  created {run.created:%Y-%m-%d %H:%M:%S}  source {run.source}  "
            f"status {run.status}  code {run.code_version}",
            markup=False,
        )
        print_config(run.config, out)
        out.print(f"tools: {', '.join(f'{t.name}@{t.hash[:8]}' for t in run.tool_schemas)}")
        print_summary(store, run.id, out)
    return 0


def print_config(config: RunConfig, out: Console) -> None:
    """The run's plan, one setting a line (the defaults of a setting left out)."""
    c = config
    out.print(f"suite {c.suite}" + (f" ({c.suite_file}, sha256 {c.suite_sha256[:12]})"
              if c.suite_file and c.suite_sha256 else ""), markup=False)  # fmt: skip
    out.print(f"plan: {len(c.policies)} policies x {c.trials} trial(s), seed {c.seed}, "
              f"protocol {c.protocol}" + (f" ({c.feedback} feedback)" if c.feedback else ""),
              markup=False)  # fmt: skip
    out.print(f"policies: {', '.join(c.policies)}", markup=False)
    weights = ", ".join(f"{k} {v:g}" for k, v in c.reward_weights.items())
    out.print(f"reward weights: {weights}", markup=False)
    for task_id, why in c.left_out.items():
        out.print(f"left out: {task_id}: {why}", markup=False)


def print_runs(store_path: Path, rows: list[RunSummary], out: Console | None = None) -> None:
    """Runs newest first, two lines each: id, creation time, status and counts in aligned
    columns, then the suite, source and policies, indented, wrapping between policies."""
    out = out or console()
    print_lines(out, "runs in ", [f"{shown(store_path)}, newest first"])
    cells = [
        (r.id, f"{r.created:%Y-%m-%d %H:%M:%S}", r.status, str(r.episodes), str(r.steps))
        for r in rows
    ]
    header = ("run", "created", "status", "episodes", "steps")
    widths = [max(len(row[i]) for row in [header, *cells]) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        left = [f"{v:<{w}}" for v, w in zip(row[:3], widths[:3], strict=True)]
        right = [f"{v:>{w}}" for v, w in zip(row[3:], widths[3:], strict=True)]
        return "  ".join(left + right)

    out.print(Text(line(header), style="bold", overflow="fold"))
    for r, row in zip(rows, cells, strict=True):
        out.print(Text(line(row), overflow="fold"))
        policies = ", ".join(r.policy.split(","))
        detail = Text(f"{r.suite} ({r.source}): {policies}", overflow="fold")
        out.print(Padding(detail, (0, 0, 0, 2)))
