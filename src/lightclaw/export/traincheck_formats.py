"""Which export format each file in a directory holds, and the row model that validates it.

The format comes from ``data_card.json`` (each written file's ``path`` and ``format``) when the
directory has one, else from the first row's columns. Row models are imported lazily by name, so
a format whose writer is not installed is reported as "no row model" instead of failing.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from lightclaw.errors import UserError

CARD_FILE = "data_card.json"
DATA_SUFFIXES = (".jsonl", ".parquet")


class Kind(StrEnum):
    """How train-check uses a file: which trainer reads it and how its rows render."""

    SFT = "sft"
    DPO = "dpo"
    GRPO = "grpo"
    VERL = "verl"
    SHAREGPT = "sharegpt"
    OTHER = "other"


@dataclass(frozen=True)
class Format:
    name: str
    kind: Kind
    model_ref: str
    """``module:Class`` of the row model (imported on use)."""

    def model(self) -> type[BaseModel] | None:
        module, _, cls = self.model_ref.partition(":")
        try:
            found = getattr(importlib.import_module(module), cls, None)
        except ImportError:
            return None
        return found if isinstance(found, type) and issubclass(found, BaseModel) else None


_E = "lightclaw.export"
FORMATS: dict[str, Format] = {
    f.name: f
    for f in [
        Format("trl-sft", Kind.SFT, f"{_E}.rows:SftRow"),
        Format("trl-dpo", Kind.DPO, f"{_E}.dpo:DpoRow"),
        Format("trl-grpo", Kind.GRPO, f"{_E}.grpo:GrpoRow"),
        Format("verl", Kind.VERL, f"{_E}.verl:VerlRow"),
        Format("llamafactory-sharegpt", Kind.SHAREGPT, f"{_E}.rows:ShareGptRow"),
        Format("llamafactory-ranking", Kind.SHAREGPT, f"{_E}.dpo:RankingRow"),
        Format("lightclaw-grpo-groups", Kind.OTHER, f"{_E}.grpo:GroupStats"),
        Format("lightclaw-spa", Kind.OTHER, f"{_E}.spa:SpaRow"),
        Format("lightclaw-selfcorrect", Kind.OTHER, f"{_E}.selfcorrect:SelfCorrectionRow"),
    ]
}


def infer_format(row: Mapping[str, Any]) -> Format | None:
    """The format a row's columns match (used when no data card names it)."""
    keys = set(row)
    if {"data_source", "prompt", "reward_model"} <= keys:
        return FORMATS["verl"]
    if {"prompt", "chosen", "rejected"} <= keys:
        return FORMATS["trl-dpo"]
    if {"conversations", "chosen", "rejected"} <= keys:
        return FORMATS["llamafactory-ranking"]
    if "conversations" in keys:
        return FORMATS["llamafactory-sharegpt"]
    if "messages" in keys:
        return FORMATS["trl-sft"]
    if "prompt" in keys and "expected_calls" in keys:
        return FORMATS["trl-grpo"]
    return None


def _card_entries(node: Any) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        if isinstance(node.get("path"), str) and isinstance(node.get("format"), str):
            yield node["path"], node["format"]
        for value in node.values():
            yield from _card_entries(value)
    elif isinstance(node, list):
        for value in node:
            yield from _card_entries(value)


def card_formats(root: Path) -> dict[str, str]:
    """``{relative path: format}`` from the directory's data card (empty without one)."""
    card = root / CARD_FILE
    if not card.is_file():
        return {}
    try:
        data = json.loads(card.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise UserError(f"{card}: not readable JSON ({exc})") from exc
    return dict(_card_entries(data))


def data_files(root: Path) -> list[Path]:
    """Every JSONL/Parquet file under ``root``, sorted; a missing or empty directory is refused."""
    if not root.is_dir():
        raise UserError(f"{root} is not a directory")
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in DATA_SUFFIXES)
    if not files:
        raise UserError(f"{root} holds no .jsonl or .parquet files to check")
    return files


def read_rows(path: Path) -> Iterator[tuple[int, Any]]:
    """``(line or row number, row)`` of a JSONL or Parquet file, streamed; a JSONL line that is
    not JSON yields its ``json.JSONDecodeError`` as the row."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq  # type: ignore[import-untyped]

        number = 0
        for batch in pq.ParquetFile(path).iter_batches(batch_size=1024):
            for row in batch.to_pylist():
                number += 1
                yield number, row
        return
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, exc
