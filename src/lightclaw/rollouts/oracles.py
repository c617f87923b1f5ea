"""Every task of a task file must pass its own verifier with its oracle solution.

:func:`check_oracles` runs each task's oracle (its steps rendered as the policy's outputs)
through the runtime against the task's tools, from its initial state, and judges the episode;
the first task whose oracle fails is a :class:`~lightclaw.errors.TaskFileError` naming the file
and the task's line. It runs where a suite is loaded for collection, before anything is written.
Built-in suites are checked by their own tests; BFCL questions run against recording tools, so
the check stays fast (one event loop, no I/O).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from lightclaw.errors import TaskFileError
from lightclaw.policies.parsing import render_actions
from lightclaw.rollouts.completion import OutputsPolicy, blocking
from lightclaw.runtime import run_episode
from lightclaw.verify.ground_truth import judge

if TYPE_CHECKING:
    from lightclaw.schema import Task
    from lightclaw.suites.loader import Suite
    from lightclaw.tools import ToolRegistry

__all__ = ["check_oracles", "oracle_failure"]


async def oracle_failure(task: Task, registry: ToolRegistry) -> str | None:
    """Why ``task``'s oracle fails its verifier (``None`` when it passes)."""
    outputs = [render_actions(step) for step in task.oracle]
    policy = OutputsPolicy(outputs, name="oracle")
    episode = await run_episode(task, policy, registry, run_id="oracle-check", policy_name="oracle")
    verdict = judge(task, episode)
    if verdict.success:
        return None
    return verdict.message


def check_oracles(suite: Suite) -> tuple[Suite, dict[str, str]]:
    """The suite to collect, and the tasks left out of it (task id -> why).

    A task of a user's file whose oracle solution does not pass its own verifier is rejected
    (``TaskFileError`` with file:line: the user fixes the file). A question of a published
    benchmark (``suite.published``: BFCL) whose own answer cannot pass is left out of the run,
    recorded with its reason; the user cannot fix upstream data. Built-in suites are checked by
    their own tests and returned as they are.
    """
    if suite.source is None:
        return suite, {}
    source = suite.source

    async def failures() -> list[tuple[Task, str]]:
        shared = suite.registry_factory()
        found = []
        for task in suite.tasks:
            reason = await oracle_failure(task, suite.registry_for(task, shared))
            if reason is not None:
                found.append((task, reason))
                if not suite.published:
                    break  # the first one is reported
        return found

    failed = blocking(failures())
    if failed and not suite.published:
        task, reason = failed[0]
        raise TaskFileError(
            source,
            suite.lines.get(task.id),
            None,
            f"task {task.id!r}: its oracle solution fails its own verifier: {reason}",
        )
    left_out = {
        task.id: f"{source}:{suite.lines.get(task.id, '?')}: {reason}" for task, reason in failed
    }
    if len(left_out) == len(suite.tasks):
        raise TaskFileError(source, None, None, "no question's own answer passes its verifier")
    kept = tuple(task for task in suite.tasks if task.id not in left_out)
    return replace(suite, tasks=kept), left_out
