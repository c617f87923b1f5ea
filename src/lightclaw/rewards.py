"""Reward functions for RL on LightClaw tasks: the stored SPEC §4 reward, computed the same way.

A completion is turned into an episode by running its assistant turns through LightClaw's
runtime against the task's tools, from the task's initial state
(:mod:`lightclaw.rollouts.completion`); that episode is judged once and scored by
:mod:`lightclaw.verify` -- the judgement and reward components that collection stores. So the
reward of a completion equals the ``reward`` (and ``reward_components``) stored for the episode
it reproduces (docs/reward.md).

TRL (``GRPOTrainer(reward_funcs=[...])``): every function has TRL's signature
``fn(completions, **kwargs) -> list[float | None]``. ``completions`` are conversational (a list
of message lists: assistant turns with ``content`` / ``tool_calls``, ``tool`` results, ``user``
replies) or plain strings. The ground truth comes from the dataset columns TRL passes as keyword
arguments -- the columns of ``lightclaw export --formats grpo`` (:class:`GroundTruth`'s fields)
or one ``ground_truth`` column holding a :class:`GroundTruth` as JSON. ``None`` means "no
reward": the component does not apply, or the task's own verifier failed.

* :func:`lightclaw_reward` — the scalar: the weighted sum of the components that apply, with
  the weights of the run the row was exported from (``reward_weights``);
  :func:`make_lightclaw_reward` overrides weights by name.
* one function per component: :func:`task_success_reward`, :func:`tool_correctness_reward`,
  :func:`argument_correctness_reward`, :func:`recovery_reward`, :func:`gui_hit_reward`,
  :func:`policy_penalty_reward`, :func:`redundancy_penalty_reward`,
  :func:`latency_proxy_reward` (unweighted values).

verl (``custom_reward_function``): :func:`compute_score` with verl's signature, reading the
``reward_model.ground_truth`` JSON of ``lightclaw export --formats verl``; ``solution_str`` is one
assistant turn.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from lightclaw.errors import UserError
from lightclaw.rollouts.completion import Completion, completion_outputs, run_outputs
from lightclaw.schema import (
    Action,
    ExpectedCall,
    FinalAnswer,
    SimulatedUser,
    Task,
    ToolCall,
)
from lightclaw.schema.tasks import AnswerMatch
from lightclaw.suites.bfcl import registry_from_docs
from lightclaw.suites.core import core_registry
from lightclaw.tools import Tool, ToolRegistry
from lightclaw.verify.judging import oracle_calls
from lightclaw.verify.reward import (
    COMPONENTS,
    DEFAULT_WEIGHTS,
    Reward,
    resolve_weights,
    score,
    weighted,
)

__all__ = [
    "COMPONENTS",
    "DEFAULT_WEIGHTS",
    "GroundTruth",
    "RewardFunction",
    "argument_correctness_reward",
    "component_reward",
    "compute_score",
    "gui_hit_reward",
    "latency_proxy_reward",
    "lightclaw_reward",
    "make_lightclaw_reward",
    "policy_penalty_reward",
    "recovery_reward",
    "redundancy_penalty_reward",
    "score_completion",
    "task_success_reward",
    "tool_correctness_reward",
]

RewardFunction = Callable[..., list[float | None]]
_JSON_COLUMNS = (
    "expected_calls",
    "expected_answer",
    "oracle_calls",
    "initial_state",
    "expected_state",
    "user",
    "tool_docs",
    "reward_weights",
)
_REQUIRED_COLUMNS = ("task_id", "expected_calls", "answer_match")
_CACHE_SIZE = 4096


class GroundTruth(BaseModel):
    """What the runtime and the judge need to score a completion for one task (lossless as
    JSON): the task's judged fields, the tools and state it runs against, and the weights."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task_id: str = Field(min_length=1)
    tools: list[str] = Field(min_length=1)
    initial_state: dict[str, JsonValue] = Field(default_factory=dict)
    expected_calls: list[ExpectedCall] = Field(default_factory=list)
    calls_ordered: bool = False
    no_call_expected: bool = False
    expected_answer: JsonValue = None
    answer_match: AnswerMatch = "normalized"
    tolerance: float = Field(default=1e-6, ge=0)
    verifier: str | None = None
    expected_state: dict[str, JsonValue] | None = None
    user: SimulatedUser | None = None
    oracle_calls: list[ToolCall] = Field(default_factory=list)
    """The oracle solution's tool calls (judging a call on its own accepts a repeat of one)."""
    max_steps: int = Field(default=10, ge=1, le=200)
    tags: list[str] = Field(default_factory=list)
    tool_docs: list[dict[str, Any]] | None = None
    """For tools that come with the task (BFCL): their function docs, run as recording tools
    (arguments checked against the schema, nothing executed). Other names are core tools."""
    reward_weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    """The weights of the run the row comes from (all eight components)."""

    @classmethod
    def from_task(
        cls,
        task: Task,
        *,
        tool_docs: list[dict[str, Any]] | None = None,
        reward_weights: Mapping[str, float] | None = None,
    ) -> GroundTruth:
        """The ground truth of ``task`` (its oracle's tool calls without call ids)."""
        return cls(
            task_id=task.id,
            tools=list(task.tools),
            initial_state=dict(task.initial_state),
            expected_calls=list(task.expected_calls),
            calls_ordered=task.calls_ordered,
            no_call_expected=task.no_call_expected,
            expected_answer=task.expected_answer,
            answer_match=task.answer_match,
            tolerance=task.tolerance,
            verifier=task.verifier,
            expected_state=task.expected_state,
            user=task.user,
            oracle_calls=[call.model_copy(update={"call_id": None}) for call in oracle_calls(task)],
            max_steps=task.max_steps,
            tags=list(task.tags),
            tool_docs=tool_docs,
            reward_weights=resolve_weights(reward_weights),
        )

    def task(self) -> Task:
        """A task carrying this ground truth for the runtime and the judge (its prompt is a
        stand-in: a completion's outputs are replayed, never generated)."""
        oracle: list[list[Action]] = [[call] for call in self.oracle_calls]
        oracle.append([FinalAnswer(content=None)])
        return Task(
            id=self.task_id,
            prompt=self.task_id,
            tools=self.tools,
            initial_state=self.initial_state,
            expected_calls=self.expected_calls,
            calls_ordered=self.calls_ordered,
            no_call_expected=self.no_call_expected,
            expected_answer=self.expected_answer,
            answer_match=self.answer_match,
            tolerance=self.tolerance,
            verifier=self.verifier,
            expected_state=self.expected_state,
            user=self.user,
            oracle=oracle,
            max_steps=self.max_steps,
            tags=self.tags,
        )


