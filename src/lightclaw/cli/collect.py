"""``lightclaw demo`` and ``lightclaw collect``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from rich.markup import escape

from lightclaw.cli.render import command, console, print_lines, print_summary, shown
from lightclaw.errors import UserError
from lightclaw.policies.personas import PERSONAS
from lightclaw.rollouts.collect import collect as collect_episodes
from lightclaw.rollouts.collect import start_run
from lightclaw.store import Store


def demo(args: argparse.Namespace) -> int:
    with Store() as store:
        policies = [f"scripted:{name}" for name in PERSONAS]
        run = start_run(
            store,
            "core",
            policies,
            trials=args.trials,
            seed=args.seed,
            reward_weights=_weights(args),
        )
        n = asyncio.run(collect_episodes(store, run, concurrency=args.concurrency))
        out = console()
        out.print(
            f"[bold]LightClaw demo[/bold]: run [cyan]{run.id}[/cyan], {n} episodes, "
            f"suite core, {len(policies)} scripted personas"
        )
        print_summary(store, run.id)
        from lightclaw.cli.eval import print_report
        from lightclaw.evals.report import build_report, write_report

        report = build_report(store, run.id)
        print_report(report)
        json_path, md_path = write_report(report, store.path.parent / "reports" / run.id)
        from lightclaw.cli.export import print_export
        from lightclaw.export.formats import run_export
        from lightclaw.export.pool import Selection

        exported = store.path.parent / "exports" / run.id
        manifest, card = run_export(store, Selection(runs=[run.id]), exported)
        print_export(exported, manifest, card)
        dry_run, dry_paths = _recruiting_demo(store, args)
        print_lines(out, "store:  ", [shown(store.path)])
        print_lines(out, "report: ", [shown(json_path), shown(md_path), *map(shown, dry_paths)])
        print_lines(out, "export: ", [shown(exported)])
        first = next(iter(store.iter_episodes(run.id, batch=1)), None)
        replay = [] if first is None else [command("replay", first.id)]
        print_lines(
            out,
            "next:   ",
            [command("runs", "show", run.id), *replay, command("eval", dry_run)],
        )
    return 0


def _recruiting_demo(store: Store, args: argparse.Namespace) -> tuple[str, list[Path]]:
    """The recruiting safe dry-run on the fixture site (static backend), with its report."""
    from lightclaw.cli.recruiting import DEFAULT_POLICY, print_recruiting
    from lightclaw.evals.report import build_report, write_report

    run = start_run(store, "recruiting", [DEFAULT_POLICY], seed=args.seed)
    asyncio.run(collect_episodes(store, run, concurrency=args.concurrency))
    report = build_report(store, run.id)
    console().print(
        f"[bold]recruiting safe dry-run[/bold]: run [cyan]{run.id}[/cyan] on the fixture site"
    )
    print_recruiting(report.recruiting, console())
    paths = write_report(report, store.path.parent / "reports" / run.id)
    return run.id, list(paths)


def collect(args: argparse.Namespace) -> int:
    with Store() as store:
        if args.resume:
            if args.policy:
                raise UserError("--resume continues a run as planned; drop --policy")
            run = store.get_run(args.resume)
            if run.status == "complete":
                console().print(f"run {run.id} is already complete")
                return 0
        else:
            run = start_run(
                store,
                args.suite,
                args.policy or [],
                trials=args.trials,
                seed=args.seed,
                reward_weights=_weights(args),
            )
        if run.config.left_out:
            first = next(iter(run.config.left_out.values()))
            print(
                f"lightclaw: note: {len(run.config.left_out)} question(s) left out of run "
                f"{run.id} because their own answer cannot pass (first: {first}); the run's "
                "config lists them all",
                file=sys.stderr,
            )
        n = asyncio.run(collect_episodes(store, run, concurrency=args.concurrency))
        out = console()
        out.print(
            f"run [cyan]{run.id}[/cyan]: {n} episodes collected "
            f"({store.count_episodes(run.id)} stored) in {escape(shown(store.path))}"
        )
        print_summary(store, run.id)
        print_lines(out, "next: ", [command("eval", run.id)])
    return 0


def _weights(args: argparse.Namespace) -> dict[str, float] | None:
    if not args.reward_config:
        return None
    from lightclaw.verify.config import load_weights

    return load_weights(args.reward_config)
