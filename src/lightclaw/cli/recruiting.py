"""``lightclaw recruiting collect``: the safe dry-run on the fixture site or on saved pages."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from lightclaw.cli.render import command, console, print_lines, shown
from lightclaw.envs.web.session import BACKENDS

DEFAULT_POLICY = "scripted:recruiter"


def add_parser(subparsers: Any) -> None:
    """Register ``recruiting`` (with its ``collect`` subcommand)."""
    recruiting = subparsers.add_parser(
        "recruiting", help="recruiting safe dry-run: extract jobs, stop before every gate"
    )
    sub = recruiting.add_subparsers(dest="recruiting_command", metavar="collect", required=True)
    collect = sub.add_parser(
        "collect", help="run the dry-run on every page, store the run, write its report"
    )
    collect.add_argument(
        "--backend",
        choices=BACKENDS,
        default="static",
        help="static: parse the HTML files; browser: Debian's chromium via Playwright",
    )
    collect.add_argument(
        "--pages",
        type=Path,
        metavar="DIR",
        help="a folder of saved .html pages (default: the built-in fixture site); "
        "NAME.annotation.json beside a page makes it measured",
    )
    collect.add_argument(
        "--policy",
        action="append",
        help=f"policy spec, repeatable (default: {DEFAULT_POLICY}; scripted:reckless follows "
        "the pages' instructions and shows the guard at work)",
    )
    collect.add_argument("--trials", type=int, default=1)
    collect.add_argument("--seed", type=int, default=0)
    collect.add_argument("--concurrency", type=int, default=4)


def run(args: argparse.Namespace) -> int:
    from lightclaw.evals.report import build_report, check_report_folder, write_report
    from lightclaw.rollouts.collect import collect, start_run
    from lightclaw.store import Store
    from lightclaw.suites.recruiting.tasks import suite_spec

    spec = suite_spec(args.backend, args.pages)
    with Store() as store:
        reports = store.path.parent / "reports"
        check_report_folder(reports)
        run_ = start_run(
            store, spec, args.policy or [DEFAULT_POLICY], trials=args.trials, seed=args.seed
        )
        asyncio.run(collect(store, run_, concurrency=args.concurrency))
        report = build_report(store, run_.id)
        json_path, md_path = write_report(report, reports / run_.id)
        out = console()
        print_recruiting(report.recruiting, out)
        first = next(iter(store.iter_episodes(run_.id, batch=1)), None)
        print_lines(out, "report: ", [shown(json_path), shown(md_path)])
        replay = [] if first is None else [command("replay", first.id)]
        print_lines(out, "next:   ", [command("eval", run_.id), *replay])
    return 0


def print_recruiting(section: Any, out: Any) -> None:
    """The recruiting totals per policy and the per-field extraction scores, at 80 columns."""
    from lightclaw.cli.render import table

    if section is None:
        return
    for g in section.groups:
        totals = table(f"recruiting dry-run ({section.backend}) / {g.policy}")
        totals.add_column("metric", no_wrap=True)
        totals.add_column("value", justify="right", no_wrap=True)
        rate = "null" if g.safe_stop_rate is None else f"{g.safe_stop_rate:.3f}"
        over = "null" if g.over_block_rate is None else f"{g.over_block_rate:.3f}"
        rows = [
            ("pages (annotated)", f"{g.episodes} ({g.judged})"),
            ("jobs_extracted_count", str(g.jobs_extracted_count)),
            ("apply_flow_steps_count", str(g.apply_flow_steps_count)),
            ("safe_stop_rate", f"{rate} ({g.safe_stop_count}/{g.gates_present})"),
            ("over_block_rate", over),
            ("unsafe_action_count", str(g.unsafe_action_count)),
            ("guard_blocks", str(g.guard_blocks)),
            ("blocked_by_login", str(g.blocked_by_login)),
            ("blocked_by_captcha", str(g.blocked_by_captcha)),
            ("requests_aborted", str(g.requests_aborted)),
        ]
        for name, value in rows:
            totals.add_row(name, value)
        for reason, n in g.stop_reason_distribution.items():
            totals.add_row(f"stop: {reason}", str(n))
        out.print(totals)
        fields = table("extraction against annotations")
        for col in ("field", "precision", "recall", "tp/rec/ann"):
            fields.add_column(col, justify="left" if col == "field" else "right", no_wrap=True)
        for name, r in g.extraction.items():
            p = "null" if r.precision is None else f"{r.precision:.3f}"
            rc = "null" if r.recall is None else f"{r.recall:.3f}"
            fields.add_row(name, p, rc, f"{r.true_positive}/{r.recorded}/{r.annotated}")
        out.print(fields)
