"""TRL SFT rows: the checked-in fixture round-trips; real episodes export as TRL expects."""

from __future__ import annotations

import json
from pathlib import Path

from lightclaw.export.conversation import to_messages
from lightclaw.export.formats import export_pool
from lightclaw.export.pool import Pool, Selection
from lightclaw.export.rows import SftRow
from lightclaw.export.sft import SftExport, sft_row
from lightclaw.store import Store

FIXTURE = Path(__file__).parent / "fixtures" / "sft" / "trl_sft.jsonl"


def test_fixture_round_trips_through_the_row_model() -> None:
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    assert len(lines) >= 3
    for line in lines:
        row = SftRow.model_validate_json(line)
        assert row.model_dump(mode="json", by_alias=True) == json.loads(line)


def test_fixture_shows_parallel_calls_errors_ask_user_and_a_revision() -> None:
    rows = [json.loads(x) for x in FIXTURE.read_text(encoding="utf-8").splitlines()]
    assistant = [m for r in rows for m in r["messages"] if m["role"] == "assistant"]
    assert any(len(m.get("tool_calls", [])) == 2 for m in assistant)
    tool_text = [m["content"] for r in rows for m in r["messages"] if m["role"] == "tool"]
    assert any(t.startswith("error (wrong_args)") for t in tool_text)
    assert any(r["meta"]["attempt"] == 2 for r in rows)
    for r in rows:
        assert r["messages"][0]["role"] == "system" and r["messages"][-1]["role"] == "assistant"
        for m in r["messages"]:
            for call in m.get("tool_calls", []):
                assert set(call) == {"type", "function"}
                assert isinstance(call["function"]["arguments"], dict)
            if m["role"] == "tool":
                assert set(m) == {"role", "name", "content"}


def test_exported_file_holds_every_selected_episode(demo_store: Store, tmp_path: Path) -> None:
    sel = Selection(policy="scripted:oracle", attempt=1)
    manifest, _ = export_pool(
        demo_store, sel, tmp_path / "out", {"sft": SftExport}, test_fraction=0
    )
    (report,) = manifest.files
    assert report.path == "sft/train.jsonl" and report.rejected == 0
    rows = [
        SftRow.model_validate_json(x)
        for x in (tmp_path / "out" / report.path).read_text(encoding="utf-8").splitlines()
    ]
    selected = manifest.filters.selected
    assert len(rows) == report.rows == selected > 0
    pool = Pool(demo_store)
    first = demo_store.get_episode(rows[0].meta.episode_id)
    assert rows[0].model_dump(mode="json") == SftRow.model_validate(
        sft_row(first, pool, split="train")
    ).model_dump(mode="json")
    assert rows[0].model_dump(mode="json")["messages"] == to_messages(first)
    assert all(r.meta.success for r in rows)


def test_rows_without_a_model_turn_are_rejected_and_counted(
    demo_store: Store, tmp_path: Path
) -> None:
    sel = Selection(policy="scripted:flaky", dedupe=False)
    manifest, card = export_pool(
        demo_store, sel, tmp_path / "o", {"sft": SftExport}, test_fraction=0
    )
    (report,) = manifest.files
    silent = [
        e
        for e in demo_store.iter_episodes()
        if e.policy == "scripted:flaky"
        and not any(s.raw_output.text or s.raw_output.tool_calls for s in e.steps)
    ]
    assert report.rejected == len(silent) > 0
    assert report.rows + report.rejected == manifest.filters.selected
    assert card.validation["sft/train.jsonl"]["rejected"] == len(silent)
    assert "no assistant turn" in next(iter(report.reasons))
