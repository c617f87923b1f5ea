"""Runs and episodes come back equal to what was stored, and their columns are queryable."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from store_samples import make_run, rich_episode, small_episode

from lightclaw.errors import UnknownChoiceError, UserError
from lightclaw.schema import FORMAT_VERSION
from lightclaw.store import RunSummary, Store, default_db_path


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "lightclaw.db") as s:
        s.create_run(make_run())
        yield s


def query(path: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Plain SQL on the store file, as the metrics code will run it."""
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql, params).fetchall()


def test_rich_episode_round_trips_exactly(store: Store) -> None:
    episode = rich_episode()
    kinds = {a.kind for step in episode.steps for a in step.actions}
    assert kinds == {
        "tool_call",
        "ask_user",
        "final_answer",
        "gui_click",
        "gui_grounding",
        "self_correction",
    }
    store.add_episodes([episode])
    back = store.get_episode(episode.id)
    assert back == episode
    assert back.steps[0].calls[1].arg_issues[0].input == "12"
    assert back.steps[0].observation[1].content == "Réserve un vol pour Zürich → 東京 🚀"  # type: ignore[union-attr]
    assert back.started_at == episode.started_at
    assert list(store.iter_episodes()) == [episode]


def test_run_round_trips_with_tool_schemas_in_order(store: Store) -> None:
    run = make_run("run-2", created=datetime(2025, 1, 1, 12, tzinfo=timezone(timedelta(hours=-5))))
    store.create_run(run)
    assert store.get_run("run-2") == run
    assert [s.name for s in store.get_run("run-2").tool_schemas] == ["search_flights", "book"]
    store.set_run_status("run-2", "incomplete")
    assert store.get_run("run-2") == run.model_copy(update={"status": "incomplete"})


def test_creating_an_existing_run_is_a_user_error(store: Store) -> None:
    with pytest.raises(UserError, match="run 'run-1' already exists"):
        store.create_run(make_run())


def test_columns_hold_what_metrics_query(store: Store) -> None:
    store.add_episodes([rich_episode(n=0), rich_episode(n=1)])
    row = query(
        store.path,
        "SELECT run_id, task_id, trial, seed, outcome, stop_reason, success, reward, n_steps,"
        " n_tool_steps, n_errors, duration_ns, started_at, version FROM episodes ORDER BY id",
    )
    assert row == [
        (
            "run-1",
            "task-00000",
            0,
            1000,
            "final_answer",
            "task_completed",
            1,
            0.75,
            7,
            2,
            3,
            123_456_789,
            "2025-03-01T08:00:00+00:00",
            FORMAT_VERSION,
        ),
        (
            "run-1",
            "task-00001",
            0,
            1001,
            "final_answer",
            "task_completed",
            0,
            None,
            7,
            2,
            3,
            123_456_789,
            "2025-03-01T08:00:01+00:00",
            FORMAT_VERSION,
        ),
    ]
    steps = query(
        store.path,
        "SELECT idx, error_type, n_calls, correction_of, latency_ns FROM steps"
        " WHERE episode_id = ? ORDER BY idx",
        (rich_episode().id,),
    )
    assert steps == [
        (0, "wrong_args", 2, None, 5_001_500),
        (1, None, 1, 0, 1000),
        (2, None, 0, None, 0),
        (3, "gui_miss", 0, None, 0),
        (4, None, 0, None, 0),
        (5, "invalid_format", 0, None, 0),
        (6, None, 0, None, 0),
    ]
    calls = query(
        store.path,
        "SELECT step_idx, idx, tool, status, error_type, latency_ns FROM calls"
        " WHERE episode_id = ? ORDER BY step_idx, idx",
        (rich_episode().id,),
    )
    assert calls == [
        (0, 0, "search_flights", "ok", None, 1200),
        (0, 1, "book", "error", "wrong_args", 300),
        (1, 0, "book", "ok", None, 900),
    ]
    # the JSON records are SQL-queryable too
    outputs = query(
        store.path,
        "SELECT json_extract(record, '$.steps[1].calls[0].output') FROM episodes WHERE id = ?",
        (rich_episode().id,),
    )
    assert outputs == [("booked ✓",)]


