"""SPA: per-step progress sums exactly to the final reward; SPA-RL's estimator layout."""

from __future__ import annotations

import json
import math
import random
from functools import reduce
from pathlib import Path

import pytest

from lightclaw.errors import UserError
from lightclaw.export.conversation import to_messages
from lightclaw.export.pool import Selection
from lightclaw.export.rows import lossless
from lightclaw.export.spa import (
    EstimatorRow,
    SpaRow,
    executable,
    progress,
    run_spa,
    split_exactly,
)
from lightclaw.store import Store


def test_shares_sum_exactly_in_any_order() -> None:
    rng = random.Random(7)
    totals = [0.1, 1.1950000000000003, -0.37, 1e-9, 12345.678, 2.0, 1 / 3]
    totals += [rng.uniform(-3, 3) for _ in range(3000)]
    for total in totals:
        n = rng.randint(1, 40)
        shares = split_exactly(total, n)
        assert len(shares) == n
        assert sum(shares) == total
        assert math.fsum(shares) == total
        assert reduce(lambda a, b: a + b, reversed(shares)) == total
        assert all(s == 0 or (s > 0) == (total > 0) for s in shares)
        assert max(shares) - min(shares) <= abs(total) * 1e-9 + 1e-300


def test_estimators_on_real_episodes(demo_store: Store) -> None:
    seen_failed = False
    for ep in demo_store.iter_episodes():
        if ep.reward is None or not ep.steps:
            continue
        uniform = progress(ep, "uniform")
        aware = progress(ep, "error_aware")
        assert sum(uniform) == lossless(ep.reward) == sum(aware)  # the reward as exported
        flags = [executable(s) for s in ep.steps]
        assert flags == [s.error_type is None for s in ep.steps]
        if any(flags):
            assert all(p == 0.0 for p, ok in zip(aware, flags, strict=True) if not ok)
        else:
            assert aware[-1] == lossless(ep.reward)
        seen_failed |= not all(flags)
    assert seen_failed


def test_unknown_estimator_is_a_user_error(demo_store: Store, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="estimator"):
        run_spa(demo_store, Selection(), tmp_path, "magic")  # type: ignore[arg-type]


def test_run_spa_writes_steps_and_spa_rl_layout(demo_store: Store, tmp_path: Path) -> None:
    result = run_spa(demo_store, Selection(), tmp_path, "error_aware")
    assert all(f.rejected == 0 for f in result.files)
    assert result.skipped.get("attempt 2 (reward shared with its parent)", 0) > 0
    rows = [json.loads(line) for line in (tmp_path / "spa/train.jsonl").read_text().splitlines()]
    estimator = json.loads(
        (tmp_path / "spa/progress_estimator_train.json").read_text()
    )  # SPA-RL uses json.load
    assert len(rows) == len(estimator) == result.files[0].rows > 0
    for row, record in zip(rows, estimator, strict=True):
        SpaRow.model_validate(row)
        EstimatorRow.model_validate(record)
        ep = demo_store.get_episode(row["meta"]["episode_id"])
        shares = [t["progress"] for t in row["turns"]]
        reward = lossless(ep.reward)  # type: ignore[arg-type]
        assert sum(shares) == reward == row["final_reward"] == record["agent_final_reward"]
        assert [t["executable"] for t in row["turns"]] == [s.error_type is None for s in ep.steps]
        # SPA-RL: human/gpt alternate, one gpt turn per step, ending with the last action
        turns = record["conversations"]
        assert [t["from"] for t in turns] == ["human", "gpt"] * len(ep.steps)
        assert record["id"] == ep.task_id and record["success"] == ep.success
        assert record["progress"] == shares
        first = to_messages(ep, upto=0)
        assert turns[0]["value"] == "\n\n".join(m["content"] for m in first)