@cache
def _registry(tool_docs: str | None) -> ToolRegistry:
    """The tools a ground truth runs against: recording tools from its docs, the core tools for
    every other name."""
    tools: list[Tool[..., Any]] = list(registry_from_docs(json.loads(tool_docs or "[]")))
    documented = {item.name for item in tools}
    tools += [item for item in core_registry() if item.name not in documented]
    return ToolRegistry(tools)


_scored: OrderedDict[tuple[str, str], Reward] = OrderedDict()
_scored_lock = threading.Lock()


def score_completion(completion: Completion, truth: GroundTruth) -> Reward:
    """The stored SPEC §4 reward of ``completion`` (its judgement included), computed by
    running it through the runtime and the judge with the row's weights."""
    key = (json.dumps(completion, sort_keys=True, default=str), truth.model_dump_json())
    with _scored_lock:
        found = _scored.get(key)
        if found is not None:
            _scored.move_to_end(key)
            return found
    task = truth.task()
    docs = None if truth.tool_docs is None else json.dumps(truth.tool_docs, sort_keys=True)
    replies = task.user.replies if task.user is not None else []
    outputs = completion_outputs(completion, replies)
    episode = run_outputs(task, _registry(docs), outputs, name="completion")
    reward = score(task, episode, truth.reward_weights)
    with _scored_lock:
        _scored[key] = reward
        if len(_scored) > _CACHE_SIZE:
            _scored.popitem(last=False)
    return reward


