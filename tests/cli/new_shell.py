"""A new shell for the tests that run printed commands: the environment a user's fresh terminal
has after ``./dev demo`` (PATH without the project's environment, no ``uv run`` variables, no
``LIGHTCLAW_HOME``), and the uv that ``./dev`` uses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = Path(sysconfig.get_path("scripts")).resolve()
# what a login shell keeps; uv's own settings stay (a user sets them in their profile)
_KEPT = ("HOME", "LANG", "LC_ALL", "TMPDIR", "PYENV_ROOT", "XDG_CACHE_HOME", "UV_CACHE_DIR",
         "UV_PROJECT_ENVIRONMENT")  # fmt: skip


def new_shell_path(*, without: tuple[str, ...] = ()) -> str:
    """PATH without this environment's script folder (and without folders holding ``without``)."""
    kept = []
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        if not entry or Path(entry).resolve() == SCRIPTS:
            continue
        if any((Path(entry) / name).exists() for name in without):
            continue
        kept.append(entry)
    return os.pathsep.join(kept)


def new_shell_env(path: str | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k in _KEPT if (v := os.environ.get(k))}
    return {**env, "PATH": new_shell_path() if path is None else path, **extra}


def uv_binary() -> str:
    """The uv executable: the one running the tests (``uv run`` sets ``UV``), else uv on PATH,
    else the one ``python3 -m uv`` runs (what ``./dev`` installs with pip)."""
    found = os.environ.get("UV") or shutil.which("uv", path=new_shell_path())
    if found:
        return str(Path(found).resolve())
    python = shutil.which("python3", path=new_shell_path())
    if python is not None:
        done = subprocess.run(
            [python, "-c", "import uv; print(uv.find_uv_bin())"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode == 0:
            return done.stdout.strip()
    pytest.fail("no uv: ./dev installs it with `python3 -m pip install uv`")


def run_as_printed(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run one printed command line in bash from the repository root."""
    bash = shutil.which("bash") or "/bin/bash"
    return subprocess.run(
        [bash, "-c", command], cwd=REPO, env=env, capture_output=True, text=True,
        check=False, timeout=300,
    )  # fmt: skip
