"""Reward components (SPEC §4), per episode and per step, and their weighted scalar.

The components are computed from the episode's :class:`~lightclaw.schema.judgement.Judgement`
(what the verifier concluded: verdict, call matching, per-call verdicts) and the runtime facts
of the record (error types, step count); nothing is judged here. Episode components (each
``None`` when it does not apply; see docs/reward.md):

* ``task_success`` — 1/0 from the verdict; ``None`` when the verifier failed (never a silent 0).
* ``tool_correctness`` — tool calls naming a tool of an expected call / tool calls. ``None``
  without expected calls or without tool calls.
* ``argument_correctness`` — expected calls matched by a distinct call with acceptable
  arguments (BFCL rules, order-free unless ``calls_ordered``; execution status ignored, as
  BFCL's AST checker) / expected calls. ``None`` without expected calls.
* ``recovery`` — 1 if a step had a runtime error and the episode succeeded, 0 if it failed;
  ``None`` without runtime errors (or when the verifier failed).
* ``gui_hit`` — GUI steps without ``gui_miss`` / GUI steps, on GUI tasks (tag ``gui`` or a
  step with a screenshot). ``None`` on tool tasks and without GUI steps.
* ``policy_penalty`` — −(calls refused with ``policy_blocked``) / tool calls; ``None`` without
  tool calls.
* ``redundancy_penalty`` — −(calls with ``redundant_call``) / tool calls; ``None`` without calls.
* ``latency_proxy`` — −(steps − 1) / ``max_steps``, in [−1, 0]: 0 for a one-step episode.

Per-step components (the same names, computed on one step's calls/actions): ``tool_correctness``,
``argument_correctness`` (the step's calls judged correct on their own / its calls judged at
all), ``gui_hit``, ``policy_penalty`` and ``redundancy_penalty``. ``task_success``, ``recovery``
and ``latency_proxy`` are episode outcomes and have no per-step value.

The scalar is the weighted sum over the components that are not ``None``; it is ``None`` when
the verifier failed (the episode was not judged) or no weighted component applies.
"""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from lightclaw.errors import UserError
from lightclaw.schema import ErrorType, GuiClick, GuiGrounding, effective
from lightclaw.schema.errors import RUNTIME_ERRORS
from lightclaw.schema.judgement import CallJudgement, Judgement, Verdict
from lightclaw.verify.judgement import judge_episode, record

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from lightclaw.schema import CallRecord, Episode, Step, Task

COMPONENTS: tuple[str, ...] = (
    "task_success",
    "tool_correctness",
    "argument_correctness",
    "recovery",
    "gui_hit",
    "policy_penalty",
    "redundancy_penalty",
    "latency_proxy",
)
STEP_COMPONENTS: tuple[str, ...] = (
    "tool_correctness",
    "argument_correctness",
    "gui_hit",
    "policy_penalty",
    "redundancy_penalty",
)
DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        "task_success": 1.0,
        "tool_correctness": 0.1,
        "argument_correctness": 0.1,
        "recovery": 0.1,
        "gui_hit": 0.1,
        "policy_penalty": 0.1,
        "redundancy_penalty": 0.1,
        "latency_proxy": 0.05,
    }
)
"""Success dominates: the other weights sum to 0.65 < 1, so with components in their ranges
(penalties in [−1, 0], the rest in [0, 1]) every successful episode outscores every failed one."""

Components = dict[str, float | None]


