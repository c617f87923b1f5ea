"""Writers validate every row: bad rows are counted with a reason, the rest are written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel

from lightclaw.export.rows import ChatMessage
from lightclaw.export.writers import JsonlWriter, ParquetWriter


class Item(BaseModel):
    name: str
    score: float
    tags: list[str]
    extra: dict[str, Any] | None = None


def test_jsonl_writes_valid_rows_and_counts_rejects(tmp_path: Path) -> None:
    path = tmp_path / "out" / "rows.jsonl"
    with JsonlWriter(path, Item, fmt="test", config="items") as w:
        assert w.write(Item(name="a", score=1.0, tags=["x"]))
        assert w.write({"name": "b", "score": 2, "tags": []})
        assert not w.write({"name": "c", "score": "high", "tags": []})
        assert not w.write(Item.model_construct(name="d", score=float("nan"), tags=[]))
        assert not w.write({"name": "e", "score": 1.0})
    report = w.report()
    assert (report.rows, report.rejected) == (2, 3)
    assert (
        report.reasons["score: Input should be a valid number, unable to parse string as a number"]
        == 1
    )
    assert report.reasons["tags: Field required"] == 1
    assert any("JSON compliant" in r for r in report.reasons)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [Item.model_validate_json(x) for x in lines] == [
        Item(name="a", score=1.0, tags=["x"]),
        Item(name="b", score=2.0, tags=[]),
    ]


def test_message_rows_refuse_string_arguments(tmp_path: Path) -> None:
    msg = {
        "role": "assistant",
        "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}],
    }
    with JsonlWriter(tmp_path / "m.jsonl", ChatMessage) as w:
        assert not w.write(msg)
        msg["tool_calls"][0]["function"]["arguments"] = {"a": 1}  # type: ignore[index]
        assert w.write(msg)
    assert "tool_calls.0.function.arguments" in next(iter(w.report().reasons))
    row = json.loads((tmp_path / "m.jsonl").read_text())
    assert row == {**msg, "content": ""}  # content always written; arguments stay an object


SCHEMA = pa.schema(
    [
        ("name", pa.string()),
        ("score", pa.float64()),
        ("tags", pa.list_(pa.string())),
        ("extra", pa.struct([("k", pa.int64())])),
    ]
)


def test_parquet_is_lossless_or_rejects(tmp_path: Path) -> None:
    path = tmp_path / "rows.parquet"
    with ParquetWriter(path, SCHEMA, Item, batch_rows=2) as w:
        for i in range(5):
            assert w.write(Item(name=f"n{i}", score=i / 2, tags=["t"] * i, extra={"k": i}))
        assert not w.write(Item(name="x", score=0, tags=[], extra={"k": "one"}))
        assert not w.write(Item(name="y", score=0, tags=[], extra={"k": 1, "j": 2}))
        assert not w.write(Item(name="z", score=0, tags=[], extra={}))
    assert (w.written, w.rejected) == (5, 3)
    reasons = " ".join(w.report().reasons)
    assert (
        "expected an integer" in reasons and "extra ['j']" in reasons and "missing ['k']" in reasons
    )
    rows = pq.read_table(path).to_pylist()
    assert [Item.model_validate(r) for r in rows] == [
        Item(name=f"n{i}", score=i / 2, tags=["t"] * i, extra={"k": i}) for i in range(5)
    ]
