"""Self-correction rows: an attempt, the feedback it got, the revision, labels and rewards.

Two sources, one row model (:class:`SelfCorrectionRow`, file ``selfcorrect/<split>.jsonl``):

* ``runtime_correction`` — inside an attempt-1 episode, step ``j`` revises step ``i``
  (``correction_of == i``). Prompt: the conversation before step ``i``; attempt: step ``i``'s
  assistant turn; feedback: step ``i``'s runtime error (type and message; ``kind="none"`` for
  an unprompted self-correction) and the messages between the two turns; revision: step ``j``'s
  turn. Correctness: a step with a runtime error is incorrect, else its verifier judgement.
  Rewards: the two steps' rewards.
* ``two_attempt`` — an attempt-2 episode and its parent (SCoRe protocol). Prompt: the task;
  attempt: the parent's turns; feedback: the recorded feedback (``generic`` SCoRe prompt or the
  ``verifier`` verdict); revision: attempt 2's turns. Correctness: each episode's success.
  Rewards: the two episodes' rewards.

Labels: ``transition`` (``i->c``, ``c->i``, ``c->c``, ``i->i``; None when either side is not
judged), ``i_to_c``, ``c_to_i`` and ``over_correction`` (the step's own flag; for two attempts
also a correct attempt revised into a wrong one).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lightclaw.export.conversation import episode_tool_specs
from lightclaw.export.dpo_pairs import EpisodeTurns
from lightclaw.export.pool import FilterLog, Pool, Selection, feed
from lightclaw.export.rows import ChatMessage, Metric, RowMeta, ToolSpec, row_meta
from lightclaw.export.writers import FileReport, JsonlWriter
from lightclaw.policies.feedback import GENERIC_FEEDBACK
from lightclaw.schema import Episode, Step
from lightclaw.schema.judgement import Transition
from lightclaw.store import Store
from lightclaw.verify.corrections import transition

FeedbackKind = Literal["runtime_error", "verifier", "generic", "none"]
CorrectionSource = Literal["runtime_correction", "two_attempt"]
FORMAT = "lightclaw-selfcorrect"
SC_DIR = "selfcorrect"


class Feedback(BaseModel):
    """What the policy was told between attempt and revision."""

    model_config = ConfigDict(extra="forbid")

    kind: FeedbackKind
    error_type: str | None = None
    message: str | None = None
    messages: list[ChatMessage] = Field(default_factory=list)
    """The feedback as the policy saw it (tool errors, runtime or verifier messages)."""


class Labels(BaseModel):
    """Correctness before and after the revision."""

    model_config = ConfigDict(extra="forbid")

    before_correct: bool | None
    after_correct: bool | None
    transition: Transition | None
    i_to_c: bool
    c_to_i: bool
    over_correction: bool

    @model_validator(mode="after")
    def _consistent(self) -> Labels:
        if self.transition != transition(self.before_correct, self.after_correct):
            raise ValueError("transition does not follow from before/after correctness")
        if self.i_to_c != (self.transition == "i->c") or self.c_to_i != (self.transition == "c->i"):
            raise ValueError("i_to_c / c_to_i disagree with the transition")
        return self


class SelfCorrectionRow(BaseModel):
    """One attempt → feedback → revision sample."""

    model_config = ConfigDict(extra="forbid")

    source: CorrectionSource
    prompt: list[ChatMessage] = Field(min_length=1)
    attempt: list[ChatMessage] = Field(min_length=1)
    feedback: Feedback
    revision: list[ChatMessage] = Field(min_length=1)
    labels: Labels
    reward_before: Metric | None
    reward_after: Metric | None
    tools: list[ToolSpec]
    meta: RowMeta

    @model_validator(mode="after")
    def _turns(self) -> SelfCorrectionRow:
        if self.attempt[0].role != "assistant" or self.revision[0].role != "assistant":
            raise ValueError("attempt and revision start with the assistant's turn")
        return self


def labels(before: bool | None, after: bool | None, over_correction: bool) -> Labels:
    t = transition(before, after)
    return Labels(
        before_correct=before,
        after_correct=after,
        transition=t,
        i_to_c=t == "i->c",
        c_to_i=t == "c->i",
        over_correction=over_correction,
    )


def step_correct(step: Step) -> bool | None:
    """A runtime error makes a step incorrect; otherwise the verifier's judgement."""
    return False if step.error_type is not None else step.judged_correct