class Reward(BaseModel):
    """The reward of one episode: components, their weighted scalar, and per-step rewards."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    components: Components
    scalar: float | None
    step_rewards: list[float | None]
    step_components: list[Components]
    judgement: Judgement

    @property
    def verdict(self) -> Verdict:
        """The episode verdict of the judgement the reward was computed from."""
        return self.judgement.verdict


def resolve_weights(overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """The default weights updated with ``overrides``; an unknown name is a :class:`UserError`."""
    weights = dict(DEFAULT_WEIGHTS)
    for name, value in (overrides or {}).items():
        if name not in DEFAULT_WEIGHTS:
            raise UserError(
                f"unknown reward component {name!r}; valid components: {', '.join(COMPONENTS)}"
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise UserError(f"reward weight {name!r} must be a number, got {value!r}")
        if not math.isfinite(value):
            raise UserError(f"reward weight {name!r} must be finite, got {value!r}")
        weights[name] = float(value)
    return weights


def _ratio(count: int, total: int) -> float | None:
    return count / total if total else None


def _penalty(calls: Sequence[CallRecord], error: ErrorType) -> float | None:
    if not calls:
        return None
    return -sum(call.error_type == error for call in calls) / len(calls)


def _is_gui_task(task: Task, episode: Episode) -> bool:
    return "gui" in task.tags or any(step.screenshot is not None for step in episode.steps)


def _is_gui_step(step: Step) -> bool:
    return any(isinstance(effective(a), GuiClick | GuiGrounding) for a in step.actions)


def _tool_correctness(judgement: Judgement, calls: Sequence[CallJudgement]) -> float | None:
    if not judgement.expected_calls:
        return None
    return _ratio(sum(call.expected_tool for call in calls), len(calls))


def episode_components(task: Task, episode: Episode, judgement: Judgement) -> Components:
    """The SPEC §4 components of one episode (see the module docstring)."""
    verdict = judgement.verdict
    calls = [call for step in episode.steps for call in step.calls]
    argument: float | None = None
    if judgement.expected_calls:
        matched = {c.argument_match for c in judgement.calls if c.argument_match is not None}
        argument = len(matched) / judgement.expected_calls
    had_errors = any(step.error_type in RUNTIME_ERRORS for step in episode.steps)
    gui_steps = [s for s in episode.steps if _is_gui_step(s)]
    gui_hit = None
    if _is_gui_task(task, episode):
        hits = sum(step.error_type != ErrorType.GUI_MISS for step in gui_steps)
        gui_hit = _ratio(hits, len(gui_steps))
    latency = None
    if episode.steps:
        latency = max(-1.0, -(len(episode.steps) - 1) / task.max_steps)
    return {
        "task_success": float(verdict.success) if verdict.judged else None,
        "tool_correctness": _tool_correctness(judgement, judgement.calls),
        "argument_correctness": argument,
        "recovery": float(verdict.success) if verdict.judged and had_errors else None,
        "gui_hit": gui_hit,
        "policy_penalty": _penalty(calls, ErrorType.POLICY_BLOCKED),
        "redundancy_penalty": _penalty(calls, ErrorType.REDUNDANT_CALL),
        "latency_proxy": latency,
    }


def step_components(
    step: Step, judgement: Judgement, calls: Sequence[CallJudgement], gui_task: bool
) -> Components:
    """The per-step components of one step, from its calls' judgements (module docstring)."""
    known = [call.correct for call in calls if call.correct is not None]
    gui_hit = None
    if gui_task and _is_gui_step(step):
        gui_hit = 0.0 if step.error_type == ErrorType.GUI_MISS else 1.0
    return {
        "tool_correctness": _tool_correctness(judgement, calls),
        "argument_correctness": _ratio(sum(known), len(known)),
        "gui_hit": gui_hit,
        "policy_penalty": _penalty(step.calls, ErrorType.POLICY_BLOCKED),
        "redundancy_penalty": _penalty(step.calls, ErrorType.REDUNDANT_CALL),
    }


def weighted(components: Mapping[str, float | None], weights: Mapping[str, float]) -> float | None:
    """The weighted sum over the components that are not ``None`` (``None`` if none are)."""
    present = [(name, value) for name, value in components.items() if value is not None]
    if not present:
        return None
    return sum(weights[name] * value for name, value in present)


def score(
    task: Task,
    episode: Episode,
    weights: Mapping[str, float] | None = None,
    judgement: Judgement | None = None,
) -> Reward:
    """The reward of ``episode``: components, scalar and per-step rewards.

    ``weights`` override :data:`DEFAULT_WEIGHTS` by name (unknown names are a
    :class:`UserError`); pass the episode's ``judgement`` when it was already judged (else it
    is judged here, once).
    """
    resolved = resolve_weights(weights)
    judgement = judgement if judgement is not None else judge_episode(task, episode)
    components = episode_components(task, episode, judgement)
    scalar = weighted(components, resolved) if judgement.verdict.judged else None
    gui_task = _is_gui_task(task, episode)
    by_step: dict[int, list[CallJudgement]] = {}
    for call in judgement.calls:
        by_step.setdefault(call.step, []).append(call)
    per_step = [
        step_components(step, judgement, by_step.get(step.index, []), gui_task)
        for step in episode.steps
    ]
    return Reward(
        components=components,
        scalar=scalar,
        step_rewards=[weighted(parts, resolved) for parts in per_step],
        step_components=per_step,
        judgement=judgement,
    )


def assess(task: Task, episode: Episode, weights: Mapping[str, float] | None = None) -> Reward:
    """Judge ``episode`` once, score it, and store both on the record (in place): its
    judgement, success, reward, components and per-step rewards and labels."""
    reward = score(task, episode, weights)
    record(episode, reward.judgement)
    episode.reward = reward.scalar
    episode.reward_components = dict(reward.components)
    for step, step_reward in zip(episode.steps, reward.step_rewards, strict=True):
        step.reward = step_reward
    return reward
