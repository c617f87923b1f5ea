"""Opening a store database: version checks, pragmas and numbered migrations; what its failures
mean for the user.

Every check that can refuse a database runs before anything is written, so a file written by a
newer LightClaw (or one that is not a LightClaw store) is never modified. A store that cannot be
written (a read-only file, directory or mount) is opened read-only, so reading commands still work
and a write fails with one line saying why. A damaged store is refused before the first write
(:func:`check_sound`), and any SQLite error that means corruption, a full disk or a read-only file
becomes a one-line error (:func:`store_failure`) instead of a traceback.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, NoReturn

from lightclaw.errors import (
    EnvironmentFailure,
    LightClawError,
    RuntimeBug,
    StoreCorruptError,
    StoreVersionError,
    UserError,
)
from lightclaw.files import environment_failure, shown, unwritable_reason
from lightclaw.schema.trajectory import FORMAT_VERSION

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

APPLICATION_ID = 1279487095  # "LClw", set by migration 0001
BUSY_TIMEOUT_MS = 10_000
# Step rows carry ~1 KB of JSON: 16 KiB pages keep them in-page (4 KiB pages made ingest ~2.5x
# slower, measured with benchmarks/bench_store.py). Only settable before the file is created.
WAL_CHECKPOINT_PAGES = 8192
PAGE_SIZE = 16_384
QUICK_CHECK_MAX_BYTES = 512 * 1024 * 1024
"""Stores up to this size are scanned (``PRAGMA quick_check``) before a process first writes to
them: ~0.35 s per GiB here, so at most ~0.2 s; larger stores are not scanned at all."""
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

    Raises StoreVersionError (nothing written) for a newer or foreign database. A store that
    exists but cannot be written (read-only file, directory or mount) is opened read-only even
    when ``readonly`` is false: reads work, the first write fails with an EnvironmentFailure.
    """
    try:
        exists, is_dir = path.exists(), path.is_dir()
    except OSError as exc:  # a name too long, a loop of links, ...
        raise _open_failure(path, exc) from exc
    if is_dir:
        raise UserError(f"cannot open {shown(path)}: it is a directory, not a LightClaw database")
    if readonly:
        if not exists:
            raise UserError(f"no LightClaw database at {shown(path)}")
        return _open_readonly(path, requested=True)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except (OSError, sqlite3.OperationalError) as exc:
        raise _open_failure(path, exc) from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        version = _check_versions(conn, path)
        known = len(migrations())
        empty = version == 0 and _int(conn, "SELECT count(*) FROM sqlite_master") == 0
        if empty:
            conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        if version < known or (_format_version(conn) or 0) < FORMAT_VERSION:
            if not empty:
                check_sound(conn, path)  # never migrate a damaged store
            if _scalar(conn, "PRAGMA journal_mode") != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            if version < known:
                _migrate(conn)
            _stamp_format(conn)
        elif _scalar(conn, "PRAGMA journal_mode") != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        _tune(conn)
    except sqlite3.Error as exc:
        if _is_read_only_failure(exc) and path.is_file() and unwritable_reason(path):
            conn.close()
            return _open_readonly(path, requested=False)
        _close_and_raise(conn, exc, path)
    except BaseException:
        conn.close()
        raise
    return conn


def _close_and_raise(conn: sqlite3.Connection, exc: sqlite3.Error, path: Path) -> NoReturn:
    """Close a connection that failed to open and raise what the failure means for the user."""
    conn.close()
    failure = store_failure(exc, path)
    if failure is None:
        raise exc
    raise failure from exc


