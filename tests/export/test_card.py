"""The data card's figures equal counts recomputed from the files it describes."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from lightclaw.errors import UserError
from lightclaw.export.card import DataCard
from lightclaw.export.formats import export_pool
from lightclaw.export.llamafactory import LlamaFactoryExport
from lightclaw.export.pool import Selection
from lightclaw.export.sft import SftExport
from lightclaw.store import Store

FORMATS = {"sft": SftExport, "llamafactory": LlamaFactoryExport}


def _rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def test_card_figures_equal_a_recount_of_the_files(demo_store: Store, tmp_path: Path) -> None:
    out = tmp_path / "export"
    manifest, card = export_pool(
        demo_store, Selection(max_steps=6), out, FORMATS, test_fraction=0.25, seed=1
    )
    saved = DataCard.model_validate_json((out / "data_card.json").read_text(encoding="utf-8"))
    assert saved == card
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.jsonl"))
    assert sorted(card.rows) == files
    kinds: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    rewards: list[float] = []
    for name in files:
        rows = _rows(out / name)
        assert card.rows[name] == len(rows)
        splits = {r["meta"]["split"] for r in rows}  # type: ignore[index]
        assert splits == {name.rsplit("/", 1)[1].removesuffix(".jsonl").removeprefix("sft_")}
        for r in rows:
            meta = r["meta"]
            kinds[meta["sample_type"]] += 1  # type: ignore[index]
            errors.update(meta["error_types"])  # type: ignore[index]
            if meta["reward"] is not None:  # type: ignore[index]
                rewards.append(meta["reward"])  # type: ignore[index]
    assert card.sample_types == dict(kinds)
    assert card.error_types == dict(errors) and errors
    assert card.rewards.count == len(rewards)
    assert card.rewards.mean == pytest.approx(sum(rewards) / len(rewards))
    assert sum(card.rewards.histogram.values()) == len(rewards)
    assert card.safety.samples == 0 and card.safety.stop_reason_distribution == {}
    # each episode is one row per format; rejected rows complete the count
    per_format = Counter[str]()
    for f in card.files:
        per_format[f.format] += f.rows + f.rejected
    assert set(per_format.values()) == {manifest.filters.selected}
    assert card.filters.steps[-1].name == "dedupe"
    assert card.dedup["rows_out"] == manifest.filters.selected
    assert sum(s.episodes for s in card.sources) == manifest.filters.selected
    max_steps = next(s for s in card.filters.steps if s.name == "max_steps")
    assert max_steps.rows_out < max_steps.rows_in


def test_readme_is_a_dataset_card_with_a_config_per_format(
    demo_store: Store, tmp_path: Path
) -> None:
    out = tmp_path / "e"
    export_pool(demo_store, Selection(), out, FORMATS, test_fraction=0.25)
    text = (out / "README.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    meta = yaml.safe_load(text.split("---\n")[1])
    assert meta["license"] == "apache-2.0" and meta["task_categories"] == ["text-generation"]
    configs = {c["config_name"]: c["data_files"] for c in meta["configs"]}
    assert set(configs) == {"sft", "llamafactory_sft"}
    for files in configs.values():
        assert {f["split"] for f in files} == {"train", "test"}
        assert all((out / f["path"]).is_file() for f in files)


def test_empty_selection_and_occupied_output_are_user_errors(
    demo_store: Store, tmp_path: Path
) -> None:
    sel = Selection(policy="scripted:flaky", success_only=True, min_reward=5)
    with pytest.raises(UserError, match=r"filter min_reward \(5\.0\) removed all \d+ remaining"):
        export_pool(demo_store, sel, tmp_path / "a", FORMATS)
    assert not any(tmp_path.iterdir())  # nothing left behind: no directory, no staging sibling
    out = tmp_path / "b"
    export_pool(demo_store, Selection(policy="scripted:oracle"), out, FORMATS)
    with pytest.raises(UserError, match="not empty"):
        export_pool(demo_store, Selection(policy="scripted:oracle"), out, FORMATS)
    _, card = export_pool(
        demo_store, Selection(policy="scripted:slow"), out, FORMATS, overwrite=True
    )
    rows = [r for p in out.rglob("*.jsonl") for r in _rows(p)]
    assert len(rows) == sum(card.rows.values())
    assert {r["meta"]["policy"] for r in rows} == {"scripted:slow"}  # type: ignore[index]
