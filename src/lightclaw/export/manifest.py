"""``manifest.json``: the last file an export writes, and what readers check first.

It lists every file of the export with its size, sha256 and (for data files) its row count and
format. An export directory without a complete manifest is an interrupted export (or not an
export at all): :func:`read_manifest` refuses it with one line, so nothing reads a prefix of the
rows as if it were the whole export. :func:`changed_files` says which files differ from what was
written (edited or truncated afterwards).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lightclaw import __version__
from lightclaw.errors import UserError
from lightclaw.export.outdir import MANIFEST, PARTIAL_MARKER
from lightclaw.export.writers import FileReport

MANIFEST_VERSION = 1
_CHUNK = 1 << 20


class ManifestFile(BaseModel):
    """One file of an export."""

    model_config = ConfigDict(extra="forbid")

    path: str
    """Relative to the export directory, ``/``-separated."""
    bytes: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    rows: int | None = Field(default=None, ge=0)
    """Rows of a data file (None for the card, README and dataset_info.json)."""
    format: str | None = None
    config: str | None = None
    split: str | None = None
    file_type: str | None = None


class ExportManifest(BaseModel):
    """The content of ``manifest.json``."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["lightclaw-export"] = "lightclaw-export"
    version: int = MANIFEST_VERSION
    complete: Literal[True] = True
    created: datetime
    lightclaw: str
    files: list[ManifestFile]

    def data_files(self) -> list[ManifestFile]:
        return [f for f in self.files if f.rows is not None]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _entry(root: Path, path: Path, report: FileReport | None) -> ManifestFile:
    rel = path.relative_to(root).as_posix()
    if report is None:
        return ManifestFile(path=rel, bytes=path.stat().st_size, sha256=sha256_of(path))
    return ManifestFile(
        path=rel,
        bytes=path.stat().st_size,
        sha256=sha256_of(path),
        rows=report.rows,
        format=report.format,
        config=report.config,
        split=report.split,
        file_type=report.file_type,
    )


def write_manifest(root: Path, reports: Iterable[FileReport]) -> ExportManifest:
    """Hash every file under ``root`` and write ``manifest.json`` (call it last)."""
    by_path = {r.path: r for r in reports}
    files = sorted(
        p for p in root.rglob("*") if p.is_file() and p.name not in (MANIFEST, PARTIAL_MARKER)
    )
    manifest = ExportManifest(
        created=datetime.now(UTC),
        lightclaw=__version__,
        files=[_entry(root, p, by_path.get(p.relative_to(root).as_posix())) for p in files],
    )
    tmp = root / f".{MANIFEST}.tmp"
    tmp.write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
    tmp.replace(root / MANIFEST)
    return manifest


def read_manifest(root: Path) -> ExportManifest:
    """The export's manifest; a :class:`UserError` (one line) when it is missing or incomplete,
    or when a file it lists is gone."""
    path = root / MANIFEST
    if not root.exists():
        raise UserError(f"export directory {root} does not exist")
    if not root.is_dir():
        raise UserError(f"{root} is not a directory (train-check reads an export directory)")
    hint = "an interrupted export, or not a LightClaw export; run lightclaw export again"
    if not path.is_file():
        raise UserError(f"{root} is not a complete LightClaw export: no {MANIFEST} ({hint})")
    try:
        manifest = ExportManifest.model_validate_json(path.read_bytes())
    except (OSError, ValidationError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserError(f"{path}: not a complete export manifest ({first}; {hint})") from None
    missing = [f.path for f in manifest.files if not (root / f.path).is_file()]
    if missing:
        raise UserError(
            f"{root} is not a complete LightClaw export: {len(missing)} file(s) of its "
            f"{MANIFEST} are missing (first: {missing[0]})"
        )
    return manifest


def changed_files(root: Path, manifest: ExportManifest) -> dict[str, str]:
    """``{path: what changed}`` for files that differ from what the export wrote."""
    out = {}
    for f in manifest.files:
        path = root / f.path
        size = path.stat().st_size
        if size != f.bytes:
            out[f.path] = f"changed since export ({size} bytes, manifest says {f.bytes})"
        elif sha256_of(path) != f.sha256:
            out[f.path] = "changed since export (sha256 differs from the manifest)"
    return out