def _tune(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA synchronous = NORMAL")
    # Checkpoint the WAL every ~128 MiB instead of every 16 MiB: each checkpoint syncs the
    # database file, and at ingest rates that sync dominated; the WAL is then cut back to
    # 64 MiB so it does not stay large.
    conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
    conn.execute(f"PRAGMA journal_size_limit = {64 * 1024 * 1024}")


def _open_readonly(path: Path, *, requested: bool) -> sqlite3.Connection:
    """A read-only connection. WAL mode needs a ``-shm`` file next to the store: where none can
    be created (a read-only directory or mount), the file is opened ``immutable`` — unless a
    write-ahead log is there, whose content could not be seen that way."""
    reason = None if requested else unwritable_reason(path)
    uri = path.resolve().as_uri()
    conn = sqlite3.connect(
        f"{uri}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        try:
            version = _check_versions(conn, path)
        except sqlite3.OperationalError as exc:
            reason = reason or unwritable_reason(path)
            if not _is_read_only_failure(exc) or reason is None:
                raise _open_failure(path, exc) from exc
            wal = path.with_name(path.name + "-wal")
            if wal.exists() and wal.stat().st_size > 0:
                raise EnvironmentFailure(
                    f"cannot read {shown(path)}: {reason}, and its write-ahead log {wal.name} "
                    "holds changes that only a writable copy can apply; copy the folder to a "
                    "writable place and use that as --home"
                ) from exc
            conn.close()
            conn = sqlite3.connect(
                f"{uri}?immutable=1", uri=True, isolation_level=None, check_same_thread=False
            )
            version = _check_versions(conn, path)
        known = len(migrations())
        if version < known:
            if reason is not None:
                raise EnvironmentFailure(
                    f"{shown(path)} needs an upgrade (store schema {version}, this version uses "
                    f"{known}) but cannot be written: {reason}"
                )
            raise StoreVersionError(
                f"{shown(path)} needs an upgrade (store schema {version}, this version uses "
                f"{known}); open it once without read-only mode"
            )
        _tune(conn)
    except sqlite3.Error as exc:
        _close_and_raise(conn, exc, path)
    except BaseException:
        conn.close()
        raise
    return conn


def _is_read_only_failure(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    return code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM)


def _open_failure(path: Path, exc: OSError | sqlite3.Error) -> LightClawError:
    """The error for a store that could not be opened: the environment's fault (exit 1) when the
    file system refused, else the user's (a path that names a file as a folder, ...)."""
    if isinstance(exc, OSError):
        failure = environment_failure(exc, f"cannot open {shown(path)}")
        return failure or UserError(f"cannot open {shown(path)}: {exc.strerror or exc}")
    translated = store_failure(exc, path)
    if translated is not None:
        return translated
    return UserError(f"cannot open {shown(path)}: {exc}")


@contextmanager
def translated_errors(path: Path, then: str | None = None) -> Iterator[None]:
    """SQLite errors on the store at ``path`` that are not LightClaw's fault (a damaged file, a
    full disk, a read-only file) become the one-line errors :func:`store_failure` names;
    constraint errors and bugs propagate as they are."""
    try:
        yield
    except sqlite3.IntegrityError:
        raise
    except sqlite3.Error as exc:
        failure = store_failure(exc, path, then)
        if failure is None:
            raise
        raise failure from exc


def store_failure(exc: sqlite3.Error, path: Path, then: str | None = None) -> LightClawError | None:
    """What an SQLite error on the store at ``path`` means for the user, or None when it means a
    bug in LightClaw (which must then fail loudly): a damaged file (:class:`StoreCorruptError`,
    exit 2), a full disk, a read-only or locked file or an I/O error (:class:`EnvironmentFailure`,
    exit 1; ``then`` says what to do once the environment is fixed)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if not isinstance(code, int):
        return None
    primary = code & 0xFF
    where = shown(path)
    then = then or "run the command again"
    if primary in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return StoreCorruptError(where, str(exc))
    if primary == sqlite3.SQLITE_FULL:
        return EnvironmentFailure(
            f"cannot write to {where}: the disk is full ({exc}); what was stored before is "
            f"kept: free some space, then {then}"
        )
    if primary in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_CANTOPEN):
        reason = unwritable_reason(path)
        if reason is None and primary == sqlite3.SQLITE_CANTOPEN:
            return EnvironmentFailure(f"cannot open {where} ({exc})")
        reason = reason or "the file or its directory is read-only"
        return EnvironmentFailure(f"cannot write to {where}: {reason} ({exc})")
    if primary == sqlite3.SQLITE_IOERR:
        return EnvironmentFailure(f"I/O error on {where} ({exc}); check the disk, then {then}")
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return EnvironmentFailure(
            f"{where} stayed locked by another process for {BUSY_TIMEOUT_MS // 1000} s ({exc}); "
            f"when it is done, {then}"
        )
    return None


def check_sound(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse to write into a damaged store: ``PRAGMA quick_check`` (every page's structure, not
    the index contents) when the store is at most :data:`QUICK_CHECK_MAX_BYTES`; a bigger store is
    not scanned (reading it is O(size)); its damaged pages are reported when a query meets them."""
    try:
        size = _int(conn, "PRAGMA page_count") * _int(conn, "PRAGMA page_size")
        if size > QUICK_CHECK_MAX_BYTES:
            return
        rows = conn.execute("PRAGMA quick_check(1)").fetchall()
    except sqlite3.DatabaseError as exc:
        failure = store_failure(exc, path)
        if failure is None:
            raise
        raise failure from exc
    if rows != [("ok",)]:
        lines = [line for row in rows for line in str(row[0]).splitlines()]
        problem = next((line for line in lines if not line.startswith("***")), "no verdict")
        raise StoreCorruptError(shown(path), f"quick_check: {problem}")


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
    except sqlite3.OperationalError:  # unreadable, read-only, locked: the caller decides
        raise
    except sqlite3.DatabaseError as exc:  # "file is not a database", "malformed"
        if getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_CORRUPT:
            raise StoreCorruptError(shown(path), str(exc)) from exc
        raise StoreVersionError(f"{shown(path)} is not a LightClaw database ({exc})") from exc
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
