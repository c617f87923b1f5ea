"""GRPO / RL prompts: TRL prompt-only rows with the ground truth LightClaw's reward functions read,
and group statistics of the recorded rollouts of each prompt.

One row per task (``suite``, ``task_id``), from its first attempt-1 episode in the pool: ``prompt``
is the conversation up to the first assistant turn (system and user messages, as
:func:`~lightclaw.export.conversation.to_messages` renders them). The other columns reach
:mod:`lightclaw.rewards` as keyword arguments (TRL passes every column but ``prompt``); values whose
type varies between tasks (``expected_calls``, ``expected_answer``, ``oracle_calls``,
``initial_state``, ``expected_state``, ``user``, ``tool_docs``, ``reward_weights``) are JSON text,
so the JSONL loads with ``datasets`` and is lossless. The ground-truth columns carry all that
:func:`lightclaw.rewards.lightclaw_reward` needs to run a completion through the runtime and the
judge and give the reward the store reports for the same behaviour (docs/reward.md).

Skipped (counted in :attr:`GrpoExport.skipped`): attempt-2 episodes (revision prompts belong to
the self-correction export), tasks that need a simulated user (a prompt-only row has no user to
answer the question the task requires), and episodes whose task cannot be loaded.

Group statistics (``groups.jsonl``): per task, the attempt-1 rollouts in the pool — their number,
mean and standard deviation of the recorded reward (sample std, n−1, as GRPO's group
normalisation; null below two), min and max, and the pass rate over judged rollouts.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from lightclaw.export.conversation import (
    episode_tool_specs,
    to_messages,
)
from lightclaw.export.pool import Pool, split_of
from lightclaw.export.rows import ChatMessage, Metric, ToolSpec
from lightclaw.export.writers import FileReport, JsonlWriter
from lightclaw.rewards import DEFAULT_WEIGHTS, GroundTruth
from lightclaw.schema import Episode, Task
from lightclaw.schema.tasks import AnswerMatch

Split = Literal["train", "test"]
GRPO_FORMAT = "trl-grpo"
GROUPS_FORMAT = "lightclaw-grpo-groups"


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid")


def check_prompt(messages: list[ChatMessage]) -> None:
    """A prompt-only conversation: no assistant turn, and it ends with what the model answers."""
    if any(m.role == "assistant" for m in messages):
        raise ValueError("a prompt-only row holds no assistant message")
    if messages[-1].role not in ("user", "tool"):
        raise ValueError(f"the prompt ends with a {messages[-1].role} message, not a user turn")


class GrpoRow(_Row):
    """TRL prompt-only conversational row plus the ground-truth columns (docs/exports.md)."""

    prompt: list[ChatMessage] = Field(min_length=1)
    task_id: str = Field(min_length=1)
    suite: str
    split: Split
    tools: list[ToolSpec]
    """The task's tools (JSON schemas). GRPOTrainer does not render this column into the prompt."""
    expected_calls: str
    """JSON text: ``[{"tool", "arguments": {name: [acceptable values]}}]``."""
    calls_ordered: bool
    no_call_expected: bool
    expected_answer: str
    """JSON text of the expected answer (``null`` when the task has none)."""
    answer_match: AnswerMatch
    tolerance: float = Field(ge=0)
    verifier: str | None
    oracle_calls: str
    """JSON text: the oracle solution's tool calls ``[{"tool", "arguments"}]``."""
    # Written by every export since the judgement was unified; the defaults let rows of older
    # exports (which lack them) still be read.
    initial_state: str = "{}"
    """JSON text: the state the task's tools start from (the reward function runs them)."""
    expected_state: str = "null"
    """JSON text of the expected final state (``null`` when the task has none)."""
    user: str = "null"
    """JSON text: the task's simulated user ``{"replies": [...]}`` (``null`` without one)."""
    max_steps: int = Field(default=10, ge=1)
    tags: list[str] = Field(default_factory=list)
    tool_docs: str = "null"
    """JSON text: the function docs the task brings (BFCL); ``null``: the core tools."""
    reward_weights: str = Field(default_factory=lambda: _json(dict(DEFAULT_WEIGHTS)))
    """JSON text: the reward weights of the run the row comes from (all eight components)."""

    @model_validator(mode="after")
    def _usable(self) -> GrpoRow:
        check_prompt(self.prompt)
        truth = self.ground_truth()  # the reward functions must be able to read the row
        offered = {spec.function.name for spec in self.tools}
        missing = sorted({c.tool for c in truth.expected_calls} - offered)
        if missing:
            raise ValueError(f"expected calls name tools that are not offered: {missing}")
        return self

    def ground_truth(self) -> GroundTruth:
        return GroundTruth(
            task_id=self.task_id,
            tools=[spec.function.name for spec in self.tools],
            initial_state=json.loads(self.initial_state),
            expected_calls=json.loads(self.expected_calls),
            calls_ordered=self.calls_ordered,
            no_call_expected=self.no_call_expected,
            expected_answer=json.loads(self.expected_answer),
            answer_match=self.answer_match,
            tolerance=self.tolerance,
            verifier=self.verifier,
            expected_state=json.loads(self.expected_state),
            user=json.loads(self.user),
            oracle_calls=json.loads(self.oracle_calls),
            max_steps=self.max_steps,
            tags=self.tags,
            tool_docs=json.loads(self.tool_docs),
            reward_weights=json.loads(self.reward_weights),
        )


