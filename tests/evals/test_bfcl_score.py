"""``lightclaw bfcl score`` on BFCL result files built from the real BFCL v4 data."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from lightclaw.cli.bfcl import add_parser, run
from lightclaw.errors import UserError
from lightclaw.evals.bfcl_score import score_files
from lightclaw.suites.bfcl_types import oracle_calls

DATA = Path(__file__).resolve().parents[1] / "data" / "bfcl"


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def files(category: str) -> tuple[Path, Path]:
    return DATA / f"BFCL_v4_{category}.json", DATA / "possible_answer" / f"BFCL_v4_{category}.json"


def oracle_results(category: str) -> list[dict[str, Any]]:
    questions, answers = (lines(p) for p in files(category))
    return [
        {"id": q["id"], "result": oracle_calls(q["function"], a["ground_truth"])}
        for q, a in zip(questions, answers, strict=True)
    ]


def write(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="lightclaw")
    add_parser(parser.add_subparsers(dest="command"))
    return run(parser.parse_args(argv))


def test_oracle_results_score_full_accuracy(tmp_path: Path) -> None:
    questions, answers = files("parallel")
    results = write(tmp_path / "r.jsonl", oracle_results("parallel"))
    score = score_files(questions, answers, results)
    assert [(c.category, c.correct, c.total, c.accuracy) for c in score.categories] == [
        ("parallel", 200, 200, 1.0)
    ]
    assert score.skipped == []


def test_result_shapes_and_verdicts(tmp_path: Path) -> None:
    questions, answers = files("simple_python")
    rows = oracle_results("simple_python")[:4]
    rows[1]["result"] = "[math.factorial(number=5)]"  # prompting model: Python syntax
    rows[2]["result"] = [{"math.hypot": json.dumps({"x": 4, "y": 5})}]  # FC model: JSON string
    rows[3]["result"] = "[algebra.quadratic_roots(a=1, b=-3, c=3)]"  # wrong value
    rows.append({"id": "simple_python_4", "result": "I cannot call functions"})
    score = score_files(questions, answers, write(tmp_path / "r.jsonl", rows))
    verdicts = {s.id: (s.valid, s.error_type, s.lightclaw_error) for s in score.samples}
    assert verdicts == {
        "simple_python_0": (True, None, None),
        "simple_python_1": (True, None, None),
        "simple_python_2": (True, None, None),
        "simple_python_3": (False, "value_error:others", "semantic_wrong_args"),
        "simple_python_4": (False, "ast_decoder:decoder_failed", "invalid_format"),
    }
    assert score.categories[0].correct == 3 and score.categories[0].total == 5


def test_bad_lines_are_named_and_skipped(tmp_path: Path) -> None:
    questions = write(
        tmp_path / "q.jsonl",
        [*lines(files("simple_python")[0])[:2], {"id": "nocategory", "function": []}],
    )
    rows: list[Any] = oracle_results("simple_python")[:2]
    rows += ['{"id": "simple_python_9", "result": [', {"id": "simple_python_999", "result": []}]
    rows += [{"id": "nocategory", "result": []}, {"id": "simple_python_1"}]
    score = score_files(questions, files("simple_python")[1], write(tmp_path / "r.jsonl", rows))
    assert [s.id for s in score.samples] == ["simple_python_0", "simple_python_1"]
    skipped = "\n".join(score.skipped)
    assert len(score.skipped) == 4, skipped
    assert "r.jsonl:3: invalid JSON" in skipped
    assert "r.jsonl:4: result 'simple_python_999': id is not among the questions" in skipped
    assert "r.jsonl:5: result 'nocategory': id 'nocategory' has no category prefix" in skipped
    assert "r.jsonl:6: result 'simple_python_1' has no 'result'" in skipped


def test_irrelevance_needs_no_answers(tmp_path: Path) -> None:
    questions = DATA / "BFCL_v4_irrelevance.json"
    asked = lines(questions)[:3]
    rows = [
        {"id": asked[0]["id"], "result": "The weather is not something I can look up."},
        {"id": asked[1]["id"], "result": []},
        {"id": asked[2]["id"], "result": [{asked[2]["function"][0]["name"]: {}}]},
    ]
    score = score_files(questions, None, write(tmp_path / "r.jsonl", rows))
    assert [s.valid for s in score.samples] == [True, True, False]
    assert score.samples[2].error_type == "irrelevance_error:decoder_success"


def test_cli_prints_accuracy_verbose_and_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions, answers = files("multiple")
    rows = oracle_results("multiple")[:3]
    rows[0]["result"] = [{"nonexistent": {}}]
    rows.append("not json")
    results = write(tmp_path / "r.jsonl", rows)
    out = tmp_path / "verdicts.jsonl"
    argv = ["bfcl", "score", "--questions", str(questions), "--answers", str(answers)]
    code = cli([*argv, "--results", str(results), "--verbose", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr()
    assert "multiple_0: simple_function_checker:wrong_func_name (wrong_tool)" in printed.out
    assert "66.67%" in printed.out
    assert "skipped 1 item(s)" in printed.err and "r.jsonl:4: invalid JSON" in printed.err
    written = lines(out)
    assert [(row["id"], row["valid"]) for row in written] == [
        ("multiple_0", False),
        ("multiple_1", True),
        ("multiple_2", True),
    ]


def test_category_filter(tmp_path: Path) -> None:
    questions = write(
        tmp_path / "q.jsonl",
        lines(files("parallel")[0])[:2] + lines(files("multiple")[0])[:2],
    )
    answers = write(
        tmp_path / "a.jsonl",
        lines(files("parallel")[1])[:2] + lines(files("multiple")[1])[:2],
    )
    rows = oracle_results("parallel")[:2] + oracle_results("multiple")[:2]
    results = write(tmp_path / "r.jsonl", rows)
    assert len(score_files(questions, answers, results).categories) == 2
    only = score_files(questions, answers, results, category="multiple")
    assert [c.category for c in only.categories] == ["multiple"]


def test_missing_file_is_one_line_user_error(tmp_path: Path) -> None:
    questions, answers = files("parallel")
    with pytest.raises(UserError) as caught:
        cli(["bfcl", "score", "--questions", str(questions), "--answers", str(answers),
             "--results", str(tmp_path / "missing.jsonl")])  # fmt: skip
    assert caught.value.exit_code == 2
    assert str(caught.value) == f"result file {tmp_path / 'missing.jsonl'} does not exist"
