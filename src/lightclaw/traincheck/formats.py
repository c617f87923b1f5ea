"""Which trainer reads each file of an export, and reading its rows without trusting them.

The format of each file comes from the export's ``manifest.json``; a data file the manifest does
not list (added later) is recognised by its first row's columns. Its row model is the export's own
(:data:`lightclaw.export.features.ROW_MODELS`), so train-check validates exactly what the writers
validated.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
from pydantic import BaseModel

from lightclaw.export.features import ROW_MODELS

DATA_SUFFIXES = (".jsonl", ".json", ".parquet")


class Kind(StrEnum):
    """How train-check uses a file: which trainer reads it and how its rows render."""

    SFT = "sft"
    DPO = "dpo"
    GRPO = "grpo"
    VERL = "verl"
    SHAREGPT = "sharegpt"
    OTHER = "other"


KINDS = {
    "trl-sft": Kind.SFT,
    "trl-dpo": Kind.DPO,
    "trl-grpo": Kind.GRPO,
    "verl": Kind.VERL,
    "llamafactory-sharegpt": Kind.SHAREGPT,
    "llamafactory-ranking": Kind.SHAREGPT,
}


def kind_of(fmt: str | None) -> Kind:
    return KINDS.get(fmt or "", Kind.OTHER)


def row_model(fmt: str | None) -> type[BaseModel] | None:
    return ROW_MODELS.get(fmt or "")


def infer_format(row: Mapping[str, Any]) -> str | None:
    """The format a row's columns match (for a data file the manifest does not list)."""
    keys = set(row)
    if {"data_source", "prompt", "reward_model"} <= keys:
        return "verl"
    if {"prompt", "chosen", "rejected"} <= keys:
        return "trl-dpo"
    if {"conversations", "chosen", "rejected"} <= keys:
        return "llamafactory-ranking"
    if "conversations" in keys and "agent_final_reward" in keys:
        return "spa-rl-progress"
    if "conversations" in keys:
        return "llamafactory-sharegpt"
    if "messages" in keys:
        return "trl-sft"
    if "prompt" in keys and "expected_calls" in keys:
        return "trl-grpo"
    return None


class Unreadable(Exception):
    """A file that cannot be read as its type at all (not UTF-8, not Parquet, not a JSON array)."""


class BadRow(Exception):
    """One row that is not a JSON object (JSONL): reported with its line, the others go on."""


def _parquet_rows(path: Path) -> Iterator[tuple[int, Any]]:
    try:
        batches = pq.ParquetFile(path).iter_batches(batch_size=1024)
        number = 0
        for batch in batches:
            for row in batch.to_pylist():
                number += 1
                yield number, row
    except (pa.ArrowException, OSError) as exc:
        raise Unreadable(f"not a readable Parquet file: {str(exc).splitlines()[0][:200]}") from None


def _jsonl_rows(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield number, BadRow(f"not UTF-8 text: {exc.reason}")
                continue
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, BadRow(f"not JSON: {exc.msg}")
            except RecursionError:
                yield number, BadRow("not JSON: nested too deeply")


def _json_array_rows(path: Path) -> Iterator[tuple[int, Any]]:
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise Unreadable(f"not UTF-8 text: {exc.reason}") from None
    except (json.JSONDecodeError, RecursionError) as exc:
        raise Unreadable(f"not a JSON array: {exc}") from None
    if not isinstance(data, list):
        raise Unreadable("not a JSON array")
    yield from enumerate(data, start=1)


def read_rows(path: Path) -> Iterator[tuple[int, Any]]:
    """``(line or row number, row)`` of a JSONL, JSON-array or Parquet file, streamed. A JSONL
    line that is not a JSON row yields a :class:`BadRow` as the row; a file that cannot be read at
    all raises :class:`Unreadable`."""
    if path.suffix == ".parquet":
        yield from _parquet_rows(path)
    elif path.suffix == ".json":
        yield from _json_array_rows(path)
    else:
        yield from _jsonl_rows(path)
