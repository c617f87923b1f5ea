"""Reward weights from TOML: overrides, and errors that name the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from lightclaw.errors import UserError
from lightclaw.verify.config import load_weights, weights_from_toml
from lightclaw.verify.reward import COMPONENTS, DEFAULT_WEIGHTS


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lightclaw.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_overrides_merge_with_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "[run]\nsuite = 'core'\n\n[reward.weights]\ntask_success = 2\nlatency_proxy = 0.0\n",
    )
    weights = load_weights(path)
    assert set(weights) == set(COMPONENTS)
    assert weights["task_success"] == 2.0
    assert weights["latency_proxy"] == 0.0
    assert weights["recovery"] == DEFAULT_WEIGHTS["recovery"]


def test_unknown_weight_names_the_key_and_the_valid_ones(tmp_path: Path) -> None:
    path = write(tmp_path, "[reward.weights]\ntask_sucess = 1.0\n")
    with pytest.raises(UserError) as caught:
        load_weights(path)
    message = str(caught.value)
    assert "'task_sucess'" in message
    assert str(path) in message
    assert all(name in message for name in COMPONENTS)
    assert caught.value.exit_code == 2
    assert "\n" not in message


def test_unknown_reward_key(tmp_path: Path) -> None:
    path = write(tmp_path, "[reward]\nscale = 2\n[reward.weights]\ntask_success = 1\n")
    with pytest.raises(UserError, match=r"unknown key 'reward\.scale'"):
        load_weights(path)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[reward.weights]\nrecovery = 'high'\n", "'recovery' must be a number"),
        ("[reward.weights]\nrecovery = true\n", "'recovery' must be a number"),
        ("[reward.weights]\nrecovery = nan\n", "'recovery' must be finite"),
        ("[rewards.weights]\nrecovery = 1\n", r"no \[reward.weights\] table"),
        ("[reward]\nweights = 3\n", r"no \[reward.weights\] table"),
        ("[reward.weights\nrecovery = 1\n", "invalid TOML.*line 1"),
    ],
)
def test_bad_values_and_files(text: str, problem: str) -> None:
    with pytest.raises(UserError, match=problem):
        weights_from_toml(text, "cfg.toml")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        load_weights(tmp_path / "nope.toml")
    with pytest.raises(UserError, match="is a directory"):
        load_weights(tmp_path)
