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
    rows[2]["result"] = "[math.hypot(x=4, y=5 - 1 + 1)]"  # arithmetic on literals
    rows[3]["result"] = "[algebra.quadratic_roots(a=1, b=-3, c=3)]"  # wrong value
    rows.append({"id": "simple_python_4", "result": "I cannot call functions"})
    score = score_files(questions, answers, write(tmp_path / "r.jsonl", rows))
    assert not score.function_calling
    verdicts = {s.id: (s.valid, s.error_type, s.lightclaw_error) for s in score.samples}
    assert verdicts == {
        "simple_python_0": (True, None, None),
        "simple_python_1": (True, None, None),
        "simple_python_2": (True, None, None),
        "simple_python_3": (False, "value_error:others", "semantic_wrong_args"),
        "simple_python_4": (False, "ast_decoder:decoder_failed", "invalid_format"),
    }
    assert score.categories[0].correct == 3 and score.categories[0].total == 5


def test_function_calling_file_reads_strings_as_text(tmp_path: Path) -> None:
    """As BFCL's FC handlers decode: JSON-string arguments; a string is the model's text."""
    questions, answers = files("simple_python")
    rows: list[dict[str, Any]] = [
        {"id": "simple_python_0", "result": [{"calculate_triangle_area": '{"base": 10, "height": 5}'}]},  # noqa: E501
        {"id": "simple_python_1", "result": "[math.factorial(number=5)]"},  # text, not a call
        {"id": "simple_python_2", "result": [{"math.hypot": '{"x": 4, "y": 5}', "id": "c1"}]},
        {"id": "simple_python_3", "result": [{"algebra.quadratic_roots": '{"a": 1'}]},
        {"id": "simple_python_4", "result": [{"solve_quadratic_equation": "{}"}, {}]},
        {"id": "simple_python_5", "result": ""},  # no call at all
    ]  # fmt: skip
    score = score_files(questions, answers, write(tmp_path / "r.jsonl", rows))
    assert score.function_calling
    verdicts = {s.id: (s.valid, s.error_type) for s in score.samples}
    assert verdicts == {
        "simple_python_0": (True, None),
        "simple_python_1": (False, "ast_decoder:decoder_failed"),
        "simple_python_2": (True, None),  # BFCL reads the first key only
        "simple_python_3": (False, "ast_decoder:decoder_failed"),
        "simple_python_4": (False, "ast_decoder:decoder_failed"),
        "simple_python_5": (False, "simple_function_checker:wrong_count"),
    }


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


# --- function-calling result files (BFCL's underscore_to_dot) ----------------------------------

ANSWERED = ["simple_python", "multiple", "parallel", "parallel_multiple", "live_simple"]


def fc_results(category: str, rename: bool) -> list[dict[str, Any]]:
    """The possible answers as a function-calling model's BFCL result lines.

    BFCL writes ``{"id", "result": [{name: "<JSON arguments>"}], "input_token_count", ...}``;
    with ``rename`` the names are the ones such a model was shown (``.`` -> ``_``).
    """
    return [
        {
            "id": row["id"],
            "result": [
                {(name.replace(".", "_") if rename else name): json.dumps(arguments)}
                for call in row["result"]
                for name, arguments in call.items()
            ],
            "input_token_count": 812,
            "output_token_count": 31,
            "latency": 0.42,
        }
        for row in oracle_results(category)
    ]


def dotted_expected(category: str) -> set[str]:
    """Ids whose expected calls name a function with a dot (renamed by FC handlers)."""
    return {
        row["id"]
        for row in lines(files(category)[1])
        if any("." in name for call in row["ground_truth"] for name in call)
    }


@pytest.mark.parametrize("category", ANSWERED)
def test_function_calling_file_is_detected_and_scored_like_dotted_names(
    tmp_path: Path, category: str
) -> None:
    questions, answers = files(category)
    fc = write(tmp_path / "fc.jsonl", fc_results(category, rename=True))
    dotted = write(tmp_path / "dotted.jsonl", fc_results(category, rename=False))
    detected = score_files(questions, answers, fc)
    plain = score_files(questions, answers, dotted)
    assert detected.underscore_to_dot and detected.underscored_calls > 0
    assert not plain.underscore_to_dot and plain.underscored_calls == 0
    assert detected.categories == plain.categories
    assert [s.model_dump() for s in detected.samples] == [s.model_dump() for s in plain.samples]
    # Forcing it off reproduces the verdicts of before: every answer naming a dotted function
    # is a wrong function name, every other one is still judged on its values.
    forced = score_files(questions, answers, fc, underscore_to_dot=False)
    renamed = dotted_expected(category)
    assert renamed, category
    wrong_name = ("wrong_func_name", "cannot_find_match")
    for sample, same in zip(forced.samples, plain.samples, strict=True):
        if sample.id in renamed:
            assert not sample.valid and sample.error_type.endswith(wrong_name), sample.id
            assert sample.lightclaw_error == "wrong_tool"
        else:
            assert sample == same
    assert forced.categories[0].correct == plain.categories[0].correct - len(
        renamed - {s.id for s in plain.samples if not s.valid}
    )
    # Forcing it on for a dotted file makes every dotted name a wrong one, as BFCL does.
    on = score_files(questions, answers, dotted, underscore_to_dot=True)
    assert {s.id for s in on.samples if not s.valid} >= renamed - {"live_simple_106-63-0"}


