"""A task whose oracle fails its own verifier is rejected when a suite is loaded for collection."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from lightclaw.errors import TaskFileError
from lightclaw.rollouts.collect import collect, start_run
from lightclaw.store import Store
from lightclaw.suites.bfcl import load_bfcl
from lightclaw.suites.loader import get_suite

BFCL = Path(__file__).resolve().parents[1] / "data" / "bfcl"


def task(task_id: str, date: str) -> dict[str, object]:
    """A weekday task expecting ``weekday_of(2026-07-04)``; its oracle asks about ``date``."""
    return {
        "id": task_id,
        "prompt": "What weekday is 2026-07-04?",
        "tools": ["weekday_of"],
        "expected_calls": [{"tool": "weekday_of", "arguments": {"date": ["2026-07-04"]}}],
        "expected_answer": "saturday",
        "answer_match": "contains",
        "oracle": [
            [{"kind": "tool_call", "tool": "weekday_of", "arguments": {"date": date}}],
            [{"kind": "final_answer", "content": "It is a Saturday."}],
        ],
    }


def write_jsonl(path: Path, tasks: list[dict[str, object]]) -> Path:
    lines = ["# two tasks", *(json.dumps(t) for t in tasks)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_failing_oracle_is_rejected_with_file_and_line(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "tasks.jsonl", [task("good", "2026-07-04"), task("bad", "2026-07-05")]
    )
    with Store(tmp_path / "lc.db") as store:
        with pytest.raises(TaskFileError) as info:
            start_run(store, str(path), ["scripted:oracle"])
        assert store.list_runs() == []  # nothing written
    error = info.value
    assert (error.path, error.line) == (str(path.resolve()), 3)  # line 1 is a comment
    assert "'bad'" in str(error) and "oracle solution fails its own verifier" in str(error)
    assert "'2026-07-05'" in str(error)


def test_a_file_whose_oracles_pass_is_collected(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "tasks.jsonl", [task("good", "2026-07-04")])
    with Store(tmp_path / "lc.db") as store:
        run = start_run(store, str(path), ["scripted:oracle"])
        assert store.get_run(run.id).suite == "tasks"


def test_an_oracle_that_never_answers_is_rejected(tmp_path: Path) -> None:
    silent = task("silent", "2026-07-04")
    silent["oracle"] = silent["oracle"][:1]  # type: ignore[index]  # no final answer
    path = write_jsonl(tmp_path / "tasks.yaml", [])
    path.write_text("- " + json.dumps(silent) + "\n", encoding="utf-8")
    with Store(tmp_path / "lc.db") as store, pytest.raises(TaskFileError) as info:
        start_run(store, str(path), ["scripted:oracle"])
    assert info.value.line == 1 and "model_error" in str(info.value)


def test_bfcl_questions_whose_own_answer_cannot_pass_are_left_out_and_recorded(
    tmp_path: Path,
) -> None:
    # docs/bfcl.md: two parallel_multiple answers break their own docs' types (upstream data the
    # user cannot fix): the run leaves them out, says which and why, and collects the rest
    path = BFCL / "BFCL_v4_parallel_multiple.json"
    suite = load_bfcl(path)
    with Store(tmp_path / "lc.db") as store:
        run = start_run(store, f"bfcl:{path}", ["scripted:oracle"])
        left_out = store.get_run(run.id).config.left_out
        assert set(left_out) == {"parallel_multiple_21", "parallel_multiple_94"}
        line = suite.lines["parallel_multiple_21"]
        assert left_out["parallel_multiple_21"].startswith(f"{path.resolve()}:{line}: ")
        snapshot = {s.task.id for s in store.run_tasks(run.id)}
        assert snapshot == {t.id for t in suite.tasks} - set(left_out)
        asyncio.run(collect(store, run, show_progress=False))
        episodes = list(store.iter_episodes(run.id))
    assert len(episodes) == len(suite.tasks) - 2 and all(e.success for e in episodes)


def test_a_whole_bfcl_file_whose_oracles_pass_is_collected(tmp_path: Path) -> None:
    path = BFCL / "BFCL_v4_simple_python.json"  # 400 questions, run against recording tools
    with Store(tmp_path / "lc.db") as store:
        run = start_run(store, f"bfcl:{path}", ["scripted:oracle"])
        assert len(store.run_tasks(run.id)) == 400


def test_built_in_suites_are_not_rechecked(tmp_path: Path) -> None:
    assert get_suite("core").source is None  # its oracles are tested task by task


def test_the_cli_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [task("bad", "2026-07-05")])
    done = subprocess.run(
        [sys.executable, "-m", "lightclaw.cli.main", "collect", "--suite", str(path),
         "--policy", "scripted:oracle"],
        capture_output=True, text=True, env={"LIGHTCLAW_HOME": str(tmp_path / "home"),
                                             "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"lightclaw: error: {path.resolve()}:2: task 'bad'")


def test_collect_notes_and_runs_show_lists_the_questions_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from lightclaw.cli.main import main

    monkeypatch.setenv("LIGHTCLAW_HOME", str(tmp_path / "home"))
    path = BFCL / "BFCL_v4_parallel_multiple.json"
    assert main(["collect", "--suite", f"bfcl:{path}", "--policy", "scripted:oracle"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("lightclaw: note: 2 question(s) left out of run ")
    with Store(tmp_path / "home" / "lightclaw.db") as store:
        run_id = store.list_runs()[0].id
    assert main(["runs", "show", run_id]) == 0
    shown = capsys.readouterr().out
    for task_id in ("parallel_multiple_21", "parallel_multiple_94"):
        assert f"left out: {task_id}: " in shown
