"""`lightclaw export`, `spa` and `pipeline`: what a user runs, with its bad-input answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lightclaw.cli.main import main
from lightclaw.export.card import iter_rows


def test_export_writes_every_format_and_a_card_that_matches_the_files(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "data"
    assert main(["export", "--out", str(out)]) == 0
    card = json.loads((out / "data_card.json").read_text())
    for name in ("sft", "dpo", "grpo", "verl", "selfcorrect", "spa", "llamafactory"):
        assert (out / name).is_dir(), name
    for entry in card["files"]:
        path = out / entry["path"]
        kind = {".parquet": "parquet", ".json": "json"}.get(path.suffix, "jsonl")
        assert sum(1 for _ in iter_rows(path, kind)) == entry["rows"], entry["path"]
    readme = (out / "README.md").read_text()
    assert readme.startswith("---\n") and "configs:" in readme
    printed = capsys.readouterr().out
    assert "filters:" in printed and "dedupe" in printed


def test_export_refuses_a_non_empty_directory_unless_overwrite(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "data"
    assert main(["export", "--out", str(out), "--formats", "sft"]) == 0
    capsys.readouterr()
    assert main(["export", "--out", str(out), "--formats", "sft"]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main(["export", "--out", str(out), "--formats", "sft", "--overwrite"]) == 0


def test_bad_selection_and_format_exit_2(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["export", "--out", str(tmp_path / "a"), "--policy", "scripted:nobody"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "policy" in err and err.count("\n") == 1
    assert main(["export", "--out", str(tmp_path / "b"), "--formats", "sft,csv"]) == 2
    assert "csv" in capsys.readouterr().err


def test_spa_command(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "spa"
    assert main(["spa", "--out", str(out), "--estimator", "uniform"]) == 0
    rows = [json.loads(line) for line in (out / "spa" / "train.jsonl").read_text().splitlines()]
    assert rows and all(r["estimator"] == "uniform" for r in rows)


def test_pipeline_collects_exports_and_evaluates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LIGHTCLAW_HOME", str(tmp_path))
    argv = ["pipeline", "--policy", "scripted:oracle", "--policy", "scripted:sloppy",
            "--formats", "sft,grpo", "--out", str(tmp_path / "ds")]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "1/4 collect" in printed and "4/4 eval" in printed and "written:" in printed
    assert (tmp_path / "ds" / "sft" / "train.jsonl").is_file()
    assert (tmp_path / "ds" / "grpo" / "train.jsonl").is_file()
    assert list((tmp_path / "reports").glob("*/report.json"))


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (["--max-steps", "0"], "--max-steps: Input should be greater than or equal to 1 (got 0)"),
        (["--test-fraction", "2"], "test fraction must be in [0, 1) (got 2.0)"),
    ],
)
def test_out_of_range_filters_are_one_line_user_errors(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], says: str
) -> None:
    """Bad input F10: `--max-steps 0` printed a pydantic ValidationError traceback."""
    for command in (["export", "--out", str(tmp_path / "x")], ["pipeline"]):
        assert main([*command, *flags]) == 2
        err = capsys.readouterr().err
        assert err == f"lightclaw: error: {says}\n"
    assert not (tmp_path / "x").exists() and not (home / "reports").exists()


def test_spa_help_says_what_the_split_is(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "split exactly over the steps (equal or error-" in text
    assert "SPA-RL's progress estimator" in text and "progress rewards" not in text
