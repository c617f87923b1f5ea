"""Small export directories for the train-check tests: every row built through the row models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lightclaw.export.dpo import DpoRow
from lightclaw.export.grpo import GrpoRow
from lightclaw.export.manifest import write_manifest
from lightclaw.export.rows import SftRow
from lightclaw.export.writers import FileReport

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather of a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
ADD = {
    "type": "function",
    "function": {
        "name": "add",
        "description": "Add two numbers.",
        "parameters": {
            "type": "object",
            "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
            "required": ["a", "b"],
        },
    },
}
SYSTEM = {"role": "system", "content": "You are a careful agent. Use the tools."}


def _meta(i: int, sample_type: str = "trajectory") -> dict[str, Any]:
    return {
        "episode_id": f"ep{i}",
        "run_id": "run1",
        "task_id": f"task{i % 3}",
        "suite": "core",
        "policy": "scripted:oracle",
        "source": "scripted",
        "split": "train",
        "sample_type": sample_type,
        "reward": 1.0,
        "success": True,
        "outcome": "success",
        "n_steps": 2,
    }


def _call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": "",
        "tool_calls": [{"type": "function", "function": {"name": name, "arguments": arguments}}],
    }


def _episode(i: int) -> list[dict[str, Any]]:
    """Alternate tools whose argument keys and types differ across rows."""
    if i % 2:
        user, call, result, answer = "What is 2 + 3?", _call("add", {"a": 2, "b": 3}), "5", "5"
        name = "add"
    else:
        city = ["Paris", "Oslo", "Lima"][i % 3]
        user, call, name = (
            f"Weather in {city}?",
            _call("get_weather", {"city": city}),
            "get_weather",
        )
        result, answer = json.dumps({"sky": "sunny", "temp_c": 20 + i}), "Sunny."
    return [
        SYSTEM,
        {"role": "user", "content": user},
        call,
        {"role": "tool", "name": name, "content": result},
        {"role": "assistant", "content": answer},
    ]


def sft_row(i: int) -> dict[str, Any]:
    row = {"messages": _episode(i), "tools": [WEATHER, ADD], "meta": _meta(i)}
    return SftRow.model_validate(row).model_dump(mode="json", by_alias=True)


def dpo_row(i: int) -> dict[str, Any]:
    messages = _episode(i)
    wrong = _call("get_weather", {"city": "Nowhere"}) if i % 2 else _call("add", {"a": 1, "b": 1})
    row = {
        "prompt": messages[:2],
        "chosen": [messages[2]],
        "rejected": [wrong],
        "tools": [WEATHER, ADD],
        "meta": _meta(i, "same_task_pair"),
        "pair": {
            "kind": "same_task_pair",
            "step": 0,
            "chosen_episode_id": f"ep{i}",
            "rejected_episode_id": f"bad{i}",
            "chosen_step": 0,
            "rejected_step": 0,
            "chosen_reward": 1.0,
            "rejected_reward": 0.0,
        },
    }
    return DpoRow.model_validate(row).model_dump(mode="json", by_alias=True)


def grpo_row(i: int) -> dict[str, Any]:
    messages = _episode(i)
    call = messages[2]["tool_calls"][0]["function"]
    row = {
        "prompt": messages[:2],
        "task_id": f"task{i}",
        "suite": "core",
        "split": "train",
        "tools": [WEATHER, ADD],
        "expected_calls": json.dumps(
            [{"tool": call["name"], "arguments": {k: [v] for k, v in call["arguments"].items()}}]
        ),
        "calls_ordered": False,
        "no_call_expected": False,
        "expected_answer": json.dumps(messages[4]["content"]),
        "answer_match": "normalized",
        "tolerance": 1e-6,
        "verifier": None,
        "oracle_calls": json.dumps([{"tool": call["name"], "arguments": call["arguments"]}]),
    }
    return GrpoRow.model_validate(row).model_dump(mode="json", by_alias=True)


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


FORMATS = {
    "sft_train.jsonl": "trl-sft",
    "dpo_train.jsonl": "trl-dpo",
    "grpo_train.jsonl": "trl-grpo",
}


def seal(root: Path, formats: dict[str, str] | None = None) -> Path:
    """Write the manifest of the data files under ``root`` (as an export does, last)."""
    reports = []
    for name, fmt in (formats or FORMATS).items():
        path = root / name
        if path.is_file():
            rows = sum(1 for line in path.read_bytes().splitlines() if line.strip())
            reports.append(FileReport(path=name, format=fmt, config=fmt, split="train", rows=rows))
    write_manifest(root, reports)
    return root


def export_dir(root: Path, n: int = 4) -> Path:
    """``sft_train.jsonl``, ``dpo_train.jsonl`` and ``grpo_train.jsonl`` with ``n`` rows each,
    and their manifest."""
    write_jsonl(root / "sft_train.jsonl", [sft_row(i) for i in range(n)])
    write_jsonl(root / "dpo_train.jsonl", [dpo_row(i) for i in range(n)])
    write_jsonl(root / "grpo_train.jsonl", [grpo_row(i) for i in range(n)])
    return seal(root)
