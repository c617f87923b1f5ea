"""Terminal output helpers shared by the commands: the console, tables that keep to the
terminal's width, and the command lines LightClaw prints for a user to run next."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import sysconfig
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.table import Table

from lightclaw.rollouts.summary import PolicySummary, summarize
from lightclaw.schema import ErrorType

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from lightclaw.store import Store


@cache
def console() -> Console:
    """stdout console: the terminal's width, or ``$COLUMNS`` when set; piped without ``$COLUMNS``,
    200 columns, so that a wide table is never cut in a file.

    The tables of this module's callers keep ids and numbers whole at 80 columns (narrow columns
    wrap, wide tables stack or leave a column out), so ``COLUMNS=80`` output is readable too."""
    piped = not sys.stdout.isatty() and not os.environ.get("COLUMNS", "").isdigit()
    return Console(highlight=False, width=200 if piped else None)


def table(title: str | None = None) -> Table:
    """A compact table: a rule under the header, no side borders, two spaces between columns."""
    return Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )


def fits(renderable: Table, out: Console) -> bool:
    """Whether the table renders at its natural width without wrapping any cell."""
    natural = out.measure(renderable, options=out.options.update(max_width=10_000))
    return natural.maximum <= out.width


def command(*args: str) -> str:
    """A LightClaw command line that works as printed in a new shell, from the current directory.

    It starts with :func:`launcher` and names the data directory (``--home``) when one was
    given (``--home`` sets ``$LIGHTCLAW_HOME``), since a new shell has neither ``uv run``'s PATH
    nor an inline ``LIGHTCLAW_HOME``.
    """
    words = launcher()
    home = os.environ.get("LIGHTCLAW_HOME")
    if home:
        words += ["--home", home]
    return shlex.join([*words, *args])


def launcher(
    env: Mapping[str, str] | None = None, scripts: Path | None = None, cwd: Path | None = None
) -> list[str]:
    """How a user starts this LightClaw from ``cwd`` in a new shell.

    * ``lightclaw`` when it is on the PATH that a new shell has: every case except ``uv run``,
      which puts the project's environment first on PATH only for the command it runs;
    * ``uv run lightclaw`` when started by ``uv run`` (``./dev demo`` does) and ``uv`` is on PATH,
      with ``--project ROOT`` when ``cwd`` is outside the project;
    * else the console script's path (``.venv/bin/lightclaw``), or ``python -m`` without one.

    ``env``, ``scripts`` (the environment's script folder) and ``cwd`` default to this process's.
    """
    env = os.environ if env is None else env
    scripts = Path(sysconfig.get_path("scripts")) if scripts is None else scripts
    here = (Path.cwd() if cwd is None else cwd).resolve()
    by_uv = "UV" in env and "UV_RUN_RECURSION_DEPTH" in env
    path = env.get("PATH", "")
    if by_uv:  # a new shell has PATH without the environment that `uv run` put first
        path = os.pathsep.join(p for p in path.split(os.pathsep) if p and not _same(p, scripts))
    if shutil.which("lightclaw", path=path) is not None:
        return ["lightclaw"]
    if by_uv and shutil.which("uv", path=path) is not None:
        root = _project_root(scripts)
        if root is None or here == root or root in here.parents:
            return ["uv", "run", "lightclaw"]
        return ["uv", "run", "--project", str(root), "lightclaw"]
    script = scripts / "lightclaw"
    if script.is_file():
        return [_relative(script, here)]
    return [sys.executable, "-m", "lightclaw.cli.main"]


def _same(a: str, b: Path) -> bool:
    try:
        return Path(a).resolve() == b.resolve()
    except OSError:
        return False


def _project_root(scripts: Path) -> Path | None:
    """The uv project whose environment (``ROOT/.venv``) holds ``scripts``, if there is one."""
    root = scripts.resolve().parent.parent
    return root if (root / "pyproject.toml").is_file() else None


def shown(path: Path) -> str:
    """A path as a user types it from here: relative when it lies below the current directory."""
    return _relative(path, Path.cwd().resolve())


def _relative(path: Path, here: Path) -> str:
    """``path`` relative to ``here`` when it lies below it, else absolute."""
    absolute = path.resolve()
    try:
        relative = str(absolute.relative_to(here))
    except ValueError:
        return str(absolute)
    return relative if os.sep in relative else f".{os.sep}{relative}"


def print_lines(out: Console, label: str, lines: list[str]) -> None:
    """``label`` then one line each, aligned, never wrapped or styled: commands and paths print
    whole, so that they can be copied (the terminal may still fold a long one visually)."""
    for i, line in enumerate(lines):
        out.print(f"{label if i == 0 else '':<{len(label)}}{line}",
                  soft_wrap=True, markup=False, highlight=False)  # fmt: skip


def print_summary(store: Store, run_id: str, out: Console | None = None) -> None:
    """Per-policy counts of a run: episodes, verifier successes (and the unjudged episodes, whose
    verifier failed), steps, corrections and the runtime's errors, one error a line.

    Where the table is wider than the terminal, ``steps`` and then ``episodes`` (which is
    success's denominator plus unjudged) are left out, so that no id or number is cut."""
    out = out or console()
    rows = summarize(store, run_id)
    order = list(ErrorType)
    columns: dict[str, Callable[[PolicySummary], str]] = {
        "episodes": lambda r: str(r.episodes),
        "success": lambda r: f"{r.succeeded}/{r.episodes - r.unjudged}",
        "unjudged": lambda r: str(r.unjudged),
        "steps": lambda r: str(r.steps),
        "corrections": lambda r: str(r.corrections),
    }
    if not any(r.unjudged for r in rows):
        del columns["unjudged"]
    for leave_out in ((), ("steps",), ("steps", "episodes")):
        visible = {name: cell for name, cell in columns.items() if name not in leave_out}
        summary = table(f"run {run_id}")
        summary.add_column("policy", no_wrap=True, overflow="fold")
        for name in visible:
            summary.add_column(name, justify="right", no_wrap=True, overflow="fold")
        summary.add_column("errors", overflow="fold")
        for r in rows:
            errors = sorted(r.errors.items(), key=lambda kv: order.index(ErrorType(kv[0])))
            summary.add_row(
                r.policy,
                *(cell(r) for cell in visible.values()),
                "\n".join(f"{name} {n}" for name, n in errors) or "-",
            )
        if fits(summary, out):
            break
    out.print(summary)
    if "unjudged" in columns:
        out.print("unjudged: the verifier failed on them; success counts judged episodes only")
