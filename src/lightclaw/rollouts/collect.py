"""Collect episodes into the store: plan (task x policy x trial), run concurrently, resume.

A run's plan is stored in its config, so ``resume`` rebuilds it and runs only the
(task, policy, trial) triples that have no stored episode yet. Each completed episode is
flushed to the store before the next result is taken, so a killed process keeps every
completed episode; a run is ``incomplete`` until its whole plan is stored.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from lightclaw import __version__
from lightclaw.errors import UserError
from lightclaw.ids import new_id
from lightclaw.policies.feedback import GENERIC_FEEDBACK, verifier_feedback
from lightclaw.policies.personas import resolve_policy
from lightclaw.rollouts.oracles import check_oracles
from lightclaw.rollouts.progress import progress
from lightclaw.rollouts.tasks import run_suite
from lightclaw.runtime import Revision, run_episode
from lightclaw.schema import Episode, Run, RunConfig, Task, ToolSchemaRecord
from lightclaw.schema.judgement import Verdict
from lightclaw.schema.trajectory import RunSource
from lightclaw.suites.loader import Suite, load_suite
from lightclaw.suites.snapshot import take_snapshot
from lightclaw.verify.reward import assess, resolve_weights

if TYPE_CHECKING:
    from lightclaw.policies.base import PolicyFactory
    from lightclaw.store import Store
    from lightclaw.tools import ToolRegistry


@dataclass(frozen=True)
class Job:
    task: Task
    policy: str
    trial: int
    seed: int


def episode_seed(base_seed: int, task_id: str, policy: str, trial: int) -> int:
    """A stable per-episode seed derived from the run seed."""
    return zlib.crc32(f"{base_seed}:{task_id}:{policy}:{trial}".encode()) & 0x7FFFFFFF


def plan(suite: Suite, policies: Sequence[str], trials: int, seed: int) -> list[Job]:
    return [
        Job(task, policy, trial, episode_seed(seed, task.id, policy, trial))
        for policy in policies
        for task in suite.tasks
        for trial in range(trials)
    ]


def start_run(
    store: Store,
    suite_spec: str,
    policy_specs: Sequence[str],
    *,
    trials: int = 1,
    seed: int = 0,
    source: RunSource = "deterministic",
    reward_weights: Mapping[str, float] | None = None,
    feedback: str | None = None,
) -> Run:
    """Validate the inputs, then create and store a new run (nothing is written on bad input)."""
    if feedback not in (None, "generic", "verifier"):
        raise UserError(f"--feedback must be 'generic' or 'verifier' (got {feedback!r})")
    if trials < 1:
        raise UserError(f"--trials must be at least 1 (got {trials})")
    suite = load_suite(suite_spec)
    policies = [resolve_policy(spec)[0] for spec in policy_specs]
    if not policies:
        raise UserError("give at least one --policy, e.g. --policy scripted:oracle")
    weights = resolve_weights(reward_weights)  # unknown names fail here, before anything is written
    # a task whose oracle fails its own verifier is rejected (file:line), or left out of a
    # published benchmark's run
    suite, left_out = check_oracles(suite)
    registry = suite.registry_factory()
    run = Run(
        id=new_id("run"),
        created=datetime.now(UTC),
        source=source,
        suite=suite.name,
        policy=",".join(policies),
        config=RunConfig(
            suite=suite_spec,
            policies=policies,
            trials=trials,
            seed=seed,
            reward_weights=weights,
            protocol="two-attempt" if feedback else "single",
            feedback=feedback,
            suite_file=suite.source,
            suite_sha256=suite.sha256,
            left_out=left_out,
        ),
        code_version=__version__,
        status="incomplete",
        tool_schemas=_schema_records(registry, suite),
    )
    store.create_run(run, take_snapshot(suite))
    return run


def _schema_records(registry: ToolRegistry, suite: Suite) -> list[ToolSchemaRecord]:
    used = sorted({name for task in suite.tasks for name in task.tools} & set(registry.names()))
    return registry.subset(used).records()


async def collect(
    store: Store,
    run: Run,
    *,
    concurrency: int = 8,
    show_progress: bool | None = None,
    on_episode: Callable[[Episode], None] | None = None,
) -> int:
    """Run every planned episode of ``run`` that is not stored yet; returns how many ran.

    ``concurrency`` workers take jobs from the plan; each finished job (both attempts of a
    two-attempt pair together) goes straight to the store's batched writer, which commits at
    least every second, so a killed process keeps what finished before its last commit
    whatever the suite. Episodes that another process stored meanwhile (two resumes of one
    run) are skipped, not duplicated.
    """
    config = run.config
    suite = run_suite(store, run).suite
    policies = config.policies
    factories: dict[str, PolicyFactory] = {p: resolve_policy(p)[1] for p in policies}
    done = store.episode_keys(run.id)
    jobs = [
        job
        for job in plan(suite, policies, config.trials, config.seed)
        if (job.task.id, job.policy, job.trial) not in done
    ]
    registry = suite.registry_factory()
    weights = resolve_weights(config.reward_weights)
    feedback_mode = config.feedback or ""  # set: the two-attempt protocol

    async with _environment(suite, store, run) as env:

        async def one(job: Job) -> list[Episode]:
            own = suite.registry_for(job.task, registry)
            first = await _attempt(job, factories, own, run.id, suite.name, None, env)
            verdict = evaluate(job.task, first, weights)
            if not feedback_mode:
                return [first]
            revision = Revision(first, feedback_for(verdict, feedback_mode))
            second = await _attempt(job, factories, own, run.id, suite.name, revision, env)
            return [first, evaluate_revision(job.task, first, second, weights)]

        return await _run_jobs(store, run, jobs, one, concurrency, show_progress, on_episode)


def _environment(suite: Suite, store: Store, run: Run) -> AbstractAsyncContextManager[Any]:
    """The suite's per-run environment (the recruiting web env), or none.

    Screenshots go beside the store: ``screenshots/RUN/EPISODE/step-NNN.png``."""
    if suite.environment is None:
        return nullcontext(None)
    base = store.path.parent
    env: AbstractAsyncContextManager[Any] = suite.environment(base / "screenshots" / run.id, base)
    return env


async def _run_jobs(
    store: Store,
    run: Run,
    jobs: Sequence[Job],
    one: Callable[[Job], Awaitable[list[Episode]]],
    concurrency: int,
    show_progress: bool | None,
    on_episode: Callable[[Episode], None] | None,
) -> int:
    """Run ``jobs`` on ``concurrency`` workers, streaming each finished job to the store."""
    finished: asyncio.Queue[list[Episode] | Exception] = asyncio.Queue()
    todo = iter(jobs)  # shared by the workers: each job is taken once

    async def worker() -> None:
        for job in todo:
            try:
                finished.put_nowait(await one(job))
            except Exception as exc:  # a runtime bug: the consumer re-raises it
                finished.put_nowait(exc)
                return
            await asyncio.sleep(0)  # let the consumer store it before the next job starts

    workers = [asyncio.create_task(worker()) for _ in range(min(max(1, concurrency), len(jobs)))]
    bar = progress(f"collect {run.id}", len(jobs), enabled=show_progress)
    try:
        with bar as advance, store.writer(skip_stored=True) as writer:
            for _ in jobs:
                attempts = await finished.get()
                if isinstance(attempts, Exception):
                    raise attempts
                writer.add(*attempts)  # the attempts of one job are stored together
                if on_episode is not None:
                    for episode in attempts:
                        on_episode(episode)
                advance()
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    store.set_run_status(run.id, "complete")
    return len(jobs)


async def _attempt(
    job: Job,
    factories: Mapping[str, PolicyFactory],
    registry: ToolRegistry,
    run_id: str,
    suite: str,
    revision: Revision | None,
    env: Any = None,
) -> Episode:
    policy = factories[job.policy](job.task, job.seed, job.trial)
    episode_id = new_id("ep")
    deps = None if env is None else await env.open(job.task, episode_id)
    return await run_episode(
        job.task,
        policy,
        registry,
        run_id=run_id,
        seed=job.seed,
        trial=job.trial,
        suite=suite,
        policy_name=job.policy,
        revision=revision,
        episode_id=episode_id,
        deps=deps,
        guards=() if env is None else env.guards,
    )


def feedback_for(verdict: Verdict, mode: str) -> str:
    """The feedback after attempt 1: SCoRe's generic prompt, or the verifier's verdict."""
    if mode == "generic":
        return GENERIC_FEEDBACK
    return verifier_feedback(verdict.success, verdict.message)


def merged(first: Episode, second: Episode) -> Episode:
    """Both attempts as one conversation (what attempt 2 is judged on: its calls build on 1's).

    Attempt 2's steps are already numbered after attempt 1's, so references carry over as is."""
    steps = [s.model_copy() for s in (*first.steps, *second.steps)]
    return second.model_copy(update={"steps": steps})


def evaluate_revision(
    task: Task, first: Episode, second: Episode, weights: Mapping[str, float]
) -> Episode:
    """Judge attempt 2 once, on the whole conversation; it keeps that judgement, and its own
    steps get their rewards and labels."""
    whole = merged(first, second)
    evaluate(task, whole, weights)
    second.success, second.reward = whole.success, whole.reward
    second.reward_components = whole.reward_components
    second.judgement = whole.judgement
    for step, judged in zip(second.steps, whole.steps[len(first.steps) :], strict=True):
        step.reward, step.judged_correct = judged.reward, judged.judged_correct
        step.over_correction, step.correction_ok = judged.over_correction, judged.correction_ok
        step.correction_attempted = judged.correction_attempted
    return second


def evaluate(task: Task, episode: Episode, weights: Mapping[str, float]) -> Verdict:
    """Judge a finished episode once against its task; store the judgement, success, rewards
    and step labels on it (in place) and return the verdict.

    A verifier that failed leaves ``success`` (and the rewards it feeds) ``None``: not judged.
    """
    return assess(task, episode, weights).verdict


class CollectOptions(TypedDict, total=False):
    """The keyword options of :func:`collect`."""

    concurrency: int
    show_progress: bool | None
    on_episode: Callable[[Episode], None] | None


def collect_sync(store: Store, run: Run, **options: Unpack[CollectOptions]) -> int:
    """Blocking wrapper of :func:`collect` (starts its own event loop)."""
    return asyncio.run(collect(store, run, **options))
