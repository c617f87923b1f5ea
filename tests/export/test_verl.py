"""verl export: Parquet with exactly verl's five fields, lossless, scored by compute_score."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from lightclaw.export.grpo import GrpoExport
from lightclaw.export.pool import Pool, Selection, select
from lightclaw.export.verl import VERL_SCHEMA, VerlExport, VerlRow, verl_row
from lightclaw.export.writers import ParquetWriter
from lightclaw.rewards import GroundTruth, compute_score, lightclaw_reward
from lightclaw.schema import ToolCall, effective
from lightclaw.store import Store
from lightclaw.suites.loader import get_suite

FIXTURES = Path(__file__).parent / "fixtures"
FIELDS = ["data_source", "prompt", "ability", "reward_model", "extra_info"]


@pytest.fixture(scope="module")
def exported(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """GRPO and verl written in one pass, sharing one prompt collector."""
    out = tmp_path_factory.mktemp("verl_out")
    with Store(demo_db, readonly=True) as store:
        pool = Pool(store)
        grpo = GrpoExport(out, pool, test_fraction=0.25)
        verl = VerlExport(out, pool, collector=grpo.collector)
        for episode in select(store, Selection(), pool=pool):
            new = grpo.add(episode)
            if new is not None:
                verl.write(*new)
        reports = grpo.close() + verl.close()
    grpo_rows = [
        json.loads(line)
        for split in ("train", "test")
        for line in (out / "grpo" / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    return {"out": out, "reports": reports, "grpo": grpo_rows}


def table_rows(path: Path) -> list[dict[str, Any]]:
    table = pq.read_table(path)
    assert table.schema.names == FIELDS
    return list(table.to_pylist())


def test_exactly_verls_fields_no_nulls(exported: dict[str, Any]) -> None:
    out: Path = exported["out"]
    for split in ("train", "test"):
        table = pq.read_table(out / "verl" / f"{split}.parquet")
        assert table.schema.equals(VERL_SCHEMA)
        assert all(column.null_count == 0 for column in table.columns)
        rows = table.to_pylist()
        assert [r["extra_info"]["index"] for r in rows] == list(range(len(rows)))
        for row in rows:
            assert row["data_source"] == "lightclaw/core"
            assert row["reward_model"]["style"] == "rule"
            assert row["extra_info"]["split"] == split
            VerlRow.model_validate(row)
    verl_counts = {r.path: r.rows for r in exported["reports"] if r.format == "verl"}
    grpo_counts = {r.path: r.rows for r in exported["reports"] if r.format == "trl-grpo"}
    assert list(verl_counts.values()) == list(grpo_counts.values())  # one verl row per prompt


def test_ground_truth_round_trips_with_its_types(exported: dict[str, Any]) -> None:
    tasks = {t.id: t for t in get_suite("core").tasks}
    rows = table_rows(exported["out"] / "verl" / "train.parquet")
    rows += table_rows(exported["out"] / "verl" / "test.parquet")
    by_task = {g["task_id"]: g for g in exported["grpo"]}
    for row in rows:
        info = row["extra_info"]
        truth = GroundTruth.model_validate_json(row["reward_model"]["ground_truth"])
        task = tasks[info["task_id"]]
        assert truth == GroundTruth.from_task(task)
        assert truth.expected_answer == task.expected_answer  # float stays float, str stays str
        assert type(truth.expected_answer) is type(task.expected_answer)
        assert json.loads(info["tools"]) == by_task[info["task_id"]]["tools"]
        assert row["prompt"] == by_task[info["task_id"]]["prompt"]


def _oracle_text(task_id: str) -> str:
    task = next(t for t in get_suite("core").tasks if t.id == task_id)
    calls = [effective(a) for a in task.oracle[0]]
    assert all(isinstance(c, ToolCall) for c in calls)
    return "".join(
        "<tool_call>\n"
        + json.dumps({"name": c.tool, "arguments": c.arguments})  # type: ignore[union-attr]
        + "\n</tool_call>"
        for c in calls
    )


def test_compute_score_reads_the_rows_ground_truth(exported: dict[str, Any]) -> None:
    rows = table_rows(exported["out"] / "verl" / "train.parquet")
    rows += table_rows(exported["out"] / "verl" / "test.parquet")
    tasks = {t.id: t for t in get_suite("core").tasks}
    scored = 0
    for row in rows:
        task = tasks[row["extra_info"]["task_id"]]
        if not task.expected_calls or not isinstance(effective(task.oracle[0][0]), ToolCall):
            continue
        gt, source = row["reward_model"]["ground_truth"], row["data_source"]
        text = _oracle_text(task.id)
        good = compute_score(source, text, gt, row["extra_info"])
        grpo = next(g for g in exported["grpo"] if g["task_id"] == task.id)
        kwargs = {key: [value] for key, value in grpo.items() if key != "prompt"}
        assert [good] == lightclaw_reward([text], **kwargs), task.id  # TRL's path, same row
        assert good < 1.0, task.id  # a first turn of calls gives no answer: no task success
        scored += 1
    assert scored > 20


def test_a_row_that_does_not_fit_the_schema_is_rejected(
    exported: dict[str, Any], tmp_path: Path
) -> None:
    good = verl_row(exported["grpo"][0], 0)
    typed = {**good, "extra_info": {**good["extra_info"], "note": None}}
    other_source = {**good, "data_source": "openai/gsm8k"}
    with ParquetWriter(tmp_path / "v.parquet", VERL_SCHEMA, VerlRow) as writer:
        results = [writer.write(r) for r in (good, typed, other_source)]
    assert results == [True, False, False]
    assert len(pq.read_table(tmp_path / "v.parquet")) == 1


def test_loads_with_datasets(exported: dict[str, Any]) -> None:
    datasets = pytest.importorskip("datasets")
    path = str(exported["out"] / "verl" / "train.parquet")
    loaded = datasets.load_dataset("parquet", data_files={"train": path})["train"]
    assert loaded.column_names == FIELDS
    first = loaded[0]
    assert (
        compute_score(first["data_source"], "nothing", first["reward_model"]["ground_truth"]) >= 0
    )


def test_checked_in_fixture_round_trips() -> None:
    rows = table_rows(FIXTURES / "verl" / "train.parquet")
    text = (FIXTURES / "verl" / "train.jsonl").read_text(encoding="utf-8")
    readable = [json.loads(line) for line in text.splitlines()]
    assert rows == readable
    for row in rows:
        assert VerlRow.model_validate(row).model_dump(mode="json") == row
        GroundTruth.model_validate_json(row["reward_model"]["ground_truth"])
