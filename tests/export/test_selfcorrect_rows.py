"""Self-correction rows from runtime corrections and two-attempt pairs."""

from __future__ import annotations

import json
from pathlib import Path

from lightclaw.export.conversation import to_messages
from lightclaw.export.pool import Selection
from lightclaw.export.rows import lossless
from lightclaw.export.selfcorrect import SelfCorrectionRow, labels, run_selfcorrect, transition
from lightclaw.policies.feedback import GENERIC_FEEDBACK
from lightclaw.store import Store


def test_transition_labels() -> None:
    assert transition(False, True) == "i->c" and transition(True, False) == "c->i"
    assert transition(None, True) is None
    lab = labels(True, False, over_correction=True)
    assert lab.c_to_i and not lab.i_to_c and lab.over_correction


def _rows(path: Path) -> list[dict[str, object]]:
    return [
        json.loads(line)
        for f in sorted(path.glob("selfcorrect/*.jsonl"))
        for line in f.read_text().splitlines()
    ]


def test_rows_from_both_sources_match_the_store(demo_store: Store, tmp_path: Path) -> None:
    result = run_selfcorrect(demo_store, Selection(), tmp_path)
    assert all(f.rejected == 0 for f in result.files)
    rows = _rows(tmp_path)
    assert len(rows) == sum(result.sources.values())
    assert set(result.sources) == {"runtime_correction", "two_attempt"}
    assert {"i->c", "c->i"} <= set(result.transitions)
    for row in rows:
        SelfCorrectionRow.model_validate(row)
        meta: dict[str, object] = row["meta"]  # type: ignore[assignment]
        ep = demo_store.get_episode(str(meta["episode_id"]))
        lab: dict[str, object] = row["labels"]  # type: ignore[assignment]
        fb: dict[str, object] = row["feedback"]  # type: ignore[assignment]
        if row["source"] == "two_attempt":
            assert ep.attempt == 2 and ep.parent_id is not None
            parent = demo_store.get_episode(ep.parent_id)
            assert row["reward_before"] == lossless(parent.reward)  # type: ignore[arg-type]
            assert row["reward_after"] == lossless(ep.reward)  # type: ignore[arg-type]
            assert lab["before_correct"] == parent.success and lab["after_correct"] == ep.success
            assert fb["message"] == ep.feedback
            assert fb["kind"] == ("generic" if ep.feedback == GENERIC_FEEDBACK else "verifier")
            if lab["transition"] == "c->i":
                assert lab["over_correction"] is True
            whole = to_messages(ep, parent=parent)
            assert row["prompt"] + row["attempt"] + fb["messages"] + row["revision"] == whole  # type: ignore[operator]
        else:
            assert ep.attempt == 1
            fix = next(
                s
                for s in ep.steps
                if s.correction_of is not None
                and to_messages(ep, upto=s.correction_of) == row["prompt"]
            )
            failed = ep.steps[fix.correction_of]  # type: ignore[index]
            if failed.error_type is not None:
                assert fb["kind"] == "runtime_error" and fb["error_type"] == failed.error_type.value
                assert lab["before_correct"] is False
            assert row["reward_before"] == (
                None if failed.reward is None else lossless(failed.reward)
            )
