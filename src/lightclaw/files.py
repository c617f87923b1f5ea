"""Reading a user's input file: one clear error (exit code 2) for every way it can fail."""

from __future__ import annotations

from pathlib import Path

from lightclaw.errors import UserError


def read_user_text(path: Path | str, what: str) -> str:
    """The UTF-8 text of ``path``; a :class:`UserError` naming ``what`` file and the problem."""
    file = Path(path)
    if not file.is_file():
        state = "is a directory" if file.is_dir() else "does not exist"
        raise UserError(f"{what} file {file} {state}")
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {what} file {file}: {exc}") from None
