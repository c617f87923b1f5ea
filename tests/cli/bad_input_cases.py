# ruff: noqa: E501  (the case tables keep one case per line)
"""Corpus cases about what the user gives LightClaw: task files (B), names and arguments (C, N, U),
reward configs (H) and verifiers (V). Each collect runs against a copy of the session's store."""

from __future__ import annotations

from bad_input_corpus import GOOD, Case, Outcome, Place, task_line

ORACLE = ("--policy", "scripted:oracle")
TINY = {"tiny.jsonl": GOOD}


def collect(name: str) -> tuple[str, ...]:
    return ("collect", "--suite", f"@WORK@/{name}", *ORACLE)


def task_file(case_id: str, name: str, text: str | bytes, exit: int = 2, says: str = "") -> Case:
    """``lightclaw collect --suite NAME --policy scripted:oracle`` on a file holding ``text``."""
    return Case(case_id, collect(name), exit, says, files={name: text}, writes=exit == 0)


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _alias_bomb(indent: str, levels: int = 9, width: int = 9) -> list[str]:
    """``levels`` anchors, each a list of ``width`` aliases of the one before (9^9 leaves)."""
    lines = [f"{indent}a0: &a0 [{', '.join(['lol'] * width)}]"]
    for level in range(1, levels):
        refs = ", ".join([f"*a{level - 1}"] * width)
        lines.append(f"{indent}a{level}: &a{level} [{refs}]")
    return lines


TOP_BOMB = "\n".join(
    ["- &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"- &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 9)]
    + ["- *a8"]
) + "\n"  # fmt: skip
STATE_BOMB = "\n".join(
    [
        "- id: bomb",
        "  prompt: Convert a marathon to miles.",
        "  tools: [convert_units]",
        "  oracle: [[{kind: final_answer, content: done}]]",
        "  initial_state:",
        *_alias_bomb("    "),
        "    all: *a8",
    ]
) + "\n"  # fmt: skip
PYTHON_TAG = (
    "- id: tagged\n"
    '  prompt: !!python/object/apply:os.system ["touch @WORK@/pwned"]\n'
    "  tools: [calculate]\n"
    "  oracle: [[{kind: final_answer, content: done}]]\n"
)
GIB = 1024**3


def _not_executed(place: Place, out: Outcome) -> None:
    assert not (place.work / "pwned").exists(), "the YAML tag ran a command"


TASK_FILES = [
    task_file("B01", "bad_json.jsonl", GOOD + '{"id": "x", oops}\n', says=r"bad_json\.jsonl:2: invalid JSON"),
    task_file("B02", "missing_prompt.jsonl", task_line(prompt=None), says=r"missing_prompt\.jsonl:1: field 'prompt': Field required"),
    task_file("B03", "tools_string.jsonl", task_line(tools="calculate"), says=r"field 'tools': Input should be a valid list"),
    task_file("B04", "steps_text.jsonl", task_line(max_steps="ten"), says=r"field 'max_steps': Input should be a valid integer"),
    task_file("B05", "steps_zero.jsonl", task_line(max_steps=0), says="greater than or equal to 1"),
    task_file("B06", "steps_negative.jsonl", task_line(max_steps=-3), says="greater than or equal to 1"),
    task_file("B07", "dup_ids.jsonl", task_line(id="my-km") * 2, says=r"dup_ids\.jsonl:2: field 'id': duplicate task id 'my-km' \(first on line 1\)"),
    task_file("B08", "empty.jsonl", "", says="the file contains no tasks"),
    task_file("B09", "comments.jsonl", "# nothing here\n\n# still nothing\n", says="the file contains no tasks"),
    task_file("B10", "garbage.jsonl", bytes((n * 151 + 7) % 256 for n in range(4096)), says="not UTF-8 text"),
    task_file("B11", "rockets.jsonl", task_line(tools=["launch_rockets"]), says="unknown tool 'launch_rockets'; known tools: "),
    task_file("B12", "oracle_tool.jsonl", task_line(oracle=[[{"kind": "tool_call", "tool": "kv_get", "arguments": {"key": "k"}}]]), says="oracle calls 'kv_get', which is not in the task's tools"),
    task_file("B13", "oracle_fails.jsonl", task_line(expected_answer=99.0), says=r"oracle_fails\.jsonl:1: .*oracle"),
    task_file("B14", "fuzzy.jsonl", task_line(answer_match="fuzzy"), says=r"field 'answer_match'.*'exact'"),
    task_file("B15", "array.jsonl", "[1, 2, 3]\n", says="a task must be a mapping, got list"),
    task_file("B16", "nan.jsonl", task_line(tolerance=float("nan")), says=r"field 'tolerance'"),
    task_file("B17", "extra.jsonl", task_line(colour="blue"), says="Extra inputs are not permitted"),
    task_file("B18", "deep.jsonl", _nested(100_000) + "\n", says=r"deep\.jsonl:1: .*nest"),
    task_file("B19", "huge.jsonl", task_line(id="huge", prompt="Convert 42.195 km to miles. " + "x" * 50_000_000), exit=0),
    Case("B20", collect("bomb.yaml"), 2, r"bomb\.yaml:\d+: ", files={"bomb.yaml": TOP_BOMB}, memory_limit=4 * GIB),
    Case("B20b", collect("bomb_state.yaml"), 2, r"bomb_state\.yaml:\d+: .*alias", files={"bomb_state.yaml": STATE_BOMB}, memory_limit=4 * GIB),
    task_file("B21", "syntax.yaml", "- id: [unclosed\n  prompt: x\n", says="invalid YAML"),
    task_file("B22", "scalar.yaml", "just a sentence\n", says="expected a list of tasks"),
    Case("B23", collect("python_tag.yaml"), 2, r"python_tag\.yaml:2: .*python/object/apply:os\.system", files={"python_tag.yaml": PYTHON_TAG}, after=_not_executed),
    task_file("B25", "unicode.jsonl", task_line(id="tâche-マラソン-🏃", prompt="Combien de miles fait un marathon (42,195 km) ? 🏃"), exit=0),
    task_file("B26", "crlf.jsonl", (GOOD + task_line(id="second")).replace("\n", "\r\n"), exit=0),
    task_file("B27", "bom.jsonl", "\ufeff" + GOOD, says="Unexpected UTF-8 BOM"),
    task_file("B28", "latin1.jsonl", task_line(prompt="Température à Zürich ?").encode("latin-1"), says="not UTF-8 text"),
]  # fmt: skip

