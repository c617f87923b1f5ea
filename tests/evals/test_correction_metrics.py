"""The correction metrics of a real run (every persona, core suite), checked against their
definitions (docs/metrics.md) written out here step by step over the stored records."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from lightclaw.evals.metrics import GroupMetrics, compute_metrics
from lightclaw.evals.recount import disagreements, recount
from lightclaw.policies.personas import PERSONAS
from lightclaw.rollouts.collect import collect_sync, start_run
from lightclaw.schema import RUNTIME_ERRORS, Episode, FinalAnswer, effective
from lightclaw.store import Store


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("corrections") / "lc.db"
    with Store(path) as store:
        started = start_run(store, "core", [f"scripted:{name}" for name in sorted(PERSONAS)])
        collect_sync(store, started, show_progress=False)
    return path, started.id


@pytest.fixture(scope="module")
def stored(run: tuple[Path, str]) -> tuple[dict[str, GroupMetrics], list[Episode], str]:
    path, run_id = run
    with Store(path, readonly=True) as store:
        groups = {g.policy or "": g for g in compute_metrics(store, [run_id]).groups}
        episodes = list(store.iter_episodes(run_id))
        source = store.get_run(run_id).source
    return groups, episodes, source


def by_definition(episodes: list[Episode]) -> dict[str, Counter[str]]:
    """docs/metrics.md, read literally, over each episode's stored steps and verdicts."""
    out: dict[str, Counter[str]] = {}
    for ep in episodes:
        c = out.setdefault(ep.policy, Counter())
        steps = ep.steps
        for i, step in enumerate(steps):
            if step.error_type in RUNTIME_ERRORS and i + 1 < len(steps):  # a feedback event
                c["feedback"] += 1
                c["followed"] += any(later.correction_of == step.index for later in steps[i + 1 :])
            if step.correction_of is None:
                continue
            c["corrections"] += 1
            ran = step.error_type not in RUNTIME_ERRORS
            judged = step.judged_correct
            c["recovered"] += ran and (judged is True or (judged is None and ep.success is True))
            corrected = next((s for s in steps if s.index == step.correction_of), None)
            if corrected is not None and corrected.judged_correct is True:
                before = sorted(
                    effective(a).model_dump_json(exclude={"call_id"}) for a in corrected.actions
                )
                after = sorted(
                    effective(a).model_dump_json(exclude={"call_id"}) for a in step.actions
                )
                c["over"] += before != after
    return out


def test_correction_rates_follow_their_definitions(
    stored: tuple[dict[str, GroupMetrics], list[Episode], str],
) -> None:
    groups, episodes, _ = stored
    expected = by_definition(episodes)
    assert set(groups) == set(expected)
    for policy, g in groups.items():
        want = expected[policy]
        got = g.correction_attempt_rate, g.recovery_success_rate, g.over_correction_rate
        assert [(r.numerator, r.denominator) for r in got] == [
            (want["followed"], want["feedback"]),
            (want["recovered"], want["corrections"]),
            (want["over"], want["corrections"]),
        ], policy


def test_stubborn_recovery_success_counts_no_give_up(
    stored: tuple[dict[str, GroupMetrics], list[Episode], str],
) -> None:
    groups, episodes, _ = stored
    stubborn = [ep for ep in episodes if ep.policy == "scripted:stubborn"]
    rate = groups["scripted:stubborn"].recovery_success_rate
    # the persona never succeeds, and no revision of its is judged correct on its own: by the
    # definition nothing recovers, although it does correct (mostly by giving up)
    assert not any(ep.success for ep in stubborn)
    revisions = [s for ep in stubborn for s in ep.steps if s.correction_of is not None]
    assert not any(s.judged_correct is True for s in revisions)
    give_ups = [
        s for s in revisions if any(isinstance(effective(a), FinalAnswer) for a in s.actions)
    ]
    assert give_ups and rate.denominator == len(revisions) > 0
    assert rate.numerator == 0 and rate.value == 0.0


def test_recovery_and_over_correction_share_one_denominator(
    stored: tuple[dict[str, GroupMetrics], list[Episode], str],
) -> None:
    groups, episodes, _ = stored
    for policy, g in groups.items():
        corrections = sum(
            s.correction_of is not None for ep in episodes if ep.policy == policy for s in ep.steps
        )
        assert g.recovery_success_rate.denominator == corrections, policy
        assert g.over_correction_rate.denominator == corrections, policy
    over = groups["scripted:overcorrector"]
    assert over.over_correction_rate.numerator > 0  # its explicit self-corrections
    assert over.recovery_success_rate.numerator < over.recovery_success_rate.denominator


def test_sql_and_recount_agree(
    stored: tuple[dict[str, GroupMetrics], list[Episode], str], run: tuple[Path, str]
) -> None:
    groups, episodes, source = stored
    counts = recount(episodes, {run[1]: source})
    assert disagreements(groups.values(), counts) == []
