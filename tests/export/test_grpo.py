"""GRPO export: TRL prompt-only rows with ground truth, read by lightclaw.rewards; group stats."""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from lightclaw.export.conversation import to_messages
from lightclaw.export.grpo import GroupStats, GrpoExport, GrpoRow
from lightclaw.export.pool import Pool, Selection, select, split_of
from lightclaw.export.rows import lossless
from lightclaw.export.writers import JsonlWriter
from lightclaw.rewards import GroundTruth, component_reward, lightclaw_reward
from lightclaw.schema import Episode
from lightclaw.store import Store
from lightclaw.suites.loader import get_suite

FIXTURES = Path(__file__).parent / "fixtures"
TEST_FRACTION = 0.25


def export(store: Store, out: Path, **selection: Any) -> tuple[GrpoExport, list[Episode]]:
    pool = Pool(store)
    grpo = GrpoExport(out, pool, test_fraction=TEST_FRACTION)
    seen = []
    for episode in select(store, Selection(dedupe=False, **selection), pool=pool):
        grpo.add(episode)
        seen.append(episode)
    grpo.close()
    return grpo, seen


def read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def exported(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("grpo_out")
    with Store(demo_db, readonly=True) as store:
        grpo, episodes = export(store, out)
    rows = read(out / "grpo" / "train.jsonl") + read(out / "grpo" / "test.jsonl")
    return {"out": out, "rows": rows, "episodes": episodes, "skipped": grpo.skipped}


def test_one_first_turn_prompt_per_task_without_a_simulated_user(exported: dict[str, Any]) -> None:
    tasks = {t.id: t for t in get_suite("core").tasks}
    rows, episodes = exported["rows"], exported["episodes"]
    wanted = {t.id for t in tasks.values() if t.user is None}
    assert sorted(r["task_id"] for r in rows) == sorted(wanted)  # once each
    first = {}
    for ep in episodes:
        if ep.attempt == 1:
            first.setdefault(ep.task_id, ep)
    for row in rows:
        assert row["prompt"] == to_messages(first[row["task_id"]], upto=0)
        assert [m["role"] for m in row["prompt"]] == ["system", "user"]
    attempt2 = sum(ep.attempt == 2 for ep in episodes)
    asking = sum(ep.attempt == 1 and tasks[ep.task_id].user is not None for ep in episodes)
    assert exported["skipped"] == {
        "attempt 2 (revision prompts are in the self-correction export)": attempt2,
        "task needs a simulated user": asking,
    }


def test_ground_truth_columns_are_lossless(exported: dict[str, Any]) -> None:
    tasks = {t.id: t for t in get_suite("core").tasks}
    kinds = set()
    for row in exported["rows"]:
        truth = GrpoRow.model_validate(row).ground_truth()
        task = tasks[row["task_id"]]
        assert truth == GroundTruth.from_task(task)
        assert json.loads(row["expected_answer"]) == task.expected_answer
        kinds.add(type(json.loads(row["expected_answer"])).__name__)
        names = [spec["function"]["name"] for spec in row["tools"]]
        assert names == list(task.tools)
    assert {"str", "float", "NoneType"} <= kinds  # answers of several types, each kept


def test_rows_feed_the_reward_functions_as_trl_passes_columns(
    exported: dict[str, Any], demo_store: Store
) -> None:
    rows = exported["rows"]
    oracle = {
        ep.task_id: ep
        for ep in demo_store.iter_episodes()
        if ep.policy == "scripted:oracle" and ep.attempt == 1
    }
    # TRL: every column but "prompt" becomes a keyword argument holding one value per completion
    kwargs = {key: [row[key] for row in rows] for key in rows[0] if key != "prompt"}
    episodes = [oracle[row["task_id"]] for row in rows]
    completions = [to_messages(e)[len(to_messages(e, upto=0)) :] for e in episodes]
    prompts = [r["prompt"] for r in rows]
    assert lightclaw_reward(completions, prompts=prompts, **kwargs) == [e.reward for e in episodes]
    assert component_reward("task_success")(completions, **kwargs) == [1.0] * len(rows)


def test_rows_load_with_datasets_and_still_score(exported: dict[str, Any]) -> None:
    datasets = pytest.importorskip("datasets")
    out: Path = exported["out"]
    files = {s: str(out / "grpo" / f"{s}.jsonl") for s in ("train", "test")}
    loaded = datasets.load_dataset("json", data_files=files)
    assert loaded["train"].num_rows + loaded["test"].num_rows == len(exported["rows"])
    batch = loaded["train"][:4]
    kwargs = {key: values for key, values in batch.items() if key != "prompt"}
    direct = [r for r in exported["rows"] if r["split"] == "train"][:4]
    wrong = [[{"role": "assistant", "content": '{"kind": "tool_call", "tool": "x", "argu'}]] * 4
    assert component_reward("task_success")(wrong, **kwargs) == [0.0] * 4
    assert lightclaw_reward(wrong, **kwargs) == lightclaw_reward(
        wrong, **{k: [r[k] for r in direct] for k in kwargs}
    )


def test_split_by_task_id(exported: dict[str, Any]) -> None:
    rows = exported["rows"]
    for row in rows:
        assert row["split"] == split_of(row["task_id"], TEST_FRACTION)
    splits = {row["split"] for row in rows}
    assert splits == {"train", "test"}
    train = {r["task_id"] for r in read(exported["out"] / "grpo" / "train.jsonl")}
    test = {r["task_id"] for r in read(exported["out"] / "grpo" / "test.jsonl")}
    assert train and test and not train & test


def test_group_statistics_equal_a_recount(exported: dict[str, Any]) -> None:
    groups = [GroupStats.model_validate(g) for g in read(exported["out"] / "grpo" / "groups.jsonl")]
    rewards: dict[str, list[float]] = defaultdict(list)
    judged: dict[str, list[bool]] = defaultdict(list)
    counted: dict[str, int] = defaultdict(int)
    for ep in exported["episodes"]:
        if ep.attempt != 1:
            continue
        counted[ep.task_id] += 1
        if ep.reward is not None:
            rewards[ep.task_id].append(ep.reward)
        if ep.success is not None:
            judged[ep.task_id].append(ep.success)
    assert {g.task_id for g in groups} == {r["task_id"] for r in exported["rows"]}
    spread = 0
    for g in groups:
        got = rewards[g.task_id]
        assert g.n_rollouts == counted[g.task_id] and g.n_scored == len(got)
        assert g.mean_reward == pytest.approx(statistics.fmean(got))
        assert g.std_reward == pytest.approx(statistics.stdev(got))
        assert (g.min_reward, g.max_reward) == (lossless(min(got)), lossless(max(got)))
        assert g.pass_rate == pytest.approx(sum(judged[g.task_id]) / len(judged[g.task_id]))
        assert g.zero_std == (len(set(got)) == 1)
        spread += not g.zero_std
    assert spread > 10  # personas disagree on most tasks: GRPO gets a signal


def test_invalid_rows_are_counted_not_written(exported: dict[str, Any], tmp_path: Path) -> None:
    good = next(r for r in exported["rows"] if json.loads(r["expected_calls"]))
    with_answer = {**good, "prompt": [*good["prompt"], {"role": "assistant", "content": "hi"}]}
    unoffered = {**good, "tools": []}
    bad_json = {**good, "expected_answer": "{not json"}
    with JsonlWriter(tmp_path / "g.jsonl", GrpoRow) as writer:
        results = [writer.write(r) for r in (good, with_answer, unoffered, bad_json)]
    assert results == [True, False, False, False]
    assert writer.report().rejected == 3
    assert len(read(tmp_path / "g.jsonl")) == 1


def test_checked_in_fixture_round_trips() -> None:
    path = FIXTURES / "grpo" / "train.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    for line in lines:
        row = GrpoRow.model_validate_json(line)
        assert json.loads(line) == row.model_dump(mode="json")
        truth = row.ground_truth()
        assert truth.task_id == row.task_id
    for line in (FIXTURES / "grpo" / "groups.jsonl").read_text(encoding="utf-8").splitlines():
        assert json.loads(line) == GroupStats.model_validate_json(line).model_dump(mode="json")


def test_fixture_matches_what_the_exporter_writes(exported: dict[str, Any]) -> None:
    fixture = read(FIXTURES / "grpo" / "train.jsonl")
    fresh = {row["task_id"]: row for row in exported["rows"]}
    for row in fixture:
        assert set(row) == set(fresh[row["task_id"]])
        for key in set(row) - {"prompt", "split"}:
            assert row[key] == fresh[row["task_id"]][key], key
