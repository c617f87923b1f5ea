"""What the SFT, sharegpt and DPO rows teach: never a call to an undeclared tool, never a refusal
or give-up chosen over the call it failed to make; and the data card says what was dropped."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from lightclaw.export.card import DataCard
from lightclaw.export.dpo_pairs import iter_pairs, vouched
from lightclaw.export.formats import run_export
from lightclaw.export.pool import Pool, Selection, select
from lightclaw.export.rows import UNDECLARED, SftRow, ShareGptRow
from lightclaw.schema import ToolCall, effective
from lightclaw.store import Store

META = {
    "episode_id": "ep1", "run_id": "run1", "task_id": "t", "suite": "core", "policy": "p",
    "source": "deterministic", "split": "train", "sample_type": "trajectory", "reward": 1.0,
    "success": True, "outcome": "final_answer", "n_steps": 2,
}  # fmt: skip
TOOL = {"type": "function", "function": {"name": "kv_get", "description": "", "parameters": {}}}


def _rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _call(name: str) -> dict[str, object]:
    item = {"type": "function", "function": {"name": name, "arguments": {}}}
    return {"role": "assistant", "content": "", "tool_calls": [item]}


def test_row_models_refuse_calls_to_undeclared_tools() -> None:
    messages = [
        {"role": "user", "content": "?"},
        _call("send_email"),
        {"role": "tool", "name": "send_email", "content": "error (unknown_tool): no such tool"},
        _call("kv_get"),
        {"role": "tool", "name": "kv_get", "content": "1"},
        {"role": "assistant", "content": "1"},
    ]
    with pytest.raises(ValueError, match=UNDECLARED):
        SftRow.model_validate({"messages": messages, "tools": [TOOL], "meta": META})
    SftRow.model_validate({"messages": messages[:1] + messages[3:], "tools": [TOOL], "meta": META})
    turns = [
        {"from": "human", "value": "?"},
        {"from": "function_call", "value": json.dumps({"name": "send_email", "arguments": {}})},
        {"from": "observation", "value": "error"},
        {"from": "gpt", "value": "1"},
    ]
    tools = json.dumps([TOOL["function"]])
    with pytest.raises(ValueError, match=UNDECLARED):
        ShareGptRow.model_validate({"conversations": turns, "system": "", "tools": tools,
                                    "meta": META})  # fmt: skip


def test_export_drops_hallucinated_trajectories_and_the_card_counts_them(
    demo_store: Store, tmp_path: Path
) -> None:
    out = tmp_path / "data"
    selection = Selection(attempt=1)
    run_export(demo_store, selection, out, ["sft", "llamafactory"], token_lengths=False)
    pool = Pool(demo_store)
    expected = 0
    for episode in select(demo_store, selection, pool=pool):
        task = pool.task(episode)
        assert task is not None
        calls = {
            act.tool
            for step in episode.steps
            for act in map(effective, step.actions)
            if isinstance(act, ToolCall)
        }
        expected += bool(calls - set(task.tools))
    assert expected > 20  # the hallucinator's recoveries
    for name in ("sft/train.jsonl", "sft/test.jsonl"):
        for row in _rows(out / name):
            declared = {t["function"]["name"] for t in row["tools"]}  # type: ignore[attr-defined]
            for m in row["messages"]:  # type: ignore[attr-defined]
                for call in m.get("tool_calls") or ():
                    assert call["function"]["name"] in declared
    for name in ("llamafactory/sft_train.jsonl", "llamafactory/sft_test.jsonl"):
        for row in _rows(out / name):
            declared = {t["name"] for t in json.loads(row["tools"])}  # type: ignore[arg-type]
            for turn in row["conversations"]:  # type: ignore[attr-defined]
                if turn["from"] == "function_call":
                    value = json.loads(turn["value"])
                    assert {
                        c["name"] for c in (value if isinstance(value, list) else [value])
                    } <= declared
    card = DataCard.model_validate_json((out / "data_card.json").read_text())
    per_format: Counter[str] = Counter()
    for f in card.files:
        per_format[f.format] += card.undeclared_tool_rows[f.path]
    assert per_format == {"trl-sft": expected, "llamafactory-sharegpt": expected}
    readme = (out / "README.md").read_text()
    assert (
        "dropped whole, not cut" in readme
        and f"sft/train.jsonl {card.undeclared_tool_rows['sft/train.jsonl']}" in readme
    )


def test_a_refusal_or_give_up_is_never_chosen(demo_store: Store) -> None:
    episodes = list(select(demo_store, Selection(dedupe=False), pool=Pool(demo_store)))
    refusals = 0
    for pair in iter_pairs(episodes):
        chosen = pair.chosen_episode
        if pair.kind == "correction_pair":
            assert vouched(chosen.steps[pair.chosen_step], chosen)
        else:
            assert chosen.success is True
        text = " ".join(m.get("content") or "" for m in pair.chosen)
        refusals += "not available" in text or "could not complete" in text
    assert refusals == 0
    # the episodes that used to give such pairs are in the pool: a failed call "corrected" by a
    # refusal (hallucinator) or a give-up (stubborn) in an episode that then failed
    gave_up = [
        e
        for e in episodes
        if e.success is False
        and any(s.correction_of is not None for s in e.steps)
        and any(word in str(e.final_answer) for word in ("not available", "could not complete"))
    ]
    assert {e.policy for e in gave_up} >= {"scripted:hallucinator", "scripted:stubborn"}
