"""Token lengths in the data card (with the consumers' default limits, or a note when the train
extra is absent) and metric floats that load exactly as written."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from lightclaw.export import card as card_module
from lightclaw.export.card import DataCard
from lightclaw.export.formats import run_export
from lightclaw.export.lengths import LIMITS, TRL_DPO, RowLength, summarize
from lightclaw.export.pool import Selection
from lightclaw.export.rows import DECIMALS, RowMeta, lossless
from lightclaw.store import Store


def test_default_limits_count_truncated_and_dropped_rows() -> None:
    lengths = [
        RowLength(500, prompt=300),
        RowLength(1024, prompt=900),  # exactly at the limit: kept whole
        RowLength(1300, prompt=700),  # the completion is cut
        RowLength(1500, prompt=1024),  # the prompt alone fills max_length: TRL drops it
    ]
    stats = summarize("trl-dpo", lengths)
    (dpo,) = stats.limits
    assert (dpo.setting, dpo.value) == (TRL_DPO.setting, 1024)
    assert (dpo.over, dpo.dropped, dpo.truncated) == (2, 1, 1)
    assert (stats.min, stats.p50, stats.max, stats.rows) == (500, 1024, 1500, 4)
    (sft,) = summarize("trl-sft", lengths).limits
    assert (sft.over, sft.dropped, sft.truncated) == (2, 0, 2)  # SFT truncates, never drops
    assert summarize("trl-grpo", lengths).limits == []  # TRL 1.16 has no prompt limit


def test_the_card_measures_every_file_a_trainer_tokenizes(
    demo_store: Store, tmp_path: Path
) -> None:
    pytest.importorskip("transformers", reason="needs the train extra (./dev test installs it)")
    out = tmp_path / "data"
    run_export(demo_store, Selection(attempt=1), out, ["sft", "llamafactory", "dpo", "grpo"])
    card = DataCard.model_validate_json((out / "data_card.json").read_text())
    assert card.token_counting.measured and "SmolLM2" in card.token_counting.note
    for f in card.files:
        if f.format not in LIMITS:
            assert f.token_lengths is None
            continue
        t = f.token_lengths
        assert t is not None and t.rows == f.rows and 0 < t.min <= t.p50 <= t.p95 <= t.max
        assert [lim.value for lim in t.limits] == [lim.value for lim in LIMITS[f.format]]
    by_path = {f.path: f for f in card.files}
    sft = by_path["sft/train.jsonl"].token_lengths
    assert sft is not None and sft.limits[0].truncated > 0  # the demo's rows exceed 1024
    dpo = by_path["dpo/train.jsonl"].token_lengths
    assert dpo is not None and dpo.limits[0].dropped > 0  # prompts that alone fill 1024
    readme = (out / "README.md").read_text()
    assert "## Token lengths" in readme and "TRL DPOTrainer DPOConfig.max_length=1024" in readme


def test_the_card_is_built_without_the_train_extra(
    demo_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(card_module, "missing_packages", lambda: ["transformers", "gguf"])
    out = tmp_path / "data"
    run_export(demo_store, Selection(policy="scripted:oracle"), out, ["sft", "dpo"])
    card = DataCard.model_validate_json((out / "data_card.json").read_text())
    assert not card.token_counting.measured
    assert "train extra is not installed (transformers, gguf missing)" in card.token_counting.note
    assert all(f.token_lengths is None for f in card.files)
    assert "not measured: the train extra is not installed" in (out / "README.md").read_text()


def test_metric_floats_are_rounded_so_json_loaders_keep_them() -> None:
    assert lossless(1.1950000000000003) == 1.195
    assert lossless(-0.010000000000000002) == -0.01
    meta = RowMeta.model_validate(
        {
            "episode_id": "e",
            "run_id": "r",
            "task_id": "t",
            "suite": "s",
            "policy": "p",
            "source": "deterministic",
            "split": "train",
            "sample_type": "trajectory",
            "reward": 1.2900000000000003,
            "success": True,
            "outcome": "final_answer",
            "n_steps": 1,
        }
    )
    assert meta.reward == 1.29
    # the datasets JSON reader re-encodes mixed-type files with at most DECIMALS decimals
    assert f"{lossless(2 / 3):.{DECIMALS}f}".rstrip("0") == repr(lossless(2 / 3))


def test_exported_rows_load_with_datasets_exactly_as_written(
    demo_store: Store, tmp_path: Path
) -> None:
    datasets = pytest.importorskip("datasets", reason="needs the train extra")
    out = tmp_path / "data"
    run_export(
        demo_store, Selection(), out, ["sft", "dpo", "selfcorrect", "spa"], token_lengths=False
    )
    for name in (
        "sft/train.jsonl",
        "dpo/train.jsonl",
        "selfcorrect/train.jsonl",
        "spa/train.jsonl",
    ):
        written = [json.loads(line) for line in (out / name).read_text().splitlines()]
        loaded = datasets.load_dataset(
            "json", data_files=str(out / name), split="train", cache_dir=str(tmp_path / "c")
        )
        for want, got in zip(written, loaded, strict=True):
            assert got["meta"]["reward"] == want["meta"]["reward"], name
            if name.startswith("spa/"):  # exact per-step shares still sum to the reward
                shares = [t["progress"] for t in got["turns"]]
                assert shares == [t["progress"] for t in want["turns"]]
                assert math.fsum(shares) == got["final_reward"] == sum(shares)
