"""User-supplied Python verifiers, and verifier failures that are recorded, never scored 0."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError
from reward_builders import answer, make_episode, make_task, step, tool

from lightclaw.errors import TaskFileError
from lightclaw.schema import ErrorType, Task
from lightclaw.suites.loader import load_tasks
from lightclaw.verify.ground_truth import judge
from lightclaw.verify.reward import score

VERIFIERS = """
calls = []

def exact_miles(task, episode):
    calls.append(task.id)
    return episode.final_answer == "26.1 miles"

def with_message(task, episode):
    ok = "miles" in str(episode.final_answer)
    return ok, "mentions miles" if ok else "the answer names no unit"

def crashes(task, episode):
    raise KeyError("state.events")

def returns_text(task, episode):
    return "yes"
"""

GOOD_RUN = (step(0, tool("convert", value=42, unit="km")),)


@pytest.fixture
def verifier_file(tmp_path: Path) -> Path:
    path = tmp_path / "my_checks.py"
    path.write_text(VERIFIERS, encoding="utf-8")
    return path


def python_task(spec: str) -> Task:
    return make_task(answer_match="python", verifier=spec, expected_answer=None)


def test_file_verifier_passes_and_fails(verifier_file: Path) -> None:
    task = python_task(f"{verifier_file}:exact_miles")
    ok = judge(task, make_episode(*GOOD_RUN, answer(1, "26.1 miles")))
    assert ok.success and ok.verifier_error is None
    assert "exact_miles" in ok.message
    bad = judge(task, make_episode(*GOOD_RUN, answer(1, "26 miles")))
    assert not bad.success
    assert bad.error_type == ErrorType.WRONG_ANSWER
    assert bad.verifier_error is None


def test_verifier_message_is_the_verdict_message(verifier_file: Path) -> None:
    task = python_task(f"{verifier_file}:with_message")
    ok = judge(task, make_episode(*GOOD_RUN, answer(1, "26.1 miles")))
    assert ok.success and "mentions miles" in ok.message
    bad = judge(task, make_episode(*GOOD_RUN, answer(1, "26.1")))
    assert not bad.success
    assert bad.message == "the answer names no unit"


def test_module_function_spec(verifier_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(verifier_file.parent))
    task = python_task("my_checks:with_message")
    assert judge(task, make_episode(*GOOD_RUN, answer(1, "26.1 miles"))).success


def test_expected_calls_are_checked_before_the_verifier(verifier_file: Path) -> None:
    task = python_task(f"{verifier_file}:exact_miles")
    verdict = judge(task, make_episode(answer(0, "26.1 miles")))
    assert verdict.error_type == ErrorType.WRONG_TOOL


def test_a_raising_verifier_is_a_recorded_verifier_failure(verifier_file: Path) -> None:
    task = python_task(f"{verifier_file}:crashes")
    episode = make_episode(*GOOD_RUN, answer(1, "26.1 miles"))
    verdict = judge(task, episode)
    assert verdict.success is False
    assert verdict.error_type is None
    assert verdict.verifier_error == "KeyError: 'state.events'"
    assert "verifier failure" in verdict.message
    reward = score(task, episode)
    assert reward.components["task_success"] is None  # not a silent 0
    assert reward.scalar is None


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("{file}:returns_text", "returned str; expected a bool or (bool, message)"),
        ("{file}:no_such_function", "has no function 'no_such_function'"),
        ("{dir}/missing.py:check", "does not exist"),
        ("lightclaw_no_such_module:check", "failed to import: ModuleNotFoundError"),
        ("{file}", "is not 'module:function'"),
    ],
)
def test_broken_verifiers_are_verifier_failures(
    verifier_file: Path, spec: str, reason: str
) -> None:
    task = python_task(spec.format(file=verifier_file, dir=verifier_file.parent))
    verdict = judge(task, make_episode(*GOOD_RUN, answer(1, "26.1 miles")))
    assert not verdict.success and verdict.error_type is None
    assert verdict.verifier_error is not None
    assert reason in verdict.verifier_error


def test_a_verifier_module_that_fails_to_import(tmp_path: Path) -> None:
    path = tmp_path / "broken.py"
    path.write_text("raise RuntimeError('no config')\n", encoding="utf-8")
    verdict = judge(python_task(f"{path}:check"), make_episode(*GOOD_RUN, answer(1, "x")))
    assert verdict.verifier_error is not None
    assert "RuntimeError: no config" in verdict.verifier_error


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        # re's exception is re.error up to Python 3.12, re.PatternError from 3.13
        ({"expected_answer": "([", "answer_match": "regex"}, f"{re.error.__name__}: unterminated"),
        ({"expected_answer": "many", "answer_match": "numeric"}, "numeric expected_answer"),
    ],
)
def test_crashing_built_in_answer_checks_are_verifier_failures(
    changes: dict[str, str], reason: str
) -> None:
    verdict = judge(make_task(**changes), make_episode(*GOOD_RUN, answer(1, "26.1")))
    assert not verdict.success and verdict.error_type is None
    assert verdict.verifier_error is not None and reason in verdict.verifier_error


def test_python_and_verifier_go_together() -> None:
    with pytest.raises(ValidationError, match="needs a 'verifier'"):
        make_task(answer_match="python")
    with pytest.raises(ValidationError, match="only with answer_match 'python'"):
        make_task(verifier="mod:fn")


def test_task_file_with_python_but_no_verifier(tmp_path: Path) -> None:
    path = tmp_path / "tasks.yaml"
    path.write_text(
        "- id: a\n  prompt: p\n  tools: [convert]\n  answer_match: python\n"
        "  oracle: [[{kind: final_answer, content: x}]]\n",
        encoding="utf-8",
    )
    with pytest.raises(TaskFileError, match="needs a 'verifier'"):
        load_tasks(path)


def test_module_in_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cwd_checks_mod.py").write_text(VERIFIERS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    task = python_task("cwd_checks_mod:with_message")
    assert judge(task, make_episode(*GOOD_RUN, answer(1, "26.1 miles"))).success
