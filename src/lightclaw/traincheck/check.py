"""``lightclaw train-check``: will trainers read an export directory as it was meant?

The directory must be a complete export (its ``manifest.json``; an interrupted export is refused
with one line). For every data file: compare it with the manifest (rows, sha256); validate each
row against its format's row model; load it with ``datasets`` as TRL users do and check that the
loaded rows equal the written ones; render its conversations with the tokenizer's own chat
template and TRL's tool-aware one, counting rows a template fails on or whose tool calls it
drops; measure token lengths and what default TRL / LLaMA-Factory configs would cut. Every
config of the data card is loaded with all its splits (train and test), as a Hub user would.
With ``steps`` it also trains (:mod:`lightclaw.traincheck.train`). Needs the ``train`` extra.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from lightclaw.errors import UserError
from lightclaw.export.lengths import LIMITS, Limit, measure
from lightclaw.export.manifest import ExportManifest, changed_files, read_manifest
from lightclaw.export.outdir import MANIFEST
from lightclaw.export.tokenizer import INSTALL_HINT, TOOL_TEMPLATE_NAME, Messages, load_tokenizer
from lightclaw.export.tokenizer import render as render_text
from lightclaw.traincheck.formats import (
    DATA_SUFFIXES,
    BadRow,
    Kind,
    Unreadable,
    infer_format,
    kind_of,
    read_rows,
    row_model,
)
from lightclaw.traincheck.report import (
    ConfigLoad,
    FileCheck,
    TemplateCheck,
    TrainCheckReport,
)
from lightclaw.traincheck.templates import Template, losses, templates
from lightclaw.traincheck.train import train_all

MAX_EXAMPLES = 3
LOSS_SAMPLE = 200
"""Rows per file whose template losses are checked (each check renders the row 3 more times)."""


def _drop_nulls(value: Any, *, inside_arguments: bool = False) -> Any:
    """Normalise a row for the load comparison: unset keys come back as null from a column that
    other rows fill (harmless to chat templates), except inside tool-call arguments, where a
    null is data."""
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
    """Equal as data, floats included (exported metric floats are rounded so that loading is
    lossless), and of the same JSON type."""
    if isinstance(got, dict) and isinstance(want, dict):
        return got.keys() == want.keys() and all(same(got[k], want[k]) for k in got)
    if isinstance(got, list) and isinstance(want, list):
        return len(got) == len(want) and all(same(a, b) for a, b in zip(got, want, strict=True))
    return bool(got == want) and type(got) is type(want)


def _datasets() -> Any:
    try:
        import datasets  # type: ignore[import-untyped]
    except ImportError as exc:
        raise UserError(f"datasets is not installed; {INSTALL_HINT}") from exc
    datasets.disable_progress_bars()
    return datasets


def _first_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0][:300] if str(exc) else ""
    cause = exc.__cause__ or exc.__context__
    if not text and cause is not None:
        return _first_line(cause)
    return f"{type(exc).__name__}: {text}"


def _load(path: Path, check: FileCheck, written: list[Any]) -> list[dict[str, Any]]:
    """Load as the file's consumer does — ``datasets`` for trainer files, ``json.load`` for
    SPA-RL's estimator arrays — and count rows that came back different."""
    if path.suffix == ".json":
        check.notes.append("a JSON array: read with json.load, as SPA-RL's estimator reads it")
        loaded_json: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
        check.loaded = len(loaded_json)
        check.altered = sum(not same(a, b) for a, b in zip(loaded_json, written, strict=False))
        return loaded_json
    builder = "parquet" if path.suffix == ".parquet" else "json"
    with tempfile.TemporaryDirectory(prefix="lightclaw-traincheck-") as cache:
        try:
            ds = _datasets().load_dataset(
                builder, data_files=str(path), split="train", cache_dir=cache
            )
            loaded: list[dict[str, Any]] = [dict(r) for r in ds]
        except Exception as exc:  # datasets/pyarrow raise many types for unreadable data
            check.load_error = _first_line(exc)
            return []
    check.loaded = len(loaded)
    if len(loaded) != len(written):
        check.load_error = f"datasets loaded {len(loaded)} rows of {len(written)}"
    for got, want in zip(loaded, written, strict=False):
        if not same(_drop_nulls(got), _drop_nulls(want)):
            check.altered += 1
    if check.altered:
        check.notes.append(f"datasets changed {check.altered} rows on load")
    return loaded


