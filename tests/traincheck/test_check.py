"""train-check without training: validation, datasets loading, chat-template rendering, lengths."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("transformers", reason="needs the train extra (./dev test installs it)")
pytest.importorskip("datasets", reason="needs the train extra (./dev test installs it)")

from traincheck_data import export_dir, sft_row, write_jsonl

from lightclaw.errors import UserError
from lightclaw.export.traincheck import FileCheck, TrainCheckReport, _drop_nulls, same, train_check


@pytest.fixture(scope="session")
def traincheck_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One tokenizer cache for the session (the GGUF is parsed once)."""
    path = tmp_path_factory.mktemp("lightclaw-cache")
    old = os.environ.get("LIGHTCLAW_CACHE")
    os.environ["LIGHTCLAW_CACHE"] = str(path)
    yield path
    if old is None:
        os.environ.pop("LIGHTCLAW_CACHE", None)
    else:
        os.environ["LIGHTCLAW_CACHE"] = old


def _file(report: TrainCheckReport, name: str) -> FileCheck:
    return next(f for f in report.files if f.path == name)


def test_a_valid_export_passes_and_smollm2_is_flagged_for_dropping_tool_calls(
    tmp_path: Path, traincheck_cache: Path
) -> None:
    report = train_check(export_dir(tmp_path / "out"), max_length=4096)
    assert report.ok
    assert {f.path: f.format for f in report.files} == {
        "sft_train.jsonl": "trl-sft",
        "dpo_train.jsonl": "trl-dpo",
        "grpo_train.jsonl": "trl-grpo",
    }
    for name in ("sft_train.jsonl", "dpo_train.jsonl"):
        f = _file(report, name)
        assert (f.rows, f.invalid, f.loaded, f.altered) == (4, 0, 4, 0)
        smol, qwen = f.templates
        assert (smol.template, qwen.template) == ("smollm2", "qwen2.5-tools")
        # SmolLM2's own template silently drops tool calls, their arguments and the tools
        assert smol.loses_tools and smol.lost_tool_calls == smol.lost_tools == 4
        assert not qwen.loses_tools and qwen.rows_checked == 4
        # the tool-aware rendering carries the tool schemas: it is much longer
        assert qwen.lengths.min > smol.lengths.max
    grpo = _file(report, "grpo_train.jsonl")
    assert any("tools column" in note for note in grpo.notes)
    assert (tmp_path / "out").is_dir()


def test_truncation_is_counted_at_max_length(tmp_path: Path, traincheck_cache: Path) -> None:
    root = export_dir(tmp_path / "out")
    full = train_check(root, max_length=4096)
    qwen = _file(full, "sft_train.jsonl").templates[1].lengths
    assert qwen.truncated == 0 and qwen.rows == 4
    at_max = _file(train_check(root, max_length=qwen.max), "sft_train.jsonl")
    below_min = _file(train_check(root, max_length=qwen.min - 1), "sft_train.jsonl")
    assert at_max.templates[1].lengths.truncated == 0
    assert below_min.templates[1].lengths.truncated == 4
    cut = train_check(root, max_length=qwen.max - 1)
    assert 1 <= _file(cut, "sft_train.jsonl").templates[1].lengths.truncated < 4
    assert cut.ok  # truncation is reported, not a failure


def test_invalid_rows_are_counted_with_their_line_and_fail_the_check(
    tmp_path: Path, traincheck_cache: Path
) -> None:
    root = tmp_path / "out"
    bad = sft_row(1)
    bad["messages"][2]["tool_calls"][0]["function"]["arguments"] = json.dumps({"a": 2, "b": 3})
    write_jsonl(root / "sft_train.jsonl", [sft_row(0), bad, sft_row(2)])
    with (root / "sft_train.jsonl").open("a") as fh:
        fh.write("{not json\n")
    report = train_check(root, max_length=4096)
    f = _file(report, "sft_train.jsonl")
    assert (f.rows, f.invalid) == (4, 2)
    assert f.examples[0].startswith("line 2: messages.2.tool_calls.0.function.arguments")
    assert f.examples[1].startswith("line 4: not JSON")
    assert not f.ok and not report.ok


def test_the_data_card_names_the_format(tmp_path: Path, traincheck_cache: Path) -> None:
    root = tmp_path / "out"
    write_jsonl(root / "custom" / "rows.jsonl", [sft_row(0), sft_row(1)])
    write_jsonl(root / "mystery.jsonl", [{"hello": "world"}])
    card = {"files": [{"path": "custom/rows.jsonl", "format": "trl-sft", "rows": 2}]}
    (root / "data_card.json").write_text(json.dumps(card))
    report = train_check(root, max_length=4096)
    assert _file(report, "custom/rows.jsonl").format == "trl-sft"
    mystery = _file(report, "mystery.jsonl")
    assert mystery.format is None and "unknown format" in mystery.notes[0]


def test_a_directory_without_data_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not a directory"):
        train_check(tmp_path / "missing")
    with pytest.raises(UserError, match=r"no \.jsonl or \.parquet"):
        train_check(tmp_path)


def test_load_comparison_flags_null_filled_arguments_but_not_float_rounding() -> None:
    written = {"messages": [{"role": "assistant", "tool_calls": [
        {"type": "function", "function": {"name": "f", "arguments": {"city": "Paris"}}}]}],
        "meta": {"reward": 1.1566666666666667}}  # fmt: skip
    loaded = json.loads(json.dumps(written))
    loaded["messages"][0]["content"] = None  # an unset key read back as null: harmless
    loaded["meta"]["reward"] = 1.1566666667  # datasets' JSON reader keeps ~10 decimals
    assert same(_drop_nulls(loaded), _drop_nulls(written))
    loaded["messages"][0]["tool_calls"][0]["function"]["arguments"]["zip"] = None
    assert not same(_drop_nulls(loaded), _drop_nulls(written))
