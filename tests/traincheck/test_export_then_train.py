"""The loop's promise: data exported from recorded runs trains with TRL without glue.

`lightclaw export` on a real store, then `lightclaw train-check --steps 1`: one real SFTTrainer,
DPOTrainer and GRPOTrainer step on the exported train files (GRPO scored by lightclaw.rewards),
SFT and DPO evaluated on the test files.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from lightclaw.cli.main import main

pytest.importorskip("trl", reason="the train extra is not installed (./dev test installs it)")


@pytest.mark.train
def test_exported_data_trains_one_step_per_trainer(
    persona_db: Path,
    traincheck_cache: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(persona_db, home / "lightclaw.db")
    monkeypatch.setenv("LIGHTCLAW_HOME", str(home))
    out = tmp_path / "data"
    argv = ["export", "--out", str(out), "--formats", "sft,dpo,grpo",
            "--policy", "scripted:sloppy", "--test-fraction", "0.3"]  # fmt: skip
    assert main(argv) == 0
    report = tmp_path / "check.json"
    code = main(["train-check", str(out), "--steps", "1", "--max-length", "4096",
                 "--json", str(report)])  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0, printed[-3000:]
    data = json.loads(report.read_text())
    trained = {r["trainer"]: r for r in data["training"]}
    assert set(trained) == {"SFTTrainer", "DPOTrainer", "GRPOTrainer"}, trained.keys()
    for result in trained.values():  # finite loss, and the model really changed
        assert result["error"] is None and result["finite"], result
        assert result["params_changed"] > 0 and len(result["losses"]) == 1, result
    for name in ("SFTTrainer", "DPOTrainer"):  # and the test split evaluates
        assert trained[name]["eval_file"].endswith("test.jsonl"), trained[name]
        assert math.isfinite(trained[name]["eval_loss"]), trained[name]
    assert all(c["loaded"] == c["expected"] for c in data["configs"]), data["configs"]