def _json(value: JsonValue) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, allow_nan=False)


def grpo_row(episode: Episode, pool: Pool, task: Task, split: Split) -> dict[str, Any]:
    """The GRPO row (as a mapping, validated by the writer) of ``task``'s prompt in ``episode``."""
    suite = pool.suite(episode.run_id)
    truth = GroundTruth.from_task(
        task,
        tool_docs=None if suite is None else suite.tool_docs(task),
        reward_weights=pool.run(episode.run_id).config.reward_weights,
    )
    dumped = truth.model_dump(mode="json")
    return {
        "prompt": to_messages(episode, upto=0),
        "task_id": task.id,
        "suite": episode.suite,
        "split": split,
        "tools": episode_tool_specs(episode, pool),
        "expected_calls": _json(dumped["expected_calls"]),
        "calls_ordered": truth.calls_ordered,
        "no_call_expected": truth.no_call_expected,
        "expected_answer": _json(dumped["expected_answer"]),
        "answer_match": truth.answer_match,
        "tolerance": truth.tolerance,
        "verifier": truth.verifier,
        "oracle_calls": _json(dumped["oracle_calls"]),
        "initial_state": _json(dumped["initial_state"]),
        "expected_state": _json(dumped["expected_state"]),
        "user": _json(dumped["user"]),
        "max_steps": truth.max_steps,
        "tags": truth.tags,
        "tool_docs": _json(dumped["tool_docs"]),
        "reward_weights": _json(dumped["reward_weights"]),
    }


class GroupStats(_Row):
    """The recorded attempt-1 rollouts of one prompt (task)."""

    suite: str
    task_id: str
    split: Split
    n_rollouts: int = Field(ge=0)
    n_scored: int = Field(ge=0)
    """Rollouts with a reward (a verifier failure leaves it null)."""
    mean_reward: Metric | None
    std_reward: Metric | None
    min_reward: Metric | None
    max_reward: Metric | None
    n_judged: int = Field(ge=0)
    pass_rate: Metric | None = Field(ge=0, le=1)
    zero_std: bool
    """Every scored rollout earned the same reward: GRPO's advantage is 0 for this group."""


class _Group:
    """Running statistics (Welford) of one task's rewards: bounded memory per task."""

    def __init__(self, suite: str, task_id: str, split: Split) -> None:
        self.suite, self.task_id, self.split = suite, task_id, split
        self.n = self.scored = self.judged = self.passed = 0
        self.mean = self.m2 = 0.0
        self.low = math.inf
        self.high = -math.inf

    def add(self, episode: Episode) -> None:
        self.n += 1
        if episode.success is not None:
            self.judged += 1
            self.passed += episode.success
        if episode.reward is not None:
            self.scored += 1
            delta = episode.reward - self.mean
            self.mean += delta / self.scored
            self.m2 += delta * (episode.reward - self.mean)
            self.low, self.high = min(self.low, episode.reward), max(self.high, episode.reward)

    def stats(self) -> GroupStats:
        scored = self.scored > 0
        return GroupStats(
            suite=self.suite,
            task_id=self.task_id,
            split=self.split,
            n_rollouts=self.n,
            n_scored=self.scored,
            mean_reward=self.mean if scored else None,
            std_reward=math.sqrt(self.m2 / (self.scored - 1)) if self.scored > 1 else None,
            min_reward=self.low if scored else None,
            max_reward=self.high if scored else None,
            n_judged=self.judged,
            pass_rate=self.passed / self.judged if self.judged else None,
            zero_std=scored and self.high == self.low,
        )


