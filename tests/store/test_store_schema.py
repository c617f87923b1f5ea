"""The store's SQL schema is a checked-in snapshot; migrations apply in order, once."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from store_samples import make_run, rich_episode

from lightclaw.errors import RuntimeBug
from lightclaw.evals.metrics import compute_metrics
from lightclaw.evals.recount import disagreements, recount
from lightclaw.schema import (
    FORMAT_VERSION,
    CallRecord,
    Episode,
    ErrorType,
    FinalAnswer,
    RawOutput,
    Step,
    ToolCall,
)
from lightclaw.store import Store, migrate
from lightclaw.store.migrate import APPLICATION_ID, PAGE_SIZE, Migration, migrations, statements

SNAPSHOT = Path(__file__).with_name("schema.sql")


def query(path: Path, sql: str) -> list[tuple[object, ...]]:
    """The rows of one query on the database file (the connection is closed after)."""
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql).fetchall()


def dump_schema(path: Path) -> str:
    """Version pragmas plus every CREATE statement, tables first, sorted by name."""
    conn = sqlite3.connect(path)
    try:
        head = [
            f"PRAGMA {name} = {conn.execute(f'PRAGMA {name}').fetchone()[0]};"
            for name in ("application_id", "user_version", "page_size", "journal_mode")
        ]
        rows = conn.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type DESC, name"
        ).fetchall()
    finally:
        conn.close()
    return "\n".join(head + [f"{r[0]};" for r in rows]) + "\n"


def test_fresh_database_matches_checked_in_schema(tmp_path: Path) -> None:
    Store(tmp_path / "db.sqlite").close()
    actual = dump_schema(tmp_path / "db.sqlite")
    if os.environ.get("LIGHTCLAW_UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(actual, encoding="utf-8")
    assert actual == SNAPSHOT.read_text(encoding="utf-8"), (
        "the store schema changed; if deliberate, add a migration and re-run with "
        "LIGHTCLAW_UPDATE_SNAPSHOTS=1"
    )


def test_fresh_database_records_versions(tmp_path: Path) -> None:
    with Store(tmp_path / "db.sqlite"):
        pass
    db = tmp_path / "db.sqlite"
    assert query(db, "PRAGMA user_version") == [(len(migrations()),)]
    assert query(db, "PRAGMA application_id") == [(APPLICATION_ID,)]
    assert query(db, "PRAGMA page_size") == [(PAGE_SIZE,)]
    assert query(db, "PRAGMA journal_mode") == [("wal",)]
    meta = dict(query(db, "SELECT key, value FROM meta"))
    assert meta == {"format_version": str(FORMAT_VERSION)}


def test_packaged_migrations_are_numbered_from_one() -> None:
    found = migrations()
    assert [m.number for m in found] == list(range(1, len(found) + 1))
    assert found[0].name == "init"


def test_reopening_is_idempotent_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    with Store(path) as store:
        store.create_run(make_run())
        store.add_episodes([rich_episode()])
    before = dump_schema(path)
    for _ in range(3):
        with Store(path) as store:
            assert store.get_episode(rich_episode().id) == rich_episode()
    assert dump_schema(path) == before


NEXT = len(migrations()) + 1
SECOND = Migration(
    NEXT,
    "labels",
    "CREATE TABLE labels (episode_id TEXT NOT NULL, label TEXT NOT NULL);\n"
    "INSERT INTO labels SELECT id, 'from-v1' FROM episodes;\n"
    "INSERT INTO meta (key, value) VALUES ('note', 'semi;colon -- not a comment');\n",
)


def test_database_at_previous_migration_is_upgraded_keeping_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "db.sqlite"
    with Store(path) as store:  # built by "the previous version": today's migrations only
        store.create_run(make_run())
        store.add_episodes([rich_episode()])
    monkeypatch.setattr(migrate, "migrations", lambda: (*migrations(), SECOND))
    with Store(path) as store:
        assert store.get_episode(rich_episode().id) == rich_episode()
    assert query(path, "PRAGMA user_version") == [(NEXT,)]
    assert query(path, "SELECT * FROM labels") == [(rich_episode().id, "from-v1")]
    note = query(path, "SELECT value FROM meta WHERE key = 'note'")
    assert note == [("semi;colon -- not a comment",)]


def test_failed_migration_rolls_back_entirely(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "db.sqlite"
    with Store(path) as store:
        store.create_run(make_run())
    broken = Migration(
        NEXT, "broken", "CREATE TABLE half (x INT);\nINSERT INTO nowhere VALUES (1);"
    )
    monkeypatch.setattr(migrate, "migrations", lambda: (*migrations(), broken))
    with pytest.raises(sqlite3.OperationalError, match="nowhere"):
        Store(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == NEXT - 1
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'half'").fetchone() is None
    conn.close()
    monkeypatch.undo()
    with Store(path) as store:
        assert store.get_run("run-1") == make_run()


def test_statements_split_only_at_statement_ends() -> None:
    script = (
        "-- header; with a semicolon\n"
        "CREATE TABLE t (x TEXT DEFAULT 'a;b');\n"
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET x = 'c;d'; END;\n"
        "-- trailing comment\n"
    )
    assert statements(script) == [
        "-- header; with a semicolon\nCREATE TABLE t (x TEXT DEFAULT 'a;b');",
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET x = 'c;d'; END;",
    ]


def test_gap_in_migration_numbers_is_a_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    class Entry:
        def __init__(self, name: str) -> None:
            self.name = name

        def read_text(self, encoding: str) -> str:
            return "SELECT 1;"

    class Folder:
        def iterdir(self) -> list[Entry]:
            return [Entry("0001_init.sql"), Entry("0003_later.sql"), Entry("__init__.py")]

    monkeypatch.setattr(migrate, "files", lambda package: Folder())
    migrate.migrations.cache_clear()
    try:
        with pytest.raises(RuntimeBug, match=r"\[1, 3\]"):
            migrate.migrations()
    finally:
        monkeypatch.undo()
        migrate.migrations.cache_clear()
    assert len(migrate.migrations()) >= 1


def test_store_at_migration_1_gains_step_judgement_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "db.sqlite"
    first = migrations()[0]
    with monkeypatch.context() as m:
        m.setattr(migrate, "migrations", lambda: (first,))
        with Store(path) as store:
            store.create_run(make_run())
    columns = {r[1] for r in query(path, "PRAGMA table_info(steps)")}
    assert "judged_correct" not in columns
    with Store(path) as store:  # today's code applies 0002 and keeps the run
        assert store.get_run(make_run().id) == make_run()
        store.add_episodes([rich_episode()])
        assert store.get_episode(rich_episode().id) == rich_episode()
    columns = {r[1] for r in query(path, "PRAGMA table_info(steps)")}
    assert {"judged_correct", "over_correction", "correction_ok"} <= columns
    assert query(path, "PRAGMA user_version") == [(len(migrations()),)]


def _format_1_episode() -> Episode:
    """A record as format 1 stored it: a failed call, then a give-up answer labelled a
    successful correction (the old definition), an episode that failed."""
    call = ToolCall(tool="book", arguments={})
    steps = [
        Step(
            index=0,
            observation=[],
            raw_output=RawOutput(text="a"),
            actions=[call],
            calls=[
                CallRecord(
                    index=0,
                    call_id="c0",
                    tool="book",
                    arguments={},
                    status="error",
                    error_type=ErrorType.WRONG_ARGS,
                )
            ],
            error_type=ErrorType.WRONG_ARGS,
            judged_correct=False,
        ),
        Step(
            index=1,
            observation=[],
            raw_output=RawOutput(text="b"),
            actions=[FinalAnswer(content="I could not complete this task.")],
            correction_of=0,
            correction_ok=True,  # format 1: ran and was not judged wrong
        ),
    ]
    return Episode(
        version=1,
        id="ep-old",
        run_id=make_run().id,
        task_id="t",
        suite="s",
        policy="p",
        seed=0,
        outcome="final_answer",
        final_answer="I could not complete this task.",
        steps=steps,
        success=False,
        reward=0.0,
        started_at=datetime(2025, 3, 1, tzinfo=UTC),
    )


def test_a_format_1_store_gets_todays_correction_labels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "db.sqlite"
    old = migrations()[:4]
    with monkeypatch.context() as m:
        m.setattr(migrate, "migrations", lambda: old)
        m.setattr(migrate, "FORMAT_VERSION", 1)
        with Store(path) as store:
            store.create_run(make_run())
    episode = _format_1_episode()
    record = episode.model_dump_json(
        exclude={"judgement": True, "steps": {"__all__": {"correction_attempted"}}}
    )
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(  # the rows format 1 wrote (schema of migration 4)
        "INSERT INTO episodes (id, run_id, task_id, suite, policy, trial, seed, outcome,"
        " stop_reason, success, reward, n_steps, n_tool_steps, n_errors, duration_ns, started_at,"
        " version, record, attempt) VALUES"
        " ('ep-old', ?, 't', 's', 'p', 0, 0, 'final_answer', NULL, 0, 0.0, 2, 1, 1, 0,"
        " '2025-03-01T00:00:00+00:00', 1, ?, 1)",
        (make_run().id, record),
    )
    conn.executemany(
        "INSERT INTO steps (episode_id, idx, error_type, n_calls, correction_of, latency_ns,"
        " judged_correct, over_correction, correction_ok) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)",
        [
            ("ep-old", 0, "wrong_args", 1, None, 0, None, None),
            ("ep-old", 1, None, 0, 0, None, None, 1),
        ],
    )
    conn.close()
    with Store(path) as store:  # applies migration 0005
        stored = store.get_episode("ep-old")
        assert stored.version == 1 and stored.judgement is None
        assert [s.correction_attempted for s in stored.steps] == [True, None]
        assert [s.correction_ok for s in stored.steps] == [None, False]  # a give-up
        assert [s.over_correction for s in stored.steps] == [None, False]
        (g,) = compute_metrics(store, [make_run().id]).groups
        counts = recount(store.iter_episodes(), {make_run().id: "deterministic"})
        assert disagreements([g], counts) == []
    assert (g.recovery_success_rate.numerator, g.recovery_success_rate.denominator) == (0, 1)
    assert (g.over_correction_rate.numerator, g.over_correction_rate.denominator) == (0, 1)
    assert (g.correction_attempt_rate.numerator, g.correction_attempt_rate.denominator) == (1, 1)
    rows = query(
        path, "SELECT correction_attempted, correction_ok, over_correction FROM steps ORDER BY idx"
    )
    assert rows == [(1, None, None), (None, 0, 0)]
