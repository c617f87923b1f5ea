"""The committed JSON Schemas in docs/schema match the record models."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from lightclaw.schema import ACTION_ADAPTER, Episode, Step, Task
from lightclaw.schema.jsonschema import record_schemas, render

DOCS = Path(__file__).resolve().parents[2] / "docs" / "schema"


@pytest.mark.parametrize("name", sorted(record_schemas()))
def test_committed_schema_is_current(name: str) -> None:
    committed = (DOCS / name).read_text(encoding="utf-8")
    assert committed == render(record_schemas()[name]), (
        f"docs/schema/{name} is stale: run `uv run python -m lightclaw.schema.jsonschema`"
    )


def test_action_union_is_discriminated_by_kind() -> None:
    action = ACTION_ADAPTER.validate_python(
        {
            "kind": "self_correction",
            "corrects_step": 1,
            "reason": "r",
            "revised": {"kind": "tool_call", "tool": "t", "arguments": {"a": 1}},
        }
    )
    assert action.kind == "self_correction"
    with pytest.raises(
        ValidationError, match=r"union_tag_invalid|does not match any of the expected"
    ):
        ACTION_ADAPTER.validate_python({"kind": "teleport"})


def test_episode_record_round_trips_through_json() -> None:
    ep = Episode(
        id="e",
        run_id="r",
        task_id="t",
        suite="s",
        policy="p",
        seed=1,
        outcome="final_answer",
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
        steps=[
            Step(
                index=0,
                observation=[{"kind": "user", "content": "hé"}],  # type: ignore[list-item]
                raw_output={"text": "x"},  # type: ignore[arg-type]
                actions=[{"kind": "final_answer", "content": {"a": [1, 2]}}],
            )
        ],  # type: ignore[list-item]
    )
    assert Episode.model_validate_json(ep.model_dump_json()) == ep


def test_task_requires_an_oracle() -> None:
    with pytest.raises(ValidationError, match="oracle"):
        Task.model_validate({"id": "x", "prompt": "p", "tools": ["a"]})
