"""``lightclaw eval RUN``: metrics and failure analysis from the store, report.json + report.md."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from lightclaw.cli.render import console
from lightclaw.errors import UserError
from lightclaw.evals.compare import compare
from lightclaw.evals.report import (
    RATES,
    EvalReport,
    build_report,
    check_report_folder,
    fmt_rate,
    group_label,
    write_report,
)
from lightclaw.policies.personas import PERSONAS
from lightclaw.rollouts.collect import collect, start_run
from lightclaw.store import Store


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


def print_report(report: EvalReport) -> None:
    out = console()
    if report.tasks_note:
        print(f"lightclaw: note: {report.tasks_note}", file=sys.stderr)
    if report.two_attempt:
        score = Table(
            title="two-attempt protocol (SCoRe): attempt 1 -> feedback -> attempt 2",
            title_justify="left",
        )
        for col in ("suite / policy", "pairs", "acc@t1", "acc@t2", "Δ", "Δi→c", "Δc→i"):
            score.add_column(col, justify="left" if col == "suite / policy" else "right")
        for m in report.two_attempt:
            score.add_row(
                f"{m.suite} / {m.policy}", str(m.pairs), f"{m.acc_t1:.3f}", f"{m.acc_t2:.3f}",
                f"{m.delta:+.3f}", f"{m.delta_i_to_c:.3f}", f"{m.delta_c_to_i:.3f}",
            )  # fmt: skip
        out.print(score)
    table = Table(title=f"eval {report.run.id} ({report.run.source})", title_justify="left")
    table.add_column("group")
    table.add_column("episodes", justify="right")
    for name in RATES:
        table.add_column(name.removesuffix("_rate"), justify="right")
    for g in report.metrics.groups:
        table.add_row(group_label(g), str(g.episodes), *(fmt_rate(getattr(g, n)) for n in RATES))
    out.print(table)
    failures = Table(title="failure analysis", title_justify="left")
    for col in ("error", "count", "share", "top tools", "example (replay)"):
        failures.add_column(col)
    for group in report.failures:
        case = group.cases[0]
        tools = ", ".join(f"{k} ({v})" for k, v in list(group.by_tool.items())[:3])
        failures.add_row(group.error_type, str(group.count), f"{group.share:.1%}", tools,
                         escape(f"{case.task_id}: {case.replay}"))  # fmt: skip
    out.print(failures)


def print_comparison(store: Store, base: EvalReport, other: EvalReport) -> None:
    result = compare(store, base, other)
    table = Table(title=f"{other.run.id} vs {base.run.id}", title_justify="left")
    for col in ("group", "metric", "before", "after", "delta [95% CI]"):
        table.add_column(col)
    for d in result.deltas:
        if d.delta is None:
            shown = "n/a"
        else:
            ci = "" if d.ci_low is None else f" [{d.ci_low:+.3f}, {d.ci_high:+.3f}]"
            shown = f"{d.delta:+.3f}{ci}"
        table.add_row(d.group, d.metric, _num(d.before), _num(d.after), shown)
    console().print(table)
    console().print(f"tasks that flipped: {len(result.flipped)}")
    for f in result.flipped[:30]:
        console().print(f"  {f.task_id} ({f.policy}): {'pass' if f.before else 'fail'} -> "
                        f"{'pass' if f.after else 'fail'}")  # fmt: skip


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
