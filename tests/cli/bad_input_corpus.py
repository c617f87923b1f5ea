"""The bad-input corpus (tests/cli/bad_inputs.md) run through the real CLI, one subprocess a case.

A :class:`Case` is one row id of the corpus: the command, the fixture it needs (a task file, a
copy of a small store shared by the session, a broken copy of it, ...) and what must come out: the
exit code, one line on stderr starting ``lightclaw: error:``, no traceback anywhere, and the store
file's sha256 unchanged (or, for a command that legitimately writes, nothing recorded lost).

Simple cases are independent, so :class:`Corpus` runs the selected ones on a thread pool (one
subprocess per case, as many at once as there are CPUs); each test then checks its own outcome.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).with_name("bad_inputs.md")
ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 180  # seconds: a guard against a run that never ends, not a speed check

EXTRA = ("BF01", "BF02")
"""Cases issue 8 adds to the corpus file's rows."""
SPECIAL = (
    "E03a", "E03b", "E03c", "E04a", "E04b", "E04c", "E04d", "E04e", "F13", "Z01",
    "K1", "K2", "K3", "K4", "K5", "K6", "K7", "K8", "K9", "K10",
)  # fmt: skip
"""Cases that need a mount, an immutable file or a signal: test_bad_inputs_special.py runs them."""


# -- the corpus file ----------------------------------------------------------------------------


def _expand(label: str) -> list[str]:
    """``B05/B06`` -> B05, B06; ``C10–C13`` -> C10..C13; ``D07a–d`` -> D07a..D07d."""
    ids: list[str] = []
    for part in re.split(r"\s*[,/]\s*", label.strip()):
        if "–" not in part:
            ids.append(part)
            continue
        first, last = part.split("–")
        head = re.fullmatch(r"([A-Z]+)(\d+)([a-z]?)", first)
        assert head, part
        letters, number, suffix = head.groups()
        if re.fullmatch(r"[a-z]", last):  # D07a–d
            ids += [f"{letters}{number}{chr(c)}" for c in range(ord(suffix), ord(last) + 1)]
        else:  # C10–C13, H01–H11
            end = re.fullmatch(rf"{letters}(\d+)", last)
            assert end, part
            width = len(number)
            ids += [f"{letters}{n:0{width}d}" for n in range(int(number), int(end[1]) + 1)]
    return ids


def corpus_ids(text: str | None = None) -> list[str]:
    """Every case id of the corpus file, in its order."""
    text = CORPUS.read_text(encoding="utf-8") if text is None else text
    ids: list[str] = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 2 and re.match(r"[A-Z]\d", cells[1]):
            for group in re.split(r",\s*(?=[A-Z])", cells[1]):
                ids += _expand(group)
    return ids


# -- fixtures ------------------------------------------------------------------------------------


def core_task(index: int = 0) -> dict[str, Any]:
    """A task of the packaged core suite, as the JSON a user would write."""
    text = resources.files("lightclaw.suites.core").joinpath("tasks.jsonl").read_text("utf-8")
    task: dict[str, Any] = json.loads(text.splitlines()[index])
    return task


def task_line(**changes: Any) -> str:
    """One JSONL line: the first core task with ``changes`` (a None value drops the field)."""
    task = core_task()
    task.update(changes)
    return json.dumps({k: v for k, v in task.items() if v is not None}, ensure_ascii=False) + "\n"


GOOD = task_line(id="good-task")


def sha256(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def recorded(db: Path) -> dict[str, str]:
    """Everything a store holds that must never be lost: run and episode records by id."""
    if not db.is_file() or db.stat().st_size == 0:
        return {}
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT id, record FROM runs UNION ALL SELECT id, record FROM episodes")
        return {row[0]: hashlib.sha256(row[1].encode()).hexdigest() for row in rows}
    finally:
        conn.close()


def outcomes(db: Path, run: str | None = None) -> dict[tuple[str, str, int], tuple[Any, ...]]:
    """Each first-attempt episode's outcome, success, reward and steps by (task, policy, trial)."""
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT task_id, policy, trial, outcome, success, reward, n_steps FROM episodes"
            " WHERE attempt = 1" + (" AND run_id = ?" if run else ""),
            (run,) if run else (),
        ).fetchall()
    finally:
        conn.close()
    return {(r[0], r[1], r[2]): tuple(r[3:]) for r in rows}


