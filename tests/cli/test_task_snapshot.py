"""A run keeps the task definitions it was collected on: replay, resume, eval and export read
that snapshot, whatever the working directory and whatever happened to the task file since."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lightclaw.cli.main import main
from lightclaw.rollouts.collect import start_run
from lightclaw.store import Store
from lightclaw.suites.loader import load_suite


def _task_file(folder: Path) -> Path:
    tasks = [t for t in load_suite("core").tasks if t.id.startswith("units-")][:3]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "my_tasks.jsonl"
    path.write_text("".join(t.model_dump_json() + "\n" for t in tasks), encoding="utf-8")
    return path


def _collect(home: Path, path: Path, *policies: str) -> str:
    argv = ["collect", "--suite", path.name]
    for policy in policies:
        argv += ["--policy", policy]
    assert main(argv) == 0
    with Store(home / "lightclaw.db") as store:
        return store.list_runs()[0].id


def _episode(home: Path, run_id: str, policy: str) -> str:
    with Store(home / "lightclaw.db") as store:
        return next(e.id for e in store.iter_episodes(run_id) if e.policy == policy)


def test_replay_eval_export_from_another_directory(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    path = _task_file(work)
    monkeypatch.chdir(work)  # the suite is given as a relative path
    run_id = _collect(home, path, "scripted:sloppy")
    episode = _episode(home, run_id, "scripted:sloppy")
    monkeypatch.chdir("/")
    assert main(["replay", episode, "--quiet"]) == 0
    assert main(["eval", run_id, "--out", str(tmp_path / "report")]) == 0
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["tasks_note"] is None
    assert main(["export", "--out", str(tmp_path / "export"), "--formats", "sft,grpo"]) == 0
    rows = (tmp_path / "export" / "grpo" / "train.jsonl").read_text().splitlines()
    rows += (tmp_path / "export" / "grpo" / "test.jsonl").read_text().splitlines()
    assert {json.loads(r)["task_id"] for r in rows if r} == {
        t.id for t in load_suite(str(path)).tasks
    }


def test_an_edited_task_file_is_reported_never_used(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _task_file(tmp_path / "work")
    monkeypatch.chdir(path.parent)
    run_id = _collect(home, path, "scripted:oracle")
    episode = _episode(home, run_id, "scripted:oracle")
    # the user edits the file: every expected answer and prompt changes
    edited = [json.loads(line) for line in path.read_text().splitlines()]
    for task in edited:
        task["prompt"] = "something else entirely"
        task["expected_answer"] = -1
    path.write_text("".join(json.dumps(t) + "\n" for t in edited))
    capsys.readouterr()
    assert main(["replay", episode, "--quiet"]) == 0  # identical: the snapshot was replayed
    err = capsys.readouterr().err
    assert "changed since this run was collected" in err and str(path.resolve()) in err
    assert main(["eval", run_id, "--out", str(tmp_path / "report")]) == 0
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert "changed since this run was collected" in report["tasks_note"]
    assert "changed since this run was collected" in capsys.readouterr().err
    path.unlink()  # gone altogether: the snapshot is all there is, and it is enough
    assert main(["replay", episode, "--quiet"]) == 0
    assert "changed" not in capsys.readouterr().err


def test_resume_runs_the_snapshot_plan_not_the_edited_file(home: Path, tmp_path: Path) -> None:
    path = _task_file(tmp_path)
    with Store(home / "lightclaw.db") as store:
        run = start_run(store, str(path), ["scripted:oracle"], trials=2)
        planned = {t.id for t in load_suite(str(path)).tasks}
    path.write_text(path.read_text().splitlines()[0] + "\n")  # keep only the first task
    assert main(["collect", "--resume", run.id]) == 0
    with Store(home / "lightclaw.db") as store:
        episodes = list(store.iter_episodes(run.id))
    assert {e.task_id for e in episodes} == planned
    assert len(episodes) == 2 * len(planned)
    assert all(e.success for e in episodes)
