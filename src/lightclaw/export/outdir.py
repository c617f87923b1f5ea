"""Where an export is written: a temporary sibling of the target, renamed into place when done.

An export never writes into its target directory. :func:`stage` creates ``.NAME.partial-ID``
next to ``NAME`` (with a :data:`PARTIAL_MARKER` file naming the process that owns it); the
writers fill it, the manifest is written last, and :meth:`Staging.commit` renames it to ``NAME``.
A killed export therefore leaves only a hidden sibling, never a target that looks complete, and
the next export to the same target removes that leftover once its process is gone.

``--overwrite`` replaces only a LightClaw export (a directory holding ``manifest.json``, or
``data_card.json`` for exports written before manifests); any other non-empty directory is
refused, so nothing else is ever deleted.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
from dataclasses import dataclass, field
from pathlib import Path

from lightclaw.errors import UserError

MANIFEST = "manifest.json"
CARD_MARKER = "data_card.json"
PARTIAL_MARKER = ".lightclaw-partial-export"
"""Written first into a staging directory: ``{"pid", "host", "target"}``."""
EXPORT_MARKERS = (MANIFEST, CARD_MARKER)


def is_export(path: Path) -> bool:
    """A directory LightClaw wrote as an export (what ``--overwrite`` may replace)."""
    return path.is_dir() and any((path / name).is_file() for name in EXPORT_MARKERS)


def _write_error(path: Path, exc: OSError) -> UserError:
    reason = exc.strerror or str(exc)
    return UserError(f"cannot write the export to {path}: {reason}; choose another --out")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner_gone(staging: Path, *, overwrite: bool) -> bool:
    """A staging directory whose export is not running any more (so it may be removed)."""
    try:
        owner = json.loads((staging / PARTIAL_MARKER).read_text(encoding="utf-8"))
        pid, host = int(owner["pid"]), str(owner["host"])
    except (OSError, ValueError, KeyError, TypeError):
        return False  # not one of ours: leave it alone
    if host != socket.gethostname():
        return overwrite
    return pid != os.getpid() and not _alive(pid)


def leftovers(target: Path) -> list[Path]:
    """Staging and replaced siblings of ``target`` that earlier exports left behind."""
    if not target.parent.is_dir():
        return []
    prefixes = (f".{target.name}.partial-", f".{target.name}.replaced-")
    return sorted(p for p in target.parent.iterdir() if p.name.startswith(prefixes) and p.is_dir())


def clean_leftovers(target: Path, *, overwrite: bool = False) -> list[Path]:
    """Remove what interrupted exports to ``target`` left: staging directories whose process is
    gone (``overwrite``: also those of other hosts) and replaced previous exports. Returns them."""
    removed = []
    for path in leftovers(target):
        partial = path.name.startswith(f".{target.name}.partial-")
        if (partial and _owner_gone(path, overwrite=overwrite)) or (
            not partial and is_export(path)
        ):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


@dataclass
class Staging:
    """An export being written: ``path`` is the temporary sibling of ``target``."""

    target: Path
    path: Path
    overwrite: bool
    removed: list[Path] = field(default_factory=list)
    """Leftovers of interrupted exports removed before this one started."""

    def commit(self) -> Path:
        """Rename the finished export to its target (replacing a previous export)."""
        (self.path / PARTIAL_MARKER).unlink(missing_ok=True)
        old = None
        try:
            if self.target.exists():
                _check_target(self.target, overwrite=self.overwrite)
                if any(self.target.iterdir()):
                    old = self.target.with_name(
                        f".{self.target.name}.replaced-{secrets.token_hex(4)}"
                    )
                    self.target.rename(old)
                else:
                    self.target.rmdir()
            self.path.rename(self.target)
        except OSError as exc:
            raise _write_error(self.target, exc) from None
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return self.target

    def abort(self) -> None:
        """Remove the staging directory (the target is untouched)."""
        shutil.rmtree(self.path, ignore_errors=True)


def _check_target(target: Path, *, overwrite: bool) -> None:
    if target.exists() and not target.is_dir():
        raise UserError(f"output {target} exists and is not a directory")
    if target.is_dir() and any(target.iterdir()):
        if not overwrite:
            raise UserError(
                f"output directory {target} is not empty; pass --overwrite to replace it"
            )
        if not is_export(target):
            raise UserError(
                f"output directory {target} is not empty and holds no {MANIFEST} (not a "
                "LightClaw export); refusing to delete it even with --overwrite"
            )


def stage(out: Path | str, *, overwrite: bool = False) -> Staging:
    """Check the target and create its staging sibling (see the module docstring)."""
    target = Path(out).absolute()
    _check_target(target, overwrite=overwrite)
    try:
        removed = clean_leftovers(target, overwrite=overwrite)
        target.parent.mkdir(parents=True, exist_ok=True)
        path = target.with_name(f".{target.name}.partial-{os.getpid()}-{secrets.token_hex(4)}")
        path.mkdir()
    except OSError as exc:
        raise _write_error(target, exc) from None
    try:
        owner = {"pid": os.getpid(), "host": socket.gethostname(), "target": str(target)}
        (path / PARTIAL_MARKER).write_text(json.dumps(owner) + "\n", encoding="utf-8")
    except OSError as exc:
        with contextlib.suppress(OSError):
            shutil.rmtree(path)
        raise _write_error(target, exc) from None
    return Staging(target=target, path=path, overwrite=overwrite, removed=removed)