def cli_env(home: Path | None, **extra: str) -> dict[str, str]:
    env = dict(os.environ, COLUMNS="200", PYTHONUNBUFFERED="1")
    env.pop("LIGHTCLAW_HOME", None)
    if home is not None:
        env["LIGHTCLAW_HOME"] = str(home)
    env.update(extra)
    return env


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "lightclaw.cli.main", *args]


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


def run_cli(
    args: Sequence[str],
    *,
    home: Path | None,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    memory_limit: int | None = None,
) -> Outcome:
    """``lightclaw ARGS`` in a subprocess (``memory_limit``: bytes of address space)."""

    def limit() -> None:
        import resource

        if memory_limit is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))

    proc = subprocess.run(
        cli_command(*args),
        cwd=cwd,
        env=dict(env) if env is not None else cli_env(home),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        preexec_fn=limit if memory_limit is not None else None,
        check=False,
    )
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


@dataclass
class Shared:
    """The session's small store (three scripted personas on the core suite) and its export."""

    base: Path
    db: Path = field(init=False)
    export: Path = field(init=False)
    run: str = field(init=False)
    episode: str = field(init=False)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._references: dict[tuple[str, ...], dict[tuple[str, str, int], tuple[Any, ...]]] = {}
        self.base.mkdir(parents=True)
        home = self.base / "home"
        self.db = home / "lightclaw.db"
        self.export = self.base / "export"
        collect = run_cli(
            ["collect", "--suite", "core", "--policy", "scripted:oracle", "--policy",
             "scripted:sloppy", "--policy", "scripted:hallucinator"],
            home=home, cwd=self.base,
        )  # fmt: skip
        assert collect.code == 0, collect.err
        exported = run_cli(["export", "--out", str(self.export)], home=home, cwd=self.base)
        assert exported.code == 0, exported.err
        conn = sqlite3.connect(self.db)
        try:
            self.run = conn.execute("SELECT id FROM runs").fetchone()[0]
            self.episode = conn.execute("SELECT id FROM episodes ORDER BY rowid").fetchone()[0]
        finally:
            conn.close()

    def reference(self, args: tuple[str, ...]) -> dict[tuple[str, str, int], tuple[Any, ...]]:
        """The outcomes of an uninterrupted ``lightclaw ARGS`` run, by (task, policy, trial)."""
        with self._lock:
            if args not in self._references:
                root = self.base / "references" / str(len(self._references))
                root.mkdir(parents=True)
                done = run_cli(args, home=root / "home", cwd=root)
                assert done.code == 0, done.err
                self._references[args] = outcomes(root / "home" / "lightclaw.db")
            return self._references[args]


@dataclass
class Place:
    """Where one case runs: ``home`` (LIGHTCLAW_HOME) and ``work`` (cwd, the user's files)."""

    root: Path
    shared: Shared

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def db(self) -> Path:
        return self.home / "lightclaw.db"

    def fill(self, text: str) -> str:
        """Fill a case's placeholders: @WORK@, @HOME@, @RUN@, @EPISODE@, @EXPORT@."""
        marks = {
            "@WORK@": str(self.work),
            "@HOME@": str(self.home),
            "@RUN@": self.shared.run,
            "@EPISODE@": self.shared.episode,
            "@EXPORT@": str(self.work / "export"),
        }
        for mark, value in marks.items():
            text = text.replace(mark, value)
        return text


Prepare = Callable[[Place], None]
After = Callable[[Place, Outcome], None]


@dataclass(frozen=True)
class Case:
    """One corpus id: a command and what must come out of it."""

    id: str
    args: tuple[str, ...]
    exit: int
    says: str = ""
    """A regex the single stderr line (or, for exit code 0, stdout) must match."""
    store: str = "copy"
    """``copy``: HOME holds a copy of the shared store; ``none``: HOME starts empty."""
    files: Mapping[str, str | bytes] = field(default_factory=dict)
    """Files written into the work directory (str: placeholders filled, UTF-8)."""
    prepare: Prepare | None = None
    writes: bool = False
    """The command may write into the store: then nothing recorded may be lost (else sha256)."""
    after: After | None = None
    one_line: bool = True
    """A failure prints exactly one line on stderr (else: no traceback is all that is asked)."""
    refusal_ok: str = ""
    """If set, exit code 2 with one stderr line matching this regex is accepted as well."""
    memory_limit: int | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    cleanup: Prepare | None = None
    """Undoes what ``prepare`` did outside the temporary directory (a mount, an immutable flag);
    runs after the checks, and when ``prepare`` fails."""
    cost: float = 1.0
    """Rough seconds of CPU: the pool starts the costly cases first."""

    def set_up(self, place: Place) -> None:
        place.work.mkdir(parents=True)
        place.home.mkdir(parents=True)
        if self.store == "copy":
            shutil.copy(place.shared.db, place.db)
        for name, content in self.files.items():
            target = place.work / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(place.fill(content), encoding="utf-8", newline="")
        if self.prepare is not None:
            try:
                self.prepare(place)
            except BaseException:
                self.clean(place)
                raise

    def clean(self, place: Place) -> None:
        if self.cleanup is not None:
            self.cleanup(place)

    def run(self, place: Place) -> Result:
        self.set_up(place)
        before = sha256(place.db)
        kept = recorded(place.db) if self.writes and before is not None else {}
        env = cli_env(place.home, **{k: place.fill(v) for k, v in self.env.items()})
        outcome = run_cli(
            [place.fill(arg) for arg in self.args],
            home=place.home,
            cwd=place.work,
            env=env,
            memory_limit=self.memory_limit,
        )
        return Result(outcome, before, sha256(place.db), kept)


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    sha_before: str | None
    sha_after: str | None
    recorded_before: dict[str, str]


