"""``lightclaw export``, ``lightclaw spa`` and ``lightclaw pipeline``."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from lightclaw.cli.render import console, print_lines, shown, table
from lightclaw.export.formats import FORMATS, parse_formats, run_export
from lightclaw.export.pool import Selection
from lightclaw.store import Store

if TYPE_CHECKING:
    from rich.console import Console

    from lightclaw.export.card import DataCard, Manifest


def selection_of(args: argparse.Namespace, runs: list[str] | None = None) -> Selection:
    return Selection(
        runs=runs if runs is not None else args.run,
        suite=getattr(args, "select_suite", None),
        source=getattr(args, "source", None),
        policy=getattr(args, "select_policy", None),
        success_only=args.success_only,
        min_reward=args.min_reward,
        max_steps=args.max_steps,
        dedupe=not args.no_dedupe,
    )


def export(args: argparse.Namespace) -> int:
    return _export(args, parse_formats(args.formats), args.spa_estimator)


def spa(args: argparse.Namespace) -> int:
    return _export(args, ["spa"], args.estimator)


def _export(args: argparse.Namespace, formats: list[str], estimator: str) -> int:
    with Store() as store:
        manifest, card = run_export(
            store, selection_of(args), args.out, formats,
            test_fraction=args.test_fraction, seed=args.seed, overwrite=args.overwrite,
            spa_estimator=estimator,
        )  # fmt: skip
    print_export(Path(args.out), manifest, card)
    return 0


def pipeline(args: argparse.Namespace) -> int:
    """collect -> distill (filters) -> export (+ SPA) -> eval, with a summary of what went where."""
    from lightclaw.cli.eval import print_report
    from lightclaw.evals.report import build_report, check_report_folder, write_report
    from lightclaw.policies.personas import PERSONAS
    from lightclaw.rollouts.collect import collect, start_run

    formats = parse_formats(args.formats)
    policies = args.policy or [f"scripted:{name}" for name in PERSONAS]
    out = console()
    with Store() as store:
        check_report_folder(store.path.parent / "reports")  # before collecting
        run = start_run(store, args.suite, policies, trials=args.trials, seed=args.seed)
        out.print(
            f"[bold]1/4 collect[/bold]: run {run.id} ({len(policies)} policies, suite {args.suite})"
        )
        asyncio.run(collect(store, run))
        out.print(f"[bold]2/4 distill + 3/4 export[/bold]: {', '.join(formats)}")
        target = Path(args.out) if args.out else store.path.parent / "exports" / run.id
        manifest, card = run_export(
            store, selection_of(args, runs=[run.id]), target, formats,
            test_fraction=args.test_fraction, seed=args.seed, overwrite=args.overwrite,
        )  # fmt: skip
        print_export(target, manifest, card)
        out.print("[bold]4/4 eval[/bold]")
        report = build_report(store, run.id, seed=args.seed)
        print_report(report)
        paths = write_report(report, store.path.parent / "reports" / run.id)
        out.print(
            f"written: store {store.path}\n         export {target} (data card: "
            f"{target / 'README.md'}, {target / 'data_card.json'})\n         report {paths[0]}"
        )
    return 0


def print_export(
    out_dir: Path, manifest: Manifest, card: DataCard, out: Console | None = None
) -> None:
    """The files written (format, split, rows, rejected rows) and the filters' counts."""
    out = out or console()
    print_lines(out, "export: ", [shown(out_dir)])
    files = table()
    for col in ("file", "format", "split", "rows", "rejected"):
        number = col in ("rows", "rejected")
        files.add_column(col, justify="right" if number else "left", no_wrap=number,
                         overflow="fold")  # fmt: skip
    for f in manifest.files:
        files.add_row(f.path, f.format, f.split, str(f.rows), str(f.rejected))
    out.print(files)
    kept = " -> ".join(f"{s.name} {s.rows_out}" for s in card.filters.steps)
    out.print(f"filters: {kept}", markup=False)
    print_lines(
        out, "data card: ", [shown(out_dir / "README.md"), shown(out_dir / "data_card.json")]
    )


__all__ = ["FORMATS", "export", "pipeline", "spa"]
