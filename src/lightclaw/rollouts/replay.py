"""Replay a recorded episode from its recorded outputs and check it reproduces the record.

The policy's raw outputs are replayed (:class:`~lightclaw.policies.scripted.ReplayPolicy`) and
each tool call's result comes from the record, while parsing, validation, redundancy checks,
error attribution, correction labelling and episode control flow are recomputed by the current
runtime. Any difference from the record is reported. With ``re_execute`` the recorded actions
run against the real tools again, and their outputs and the final state are compared too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lightclaw.errors import UserError
from lightclaw.policies.scripted import ReplayPolicy
from lightclaw.rollouts.tasks import run_suite
from lightclaw.runtime import Executor, Outcome, Revision, run_episode
from lightclaw.schema import CallRecord, Episode, ErrorType, ToolCall

if TYPE_CHECKING:
    from lightclaw.envs import ToolEnv
    from lightclaw.store import Store
    from lightclaw.tools import Tool

STEP_FIELDS = (
    "observation",
    "raw_output",
    "actions",
    "error_type",
    "error_message",
    "correction_of",
    "user_reply",
)
CALL_FIELDS = (
    "call_id",
    "tool",
    "arguments",
    "status",
    "error_type",
    "error_message",
    "arg_issues",
    "output",
    "state_changed",
)
EPISODE_FIELDS = ("task_id", "attempt", "parent_id", "outcome", "stop_reason", "final_answer")


class RecordedExecutor(Executor):
    """An executor whose tools return what the record says they returned."""

    def __init__(self, env: ToolEnv, episode: Episode, episode_id: str) -> None:
        super().__init__(env, episode_id=episode_id)
        self.recorded: dict[tuple[int, int], CallRecord] = {
            (step.index, call.index): call for step in episode.steps for call in step.calls
        }
        # a tool that ended the episode (the recruiting env's stop) ends the replay there too
        last = episode.steps[-1].index if episode.steps else None
        self.ends = (last, episode.stop_reason) if episode.outcome == "safe_stop" else None

    async def run_tool(
        self, tool: Tool, kwargs: dict[str, Any], call: ToolCall, step: int, index: int
    ) -> Outcome:
        rec = self.recorded.get((step, index))
        if rec is None:
            return Outcome(
                status="error",
                error_type=ErrorType.TOOL_ERROR,
                error_message="replay: the record has no executed result for this call",
            )
        if rec.state_changed:
            self.env.mark_changed()
        if self.ends is not None and step == self.ends[0] and rec.status == "ok":
            self.env.ended = self.ends[1]
        return Outcome(
            status=rec.status,
            output=rec.output,
            error_type=rec.error_type,
            error_message=rec.error_message,
            exception_type=rec.exception_type,
            traceback=rec.traceback,
            state_changed=rec.state_changed,
        )


@dataclass(frozen=True)
class ReplayResult:
    recorded: Episode
    replayed: Episode
    differences: list[str]
    note: str | None = None
    """Set when the run's task file changed since collection (the snapshot was replayed)."""

    @property
    def identical(self) -> bool:
        return not self.differences


async def replay(store: Store, episode_id: str, *, re_execute: bool = False) -> ReplayResult:
    """Replay ``episode_id``; ``re_execute`` runs the tools again (final state compared)."""
    recorded = store.get_episode(episode_id)
    found = run_suite(store, store.get_run(recorded.run_id))
    suite = found.suite
    task = next((t for t in suite.tasks if t.id == recorded.task_id), None)
    if task is None:
        raise UserError(
            f"task {recorded.task_id!r} of episode {episode_id} is no longer in "
            f"suite {suite.name!r}"
        )
    revision = None
    if recorded.parent_id is not None:  # attempt 2 continues its parent's conversation
        revision = Revision(store.get_episode(recorded.parent_id), recorded.feedback or "")

    def again(**env: Any) -> Coroutine[Any, Any, Episode]:
        return run_episode(
            task,
            ReplayPolicy(recorded),
            suite.registry_for(task, suite.registry_factory()),
            run_id=recorded.run_id,
            seed=recorded.seed,
            trial=recorded.trial,
            suite=recorded.suite,
            policy_name=recorded.policy,
            episode_id=recorded.id,
            revision=revision,
            **env,
        )

    if not re_execute:
        replayed = await again(
            executor_factory=lambda env, eid: RecordedExecutor(env, recorded, eid)
        )
    elif suite.environment is None:
        replayed = await again()
    else:  # the tools need their env again (a web session)
        async with suite.environment() as web:
            replayed = await again(deps=await web.open(task, recorded.id), guards=web.guards)
    return _result(recorded, replayed, found.note, re_execute)


def _result(
    recorded: Episode, replayed: Episode, note: str | None, re_execute: bool
) -> ReplayResult:
    differences = diff_episodes(recorded, replayed)
    if re_execute and recorded.final_state != replayed.final_state:
        differences.append(
            f"episode.final_state: {recorded.final_state!r} != {replayed.final_state!r}"
        )
    return ReplayResult(recorded, replayed, differences, note)


def replay_sync(store: Store, episode_id: str, *, re_execute: bool = False) -> ReplayResult:
    return asyncio.run(replay(store, episode_id, re_execute=re_execute))


def diff_episodes(a: Episode, b: Episode) -> list[str]:
    """Differences in everything but timings, ids and tracebacks."""
    out = _diff("episode", a, b, EPISODE_FIELDS)
    if len(a.steps) != len(b.steps):
        out.append(f"episode has {len(a.steps)} recorded steps but replay made {len(b.steps)}")
    for sa, sb in zip(a.steps, b.steps, strict=False):
        out += _diff(f"step {sa.index}", sa, sb, STEP_FIELDS)
        if len(sa.calls) != len(sb.calls):
            out.append(f"step {sa.index}: {len(sa.calls)} recorded calls, {len(sb.calls)} replayed")
        for ca, cb in zip(sa.calls, sb.calls, strict=False):
            out += _diff(f"step {sa.index} call {ca.index}", ca, cb, CALL_FIELDS)
    return out


def _diff(where: str, a: object, b: object, fields: tuple[str, ...]) -> list[str]:
    return [
        f"{where}.{f}: {getattr(a, f)!r} != {getattr(b, f)!r}"
        for f in fields
        if getattr(a, f) != getattr(b, f)
    ]
