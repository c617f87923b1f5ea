"""DPO pairs: same-task rollouts at a shared prefix and corrected steps; no over-correction
is ever chosen."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lightclaw.errors import UserError
from lightclaw.export.conversation import to_messages
from lightclaw.export.dpo import (
    DpoRow,
    RankingRow,
    run_dpo,
    sharegpt_prompt,
)
from lightclaw.export.dpo_pairs import Pair, PairFinder, RolloutPairer, iter_pairs
from lightclaw.export.pool import Pool, Selection, select
from lightclaw.schema import Episode
from lightclaw.store import Store


def _episodes(store: Store) -> list[Episode]:
    return list(select(store, Selection(dedupe=False), pool=Pool(store)))


@pytest.fixture(scope="module")
def pairs(demo_db: Path) -> list[Pair]:
    with Store(demo_db, readonly=True) as store:
        return list(iter_pairs(_episodes(store)))


def test_both_kinds_of_pair_are_found(pairs: list[Pair]) -> None:
    kinds = {p.kind for p in pairs}
    assert kinds == {"same_task_pair", "correction_pair"}
    assert any(p.kind == "same_task_pair" and p.step > 0 for p in pairs)


def test_same_task_pair_shares_the_prefix_and_prefers_the_higher_reward(pairs: list[Pair]) -> None:
    for pair in (p for p in pairs if p.kind == "same_task_pair"):
        high, low = pair.chosen_episode, pair.rejected_episode
        assert high.task_id == low.task_id and high.id != low.id
        assert high.reward is not None and low.reward is not None and high.reward > low.reward
        assert pair.prompt == to_messages(high, upto=pair.step) == to_messages(low, upto=pair.step)
        assert pair.chosen == to_messages(high)[len(pair.prompt) :]
        assert pair.rejected == to_messages(low)[len(pair.prompt) :]
        assert pair.chosen[0] != pair.rejected[0]
        assert pair.chosen[0]["role"] == pair.rejected[0]["role"] == "assistant"


def test_correction_pair_rejects_the_failed_step_and_chooses_its_revision(
    pairs: list[Pair],
) -> None:
    found = [p for p in pairs if p.kind == "correction_pair"]
    assert found
    for pair in found:
        ep = pair.chosen_episode
        assert pair.rejected_episode is ep
        failed, fix = ep.steps[pair.rejected_step], ep.steps[pair.chosen_step]
        assert fix.correction_of == failed.index and fix.correction_ok is True
        assert failed.error_type is not None or failed.judged_correct is False
        assert pair.prompt == to_messages(ep, upto=failed.index)
        assert len(pair.rejected) == 1 and pair.rejected[0] in to_messages(ep)
        # the revision's calls, without any self-correction wrapper
        calls = [c["function"] for c in pair.chosen[0].get("tool_calls", [])]
        revised = [c for c in fix.calls]
        assert [(c["name"], c["arguments"]) for c in calls] == [
            (c.tool, c.arguments) for c in revised
        ]


def test_over_corrections_are_never_chosen(demo_store: Store, pairs: list[Pair]) -> None:
    over = [
        (ep, s)
        for ep in _episodes(demo_store)
        if ep.policy == "scripted:overcorrector"
        for s in ep.steps
        if s.over_correction
    ]
    assert over, "the overcorrector produced no over-correction to test with"
    for pair in pairs:
        chosen_steps = (
            pair.chosen_episode.steps[pair.step :]
            if pair.kind == "same_task_pair"
            else [pair.chosen_episode.steps[pair.chosen_step]]
        )
        assert not any(s.over_correction for s in chosen_steps)
    # over-corrected episodes still appear, as the rejected side
    over_ids = {ep.id for ep, _ in over}
    assert any(p.rejected_episode.id in over_ids for p in pairs)


def test_pairer_memory_is_bounded_but_consecutive_rollouts_still_pair(demo_store: Store) -> None:
    episodes = sorted((e for e in _episodes(demo_store) if e.attempt == 1), key=lambda e: e.task_id)
    pairer = RolloutPairer(max_group=4, max_open=1)
    found = list(iter_pairs(episodes, kinds=["same_task_pair"], pairer=pairer))
    assert found and all(p.kind == "same_task_pair" for p in found)
    assert len(pairer._groups) == 0  # flushed
    # one open group at a time: rollouts of a task seen in one stretch still pair
    unbounded = list(iter_pairs(episodes, kinds=["same_task_pair"]))
    assert len(found) <= len(unbounded)


def test_identical_pairs_are_written_once(pairs: list[Pair], demo_store: Store) -> None:
    episodes = _episodes(demo_store)
    finder = PairFinder(kinds=["correction_pair"])
    first = [p for e in episodes for p in finder.add(e)]
    repeats = finder.duplicates  # the same mistake made in several rollouts
    assert len({p.key() for p in first}) == len(first)
    again = [p for e in episodes for p in finder.add(e)]
    assert first and again == [] and finder.duplicates == repeats + len(first) + repeats


def test_trl_and_llamafactory_rows_match_their_formats(demo_store: Store, tmp_path: Path) -> None:
    result = run_dpo(demo_store, Selection(), tmp_path, test_fraction=0.3)
    by_path = {f.path: f for f in result.files}
    assert set(by_path) == {
        "dpo/train.jsonl",
        "dpo/test.jsonl",
        "llamafactory/dpo_train.jsonl",
        "llamafactory/dpo_test.jsonl",
    }
    assert all(f.rejected == 0 for f in result.files)
    trl_rows = [
        json.loads(line)
        for name in ("dpo/train.jsonl", "dpo/test.jsonl")
        for line in (tmp_path / name).read_text().splitlines()
    ]
    assert len(trl_rows) == result.pairs["same_task_pair"] + result.pairs["correction_pair"]
    tasks = {
        s: {r["meta"]["task_id"] for r in trl_rows if r["meta"]["split"] == s}
        for s in ("train", "test")
    }
    assert tasks["train"] and tasks["test"] and not tasks["train"] & tasks["test"]
    for row in trl_rows:
        DpoRow.model_validate(row)
        assert set(row) == {"prompt", "chosen", "rejected", "tools", "meta", "pair"}
        for message in row["prompt"] + row["chosen"] + row["rejected"]:
            for call in message.get("tool_calls", []):
                assert isinstance(call["function"]["arguments"], dict)
        offered = {t["function"]["name"] for t in row["tools"]}
        assert all(
            c["function"]["name"] in offered for m in row["chosen"] for c in m.get("tool_calls", [])
        )
    lf = [
        json.loads(line)
        for line in (tmp_path / "llamafactory/dpo_train.jsonl").read_text().splitlines()
    ]
    assert (
        len(lf) == by_path["llamafactory/dpo_train.jsonl"].rows == by_path["dpo/train.jsonl"].rows
    )
    for row in lf:
        RankingRow.model_validate(row)
        turns = row["conversations"]
        assert len(turns) % 2 == 1 and turns[0]["from"] == "human"
        assert all(t["from"] in ("human", "observation") for t in turns[0::2])
        assert all(t["from"] in ("gpt", "function_call") for t in turns[1::2])
        for side in (row["chosen"], row["rejected"]):
            if side["from"] == "function_call":
                call = json.loads(side["value"])
                for item in call if isinstance(call, list) else [call]:
                    assert set(item) == {"name", "arguments"}
        assert isinstance(json.loads(row["tools"]), list)
    registered = json.loads((tmp_path / "llamafactory/dataset_info.json").read_text())
    info = registered["lightclaw_dpo_train"]
    assert info == result.dataset_info["lightclaw_dpo_train"]
    assert info["ranking"] is True and info["formatting"] == "sharegpt"
    assert (tmp_path / "llamafactory" / info["file_name"]).is_file()
    assert info["columns"]["chosen"] == "chosen" and info["columns"]["messages"] == "conversations"


def test_sharegpt_prompt_merges_tool_results_into_one_observation() -> None:
    messages = [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "task"},
        {
            "role": "assistant",
            "tool_calls": [
                {"type": "function", "function": {"name": "a", "arguments": {"x": 1}}},
                {"type": "function", "function": {"name": "b", "arguments": {}}},
            ],
        },
        {"role": "tool", "name": "a", "content": "1"},
        {"role": "tool", "name": "b", "content": "2"},
    ]
    system, turns = sharegpt_prompt(messages)  # type: ignore[arg-type]
    assert system == "sys"
    assert [t["from"] for t in turns] == ["human", "function_call", "observation"]
    assert json.loads(turns[1]["value"]) == [
        {"name": "a", "arguments": {"x": 1}},
        {"name": "b", "arguments": {}},
    ]
    assert json.loads(turns[2]["value"]) == ["1", "2"]


def test_empty_selection_names_the_filter(demo_store: Store, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="policy"):
        run_dpo(demo_store, Selection(policy="scripted:nobody"), tmp_path)