# ---------------------------------------------------------------- ground truth from columns
def _decoded(value: Any) -> Any:
    """A column value written as JSON text is decoded; other values pass through."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _tool_name(spec: Any) -> Any:
    if isinstance(spec, Mapping):
        inner = spec.get("function", spec)
        return inner.get("name") if isinstance(inner, Mapping) else spec
    return spec


def _uncoded(specs: list[Any]) -> list[dict[str, Any]]:
    """The function docs of the OpenAI tool schemas that name no core tool."""
    core = core_registry()
    return [
        dict(spec["function"])
        for spec in specs
        if isinstance(spec, Mapping)
        and isinstance(spec.get("function"), Mapping)
        and spec["function"].get("name") not in core
    ]


def _truth_from(row: Mapping[str, Any]) -> GroundTruth:
    if "ground_truth" in row:
        data = _decoded(row["ground_truth"])
    else:
        data = {key: row[key] for key in GroundTruth.model_fields if key in row}
        for key in _JSON_COLUMNS:
            if key in data:
                data[key] = _decoded(data[key])
        if isinstance(data.get("tools"), list):  # OpenAI tool schemas -> names
            specs = data["tools"]
            data["tools"] = [_tool_name(spec) for spec in specs]
            if data.get("tool_docs") is None:  # tools without code: recorded from their schema
                data["tool_docs"] = _uncoded(specs) or None
    try:
        return GroundTruth.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise UserError(f"invalid LightClaw ground truth: {where}: {error['msg']}") from None


def _truths(count: int, kwargs: Mapping[str, Any]) -> list[GroundTruth]:
    keys = ["ground_truth"] if "ground_truth" in kwargs else list(GroundTruth.model_fields)
    if "ground_truth" not in kwargs and not all(k in kwargs for k in _REQUIRED_COLUMNS):
        raise UserError(
            "LightClaw reward functions need the ground-truth columns of a LightClaw GRPO export "
            f"({', '.join(_REQUIRED_COLUMNS)}, ...) or a 'ground_truth' column"
        )
    columns = {key: kwargs[key] for key in keys if key in kwargs}
    for key, values in columns.items():
        if not isinstance(values, Sequence) or isinstance(values, str) or len(values) != count:
            raise UserError(f"column {key!r} must hold one value per completion ({count})")
    return [_truth_from({key: values[i] for key, values in columns.items()}) for i in range(count)]


# ---------------------------------------------------------------- TRL reward functions
def component_reward(name: str) -> RewardFunction:
    """A TRL reward function returning one SPEC §4 component (unweighted; None: n/a)."""
    if name not in COMPONENTS:
        raise UserError(f"unknown reward component {name!r}; valid: {', '.join(COMPONENTS)}")

    def reward(completions: Sequence[Completion], **kwargs: Any) -> list[float | None]:
        truths = _truths(len(completions), kwargs)
        return [
            score_completion(c, t).components[name]
            for c, t in zip(completions, truths, strict=True)
        ]

    reward.__name__ = reward.__qualname__ = f"{name}_reward"
    reward.__doc__ = f"LightClaw's {name!r} reward component (TRL reward-function signature)."
    return reward


task_success_reward = component_reward("task_success")
tool_correctness_reward = component_reward("tool_correctness")
argument_correctness_reward = component_reward("argument_correctness")
recovery_reward = component_reward("recovery")
gui_hit_reward = component_reward("gui_hit")
policy_penalty_reward = component_reward("policy_penalty")
redundancy_penalty_reward = component_reward("redundancy_penalty")
latency_proxy_reward = component_reward("latency_proxy")


def _scalar(
    completion: Completion, truth: GroundTruth, overrides: Mapping[str, float]
) -> float | None:
    reward = score_completion(completion, truth)
    if not overrides:
        return reward.scalar
    if not reward.verdict.judged:
        return None
    return weighted(reward.components, {**truth.reward_weights, **overrides})


def make_lightclaw_reward(weights: Mapping[str, float] | None = None) -> RewardFunction:
    """A TRL reward function: the stored scalar reward, with the row's weights updated by
    ``weights`` (by component name; an unknown name is a :class:`UserError`)."""
    overrides = {name: resolve_weights(weights)[name] for name in (weights or {})}

    def lightclaw_reward(completions: Sequence[Completion], **kwargs: Any) -> list[float | None]:
        truths = _truths(len(completions), kwargs)
        return [_scalar(c, t, overrides) for c, t in zip(completions, truths, strict=True)]

    return lightclaw_reward


lightclaw_reward = make_lightclaw_reward()
"""The scalar LightClaw reward with the weights of the row's run."""


def compute_score(
    data_source: str,
    solution_str: str,
    ground_truth: str | Mapping[str, Any],
    extra_info: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> float:
    """verl's custom reward function: the scalar reward of one decoded response.

    A task whose own verifier fails has no reward; verl needs a number, so that is a
    :class:`UserError` naming the failure rather than a silent 0."""
    if not data_source.startswith("lightclaw/"):
        raise UserError(
            f"compute_score scores 'lightclaw/*' data sources only, got {data_source!r}"
        )
    truth = _truth_from({"ground_truth": ground_truth})
    reward = score_completion(solution_str, truth)
    if reward.scalar is None:
        raise UserError(f"task {truth.task_id!r} was not scored: {reward.verdict.message}")
    return reward.scalar
