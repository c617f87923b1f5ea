"""Files the user names and the file system under them: one clear error for every way they fail.

A user's input file that cannot be read is a :class:`UserError` (exit code 2). A file system that
refuses a write — full, read-only, not ours to write — is an :class:`EnvironmentFailure` (exit
code 1): :func:`environment_failure` tells the two apart by ``errno``.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from lightclaw.errors import EnvironmentFailure, UserError, clip

ENVIRONMENT_ERRNOS = {
    errno.ENOSPC: "the disk is full; free some space and run the command again",
    errno.EDQUOT: "the disk quota is exceeded; free some space and run the command again",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted (read-only or immutable file?)",
    errno.EIO: "input/output error: check the disk",
    errno.EMFILE: "too many open files",
    errno.ENFILE: "too many open files in the system",
}
"""OSError numbers that mean the environment must be fixed, with what to say about each."""


def shown(path: Path | str) -> str:
    """``path`` as a message shows it: cut in the middle when it is very long."""
    return clip(str(path))


def environment_failure(exc: OSError, doing: str | None = None) -> EnvironmentFailure | None:
    """The one-line :class:`EnvironmentFailure` for an OSError the environment caused (disk full,
    read-only, permissions, I/O), or None when ``exc`` is something else (bad input or a bug)."""
    advice = ENVIRONMENT_ERRNOS.get(exc.errno or 0)
    if advice is None:
        return None
    what = doing or (shown(exc.filename) if exc.filename is not None else "I/O failed")
    failure = EnvironmentFailure(f"{what}: {advice} ({exc.strerror or exc})")
    failure.__cause__ = exc
    return failure


def unwritable_reason(path: Path) -> str | None:
    """Why ``path`` (a file, or the file to create) cannot be written, or None if it looks
    writable: a read-only file system, the file itself, or its directory."""
    folder = path.parent
    probe = path if path.exists() else folder
    try:
        read_only_fs = bool(os.statvfs(probe).f_flag & os.ST_RDONLY)
    except OSError:
        read_only_fs = False
    if read_only_fs:
        return f"{shown(probe)} is on a read-only file system"
    if path.exists() and not os.access(path, os.W_OK):
        return f"the file {shown(path)} is read-only (permissions or immutable)"
    if folder.exists() and not os.access(folder, os.W_OK | os.X_OK):
        return f"its directory {shown(folder)} is not writable (permissions or immutable)"
    return None


def read_user_text(path: Path | str, what: str) -> str:
    """The UTF-8 text of ``path``; a :class:`UserError` naming ``what`` file and the problem."""
    file = Path(path)
    try:
        is_file, is_dir = file.is_file(), file.is_dir()
    except OSError as exc:  # e.g. a name longer than the file system allows
        raise UserError(f"cannot read {what} file {shown(file)}: {exc.strerror}") from None
    if not is_file:
        state = "is a directory" if is_dir else "does not exist"
        raise UserError(f"{what} file {shown(file)} {state}")
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise UserError(f"cannot read {what} file {shown(file)}: {detail}") from None
