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
from pathlib import Path
from typing import TYPE_CHECKING

from lightclaw.cli.render import console, print_lines, shown, table

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

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
    print_report_tables(report, out)
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


def print_report_tables(report: TrainCheckReport, out: Console) -> None:
    """Files, chat templates and token lengths, readable at 80 columns (paths never cut)."""
    print_lines(out, "train-check ", [shown(Path(report.directory))])
    widest = max((len(f.path) for f in report.files), default=4)  # a path is never cut

    def file_column(into: Table, title: str = "file") -> None:
        into.add_column(title, min_width=widest, no_wrap=True)

    files = table()
    file_column(files)
    formats = max((len(f.format or "?") for f in report.files), default=6)
    files.add_column("format", min_width=formats, no_wrap=True)
    files.add_column("rows", justify="right", no_wrap=True)
    files.add_column("verdict", overflow="fold")
    for f in report.files:
        problems = [f"{f.invalid} invalid"] if f.invalid else []
        problems += [f"{f.altered} altered"] if f.altered else []
        if f.loaded is not None and f.loaded != f.rows:
            problems.append(f"{f.loaded} loaded")
        verdict = "ok" if f.ok else "\n".join(["NO", *problems])  # one problem a line
        files.add_row(f.path, f.format or "?", str(f.rows), verdict)
    out.print(files)
    templates = table("chat templates (rendered on every row)")
    file_column(templates)
    for col in ("template", "verdict"):
        templates.add_column(col, overflow="fold")
    for f in report.files:
        for t in f.templates:
            templates.add_row(f.path, t.template, t.verdict)
    if templates.row_count:
        out.print(templates)
    lengths = table("tokens per row (SmolLM2 tokenizer, qwen2.5-tools template)")
    file_column(lengths, "file / default limit")
    for col in ("p50/p95/max", "over", "dropped", "cut"):
        lengths.add_column(col, justify="right", overflow="fold")
    for f in report.files:
        n = f.token_lengths
        if n is None:
            continue
        lengths.add_row(f.path, f"{n.p50}/{n.p95}/{n.max}", "", "", "")
        for lim in n.limits:
            lengths.add_row(f"  {lim.setting}={lim.value}", "", str(lim.over), str(lim.dropped),
                            str(lim.truncated))  # fmt: skip
    if lengths.row_count:
        out.print(lengths)