def conversations(kind: Kind, row: Mapping[str, Any]) -> list[tuple[Messages, list[Any], bool]]:
    """``(messages, tools, generation_prompt)`` that a trainer renders for one row."""
    tools = row.get("tools") or []
    tools = json.loads(tools) if isinstance(tools, str) else list(tools)
    if kind is Kind.SFT:
        return [(list(row["messages"]), tools, False)]
    if kind is Kind.DPO:
        prompt = list(row["prompt"])
        return [
            (prompt + list(row["chosen"]), tools, False),
            (prompt + list(row["rejected"]), tools, False),
        ]
    if kind in (Kind.GRPO, Kind.VERL):  # GRPOTrainer renders the prompt only, never tools
        return [(list(row["prompt"]), [], True)]
    return []


def _template_check(
    tokenizer: Any, template: Template, kind: Kind, rows: Iterable[Mapping[str, Any]]
) -> TemplateCheck:
    check = TemplateCheck(template=template.name, tool_aware=template.tool_aware)
    for i, row in enumerate(rows):
        check.rows_rendered += 1
        try:
            convs = conversations(kind, row)
            for m, t, g in convs:
                render_text(tokenizer, template.source, m, t, generation_prompt=g)
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
    if check.loses_tools and not template.tool_aware:
        check.use_instead = TOOL_TEMPLATE_NAME
    return check


def _validate(path: Path, check: FileCheck, fmt: str | None) -> list[Any]:
    written: list[Any] = []
    model = row_model(fmt)
    for number, row in read_rows(path):
        check.rows += 1
        reason = None
        if isinstance(row, BadRow):
            reason = str(row)
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
    return written


def check_file(
    path: Path,
    root: Path,
    fmt: str | None,
    tokenizer: Any,
    max_length: int,
    *,
    manifest_rows: int | None = None,
    changed: str | None = None,
) -> FileCheck:
    """Validate, load, render and measure one file."""
    kind = kind_of(fmt)
    check = FileCheck(
        path=path.relative_to(root).as_posix(),
        format=fmt,
        kind=kind.value,
        manifest_rows=manifest_rows,
        changed=changed,
    )
    try:
        written = _validate(path, check, fmt)
    except Unreadable as exc:
        check.unreadable = str(exc)
        return check
    if fmt is None:
        check.notes.append("unknown format: rows not validated or rendered")
    if check.invalid:
        return check
    loaded = _load(path, check, written)
    if kind is Kind.GRPO:
        check.notes.append("GRPOTrainer does not render the tools column into the prompt")
    if kind is Kind.SHAREGPT:
        check.notes.append("LLaMA-Factory renders sharegpt with the model's own template")
    if loaded and kind in (Kind.SFT, Kind.DPO, Kind.GRPO, Kind.VERL):
        for template in templates(tokenizer):
            check.templates.append(_template_check(tokenizer, template, kind, loaded))
    if fmt in LIMITS and written:
        tool_template = templates(tokenizer)[1].source
        extra = Limit("train-check", "--max-length", max_length, "lightclaw train-check")
        try:
            check.token_lengths = measure(tokenizer, tool_template, fmt, written, extra=extra)
        except Exception as exc:  # a row the template cannot render: counted above
            check.notes.append(f"token lengths not measured: {_first_line(exc)}")
    return check


