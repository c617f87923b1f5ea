"""The data card (README.md with Hugging Face YAML metadata + data_card.json) and the driver
that feeds one pool pass to several exporters.

:func:`build_card` recounts every figure from the files written (rows, sample types, error types,
rewards, safety samples) and checks the row counts against what the writers reported; rejected
rows, filters and sources come from the :class:`Manifest`.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import pyarrow.parquet as pq  # type: ignore[import-untyped]
import yaml
from pydantic import BaseModel, Field

from lightclaw.errors import RuntimeBug
from lightclaw.export.pool import FilterLog, Pool, Selection, select, split_of
from lightclaw.export.writers import CARD_MARKER, FileReport, prepare_out_dir
from lightclaw.schema import Episode
from lightclaw.store import Store

CARD_VERSION = 1
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


class Safety(BaseModel):
    """Recruiting safe-stop samples (none are produced yet; the keys are always present)."""

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


def file_stats(out_dir: Path, report: FileReport) -> tuple[FileStats, list[float], int]:
    """Recount one file; also returns its rewards and rows without one (for the totals)."""
    rows = 0
    types: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    stops: Counter[str] = Counter()
    rewards: list[float] = []
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
    )
    return stats, rewards, missing


def _sum(dicts: list[dict[str, int]]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for d in dicts:
        total.update(d)
    return dict(sorted(total.items()))


def build_card(out_dir: Path, manifest: Manifest) -> DataCard:
    """Recount the files of ``manifest``; write ``data_card.json`` and ``README.md``."""
    stats: list[FileStats] = []
    all_rewards: list[float] = []
    all_missing = 0
    for report in manifest.files:
        one, rewards, missing = file_stats(out_dir, report)
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
            sample_type={"safe_stop": sum(s.safety_samples for s in stats)},
            safety_domain=sum(s.safety_samples for s in stats),
            stop_reason_distribution=_sum([s.stop_reasons for s in stats]),
        ),
        test_fraction=manifest.test_fraction,
        seed=manifest.seed,
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
    """The README's YAML header: configs (one per format, a data file per split), license..."""
    configs: dict[str, list[dict[str, str]]] = {}
    for s in card.files:
        configs.setdefault(s.config, []).append({"split": s.split, "path": s.path})
    return {
        "license": card.license,
        "task_categories": ["text-generation"],
        "tags": TAGS,
        "size_categories": [_size_category(max(card.rows.values(), default=0))],
        "configs": [{"config_name": name, "data_files": files} for name, files in configs.items()],
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
    ]
    return "\n".join(lines)


class Exporter(Protocol):
    """A format writer fed one selected episode at a time."""

    def add(self, episode: Episode, split: str) -> bool: ...

    def close(self) -> list[FileReport]: ...


ExporterFactory = Callable[[Path, Pool], Exporter]


def export_pool(
    store: Store,
    selection: Selection,
    out_dir: Path | str,
    exporters: Mapping[str, ExporterFactory],
    *,
    test_fraction: float = 0.1,
    seed: int = 0,
    overwrite: bool = False,
) -> tuple[Manifest, DataCard]:
    """One pass over the selected episodes into every exporter, then the data card.

    Each episode's split comes from its task id. An empty selection raises ``UserError``
    (naming the filter) before the card is written.
    """
    split_of("", test_fraction)  # validate before touching the directory
    out = prepare_out_dir(out_dir, overwrite=overwrite)
    pool = Pool(store)
    log = FilterLog()
    active = [factory(out, pool) for factory in exporters.values()]
    per_run: Counter[str] = Counter()
    for episode in select(store, selection, log, pool):
        per_run[episode.run_id] += 1
        split = split_of(episode.task_id, test_fraction, seed)
        for exporter in active:
            exporter.add(episode, split)
    files = [report for exporter in active for report in exporter.close()]
    sources = []
    for run_id, n in per_run.items():
        run = pool.run(run_id)
        sources.append(
            SourceRun(id=run.id, source=run.source, suite=run.suite, policy=run.policy, episodes=n)
        )
    manifest = Manifest(
        files=files, filters=log, sources=sources, test_fraction=test_fraction, seed=seed
    )
    return manifest, build_card(out, manifest)
