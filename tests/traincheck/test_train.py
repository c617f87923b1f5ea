"""train-check --steps: one real SFTTrainer, DPOTrainer and GRPOTrainer step on exported rows."""

from __future__ import annotations

import argparse
import json
import math
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from lightclaw.cli.main import build_parser

pytest.importorskip("torch", reason="needs the train extra (./dev test installs it)")
pytest.importorskip("trl", reason="needs the train extra (./dev test installs it)")

from traincheck_data import export_dir, seal

from lightclaw.cli import traincheck as cli

pytestmark = pytest.mark.train


@pytest.fixture
def cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    old = os.environ.get("LIGHTCLAW_CACHE")
    os.environ["LIGHTCLAW_CACHE"] = str(tmp_path_factory.getbasetemp() / "lightclaw-train-cache")
    yield
    if old is None:
        os.environ.pop("LIGHTCLAW_CACHE", None)
    else:
        os.environ["LIGHTCLAW_CACHE"] = old


def _args(directory: Path, out: Path, steps: int) -> argparse.Namespace:
    return build_parser().parse_args(
        [
            "train-check",
            str(directory),
            "--steps",
            str(steps),
            "--max-length",
            "1024",
            "--json",
            str(out),
        ]
    )


def test_one_step_of_each_trainer_has_finite_loss_and_changes_the_model(
    tmp_path: Path, cache: None, capsys: pytest.CaptureFixture[str]
) -> None:
    root = export_dir(tmp_path / "out")
    code = cli.run(_args(root, tmp_path / "report.json", steps=1))
    printed = capsys.readouterr().out
    report = json.loads((tmp_path / "report.json").read_text())
    runs = {t["trainer"]: t for t in report["training"]}
    assert set(runs) == {"SFTTrainer", "DPOTrainer", "GRPOTrainer"}, runs
    for name, run in runs.items():
        assert run["error"] is None, (name, run["error"])
        assert run["steps"] == 1 and len(run["losses"]) == 1
        assert all(math.isfinite(x) for x in run["losses"])
        assert 0 < run["params_changed"] <= run["params_total"], name
        assert f"PASS  {name} x1" in printed
    assert code == 0 and "train-check: ok" in printed


def test_a_trainer_without_its_file_is_noted_not_run(tmp_path: Path, cache: None) -> None:
    root = export_dir(tmp_path / "out")
    (root / "dpo_train.jsonl").unlink()
    (root / "grpo_train.jsonl").unlink()
    seal(root, {"sft_train.jsonl": "trl-sft"})
    code = cli.run(_args(root, tmp_path / "report.json", steps=1))
    report = json.loads((tmp_path / "report.json").read_text())
    assert [t["trainer"] for t in report["training"]] == ["SFTTrainer"]
    assert any("DPOTrainer: no valid dpo file" in n for n in report["notes"])
    assert code == 0
