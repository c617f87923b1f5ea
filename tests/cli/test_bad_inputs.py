"""The bad-input corpus (tests/cli/bad_inputs.md), one case per row id, through the real CLI.

Every case asserts the exit code, exactly one line on stderr starting ``lightclaw: error:`` for a
failure, no traceback anywhere, and an unchanged store (sha256) — or, where the command may write,
that nothing already recorded was lost. The cases are in bad_input_cases.py (user input),
bad_input_cases_store.py (stores, homes, exports) and bad_input_flows.py (mounts and signals); the
selected ones run at once on all CPUs, then each test checks its own.
"""

from __future__ import annotations

import errno
import sqlite3

import pytest
from bad_input_cases import CASES as INPUT_CASES
from bad_input_cases_store import CASES as STORE_CASES
from bad_input_corpus import (
    EXTRA,
    SPECIAL,
    Case,
    Corpus,
    Flow,
    corpus_ids,
    verify,
)
from bad_input_flows import CASES as SPECIAL_CASES

from lightclaw.cli.main import main

ALL: dict[str, Case | Flow] = {**INPUT_CASES, **STORE_CASES, **SPECIAL_CASES}


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return Corpus(tmp_path_factory.mktemp("bad-inputs"), ALL)


def test_every_row_id_of_the_corpus_is_a_case() -> None:
    ids = corpus_ids()
    assert len(ids) == len(set(ids)) == 157
    assert set(ids) | set(EXTRA) == set(ALL)
    assert set(SPECIAL_CASES) == set(SPECIAL)
    assert len(ALL) == len(INPUT_CASES) + len(STORE_CASES) + len(SPECIAL_CASES)


@pytest.mark.parametrize("case_id", sorted(ALL))
def test_bad_input(case_id: str, corpus: Corpus, request: pytest.FixtureRequest) -> None:
    selected = [
        item.callspec.params["case_id"]
        for item in request.session.items
        if hasattr(item, "callspec") and item.callspec.params.get("case_id") in ALL
    ]
    corpus.run_all(selected)  # every selected case at once, on all CPUs
    case, place = ALL[case_id], corpus.place(case_id)
    try:
        result = corpus.result(case_id)
        if isinstance(case, Case):
            assert result is not None
            verify(case, place, result)
    finally:
        if isinstance(case, Case):
            case.clean(place)


def _failing_runs(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> None:
    import lightclaw.cli.runs as runs_cli

    def runs(args: object) -> int:
        raise exc

    monkeypatch.setattr(runs_cli, "runs", runs)


@pytest.mark.parametrize(
    "exc",
    [
        sqlite3.OperationalError("no such table: nowhere"),  # LightClaw's own SQL is wrong
        sqlite3.ProgrammingError("Cannot operate on a closed database."),
        FileNotFoundError(errno.ENOENT, "No such file or directory", "lost.json"),
        KeyError("task"),
    ],
)
def test_a_bug_still_fails_loudly(
    exc: BaseException, home: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    _failing_runs(monkeypatch, exc)
    with pytest.raises(type(exc)):
        main(["runs", "list"])


@pytest.mark.parametrize(
    ("exc", "says"),
    [
        (OSError(errno.ENOSPC, "No space left on device", "/data/x"), "/data/x: the disk is full"),
        (OSError(errno.EROFS, "Read-only file system", "/data/x"), "the file system is read-only"),
        (PermissionError(errno.EACCES, "Permission denied", "/data/x"), "permission denied"),
    ],
)
def test_an_environment_failure_is_one_line_and_exit_1(
    exc: OSError,
    says: str,
    home: object,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _failing_runs(monkeypatch, exc)
    assert main(["runs", "list"]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("lightclaw: error: ") and says in line
