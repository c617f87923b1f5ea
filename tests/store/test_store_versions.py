"""A database from a newer LightClaw, or not from LightClaw at all, is refused untouched."""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from store_samples import make_run, rich_episode

from lightclaw.errors import RuntimeBug, UserError
from lightclaw.schema import FORMAT_VERSION
from lightclaw.store import Store, StoreVersionError
from lightclaw.store.migrate import migrations


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stored_db(tmp_path: Path) -> Path:
    path = tmp_path / "lightclaw.db"
    with Store(path) as store:
        store.create_run(make_run())
        store.add_episodes([rich_episode()])
    return path


def tamper(path: Path, sql: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(sql)
    conn.close()


def test_newer_store_schema_is_refused_without_writing(tmp_path: Path) -> None:
    path = stored_db(tmp_path)
    tamper(path, "PRAGMA user_version = 7")
    before = sha256(path)
    with pytest.raises(StoreVersionError) as info:
        Store(path)
    assert str(info.value) == (
        f"{path} was written by a newer LightClaw (store schema 7, this version reads up to "
        f"{len(migrations())}); upgrade lightclaw"
    )
    assert isinstance(info.value, UserError) and info.value.exit_code == 2
    assert sha256(path) == before
    with pytest.raises(StoreVersionError):
        Store(path, readonly=True)
    assert sha256(path) == before


def test_newer_record_format_is_refused_without_writing(tmp_path: Path) -> None:
    path = stored_db(tmp_path)
    newer = FORMAT_VERSION + 1
    tamper(path, f"UPDATE meta SET value = '{newer}' WHERE key = 'format_version'")
    before = sha256(path)
    with pytest.raises(StoreVersionError, match=rf"record format {newer}, this version reads up"):
        Store(path)
    assert sha256(path) == before


def test_file_that_is_not_sqlite_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 200, encoding="utf-8")
    before = sha256(path)
    with pytest.raises(StoreVersionError, match="is not a LightClaw database"):
        Store(path)
    assert sha256(path) == before


def test_other_applications_sqlite_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    tamper(path, "CREATE TABLE contacts (name TEXT)")
    before = sha256(path)
    with pytest.raises(StoreVersionError, match="not a LightClaw store"):
        Store(path)
    assert sha256(path) == before
    with closing(sqlite3.connect(path)) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["contacts"]


def test_readonly_store_reads_but_never_writes(tmp_path: Path) -> None:
    path = stored_db(tmp_path)
    before = sha256(path)
    with Store(path, readonly=True) as store:
        assert store.get_episode(rich_episode().id) == rich_episode()
        assert [r.id for r in store.list_runs()] == ["run-1"]
        with pytest.raises(RuntimeBug, match="read-only"):
            store.set_run_status("run-1", "complete")
    assert sha256(path) == before


def test_readonly_store_needs_an_existing_database(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no LightClaw database"):
        Store(tmp_path / "missing.db", readonly=True)
    assert not (tmp_path / "missing.db").exists()


def test_unopenable_paths_are_user_errors(tmp_path: Path) -> None:
    (tmp_path / "a-directory").mkdir()
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    with pytest.raises(UserError, match=r"cannot open .*a-directory"):
        Store(tmp_path / "a-directory")
    with pytest.raises(UserError, match=r"cannot open .*lightclaw\.db"):
        Store(tmp_path / "a-file" / "lightclaw.db")