def verify(case: Case, place: Place, result: Result) -> None:
    """The contract every case keeps (see the module docstring), then the case's own checks."""
    out = result.outcome
    shown = f"{case.id}: exit {out.code}\nstderr: {out.err[-3000:]}\nstdout: {out.out[-1500:]}"
    assert "Traceback" not in out.out + out.err, shown
    lines = out.err.strip().splitlines()
    if case.refusal_ok and out.code == 2:
        assert len(lines) == 1 and lines[0].startswith("lightclaw: error: "), shown
        assert re.search(case.refusal_ok, lines[0]), shown
        return
    assert out.code == case.exit, shown
    if case.exit != 0 and case.one_line:
        assert len(lines) == 1, shown
        assert lines[0].startswith("lightclaw: error: "), shown
        if case.says:
            says = place.fill(case.says)
            assert re.search(says, lines[0]), f"{says!r} not in: {lines[0]}"
    else:
        assert not any(line.startswith("lightclaw: error") for line in lines), shown
        if case.says:
            says = place.fill(case.says)
            assert re.search(says, out.out), f"{says!r} not in stdout: {out.out[-2000:]}"
    if result.sha_before is not None:
        if case.writes:
            now = recorded(place.db)
            lost = {k for k, v in result.recorded_before.items() if now.get(k) != v}
            assert not lost, f"{case.id}: records lost or changed: {sorted(lost)[:5]}"
        else:
            assert result.sha_after == result.sha_before, f"{case.id}: the store changed"
    if case.after is not None:
        case.after(place, out)


@dataclass(frozen=True)
class Flow:
    """A case that is a sequence of commands (kill a run, then resume it, ...): ``steps`` runs them
    and asserts as it goes."""

    id: str
    steps: Callable[[Place], None]
    cost: float = 5.0

    def run(self, place: Place) -> None:
        place.work.mkdir(parents=True)
        place.home.mkdir(parents=True)
        self.steps(place)


Item = Case | Flow


class Corpus:
    """Runs the selected cases of a session concurrently, once, and hands out their results."""

    def __init__(self, base: Path, cases: Mapping[str, Item]) -> None:
        self.base = base
        self.cases = cases
        self._shared: Shared | None = None
        self._results: dict[str, Result | BaseException | None] = {}
        self._lock = threading.Lock()

    @property
    def shared(self) -> Shared:
        with self._lock:
            if self._shared is None:
                self._shared = Shared(self.base / "session")
            return self._shared

    def place(self, case_id: str) -> Place:
        return Place(self.base / "cases" / case_id, self.shared)

    def run_all(self, ids: Sequence[str]) -> None:
        """Run ``ids`` (those not run yet) on a pool of ``os.cpu_count()`` workers, costly first."""
        todo = sorted((i for i in ids if i not in self._results), key=lambda i: -self.cases[i].cost)
        if not todo:
            return
        self.shared  # noqa: B018 - built once, before the workers need it

        def one(case_id: str) -> tuple[str, Result | BaseException | None]:
            try:
                return case_id, self.cases[case_id].run(self.place(case_id))
            except BaseException as exc:  # reported (or skipped) by the case's own test
                return case_id, exc

        with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
            for case_id, result in pool.map(one, todo):
                self._results[case_id] = result

    def result(self, case_id: str) -> Result | None:
        self.run_all([case_id])
        result = self._results[case_id]
        if isinstance(result, BaseException):
            raise result
        return result
