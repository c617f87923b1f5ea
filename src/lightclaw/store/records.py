"""Records <-> rows: each record is dumped to JSON once; queryable columns are copied out."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lightclaw.errors import RuntimeBug
from lightclaw.schema.tasks import Task, TaskSnapshot
from lightclaw.schema.trajectory import Episode, Run
from lightclaw.verify.corrections import relabel

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

Row = tuple[object, ...]

EPISODE_INSERT = (
    "INSERT INTO episodes (id, run_id, task_id, suite, policy, trial, seed, outcome, stop_reason,"
    " success, reward, n_steps, n_tool_steps, n_errors, duration_ns, started_at, version, record,"
    " attempt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
STEP_INSERT = (
    "INSERT INTO steps (episode_id, idx, error_type, n_calls, correction_of, latency_ns,"
    " judged_correct, over_correction, correction_ok, correction_attempted)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
CALL_INSERT = (
    "INSERT INTO calls (episode_id, step_idx, idx, tool, status, error_type, latency_ns)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)
RUN_INSERT = (
    "INSERT INTO runs (id, created, source, suite, policy, model, status, code_version, version,"
    " record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
RUN_TASK_INSERT = (
    "INSERT INTO run_tasks (run_id, task_id, idx, record, tool_docs) VALUES (?, ?, ?, ?, ?)"
)
TOOL_SCHEMA_INSERT = (
    "INSERT INTO tool_schemas (run_id, name, idx, hash, json_schema) VALUES (?, ?, ?, ?, ?)"
)
# Same JSON as ``Episode.model_dump_json()``, minus its keyword handling. One dump per
# episode (steps included) is ~1.5x faster than one per step.
_episode_json = Episode.__pydantic_serializer__.to_json
# Fields kept out of the run's JSON record: they live in their own column / table.
_RUN_SPLIT = frozenset({"status", "tool_schemas"})


def iso(moment: datetime) -> str:
    """ISO text that sorts by time: aware datetimes are normalised to UTC."""
    return (moment.astimezone(UTC) if moment.tzinfo is not None else moment).isoformat()


def run_rows(run: Run) -> tuple[Row, list[Row]]:
    """The ``runs`` row and the ``tool_schemas`` rows of a run."""
    record = run.model_dump_json(exclude=set(_RUN_SPLIT))
    row: Row = (
        run.id,
        iso(run.created),
        run.source,
        run.suite,
        run.policy,
        run.model,
        run.status,
        run.code_version,
        run.version,
        record,
    )
    schemas: list[Row] = [
        (run.id, s.name, i, s.hash, json.dumps(s.json_schema, ensure_ascii=False))
        for i, s in enumerate(run.tool_schemas)
    ]
    return row, schemas


def assemble_run(record: str, status: str, schemas: Iterable[tuple[str, str, str]]) -> Run:
    """Rebuild a Run from its record, status column and (name, hash, json_schema) rows."""
    tools = ",".join(
        f'{{"name":{json.dumps(name)},"hash":{json.dumps(hash_)},"json_schema":{schema}}}'
        for name, hash_, schema in schemas
    )
    return Run.model_validate_json(
        f'{record[:-1]},"status":{json.dumps(status)},"tool_schemas":[{tools}]}}'
    )


def episode_rows(episodes: Sequence[Episode]) -> tuple[list[Row], list[Row], list[Row]]:
    """Rows for ``episodes``, ``steps`` and ``calls``; each episode is dumped to JSON once.

    The episode row holds the whole record (steps included); the step and call rows hold only
    copies of the fields that SQL queries (metrics) need."""
    ep_rows: list[Row] = []
    step_rows: list[Row] = []
    call_rows: list[Row] = []
    add_call = call_rows.append
    add_step = step_rows.append
    for ep in episodes:
        eid = ep.id
        n_tool = n_err = 0
        previous = -1
        for step in ep.steps:
            idx = step.index
            if idx <= previous:
                raise RuntimeBug(
                    f"episode {eid!r}: step indices must increase ({idx} after {previous})"
                )
            previous = idx
            calls = step.calls
            if calls:
                n_tool += 1
                for call in calls:
                    add_call(
                        call_row(eid, idx, call.index, call.tool, call.status, call.error_type,
                                 call.latency_ns)
                    )  # fmt: skip
            if step.error_type is not None:
                n_err += 1
            add_step(
                step_row(eid, idx, step.error_type, len(calls), step.correction_of,
                         step.latency_ns, step.judged_correct, step.over_correction,
                         step.correction_ok, step.correction_attempted)
            )  # fmt: skip
        ep_rows.append(
            episode_row(eid, ep.run_id, ep.task_id, ep.suite, ep.policy, ep.trial, ep.seed,
                        ep.outcome, ep.stop_reason, ep.success, ep.reward, len(ep.steps), n_tool,
                        n_err, ep.duration_ns, iso(ep.started_at), ep.version,
                        _episode_json(ep).decode(), ep.attempt)
        )  # fmt: skip
    return ep_rows, step_rows, call_rows


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def episode_row(
    episode_id: str,
    run_id: str,
    task_id: str,
    suite: str,
    policy: str,
    trial: int,
    seed: int,
    outcome: str,
    stop_reason: str | None,
    success: bool | None,
    reward: float | None,
    n_steps: int,
    n_tool_steps: int,
    n_errors: int,
    duration_ns: int,
    started_at: str,
    version: int,
    record: str,
    attempt: int = 1,
) -> Row:
    """One ``episodes`` row, in :data:`EPISODE_INSERT`'s column order (``record``: the
    episode's JSON)."""
    return (
        episode_id, run_id, task_id, suite, policy, trial, seed, outcome, stop_reason,
        _flag(success), reward, n_steps, n_tool_steps, n_errors, duration_ns, started_at, version,
        record, attempt,
    )  # fmt: skip


