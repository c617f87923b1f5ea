"""train-check without training: manifest, validation, datasets loading (every split), chat
templates (the tokenizer's own and the tool-aware one), token lengths and default limits."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

pytest.importorskip("transformers", reason="needs the train extra (./dev test installs it)")
pytest.importorskip("datasets", reason="needs the train extra (./dev test installs it)")

from traincheck_data import export_dir, seal, sft_row, write_jsonl

from lightclaw.errors import UserError
from lightclaw.export.manifest import sha256_of
from lightclaw.traincheck import FileCheck, TrainCheckReport, train_check
from lightclaw.traincheck.check import _drop_nulls, same


def _file(report: TrainCheckReport, name: str) -> FileCheck:
    return next(f for f in report.files if f.path == name)


def test_a_valid_export_passes_and_smollm2_is_named_unusable_for_tool_calls(
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
        assert (f.rows, f.invalid, f.loaded, f.altered, f.manifest_rows) == (4, 0, 4, 0, 4)
        smol, qwen = f.templates
        assert (smol.template, qwen.template) == ("smollm2", "qwen2.5-tools")
        # SmolLM2's own template renders every row (content is always present) but silently
        # drops tool calls, their arguments and the tools: unusable, and the report says what
        # to train with instead
        assert smol.render_errors == 0 and smol.rows_rendered == 4
        assert smol.loses_tools and smol.lost_tool_calls == smol.lost_tools == 4
        assert not smol.usable and smol.use_instead == "qwen2.5-tools"
        assert smol.verdict.startswith("unusable") and "train with qwen2.5-tools" in smol.verdict
        assert qwen.usable and qwen.verdict == "ok" and qwen.rows_checked == 4
        assert f.ok  # one usable template is enough
    grpo = _file(report, "grpo_train.jsonl")
    assert any("tools column" in note for note in grpo.notes)
    assert all(t.usable for t in grpo.templates)


def test_a_template_that_raises_fails_the_check(tmp_path: Path, traincheck_cache: Path) -> None:
    """Exports written before `content` was always present: SmolLM2's template raises
    UndefinedError on their tool-call turns, and train-check counts it (it said ok)."""
    root = tmp_path / "out"
    rows = [sft_row(i) for i in range(3)]
    for row in rows:
        for message in row["messages"]:
            if message.get("tool_calls"):
                del message["content"]
    write_jsonl(root / "sft_train.jsonl", rows)
    report = train_check(seal(root, {"sft_train.jsonl": "trl-sft"}), max_length=4096)
    f = _file(report, "sft_train.jsonl")
    smol = f.templates[0]
    assert smol.template == "smollm2" and smol.render_errors == 3
    assert "UndefinedError" in smol.errors[0] and smol.verdict.startswith("FAILED")
    assert not f.ok and not report.ok


def test_token_lengths_and_default_limits_are_reported(
    tmp_path: Path, traincheck_cache: Path
) -> None:
    root = export_dir(tmp_path / "out")
    sft = _file(train_check(root, max_length=4096), "sft_train.jsonl").token_lengths
    assert sft is not None and sft.rows == 4 and sft.template == "qwen2.5-tools"
    trl, own = sft.limits
    assert (trl.trainer, trl.setting, trl.value) == ("TRL SFTTrainer", "SFTConfig.max_length", 1024)
    assert own.setting == "--max-length" and own.over == 0
    at_max = _file(train_check(root, max_length=sft.max), "sft_train.jsonl").token_lengths
    below = _file(train_check(root, max_length=sft.min - 1), "sft_train.jsonl").token_lengths
    assert at_max is not None and below is not None
    assert at_max.limits[-1].over == 0 and below.limits[-1].over == 4
    cut = train_check(root, max_length=sft.max - 1)
    lengths = _file(cut, "sft_train.jsonl").token_lengths
    assert lengths is not None and 1 <= lengths.limits[-1].truncated < 4
    assert cut.ok  # truncation is reported, not a failure


def test_invalid_rows_are_counted_with_their_line_and_fail_the_check(
    tmp_path: Path, traincheck_cache: Path
) -> None:
    root = tmp_path / "out"
    bad = sft_row(1)
    bad["messages"][2]["tool_calls"][0]["function"]["arguments"] = json.dumps({"a": 2, "b": 3})
    write_jsonl(root / "sft_train.jsonl", [sft_row(0), bad, sft_row(2)])
    with (root / "sft_train.jsonl").open("ab") as fh:
        fh.write(b"{not json\n")
        fh.write(b'{"messages": ["\xff"]}\n')  # not UTF-8
    seal(root, {"sft_train.jsonl": "trl-sft"})
    report = train_check(root, max_length=4096)
    f = _file(report, "sft_train.jsonl")
    assert (f.rows, f.invalid) == (5, 3)
    assert f.examples[0].startswith("line 2: messages.2.tool_calls.0.function.arguments")
    assert f.examples[1].startswith("line 4: not JSON")
    assert f.examples[2].startswith("line 5: not UTF-8")
    assert not f.ok and not report.ok


def test_a_file_changed_after_the_export_is_refused_or_reported(
    tmp_path: Path, traincheck_cache: Path
) -> None:
    root = export_dir(tmp_path / "out")
    with (root / "sft_train.jsonl").open("a") as fh:
        fh.write(json.dumps(sft_row(9)) + "\n")
    with pytest.raises(UserError, match=r"sft_train.jsonl: changed since export .*--allow-changed"):
        train_check(root, max_length=4096)
    report = train_check(root, max_length=4096, allow_changed=True)
    f = _file(report, "sft_train.jsonl")
    assert f.changed is not None and "changed since export" in f.changed
    assert (f.rows, f.manifest_rows) == (5, 4) and not f.ok and not report.ok


def test_files_the_manifest_does_not_list_are_recognised_by_their_columns(
    tmp_path: Path, traincheck_cache: Path
) -> None:
    root = export_dir(tmp_path / "out")
    write_jsonl(root / "custom" / "rows.jsonl", [sft_row(0), sft_row(1)])
    write_jsonl(root / "mystery.jsonl", [{"hello": "world"}])
    report = train_check(root, max_length=4096)
    custom = _file(report, "custom/rows.jsonl")
    assert custom.format == "trl-sft" and custom.manifest_rows is None
    assert any("not in the export's manifest" in n for n in custom.notes)
    mystery = _file(report, "mystery.jsonl")
    assert mystery.format is None and "unknown format" in mystery.notes[0]


def test_a_directory_that_is_not_a_complete_export_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"export directory .*missing does not exist"):
        train_check(tmp_path / "missing")
    with pytest.raises(UserError, match=r"not a complete LightClaw export: no manifest\.json"):
        train_check(tmp_path)
    write_jsonl(tmp_path / "sft_train.jsonl", [sft_row(0)])  # rows, but no manifest
    with pytest.raises(UserError, match="not a complete LightClaw export"):
        train_check(tmp_path)
    (tmp_path / "manifest.json").write_text('{"kind": "lightclaw-export", "files": [')
    with pytest.raises(UserError, match="not a complete export manifest"):
        train_check(tmp_path)
    seal(tmp_path, {"sft_train.jsonl": "trl-sft"})
    (tmp_path / "sft_train.jsonl").unlink()
    with pytest.raises(UserError, match=r"1 file\(s\) of its manifest.json are missing"):
        train_check(tmp_path)


def test_unreadable_files_are_reported_not_raised(tmp_path: Path, traincheck_cache: Path) -> None:
    """Random bytes in a JSONL file and a corrupted Parquet file (bad inputs G02, G06)."""
    root = export_dir(tmp_path / "out")
    (root / "sft_train.jsonl").write_bytes(bytes(range(256)) * 8)
    (root / "train.parquet").write_bytes(b"PAR1" + bytes(range(200)) + b"PAR1")
    seal(root, {"sft_train.jsonl": "trl-sft", "train.parquet": "verl"})
    report = train_check(root, max_length=4096)
    sft = _file(report, "sft_train.jsonl")
    assert sft.invalid > 0 and "not UTF-8" in " ".join(sft.examples)
    verl = _file(report, "train.parquet")
    assert verl.unreadable is not None and verl.unreadable.startswith("not a readable Parquet")
    assert not report.ok


def test_a_real_export_passes_and_every_config_loads_with_both_splits(
    real_export: Path, tmp_path: Path, traincheck_cache: Path
) -> None:
    report = train_check(real_export)
    assert report.ok, [(f.path, f.notes, f.examples) for f in report.files if not f.ok]
    assert all(f.altered == 0 for f in report.files)  # floats load exactly as written
    configs = {c.config: c for c in report.configs}
    assert {"sft", "dpo", "grpo", "spa", "selfcorrect"} <= set(configs)
    assert set(configs["sft"].loaded) == {"train", "test"} and configs["sft"].ok
    assert "verl" not in configs  # Parquet: read by verl, not through the card's JSON configs
    for f in report.files:
        for t in f.templates:
            assert t.render_errors == 0, (f.path, t.template, t.errors)
    # without the declared features the train and test files of a config disagree: the card's
    # config does not load (what train-check now catches)
    broken = tmp_path / "broken"
    shutil.copytree(real_export, broken)
    readme = (broken / "README.md").read_text(encoding="utf-8")
    head, _, rest = readme[4:].partition("\n---")
    meta = yaml.safe_load(head)
    del meta["dataset_info"]  # as exports wrote their card before: no features, test split first
    for config in meta["configs"]:
        config["data_files"].sort(key=lambda f: f["split"] != "test")
    (broken / "README.md").write_text(f"---\n{yaml.safe_dump(meta)}---{rest}", encoding="utf-8")
    data = json.loads((broken / "manifest.json").read_text())
    readme_entry = next(f for f in data["files"] if f["path"] == "README.md")
    readme_entry["sha256"] = sha256_of(broken / "README.md")
    readme_entry["bytes"] = (broken / "README.md").stat().st_size
    (broken / "manifest.json").write_text(json.dumps(data))  # the card edited, on purpose
    again = train_check(broken)
    failed = [c.config for c in again.configs if not c.ok]
    assert "sft" in failed and not again.ok


def test_load_comparison_is_exact_for_floats_and_flags_null_filled_arguments() -> None:
    written = {"messages": [{"role": "assistant", "content": "", "tool_calls": [
        {"type": "function", "function": {"name": "f", "arguments": {"city": "Paris"}}}]}],
        "meta": {"reward": 1.1566666667}}  # fmt: skip
    loaded = json.loads(json.dumps(written))
    loaded["messages"][0]["name"] = None  # a key other rows fill, read back as null: harmless
    assert same(_drop_nulls(loaded), _drop_nulls(written))
    loaded["meta"]["reward"] = 1.1566666666666667  # a reward that changed on load: altered
    assert not same(_drop_nulls(loaded), _drop_nulls(written))
    loaded["meta"]["reward"] = 1.1566666667
    loaded["messages"][0]["tool_calls"][0]["function"]["arguments"]["zip"] = None
    assert not same(_drop_nulls(loaded), _drop_nulls(written))


def test_garbage_is_one_line_on_the_cli(
    tmp_path: Path, traincheck_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad inputs G02 (random bytes) and G06 (a corrupt Parquet file): no traceback."""
    from lightclaw.cli.main import main

    garbage = tmp_path / "garbage"
    garbage.mkdir()
    for name in ("a.jsonl", "b.parquet", "c.json"):
        (garbage / name).write_bytes(bytes(range(255, -1, -1)) * 16)
    assert main(["train-check", str(garbage)]) == 2  # not an export: one line
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a complete LightClaw export" in err
    seal(garbage, {"a.jsonl": "trl-sft", "b.parquet": "verl", "c.json": "spa-rl-progress"})
    assert main(["train-check", str(garbage)]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert "b.parquet: not a readable Parquet file" in captured.out
    assert "c.json: not UTF-8 text" in captured.out and "train-check: FAILED" in captured.out
