"""``lightclaw train-check DIR``: validate, load and render an export; ``--steps N`` trains.

Exit 0 when every file matches the manifest, is valid, loads unchanged, renders under every
template without an error and with at least one template that keeps its tool calls, when every
config of the data card loads with all its splits, and when every training run has a finite loss
and changed parameters; 1 otherwise. An interrupted export (no complete manifest) and an export
whose files changed since it was written (unless ``--allow-changed``) exit 2 with one line.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from rich.table import Table

from lightclaw.cli.render import console

if TYPE_CHECKING:
    from lightclaw.traincheck import TrainCheckReport


def run(args: argparse.Namespace) -> int:
    from lightclaw.traincheck import train_check

    out = console()
    report = train_check(
        args.directory,
        max_length=args.max_length,
        steps=args.steps,
        progress=lambda msg: print(msg, file=sys.stderr, flush=True),
        allow_changed=args.allow_changed,
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
    templates = Table(title="chat templates (rendered on every row)", title_justify="left")
    for col in ("file", "template", "verdict"):
        templates.add_column(col)
    for f in report.files:
        for t in f.templates:
            style = "" if t.usable else ("red" if t.render_errors else "yellow")
            verdict = f"[{style}]{t.verdict}[/{style}]" if style else t.verdict
            templates.add_row(f.path, t.template, verdict)
    if templates.row_count:
        out.print(templates)
    _print_lengths(report)
    for f in report.files:
        lines = [*f.examples, *f.notes, *(e for t in f.templates for e in t.errors)]
        for what in (f.changed, f.unreadable, f.load_error and f"load failed: {f.load_error}"):
            if what:
                lines.append(what)
        if f.manifest_rows is not None and f.rows != f.manifest_rows:
            lines.append(f"{f.rows} rows, the manifest says {f.manifest_rows}")
        for line in lines:
            out.print(f"{f.path}: {line}", markup=False)
    for c in report.configs:
        state = "ok" if c.ok else f"FAILED ({c.error or f'loaded {c.loaded}'})"
        out.print(f"config {c.config} {dict(c.expected)}: {state}", markup=False)
    for run_ in report.training:
        verdict = "PASS" if run_.ok else "FAIL"
        detail = run_.error or (
            f"loss {', '.join(f'{x:.4g}' for x in run_.losses)}; "
            f"{run_.params_changed}/{run_.params_total} parameter tensors changed"
        )
        if run_.eval_file and run_.eval_loss is not None:
            detail += f"; eval loss {run_.eval_loss:.4g} on {run_.eval_file}"
        out.print(f"{verdict}  {run_.trainer} x{run_.steps} on {run_.file}: {detail}", markup=False)
    for note in report.notes:
        out.print(note, markup=False)
    if args.json:
        data = report.model_dump(mode="json")
        args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    out.print("train-check: ok" if report.ok else "train-check: FAILED")
    return 0 if report.ok else 1


def _print_lengths(report: TrainCheckReport) -> None:
    table = Table(
        title="tokens per row (SmolLM2 tokenizer, qwen2.5-tools template) and default limits",
        title_justify="left",
    )
    for col in ("file", "p50", "p95", "max", "limit", "over", "dropped", "truncated"):
        table.add_column(col)
    for f in report.files:
        t = f.token_lengths
        if t is None:
            continue
        for i, lim in enumerate(t.limits):
            head = [f.path, str(t.p50), str(t.p95), str(t.max)] if i == 0 else ["", "", "", ""]
            table.add_row(
                *head,
                f"{lim.setting}={lim.value}",
                str(lim.over),
                str(lim.dropped),
                str(lim.truncated),
            )
    if table.row_count:
        console().print(table)
