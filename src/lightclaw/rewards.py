"""Reward functions for RL on LightClaw tasks, scored with LightClaw's own parser and verifiers.

TRL (``GRPOTrainer(reward_funcs=[...])``): every function has TRL's signature
``fn(completions, **kwargs) -> list[float | None]``. ``completions`` are conversational (a list of
message lists; the assistant messages' ``content`` and ``tool_calls`` are parsed) or plain
strings. The ground truth comes from the dataset columns TRL passes as keyword arguments — the
columns of ``lightclaw export --formats grpo`` (``expected_calls``, ``expected_answer``, ...) or
one ``ground_truth`` column holding a :class:`GroundTruth` as JSON.

verl (``custom_reward_function``): :func:`compute_score` with verl's signature, reading the
``reward_model.ground_truth`` JSON of ``lightclaw export --formats verl``.

Components (each usable alone, ``None`` where it does not apply):

* :func:`format_reward` — share of the assistant messages that parse into actions (0 if none).
* :func:`tool_choice_reward` — share of the tool calls naming a tool of an expected call or of
  the oracle solution (a lookup the solution needs is a right choice; 0 without calls); on
  irrelevance tasks (``no_call_expected``) 1 without tool calls, else 0. ``None`` when the task
  expects no calls.
* :func:`argument_reward` — share of the tool calls judged correct by
  :func:`~lightclaw.verify.judging.judge_call` among those it can judge (0 without calls).
* :func:`answer_reward` — 1/0 for the last final answer under the task's ``answer_match`` (0
  without a final answer); ``None`` without an expected answer (or with a python verifier).
* :func:`lightclaw_reward` — the weighted sum of the components that apply
  (:data:`DEFAULT_WEIGHTS`); :func:`make_lightclaw_reward` builds one with other weights.

Completions that are not JSON actions may carry calls in ``<tool_call>{...}</tool_call>`` blocks
(Hermes/Qwen style); ``<think>...</think>`` reasoning is ignored; prose without JSON is a final
answer (exported conversations answer in prose). No tool is executed, so
``expected_state`` is not checked here.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue, PrivateAttr, ValidationError

from lightclaw.errors import UserError
from lightclaw.policies.parsing import parse_output
from lightclaw.schema import (
    Action,
    ExpectedCall,
    FinalAnswer,
    RawOutput,
    Task,
    ToolCall,
    effective,
)
from lightclaw.schema.tasks import AnswerMatch
from lightclaw.verify.judging import judge_answer, judge_call, oracle_calls

__all__ = [
    "COMPONENTS",
    "DEFAULT_WEIGHTS",
    "GroundTruth",
    "RewardFunction",
    "answer_reward",
    "argument_reward",
    "assistant_outputs",
    "compute_score",
    "format_reward",
    "lightclaw_reward",
    "make_lightclaw_reward",
    "score_completion",
    "tool_choice_reward",
]

COMPONENTS: tuple[str, ...] = ("format", "tool_choice", "arguments", "answer")
DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"format": 0.1, "tool_choice": 0.2, "arguments": 0.2, "answer": 1.0}
)
"""A correct answer dominates; a well-formed, well-aimed tool call earns up to 0.5."""

RewardFunction = Callable[..., list[float | None]]
Completion = str | Sequence[Mapping[str, Any]]

_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL)
_TOOL_CALL_TAG = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)
_GROUND_TRUTH_COLUMNS = ("expected_calls", "expected_answer", "answer_match")


class GroundTruth(BaseModel):
    """What the verifiers need to judge a completion for one task (lossless as JSON)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task_id: str = "task"
    tools: list[str] = Field(default_factory=list)
    expected_calls: list[ExpectedCall] = Field(default_factory=list)
    calls_ordered: bool = False
    no_call_expected: bool = False
    expected_answer: JsonValue = None
    answer_match: AnswerMatch = "normalized"
    tolerance: float = Field(default=1e-6, ge=0)
    verifier: str | None = None
    oracle_calls: list[ToolCall] = Field(default_factory=list)
    _task: Task = PrivateAttr()

    @classmethod
    def from_task(cls, task: Task) -> GroundTruth:
        """The ground truth of ``task`` (its oracle's tool calls without call ids)."""
        return cls(
            task_id=task.id,
            tools=list(task.tools),
            expected_calls=list(task.expected_calls),
            calls_ordered=task.calls_ordered,
            no_call_expected=task.no_call_expected,
            expected_answer=task.expected_answer,
            answer_match=task.answer_match,
            tolerance=task.tolerance,
            verifier=task.verifier,
            oracle_calls=[call.model_copy(update={"call_id": None}) for call in oracle_calls(task)],
        )

    def model_post_init(self, context: Any, /) -> None:
        self._task = self._build_task()  # also validates the combination (e.g. verifier)

    def task(self) -> Task:
        """A task carrying this ground truth, for the judges (prompt and oracle are stand-ins)."""
        return self._task

    def _build_task(self) -> Task:
        oracle: list[Action] = list(self.oracle_calls) or [FinalAnswer(content=None)]
        named = {c.tool for c in self.expected_calls} | {c.tool for c in self.oracle_calls}
        tools = self.tools or sorted(named)
        return Task(
            id=self.task_id,
            prompt=self.task_id,
            tools=tools or ["none"],
            expected_calls=self.expected_calls,
            calls_ordered=self.calls_ordered,
            no_call_expected=self.no_call_expected,
            expected_answer=self.expected_answer,
            answer_match=self.answer_match,
            tolerance=self.tolerance,
            verifier=self.verifier,
            oracle=[oracle],
        )


