"""The export formats by name, and one call that writes any set of them from one pool.

Every format reads the same selected episodes in a single pass (``export_pool``); GRPO and verl
share one prompt collector so their rows and splits agree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lightclaw.errors import UnknownChoiceError
from lightclaw.export.card import Exporter, export_pool
from lightclaw.export.dpo import DpoExport
from lightclaw.export.grpo import GrpoExport
from lightclaw.export.llamafactory import LlamaFactoryExport
from lightclaw.export.selfcorrect import SelfCorrectExport
from lightclaw.export.sft import SftExport
from lightclaw.export.spa import SpaExport
from lightclaw.export.verl import VerlExport

if TYPE_CHECKING:
    from lightclaw.export.card import DataCard, Manifest
    from lightclaw.export.pool import Pool, Selection
    from lightclaw.export.writers import FileReport
    from lightclaw.schema import Episode
    from lightclaw.store import Store

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
    )
