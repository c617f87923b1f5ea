"""LLaMA-Factory sharegpt rows follow its data/README.md; dataset_info.json registers them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from lightclaw.export.formats import export_pool
from lightclaw.export.llamafactory import LlamaFactoryExport, register_dataset, sharegpt_turns
from lightclaw.export.pool import Selection
from lightclaw.export.rows import ShareGptRow
from lightclaw.store import Store

FIXTURES = Path(__file__).parent / "fixtures" / "llamafactory"
ODD, EVEN = {"human", "observation"}, {"gpt", "function_call"}


def _contract(row: dict[str, object]) -> None:
    """LLaMA-Factory's SharegptDatasetConverter rules, restated from its README."""
    turns = row["conversations"]
    assert isinstance(turns, list) and len(turns) % 2 == 0
    for i, turn in enumerate(turns):
        assert set(turn) == {"from", "value"} and isinstance(turn["value"], str)
        assert turn["from"] in (ODD if i % 2 == 0 else EVEN), (i, turn)
        if turn["from"] == "function_call":
            calls = json.loads(turn["value"])
            for call in calls if isinstance(calls, list) else [calls]:
                assert set(call) == {"name", "arguments"} and isinstance(call["arguments"], dict)
    tools = json.loads(row["tools"])  # type: ignore[arg-type]
    assert all(set(t) == {"name", "description", "parameters"} for t in tools)
    assert isinstance(row["system"], str)


def test_fixture_round_trips_and_meets_the_contract() -> None:
    lines = (FIXTURES / "sft_train.jsonl").read_text(encoding="utf-8").splitlines()
    for line in lines:
        row = ShareGptRow.model_validate_json(line)
        assert row.model_dump(mode="json", by_alias=True) == json.loads(line)
        _contract(json.loads(line))
    info = json.loads((FIXTURES / "dataset_info.json").read_text(encoding="utf-8"))
    for entry in info.values():
        assert (FIXTURES / entry["file_name"]).is_file()
        assert entry["formatting"] == "sharegpt"


def test_parallel_calls_and_results_fold_into_single_turns() -> None:
    msgs = [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "do two things"},
        {
            "role": "assistant",
            "content": "thinking",
            "tool_calls": [
                {"type": "function", "function": {"name": "a", "arguments": {"x": 1}}},
                {"type": "function", "function": {"name": "b", "arguments": {}}},
            ],
        },
        {"role": "tool", "name": "a", "content": "1"},
        {"role": "tool", "name": "b", "content": "2"},
        {"role": "user", "content": "invalid_format: ..."},
        {"role": "assistant", "content": "done"},
        {"role": "tool", "name": "a", "content": "late"},
    ]
    system, turns = sharegpt_turns(msgs)
    assert system == "S"
    assert [t["from"] for t in turns] == ["human", "function_call", "observation", "gpt"]
    assert json.loads(turns[1]["value"]) == [
        {"name": "a", "arguments": {"x": 1}},
        {"name": "b", "arguments": {}},
    ]
    assert turns[2]["value"] == '["1", "2"]\n\ninvalid_format: ...'
    assert turns[3]["value"] == "done"


def test_rows_breaking_alternation_are_refused() -> None:
    row = json.loads((FIXTURES / "sft_train.jsonl").read_text(encoding="utf-8").splitlines()[0])
    row["conversations"] = [*row["conversations"], {"from": "human", "value": "more"}]
    with pytest.raises(ValidationError, match="even count"):
        ShareGptRow.model_validate(row)
    row["conversations"] = row["conversations"][:-1][::-1]
    with pytest.raises(ValidationError, match="position 1"):
        ShareGptRow.model_validate(row)


def test_export_writes_rows_and_dataset_info(demo_store: Store, tmp_path: Path) -> None:
    manifest, _ = export_pool(
        demo_store, Selection(), tmp_path / "x", {"lf": LlamaFactoryExport}, test_fraction=0.3
    )
    ddir = tmp_path / "x" / "llamafactory"
    info = json.loads((ddir / "dataset_info.json").read_text(encoding="utf-8"))
    assert set(info) == {"lightclaw_sft_train", "lightclaw_sft_test"}
    total = 0
    for name, entry in info.items():
        assert entry["columns"] == {
            "messages": "conversations",
            "system": "system",
            "tools": "tools",
        }
        assert entry["tags"]["function_tag"] == "function_call"
        lines = (ddir / entry["file_name"]).read_text(encoding="utf-8").splitlines()
        for line in lines:
            _contract(json.loads(line))
        assert json.loads(lines[0])["meta"]["split"] == name.removeprefix("lightclaw_sft_")
        total += len(lines)
    assert total == sum(r.rows for r in manifest.files)
    register_dataset(ddir, "lightclaw_dpo_train", {"file_name": "dpo.jsonl", "ranking": True})
    info = json.loads((ddir / "dataset_info.json").read_text(encoding="utf-8"))
    assert set(info) == {"lightclaw_sft_train", "lightclaw_sft_test", "lightclaw_dpo_train"}