# ---------------------------------------------------------------- completions
def _text_of(content: Any) -> str:
    """Message content as text (a list of ``{"type": "text", "text": ...}`` parts is joined)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text", "") if isinstance(p, Mapping) else str(p) for p in content]
        return "".join(part for part in parts if isinstance(part, str))
    return str(content)


def _raw(text: str, tool_calls: Any) -> RawOutput:
    if tool_calls:
        return RawOutput(text=text or None, tool_calls=list(tool_calls))
    text = _THINK.sub("", text)
    blocks = _TOOL_CALL_TAG.findall(text)
    if blocks:
        calls = []
        for block in blocks:
            try:
                calls.append(json.loads(block))
            except ValueError:
                return RawOutput(text=block)  # broken JSON: the parser explains it
        return RawOutput(tool_calls=calls)
    return RawOutput(text=text)


def assistant_outputs(completion: Completion) -> list[RawOutput]:
    """The raw outputs of the completion's assistant messages (a string is one output)."""
    if isinstance(completion, str):
        return [_raw(completion, None)]
    outputs = []
    for message in completion:
        if not isinstance(message, Mapping) or message.get("role", "assistant") != "assistant":
            continue
        outputs.append(_raw(_text_of(message.get("content")), message.get("tool_calls")))
    return outputs


@dataclass(frozen=True)
class _Parsed:
    outputs: int
    parsed: int
    actions: list[Action]

    @property
    def calls(self) -> list[ToolCall]:
        return [done for a in self.actions if isinstance(done := effective(a), ToolCall)]

    @property
    def answers(self) -> list[FinalAnswer]:
        return [done for a in self.actions if isinstance(done := effective(a), FinalAnswer)]


def _parse(completion: Completion, text_is_final_answer: bool) -> _Parsed:
    outputs = assistant_outputs(completion)
    results = [parse_output(raw, text_is_final_answer=text_is_final_answer) for raw in outputs]
    actions = [action for result in results if result.ok for action in result.actions]
    return _Parsed(len(outputs), sum(result.ok for result in results), actions)


# ---------------------------------------------------------------- components
def _format(parsed: _Parsed, truth: GroundTruth) -> float | None:
    return parsed.parsed / parsed.outputs if parsed.outputs else 0.0


def _tool_choice(parsed: _Parsed, truth: GroundTruth) -> float | None:
    calls = parsed.calls
    if truth.no_call_expected:
        return 0.0 if calls or not parsed.parsed else 1.0
    if not truth.expected_calls:
        return None
    if not calls:
        return 0.0
    fitting = {call.tool for call in truth.expected_calls} | {c.tool for c in truth.oracle_calls}
    return sum(call.tool in fitting for call in calls) / len(calls)


def _arguments(parsed: _Parsed, truth: GroundTruth) -> float | None:
    if not truth.expected_calls:
        return None
    calls = parsed.calls
    if not calls:
        return 0.0
    task = truth.task()
    known = [v for v in (judge_call(task, call) for call in calls) if v is not None]
    return sum(known) / len(known) if known else None


def _answer(parsed: _Parsed, truth: GroundTruth) -> float | None:
    if truth.expected_answer is None or truth.answer_match == "python":
        return None
    answers = parsed.answers
    if not answers:
        return 0.0
    verdict = judge_answer(truth.task(), answers[-1].content)
    return None if verdict is None else float(verdict)


_SCORERS: Mapping[str, Callable[[_Parsed, GroundTruth], float | None]] = MappingProxyType(
    {"format": _format, "tool_choice": _tool_choice, "arguments": _arguments, "answer": _answer}
)


def score_completion(
    completion: Completion, truth: GroundTruth, *, text_is_final_answer: bool = True
) -> dict[str, float | None]:
    """Every component for one completion (see the module docstring)."""
    parsed = _parse(completion, text_is_final_answer)
    return {name: scorer(parsed, truth) for name, scorer in _SCORERS.items()}


