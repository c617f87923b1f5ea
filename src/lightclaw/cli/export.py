"""``lightclaw export``, ``lightclaw spa`` and ``lightclaw pipeline``."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from lightclaw.cli.render import console, print_lines, shown, table
from lightclaw.errors import UserError
from lightclaw.export.formats import FORMATS, parse_formats, run_export
from lightclaw.export.pool import Selection, split_of
from lightclaw.store import Store

if TYPE_CHECKING:
    from rich.console import Console

    from lightclaw.export.card import DataCard, Manifest


_FLAGS = {"runs": "--run", "suite": "--suite", "source": "--source", "policy": "--policy",
          "min_reward": "--min-reward", "max_steps": "--max-steps"}  # fmt: skip


def selection_of(args: argparse.Namespace, runs: list[str] | None = None) -> Selection:
    """The pool selection of the filter flags; a value out of range is a one-line UserError."""
    try:
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
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        field = str(err["loc"][0]) if err["loc"] else ""
        flag = _FLAGS.get(field, field)
        raise UserError(f"{flag}: {err['msg']} (got {err.get('input')!r})") from None


def export(args: argparse.Namespace) -> int:
    return _export(args, parse_formats(args.formats), args.spa_estimator)


def spa(args: argparse.Namespace) -> int:
    return _export(args, ["spa"], args.estimator)


def _export(args: argparse.Namespace, formats: list[str], estimator: str) -> int:
    with Store() as store:
        manifest, card = run_export(
            store, selection_of(args), args.out, formats,
            test_fraction=args.test_fraction, seed=args.seed, overwrite=args.overwrite,
            spa_estimator=estimator, token_lengths=not args.no_token_lengths,
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
    selection_of(args, runs=[])  # bad filters fail before anything is collected
    split_of("-", args.test_fraction, args.seed)
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
            token_lengths=not args.no_token_lengths,
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
    dropped = [f"{path} {n}" for path, n in card.undeclared_tool_rows.items() if n]
    if dropped:
        out.print(
            "rows dropped for calling a tool they do not declare: " + ", ".join(dropped),
            markup=False,
        )
    over = [
        f"{f.path} {lim.over}/{f.rows} over {lim.setting}={lim.value}"
        for f in card.files
        if f.token_lengths is not None
        for lim in f.token_lengths.limits
        if lim.over
    ]
    if over:
        out.print("token lengths: " + "; ".join(over), markup=False)
    elif not card.token_counting.measured:
        out.print(f"token lengths: {card.token_counting.note}", markup=False)
    print_lines(
        out, "data card: ", [shown(out_dir / "README.md"), shown(out_dir / "data_card.json")]
    )


__all__ = ["FORMATS", "export", "pipeline", "spa"]
