"""Streaming row writers (JSONL, Parquet): validate each row, write it or count why not.

A row is a row model instance or a plain mapping; both are validated against the writer's row
model (an instance is re-validated from its dump, so a row built with ``model_construct`` or
mutated after construction is checked too). A row that fails is not written; the writer counts
it by reason and keeps a few examples, and :meth:`RowWriter.report` hands that to the data card.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
from pydantic import BaseModel, Field, ValidationError

from lightclaw.errors import RuntimeBug

if TYPE_CHECKING:
    from collections.abc import Sequence

MAX_EXAMPLES = 5


class Rejection(BaseModel):
    """One rejected row: why, and which row (its ``meta.episode_id`` when it has one)."""

    reason: str
    row: str | None = None


class FileReport(BaseModel):
    """What one writer wrote: the data card is built from these."""

    path: str
    """Relative to the export directory."""
    format: str
    """The consumer format, e.g. ``trl-sft``, ``llamafactory-sharegpt``, ``verl``."""
    config: str
    """The dataset-card config (one per format)."""
    split: str = "train"
    file_type: str = "jsonl"
    rows: int = 0
    rejected: int = 0
    reasons: dict[str, int] = Field(default_factory=dict)
    examples: list[Rejection] = Field(default_factory=list)


def _reason(exc: ValidationError) -> str:
    err = exc.errors(include_url=False, include_input=False)[0]
    loc = ".".join(str(p) for p in err["loc"]) or "row"
    return f"{loc}: {err['msg']}"


def _row_id(data: Any) -> str | None:
    meta = data.get("meta") if isinstance(data, Mapping) else None
    ident = meta.get("episode_id") if isinstance(meta, Mapping) else None
    return ident if isinstance(ident, str) else None


class RowWriter:
    """Base of the streaming writers: validation, counting, context manager."""

    file_type = "jsonl"

    def __init__(
        self, path: Path | str, model: type[BaseModel], *, fmt: str, config: str, split: str
    ) -> None:
        self.path = Path(path)
        self.model = model
        self.report_ = FileReport(
            path=self.path.name, format=fmt, config=config, split=split, file_type=self.file_type
        )
        self.reasons: Counter[str] = Counter()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.closed = False

    @property
    def written(self) -> int:
        return self.report_.rows

    @property
    def rejected(self) -> int:
        return self.report_.rejected

    def write(self, row: BaseModel | Mapping[str, Any]) -> bool:
        """Validate and write one row; False (and counted) when it fails validation."""
        if self.closed:
            raise RuntimeBug(f"write to closed writer {self.path}")
        if isinstance(row, self.model):  # built (so validated) as this row model: dump once
            data: dict[str, Any] = {}
            try:
                data = row.model_dump(mode="json", by_alias=True)
                self._check(data)
            except ValueError as exc:
                return self.reject(str(exc).splitlines()[0], _row_id(data))
            self._emit(data)
            self.report_.rows += 1
            return True
        raw = row.model_dump(mode="json", by_alias=True) if isinstance(row, BaseModel) else row
        try:
            data = self.model.model_validate(raw).model_dump(mode="json", by_alias=True)
            self._check(data)
        except ValidationError as exc:
            return self.reject(_reason(exc), _row_id(raw))
        except ValueError as exc:
            return self.reject(str(exc), _row_id(raw))
        self._emit(data)
        self.report_.rows += 1
        return True

    def reject(self, reason: str, row: str | None = None) -> bool:
        """Count a row that could not be built or written (always returns False)."""
        self.reasons[reason] += 1
        self.report_.rejected += 1
        if len(self.report_.examples) < MAX_EXAMPLES:
            self.report_.examples.append(Rejection(reason=reason, row=row))
        return False

    def report(self) -> FileReport:
        """Counts so far (call after :meth:`close` for the final ones)."""
        return self.report_.model_copy(update={"reasons": dict(self.reasons)})

    def relative_to(self, root: Path) -> Self:
        """Report the path relative to the export directory ``root``."""
        self.report_.path = self.path.relative_to(root).as_posix()
        return self

    def close(self) -> FileReport:
        if not self.closed:
            self._finish()
            self.closed = True
        return self.report()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _check(self, data: dict[str, Any]) -> None:
        """Format-level checks on the dumped row (ValueError rejects it)."""

    def _emit(self, data: dict[str, Any]) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        raise NotImplementedError


class JsonlWriter(RowWriter):
    """One JSON object per line, UTF-8, no NaN/Infinity."""

    file_type = "jsonl"

    def __init__(
        self,
        path: Path | str,
        model: type[BaseModel],
        *,
        fmt: str = "jsonl",
        config: str = "default",
        split: str = "train",
    ) -> None:
        super().__init__(path, model, fmt=fmt, config=config, split=split)
        self._fh = self.path.open("w", encoding="utf-8")
        self._line = ""

    def _check(self, data: dict[str, Any]) -> None:
        self._line = json.dumps(data, ensure_ascii=False, allow_nan=False)

    def _emit(self, data: dict[str, Any]) -> None:
        self._fh.write(self._line + "\n")

    def _finish(self) -> None:
        self._fh.close()


class ParquetWriter(RowWriter):
    """Parquet with a fixed Arrow schema, written in row groups; lossless or rejected.

    Parquet null-fills missing keys and cannot hold values whose type changes across rows, so a
    row whose dump does not fit ``schema`` exactly (every struct key present, no extra keys, each
    value of the column's type) is rejected instead of being silently altered.
    """

    file_type = "parquet"

    def __init__(
        self,
        path: Path | str,
        schema: pa.Schema,
        model: type[BaseModel],
        *,
        fmt: str = "parquet",
        config: str = "default",
        split: str = "train",
        batch_rows: int = 2048,
    ) -> None:
        super().__init__(path, model, fmt=fmt, config=config, split=split)
        self.schema = schema
        self._batch: list[dict[str, Any]] = []
        self._batch_rows = batch_rows
        self._pq = pq.ParquetWriter(self.path, schema)

    def _check(self, data: dict[str, Any]) -> None:
        fields = list(self.schema)
        _fits_struct(data, fields, "row")

    def _emit(self, data: dict[str, Any]) -> None:
        self._batch.append(data)
        if len(self._batch) >= self._batch_rows:
            self._flush()

    def _flush(self) -> None:
        if self._batch:
            self._pq.write_table(pa.Table.from_pylist(self._batch, schema=self.schema))
            self._batch = []

    def _finish(self) -> None:
        self._flush()
        self._pq.close()


def _fits_struct(value: Any, fields: Sequence[pa.Field], where: str) -> None:
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected an object")
    names = [f.name for f in fields]
    if set(value) != set(names):
        extra, missing = sorted(set(value) - set(names)), sorted(set(names) - set(value))
        raise ValueError(
            f"{where}: keys differ from the Parquet schema (extra {extra}, missing {missing})"
        )
    for f in fields:
        _fits(value[f.name], f.type, f.nullable, f"{where}.{f.name}")


def _fits(value: Any, typ: pa.DataType, nullable: bool, where: str) -> None:
    if value is None:
        if not nullable:
            raise ValueError(f"{where}: null in a non-nullable column")
        return
    if pa.types.is_struct(typ):
        _fits_struct(value, [typ.field(i) for i in range(typ.num_fields)], where)
    elif pa.types.is_list(typ) or pa.types.is_large_list(typ):
        if not isinstance(value, list):
            raise ValueError(f"{where}: expected a list")
        item = typ.value_field
        for i, v in enumerate(value):
            _fits(v, item.type, item.nullable, f"{where}.{i}")
    elif pa.types.is_string(typ) or pa.types.is_large_string(typ):
        if not isinstance(value, str):
            raise ValueError(f"{where}: expected a string, got {type(value).__name__}")
    elif pa.types.is_boolean(typ):
        if not isinstance(value, bool):
            raise ValueError(f"{where}: expected a boolean, got {type(value).__name__}")
    elif pa.types.is_integer(typ):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{where}: expected an integer, got {type(value).__name__}")
    elif pa.types.is_floating(typ):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{where}: expected a number, got {type(value).__name__}")
    else:
        raise RuntimeBug(f"{where}: Parquet type {typ} is not supported by ParquetWriter")
