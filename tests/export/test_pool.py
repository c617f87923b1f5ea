"""Distillation filters, dedupe and the task split, each recorded in the FilterLog."""

from __future__ import annotations

from collections import Counter

import pytest

from lightclaw.errors import UnknownChoiceError, UserError
from lightclaw.export.pool import FilterLog, Selection, select, split_of, trajectory_hash
from lightclaw.schema import Run, ToolCall
from lightclaw.store import Store


def _steps(log: FilterLog) -> dict[str, tuple[int, int]]:
    return {s.name: (s.rows_in, s.rows_out) for s in log.steps}


def test_every_filter_keeps_what_it_says_and_logs_rows_in_and_out(demo_store: Store) -> None:
    log = FilterLog()
    sel = Selection(success_only=True, min_reward=0.5, max_steps=3, dedupe=False)
    kept = list(select(demo_store, sel, log))
    assert kept
    assert all(e.success is True and (e.reward or 0) >= 0.5 and len(e.steps) <= 3 for e in kept)
    everything = list(demo_store.iter_episodes())
    succ = [e for e in everything if e.success is True]
    rich = [e for e in succ if e.reward is not None and e.reward >= 0.5]
    short = [e for e in rich if len(e.steps) <= 3]
    steps = _steps(log)
    assert steps["runs"] == (len(everything), len(everything))
    assert steps["success_only"] == (len(everything), len(succ))
    assert steps["min_reward"] == (len(succ), len(rich))
    assert steps["max_steps"] == (len(rich), len(short))
    assert steps["dedupe"] == (len(short), len(short)) == (len(kept), len(kept))
    assert [s.rows_out for s in log.steps[:-1]] == [s.rows_in for s in log.steps[1:]]


def test_run_policy_suite_attempt_and_source_select(
    demo_store: Store, demo_runs: tuple[Run, Run]
) -> None:
    _, pairs = demo_runs
    only = list(select(demo_store, Selection(runs=[pairs.id], dedupe=False)))
    assert {e.run_id for e in only} == {pairs.id}
    assert len(only) == demo_store.count_episodes(pairs.id)
    sloppy = list(select(demo_store, Selection(policy="scripted:sloppy", attempt=2)))
    assert sloppy and all(e.policy == "scripted:sloppy" and e.attempt == 2 for e in sloppy)
    assert list(select(demo_store, Selection(suite="core", source="deterministic", dedupe=False)))
    with pytest.raises(UnknownChoiceError):
        list(select(demo_store, Selection(runs=["run_nope"])))


def test_dedupe_drops_identical_trajectories_across_runs(
    demo_store: Store, demo_runs: tuple[Run, Run]
) -> None:
    single, pairs = demo_runs
    sel = Selection(runs=[single.id, pairs.id], policy="scripted:oracle", attempt=1)
    log = FilterLog()
    kept = list(select(demo_store, sel, log))
    # the oracle is deterministic: its first attempts in the pair run repeat the single run's
    assert {e.run_id for e in kept} == {single.id}
    assert _steps(log)["dedupe"] == (2 * len(kept), len(kept))
    assert len({trajectory_hash(e) for e in kept}) == len(kept)


def test_hash_ignores_ids_and_timing_but_not_actions(demo_store: Store) -> None:
    ep = next(e for e in demo_store.iter_episodes() if any(s.calls for s in e.steps))
    step = next(s for s in ep.steps if s.calls)
    calls = [c.model_copy(update={"call_id": "x", "latency_ns": 99}) for c in step.calls]
    moved = step.model_copy(update={"calls": calls, "latency_ns": 7})
    steps = [moved if s is step else s for s in ep.steps]
    twin = ep.model_copy(update={"id": "ep_other", "run_id": "run_other", "steps": steps})
    assert trajectory_hash(twin) == trajectory_hash(ep)
    first = step.actions[0]
    assert isinstance(first, ToolCall)
    changed = first.model_copy(update={"arguments": {**first.arguments, "extra": 1}})
    edited = step.model_copy(update={"actions": [changed, *step.actions[1:]]})
    other = ep.model_copy(update={"steps": [edited if s is step else s for s in ep.steps]})
    assert trajectory_hash(other) != trajectory_hash(ep)


def test_empty_selection_names_the_filter_that_removed_everything(demo_store: Store) -> None:
    with pytest.raises(UserError, match=r"filter min_reward \(2\.0\) removed all"):
        list(select(demo_store, Selection(min_reward=2.0)))
    with pytest.raises(UserError, match="filter policy"):
        list(select(demo_store, Selection(policy="scripted:nobody")))


def test_split_by_task_id_puts_no_task_in_both(demo_store: Store) -> None:
    split: dict[str, set[str]] = {}
    for ep in demo_store.iter_episodes():
        split.setdefault(ep.task_id, set()).add(split_of(ep.task_id, 0.2, seed=3))
    assert all(len(s) == 1 for s in split.values())
    counts = Counter(next(iter(s)) for s in split.values())
    assert counts["test"] > 0 and counts["train"] > counts["test"]
    assert all(split_of(t, 0.0) == "train" for t in split)
    assert split_of("t1", 0.5, seed=1) == split_of("t1", 0.5, seed=1)
    with pytest.raises(UserError):
        split_of("t1", 1.0)
