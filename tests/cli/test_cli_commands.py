"""CLI behaviour a user relies on: exit codes, one-line errors, nothing lost on bad input."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from lightclaw.cli.main import main
from lightclaw.schema import FORMAT_VERSION
from lightclaw.store import Store
from lightclaw.suites.loader import load_suite


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0, err
    return err


def test_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert "collect" in capsys.readouterr().out
    assert main(["version"]) == 0
    assert f"trajectory format {FORMAT_VERSION}" in capsys.readouterr().out


def test_unknown_suite_persona_and_run_exit_2_listing_choices(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["collect", "--suite", "nope", "--policy", "scripted:oracle"]) == 2
    assert "core" in one_line_error(capsys)
    assert main(["collect", "--policy", "scripted:genius"]) == 2
    err = one_line_error(capsys)
    assert "genius" in err and "oracle" in err and "sloppy" in err
    assert main(["runs", "show", "run_missing"]) == 2
    assert "run_missing" in one_line_error(capsys)
    assert main(["replay", "ep_missing"]) == 2
    one_line_error(capsys)
    with Store() as store:
        assert store.list_runs() == []  # nothing was written


def test_malformed_task_file_names_file_line_and_field(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = load_suite("core").tasks[0].model_dump(mode="json")
    bad = dict(good, id="second")
    del bad["prompt"]
    path = tmp_path / "tasks.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    assert main(["collect", "--suite", str(path), "--policy", "scripted:oracle"]) == 2
    err = one_line_error(capsys)
    assert f"{path}:2" in err and "prompt" in err
    with Store() as store:
        assert store.list_runs() == []


def test_collect_user_task_file_and_runs_commands(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = load_suite("core").tasks[:3]
    path = tmp_path / "mine.jsonl"
    path.write_text("".join(t.model_dump_json() + "\n" for t in tasks))
    argv = ["collect", "--suite", str(path), "--policy", "scripted:oracle", "--trials", "2"]
    assert main(argv) == 0
    with Store() as store:
        (run,) = store.list_runs()
        assert run.episodes == 6 and run.status == "complete"
    capsys.readouterr()
    assert main(["runs", "list"]) == 0
    assert run.id in capsys.readouterr().out
    assert main(["runs", "show", run.id]) == 0
    assert "scripted:oracle" in capsys.readouterr().out


def test_replay_detects_a_record_that_differs(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = load_suite("core").tasks[:1]
    path = tmp_path / "one.jsonl"
    path.write_text(tasks[0].model_dump_json() + "\n")
    assert main(["collect", "--suite", str(path), "--policy", "scripted:sloppy"]) == 0
    with Store() as store:
        (ep,) = store.iter_episodes()
    assert main(["replay", ep.id]) == 0
    assert "identical" in capsys.readouterr().out
    # tamper with the stored record: claim the first step produced a different error
    db = sqlite3.connect(home / "lightclaw.db")
    (record,) = db.execute("SELECT record FROM episodes WHERE id = ?", (ep.id,)).fetchone()
    stored = json.loads(record)
    step = stored["steps"][0]
    step["error_type"] = "timeout" if step["error_type"] != "timeout" else "tool_error"
    db.execute("UPDATE episodes SET record = ? WHERE id = ?", (json.dumps(stored), ep.id))
    db.commit()
    db.close()
    assert main(["replay", ep.id]) == 1
    assert "differs" in capsys.readouterr().out


def test_piped_output_has_no_progress_bar(home: Path) -> None:
    env = dict(os.environ, LIGHTCLAW_HOME=str(home))
    proc = subprocess.run(
        [sys.executable, "-m", "lightclaw.cli.main", "collect", "--policy", "scripted:oracle"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert "\x1b[" not in proc.stdout + proc.stderr  # no terminal control codes when piped
    assert proc.stderr == ""


def test_replay_re_execute_runs_the_tools_again(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    task = next(t for t in load_suite("core").tasks if t.expected_state is not None)
    path = tmp_path / "one.jsonl"
    path.write_text(task.model_dump_json() + "\n")
    assert main(["collect", "--suite", str(path), "--policy", "scripted:oracle"]) == 0
    with Store() as store:
        (ep,) = store.iter_episodes()
    assert main(["replay", ep.id, "--re-execute", "--quiet"]) == 0
    assert "identical" in capsys.readouterr().out
    # a tool whose behaviour changed since the record: the re-executed output differs
    db = sqlite3.connect(home / "lightclaw.db")
    (record,) = db.execute("SELECT record FROM episodes WHERE id = ?", (ep.id,)).fetchone()
    stored = json.loads(record)
    stored["final_state"] = {"tampered": True}
    db.execute("UPDATE episodes SET record = ? WHERE id = ?", (json.dumps(stored), ep.id))
    db.commit()
    db.close()
    assert main(["replay", ep.id]) == 0  # recorded-output replay does not look at the state
    assert main(["replay", ep.id, "--re-execute"]) == 1
    assert "final_state" in capsys.readouterr().out
