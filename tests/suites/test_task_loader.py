"""Loading task files: JSONL and YAML, and errors that name the file, line and field."""

import json
from pathlib import Path
from typing import Any

import pytest

from lightclaw.errors import TaskFileError, UnknownChoiceError, UserError
from lightclaw.suites.core import core_registry
from lightclaw.suites.loader import SUITES, get_suite, load_suite, load_tasks


def _task(task_id: str = "t1", **changes: Any) -> dict[str, Any]:
    task: dict[str, Any] = {
        "id": task_id,
        "prompt": "Convert 10 km to miles.",
        "tools": ["convert_units"],
        "expected_calls": [
            {"tool": "convert_units", "arguments": {"value": [10], "from_unit": ["km"]}}
        ],
        "oracle": [
            [
                {
                    "kind": "tool_call",
                    "tool": "convert_units",
                    "arguments": {"value": 10, "from_unit": "km", "to_unit": "mi"},
                }
            ],
            [{"kind": "final_answer", "content": "6.21 miles"}],
        ],
    }
    task.update(changes)
    return task


def _jsonl(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "tasks.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _error(path: Path, **kwargs: Any) -> TaskFileError:
    with pytest.raises(TaskFileError) as caught:
        load_tasks(path, **kwargs)
    return caught.value


def test_jsonl_skips_blank_and_comment_lines(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, "# my tasks", "", json.dumps(_task("a")), "  ", json.dumps(_task("b")))
    tasks = load_tasks(path, registry=core_registry())
    assert [task.id for task in tasks] == ["a", "b"]
    assert tasks[0].oracle[0][0].kind == "tool_call"
    assert load_tasks(str(path)) == tasks


def test_bad_json_names_the_file_and_line(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, json.dumps(_task("a")), "# comment", '{"id": "b", "prompt": ')
    error = _error(path)
    assert (error.line, error.field) == (3, None)
    assert str(error).startswith(f"{path}:3: invalid JSON: Expecting value")
    assert isinstance(error, UserError) and error.exit_code == 2


def test_missing_field_is_named(tmp_path: Path) -> None:
    task = _task()
    del task["prompt"]
    error = _error(_jsonl(tmp_path, json.dumps(task)))
    assert (error.line, error.field) == (1, "prompt")
    assert str(error) == f"{tmp_path / 'tasks.jsonl'}:1: field 'prompt': Field required"


def test_wrong_type_is_named_with_the_input(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, json.dumps(_task("a")), json.dumps(_task("b", max_steps="ten")))
    error = _error(path)
    assert (error.line, error.field) == (2, "max_steps")
    assert "Input should be a valid integer" in error.args[0]
    assert "(got 'ten')" in error.args[0]


def test_nested_field_location(tmp_path: Path) -> None:
    task = _task(expected_calls=[{"arguments": {}}])
    error = _error(_jsonl(tmp_path, json.dumps(task)))
    assert error.field == "expected_calls.0.tool"


def test_unknown_action_kind(tmp_path: Path) -> None:
    task = _task(oracle=[[{"kind": "dance"}]])
    error = _error(_jsonl(tmp_path, json.dumps(task)))
    assert error.field == "oracle.0.0"
    assert "does not match any of the expected tags" in str(error)


def test_a_line_that_is_not_an_object(tmp_path: Path) -> None:
    error = _error(_jsonl(tmp_path, "[1, 2]"))
    assert error.line == 1
    assert "a task must be a mapping, got list" in str(error)


def test_duplicate_ids(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, json.dumps(_task("a")), json.dumps(_task("b")), json.dumps(_task("a")))
    error = _error(path)
    assert (error.line, error.field) == (3, "id")
    assert "duplicate task id 'a' (first on line 1)" in str(error)


def test_unknown_tool_only_with_a_registry(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, json.dumps(_task(tools=["convert_units", "teleport"])))
    assert len(load_tasks(path)) == 1
    error = _error(path, registry=core_registry())
    assert (error.line, error.field) == (1, "tools.1")
    assert "unknown tool 'teleport'; known tools: add_days" in str(error)


def test_oracle_may_only_call_the_tasks_tools(tmp_path: Path) -> None:
    task = _task()
    task["oracle"][0].append({"kind": "tool_call", "tool": "calculate", "arguments": {}})
    error = _error(_jsonl(tmp_path, json.dumps(task)))
    assert error.field == "oracle.0.1.tool"
    assert "'calculate', which is not in the task's tools" in str(error)


def test_oracle_self_correction_is_checked_through_its_revision(tmp_path: Path) -> None:
    revised = {"kind": "tool_call", "tool": "calculate", "arguments": {}}
    fix = {"kind": "self_correction", "corrects_step": 0, "reason": "r", "revised": revised}
    task = _task()
    task["oracle"].insert(1, [fix])
    assert _error(_jsonl(tmp_path, json.dumps(task))).field == "oracle.1.0.tool"


def test_expected_calls_may_only_name_the_tasks_tools(tmp_path: Path) -> None:
    task = _task(expected_calls=[{"tool": "calculate", "arguments": {}}])
    assert _error(_jsonl(tmp_path, json.dumps(task))).field == "expected_calls.0.tool"


def test_missing_file_directory_suffix_and_empty_file(tmp_path: Path) -> None:
    missing = _error(tmp_path / "nope.jsonl")
    assert missing.line is None
    assert str(missing) == f"{tmp_path / 'nope.jsonl'}: task file does not exist"
    assert "is a directory" in str(_error(tmp_path))
    other = tmp_path / "tasks.csv"
    other.write_text("id,prompt\n")
    assert "unsupported task file type '.csv'" in str(_error(other))
    empty = _jsonl(tmp_path, "# nothing yet")
    assert "contains no tasks" in str(_error(empty))
    binary = tmp_path / "bin.jsonl"
    binary.write_bytes(b"\xff\xfe\x00")
    assert "not UTF-8" in str(_error(binary))


def _yaml_task(task_id: str, indent: str = "  ") -> str:
    return (
        f"- id: {task_id}\n"
        f"{indent}prompt: What weekday is 2026-03-05?\n"
        f"{indent}tools: [weekday_of]\n"
        f"{indent}expected_calls:\n"
        f"{indent}  - tool: weekday_of\n"
        f"{indent}    arguments: {{date: [2026-03-05]}}\n"
        f"{indent}oracle:\n"
        f"{indent}  - - kind: tool_call\n"
        f"{indent}      tool: weekday_of\n"
        f"{indent}      arguments: {{date: 2026-03-05}}\n"
        f"{indent}  - - {{kind: final_answer, content: Thursday}}\n"
    )


def test_yaml_list_keeps_dates_as_strings(tmp_path: Path) -> None:
    path = tmp_path / "tasks.yaml"
    path.write_text("# weekday tasks\n" + _yaml_task("a") + _yaml_task("b"), encoding="utf-8")
    tasks = load_tasks(path, registry=core_registry())
    assert [task.id for task in tasks] == ["a", "b"]
    assert tasks[0].expected_calls[0].arguments == {"date": ["2026-03-05"]}
    assert tasks[0].oracle[0][0].model_dump()["arguments"] == {"date": "2026-03-05"}


def test_yaml_tasks_mapping_and_line_numbers(tmp_path: Path) -> None:
    body = (
        _yaml_task("a", "    ").replace("- id", "  - id") + "  - id: b\n    tools: [weekday_of]\n"
    )
    path = tmp_path / "tasks.yml"
    path.write_text("suite_note: mine\ntasks:\n" + body, encoding="utf-8")
    error = _error(path)
    assert error.line == 14
    assert error.field == "prompt"
    assert str(error).startswith(f"{path}:14: field 'prompt'")


def test_yaml_duplicate_id_reports_the_second_mapping(tmp_path: Path) -> None:
    path = tmp_path / "tasks.yaml"
    path.write_text(_yaml_task("a") + _yaml_task("a"), encoding="utf-8")
    error = _error(path)
    assert (error.line, error.field) == (12, "id")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("- id: a\n  prompt: [unclosed\n", 3, "invalid YAML"),
        ("just a string\n", 1, "expected a list of tasks or a mapping with 'tasks'"),
        ("tasks: 3\n", 1, "'tasks' must be a list"),
        ("- 42\n", 1, "a task must be a mapping, got int"),
    ],
)
def test_yaml_structure_errors(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    error = _error(path)
    assert error.line == line
    assert message in str(error)


def test_builtin_suites() -> None:
    core = get_suite("core")
    assert core is get_suite("core")
    assert "core" in SUITES
    assert core.registry_factory() is not core.registry_factory()
    assert core.task("units-marathon-miles").suite == "core"
    with pytest.raises(UnknownChoiceError, match="unknown task 'nope'"):
        core.task("nope")
    with pytest.raises(UnknownChoiceError) as caught:
        get_suite("bfcl")
    assert caught.value.choices == ["core"]
    assert str(caught.value) == "unknown suite 'bfcl'; valid choices: core"


def test_load_suite_by_name_or_path(tmp_path: Path) -> None:
    assert load_suite("core") is get_suite("core")
    path = _jsonl(tmp_path, json.dumps(_task("a")))
    mine = load_suite(str(path))
    assert mine.name == "tasks"
    assert [task.id for task in mine.tasks] == ["a"]
    assert mine.registry_factory().names() == core_registry().names()
    with pytest.raises(UnknownChoiceError, match="unknown suite 'cor'"):
        load_suite("cor")
    with pytest.raises(TaskFileError, match="does not exist"):
        load_suite(str(tmp_path / "missing.yaml"))
    unknown = _jsonl(tmp_path, json.dumps(_task("a", tools=["convert_units", "teleport"])))
    with pytest.raises(TaskFileError, match="unknown tool 'teleport'"):
        load_suite(str(unknown))