def runtime_rows(episode: Episode, turns: EpisodeTurns) -> list[dict[str, Any]]:
    """Row bodies (without tools/meta) for the corrections inside an attempt-1 episode."""
    out: list[dict[str, Any]] = []
    if episode.attempt != 1:
        return out
    steps = episode.steps
    for j, step in enumerate(steps):
        i = step.correction_of
        if i is None or not 0 <= i < j:
            continue
        attempt, revision = turns.replies[i], turns.replies[j]
        if attempt is None or revision is None:
            continue
        between = turns.prefix(j)[len(turns.prefix(i)) + 1 :]
        failed = steps[i]
        feedback = Feedback(
            kind="runtime_error" if failed.error_type is not None else "none",
            error_type=None if failed.error_type is None else failed.error_type.value,
            message=failed.error_message,
            messages=[ChatMessage.model_validate(m) for m in between],
        )
        out.append(
            {
                "source": "runtime_correction",
                "prompt": turns.prefix(i),
                "attempt": [attempt],
                "feedback": feedback,
                "revision": [revision],
                "labels": labels(
                    step_correct(failed), step_correct(step), step.over_correction is True
                ),
                "reward_before": failed.reward,
                "reward_after": step.reward,
            }
        )
    return out


def two_attempt_row(episode: Episode, parent: Episode) -> dict[str, Any] | None:
    """The row body for an attempt-2 episode and its parent (None if either has no turns)."""
    first = EpisodeTurns.of(parent)
    second = EpisodeTurns.of(episode)
    prompt = first.prefix(0)
    attempt = first.messages(tail=False)[len(prompt) :]
    revision = second.continuation(0)
    if not attempt or not revision or attempt[0]["role"] != "assistant":
        return None
    text = episode.feedback or ""
    shown = second.observed[0] if second.observed else []
    before, after = parent.success, episode.success
    over = (before is True and after is False) or any(
        s.over_correction is True for s in episode.steps
    )
    return {
        "source": "two_attempt",
        "prompt": prompt,
        "attempt": attempt,
        "feedback": Feedback(
            kind="generic" if text == GENERIC_FEEDBACK else "verifier",
            message=text,
            messages=[ChatMessage.model_validate(m) for m in shown],
        ),
        "revision": revision,
        "labels": labels(before, after, over),
        "reward_before": parent.reward,
        "reward_after": episode.reward,
    }


class SelfCorrectResult(BaseModel):
    """What a self-correction export wrote, by source and transition."""

    files: list[FileReport]
    sources: dict[str, int] = Field(default_factory=dict)
    transitions: dict[str, int] = Field(default_factory=dict)
    skipped: dict[str, int] = Field(default_factory=dict)
    filters: FilterLog | None = None


class SelfCorrectExport:
    """Streaming self-correction sink (``selfcorrect/{split}.jsonl`` under ``out_dir``)."""

    def __init__(self, out_dir: Path, pool: Pool) -> None:
        self.out_dir, self.pool = Path(out_dir), pool
        self._writers: dict[str, JsonlWriter] = {}
        self.sources: Counter[str] = Counter()
        self.transitions: Counter[str] = Counter()
        self.skipped: Counter[str] = Counter()

    def add(self, episode: Episode, split: str = "train") -> bool:
        """Write the rows ``episode`` yields; True when it yielded any."""
        if episode.attempt == 1:
            bodies = runtime_rows(episode, EpisodeTurns.of(episode)) if episode.steps else []
        else:
            parent = self.pool.parent(episode)
            body = None if parent is None else two_attempt_row(episode, parent)
            if body is None:
                self.skipped["attempt 2 without a renderable parent attempt"] += 1
            bodies = [] if body is None else [body]
        if not bodies:
            return False
        run = self.pool.run(episode.run_id)
        meta = row_meta(episode, run, split=split, sample_type="self_correction")
        tools = episode_tool_specs(episode, self.pool)
        writer = self._writer(split)
        for body in bodies:
            row = {**body, "tools": tools, "meta": meta.model_dump(mode="json")}
            row["feedback"] = body["feedback"].model_dump(mode="json")
            row["labels"] = body["labels"].model_dump(mode="json")
            if writer.write(row):
                self.sources[body["source"]] += 1
                self.transitions[body["labels"].transition or "unjudged"] += 1
        return True

    def _writer(self, split: str) -> JsonlWriter:
        if split not in self._writers:
            path = self.out_dir / SC_DIR / f"{split}.jsonl"
            writer = JsonlWriter(
                path, SelfCorrectionRow, fmt=FORMAT, config="selfcorrect", split=split
            )
            self._writers[split] = writer.relative_to(self.out_dir)
        return self._writers[split]

    def close(self) -> list[FileReport]:
        return [w.close() for _, w in sorted(self._writers.items())]

    def summary(self, files: list[FileReport]) -> SelfCorrectResult:
        return SelfCorrectResult(
            files=files,
            sources=dict(self.sources),
            transitions=dict(self.transitions),
            skipped=dict(self.skipped),
        )


def run_selfcorrect(
    store: Store,
    selection: Selection,
    out_dir: Path | str,
    *,
    test_fraction: float = 0.0,
    seed: int = 0,
) -> SelfCorrectResult:
    """Library entry point: self-correction rows of every selected episode."""
    sink, log = feed(
        store, selection, lambda pool: SelfCorrectExport(Path(out_dir), pool),
        test_fraction=test_fraction, seed=seed,
    )  # fmt: skip
    result: SelfCorrectResult = sink.summary(sink.close())
    return result.model_copy(update={"filters": log})
