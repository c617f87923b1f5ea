"""SPA (Stepwise Progress Attribution, Wang et al. 2025, SPA-RL): per-step progress that sums
exactly to the episode's final reward, plus the executor's per-step executability signal.

Estimators (:data:`ESTIMATORS`):

* ``uniform`` — every step gets an equal share of the final reward;
* ``error_aware`` — a step that failed at run time (``step.error_type`` set: it did not
  execute as emitted) gets 0; the executable steps share the reward equally (if none did, the
  last step carries it all).

Shares are cut on a binary grid below the reward's precision and the last receiving step takes
the remainder, so the contributions add up to the reward *exactly* in floating point, in any
order (``sum``, ``math.fsum`` or a pairwise sum). The reward split is the episode's reward
rounded as every exported reward is (:func:`lightclaw.export.rows.lossless`).

The shares are not short decimals, so the JSONL rows keep every column type-stable for
``datasets``: a turn's ``observation`` and ``action`` are JSON text (their messages' tool
arguments change type across rows, which would make ``datasets`` re-encode the file through
pandas' ujson and round every float to 10 decimals). Loaded, the shares still sum exactly.

Files written under ``out_dir/spa/`` per split:

* ``<split>.jsonl`` — one :class:`SpaRow` per episode: per-step observation and action (JSON
  text of chat messages), progress, executability and error type, final reward.
* ``progress_estimator_<split>.json`` — the layout SPA-RL's progress-estimator training reads
  (``prm/data_org.py`` output, loaded with ``json.load`` by ``prm/train_our_progress_model.py``):
  a JSON array of ``{"conversations": [{"from": "human"|"gpt", "value"}...],
  "agent_final_reward", "id", "iteration", "success"}``. Turns alternate human/gpt, start with
  the task and end with the last action: gpt turn ``i`` is step ``i`` (the turn boundaries the
  estimator reads values at), human turn ``i`` what step ``i`` observed.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from lightclaw.errors import RuntimeBug, UserError
from lightclaw.export.dpo_pairs import EpisodeTurns
from lightclaw.export.pool import FilterLog, Pool, Selection, feed
from lightclaw.export.rows import ChatMessage, Metric, RowMeta, ShareGptTurn, lossless, row_meta
from lightclaw.export.writers import FileReport, JsonlWriter, RowWriter
from lightclaw.schema import Episode, Step
from lightclaw.store import Store

Estimator = Literal["uniform", "error_aware"]
ESTIMATORS: tuple[Estimator, ...] = ("uniform", "error_aware")
SPA_DIR = "spa"


def executable(step: Step) -> bool:
    """The executor's grounding signal: the step ran as emitted (no runtime error)."""
    return step.error_type is None


def split_exactly(total: float, receivers: int) -> list[float]:
    """``receivers`` equal shares of ``total`` whose float sum is exactly ``total``.

    Each share but the last is truncated (toward zero) to a multiple of ``2**(e - 45)`` where
    ``2**e > |total|``; the last is the remainder, which is then exact. Every partial sum is a
    multiple of ``total``'s own ulp below ``|total|``, so no addition ever rounds.
    """
    if receivers < 1:
        raise RuntimeBug(f"split_exactly needs at least one receiver, got {receivers}")
    if not math.isfinite(total):
        raise RuntimeBug(f"cannot split a non-finite reward {total}")
    if total == 0.0 or receivers == 1:
        return [total] * (receivers - 1) + [total]
    grid = math.ldexp(1.0, math.frexp(total)[1] - 45)
    share = math.trunc(total / receivers / grid) * grid
    last = total - share * (receivers - 1)
    return [share] * (receivers - 1) + [last]


def progress(episode: Episode, estimator: Estimator) -> list[float]:
    """Per-step progress contributions of ``episode`` that sum exactly to its reward."""
    if episode.reward is None:
        raise RuntimeBug(f"episode {episode.id} has no reward to attribute")
    n = len(episode.steps)
    if n == 0:
        return []
    if estimator == "uniform":
        receivers = list(range(n))
    elif estimator == "error_aware":
        receivers = [i for i, s in enumerate(episode.steps) if executable(s)] or [n - 1]
    else:
        raise UserError(f"unknown SPA estimator {estimator!r}; choose one of {list(ESTIMATORS)}")
    out = [0.0] * n
    total = lossless(episode.reward)
    for i, share in zip(receivers, split_exactly(total, len(receivers)), strict=True):
        out[i] = share
    return out