def test_detection_follows_the_majority_and_ignores_prompting_output(tmp_path: Path) -> None:
    questions, answers = files("simple_python")
    rows = fc_results("simple_python", rename=False)
    renamed = fc_results("simple_python", rename=True)
    dotted = sorted(dotted_expected("simple_python"), key=lambda i: int(i.rsplit("_", 1)[1]))
    # A few '_' names among many documented dotted ones: not a function-calling file.
    by_id = {row["id"]: row for row in renamed}
    mixed = [by_id[row["id"]] if row["id"] in dotted[:5] else row for row in rows]
    score = score_files(questions, answers, write(tmp_path / "mixed.jsonl", mixed))
    assert not score.underscore_to_dot and score.underscored_calls == 5
    # A prompting model's Python-syntax strings never switch it on (BFCL only renames for FC).
    prompting = [
        {"id": row["id"], "result": f"[{name}(number=5)]"}
        for row in renamed
        for call in row["result"]
        for name in call
    ]
    score = score_files(questions, answers, write(tmp_path / "prompting.jsonl", prompting))
    assert not score.underscore_to_dot and score.underscored_calls == 0


def test_cli_notes_detection_and_options_force_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions, answers = files("parallel_multiple")
    fc = write(tmp_path / "fc.jsonl", fc_results("parallel_multiple", rename=True))
    argv = ["bfcl", "score", "--questions", str(questions), "--answers", str(answers)]
    argv += ["--results", str(fc)]
    renamed_calls = sum(
        "." in name for row in lines(answers) for call in row["ground_truth"] for name in call
    )
    assert cli(argv) == 0
    printed = capsys.readouterr()
    note = [line for line in printed.err.splitlines() if "function-calling" in line]
    assert note == [
        f"lightclaw: note: {fc} looks like a function-calling result file ({renamed_calls} "
        "calls name a function with '_' for '.'); scoring with underscore-to-dot "
        "(--no-underscore-to-dot to turn it off)"
    ]
    assert "200 │   200 │  100.00%" in printed.out
    assert cli([*argv, "--no-underscore-to-dot"]) == 0
    printed = capsys.readouterr()
    assert "function-calling" not in printed.err
    left = 200 - len(dotted_expected("parallel_multiple"))
    assert f"{left} │   200 │   {left / 200:.2%}" in printed.out
    assert cli([*argv, "--underscore-to-dot"]) == 0
    printed = capsys.readouterr()
    assert "function-calling" not in printed.err and "100.00%" in printed.out


# --- exit codes -------------------------------------------------------------------------------


def main_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    from lightclaw.cli.main import main

    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.err


def test_unknown_category_exits_2_listing_the_valid_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions, answers = files("parallel")
    results = write(tmp_path / "r.jsonl", oracle_results("parallel"))
    code, err = main_cli(
        ["bfcl", "score", "--questions", str(questions), "--answers", str(answers),
         "--results", str(results), "--category", "NOSUCH"],
        capsys,
    )  # fmt: skip
    assert code == 2
    assert err.splitlines() == [
        "lightclaw: error: unknown BFCL category 'NOSUCH'; valid choices: irrelevance, "
        "live_irrelevance, live_multiple, live_parallel, live_parallel_multiple, live_simple, "
        "multiple, parallel, parallel_multiple, simple_python"
    ]


def test_scoring_nothing_exits_2_saying_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions, answers = files("parallel")
    base = ["bfcl", "score", "--questions", str(questions), "--answers", str(answers)]

    def run_on(rows: list[Any], *extra: str) -> str:
        results = write(tmp_path / "r.jsonl", rows)
        code, err = main_cli([*base, "--results", str(results), *extra], capsys)
        assert code == 2
        assert len(err.splitlines()) == 1, err
        assert "Traceback" not in err
        return err.strip()

    results = tmp_path / "r.jsonl"
    assert run_on([]) == f"lightclaw: error: nothing was scored: {results} has no result lines"
    unknown = [{"id": "simple_python_0", "result": []}, {"id": "parallel_9999", "result": []}]
    assert run_on(unknown) == (
        f"lightclaw: error: nothing was scored: none of the 2 result ids in {results} "
        f"is among the questions in {questions}"
    )
    skipped = ["not json", {"id": "parallel_0"}]
    assert run_on(skipped) == (
        f"lightclaw: error: nothing was scored: none of the 2 result lines of {results} was "
        f"scored: 2 skipped (first: {results}:1: invalid JSON: Expecting value (column 1))"
    )
    assert run_on(oracle_results("parallel")[:3], "--category", "multiple") == (
        f"lightclaw: error: nothing was scored: none of the 3 result lines of {results} was "
        "scored: 3 in categories other than 'multiple' (parallel)"
    )
    # Something scored: exit 0 even with skipped lines.
    results = write(tmp_path / "r.jsonl", [*oracle_results("parallel")[:1], "not json"])
    code, err = main_cli([*base, "--results", str(results)], capsys)
    assert code == 0 and "skipped 1 item(s)" in err


def test_categories_outside_the_python_ast_ones_are_skipped(tmp_path: Path) -> None:
    questions = write(
        tmp_path / "q.jsonl",
        [*lines(files("parallel")[0])[:1], {"id": "simple_java_0", "function": []}],
    )
    results = write(
        tmp_path / "r.jsonl",
        [*oracle_results("parallel")[:1], {"id": "simple_java_0", "result": "[f(a=1)]"}],
    )
    score = score_files(questions, files("parallel")[1], results)
    assert [s.id for s in score.samples] == ["parallel_0"]
    assert score.skipped == [
        f"{results}:2: result 'simple_java_0': category 'simple_java' is not scored (BFCL's "
        "Python AST categories are simple_python, multiple, parallel, parallel_multiple, "
        "irrelevance, live_simple, live_multiple, live_parallel, live_parallel_multiple, "
        "live_irrelevance)"
    ]
