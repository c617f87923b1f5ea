"""Exceptions grouped by who must act.

* :class:`UserError` — bad input from the user. The CLI prints its one-line message and exits 2.
* :class:`EnvironmentFailure` — the machine must be fixed (a full disk, a read-only or unwritable
  data directory, an I/O error): the same one line, exit code 1. The command can be run again once
  the environment is fixed.
* :class:`RuntimeBug` — LightClaw itself (or a test double) is misused or broken: fail loudly.

A model's bad output is never an exception: it is recorded as a step with an error type.
Exceptions here never print or log in their constructor.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from pathlib import Path


def clip(text: str, width: int = 200) -> str:
    """``text`` cut in the middle to at most ``width`` characters (a message stays readable)."""
    if len(text) <= width:
        return text
    keep = width - 1
    return f"{text[: keep - keep // 3]}…{text[len(text) - keep // 3 :]}"


class LightClawError(Exception):
    """Base of LightClaw's own exceptions."""


class UserError(LightClawError):
    """The user must fix something: the message says what, in one line."""

    exit_code = 2


class UnknownChoiceError(UserError):
    """A name (suite, persona, run id, ...) that is not one of the valid choices."""

    def __init__(self, what: str, value: str, choices: Iterable[str]) -> None:
        self.what = what
        self.value = value
        self.choices = sorted(choices)
        shown = ", ".join(self.choices[:20]) or "(none)"
        more = f" (+{len(self.choices) - 20} more)" if len(self.choices) > 20 else ""
        super().__init__(f"unknown {what} {clip(repr(value))}; valid choices: {shown}{more}")


class TaskFileError(UserError):
    """A task file that does not load: names the file, line and field."""

    def __init__(self, path: str, line: int | None, field: str | None, message: str) -> None:
        self.path = path
        self.line = line
        self.field = field
        where = path if line is None else f"{path}:{line}"
        what = f" field {field!r}:" if field else ""
        super().__init__(f"{where}:{what} {message}")


class StoreVersionError(UserError):
    """The database was written by a newer LightClaw (or is not a LightClaw database)."""


class StoreCorruptError(UserError):
    """The store file is damaged (SQLite reports a malformed page): says how to recover it."""

    def __init__(self, path: str, detail: str) -> None:
        self.path = path
        recovered = str(Path(path).with_name("recovered.db"))
        super().__init__(
            f"{path} is corrupt ({detail}). Recover what is readable "
            f'into a new file with `sqlite3 {shlex.quote(path)} ".recover" | sqlite3 '
            f"{shlex.quote(recovered)}` and use that file as the store (lightclaw.db of a new "
            "--home), or restore a backup"
        )


class EnvironmentFailure(LightClawError):
    """The environment failed (disk full, read-only or unwritable directory, I/O error): the
    message says what, in one line; the CLI exits 1. Nothing recorded is lost."""

    exit_code = 1


class RuntimeBug(LightClawError):
    """LightClaw or a test double was used wrongly: this must fail loudly, never be recorded."""


class ScriptError(RuntimeBug):
    """A scripted/replay test policy got an unexpected call or left scripted steps unused."""
