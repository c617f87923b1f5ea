"""LLaMA-Factory sharegpt rows and the ``dataset_info.json`` that registers them.

Per LLaMA-Factory's data/README.md ("Sharegpt Format"): ``conversations`` of
``{"from": human|gpt|function_call|observation, "value"}`` with human/observation at odd and
gpt/function_call at even positions, ending with a model turn; ``system``; ``tools`` as a JSON
string. Mapping from TRL messages: a tool-call turn becomes one ``function_call`` (parallel calls:
a JSON list of ``{"name", "arguments"}``; any commentary text is dropped), its results one
``observation`` (several: a JSON list of their texts), user and feedback messages ``human``.
Turns of the same side that meet are merged; trailing human/observation turns are dropped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lightclaw.export.conversation import episode_tool_specs, to_messages
from lightclaw.export.pool import Pool
from lightclaw.export.rows import ShareGptRow, row_meta
from lightclaw.export.writers import FileReport, JsonlWriter
from lightclaw.schema import Episode

LF_FORMAT = "llamafactory-sharegpt"
LF_DIR = "llamafactory"
DATASET_INFO = "dataset_info.json"
SHAREGPT_TAGS = {
    "role_tag": "from",
    "content_tag": "value",
    "user_tag": "human",
    "assistant_tag": "gpt",
    "observation_tag": "observation",
    "function_tag": "function_call",
}
_PROMPT_SIDE = ("human", "observation")


def _turn(message: dict[str, Any]) -> tuple[str, Any]:
    role = message["role"]
    if role == "assistant" and message.get("tool_calls"):
        calls = [
            {"name": c["function"]["name"], "arguments": c["function"]["arguments"]}
            for c in message["tool_calls"]
        ]
        return "function_call", calls[0] if len(calls) == 1 else calls
    if role == "assistant":
        return "gpt", message["content"]
    if role == "tool":
        return "observation", [message["content"]]
    return "human", message["content"]


def _value(role: str, value: Any) -> str:
    if role == "function_call":
        return json.dumps(value, ensure_ascii=False)
    if role == "observation":
        return value[0] if len(value) == 1 else json.dumps(value, ensure_ascii=False)
    return str(value)


def sharegpt_turns(messages: list[dict[str, Any]]) -> tuple[str, list[dict[str, str]]]:
    """(system, conversations) for TRL ``messages`` (rules in the module docstring)."""
    system = ""
    if messages and messages[0]["role"] == "system":
        system, messages = messages[0]["content"], messages[1:]
    turns: list[tuple[str, Any]] = []
    for message in messages:
        role, value = _turn(message)
        if turns and (role in _PROMPT_SIDE) == (turns[-1][0] in _PROMPT_SIDE):
            last_role, last = turns[-1]
            if last_role == role == "observation":
                turns[-1] = (role, [*last, *value])
            else:
                merged = f"{_value(last_role, last)}\n\n{_value(role, value)}"
                if last_role == "observation":
                    turns[-1] = (last_role, [merged])
                else:
                    turns[-1] = ("gpt" if last_role == "function_call" else last_role, merged)
            continue
        turns.append((role, value))
    while turns and turns[-1][0] in _PROMPT_SIDE:
        turns.pop()
    if not turns:
        raise ValueError("no assistant turn: the policy produced nothing to learn from")
    return system, [{"from": role, "value": _value(role, value)} for role, value in turns]


def sharegpt_tools(specs: list[dict[str, Any]]) -> str:
    """The ``tools`` column: a JSON string of ``[{"name", "description", "parameters"}]``."""
    return json.dumps([spec["function"] for spec in specs], ensure_ascii=False)


def sharegpt_row(
    episode: Episode, pool: Pool, *, split: str, sample_type: str = "trajectory"
) -> dict[str, Any]:
    """The sharegpt SFT row of ``episode`` as a plain mapping (the writer validates it)."""
    run = pool.run(episode.run_id)
    system, turns = sharegpt_turns(to_messages(episode, parent=pool.parent(episode)))
    return {
        "conversations": turns,
        "system": system,
        "tools": sharegpt_tools(episode_tool_specs(episode, pool)),
        "meta": row_meta(episode, run, split=split, sample_type=sample_type).model_dump(),
    }


def sft_entry(file_name: str) -> dict[str, Any]:
    """The dataset_info.json entry of a sharegpt SFT file."""
    return {
        "file_name": file_name,
        "formatting": "sharegpt",
        "columns": {"messages": "conversations", "system": "system", "tools": "tools"},
        "tags": dict(SHAREGPT_TAGS),
    }


def register_dataset(dataset_dir: Path, name: str, entry: dict[str, Any]) -> Path:
    """Add (or replace) ``name`` in ``dataset_dir/dataset_info.json``; ``entry["file_name"]`` is
    relative to ``dataset_dir`` (LLaMA-Factory's ``dataset_dir``). Returns the file's path."""
    path = dataset_dir / DATASET_INFO
    info: dict[str, Any] = json.loads(path.read_text("utf-8")) if path.exists() else {}
    info[name] = entry
    dataset_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


class LlamaFactoryExport:
    """Writes ``llamafactory/sft_{split}.jsonl`` and registers each as ``lightclaw_sft_{split}``."""

    def __init__(self, out_dir: Path, pool: Pool) -> None:
        self.out_dir = out_dir
        self.dataset_dir = out_dir / LF_DIR
        self.pool = pool
        self.writers: dict[str, JsonlWriter] = {}

    def _writer(self, split: str) -> JsonlWriter:
        if split not in self.writers:
            path = self.dataset_dir / f"sft_{split}.jsonl"
            writer = JsonlWriter(
                path, ShareGptRow, fmt=LF_FORMAT, config="llamafactory_sft", split=split
            )
            self.writers[split] = writer.relative_to(self.out_dir)
        return self.writers[split]

    def add(self, episode: Episode, split: str) -> bool:
        """Render, validate and write ``episode``'s row; False when it was rejected."""
        writer = self._writer(split)
        try:
            row = sharegpt_row(episode, self.pool, split=split)
        except ValueError as exc:
            return writer.reject(f"row not built: {exc}", episode.id)
        return writer.write(row)

    def close(self) -> list[FileReport]:
        reports = []
        for split, writer in sorted(self.writers.items()):
            reports.append(writer.close())
            register_dataset(
                self.dataset_dir, f"lightclaw_sft_{split}", sft_entry(writer.path.name)
            )
        return reports
