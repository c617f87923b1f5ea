"""An export is complete or absent: written into a staging sibling, renamed when done, its
manifest written last; an interrupted one never looks complete and is cleaned up later."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lightclaw.cli.main import main
from lightclaw.errors import UserError
from lightclaw.export.formats import STALL_ENV, run_export
from lightclaw.export.manifest import changed_files, read_manifest
from lightclaw.export.outdir import PARTIAL_MARKER, leftovers
from lightclaw.export.pool import Selection
from lightclaw.store import Store


def _export(out: Path, *extra: str, stall: Path | None = None) -> subprocess.Popen[str]:
    env = dict(os.environ)
    if stall is not None:
        env[STALL_ENV] = f"40:{stall}"
    argv = [sys.executable, "-m", "lightclaw.cli.main", "export", "--out", str(out),
            "--no-token-lengths", *extra]  # fmt: skip
    return subprocess.Popen(
        argv, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def _kill_mid_export(out: Path, *extra: str) -> None:
    """Start ``lightclaw export``, wait until it has written 40 episodes' rows, SIGKILL it."""
    flag = out.parent / "stalled"
    flag.unlink(missing_ok=True)
    proc = _export(out, *extra, stall=flag)
    deadline = time.monotonic() + 120
    while not flag.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the export never reached the stall point"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL


def test_a_killed_export_leaves_no_export_and_the_next_one_cleans_up(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "data"
    _kill_mid_export(out)
    assert not out.exists()  # the target never looks like an export
    (partial,) = leftovers(out)
    assert (partial / PARTIAL_MARKER).is_file() and (partial / "sft" / "train.jsonl").exists()
    assert not (partial / "manifest.json").exists()
    # nothing reads the partial rows as an export: one line, exit 2
    assert main(["train-check", str(partial)]) == 2
    err = capsys.readouterr().err
    assert "not a complete LightClaw export: no manifest.json" in err and err.count("\n") == 1
    # the next export to the same target finishes and removes the leftover
    assert main(["export", "--out", str(out), "--no-token-lengths"]) == 0
    assert leftovers(out) == [] and not partial.exists()
    manifest = read_manifest(out)
    assert changed_files(out, manifest) == {}
    for f in manifest.data_files():
        assert f.rows == sum(1 for line in (out / f.path).read_bytes().splitlines() if line) or (
            f.file_type != "jsonl"
        )


def test_a_killed_overwrite_keeps_the_previous_export_whole(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "data"
    assert main(["export", "--out", str(out), "--formats", "sft", "--no-token-lengths"]) == 0
    before = read_manifest(out)
    _kill_mid_export(out, "--overwrite")
    assert read_manifest(out) == before and changed_files(out, before) == {}
    assert len(leftovers(out)) == 1
    assert main(["export", "--out", str(out), "--overwrite", "--no-token-lengths"]) == 0
    assert leftovers(out) == []
    after = read_manifest(out)
    assert {f.path for f in after.data_files()} > {f.path for f in before.data_files()}


def test_overwrite_never_deletes_what_is_not_an_export(home: Path, tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("x")
    for extra in ([], ["--overwrite"]):
        assert main(["export", "--out", str(mine), "--no-token-lengths", *extra]) == 2
    assert (mine / "thesis.tex").read_text() == "x" and sorted(mine.iterdir()) == [
        mine / "thesis.tex"
    ]
    assert leftovers(mine) == []
    # an export from before manifests (it holds data_card.json) may be replaced
    old = tmp_path / "old"
    (old / "sft").mkdir(parents=True)
    (old / "data_card.json").write_text("{}")
    assert main(["export", "--out", str(old), "--overwrite", "--no-token-lengths"]) == 0
    assert read_manifest(old).files


def test_a_staging_directory_of_a_running_export_is_left_alone(
    demo_store: Store, tmp_path: Path
) -> None:
    out = tmp_path / "data"
    alive = tmp_path / ".data.partial-live"
    alive.mkdir()
    owner = {"pid": os.getpid(), "host": os.uname().nodename, "target": str(out)}
    (alive / PARTIAL_MARKER).write_text(json.dumps(owner))
    stranger = tmp_path / ".data.partial-stranger"  # no marker: not one of ours
    stranger.mkdir()
    run_export(demo_store, Selection(policy="scripted:oracle"), out, ["sft"], token_lengths=False)
    assert alive.is_dir() and stranger.is_dir()


def test_empty_selection_and_write_failures_leave_nothing_behind(
    demo_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "sub" / "data"
    with pytest.raises(UserError, match="nothing to export"):
        run_export(demo_store, Selection(min_reward=5), out, ["sft"], token_lengths=False)
    assert not out.exists() and leftovers(out) == []  # bad input F02: no empty directory

    def read_only(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(Path, "mkdir", read_only)  # bad input F13: a read-only mount
    with pytest.raises(UserError, match=r"cannot write the export to .*Read-only file system"):
        run_export(demo_store, Selection(), out, ["sft"], token_lengths=False)
    monkeypatch.undo()

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("lightclaw.export.formats.write_manifest", disk_full)
    with pytest.raises(UserError, match="No space left on device; nothing was written"):
        run_export(demo_store, Selection(), out, ["sft"], token_lengths=False)
    assert not out.exists() and leftovers(out) == []


def test_read_only_output_is_one_line_on_the_cli(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    mount = tmp_path / "ro"
    real_mkdir = Path.mkdir

    def mkdir(self: Path, *args: object, **kwargs: object) -> None:
        if self.is_relative_to(mount):
            raise OSError(errno.EROFS, "Read-only file system")
        real_mkdir(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "mkdir", mkdir)
    assert main(["export", "--out", str(mount / "x"), "--no-token-lengths"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lightclaw: error: cannot write the export") and err.count("\n") == 1
    assert "Traceback" not in err
