"""Failure analysis: failures grouped by error type, then by tool and task, with replayable cases.

A *failure* is either a step that the runtime attributed an error to (one per failed step, the
tool of its first failed call), a correction step that changed an already-correct step
(``over_correction``, judged independently at collection), an episode that ran out of steps, or
an episode that ended but that the verifier judged unsuccessful (``wrong_tool``,
``semantic_wrong_args``, ``wrong_answer``), read from the verdict stored with the episode (a
record older than format 2 has none: it is judged here, against its task, once). Episodes are
streamed from the store; memory holds only the counters and a few representative cases per
group.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from lightclaw.schema import ErrorType
from lightclaw.verify.ground_truth import judge

if TYPE_CHECKING:
    from collections.abc import Mapping

    from lightclaw.schema import Episode, Task
    from lightclaw.schema.judgement import Verdict
    from lightclaw.store import Store

CASES_PER_GROUP = 3


class FailureCase(BaseModel):
    episode_id: str
    task_id: str
    policy: str
    step: int | None
    tool: str | None
    message: str
    replay: str = Field(description="the command that reproduces this case step by step")


class FailureGroup(BaseModel):
    error_type: str
    count: int
    share: float = Field(description="count / all failures of the report")
    by_tool: dict[str, int]
    by_task: dict[str, int]
    by_policy: dict[str, int]
    cases: list[FailureCase]


class _Group:
    def __init__(self) -> None:
        self.count = 0
        self.tools: Counter[str] = Counter()
        self.tasks: Counter[str] = Counter()
        self.policies: Counter[str] = Counter()
        self.cases: list[FailureCase] = []

    def add(self, ep: Episode, step: int | None, tool: str | None, message: str) -> None:
        self.count += 1
        self.tools[tool or "-"] += 1
        self.tasks[ep.task_id] += 1
        self.policies[ep.policy] += 1
        # representative cases: the first of each distinct (policy, tool) pair, up to the limit
        if len(self.cases) < CASES_PER_GROUP and all(
            (c.policy, c.tool) != (ep.policy, tool) for c in self.cases
        ):
            self.cases.append(
                FailureCase(
                    episode_id=ep.id,
                    task_id=ep.task_id,
                    policy=ep.policy,
                    step=step,
                    tool=tool,
                    message=_clip(message),
                    replay=f"lightclaw replay {ep.id}",
                )
            )


def failures_of(ep: Episode, task: Task | None) -> list[tuple[str, int | None, str | None, str]]:
    """(error type, step, tool, message) of every failure in one episode."""
    found: list[tuple[str, int | None, str | None, str]] = []
    for step in ep.steps:
        if step.error_type is None:
            continue
        failed = next((c for c in step.calls if c.error_type is not None), None)
        tool = failed.tool if failed is not None else None
        found.append((step.error_type.value, step.index, tool, step.error_message or ""))
    for step in ep.steps:
        if step.over_correction:
            changed = next((c.tool for c in step.calls), None)
            found.append(
                (
                    ErrorType.OVER_CORRECTION.value,
                    step.index,
                    changed,
                    f"step {step.index} revised step {step.correction_of}, which the verifier "
                    "judged correct on its own",
                )
            )
    if ep.outcome == "max_steps":
        found.append((ErrorType.MAX_STEPS.value, None, None, "the step budget ran out"))
    elif ep.outcome == "final_answer" and (verdict := _verdict(ep, task)) is not None:
        if not verdict.success and verdict.error_type is not None:
            found.append((verdict.error_type.value, None, None, verdict.message))
        elif verdict.verifier_error is not None:
            found.append(("verifier_error", None, None, verdict.verifier_error))
    return found


def _verdict(ep: Episode, task: Task | None) -> Verdict | None:
    """The stored verdict; for a record stored before judgements were, the task's verdict."""
    if ep.judgement is not None:
        return ep.judgement.verdict
    return None if task is None else judge(task, ep)


def analyse_failures(
    store: Store, run_id: str, tasks: Mapping[str, Task] | None = None
) -> list[FailureGroup]:
    """Failure groups of a run, largest first."""
    groups: dict[str, _Group] = {}
    for ep in store.iter_episodes(run_id):
        task = tasks.get(ep.task_id) if tasks is not None else None
        for error_type, step, tool, message in failures_of(ep, task):
            groups.setdefault(error_type, _Group()).add(ep, step, tool, message)
    total = sum(g.count for g in groups.values())
    return [
        FailureGroup(
            error_type=name,
            count=g.count,
            share=g.count / total,
            by_tool=dict(g.tools.most_common()),
            by_task=dict(g.tasks.most_common()),
            by_policy=dict(g.policies.most_common()),
            cases=g.cases,
        )
        for name, g in sorted(groups.items(), key=lambda kv: (-kv[1].count, kv[0]))
    ]


def _clip(text: str, width: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
