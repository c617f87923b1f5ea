"""`lightclaw eval`: report files that match their schema and the recorded episodes."""

from __future__ import annotations

from pathlib import Path

import pytest

from lightclaw.cli.main import main
from lightclaw.evals.report import EvalReport, report_schema
from lightclaw.store import Store
from lightclaw.suites.loader import load_suite

DOCS = Path(__file__).resolve().parents[2] / "docs" / "schema" / "report.schema.json"


def test_committed_report_schema_is_current() -> None:
    assert DOCS.read_text(encoding="utf-8") == report_schema(), (
        "run `uv run python -m lightclaw.evals.report` to regenerate docs/schema/report.schema.json"
    )


@pytest.fixture
def two_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], Path]:
    monkeypatch.setenv("LIGHTCLAW_HOME", str(tmp_path / "home"))
    tasks = load_suite("core").tasks[:8]
    path = tmp_path / "tasks.jsonl"
    path.write_text("".join(t.model_dump_json() + "\n" for t in tasks))
    for persona in ("oracle", "overcorrector"):
        assert main(["collect", "--suite", str(path), "--policy", f"scripted:{persona}"]) == 0
    with Store() as store:
        runs = [r.id for r in reversed(store.list_runs())]
    return runs, tmp_path


def test_eval_writes_reports_computed_from_the_record(
    two_runs: tuple[list[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    (_, over_run), tmp = two_runs
    out = tmp / "report"
    assert main(["eval", over_run, "--out", str(out)]) == 0
    report = EvalReport.model_validate_json((out / "report.json").read_text())
    assert (out / "report.md").read_text().startswith(f"# Eval report — run `{over_run}`")
    (group,) = report.metrics.groups
    with Store() as store:
        episodes = list(store.iter_episodes(over_run))
    succeeded = sum(ep.success is True for ep in episodes)
    assert group.task_success_rate.numerator == succeeded
    assert group.task_success_rate.denominator == len(episodes)
    failed_steps = sum(s.error_type is not None for ep in episodes for s in ep.steps)
    runtime = sum(g.count for g in report.failures if g.cases and g.cases[0].step is not None)
    assert runtime <= failed_steps
    assert all(
        case.replay.startswith("lightclaw replay ep_") for g in report.failures for case in g.cases
    )
    printed = capsys.readouterr().out
    assert "failure analysis" in printed and over_run in printed


def test_compare_shows_deltas_and_flipped_tasks(
    two_runs: tuple[list[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    (oracle_run, over_run), tmp = two_runs
    assert main(["eval", oracle_run, "--out", str(tmp / "r"), "--compare", over_run]) == 0
    printed = capsys.readouterr().out
    assert "task_success_rate" in printed and "tasks that flipped" in printed
    with Store() as store:
        good = {e.task_id for e in store.iter_episodes(oracle_run) if e.success}
        bad = {e.task_id for e in store.iter_episodes(over_run) if e.success is False}
    flipped = good & bad
    assert flipped  # the overcorrector breaks answers the oracle got right
    assert f"tasks that flipped: {len(flipped)}" in printed


def test_eval_unknown_run_is_exit_2(
    two_runs: tuple[list[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", "run_nope"]) == 2
    err = capsys.readouterr().err
    assert "run_nope" in err and err.count("\n") == 1
