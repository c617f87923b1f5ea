"""Every command LightClaw prints runs as printed, in a new shell, from the repository root.

``./dev demo`` runs ``uv run lightclaw demo``: ``lightclaw`` is on PATH only inside that
command, so the "next:" lines and the failure analysis's replay commands must name a launcher
that a fresh terminal has (``uv run lightclaw``, or the console script's path without uv) and the
data directory when it is not the default one.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from new_shell import REPO, SCRIPTS, new_shell_env, new_shell_path, run_as_printed, uv_binary

from lightclaw.cli.render import command, launcher

REPLAY = re.compile(r"^ {4}(\S.* replay ep_\w+)$")


def demo_output(home: Path, path: str) -> str:
    """``./dev demo``'s last step, ``uv run --frozen lightclaw demo``, from the repository root
    with LIGHTCLAW_HOME set inline (a new shell will not have it)."""
    done = subprocess.run(
        [uv_binary(), "run", "--frozen", "lightclaw", "demo"],
        cwd=REPO, env=new_shell_env(path, LIGHTCLAW_HOME=str(home)),
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def printed_commands(output: str) -> tuple[list[str], list[str]]:
    """The demo's "next:" commands (its last lines) and the failure analysis's replays."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("next:"))
    following = [line.strip() for line in lines[start + 1 :] if line.startswith(" ")]
    nexts = [lines[start].removeprefix("next:").strip(), *following]
    replays = [m.group(1) for line in lines if (m := REPLAY.match(line))]
    return nexts, replays


@pytest.mark.slow
@pytest.mark.parametrize("uv_on_path", [True, False], ids=["uv-on-path", "no-uv-on-path"])
def test_demo_commands_run_as_printed_in_a_new_shell(tmp_path: Path, uv_on_path: bool) -> None:
    path = new_shell_path() if uv_on_path else new_shell_path(without=("uv", "lightclaw"))
    output = demo_output(tmp_path / "home", path)
    nexts, replays = printed_commands(output)
    assert len(nexts) == 3 and "runs show" in nexts[0] and "replay" in nexts[1], nexts
    assert " eval " in nexts[2]  # the recruiting dry-run's report
    assert len(replays) >= 5, output[-3000:]
    expected = expected_launcher(path, uv_on_path)
    home = f"--home {shlex.quote(str(tmp_path / 'home'))} "
    for line in (*nexts, *replays):
        assert line.startswith(f"{expected} {home}"), line
    shell = new_shell_env(path)  # no LIGHTCLAW_HOME, no uv-run variables
    for line in dict.fromkeys((*nexts, *replays)):
        done = run_as_printed(line, shell)
        assert done.returncode == 0, (line, done.stdout[-1000:], done.stderr[-1000:])
        if " replay " in line:
            assert "replay identical" in done.stdout, (line, done.stdout[-1000:])
        elif " eval " in line:
            assert "Recruiting" in done.stdout or "recruiting" in done.stdout, done.stdout[-1000:]
        else:
            assert "scripted:stubborn" in done.stdout and line.split()[-1] in done.stdout


@pytest.mark.slow
def test_collect_next_command_runs_as_printed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    path = new_shell_path()
    done = subprocess.run(
        [uv_binary(), "run", "--frozen", "lightclaw", "collect", "--policy", "scripted:sloppy"],
        cwd=REPO, env=new_shell_env(path, LIGHTCLAW_HOME=str(home)),
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    (line,) = [x.removeprefix("next:").strip() for x in done.stdout.splitlines() if "next:" in x]
    assert line.startswith(f"{expected_launcher(path, True)} --home {shlex.quote(str(home))} eval ")
    evaluated = run_as_printed(line, new_shell_env(path))
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    assert "failure analysis" in evaluated.stdout and (home / "reports").is_dir()


def expected_launcher(path: str, uv_on_path: bool) -> str:
    """What a new shell with ``path`` runs (see :func:`launcher`)."""
    if shutil.which("lightclaw", path=path):  # e.g. installed with `uv tool install`
        return "lightclaw"
    if uv_on_path:
        return "uv run lightclaw"
    script = SCRIPTS / "lightclaw"
    return str(script.relative_to(REPO) if script.is_relative_to(REPO) else script)


def test_launcher_under_uv_run_names_uv_when_a_new_shell_has_it(tmp_path: Path) -> None:
    scripts, root = fake_project(tmp_path)
    bin_dir = executables(tmp_path / "bin", "uv")
    env = uv_run_env(scripts, bin_dir)
    assert launcher(env, scripts, cwd=root) == ["uv", "run", "lightclaw"]
    assert launcher(env, scripts, cwd=root / "sub") == ["uv", "run", "lightclaw"]
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    assert launcher(env, scripts, cwd=outside) == [
        "uv", "run", "--project", str(root.resolve()), "lightclaw",
    ]  # fmt: skip


def test_launcher_without_uv_on_path_names_the_console_script(tmp_path: Path) -> None:
    scripts, root = fake_project(tmp_path)
    env = uv_run_env(scripts, executables(tmp_path / "bin", "python3"))
    assert launcher(env, scripts, cwd=root) == [".venv/bin/lightclaw"]
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    assert launcher(env, scripts, cwd=outside) == [str((scripts / "lightclaw").resolve())]


def test_launcher_is_bare_when_lightclaw_is_on_the_path_of_a_new_shell(tmp_path: Path) -> None:
    scripts, root = fake_project(tmp_path)
    installed = executables(tmp_path / "bin", "lightclaw", "uv")
    # an activated or pip-installed environment: its PATH is the user's own
    assert launcher({"PATH": str(scripts)}, scripts, cwd=root) == ["lightclaw"]
    # under `uv run`, lightclaw elsewhere on PATH (e.g. `uv tool install`) is what a shell runs
    env = uv_run_env(scripts, installed)
    assert launcher(env, scripts, cwd=root) == ["lightclaw"]


def test_command_names_a_data_directory_that_a_new_shell_would_not_know(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LIGHTCLAW_HOME", raising=False)
    prefix = shlex.join(launcher())
    assert command("replay", "ep_1") == f"{prefix} replay ep_1"
    monkeypatch.setenv("LIGHTCLAW_HOME", "data")  # relative: the printed command runs from here
    assert command("replay", "ep_1") == f"{prefix} --home data replay ep_1"
    monkeypatch.setenv("LIGHTCLAW_HOME", str(tmp_path / "my data"))
    words = shlex.split(command("runs", "show", "run_1"))
    assert words[-5:] == ["--home", str(tmp_path / "my data"), "runs", "show", "run_1"]


def test_the_running_environment_is_a_project_environment() -> None:
    """The fake projects above mirror this checkout: ROOT/.venv/bin holds the console script."""
    assert (SCRIPTS / "lightclaw").is_file()
    assert (SCRIPTS.parent.parent / "pyproject.toml").is_file()


def fake_project(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "project"
    (root / "sub").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    scripts = executables(root / ".venv" / "bin", "lightclaw", "python")
    return scripts, root


def executables(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_text("#!/bin/sh\n")
        (folder / name).chmod(0o755)
    return folder


def uv_run_env(scripts: Path, *path: Path) -> dict[str, str]:
    """What ``uv run`` gives the command it starts: its environment first on PATH."""
    return {
        "PATH": ":".join(str(p) for p in (scripts, *path)),
        "UV": "/somewhere/uv",
        "UV_RUN_RECURSION_DEPTH": "1",
        "VIRTUAL_ENV": str(scripts.parent),
    }