class PromptCollector:
    """First-seen prompt per task and group statistics, from a stream of episodes.

    :meth:`add` returns the new prompt row when ``episode`` is the first usable rollout of its
    task (None otherwise); skipped episodes are counted by reason in :attr:`skipped`.
    """

    def __init__(self, pool: Pool, *, test_fraction: float = 0.0, seed: int = 0) -> None:
        self.pool = pool
        self.test_fraction, self.seed = test_fraction, seed
        self.groups: dict[tuple[str, str], _Group] = {}
        self.skipped: dict[str, int] = {}

    def _skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def add(self, episode: Episode) -> tuple[dict[str, Any], Split] | None:
        if episode.attempt != 1:
            self._skip("attempt 2 (revision prompts are in the self-correction export)")
            return None
        task = self.pool.task(episode)
        if task is None:
            self._skip("task not loadable from the run's suite")
            return None
        if task.user is not None:
            self._skip("task needs a simulated user")
            return None
        key = (episode.suite, episode.task_id)
        group = self.groups.get(key)
        first = group is None
        if group is None:
            split: Split = split_of(episode.task_id, self.test_fraction, self.seed)  # type: ignore[assignment]
            group = self.groups[key] = _Group(episode.suite, episode.task_id, split)
        group.add(episode)
        return (grpo_row(episode, self.pool, task, group.split), group.split) if first else None

    def stats(self) -> list[GroupStats]:
        return [group.stats() for group in self.groups.values()]


class SplitFiles:
    """One writer per split, opened when the split gets its first row (no empty split files)."""

    def __init__(self, open_writer: Callable[[Split], Any]) -> None:
        self._open = open_writer
        self.writers: dict[Split, Any] = {}

    def write(self, row: dict[str, Any], split: Split) -> bool:
        if split not in self.writers:
            self.writers[split] = self._open(split)
        return bool(self.writers[split].write(row))

    def close(self) -> list[FileReport]:
        return [self.writers[s].close() for s in ("train", "test") if s in self.writers]


class GrpoExport:
    """Writes ``<out>/grpo/{train,test}.jsonl`` and ``<out>/grpo/groups.jsonl`` from episodes."""

    def __init__(
        self, out: Path | str, pool: Pool, *, test_fraction: float = 0.0, seed: int = 0
    ) -> None:
        self.root = Path(out)
        self.collector = PromptCollector(pool, test_fraction=test_fraction, seed=seed)
        self.files = SplitFiles(self._writer)

    def _writer(self, split: Split) -> JsonlWriter:
        path = self.root / "grpo" / f"{split}.jsonl"
        writer = JsonlWriter(path, GrpoRow, fmt=GRPO_FORMAT, config="grpo", split=split)
        return writer.relative_to(self.root)

    @property
    def skipped(self) -> dict[str, int]:
        return dict(self.collector.skipped)

    def add(self, episode: Episode) -> tuple[dict[str, Any], Split] | None:
        """Take one episode; returns the new prompt row it produced (e.g. for
        :meth:`VerlExport.write <lightclaw.export.verl.VerlExport.write>`), if any."""
        new = self.collector.add(episode)
        if new is not None:
            self.files.write(*new)
        return new

    def close(self) -> list[FileReport]:
        """Close the prompt files and write the group statistics; the files' reports."""
        reports = self.files.close()
        path = self.root / "grpo" / "groups.jsonl"
        with JsonlWriter(path, GroupStats, fmt=GROUPS_FORMAT, config="grpo_groups") as groups:
            groups.relative_to(self.root)
            for stats in self.collector.stats():
                groups.write(stats)
        return [*reports, groups.report()]
