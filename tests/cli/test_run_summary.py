"""The collect/demo run summary shows episodes whose verifier crashed as unjudged, not as
failures, exactly as ``eval`` counts them (task_success_rate over judged episodes)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from rich.console import Console

from lightclaw.cli.main import main
from lightclaw.cli.render import print_summary
from lightclaw.evals.report import build_report
from lightclaw.rollouts.summary import summarize
from lightclaw.store import Store
from lightclaw.suites.loader import load_suite

# passes the oracle's own answer; any other answer makes it raise (a verifier bug)
VERIFIER = """
def strict(task, episode):
    oracle = task.oracle[-1][-1].content
    if episode.final_answer != oracle:
        raise RuntimeError(f"cannot parse {episode.final_answer!r}")
    return True
"""


def python_verified_tasks(tmp_path: Path) -> Path:
    """Three core tasks judged only by a Python verifier (no expected calls), so that a
    persona's different answer reaches the verifier and crashes it."""
    checks = tmp_path / "checks.py"
    checks.write_text(VERIFIER)
    tasks = [t for t in load_suite("core").tasks if t.expected_answer is not None][:3]
    path = tmp_path / "tasks.jsonl"
    with path.open("w") as handle:
        for task in tasks:
            row = json.loads(task.model_dump_json())
            row.update(answer_match="python", verifier=f"{checks}:strict", expected_answer=None,
                       expected_calls=[])  # fmt: skip
            handle.write(json.dumps(row) + "\n")
    return path


def test_crashed_verifier_episodes_are_unjudged_in_the_summary(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["collect", "--suite", str(python_verified_tasks(tmp_path)),
            "--policy", "scripted:oracle", "--policy", "scripted:stubborn"]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    with Store() as store:
        (run,) = store.list_runs()
        episodes = list(store.iter_episodes(run.id))
        rows = {r.policy: r for r in summarize(store, run.id)}
        metrics = {g.policy: g for g in build_report(store, run.id).metrics.groups}
    stubborn = [ep for ep in episodes if ep.policy == "scripted:stubborn"]
    crashed = sum(ep.success is None for ep in stubborn)
    assert crashed > 0  # the verifier raised on the persona's give-up answer
    assert rows["scripted:stubborn"].unjudged == crashed
    assert rows["scripted:stubborn"].succeeded == sum(ep.success is True for ep in stubborn)
    assert rows["scripted:oracle"].unjudged == 0 and rows["scripted:oracle"].succeeded == 3
    for policy, row in rows.items():  # the same counts as eval's task_success_rate
        rate = metrics[policy].task_success_rate
        assert (row.succeeded, row.episodes - row.unjudged) == (rate.numerator, rate.denominator)
        assert metrics[policy].unjudged == row.unjudged
    assert "unjudged" in printed and "the verifier failed" in printed  # collect's own summary
    with Store() as store:
        wide = Console(width=120, file=io.StringIO(), color_system=None)
        print_summary(store, run.id, wide)
    printed = wide.file.getvalue()  # type: ignore[attr-defined]
    judged = len(stubborn) - crashed
    line = next(x for x in printed.splitlines() if x.startswith("scripted:stubborn"))
    header = next(x for x in printed.splitlines() if x.startswith("policy"))
    assert header.split()[:3] == ["policy", "episodes", "success"] and "unjudged" in header
    assert re.match(rf"scripted:stubborn\s+3\s+0/{judged}\s+{crashed}\s", line), line
    assert "unjudged: the verifier failed" in printed
