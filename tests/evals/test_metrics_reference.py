"""compute_metrics (SQL) equals a plain-Python recomputation from the stored Episode records.

The store is a real run: the core suite with scripted personas, several trials, two sources;
each stored episode is judged with the ground-truth verifier (test-side) and its success written
to the store, except every seventh, which stays unjudged.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from lightclaw.evals.metrics import GroupMetrics, compute_metrics
from lightclaw.evals.stats import pass_at_k, pass_hat_k
from lightclaw.rollouts.collect import collect_sync, start_run
from lightclaw.schema import Episode
from lightclaw.schema.errors import RUNTIME_ERRORS
from lightclaw.store import Store
from lightclaw.suites.loader import load_suite
from lightclaw.verify.ground_truth import judge

PERSONAS = ["oracle", "sloppy", "stubborn", "overcorrector", "hallucinator", "flaky"]


@pytest.fixture(scope="module")
def judged_store(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, list[str], dict[str, bool | None]]:
    path = tmp_path_factory.mktemp("metrics") / "lc.db"
    suite = load_suite("core")
    run_ids: list[str] = []
    with Store(path) as store:
        for source, personas, trials in [
            ("deterministic", PERSONAS, 3),
            ("imported", ["oracle", "sloppy"], 2),
        ]:
            run = start_run(
                store, "core", [f"scripted:{p}" for p in personas], trials=trials, source=source
            )  # type: ignore[arg-type]
            collect_sync(store, run, show_progress=False)
            run_ids.append(run.id)
        verdicts: dict[str, bool | None] = {}
        for i, episode in enumerate(store.iter_episodes()):
            ok = judge(suite.task(episode.task_id), episode).success
            verdicts[episode.id] = None if i % 7 == 3 else ok
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(
            "UPDATE episodes SET success = ? WHERE id = ?",
            [(None if ok is None else int(ok), eid) for eid, ok in verdicts.items()],
        )
    conn.close()
    return path, run_ids, verdicts


def reference(
    episodes: list[Episode], sources: dict[str, str], success: dict[str, bool | None]
) -> dict[tuple[str, str, str], dict[str, Any]]:
    """SPEC §3 definitions, evaluated step by step on Episode objects."""
    out: dict[tuple[str, str, str], dict[str, Any]] = defaultdict(Counter)
    trials: dict[tuple[str, str, str], dict[str, list[bool]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for ep in episodes:
        key = (ep.suite, ep.policy, sources[ep.run_id])
        c = out[key]
        ok = success[ep.id]
        c["episodes"] += 1
        c["steps"] += len(ep.steps)
        runtime_error = any(s.error_type in RUNTIME_ERRORS for s in ep.steps)
        if ok is not None:
            c["judged"] += 1
            c["succeeded"] += ok
            trials[key][ep.task_id].append(ok)
            if runtime_error:
                c["with_error"] += 1
                c["recovered"] += ok
        for i, step in enumerate(ep.steps):
            c["invalid_format"] += step.error_type == "invalid_format"
            if step.calls:
                c["tool_steps"] += 1
                c["tool_ok"] += all(call.status == "ok" for call in step.calls)
                c["wrong_args"] += step.error_type == "wrong_args"
            if step.error_type in RUNTIME_ERRORS and i + 1 < len(ep.steps):
                c["feedback"] += 1
                c["attempts"] += any(s.correction_of == step.index for s in ep.steps[i + 1 :])
    for key, tasks in trials.items():
        top = min(len(v) for v in tasks.values())
        out[key]["pass_k"] = [
            (
                k,
                sum(pass_at_k(len(v), sum(v), k) for v in tasks.values()) / len(tasks),
                sum(pass_hat_k(len(v), sum(v), k) for v in tasks.values()) / len(tasks),
            )
            for k in range(1, top + 1)
        ]
    return out


def observed(g: GroupMetrics) -> dict[str, Any]:
    return {
        "episodes": g.episodes,
        "judged": g.judged,
        "succeeded": g.task_success_rate.numerator,
        "steps": g.steps,
        "tool_steps": g.tool_steps,
        "tool_ok": g.tool_execution_success_rate.numerator,
        "invalid_format": g.invalid_format_rate.numerator,
        "wrong_args": g.wrong_args_rate.numerator,
        "with_error": g.recovery_rate.denominator,
        "recovered": g.recovery_rate.numerator,
        "feedback": g.correction_attempt_rate.denominator,
        "attempts": g.correction_attempt_rate.numerator,
        "pass_k": [(p.k, p.pass_at_k, p.pass_hat_k) for p in g.pass_k],
    }


def test_metrics_equal_a_recomputation_from_raw_episodes(
    judged_store: tuple[Path, list[str], dict[str, bool | None]],
) -> None:
    path, run_ids, verdicts = judged_store
    with Store(path, readonly=True) as store:
        report = compute_metrics(store, run_ids)
        sources = {r: store.get_run(r).source for r in run_ids}
        episodes = list(store.iter_episodes())
    expected = reference(episodes, sources, verdicts)
    got = {(g.suite, g.policy, g.source): observed(g) for g in report.groups}
    assert set(got) == set(expected)
    for key, want in expected.items():
        have = got[key]
        want_pass = want.pop("pass_k")
        have_pass = have.pop("pass_k")
        assert have == {name: want[name] for name in have}, key
        assert len(have_pass) == len(want_pass), key
        for (k1, at1, hat1), (k2, at2, hat2) in zip(have_pass, want_pass, strict=True):
            assert (k1, at1, hat1) == (k2, pytest.approx(at2), pytest.approx(hat2))
    # the data exercises every metric: errors, corrections, unjudged episodes, several trials
    total = Counter[str]()
    for g in report.groups:
        total.update(observed(g) | {"pass_k": 0, "unjudged": g.unjudged})
    assert total["feedback"] > 0 and total["attempts"] > 0 and total["with_error"] > 0
    assert total["wrong_args"] > 0 and total["invalid_format"] > 0 and total["unjudged"] > 0
    assert 0 < total["succeeded"] < total["judged"]
    assert {g.source for g in report.groups} == {"deterministic", "imported"}
    assert all(len(g.pass_k) >= 1 for g in report.groups)


def test_grouping_by_run_sums_to_the_same_totals(
    judged_store: tuple[Path, list[str], dict[str, bool | None]],
) -> None:
    path, run_ids, _ = judged_store
    with Store(path, readonly=True) as store:
        fine = compute_metrics(store, run_ids)
        coarse = compute_metrics(store, run_ids, group_by=("run",))
    assert [g.run_id for g in coarse.groups] == sorted(run_ids)
    for field in ("episodes", "judged", "steps", "tool_steps"):
        assert sum(getattr(g, field) for g in fine.groups) == sum(
            getattr(g, field) for g in coarse.groups
        )
    for name in ("recovery_rate", "correction_attempt_rate", "wrong_args_rate"):
        fine_num = sum(getattr(g, name).numerator for g in fine.groups)
        assert fine_num == sum(getattr(g, name).numerator for g in coarse.groups)
