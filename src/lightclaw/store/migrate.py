"""Opening a store database: version checks, pragmas and numbered migrations.

Every check that can refuse a database runs before anything is written, so a file written by a
newer LightClaw (or one that is not a LightClaw store) is never modified.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING

from lightclaw.errors import RuntimeBug, StoreVersionError, UserError
from lightclaw.schema.trajectory import FORMAT_VERSION

if TYPE_CHECKING:
    from pathlib import Path

APPLICATION_ID = 1279487095  # "LClw", set by migration 0001
BUSY_TIMEOUT_MS = 10_000
# Step rows carry ~1 KB of JSON: 16 KiB pages keep them in-page (4 KiB pages made ingest ~2.5x
# slower, measured with benchmarks/bench_store.py). Only settable before the file is created.
WAL_CHECKPOINT_PAGES = 8192
PAGE_SIZE = 16_384
_MIGRATION_NAME = re.compile(r"(\d{4})_(\w+)\.sql")
_UPGRADE = "upgrade lightclaw"


@dataclass(frozen=True)
class Migration:
    """One numbered migration file; ``PRAGMA user_version`` counts the applied ones."""

    number: int
    name: str
    sql: str


@cache
def migrations() -> tuple[Migration, ...]:
    """The packaged migrations in order; their numbers must run 1, 2, 3, ... without gaps."""
    found = []
    for entry in files("lightclaw.store.migrations").iterdir():
        match = _MIGRATION_NAME.fullmatch(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.number)
    if [m.number for m in found] != list(range(1, len(found) + 1)):
        raise RuntimeBug(f"store migrations are not numbered 1..N: {[m.number for m in found]}")
    return tuple(found)


def statements(sql: str) -> list[str]:
    """Split a migration script into complete SQL statements (comments-only pieces dropped)."""
    out: list[str] = []
    buf = ""
    for piece in sql.split(";"):
        buf += piece + ";"
        if sqlite3.complete_statement(buf):
            code = "\n".join(line for line in buf.splitlines() if not line.strip().startswith("--"))
            if code.strip(" \n\t;"):
                out.append(buf.strip())
            buf = ""
    return out


def connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    """Open ``path`` as a LightClaw store, migrating it unless ``readonly``.

    Raises StoreVersionError (nothing written) for a newer or foreign database.
    """
    if readonly and not path.exists():
        raise UserError(f"no LightClaw database at {path}")
    try:
        if readonly:
            uri = f"{path.resolve().as_uri()}?mode=ro"
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except (OSError, sqlite3.OperationalError) as exc:
        raise UserError(f"cannot open {path}: {exc}") from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        version = _check_versions(conn, path)
        known = len(migrations())
        if readonly:
            if version < known:
                raise StoreVersionError(
                    f"{path} needs an upgrade (store schema {version}, this version uses "
                    f"{known}); open it once without read-only mode"
                )
        else:
            if version == 0 and _int(conn, "SELECT count(*) FROM sqlite_master") == 0:
                conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            if _scalar(conn, "PRAGMA journal_mode") != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            if version < known:
                _migrate(conn)
            _stamp_format(conn)
        conn.execute("PRAGMA synchronous = NORMAL")
        # Checkpoint the WAL every ~128 MiB instead of every 16 MiB: each checkpoint syncs the
        # database file, and at ingest rates that sync dominated; the WAL is then cut back to
        # 64 MiB so it does not stay large.
        conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
        conn.execute(f"PRAGMA journal_size_limit = {64 * 1024 * 1024}")
    except BaseException:
        conn.close()
        raise
    return conn


def _scalar(conn: sqlite3.Connection, sql: str, params: tuple[object, ...] = ()) -> object:
    row = conn.execute(sql, params).fetchone()
    return None if row is None else row[0]


def _int(conn: sqlite3.Connection, sql: str) -> int:
    value = _scalar(conn, sql)
    if not isinstance(value, int):
        raise RuntimeBug(f"{sql!r} returned {value!r}")
    return value


def _check_versions(conn: sqlite3.Connection, path: Path) -> int:
    """Read-only checks; returns the applied migration count."""
    try:
        version = _int(conn, "PRAGMA user_version")
        app_id = _int(conn, "PRAGMA application_id")
        n_objects = _int(conn, "SELECT count(*) FROM sqlite_master")
    except sqlite3.OperationalError as exc:  # unreadable, locked, a directory, ...
        raise UserError(f"cannot open {path}: {exc}") from exc
    except sqlite3.DatabaseError as exc:  # "file is not a database"
        raise StoreVersionError(f"{path} is not a LightClaw database ({exc})") from exc
    if version == 0 and app_id == 0 and n_objects == 0:
        return 0  # a new, empty file
    if app_id != APPLICATION_ID:
        raise StoreVersionError(f"{path} is an SQLite database but not a LightClaw store")
    known = len(migrations())
    if version > known:
        raise StoreVersionError(
            f"{path} was written by a newer LightClaw (store schema {version}, this version "
            f"reads up to {known}); {_UPGRADE}"
        )
    stored = _format_version(conn)
    if stored is not None and stored > FORMAT_VERSION:
        raise StoreVersionError(
            f"{path} was written by a newer LightClaw (record format {stored}, this version "
            f"reads up to {FORMAT_VERSION}); {_UPGRADE}"
        )
    return version


def _format_version(conn: sqlite3.Connection) -> int | None:
    has_meta = _scalar(conn, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
    if not has_meta:
        return None
    value = _scalar(conn, "SELECT value FROM meta WHERE key = 'format_version'")
    return None if value is None else int(str(value))


def _migrate(conn: sqlite3.Connection) -> None:
    """Apply pending migrations, one IMMEDIATE transaction each (safe against a racing opener)."""
    for migration in migrations():
        conn.execute("BEGIN IMMEDIATE")
        try:
            applied = _int(conn, "PRAGMA user_version")
            if applied < migration.number:
                if applied != migration.number - 1:
                    raise RuntimeBug(f"store at migration {applied}, next is {migration.number}")
                for statement in statements(migration.sql):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {migration.number}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


def _stamp_format(conn: sqlite3.Connection) -> None:
    """Record the newest record format written to this database (older readers then refuse it)."""
    if (_format_version(conn) or 0) >= FORMAT_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        if (_format_version(conn) or 0) < FORMAT_VERSION:
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('format_version', ?)",
                (str(FORMAT_VERSION),),
            )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
