"""``lightclaw train-check``: will a trainer read an export directory as we meant it?

For every JSONL/Parquet file: validate each row against its format's row model; load the file with
``datasets`` (as TRL users do) and check the loaded rows equal the written ones; render the
conversations with SmolLM2's chat template and TRL's tool-aware Qwen2.5 template, flag a template
that drops tool calls, their arguments or the tools, and report token lengths and truncation at
``max_length``. With ``steps`` it also trains (:mod:`lightclaw.export.traincheck_train`).
Needs the ``train`` extra.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from lightclaw.errors import UserError
from lightclaw.export.traincheck_formats import (
    FORMATS,
    Format,
    Kind,
    card_formats,
    data_files,
    infer_format,
    read_rows,
)
from lightclaw.export.traincheck_render import (
    INSTALL_HINT,
    LengthStats,
    Messages,
    Template,
    length_stats,
    load_tokenizer,
    losses,
    n_tokens,
    render,
    templates,
)

MAX_EXAMPLES = 3
LOSS_SAMPLE = 200
"""Rows per file whose template losses are checked (each check renders the row 3 more times)."""


class TemplateCheck(BaseModel):
    """One template on one file: lengths, and rows whose tool calls/arguments/tools it dropped."""

    template: str
    tool_aware: bool
    lengths: LengthStats
    rows_checked: int = 0
    lost_tool_calls: int = 0
    lost_arguments: int = 0
    lost_tools: int = 0
    render_errors: int = 0
    errors: list[str] = Field(default_factory=list)

    @property
    def loses_tools(self) -> bool:
        return bool(self.lost_tool_calls or self.lost_arguments or self.lost_tools)


class FileCheck(BaseModel):
    """Everything train-check found about one file."""

    path: str
    format: str | None
    kind: str
    rows: int = 0
    invalid: int = 0
    examples: list[str] = Field(default_factory=list)
    """Line numbers and reasons of the first invalid rows."""
    loaded: int | None = None
    """Rows ``datasets`` loaded (None when not loaded)."""
    altered: int = 0
    """Rows that ``datasets`` returned different from what the file holds."""
    load_error: str | None = None
    templates: list[TemplateCheck] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        broken_template = any(
            t.tool_aware and (t.loses_tools or t.render_errors) for t in self.templates
        )
        return not (self.invalid or self.altered or self.load_error or broken_template)


class TrainResult(BaseModel):
    """N real steps of one TRL trainer on one exported file."""

    trainer: str
    file: str
    steps: int
    losses: list[float]
    finite: bool
    params_changed: int
    params_total: int
    seconds: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.finite and self.params_changed > 0


class TrainCheckReport(BaseModel):
    directory: str
    max_length: int
    files: list[FileCheck]
    training: list[TrainResult] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.files) and all(t.ok for t in self.training)


def _drop_nulls(value: Any, *, inside_arguments: bool = False) -> Any:
    """Normalise a row for the load comparison: unset keys may come back as null (harmless to
    chat templates) except inside tool-call arguments, where a null is data."""
    if isinstance(value, dict):
        return {
            k: _drop_nulls(v, inside_arguments=inside_arguments or k == "arguments")
            for k, v in value.items()
            if inside_arguments or v is not None
        }
    if isinstance(value, list):
        return [_drop_nulls(v, inside_arguments=inside_arguments) for v in value]
    return value


def same(got: Any, want: Any) -> bool:
    """Equal as data, except that floats need only agree to 1e-9 (``datasets``' JSON reader keeps
    about 10 decimals: 1.1566666666666667 comes back as 1.1566666667)."""
    if isinstance(got, float) and isinstance(want, float | int) and not isinstance(want, bool):
        return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(got, dict) and isinstance(want, dict):
        return got.keys() == want.keys() and all(same(got[k], want[k]) for k in got)
    if isinstance(got, list) and isinstance(want, list):
        return len(got) == len(want) and all(same(a, b) for a, b in zip(got, want, strict=True))
    return bool(got == want) and type(got) is type(want)


def _load(path: Path, check: FileCheck, written: list[Any]) -> list[dict[str, Any]]:
    """Load with ``datasets`` as a trainer would; count rows that came back different."""
    try:
        from datasets import load_dataset  # type: ignore[import-untyped]
    except ImportError as exc:
        raise UserError(f"datasets is not installed; {INSTALL_HINT}") from exc
    builder = "parquet" if path.suffix == ".parquet" else "json"
    with tempfile.TemporaryDirectory(prefix="lightclaw-traincheck-") as cache:
        try:
            ds = load_dataset(builder, data_files=str(path), split="train", cache_dir=cache)
            loaded: list[dict[str, Any]] = [dict(r) for r in ds]
        except Exception as exc:  # datasets/pyarrow raise many types for unreadable data
            check.load_error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
            return []
    check.loaded = len(loaded)
    if len(loaded) != len(written):
        check.load_error = f"datasets loaded {len(loaded)} rows of {len(written)}"
    for got, want in zip(loaded, written, strict=False):
        if not same(_drop_nulls(got), _drop_nulls(want)):
            check.altered += 1
    if check.altered:
        check.notes.append(
            f"datasets changed {check.altered} rows on load (e.g. null-filled tool arguments)"
        )
    return loaded


def conversations(kind: Kind, row: Mapping[str, Any]) -> list[tuple[Messages, list[Any], bool]]:
    """``(messages, tools, generation_prompt)`` that a trainer renders for one row."""
    tools = list(row.get("tools") or [])
    if kind is Kind.SFT:
        return [(list(row["messages"]), tools, False)]
    if kind is Kind.DPO:
        prompt = list(row["prompt"])
        return [
            (prompt + list(row["chosen"]), tools, False),
            (prompt + list(row["rejected"]), tools, False),
        ]
    if kind is Kind.GRPO:  # GRPOTrainer renders the prompt only, never a tools column
        return [(list(row["prompt"]), [], True)]
    if kind is Kind.VERL:
        return [(list(row["prompt"]), [], True)]
    return []


def _template_check(
    tokenizer: Any,
    template: Template,
    kind: Kind,
    rows: Iterable[Mapping[str, Any]],
    max_length: int,
) -> TemplateCheck:
    lengths: list[int] = []
    check = TemplateCheck(
        template=template.name,
        tool_aware=template.tool_aware,
        lengths=length_stats(template.name, [], max_length),
    )
    for i, row in enumerate(rows):
        try:
            convs = conversations(kind, row)
            texts = [render(tokenizer, template, m, t, generation_prompt=g) for m, t, g in convs]
            if texts:
                lengths.append(max(n_tokens(tokenizer, text) for text in texts))
            if i < LOSS_SAMPLE and kind in (Kind.SFT, Kind.DPO):
                found = [losses(tokenizer, template, m, t) for m, t, _ in convs]
                check.rows_checked += 1
                check.lost_tool_calls += any(f.tool_calls for f in found)
                check.lost_arguments += any(f.arguments for f in found)
                check.lost_tools += any(f.tools for f in found)
        except Exception as exc:  # a template is user code (Jinja): report, do not crash
            check.render_errors += 1
            if len(check.errors) < MAX_EXAMPLES:
                check.errors.append(f"row {i + 1}: {type(exc).__name__}: {exc}")
    check.lengths = length_stats(template.name, lengths, max_length)
    return check


def check_file(
    path: Path, root: Path, fmt: Format | None, tokenizer: Any, max_length: int
) -> FileCheck:
    """Validate, load and render one file."""
    written: list[Any] = []
    model = fmt.model() if fmt else None
    check = FileCheck(
        path=path.relative_to(root).as_posix(),
        format=fmt.name if fmt else None,
        kind=(fmt.kind if fmt else Kind.OTHER).value,
    )
    for number, row in read_rows(path):
        check.rows += 1
        reason = None
        if isinstance(row, json.JSONDecodeError):
            reason = f"not JSON: {row.msg}"
        elif model is not None:
            try:
                model.model_validate(row)
            except ValidationError as exc:
                err = exc.errors(include_url=False, include_input=False)[0]
                loc = ".".join(str(p) for p in err["loc"]) or "row"
                reason = f"{loc}: {err['msg']}"
        if reason is not None:
            check.invalid += 1
            if len(check.examples) < MAX_EXAMPLES:
                check.examples.append(f"line {number}: {reason}")
            continue
        written.append(row)
    if fmt is None:
        check.notes.append("unknown format: rows not validated or rendered")
    elif model is None:
        check.notes.append(f"no row model for {fmt.name} in this LightClaw: rows not validated")
    if check.invalid:
        return check
    loaded = _load(path, check, written)
    if fmt is not None and fmt.kind is Kind.GRPO:
        check.notes.append("GRPOTrainer does not render the tools column into the prompt")
    if fmt is not None and fmt.kind is Kind.SHAREGPT:
        check.notes.append("LLaMA-Factory renders sharegpt with its own templates: validated only")
    if loaded and fmt is not None and fmt.kind in (Kind.SFT, Kind.DPO, Kind.GRPO, Kind.VERL):
        for template in templates(tokenizer):
            check.templates.append(
                _template_check(tokenizer, template, fmt.kind, loaded, max_length)
            )
    return check


def train_check(
    directory: Path | str,
    *,
    max_length: int = 2048,
    steps: int = 0,
    progress: Callable[[str], None] | None = None,
) -> TrainCheckReport:
    """Check every data file under ``directory``; with ``steps`` > 0 also train each TRL trainer."""
    root = Path(directory)
    if max_length < 1 or steps < 0:
        raise UserError("--max-length must be at least 1 and --steps at least 0")
    files = data_files(root)
    named = card_formats(root)
    tokenizer = load_tokenizer()
    checks = []
    for path in files:
        rel = path.relative_to(root).as_posix()
        if progress:
            progress(f"checking {rel}")
        first = next((row for _, row in read_rows(path)), None)
        name = named.get(rel)
        fmt = (
            FORMATS.get(name)
            if name
            else (infer_format(first) if isinstance(first, dict) else None)
        )
        checks.append(check_file(path, root, fmt, tokenizer, max_length))
    report = TrainCheckReport(directory=str(root), max_length=max_length, files=checks)
    if steps:
        from lightclaw.export.traincheck_train import train_all

        report.training = train_all(
            root, report, tokenizer, steps=steps, max_length=max_length, progress=progress
        )
    return report
