"""``lightclaw eval RUN``: metrics and failure analysis from the store, report.json + report.md."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rich.columns import Columns
from rich.markup import escape

from lightclaw.cli.render import command, console, print_lines, table
from lightclaw.errors import UserError
from lightclaw.evals.compare import compare
from lightclaw.evals.report import (
    RATES,
    EvalReport,
    build_report,
    check_report_folder,
    group_label,
    write_report,
)
from lightclaw.policies.personas import PERSONAS
from lightclaw.rollouts.collect import collect, start_run
from lightclaw.store import Store

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from lightclaw.evals.metrics import GroupMetrics, Rate


def run(args: argparse.Namespace) -> int:
    if args.protocol == "two-attempt":
        if args.run_id:
            raise UserError("give either RUN or --protocol two-attempt, not both")
    elif not args.run_id:
        raise UserError("give a RUN to evaluate (see `lightclaw runs list`) or --protocol")
    elif args.feedback:
        raise UserError(
            "--feedback chooses the feedback between the attempts of --protocol two-attempt; "
            "a stored run is evaluated as it was collected (drop --feedback, or add --protocol)"
        )
    with Store() as store:
        run_id = args.run_id
        if args.out:
            check_report_folder(Path(args.out))  # before any work is done
        if args.protocol == "two-attempt":
            run_id = _collect_two_attempt(store, args)
        report = build_report(store, run_id, seed=args.seed)
        folder = Path(args.out) if args.out else store.path.parent / "reports" / report.run.id
        json_path, md_path = write_report(report, folder)
        print_report(report)
        if args.compare:
            other = build_report(store, args.compare, seed=args.seed)
            print_comparison(store, report, other)
    console().print(f"report: {json_path}\n        {md_path}")
    return 0


def _collect_two_attempt(store: Store, args: argparse.Namespace) -> str:
    policies = args.policy or [f"scripted:{name}" for name in PERSONAS]
    feedback = args.feedback or "generic"
    run = start_run(
        store, args.suite, policies, trials=args.trials, seed=args.seed, feedback=feedback
    )
    asyncio.run(collect(store, run))
    return run.id


def print_report(report: EvalReport, out: Console | None = None) -> None:
    """The two-attempt scores, one metrics block per group and the failure analysis, each
    readable at 80 columns; every failure group ends with a replay command that runs as printed."""
    out = out or console()
    if report.tasks_note:
        print(f"lightclaw: note: {report.tasks_note}", file=sys.stderr)
    if report.two_attempt:
        score = table("two-attempt protocol (SCoRe): attempt 1 -> feedback -> attempt 2")
        for col in ("suite / policy", "pairs", "acc@t1", "acc@t2", "Δ", "Δi→c", "Δc→i"):
            first = col == "suite / policy"
            score.add_column(col, justify="left" if first else "right", no_wrap=not first,
                             overflow="fold")  # fmt: skip
        for m in report.two_attempt:
            score.add_row(
                f"{m.suite} / {m.policy}", str(m.pairs), f"{m.acc_t1:.3f}", f"{m.acc_t2:.3f}",
                f"{m.delta:+.3f}", f"{m.delta_i_to_c:.3f}", f"{m.delta_c_to_i:.3f}",
            )  # fmt: skip
        out.print(score)
    level = f"{report.metrics.level:.0%}"
    out.print(
        f"eval {report.run.id} ({report.run.source}): rate, {level} interval, "
        "numerator/denominator",
        markup=False,
    )
    out.print(Columns([_metrics_block(g, level) for g in report.metrics.groups], padding=(1, 4)))
    if report.recruiting is not None:
        from lightclaw.cli.recruiting import print_recruiting

        print_recruiting(report.recruiting, out)
    _print_failures(report, out)


def _metrics_block(g: GroupMetrics, level: str) -> Table:
    unjudged = f" ({g.unjudged} unjudged: the verifier failed)" if g.unjudged else ""
    block = table(group_label(g))
    block.caption = f"{g.episodes} episodes{unjudged}"
    block.caption_justify = "left"
    block.add_column("metric", no_wrap=True)
    block.add_column("rate", justify="right", no_wrap=True)
    block.add_column(f"{level} CI", no_wrap=True)
    block.add_column("n", justify="right", no_wrap=True)
    for name in RATES:
        rate: Rate = getattr(g, name)
        ci = "" if rate.ci_low is None else f"[{rate.ci_low:.2f}, {rate.ci_high:.2f}]"
        block.add_row(
            name.removesuffix("_rate"), _num(rate.value), ci, f"{rate.numerator}/{rate.denominator}"
        )
    return block


def _print_failures(report: EvalReport, out: Console) -> None:
    if not report.failures:
        out.print("failure analysis: no failures")
        return
    total = sum(group.count for group in report.failures)
    failures = table(f"failure analysis: {total} failures")
    for col in ("error", "count", "share", "top tools"):
        number = col in ("count", "share")
        failures.add_column(col, justify="right" if number else "left", no_wrap=number,
                            overflow="fold")  # fmt: skip
    for group in report.failures:
        tools = ", ".join(f"{k} ({v})" for k, v in list(group.by_tool.items())[:3])
        failures.add_row(group.error_type, str(group.count), f"{group.share:.1%}", escape(tools))
    out.print(failures)
    out.print("an example of each, replayed step by step:")
    for group in report.failures:
        case = group.cases[0]
        where = f"step {case.step}" if case.step is not None else "episode"
        out.print(f"  {group.error_type}: {case.task_id} ({case.policy}, {where})", markup=False)
        # the report stores the canonical `lightclaw replay EP`; print what runs from here
        print_lines(out, "    ", [command("replay", case.episode_id)])


def print_comparison(
    store: Store, base: EvalReport, other: EvalReport, out: Console | None = None
) -> None:
    """Metric deltas of ``other`` vs ``base``, one block per group, then the flipped tasks."""
    out = out or console()
    result = compare(store, base, other)
    groups: dict[str, Table] = {}
    for d in result.deltas:
        block = groups.get(d.group)
        if block is None:
            block = groups[d.group] = table(d.group)
            for col in ("metric", "before", "after", "delta [95% CI]"):
                metric = col == "metric"
                block.add_column(col, justify="left" if metric else "right", no_wrap=not metric,
                                 overflow="fold")  # fmt: skip
        if d.delta is None:
            shown = "n/a"
        else:
            ci = "" if d.ci_low is None else f" [{d.ci_low:+.3f}, {d.ci_high:+.3f}]"
            shown = f"{d.delta:+.3f}{ci}"
        block.add_row(d.metric, _num(d.before), _num(d.after), shown)
    out.print(f"{other.run.id} vs {base.run.id}", markup=False)
    out.print(Columns(list(groups.values()), padding=(1, 4)))
    out.print(f"tasks that flipped: {len(result.flipped)}")
    for f in result.flipped[:30]:
        out.print(f"  {f.task_id} ({f.policy}): {'pass' if f.before else 'fail'} -> "
                  f"{'pass' if f.after else 'fail'}", markup=False)  # fmt: skip


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