def call_row(
    episode_id: str,
    step_idx: int,
    idx: int,
    tool: str,
    status: str,
    error_type: str | None,
    latency_ns: int,
) -> Row:
    """One ``calls`` row, in :data:`CALL_INSERT`'s column order."""
    return (episode_id, step_idx, idx, tool, status, error_type, latency_ns)


def step_row(
    episode_id: str,
    idx: int,
    error_type: str | None,
    n_calls: int,
    correction_of: int | None,
    latency_ns: int,
    judged_correct: bool | None = None,
    over_correction: bool | None = None,
    correction_ok: bool | None = None,
    correction_attempted: bool | None = None,
) -> Row:
    """One ``steps`` row, in :data:`STEP_INSERT`'s column order."""
    return (
        episode_id, idx, error_type, n_calls, correction_of, latency_ns, _flag(judged_correct),
        _flag(over_correction), _flag(correction_ok), _flag(correction_attempted),
    )  # fmt: skip


def assemble_episode(record: str) -> Episode:
    """Rebuild an Episode from its stored record.

    A record older than format 2 gets its correction labels under today's definitions
    (:func:`lightclaw.verify.corrections.relabel`, from its stored step verdicts), as
    migration 0005 did for its step columns."""
    episode = Episode.model_validate_json(record)
    if episode.version < 2:
        relabel(episode)
    return episode


def task_snapshot_rows(run_id: str, tasks: Sequence[TaskSnapshot]) -> list[Row]:
    """The ``run_tasks`` rows of a run's task snapshot (suite order kept in ``idx``)."""
    return [
        (
            run_id,
            stored.task.id,
            i,
            stored.task.model_dump_json(),
            None if stored.tool_docs is None else json.dumps(stored.tool_docs, ensure_ascii=False),
        )
        for i, stored in enumerate(tasks)
    ]


def assemble_task(record: str, tool_docs: str | None) -> TaskSnapshot:
    """Rebuild a snapshotted task from its row."""
    return TaskSnapshot(
        task=Task.model_validate_json(record),
        tool_docs=None if tool_docs is None else json.loads(tool_docs),
    )