NAMES = [
    Case("C01", ("collect", "--suite", "nosuchsuite", *ORACLE), 2, "unknown suite 'nosuchsuite'; valid choices: core"),
    Case("C02", collect("missing.jsonl"), 2, "task file does not exist"),
    Case("C03", collect("folder"), 2, "is a directory", prepare=lambda p: (p.work / "folder").mkdir()),
    Case("C04", collect("x.jsonl"), 2, "is a directory", prepare=lambda p: (p.work / "x.jsonl").mkdir()),
    Case("C05", ("collect", "--suite", "core", "--policy", "scripted:nobody"), 2, "nobody.*valid choices"),
    Case("C06", ("collect", "--suite", "core", "--policy", "robot:oracle"), 2, "unknown policy 'robot:oracle'; valid choices: scripted:"),
    Case("C07", ("collect", "--suite", "core", "--policy", "oracle"), 2, "unknown policy 'oracle'; valid choices: scripted:"),
    Case("C08", ("collect", "--frobnicate"), 2, "unrecognized arguments: --frobnicate"),
    Case("C09", ("frobnicate",), 2, "invalid choice: 'frobnicate'"),
    Case("C10", ("runs", "show", "run_nope"), 2, "unknown run 'run_nope'; valid choices: run_"),
    Case("C11", ("eval", "run_nope"), 2, "unknown run 'run_nope'; valid choices: run_"),
    Case("C12", ("eval", "@RUN@", "--compare", "run_nope"), 2, "unknown run 'run_nope'; valid choices: run_"),
    Case("C13", ("collect", "--resume", "run_nope"), 2, "unknown run 'run_nope'; valid choices: run_"),
    Case("C14", ("collect", "--resume", "@RUN@"), 0, "already complete"),
    Case("C15", ("replay", "ep_nope"), 2, "unknown episode 'ep_nope'"),
    Case("C16", ("replay", "@RUN@"), 2, "unknown episode 'run_"),
    Case("C17", (*collect("tiny.jsonl"), "--trials", "0"), 2, "--trials must be at least 1", files=TINY),
    Case("C18", (*collect("tiny.jsonl"), "--trials", "-1"), 2, "--trials must be at least 1", files=TINY),
    Case("C19", (*collect("tiny.jsonl"), "--trials", "abc"), 2, "invalid int value: 'abc'", files=TINY),
    Case("C20", (*collect("tiny.jsonl"), "--concurrency", "0"), 0, files=TINY, writes=True),
    Case("C21", (*collect("tiny.jsonl"), "--seed", "-5"), 0, files=TINY, writes=True),
    Case("C22", collect("tasks.json"), 2, "unsupported task file type '.json'", files={"tasks.json": GOOD}),
    Case("C23", ("collect", "--suite", "core"), 2, "give at least one --policy"),
    Case("C24", ("collect",), 2, "give at least one --policy"),
]  # fmt: skip

