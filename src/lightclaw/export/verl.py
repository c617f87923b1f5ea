"""verl RL data: Parquet rows with exactly ``data_source``, ``prompt``, ``ability``,
``reward_model`` and ``extra_info`` (verl docs/preparation/prepare_data.rst).

The prompts are the GRPO prompts (:mod:`lightclaw.export.grpo`: one per task, first turn).
``reward_model`` is ``{"style": "rule", "ground_truth": <GroundTruth JSON text>}``: the ground
truth's values change type across tasks, so it is JSON text (Parquet cannot hold a column whose
type varies, nor keep missing keys apart from nulls) and the file is lossless. verl's default
scorer knows no ``lightclaw/*`` source: select :func:`lightclaw.rewards.compute_score` with
``custom_reward_function.path=pkg://lightclaw.rewards custom_reward_function.name=compute_score``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa  # type: ignore[import-untyped]
from pydantic import BaseModel, ConfigDict, Field, field_validator

from lightclaw.export.grpo import GrpoRow, PromptCollector, Split, SplitFiles
from lightclaw.export.pool import Pool
from lightclaw.export.writers import FileReport, ParquetWriter
from lightclaw.rewards import GroundTruth
from lightclaw.schema import Episode

VERL_FORMAT = "verl"
ABILITY = "tool_use"

_MESSAGE = pa.struct(
    [pa.field("role", pa.string(), False), pa.field("content", pa.string(), False)]
)
VERL_SCHEMA = pa.schema(
    [
        pa.field("data_source", pa.string(), False),
        pa.field("prompt", pa.list_(pa.field("item", _MESSAGE, False)), False),
        pa.field("ability", pa.string(), False),
        pa.field(
            "reward_model",
            pa.struct(
                [
                    pa.field("style", pa.string(), False),
                    pa.field("ground_truth", pa.string(), False),
                ]
            ),
            False,
        ),
        pa.field(
            "extra_info",
            pa.struct(
                [
                    pa.field("split", pa.string(), False),
                    pa.field("index", pa.int64(), False),
                    pa.field("task_id", pa.string(), False),
                    pa.field("suite", pa.string(), False),
                    pa.field("tools", pa.string(), False),
                ]
            ),
            False,
        ),
    ]
)
"""The Parquet schema of a verl file: no nullable field, so nothing is null-filled."""


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VerlMessage(_Row):
    role: Literal["system", "user"]
    content: str


class RewardModel(_Row):
    style: Literal["rule"] = "rule"
    ground_truth: str
    """JSON text of a :class:`~lightclaw.rewards.GroundTruth`."""

    @field_validator("ground_truth")
    @classmethod
    def _readable(cls, value: str) -> str:
        GroundTruth.model_validate_json(value)  # compute_score must be able to read it
        return value


class ExtraInfo(_Row):
    split: Literal["train", "test"]
    index: int = Field(ge=0)
    task_id: str
    suite: str
    tools: str
    """JSON text of the task's tool schemas (OpenAI function format); verl's tools come from its
    own tool config, this is for reference."""


class VerlRow(_Row):
    """One verl RL row (prepare_data.rst: the five fields)."""

    data_source: str = Field(pattern=r"^lightclaw/.+")
    prompt: list[VerlMessage] = Field(min_length=1)
    ability: str = Field(min_length=1)
    reward_model: RewardModel
    extra_info: ExtraInfo


def verl_row(grpo: dict[str, Any], index: int) -> dict[str, Any]:
    """The verl row of a GRPO row (a mapping as :func:`~lightclaw.export.grpo.grpo_row` builds)."""
    row = GrpoRow.model_validate(grpo)
    prompt = [m.model_dump(mode="json") for m in row.prompt]
    return {
        "data_source": f"lightclaw/{row.suite}",
        "prompt": prompt,
        "ability": ABILITY,
        "reward_model": {"style": "rule", "ground_truth": row.ground_truth().model_dump_json()},
        "extra_info": {
            "split": row.split,
            "index": index,
            "task_id": row.task_id,
            "suite": row.suite,
            "tools": json.dumps(
                [t.model_dump(mode="json") for t in row.tools], ensure_ascii=False, sort_keys=True
            ),
        },
    }


class VerlExport:
    """Writes ``<out>/verl/{train,test}.parquet`` (verl's usual names) from episodes."""

    def __init__(
        self,
        out: Path | str,
        pool: Pool,
        *,
        test_fraction: float = 0.0,
        seed: int = 0,
        collector: PromptCollector | None = None,
    ) -> None:
        self.root = Path(out)
        self.collector = collector or PromptCollector(pool, test_fraction=test_fraction, seed=seed)
        self.files = SplitFiles(self._writer)
        self.index: dict[Split, int] = {"train": 0, "test": 0}

    def _writer(self, split: Split) -> ParquetWriter:
        path = self.root / "verl" / f"{split}.parquet"
        writer = ParquetWriter(
            path, VERL_SCHEMA, VerlRow, fmt=VERL_FORMAT, config="verl", split=split
        )
        return writer.relative_to(self.root)

    @property
    def skipped(self) -> dict[str, int]:
        return dict(self.collector.skipped)

    def add(self, episode: Episode) -> None:
        new = self.collector.add(episode)
        if new is not None:
            self.write(*new)

    def write(self, grpo: dict[str, Any], split: Split) -> bool:
        """Write the verl row of one GRPO row (for sharing a collector with :class:`GrpoExport`)."""
        try:
            row = verl_row(grpo, self.index[split])
        except ValueError as exc:  # the GRPO row itself is invalid: counted, not written
            if split not in self.files.writers:
                self.files.writers[split] = self._writer(split)
            return bool(self.files.writers[split].reject(f"grpo row: {exc}".splitlines()[0]))
        if self.files.write(row, split):
            self.index[split] += 1
            return True
        return False

    def close(self) -> list[FileReport]:
        return self.files.close()