def _card_configs(root: Path) -> list[str]:
    """Config names in the README's YAML header (empty when there is none)."""
    readme = root / "README.md"
    try:
        text = readme.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    if not text.startswith("---\n") or "\n---" not in text[4:]:
        return []
    try:
        head = yaml.safe_load(text[4 : text.index("\n---", 4)])
    except yaml.YAMLError:
        return []
    configs = head.get("configs") if isinstance(head, dict) else None
    return [c["config_name"] for c in configs or () if isinstance(c, dict)]


def check_configs(root: Path, manifest: ExportManifest) -> list[ConfigLoad]:
    """Load each config of the data card with every split, as ``load_dataset(root, config)``."""
    datasets = _datasets()
    out = []
    for name in _card_configs(root):
        expected = {
            f.split or "train": f.rows or 0
            for f in manifest.data_files()
            if f.config == name and not f.path.endswith(".parquet")
        }
        result = ConfigLoad(config=name, expected=expected)
        with tempfile.TemporaryDirectory(prefix="lightclaw-traincheck-") as cache:
            try:
                loaded = datasets.load_dataset(str(root), name, cache_dir=cache)
                result.loaded = {split: len(ds) for split, ds in loaded.items()}
            except Exception as exc:  # datasets raises many types for data it cannot read
                result.error = _first_line(exc)
        out.append(result)
    return out


def _data_files(root: Path, manifest: ExportManifest) -> list[tuple[Path, str | None, int | None]]:
    """(path, format, manifest rows): the manifest's data files, then files it does not list."""
    listed = {f.path for f in manifest.files}
    out: list[tuple[Path, str | None, int | None]] = [
        (root / f.path, f.format, f.rows) for f in manifest.data_files()
    ]
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and path.suffix in DATA_SUFFIXES and rel not in listed | {MANIFEST}:
            first = None
            with contextlib.suppress(Unreadable):
                first = next((row for _, row in read_rows(path)), None)
            fmt = infer_format(first) if isinstance(first, dict) else None
            out.append((path, fmt, None))
    return sorted(out, key=lambda item: item[0])


def train_check(
    directory: Path | str,
    *,
    max_length: int = 2048,
    steps: int = 0,
    progress: Callable[[str], None] | None = None,
    allow_changed: bool = False,
) -> TrainCheckReport:
    """Check every data file of the export ``directory``; with ``steps`` > 0 also train each
    TRL trainer (and evaluate it on the test split).

    A file that differs from what the export wrote (its manifest's size and sha256) is refused
    with one line, unless ``allow_changed``: then each file is checked and reported as it is."""
    root = Path(directory)
    if max_length < 1 or steps < 0:
        raise UserError("--max-length must be at least 1 and --steps at least 0")
    manifest = read_manifest(root)
    changed = changed_files(root, manifest)
    if changed and not allow_changed:
        first, what = next(iter(changed.items()))
        more = f" (and {len(changed) - 1} more file(s))" if len(changed) > 1 else ""
        raise UserError(
            f"{root / first}: {what}{more}; this is not the export LightClaw wrote: export "
            "again, or pass --allow-changed to check the edited files as they are"
        )
    tokenizer = load_tokenizer()
    checks = []
    for path, fmt, rows in _data_files(root, manifest):
        rel = path.relative_to(root).as_posix()
        if progress:
            progress(f"checking {rel}")
        check = check_file(
            path, root, fmt, tokenizer, max_length, manifest_rows=rows, changed=changed.get(rel)
        )
        if rows is None:
            check.notes.append("not in the export's manifest (added after the export)")
        checks.append(check)
    report = TrainCheckReport(directory=str(root), max_length=max_length, files=checks)
    if progress:
        progress("loading the data card's configs (every split)")
    report.configs = check_configs(root, manifest)
    report.notes += [f"{path}: {what}" for path, what in changed.items() if path not in
                     {c.path for c in checks}]  # fmt: skip
    if steps:
        report.training = train_all(
            root, report, tokenizer, steps=steps, max_length=max_length, progress=progress
        )
    return report