def _messages_text(value: Any) -> str:
    """JSON text of chat messages, checked against :class:`ChatMessage` (accepts the messages
    themselves or their JSON text)."""
    items = json.loads(value) if isinstance(value, str) else value
    if not isinstance(items, list):
        raise ValueError("expected a JSON list of chat messages")
    checked = [ChatMessage.model_validate(m).model_dump(mode="json") for m in items]
    return json.dumps(checked, ensure_ascii=False)


def _message_text(value: Any) -> str | None:
    if value is None:
        return None
    item = json.loads(value) if isinstance(value, str) else value
    checked = ChatMessage.model_validate(item).model_dump(mode="json")
    return json.dumps(checked, ensure_ascii=False)


class SpaTurn(BaseModel):
    """One step: what it observed since the last turn, what it did, and its attribution.

    ``observation`` is the JSON text of a list of chat messages and ``action`` that of the
    assistant's message (None when the policy produced nothing): see the module docstring."""

    model_config = ConfigDict(extra="forbid")

    step: int = Field(ge=0)
    observation: Annotated[str, BeforeValidator(_messages_text)]
    action: Annotated[str | None, BeforeValidator(_message_text)]
    progress: float
    executable: bool
    error_type: str | None = None


class SpaRow(BaseModel):
    """An episode with per-step progress (``spa_steps.jsonl``)."""

    model_config = ConfigDict(extra="forbid")

    estimator: Estimator
    final_reward: Metric
    turns: list[SpaTurn] = Field(min_length=1)
    meta: RowMeta

    @model_validator(mode="after")
    def _sums(self) -> SpaRow:
        contributions = [t.progress for t in self.turns]
        if sum(contributions) != self.final_reward or math.fsum(contributions) != self.final_reward:
            raise ValueError("per-step progress does not sum exactly to the final reward")
        if [t.step for t in self.turns] != list(range(len(self.turns))):
            raise ValueError("turns must list steps 0..n-1 in order")
        return self


class EstimatorRow(BaseModel):
    """One record of SPA-RL's progress-estimator training data."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    conversations: list[ShareGptTurn] = Field(min_length=2)
    agent_final_reward: Metric
    id: str
    iteration: int = Field(ge=0)
    success: bool
    episode_id: str
    progress: list[float]
    executable: list[bool]

    @model_validator(mode="after")
    def _turns(self) -> EstimatorRow:
        roles = [t.from_ for t in self.conversations]
        if roles != ["human", "gpt"] * (len(roles) // 2) or len(roles) % 2:
            raise ValueError("conversations must alternate human, gpt and end with gpt")
        if not len(self.progress) == len(self.executable) == len(roles) // 2:
            raise ValueError("one progress value and one executable flag per gpt turn")
        if math.fsum(self.progress) != self.agent_final_reward:
            raise ValueError("progress does not sum to agent_final_reward")
        return self


class JsonArrayWriter(RowWriter):
    """A JSON array, one row per line, written as rows come (read back with ``json.load``)."""

    file_type = "json"

    def __init__(self, path: Path | str, model: type[BaseModel], **kw: str) -> None:
        super().__init__(
            path,
            model,
            fmt=kw.get("fmt", "json"),
            config=kw.get("config", "default"),
            split=kw.get("split", "train"),
        )
        self._fh = self.path.open("w", encoding="utf-8")
        self._fh.write("[")
        self._line = ""

    def _check(self, data: dict[str, Any]) -> None:
        self._line = json.dumps(data, ensure_ascii=False, allow_nan=False)

    def _emit(self, data: dict[str, Any]) -> None:
        self._fh.write(("\n" if self.report_.rows == 0 else ",\n") + self._line)

    def _finish(self) -> None:
        self._fh.write("\n]\n")
        self._fh.close()


def message_text(message: dict[str, Any]) -> str:
    """A chat message as plain text for SPA-RL's string turns (tool calls as JSON)."""
    role = message["role"]
    if role == "tool":
        return f"[{message['name']}] {message['content']}"
    parts = [message["content"]] if message.get("content") else []
    calls = [
        {"name": c["function"]["name"], "arguments": c["function"]["arguments"]}
        for c in message.get("tool_calls") or ()
    ]
    if calls:
        parts.append(json.dumps(calls[0] if len(calls) == 1 else calls, ensure_ascii=False))
    return "\n".join(parts)


def _text(messages: Iterable[dict[str, Any]]) -> str:
    return "\n\n".join(message_text(m) for m in messages)