ARGUMENTS = [
    Case("N01", ("eval", "@RUN@", "--protocol", "two-attempt"), 2, "give either RUN or --protocol"),
    Case("N02", ("eval",), 2, "give a RUN to evaluate"),
    Case("N03", (), 0, "usage: lightclaw"),
    Case("N04", ("collect", "--resume", "@RUN@", *ORACLE), 2, "drop --policy"),
    Case("N05", ("runs", "show"), 2, "required: RUN"),
    Case("N06", ("eval", "@RUN@", "--feedback", "verifier"), 2, "--feedback .*--protocol two-attempt"),
    Case("N07", ("export",), 2, "required: --out"),
    Case("U01", ("runs", "show", "run_" + "x" * 100_000), 2, "unknown run 'run_xxx.*…"),
    Case("U02", ("runs", "show", "run_ünïcödé_🦀"), 2, "unknown run 'run_ünïcödé_🦀'"),
    Case("U03", collect("a" * 5000 + ".jsonl"), 2, "File name too long"),
    Case("U04", ("runs", "show", "%"), 2, "unknown run '%'"),
    Case("U05", ("replay", "%"), 2, "unknown episode '%'"),
    Case("U06", ("runs", "show", ""), 2, "unknown run ''"),
    Case("U07", ("eval", ""), 2, "give a RUN to evaluate"),
]  # fmt: skip


def reward_config(case_id: str, text: str | bytes | None, says: str, name: str = "rw.toml") -> Case:
    files: dict[str, str | bytes] = dict(TINY)
    if text is not None:
        files[name] = text
    args = (*collect("tiny.jsonl"), "--reward-config", f"@WORK@/{name}")
    return Case(case_id, args, 2, says, files=files)


WEIGHTS = "[reward.weights]\n"
REWARD_CONFIGS = [
    reward_config("H01", WEIGHTS + "bogus_weight = 1.0\n", r"rw\.toml: unknown reward weight 'bogus_weight' in \[reward.weights\]; valid keys: "),
    reward_config("H02", WEIGHTS + 'task_success = "high"\n', r"rw\.toml: .*task_success"),
    reward_config("H03", WEIGHTS + "task_success = nan\n", r"rw\.toml: .*task_success"),
    reward_config("H04", WEIGHTS + "task_success = -inf\n", r"rw\.toml: .*task_success"),
    reward_config("H05", "[reward.weights\n", r"rw\.toml: invalid TOML"),
    reward_config("H06", "[other]\nx = 1\n", r"rw\.toml: no \[reward.weights\] table"),
    reward_config("H07", "reward = 3\n", r"rw\.toml: no \[reward.weights\] table"),
    reward_config("H08", WEIGHTS + "task_success = 1.0\n[reward.extra]\nx = 1\n", r"unknown key 'reward.extra'"),
    reward_config("H09", None, "reward config file .*missing.toml does not exist", name="missing.toml"),
    Case("H10", (*collect("tiny.jsonl"), "--reward-config", "@WORK@/rwdir"), 2, "rwdir is a directory", files=TINY, prepare=lambda p: (p.work / "rwdir").mkdir()),
    reward_config("H11", bytes(range(256)) * 4, r"cannot read reward config file .*rw\.toml"),
]  # fmt: skip


def verifier_task(case_id: str, exit: int = 0, says: str = "", **task: object) -> Case:
    """A task judged by a Python verifier (in verifiers.py of the work directory) or a regex."""
    files = {
        "verified.jsonl": task_line(id="verified", **task),
        "verifiers.py": (
            "def raises(task, episode):\n    raise RuntimeError('verifier exploded')\n\n\n"
            "def says_yes(task, episode):\n    return 'yes'\n"
        ),
    }
    return Case(case_id, collect("verified.jsonl"), exit, says, files=files, writes=exit == 0)  # fmt: skip


PYTHON: dict[str, object] = {"answer_match": "python", "expected_answer": None, "tolerance": None}
# A verifier that fails on the task's own oracle solution is a broken task file: rejected at load
# with file:line, before anything runs (a verifier failing only on some answers records those
# episodes as unjudged: tests/cli/test_run_summary.py).
BROKEN = r"verified.jsonl:1: task 'verified': its oracle solution fails its own verifier: verifier failure"
VERIFIERS = [
    verifier_task("V01", 2, BROKEN + r".*RuntimeError: verifier exploded", verifier="@WORK@/verifiers.py:raises", **PYTHON),
    verifier_task("V02", 2, BROKEN + r".*returned str", verifier="@WORK@/verifiers.py:says_yes", **PYTHON),
    verifier_task("V03", 2, BROKEN + r".*no_such_module_xyz", verifier="no_such_module_xyz:check", **PYTHON),
    verifier_task("V04", 2, "a 'verifier' is used only with answer_match 'python'", verifier="@WORK@/verifiers.py:raises"),
    verifier_task("V05", 2, BROKEN, answer_match="regex", expected_answer="(["),
]  # fmt: skip

CASES: dict[str, Case] = {
    case.id: case for case in [*TASK_FILES, *NAMES, *ARGUMENTS, *REWARD_CONFIGS, *VERIFIERS]
}
assert len(CASES) == sum(map(len, (TASK_FILES, NAMES, ARGUMENTS, REWARD_CONFIGS, VERIFIERS)))
