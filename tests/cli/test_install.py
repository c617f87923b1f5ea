"""A clone installs on another machine and on Python 3.11 to 3.13: pyproject.toml names no
folder of this machine, and the committed lock installs without it (only the ``train`` extra's
torch wheel may be machine-local; ``./dev`` then takes torch's CPU build from PyTorch's index)."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from new_shell import REPO, new_shell_env, uv_binary
from packaging.specifiers import SpecifierSet

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
LOCK = tomllib.loads((REPO / "uv.lock").read_text())


@pytest.mark.parametrize("version", ["3.11", "3.12", "3.13"])
def test_supported_pythons(version: str) -> None:
    assert SpecifierSet(PYPROJECT["project"]["requires-python"]).contains(f"{version}.0")
    assert SpecifierSet(LOCK["requires-python"]).contains(f"{version}.0")


def test_pyproject_names_no_folder_of_this_machine() -> None:
    uv = PYPROJECT["tool"]["uv"]
    assert "find-links" not in uv and "index" not in uv and "sources" not in uv
    assert "/opt/" not in (REPO / "pyproject.toml").read_text()


def test_only_torch_may_come_from_a_local_folder() -> None:
    local = {
        p["name"]
        for p in LOCK["package"]
        if "registry" in p["source"] and not p["source"]["registry"].startswith("https://")
    }
    assert local <= {"torch"}, local


@pytest.mark.parametrize(
    "extra", [[], ["--extra", "train", "--no-install-package", "torch"]], ids=["base", "train"]
)
def test_frozen_sync_without_the_local_wheel_folder(tmp_path: Path, extra: list[str]) -> None:
    """The lock as committed, on a machine where its torch wheel's folder does not exist:
    ``uv sync --frozen`` (what ``./dev demo`` runs) and the train extra without torch (what
    ``./dev test`` runs there before installing torch's CPU build) resolve, offline."""
    project = tmp_path / "clone"
    (project / "src" / "lightclaw").mkdir(parents=True)
    (project / "src" / "lightclaw" / "__init__.py").write_text("")
    shutil.copy(REPO / "README.md", project / "README.md")
    for name in ("pyproject.toml", "uv.lock"):  # the machine's folders, gone
        text = (REPO / name).read_text()
        for p in LOCK["package"]:
            folder = p["source"].get("registry", "https://")
            if not folder.startswith("https://"):
                text = text.replace(folder, str(tmp_path / "absent"))
        (project / name).write_text(text)
    env = new_shell_env(UV_OFFLINE="1", UV_PROJECT_ENVIRONMENT=str(tmp_path / "venv"))
    done = subprocess.run(
        [uv_binary(), "sync", "--frozen", "--dry-run", *extra],
        cwd=project, env=env, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Would install" in done.stderr and "pydantic" in done.stderr
    assert "torch" not in done.stderr
