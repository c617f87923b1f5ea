"""``lightclaw bfcl score``: score a BFCL leaderboard result file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from lightclaw.errors import UserError


def add_parser(subparsers: Any) -> None:
    """Register ``bfcl`` (with its ``score`` subcommand) on the top-level subparsers."""
    bfcl = subparsers.add_parser("bfcl", help="Berkeley Function Calling Leaderboard tools")
    sub = bfcl.add_subparsers(dest="bfcl_command", metavar="score", required=True)
    score = sub.add_parser(
        "score",
        help="score a BFCL result file (JSONL of {id, result}) with the AST checker",
    )
    score.add_argument("--questions", required=True, type=Path, help="BFCL question file")
    score.add_argument(
        "--answers", type=Path, help="BFCL possible_answer file (not needed for irrelevance)"
    )
    score.add_argument("--results", required=True, type=Path, help="model result file")
    score.add_argument("--category", help="score only this category (e.g. parallel)")
    score.add_argument(
        "--underscore-to-dot",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="function names in the results use '_' for '.' (BFCL's setting for function-calling "
        "models); default: detected from the result file",
    )
    score.add_argument("--verbose", action="store_true", help="print every sample's verdict")
    score.add_argument("--out", type=Path, help="write per-sample verdicts to this JSONL file")


def run(args: argparse.Namespace) -> int:
    """Run the ``bfcl`` subcommand; prints accuracy per category and any skipped items."""
    from rich.console import Console
    from rich.table import Table

    from lightclaw.evals.bfcl_score import score_files

    report = score_files(
        args.questions,
        args.answers,
        args.results,
        args.category,
        underscore_to_dot=args.underscore_to_dot,
    )
    if report.nothing_scored is not None:
        raise UserError(f"nothing was scored: {report.nothing_scored}")
    if args.underscore_to_dot is None and report.underscore_to_dot:
        print(
            f"lightclaw: note: {args.results} looks like a function-calling result file "
            f"({report.underscored_calls} calls name a function with '_' for '.'); scoring with "
            "underscore-to-dot (--no-underscore-to-dot to turn it off)",
            file=sys.stderr,
        )
    out = Console(highlight=False, soft_wrap=True)
    if args.verbose:
        for sample in report.samples:
            if sample.valid:
                out.print(f"{sample.id}: valid")
            else:
                detail = " | ".join(sample.errors)
                out.print(
                    f"{sample.id}: {sample.error_type} ({sample.lightclaw_error}) {detail}",
                    markup=False,
                )
    table = Table(title="BFCL accuracy (AST checker)", title_justify="left")
    for column in ("category", "correct", "total", "accuracy"):
        table.add_column(column, justify="left" if column == "category" else "right")
    correct = total = 0
    for row in report.categories:
        shown = "-" if row.accuracy is None else f"{row.accuracy:.2%}"
        table.add_row(row.category, str(row.correct), str(row.total), shown)
        correct, total = correct + row.correct, total + row.total
    if len(report.categories) > 1:
        table.add_row("all", str(correct), str(total), f"{correct / total:.2%}")
    out.print(table)
    if args.out is not None:
        try:
            with args.out.open("w", encoding="utf-8") as handle:
                for sample in report.samples:
                    handle.write(sample.model_dump_json() + "\n")
        except OSError as exc:
            raise UserError(f"cannot write {args.out}: {exc}") from None
        out.print(f"verdicts written to {args.out}")
    if report.skipped:
        print(f"skipped {len(report.skipped)} item(s):", file=sys.stderr)
        for message in report.skipped:
            print(f"  {message}", file=sys.stderr)
    return 0
