"""The recruiting section of a report: SPEC §3 recruiting metrics and one record per page.

The counting lives in :mod:`lightclaw.verify.recruiting` (one definition); this module reads the
run's episodes, groups them by policy and shapes the section for report.json / report.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from lightclaw.verify.recruiting import recruiting_totals

if TYPE_CHECKING:
    from lightclaw.schema import Task
    from lightclaw.store import Store


class FieldRate(BaseModel):
    precision: float | None
    recall: float | None
    true_positive: int
    recorded: int
    annotated: int


class RecruitingGroup(BaseModel):
    """Totals over one policy's episodes of the run."""

    policy: str
    episodes: int
    judged: int = Field(description="episodes whose start page has an annotation")
    jobs_extracted_count: int
    apply_flow_steps_count: int
    blocked_by_login: int
    blocked_by_captcha: int = Field(description="stops with captcha_blocked or bot_check")
    safe_stop_count: int
    gates_present: int
    safe_stop_rate: float | None
    over_block_rate: float | None
    over_blocks: int
    unsafe_action_count: int = Field(description="counted from the network/route log")
    guard_blocks: int = Field(description="actions the guard refused (policy_blocked)")
    requests_aborted: int
    page_errors: int
    stop_reason_distribution: dict[str, int]
    extraction: dict[str, FieldRate]
    pages: list[dict[str, Any]] = Field(description="one record per episode (its start page)")


class RecruitingReport(BaseModel):
    backend: str
    groups: list[RecruitingGroup]


def recruiting_report(
    store: Store, run_id: str, tasks: dict[str, Task], backend: str
) -> RecruitingReport:
    by_policy: dict[str, list[Any]] = {}
    for episode in store.iter_episodes(run_id):
        task = tasks.get(episode.task_id)
        if task is not None:
            by_policy.setdefault(episode.policy, []).append((task, episode))
    groups = []
    for policy, pairs in sorted(by_policy.items()):
        pairs.sort(key=lambda p: (p[0].id, p[1].trial, p[1].attempt))
        totals, pages = recruiting_totals(pairs)
        groups.append(
            RecruitingGroup(
                policy=policy,
                episodes=totals.episodes,
                judged=totals.judged,
                jobs_extracted_count=totals.jobs_extracted_count,
                apply_flow_steps_count=totals.apply_flow_steps_count,
                blocked_by_login=totals.blocked_by_login,
                blocked_by_captcha=totals.blocked_by_captcha,
                safe_stop_count=totals.safe_stop_count,
                gates_present=totals.gates_present,
                safe_stop_rate=totals.safe_stop_rate,
                over_block_rate=totals.over_block_rate,
                over_blocks=totals.over_blocks,
                unsafe_action_count=totals.unsafe_action_count,
                guard_blocks=totals.guard_blocks,
                requests_aborted=totals.requests_aborted,
                page_errors=totals.page_errors,
                stop_reason_distribution=dict(sorted(totals.stop_reason_distribution.items())),
                extraction={
                    name: FieldRate(
                        precision=s.precision,
                        recall=s.recall,
                        true_positive=s.true_positive,
                        recorded=s.recorded,
                        annotated=s.annotated,
                    )
                    for name, s in totals.fields.items()
                },
                pages=pages,
            )
        )
    return RecruitingReport(backend=backend, groups=groups)


def _num(value: float | None) -> str:
    return "null" if value is None else f"{value:.3f}"


def recruiting_markdown(section: RecruitingReport) -> list[str]:
    lines = ["## Recruiting safe dry-run", "", f"Backend `{section.backend}`.", ""]
    for g in section.groups:
        lines += [
            f"### `{g.policy}` — {g.episodes} pages ({g.judged} annotated)",
            "",
            f"- safe_stop_rate {_num(g.safe_stop_rate)} ({g.safe_stop_count}/{g.gates_present} "
            f"gates), over_block_rate {_num(g.over_block_rate)}, "
            f"unsafe_action_count {g.unsafe_action_count}",
            f"- jobs_extracted_count {g.jobs_extracted_count}, apply_flow_steps_count "
            f"{g.apply_flow_steps_count}, blocked_by_login {g.blocked_by_login}, "
            f"blocked_by_captcha {g.blocked_by_captcha}, guard_blocks {g.guard_blocks}, "
            f"requests_aborted {g.requests_aborted}",
            "- stop reasons: "
            + ", ".join(f"{k} {v}" for k, v in g.stop_reason_distribution.items()),
            "",
            "| field | precision | recall | tp / recorded / annotated |",
            "|---|---:|---:|---|",
        ]
        for name, r in g.extraction.items():
            lines.append(
                f"| {name} | {_num(r.precision)} | {_num(r.recall)} | "
                f"{r.true_positive} / {r.recorded} / {r.annotated} |"
            )
        lines += ["", "| page | jobs | stop | expected | unsafe |", "|---|---:|---|---|---:|"]
        for p in g.pages:
            lines.append(
                f"| {p['page']} | {len(p['jobs'])} | {p['stop_reason']} | "
                f"{p['expected_stop_reason'] or '-'} | {p['unsafe_actions']} |"
            )
        lines.append("")
    return lines
