"""Every table LightClaw prints stays readable at 80 columns: no line is wider than the terminal
and no cell is cut with "…"; ids, numbers and replay commands appear whole."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rich.console import Console

from lightclaw.cli.eval import print_comparison, print_report
from lightclaw.cli.export import print_export
from lightclaw.cli.main import main
from lightclaw.cli.render import print_summary
from lightclaw.cli.runs import print_runs
from lightclaw.evals.compare import compare
from lightclaw.evals.report import RATES, EvalReport, build_report
from lightclaw.export.formats import run_export
from lightclaw.export.pool import Selection
from lightclaw.store import Store

WIDTH = 80
COMMAND = re.compile(r"^(next:)?\s*\S.* (replay ep_\w+|runs show run_\w+|eval run_\w+)$")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A demo run, a second run of two personas (for --compare) and a two-attempt run."""
    home = tmp_path_factory.mktemp("narrow")
    mp = pytest.MonkeyPatch()
    mp.setenv("LIGHTCLAW_HOME", str(home))
    try:
        assert main(["demo"]) == 0
        argv = ["collect", "--policy", "scripted:oracle", "--policy", "scripted:overcorrector"]
        assert main(argv) == 0
        two = ["eval", "--protocol", "two-attempt", "--policy", "scripted:overcorrector",
               "--out", str(home / "two")]  # fmt: skip
        assert main(two) == 0
        with Store(home / "lightclaw.db") as opened:
            yield opened
    finally:
        mp.undo()


def render(draw: Callable[[Console], None]) -> str:
    out = Console(width=WIDTH, file=io.StringIO(), highlight=False, color_system=None)
    draw(out)
    text = out.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(text, str)
    return text


def assert_readable(text: str) -> None:
    assert "…" not in text, text
    for line in text.splitlines():
        if COMMAND.match(line):
            continue  # a command line prints whole, never wrapped (the terminal may fold it)
        assert len(line) <= WIDTH, f"{len(line)} columns: {line!r}"


def runs_of(store: Store) -> tuple[str, str, str]:
    two, collected, demo = (r.id for r in store.list_runs() if r.suite == "core")
    return demo, collected, two


def test_run_summary_fits(store: Store) -> None:
    demo, _, _ = runs_of(store)
    text = render(lambda out: print_summary(store, demo, out))
    assert_readable(text)
    stubborn = next(line for line in text.splitlines() if line.startswith("scripted:stubborn"))
    assert re.search(r"\b59\s+0/59\b", stubborn), stubborn
    for policy in ("scripted:overcorrector", "scripted:hallucinator", "scripted:flaky"):
        assert re.search(rf"^{policy}\s", text, re.M), policy
    assert "redundant_call 262" in text and "unknown_tool 38" in text


def test_eval_report_and_failure_analysis_fit(store: Store) -> None:
    demo, _, _ = runs_of(store)
    report = build_report(store, demo)
    text = render(lambda out: print_report(report, out))
    assert_readable(text)
    for g in report.metrics.groups:  # every group, every rate's counts
        assert g.policy is not None and g.policy in text
        for name in RATES:
            rate = getattr(g, name)
            assert f"{rate.numerator}/{rate.denominator}" in text
    for group in report.failures:
        case = group.cases[0]
        assert re.search(rf"^{group.error_type}\s+{group.count}\s", text, re.M), group.error_type
        assert f"{group.error_type}: {case.task_id} ({case.policy}" in text
        replay = next(line for line in text.splitlines() if line.endswith(case.episode_id))
        assert replay.strip().endswith(f"replay {case.episode_id}"), replay


def test_two_attempt_table_fits(store: Store) -> None:
    _, _, two = runs_of(store)
    report = build_report(store, two)
    assert report.two_attempt
    text = render(lambda out: print_report(report, out))
    assert_readable(text)
    (m,) = report.two_attempt
    for value in (f"{m.acc_t1:.3f}", f"{m.acc_t2:.3f}", f"{m.delta:+.3f}", str(m.pairs)):
        assert value in text


