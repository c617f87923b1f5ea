"""``lightclaw train-check DIR``: validate, load and render an export; ``--steps N`` trains.

Exit 0 when every file is valid, loads unchanged and renders with the tool-aware template without
losing tool calls (and every training run has finite loss and changed parameters); 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys

from rich.table import Table

from lightclaw.cli.render import console


def run(args: argparse.Namespace) -> int:
    from lightclaw.export.traincheck import train_check

    out = console()
    report = train_check(
        args.directory,
        max_length=args.max_length,
        steps=args.steps,
        progress=lambda msg: print(msg, file=sys.stderr, flush=True),
    )
    files = Table(title=f"train-check {report.directory}", title_justify="left")
    for col in ("file", "format", "rows", "invalid", "loaded", "altered", "ok"):
        files.add_column(col)
    for f in report.files:
        files.add_row(
            f.path,
            f.format or "?",
            str(f.rows),
            str(f.invalid),
            "-" if f.loaded is None else str(f.loaded),
            str(f.altered),
            "yes" if f.ok else "[red]NO[/red]",
        )
    out.print(files)
    lengths = Table(title=f"tokens per row (truncated above {report.max_length})")
    for col in (
        "file",
        "template",
        "min",
        "p50",
        "p95",
        "max",
        "truncated",
        "lost calls/args/tools",
    ):
        lengths.add_column(col)
    for f in report.files:
        for t in f.templates:
            lost = f"{t.lost_tool_calls}/{t.lost_arguments}/{t.lost_tools} of {t.rows_checked}"
            if t.loses_tools:
                lost = f"[yellow]{lost} LOSES TOOLS[/yellow]"
            if t.render_errors:
                lost = f"[yellow]{lost}; {t.render_errors} rows fail to render[/yellow]"
            s = t.lengths
            lengths.add_row(
                f.path, t.template, str(s.min), str(s.p50), str(s.p95), str(s.max),
                str(s.truncated), lost,
            )  # fmt: skip
    if lengths.row_count:
        out.print(lengths)
    for f in report.files:
        for line in [*f.examples, *f.notes, *(e for t in f.templates for e in t.errors)]:
            out.print(f"{f.path}: {line}", markup=False)
        if f.load_error:
            out.print(f"{f.path}: load failed: {f.load_error}", markup=False)
    for run_ in report.training:
        verdict = "PASS" if run_.ok else "FAIL"
        detail = run_.error or (
            f"loss {', '.join(f'{x:.4g}' for x in run_.losses)}; "
            f"{run_.params_changed}/{run_.params_total} parameter tensors changed"
        )
        out.print(f"{verdict}  {run_.trainer} x{run_.steps} on {run_.file}: {detail}", markup=False)
    for note in report.notes:
        out.print(note, markup=False)
    if args.json:
        data = report.model_dump(mode="json")
        args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    out.print("train-check: ok" if report.ok else "train-check: FAILED")
    return 0 if report.ok else 1
