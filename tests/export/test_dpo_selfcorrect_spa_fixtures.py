"""The checked-in fixtures of the DPO, LLaMA-Factory ranking, self-correction and SPA formats
load back into their row models identically (round trip)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel

from lightclaw.export.dpo import DpoRow, RankingRow, ranking_dataset_info
from lightclaw.export.selfcorrect import SelfCorrectionRow
from lightclaw.export.spa import EstimatorRow, SpaRow

FIXTURES = Path(__file__).parent / "fixtures"
JSONL = [
    ("dpo/train.jsonl", DpoRow),
    ("dpo/llamafactory/dpo_train.jsonl", RankingRow),
    ("selfcorrect/train.jsonl", SelfCorrectionRow),
    ("spa/train.jsonl", SpaRow),
]


@pytest.mark.parametrize(("name", "model"), JSONL)
def test_jsonl_fixture_round_trips(name: str, model: type[BaseModel]) -> None:
    lines = (FIXTURES / name).read_text(encoding="utf-8").splitlines()
    assert lines
    for line in lines:
        row = json.loads(line)
        assert model.model_validate(row).model_dump(mode="json", by_alias=True) == row


def test_spa_rl_fixture_is_a_json_array_that_round_trips() -> None:
    records = json.loads((FIXTURES / "spa/progress_estimator_train.json").read_text())
    assert isinstance(records, list) and records
    for record in records:
        assert EstimatorRow.model_validate(record).model_dump(mode="json", by_alias=True) == record


def test_dataset_info_fixture_registers_the_ranking_file() -> None:
    info = json.loads((FIXTURES / "dpo/llamafactory/dataset_info.json").read_text())
    entry = info["lightclaw_dpo_train"]
    assert entry == ranking_dataset_info("dpo_train.jsonl")
    assert (FIXTURES / "dpo/llamafactory" / entry["file_name"]).is_file()


def test_fixture_pairs_are_the_same_in_both_formats() -> None:
    trl = [json.loads(x) for x in (FIXTURES / "dpo/train.jsonl").read_text().splitlines()]
    lf = [
        json.loads(x)
        for x in (FIXTURES / "dpo/llamafactory/dpo_train.jsonl").read_text().splitlines()
    ]
    assert [r["pair"] for r in trl] == [r["pair"] for r in lf]
    for t, f in zip(trl, lf, strict=True):
        calls = t["chosen"][0].get("tool_calls")
        if calls:
            value = json.loads(f["chosen"]["value"])
            items = value if isinstance(value, list) else [value]
            assert [c["function"] for c in calls] == items
