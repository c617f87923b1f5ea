"""One trajectory pool for every export: select episodes, filter, dedupe, split by task.

:func:`select` streams the selected episodes (bounded memory: one store batch plus a set of
16-byte hashes) and records each filter's effect in a :class:`FilterLog`. When nothing is left
it raises :class:`UserError` naming the filter that removed the last rows.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lightclaw.errors import UnknownChoiceError, UserError
from lightclaw.rollouts.tasks import run_suite
from lightclaw.schema import Episode, Run, Step, Task, effective
from lightclaw.schema.actions import ACTION_ADAPTER
from lightclaw.schema.trajectory import RunSource
from lightclaw.store import Store
from lightclaw.suites.loader import Suite


class Selection(BaseModel):
    """Which episodes an export reads. Empty ``runs`` means every run in the store."""

    model_config = ConfigDict(extra="forbid")

    runs: list[str] = Field(default_factory=list)
    suite: str | None = None
    source: RunSource | None = None
    policy: str | None = None
    attempt: int | None = Field(default=None, ge=1)
    success_only: bool = False
    min_reward: float | None = None
    max_steps: int | None = Field(default=None, ge=1)
    dedupe: bool = True


class FilterStep(BaseModel):
    """One filter and its effect."""

    name: str
    setting: str
    rows_in: int = 0
    rows_out: int = 0

    @property
    def removed(self) -> int:
        return self.rows_in - self.rows_out


class FilterLog(BaseModel):
    """Every filter applied, in order, with rows in and out (the data card prints this)."""

    steps: list[FilterStep] = Field(default_factory=list)

    def add(self, name: str, setting: Any) -> FilterStep:
        step = FilterStep(name=name, setting=str(setting))
        self.steps.append(step)
        return step

    @property
    def selected(self) -> int:
        return self.steps[-1].rows_out if self.steps else 0

    def emptied_by(self) -> FilterStep | None:
        """The first filter that left nothing (None if rows remain or none came in)."""
        return next((s for s in self.steps if s.rows_in > 0 and s.rows_out == 0), None)


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _step_key(step: Step) -> list[Any]:
    actions = [ACTION_ADAPTER.dump_python(effective(a), mode="json") for a in step.actions]
    for action in actions:
        action.pop("call_id", None)
    results = [
        [c.tool, c.status, c.error_type, c.output if c.error_type is None else None]
        for c in step.calls
    ]
    raw = None if step.actions else step.raw_output.model_dump(mode="json")
    return [actions, results, raw, step.error_type, step.user_reply]


def trajectory_hash(episode: Episode) -> bytes:
    """A digest of what happened, not of ids or timings: task, attempt and feedback, and per
    step the effective actions (call ids dropped), call results and unparsed output."""
    doc = [
        episode.task_id,
        episode.attempt,
        episode.feedback,
        [_step_key(s) for s in episode.steps],
    ]
    return hashlib.blake2b(_canon(doc).encode(), digest_size=16).digest()


def split_of(task_id: str, test_fraction: float, seed: int = 0) -> str:
    """``"train"`` or ``"test"`` from a hash of the task id: every row of a task lands in the
    same split, stable across runs and machines."""
    if not 0.0 <= test_fraction < 1.0:
        raise UserError(f"test fraction must be in [0, 1) (got {test_fraction})")
    digest = hashlib.blake2b(f"{seed}:{task_id}".encode(), digest_size=8).digest()
    return "test" if int.from_bytes(digest) / 2**64 < test_fraction else "train"


class Pool:
    """Runs and parents of selected episodes, looked up once and cached."""

    def __init__(self, store: Store, max_parents: int = 4096) -> None:
        self.store = store
        self._runs: dict[str, Run] = {}
        self._suites: dict[str, Suite | None] = {}
        self._tasks: dict[str, dict[str, Task]] = {}
        self._parents: OrderedDict[str, Episode] = OrderedDict()
        self._max_parents = max_parents

    def run(self, run_id: str) -> Run:
        if run_id not in self._runs:
            self._runs[run_id] = self.store.get_run(run_id)
        return self._runs[run_id]

    def suite(self, run_id: str) -> Suite | None:
        """The suite the run was collected on (its task snapshot); None if not available."""
        if run_id not in self._suites:
            try:
                self._suites[run_id] = run_suite(self.store, self.run(run_id)).suite
            except UserError:  # a run stored before task snapshots, whose file moved
                self._suites[run_id] = None
        return self._suites[run_id]

    def task(self, episode: Episode) -> Task | None:
        """The task definition the episode ran (from its run's snapshot), if available."""
        suite = self.suite(episode.run_id)
        if suite is None:
            return None
        if episode.run_id not in self._tasks:
            self._tasks[episode.run_id] = {t.id: t for t in suite.tasks}
        return self._tasks[episode.run_id].get(episode.task_id)

    def remember(self, episode: Episode) -> None:
        """Keep a first attempt so its revision finds it without a store read."""
        self._parents[episode.id] = episode
        if len(self._parents) > self._max_parents:
            self._parents.popitem(last=False)

    def parent(self, episode: Episode) -> Episode | None:
        """The episode an attempt-2 episode revises (None for a first attempt)."""
        if episode.parent_id is None:
            return None
        found = self._parents.get(episode.parent_id)
        return found if found is not None else self.store.get_episode(episode.parent_id)


def _run_ids(store: Store, selection: Selection) -> list[str]:
    known = [r.id for r in store.list_runs()]
    for run_id in selection.runs:
        if run_id not in known:
            raise UnknownChoiceError("run", run_id, known)
    return list(dict.fromkeys(selection.runs)) if selection.runs else list(reversed(known))


def select(
    store: Store, selection: Selection, log: FilterLog | None = None, pool: Pool | None = None
) -> Iterator[Episode]:
    """Stream the episodes ``selection`` keeps, recording each filter's effect in ``log``.

    Order of filters: runs, source, suite, policy, attempt, success, min reward, max steps,
    dedupe. Raises :class:`UserError` at the end when nothing was kept, naming the filter that
    removed everything. Every episode read is offered to ``pool`` (for parent look-ups).
    """
    log = log if log is not None else FilterLog()
    pool = pool if pool is not None else Pool(store)
    run_ids = _run_ids(store, selection)
    f_runs = log.add("runs", ",".join(selection.runs) or "all")
    f_runs.rows_in = store.count_episodes()
    f_source = log.add("source", selection.source or "any")
    checks = [
        (log.add("suite", selection.suite or "any"), lambda e: _eq(selection.suite, e.suite)),
        (log.add("policy", selection.policy or "any"), lambda e: _eq(selection.policy, e.policy)),
        (
            log.add("attempt", selection.attempt or "any"),
            lambda e: _eq(selection.attempt, e.attempt),
        ),
        (log.add("success_only", selection.success_only), _success(selection)),
        (log.add("min_reward", selection.min_reward), _min_reward(selection)),
        (log.add("max_steps", selection.max_steps), _max_steps(selection)),
    ]
    f_dedupe = log.add("dedupe", "trajectory hash" if selection.dedupe else "off")
    seen: set[bytes] = set()
    for run_id in run_ids:
        n = store.count_episodes(run_id)
        f_runs.rows_out += n
        f_source.rows_in += n
        if selection.source is not None and pool.run(run_id).source != selection.source:
            continue
        f_source.rows_out += n
        for episode in store.iter_episodes(run_id):
            if episode.attempt == 1:
                pool.remember(episode)
            if not _passes(episode, checks):
                continue
            f_dedupe.rows_in += 1
            if selection.dedupe:
                digest = trajectory_hash(episode)
                if digest in seen:
                    continue
                seen.add(digest)
            f_dedupe.rows_out += 1
            yield episode
    if log.selected == 0:
        raise UserError(_empty_message(log))


def _passes(episode: Episode, checks: list[tuple[FilterStep, Any]]) -> bool:
    for step, keep in checks:
        step.rows_in += 1
        if not keep(episode):
            return False
        step.rows_out += 1
    return True


def _eq(wanted: object, value: object) -> bool:
    return wanted is None or wanted == value


def _success(selection: Selection) -> Any:
    return lambda e: not selection.success_only or e.success is True


def _min_reward(selection: Selection) -> Any:
    low = selection.min_reward
    return lambda e: low is None or (e.reward is not None and e.reward >= low)


def _max_steps(selection: Selection) -> Any:
    most = selection.max_steps
    return lambda e: most is None or len(e.steps) <= most


def _empty_message(log: FilterLog) -> str:
    culprit = log.emptied_by()
    if culprit is None:
        return "nothing to export: the selected runs hold no episodes"
    return (
        f"nothing to export: filter {culprit.name} ({culprit.setting}) removed all "
        f"{culprit.rows_in} remaining episodes"
    )


def feed(
    store: Store,
    selection: Selection,
    make_sink: Callable[[Pool], Any],
    *,
    test_fraction: float = 0.0,
    seed: int = 0,
) -> tuple[Any, FilterLog]:
    """Stream the selection into one sink (``add(episode, split)``); returns (sink, filter log).

    The single-format entry points (``run_dpo``, ``run_selfcorrect``, ``run_spa``) use this;
    ``lightclaw export`` feeds every format in one pass through ``card.export_pool``.
    """
    split_of("-", test_fraction, seed)  # a bad fraction fails before anything is read
    log = FilterLog()
    pool = Pool(store)
    sink = make_sink(pool)
    for episode in select(store, selection, log, pool):
        sink.add(episode, split_of(episode.task_id, test_fraction, seed))
    return sink, log
