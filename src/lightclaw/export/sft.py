"""TRL conversational SFT rows (``messages`` + ``tools``), one per episode, JSONL per split.

Rows follow TRL's dataset_formats.md ("Tool Calling"): OpenAI-role messages whose assistant turns
carry ``tool_calls`` with ``arguments`` as JSON objects, ``tool`` results, and a ``tools`` column
of function schemas. A row ends with the model's last turn (results nobody answered are dropped).
Conversational rows stay JSONL: Parquet cannot hold tool arguments whose types vary across rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lightclaw.export.conversation import episode_tool_specs, to_messages
from lightclaw.export.pool import Pool
from lightclaw.export.rows import SftRow, row_meta
from lightclaw.export.writers import FileReport, JsonlWriter
from lightclaw.schema import Episode

SFT_FORMAT = "trl-sft"
SFT_DIR = "sft"


def trim_to_model_turn(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``messages`` up to and including the last assistant turn."""
    last = max((i for i, m in enumerate(messages) if m["role"] == "assistant"), default=-1)
    if last < 0:
        raise ValueError("no assistant turn: the policy produced nothing to learn from")
    return messages[: last + 1]


def sft_row(
    episode: Episode, pool: Pool, *, split: str, sample_type: str = "trajectory"
) -> dict[str, Any]:
    """The SFT row of ``episode`` as a plain mapping (the writer validates it)."""
    run = pool.run(episode.run_id)
    messages = to_messages(episode, parent=pool.parent(episode))
    return {
        "messages": trim_to_model_turn(messages),
        "tools": episode_tool_specs(episode, pool),
        "meta": row_meta(episode, run, split=split, sample_type=sample_type).model_dump(),
    }


class SftExport:
    """Writes ``sft/{split}.jsonl`` under ``out_dir``; a split's file exists once it has a row."""

    def __init__(self, out_dir: Path, pool: Pool) -> None:
        self.out_dir = out_dir
        self.pool = pool
        self.writers: dict[str, JsonlWriter] = {}

    def _writer(self, split: str) -> JsonlWriter:
        if split not in self.writers:
            path = self.out_dir / SFT_DIR / f"{split}.jsonl"
            writer = JsonlWriter(path, SftRow, fmt=SFT_FORMAT, config="sft", split=split)
            self.writers[split] = writer.relative_to(self.out_dir)
        return self.writers[split]

    def add(self, episode: Episode, split: str) -> bool:
        """Render, validate and write ``episode``'s row; False when it was rejected."""
        writer = self._writer(split)
        try:
            row = sft_row(episode, self.pool, split=split)
        except ValueError as exc:
            return writer.reject(f"row not built: {exc}", episode.id)
        return writer.write(row)

    def close(self) -> list[FileReport]:
        return [w.close() for _, w in sorted(self.writers.items())]
