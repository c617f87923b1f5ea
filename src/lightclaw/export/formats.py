"""The export formats by name, and one call that writes any set of them from one pool.

Every format reads the same selected episodes in a single pass (:func:`export_pool`); GRPO and
verl share one prompt collector so their rows and splits agree. An export is written into a
temporary sibling of its target and renamed into place once complete, its ``manifest.json``
written last (:mod:`lightclaw.export.outdir`, :mod:`lightclaw.export.manifest`).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from lightclaw.errors import UnknownChoiceError, UserError
from lightclaw.export.card import DataCard, Manifest, SourceRun, build_card
from lightclaw.export.dpo import DpoExport
from lightclaw.export.grpo import GrpoExport
from lightclaw.export.llamafactory import LlamaFactoryExport
from lightclaw.export.manifest import write_manifest
from lightclaw.export.outdir import stage
from lightclaw.export.pool import FilterLog, Pool, Selection, select, split_of
from lightclaw.export.selfcorrect import SelfCorrectExport
from lightclaw.export.sft import SftExport
from lightclaw.export.spa import SpaExport
from lightclaw.export.verl import VerlExport

if TYPE_CHECKING:
    from lightclaw.export.writers import FileReport
    from lightclaw.schema import Episode
    from lightclaw.store import Store

STALL_ENV = "LIGHTCLAW_TEST_EXPORT_STALL"
"""Test hook: ``K:PATH`` makes an export flush its files after K episodes, create PATH and wait
(so a test can SIGKILL it mid-way, deterministically). Never set outside tests."""

FORMATS = ("sft", "llamafactory", "dpo", "grpo", "verl", "selfcorrect", "spa")


class _Rl:
    """GRPO and/or verl fed by one collector (one row per task, the task's split)."""

    def __init__(self, out: Path, pool: Pool, *, grpo: bool, verl: bool, test: float, seed: int):
        self.grpo = GrpoExport(out, pool, test_fraction=test, seed=seed)
        self.verl = VerlExport(out, pool, collector=self.grpo.collector) if verl else None
        self.write_grpo = grpo

    def add(self, episode: Episode, split: str) -> bool:
        new = self.grpo.add(episode) if self.write_grpo else self.grpo.collector.add(episode)
        if new is not None and self.verl is not None:
            self.verl.write(*new)
        return new is not None

    def close(self) -> list[FileReport]:
        reports = self.grpo.close() if self.write_grpo else []
        return reports + (self.verl.close() if self.verl is not None else [])


def parse_formats(text: str | Sequence[str]) -> list[str]:
    """``"sft,dpo"`` -> ``["sft", "dpo"]``; an unknown name lists the valid ones."""
    names = [n.strip() for n in (text.split(",") if isinstance(text, str) else text) if n.strip()]
    for name in names:
        if name not in FORMATS:
            raise UnknownChoiceError("export format", name, FORMATS)
    return list(dict.fromkeys(names)) or list(FORMATS)


def exporters(
    formats: Sequence[str], *, test_fraction: float, seed: int, spa_estimator: str = "error_aware"
) -> dict[str, Callable[[Path, Pool], Exporter]]:
    chosen = parse_formats(formats)
    out: dict[str, Callable[[Path, Pool], Exporter]] = {}
    simple: Mapping[str, Callable[[Path, Pool], Any]] = {
        "sft": SftExport,
        "llamafactory": LlamaFactoryExport,
        "dpo": lambda o, p: DpoExport(o, p, test_fraction=test_fraction, seed=seed),
        "selfcorrect": SelfCorrectExport,
        "spa": lambda o, p: SpaExport(o, p, estimator=spa_estimator),  # type: ignore[arg-type]
    }
    for name in chosen:
        if name in simple:
            out[name] = simple[name]
    if "grpo" in chosen or "verl" in chosen:
        grpo, verl = "grpo" in chosen, "verl" in chosen
        out["rl"] = lambda o, p: _Rl(o, p, grpo=grpo, verl=verl, test=test_fraction, seed=seed)
    return out


class Exporter(Protocol):
    """A format writer fed one selected episode at a time."""

    def add(self, episode: Episode, split: str) -> bool: ...

    def close(self) -> list[FileReport]: ...


ExporterFactory = Callable[[Path, Pool], Exporter]


def _stall_at() -> tuple[int, Path] | None:
    value = os.environ.get(STALL_ENV)
    if not value:
        return None
    count, _, path = value.partition(":")
    return int(count), Path(path)


def _stall(path: Path) -> None:  # pragma: no cover - runs only in a process a test kills
    path.write_text(str(os.getpid()), encoding="utf-8")
    while True:
        time.sleep(1)


def _write_all(
    store: Store,
    selection: Selection,
    out: Path,
    exporters: Mapping[str, ExporterFactory],
    *,
    test_fraction: float,
    seed: int,
) -> Manifest:
    pool = Pool(store)
    log = FilterLog()
    active = [factory(out, pool) for factory in exporters.values()]
    per_run: Counter[str] = Counter()
    stall = _stall_at()
    for n, episode in enumerate(select(store, selection, log, pool)):
        if stall is not None and n == stall[0]:
            _stall(stall[1])
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
    return Manifest(
        files=files, filters=log, sources=sources, test_fraction=test_fraction, seed=seed
    )


def export_pool(
    store: Store,
    selection: Selection,
    out_dir: Path | str,
    exporters: Mapping[str, ExporterFactory],
    *,
    test_fraction: float = 0.1,
    seed: int = 0,
    overwrite: bool = False,
    token_lengths: bool = True,
) -> tuple[Manifest, DataCard]:
    """One pass over the selected episodes into every exporter, then the data card, then
    ``manifest.json``; the finished directory is renamed to ``out_dir``.

    Each episode's split comes from its task id. An empty selection raises ``UserError``
    (naming the filter) and, like any failure or interruption, leaves nothing behind: the
    target is untouched and the staging directory removed (a SIGKILL leaves only the hidden
    staging sibling, which the next export to ``out_dir`` removes).
    """
    split_of("", test_fraction)  # validate before touching the directory
    staging = stage(out_dir, overwrite=overwrite)
    try:
        manifest = _write_all(
            store, selection, staging.path, exporters, test_fraction=test_fraction, seed=seed
        )
        card = build_card(staging.path, manifest, token_lengths=token_lengths)
        write_manifest(staging.path, manifest.files)
    except OSError as exc:
        staging.abort()
        reason = exc.strerror or str(exc)
        raise UserError(
            f"cannot write the export to {staging.target}: {reason}; nothing was written"
        ) from None
    except BaseException:
        staging.abort()
        raise
    staging.commit()
    return manifest, card


def run_export(
    store: Store,
    selection: Selection,
    out_dir: Path | str,
    formats: Sequence[str] = FORMATS,
    *,
    test_fraction: float = 0.1,
    seed: int = 0,
    overwrite: bool = False,
    spa_estimator: str = "error_aware",
    token_lengths: bool = True,
) -> tuple[Manifest, DataCard]:
    """Write ``formats`` for the episodes ``selection`` keeps, plus the data card."""
    return export_pool(
        store,
        selection,
        out_dir,
        exporters(formats, test_fraction=test_fraction, seed=seed, spa_estimator=spa_estimator),
        test_fraction=test_fraction,
        seed=seed,
        overwrite=overwrite,
        token_lengths=token_lengths,
    )