def _weighted(components: Mapping[str, float | None], weights: Mapping[str, float]) -> float:
    return sum(weights.get(name, 0.0) * v for name, v in components.items() if v is not None)


# ---------------------------------------------------------------- ground truth from columns
def _decoded(value: Any) -> Any:
    """A column value written as JSON text is decoded; other values pass through."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _truth_from(row: Mapping[str, Any]) -> GroundTruth:
    if "ground_truth" in row:
        data = _decoded(row["ground_truth"])
    else:
        data = {key: row[key] for key in GroundTruth.model_fields if key in row}
        for key in ("expected_calls", "oracle_calls", "expected_answer", "tools"):
            if key in data:
                data[key] = _decoded(data[key])
        if isinstance(data.get("tools"), list):  # OpenAI tool schemas -> names
            data["tools"] = [_tool_name(spec) for spec in data["tools"]]
    try:
        return GroundTruth.model_validate(data)
    except ValidationError as exc:
        raise UserError(f"invalid LightClaw ground truth: {exc.errors()[0]['msg']}") from None


def _tool_name(spec: Any) -> Any:
    if isinstance(spec, Mapping):
        inner = spec.get("function", spec)
        return inner.get("name") if isinstance(inner, Mapping) else spec
    return spec


def _truths(count: int, kwargs: Mapping[str, Any]) -> list[GroundTruth]:
    keys = ["ground_truth"] if "ground_truth" in kwargs else list(GroundTruth.model_fields)
    if "ground_truth" not in kwargs and not any(k in kwargs for k in _GROUND_TRUTH_COLUMNS):
        raise UserError(
            "LightClaw reward functions need the ground-truth columns of a LightClaw GRPO export "
            f"({', '.join(_GROUND_TRUTH_COLUMNS)}, ...) or a 'ground_truth' column"
        )
    columns = {key: kwargs[key] for key in keys if key in kwargs}
    for key, values in columns.items():
        if not isinstance(values, Sequence) or isinstance(values, str) or len(values) != count:
            raise UserError(f"column {key!r} must hold one value per completion ({count})")
    return [_truth_from({key: values[i] for key, values in columns.items()}) for i in range(count)]


def _component_function(name: str) -> RewardFunction:
    scorer = _SCORERS[name]

    def reward(completions: Sequence[Completion], **kwargs: Any) -> list[float | None]:
        truths = _truths(len(completions), kwargs)
        return [scorer(_parse(c, True), t) for c, t in zip(completions, truths, strict=True)]

    reward.__name__ = reward.__qualname__ = f"{name}_reward"
    reward.__doc__ = f"LightClaw's {name!r} reward component (TRL reward-function signature)."
    return reward


format_reward = _component_function("format")
tool_choice_reward = _component_function("tool_choice")
argument_reward = _component_function("arguments")
answer_reward = _component_function("answer")


def _resolve(weights: Mapping[str, float] | None) -> dict[str, float]:
    resolved = dict(DEFAULT_WEIGHTS)
    for name, value in (weights or {}).items():
        if name not in DEFAULT_WEIGHTS:
            raise UserError(f"unknown reward component {name!r}; valid: {', '.join(COMPONENTS)}")
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise UserError(f"reward weight {name!r} must be a finite number, got {value!r}")
        resolved[name] = float(value)
    return resolved


def make_lightclaw_reward(
    weights: Mapping[str, float] | None = None, *, text_is_final_answer: bool = True
) -> RewardFunction:
    """A TRL reward function: the weighted sum of the components (weights override by name)."""
    resolved = _resolve(weights)

    def lightclaw_reward(completions: Sequence[Completion], **kwargs: Any) -> list[float | None]:
        truths = _truths(len(completions), kwargs)
        return [
            _weighted(score_completion(c, t, text_is_final_answer=text_is_final_answer), resolved)
            for c, t in zip(completions, truths, strict=True)
        ]

    return lightclaw_reward


lightclaw_reward = make_lightclaw_reward()
"""The weighted LightClaw reward with :data:`DEFAULT_WEIGHTS`."""


def compute_score(
    data_source: str,
    solution_str: str,
    ground_truth: str | Mapping[str, Any],
    extra_info: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> float:
    """verl's custom reward function: the weighted LightClaw reward of one decoded response."""
    if not data_source.startswith("lightclaw/"):
        raise UserError(
            f"compute_score scores 'lightclaw/*' data sources only, got {data_source!r}"
        )
    truth = _truth_from({"ground_truth": ground_truth})
    return _weighted(score_completion(solution_str, truth), DEFAULT_WEIGHTS)