class SpaResult(BaseModel):
    """What :func:`run_spa` (or a :class:`SpaExport`) wrote and what it left out."""

    estimator: Estimator
    files: list[FileReport]
    skipped: dict[str, int] = Field(default_factory=dict)
    filters: FilterLog | None = None


class SpaExport:
    """Streaming SPA sink: :meth:`add` episodes, then :meth:`close`.

    Only judged attempt-1 episodes with steps are attributed; others are counted in
    ``skipped`` by reason (an attempt-2 episode's reward belongs to both attempts).
    """

    def __init__(
        self,
        out_dir: Path | str,
        pool: Pool,
        *,
        estimator: Estimator = "error_aware",
    ) -> None:
        if estimator not in ESTIMATORS:
            raise UserError(
                f"unknown SPA estimator {estimator!r}; choose one of {list(ESTIMATORS)}"
            )
        self.out_dir, self.pool, self.estimator = Path(out_dir), pool, estimator
        self._writers: dict[str, tuple[RowWriter, RowWriter]] = {}
        self.skipped: Counter[str] = Counter()

    def _pair(self, split: str) -> tuple[RowWriter, RowWriter]:
        if split not in self._writers:
            base = self.out_dir / SPA_DIR
            steps = JsonlWriter(
                base / f"{split}.jsonl", SpaRow, fmt="lightclaw-spa", config="spa", split=split
            )
            estimator = JsonArrayWriter(
                base / f"progress_estimator_{split}.json",
                EstimatorRow,
                fmt="spa-rl-progress",
                config="spa_rl",
                split=split,
            )
            self._writers[split] = (
                steps.relative_to(self.out_dir),
                estimator.relative_to(self.out_dir),
            )
        return self._writers[split]

    def add(self, episode: Episode, split: str = "train") -> bool:
        """Attribute one episode; False (counted in ``skipped``) when it is not attributable."""
        if episode.attempt != 1:
            self.skipped["attempt 2 (reward shared with its parent)"] += 1
            return False
        if episode.reward is None or episode.success is None:
            self.skipped["not judged (no reward)"] += 1
            return False
        if not episode.steps:
            self.skipped["no steps"] += 1
            return False
        steps_file, estimator_file = self._pair(split)
        meta = row_meta(episode, self.pool.run(episode.run_id), split=split, sample_type="spa")
        turns = EpisodeTurns.of(episode)
        shares = progress(episode, self.estimator)
        flags = [executable(s) for s in episode.steps]
        rows = [
            {
                "step": i,
                "observation": turns.observed[i],
                "action": turns.replies[i],
                "progress": shares[i],
                "executable": flags[i],
                "error_type": step.error_type,
            }
            for i, step in enumerate(episode.steps)
        ]
        steps_file.write(
            {
                "estimator": self.estimator,
                "final_reward": lossless(episode.reward),
                "turns": rows,
                "meta": meta.model_dump(mode="json"),
            }
        )
        conversations: list[dict[str, str]] = []
        for i in range(len(episode.steps)):
            conversations.append({"from": "human", "value": _text(turns.observed[i])})
            reply = turns.replies[i]
            conversations.append(
                {"from": "gpt", "value": "" if reply is None else message_text(reply)}
            )
        return estimator_file.write(
            {
                "conversations": conversations,
                "agent_final_reward": lossless(episode.reward),
                "id": episode.task_id,
                "iteration": episode.trial,
                "success": episode.success,
                "episode_id": episode.id,
                "progress": shares,
                "executable": flags,
            }
        )

    def close(self) -> list[FileReport]:
        return [w.close() for _, pair in sorted(self._writers.items()) for w in pair]

    def summary(self, files: list[FileReport]) -> SpaResult:
        return SpaResult(estimator=self.estimator, files=files, skipped=dict(self.skipped))


def run_spa(
    store: Store,
    selection: Selection,
    out_dir: Path | str,
    estimator: Estimator = "error_aware",
    *,
    test_fraction: float = 0.0,
    seed: int = 0,
) -> SpaResult:
    """Library entry point of ``lightclaw spa``: attribute every selected episode's reward
    (files under ``out_dir/spa/``)."""
    sink, log = feed(
        store, selection, lambda pool: SpaExport(Path(out_dir), pool, estimator=estimator),
        test_fraction=test_fraction, seed=seed,
    )  # fmt: skip
    result: SpaResult = sink.summary(sink.close())
    return result.model_copy(update={"filters": log})
