"""``lightclaw check``: run the core suite with every persona and verify LightClaw's invariants.

Each invariant is checked on freshly recorded runs (in a temporary store unless one is given):

1. every core task's oracle solution passes its verifier;
2. the SQL metrics of the report equal a recount from the raw recorded steps;
3. every recorded episode (so every failure case) replays identically from its record;
4. every failure case of the failure analysis carries the replay command of a stored episode;
5. the two-attempt (SCoRe) metrics equal a recount of the stored attempt pairs;
6. the store passes SQLite's integrity check.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lightclaw.evals.failures import analyse_failures
from lightclaw.evals.metrics import compute_metrics
from lightclaw.evals.recount import disagreements, recount
from lightclaw.evals.two_attempt import two_attempt_metrics
from lightclaw.policies.personas import PERSONAS
from lightclaw.rollouts.collect import collect, start_run
from lightclaw.rollouts.replay import replay
from lightclaw.store.queries import integrity_check
from lightclaw.suites.loader import get_suite

if TYPE_CHECKING:
    from lightclaw.store import Store


@dataclass(frozen=True)
class Result:
    name: str
    ok: bool
    detail: str


async def run_checks(store: Store, *, seed: int = 0) -> list[Result]:
    suite = get_suite("core")
    tasks = {t.id: t for t in suite.tasks}
    personas = [f"scripted:{name}" for name in PERSONAS]
    single = start_run(store, "core", personas, seed=seed)
    await collect(store, single, show_progress=False)
    paired = start_run(store, "core", personas, seed=seed, feedback="generic")
    await collect(store, paired, show_progress=False)
    results: list[Result] = []

    def check(name: str, fn: Callable[[], tuple[bool, str]]) -> None:
        try:
            ok, detail = fn()
        except Exception as exc:  # a crashing check is a failed check, with its reason
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        results.append(Result(name, ok, detail))

    def oracles() -> tuple[bool, str]:
        eps = [e for e in store.iter_episodes(single.id) if e.policy == "scripted:oracle"]
        failed = [e.task_id for e in eps if e.success is not True]  # judged at collection
        return not failed and len(eps) == len(tasks), (
            f"{len(eps) - len(failed)}/{len(tasks)} oracle solutions pass"
            + (f"; failing: {', '.join(failed[:5])}" if failed else "")
        )

    def metrics() -> tuple[bool, str]:
        report = compute_metrics(store, [single.id])
        sources = {single.id: single.source}
        diff = disagreements(report.groups, recount(store.iter_episodes(single.id), sources))
        return not diff, "; ".join(diff[:3]) or f"{len(report.groups)} groups agree on every count"

    check("oracle solutions pass their verifier", oracles)
    check("metrics (SQL) equal a recount from raw steps", metrics)
    replays: list[str] = []
    total = 0
    for run_id in (single.id, paired.id):
        for ep in store.iter_episodes(run_id):
            total += 1
            if not (await replay(store, ep.id)).identical:
                replays.append(ep.id)
    results.append(
        Result(
            "every episode replays identically",
            not replays,
            f"{total - len(replays)}/{total} identical"
            + (f"; differing: {', '.join(replays[:5])}" if replays else ""),
        )
    )

    def cases() -> tuple[bool, str]:
        groups = analyse_failures(store, single.id, tasks)
        ids = {e.id for e in store.iter_episodes(single.id)}
        all_cases = [c for g in groups for c in g.cases]
        bad = [c.replay for c in all_cases if c.replay != f"lightclaw replay {c.episode_id}"]
        bad += [c.episode_id for c in all_cases if c.episode_id not in ids]
        return not bad and bool(all_cases), f"{len(all_cases)} cases in {len(groups)} groups"

    def score() -> tuple[bool, str]:
        pairs: dict[tuple[str, str, int], dict[int, bool]] = {}
        for ep in store.iter_episodes(paired.id):
            if ep.success is not None:
                pairs.setdefault((ep.task_id, ep.policy, ep.trial), {})[ep.attempt] = ep.success
        bad = []
        for m in two_attempt_metrics(store, paired.id):
            outcomes = [(p[1], p[2]) for k, p in pairs.items() if k[1] == m.policy and len(p) == 2]
            n = len(outcomes)
            expect = (n, sum(a for a, _ in outcomes) / n, sum(b for _, b in outcomes) / n)
            if (m.pairs, m.acc_t1, m.acc_t2) != expect:
                bad.append(m.policy)
        return not bad, f"{len(PERSONAS)} policies agree" if not bad else f"differ: {bad}"

    def integrity() -> tuple[bool, str]:
        status = integrity_check(store)
        return status == "ok", f"integrity_check: {status}"

    check("failure cases name stored episodes and their replay", cases)
    check("two-attempt metrics equal a recount of the pairs", score)
    check("store integrity", integrity)
    return results


def run_checks_sync(store: Store, *, seed: int = 0) -> list[Result]:
    return asyncio.run(run_checks(store, seed=seed))