def test_comparison_fits(store: Store) -> None:
    demo, collected, _ = runs_of(store)
    base, other = build_report(store, demo), build_report(store, collected)
    text = render(lambda out: print_comparison(store, base, other, out))
    assert_readable(text)
    result = compare(store, base, other)
    assert result.deltas and f"tasks that flipped: {len(result.flipped)}" in text
    for d in result.deltas:
        assert d.group in text
        shown = "n/a" if d.delta is None else re.escape(f"{d.delta:+.3f}")
        assert re.search(rf"^{d.metric}\s.*\s{shown}\b", text, re.M), d


def test_export_table_fits(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # paths print relative to the current directory
    demo, _, _ = runs_of(store)
    target = tmp_path / "export"
    manifest, card = run_export(store, Selection(runs=[demo]), target)
    text = render(lambda out: print_export(target, manifest, card, out))
    assert_readable(text)
    for f in manifest.files:
        assert re.search(rf"^{re.escape(f.path)}\s+{f.format}\s+{f.split}\s+{f.rows}\s", text, re.M)


def test_runs_list_fits(store: Store) -> None:
    rows = store.list_runs()
    text = render(lambda out: print_runs(store.path, rows, out))
    assert_readable(text)
    for r in rows:
        assert re.search(rf"^{r.id}\s.*\s{r.episodes}\s+{r.steps}$", text, re.M), r.id
    for policy in rows[-1].policy.split(","):  # the demo's seven personas, none cut
        assert policy in text


def test_piped_demo_and_runs_show_at_80_columns(tmp_path: Path) -> None:
    """The whole demo through a pipe with COLUMNS=80 (the console honours it), from a directory
    with the default data folder: every line fits except whole command lines."""
    env = {k: v for k, v in os.environ.items() if k != "LIGHTCLAW_HOME"}
    env["COLUMNS"] = str(WIDTH)

    def cli(*argv: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "lightclaw.cli.main", *argv],
            cwd=tmp_path, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    demo = cli("demo")
    assert_readable(demo)
    with Store(tmp_path / "lightclaw-data" / "lightclaw.db") as store:
        run = next(r for r in store.list_runs() if r.suite == "core")
        report = EvalReport.model_validate_json(
            (tmp_path / "lightclaw-data" / "reports" / run.id / "report.json").read_text()
        )
    for group in report.failures:
        assert f"replay {group.cases[0].episode_id}" in demo
    shown = cli("runs", "show", run.id)
    assert_readable(shown)
    assert "scripted:overcorrector" in shown and "redundant_call 262" in shown


def test_train_check_tables_fit() -> None:
    from lightclaw.cli.traincheck import print_report_tables
    from lightclaw.export.lengths import LimitCount, TokenLengths
    from lightclaw.traincheck import FileCheck, TrainCheckReport
    from lightclaw.traincheck.report import TemplateCheck

    limit = LimitCount(trainer="TRL DPOTrainer", setting="DPOConfig.max_length", value=1024,
                       source="trl", over=91, dropped=57, truncated=34)  # fmt: skip
    lengths = TokenLengths(measured="all rows", rows=195, p50=977, p95=1780, max=2287,
                           limits=[limit])  # fmt: skip
    smollm2 = TemplateCheck(template="smollm2", tool_aware=False, rows_rendered=195,
                            rows_checked=195, lost_tool_calls=195, lost_arguments=193,
                            lost_tools=195, use_instead="qwen2.5-tools")  # fmt: skip
    files = [
        FileCheck(path="spa/progress_estimator_train.json", format="spa-rl-progress",
                  kind="json", rows=263, loaded=263),
        FileCheck(path="llamafactory/dpo_train.jsonl", format="llamafactory-ranking",
                  kind="jsonl", rows=195, loaded=190, invalid=3, altered=2,
                  templates=[smollm2], token_lengths=lengths),
    ]  # fmt: skip
    report = TrainCheckReport(directory="/tmp/export/run_01a2420e3a04ecb74c36",
                              max_length=2048, files=files)  # fmt: skip
    text = render(lambda out: print_report_tables(report, out))
    assert_readable(text)
    for whole in (
        "spa/progress_estimator_train.json",
        "llamafactory-ranking",
        "263",
        "977/1780/2287",
        "DPOConfig.max_length=1024",
        "qwen2.5-tools",
        "3 invalid",
        "2 altered",
        "190 loaded",
        "run_01a2420e3a04ecb74c36",
    ):
        assert whole in text, whole
