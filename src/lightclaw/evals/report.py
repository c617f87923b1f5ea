"""The eval report of a run: SPEC §3 metrics, failure analysis, sources — as JSON and Markdown.

``report.json`` follows :class:`EvalReport` (its JSON Schema is committed as
``docs/schema/report.schema.json``); ``report.md`` is the same content for people.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from lightclaw.errors import UserError
from lightclaw.evals.failures import FailureGroup, analyse_failures
from lightclaw.evals.metrics import GroupMetrics, MetricsReport, Rate, compute_metrics
from lightclaw.evals.recruiting import RecruitingReport, recruiting_markdown, recruiting_report
from lightclaw.evals.two_attempt import TwoAttemptMetrics, two_attempt_metrics
from lightclaw.files import environment_failure, shown
from lightclaw.rollouts.tasks import run_suite
from lightclaw.suites.recruiting.tasks import is_recruiting, parse_spec

if TYPE_CHECKING:
    from pathlib import Path

    from lightclaw.store import Store

REPORT_VERSION = 1
RATES = (
    "task_success_rate",
    "tool_execution_success_rate",
    "invalid_format_rate",
    "wrong_args_rate",
    "recovery_rate",
    "correction_attempt_rate",
    "recovery_success_rate",
    "over_correction_rate",
)


class RunInfo(BaseModel):
    id: str
    source: str
    suite: str
    policy: str
    status: str
    code_version: str


class EvalReport(BaseModel):
    """Everything ``lightclaw eval RUN`` computed, from the recorded run only."""

    version: int = REPORT_VERSION
    created: datetime
    run: RunInfo
    metrics: MetricsReport
    failures: list[FailureGroup] = Field(description="largest first; each case has its replay")
    two_attempt: list[TwoAttemptMetrics] = Field(
        default_factory=list, description="SCoRe metrics when the run used the two-attempt protocol"
    )
    tasks_note: str | None = Field(
        default=None,
        description="set when the run's task file changed since collection (the stored task "
        "snapshot is used) or its tasks are not available",
    )
    recruiting: RecruitingReport | None = Field(
        default=None, description="the recruiting safe dry-run section (recruiting runs only)"
    )


def build_report(store: Store, run_id: str, *, seed: int = 0) -> EvalReport:
    run = store.get_run(run_id)
    note: str | None = None
    try:
        found = run_suite(store, run)
        tasks = {t.id: t for t in found.suite.tasks}
        note = found.note
    except UserError as exc:  # a run stored before task snapshots, whose file moved
        tasks, note = {}, f"tasks not available ({exc}); runtime failures are still analysed"
    return EvalReport(
        tasks_note=note,
        created=datetime.now(UTC),
        run=RunInfo(
            id=run.id,
            source=run.source,
            suite=run.suite,
            policy=run.policy,
            status=run.status,
            code_version=run.code_version,
        ),
        metrics=compute_metrics(store, [run_id], seed=seed),
        failures=analyse_failures(store, run_id, tasks),
        two_attempt=two_attempt_metrics(store, run_id),
        recruiting=(
            recruiting_report(store, run_id, tasks, parse_spec(run.config.suite)[0])
            if is_recruiting(run.config.suite)
            else None
        ),
    )


def report_schema() -> str:
    """The JSON Schema of ``report.json`` (committed as docs/schema/report.schema.json)."""
    import json

    return json.dumps(EvalReport.model_json_schema(), indent=2, sort_keys=True) + "\n"


def check_report_folder(folder: Path) -> None:
    """Raise a UserError naming the file that stands where ``folder`` (or one of its parents)
    must be a directory (``--out report.md``, ``HOME/reports`` a file); nothing is created."""
    for part in (folder, *folder.parents):
        if part.is_dir():
            return
        if part.exists() or part.is_symlink():
            raise UserError(
                f"cannot write the eval report into {shown(folder)}: {shown(part)} exists and is "
                "not a directory (move it away, or choose another folder)"
            )


def write_report(report: EvalReport, folder: Path) -> tuple[Path, Path]:
    """Write report.json and report.md into ``folder``, created if needed: a file in the way is a
    UserError (see :func:`check_report_folder`), a file system that refuses (read-only, full) an
    EnvironmentFailure."""
    check_report_folder(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _write_failure(folder, exc) from exc
    json_path, md_path = folder / "report.json", folder / "report.md"
    for path, text in (
        (json_path, report.model_dump_json(indent=2) + "\n"),
        (md_path, render_markdown(report)),
    ):
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise _write_failure(path, exc) from exc
    return json_path, md_path


def _write_failure(path: Path, exc: OSError) -> Exception:
    failure = environment_failure(exc, f"cannot write {shown(path)}")
    if failure is not None:
        return failure
    return UserError(f"cannot write {shown(path)}: {exc.strerror or exc}")


def fmt_rate(rate: Rate) -> str:
    if rate.value is None:
        return f"n/a (0/{rate.denominator})"
    ci = "" if rate.ci_low is None else f" [{rate.ci_low:.2f}, {rate.ci_high:.2f}]"
    return f"{rate.value:.3f}{ci} ({rate.numerator}/{rate.denominator})"


def group_label(g: GroupMetrics) -> str:
    return " / ".join(str(v) for v in (g.suite, g.policy, g.source) if v is not None)


def render_markdown(report: EvalReport) -> str:
    run = report.run
    lines = [
        f"# Eval report — run `{run.id}`",
        "",
        f"Suite `{run.suite}`, source `{run.source}`, status `{run.status}`, "
        f"LightClaw {run.code_version}. Every figure is computed from the recorded episodes; "
        f"intervals are {report.metrics.level:.0%} bootstrap intervals "
        f"({report.metrics.n_resamples} resamples, seed {report.metrics.seed}).",
        "",
        "## Metrics",
        "",
        "| group | episodes | " + " | ".join(RATES) + " |",
        "|---|---:|" + "---|" * len(RATES),
    ]
    for g in report.metrics.groups:
        cells = [fmt_rate(getattr(g, name)) for name in RATES]
        lines.append(f"| {group_label(g)} | {g.episodes} | " + " | ".join(cells) + " |")
    lines += ["", "## Failure analysis", ""]
    if not report.failures:
        lines.append("No failures.")
    for group in report.failures:
        tools = ", ".join(f"{k} ({v})" for k, v in list(group.by_tool.items())[:5])
        tasks = ", ".join(f"{k} ({v})" for k, v in list(group.by_task.items())[:5])
        lines += [
            f"### `{group.error_type}` — {group.count} ({group.share:.1%} of failures)",
            "",
            f"- tools: {tools}",
            f"- tasks: {tasks}",
            f"- policies: {', '.join(f'{k} ({v})' for k, v in group.by_policy.items())}",
            "",
        ]
        for case in group.cases:
            where = f"step {case.step}" if case.step is not None else "episode"
            lines.append(
                f"  - `{case.task_id}` ({case.policy}, {where}): {case.message} — `{case.replay}`"
            )
        lines.append("")
    if report.recruiting is not None:
        lines += recruiting_markdown(report.recruiting)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    from pathlib import Path as _Path

    target = _Path("docs/schema/report.schema.json")
    target.write_text(report_schema(), encoding="utf-8")
    print(target)
