"""Lower rooms never import higher ones (docs: DESIGN.md, data flows one way)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "lightclaw"
RANK = {
    "__init__": 0, "errors": 0, "ids": 0, "files": 0,
    "schema": 1,
    "tools": 2,
    "policies": 3, "envs": 3, "suites": 3,
    "runtime": 4,
    "verify": 5,
    "store": 6,
    "rollouts": 7,
    "evals": 8,
    "export": 9, "rewards": 9,
    "traincheck": 10, "server": 10, "cli": 10,
}  # fmt: skip
FORBIDDEN = {
    # the exports read what the model saw from the record (or schema.render), never the runtime
    "export": {"runtime"},
}


def room_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m == "lightclaw" or m.startswith("lightclaw.")}


def test_every_room_is_ranked() -> None:
    rooms = {p.stem if p.is_file() else p.name for p in SRC.iterdir() if p.suffix in ("", ".py")}
    rooms -= {"__pycache__", "py"}
    assert rooms <= set(RANK), sorted(rooms - set(RANK))


def test_no_module_imports_a_higher_room() -> None:
    violations = []
    for path in SRC.rglob("*.py"):
        module = "lightclaw." + ".".join(path.relative_to(SRC).with_suffix("").parts)
        mine = RANK[room_of(module)]
        for imported in imports(path):
            theirs = RANK[room_of(imported)]
            if theirs > mine:
                violations.append(f"{module} imports {imported}")
    assert not violations, "\n".join(sorted(violations))


def test_no_module_imports_a_forbidden_lower_room() -> None:
    violations = []
    for path in SRC.rglob("*.py"):
        module = "lightclaw." + ".".join(path.relative_to(SRC).with_suffix("").parts)
        banned = FORBIDDEN.get(room_of(module), set())
        violations += [f"{module} imports {m}" for m in imports(path) if room_of(m) in banned]
    assert not violations, "\n".join(sorted(violations))


def test_export_keeps_only_writers() -> None:
    """train-check reads exports the way trainers do: its own room beside export/."""
    stray = sorted(p.name for p in (SRC / "export").glob("traincheck*.py"))
    assert not stray, stray


def test_no_test_reads_outside_the_repository() -> None:
    """A clone of the repository tests itself: test data lives in tests/data, never outside."""
    tests = Path(__file__).resolve().parents[1]
    outside = ("".join(['"', "shared", '"']), "/".join(["..", "shared"]))  # not written as is
    offenders = [
        str(p.relative_to(tests))
        for p in tests.rglob("*.py")
        if p != Path(__file__).resolve()
        and any(mark in p.read_text(encoding="utf-8") for mark in outside)
    ]
    assert not offenders, offenders