def test_list_runs_newest_first_with_counts(store: Store) -> None:
    store.create_run(make_run("old", created=datetime(2020, 1, 1, tzinfo=UTC)))
    # 2025-03-01T12:00+05:00 is 07:00 UTC: older than run-1 (09:30 UTC) despite its later clock
    store.create_run(
        make_run("east", created=datetime(2025, 3, 1, 12, tzinfo=timezone(timedelta(hours=5))))
    )
    store.add_episodes([rich_episode(n=0), rich_episode(n=1), small_episode("old", 1)])
    runs = store.list_runs()
    assert [(r.id, r.episodes, r.steps) for r in runs] == [
        ("run-1", 2, 14),
        ("east", 0, 0),
        ("old", 1, 2),
    ]
    assert runs[0] == RunSummary(
        id="run-1",
        created=datetime(2025, 3, 1, 9, 30, tzinfo=UTC),
        source="deterministic",
        suite="tools-basic",
        policy="scripted",
        status="running",
        episodes=2,
        steps=14,
    )
    assert [r.id for r in store.list_runs(limit=2)] == ["run-1", "east"]


def test_add_episodes_is_all_or_nothing(store: Store) -> None:
    store.add_episodes([rich_episode(n=0)])
    batch = [rich_episode(n=1), rich_episode(n=2), rich_episode(n=3, task_id="task-00000")]
    with pytest.raises(
        UserError, match=r"episode 'run-1-ep-00003' \(run 'run-1', task 'task-00000'"
    ):
        store.add_episodes(batch)
    assert store.count_episodes() == 1
    with pytest.raises(UserError, match="run-1-ep-00005"):
        store.add_episodes([rich_episode(n=5), rich_episode(n=5)])
    assert store.count_episodes() == 1
    assert query(store.path, "SELECT count(*) FROM steps") == [(7,)]
    assert query(store.path, "SELECT count(*) FROM calls") == [(3,)]


def test_episode_of_unknown_run_is_refused(store: Store) -> None:
    with pytest.raises(UnknownChoiceError, match="unknown run 'nope'; valid choices: run-1"):
        store.add_episodes([rich_episode(n=0), rich_episode("nope", 1)])
    assert store.count_episodes() == 0


def test_unknown_ids_list_the_choices(store: Store) -> None:
    store.create_run(make_run("run-0", created=datetime(2020, 1, 1, tzinfo=UTC)))
    store.add_episodes([rich_episode(n=0), rich_episode(n=1)])
    with pytest.raises(UnknownChoiceError) as run_error:
        store.get_run("run-9")
    assert run_error.value.choices == ["run-0", "run-1"]
    assert "unknown run 'run-9'" in str(run_error.value)
    with pytest.raises(UnknownChoiceError) as ep_error:
        store.get_episode("ep-404")
    assert ep_error.value.choices == ["run-1-ep-00000", "run-1-ep-00001"]
    with pytest.raises(UnknownChoiceError, match="unknown run 'run-9'"):
        store.set_run_status("run-9", "complete")


def test_episode_keys_and_counts_per_run(store: Store) -> None:
    store.create_run(make_run("run-2"))
    store.add_episodes([rich_episode(n=0), rich_episode(n=1, trial=2), small_episode("run-2", 7)])
    assert store.episode_keys("run-1") == {
        ("task-00000", "scripted", 0),
        ("task-00001", "scripted", 2),
    }
    assert store.episode_keys("run-2") == {("task-000007", "scripted", 0)}
    assert store.episode_keys("run-3") == set()
    assert (
        store.count_episodes(),
        store.count_episodes("run-1"),
        store.count_episodes("run-3"),
    ) == (3, 2, 0)


def test_default_path_follows_lightclaw_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LIGHTCLAW_HOME", raising=False)
    assert default_db_path() == Path("lightclaw-data") / "lightclaw.db"
    monkeypatch.chdir(tmp_path)
    with Store() as store:
        assert store.path == tmp_path / "lightclaw-data" / "lightclaw.db"
    assert (tmp_path / "lightclaw-data" / "lightclaw.db").is_file()
    monkeypatch.setenv("LIGHTCLAW_HOME", str(tmp_path / "home" / "deep"))
    assert default_db_path() == tmp_path / "home" / "deep" / "lightclaw.db"
    with Store() as store:
        store.create_run(make_run())
    with Store(tmp_path / "home" / "deep" / "lightclaw.db") as store:
        assert store.get_run("run-1") == make_run()
