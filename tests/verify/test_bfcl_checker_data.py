"""The BFCL checker on the real BFCL v4 data in tests/data/bfcl (see tests/data/README.md)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from lightclaw.schema import ErrorType
from lightclaw.suites.bfcl_types import category_of, oracle_calls
from lightclaw.verify.bfcl_checker import check

DATA = Path(__file__).resolve().parents[1] / "data" / "bfcl"
ANSWERED = ["simple_python", "multiple", "parallel", "parallel_multiple", "live_simple"]
# Two live_simple entries list [] (no acceptable value) for required parameters: no call can
# pass them, in BFCL's own checker either.
UNSATISFIABLE = {"live_simple_106-63-0", "live_simple_112-68-0"}


def _lines(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def entries(category: str) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    questions = _lines(DATA / f"BFCL_v4_{category}.json")
    answers = _lines(DATA / "possible_answer" / f"BFCL_v4_{category}.json")
    assert [q["id"] for q in questions] == [a["id"] for a in answers]
    return [(q, a["ground_truth"]) for q, a in zip(questions, answers, strict=True)]


def _unsatisfiable(question: dict[str, Any], expected: list[dict[str, Any]]) -> bool:
    for call in expected:
        for name, answers in call.items():
            doc = next(d for d in question["function"] if d["name"] == name)
            if any(answers.get(p) == [] for p in doc["parameters"]["required"]):
                return True
    return False


def test_every_answered_entry_is_checked() -> None:
    counts = {category: len(entries(category)) for category in ANSWERED}
    assert counts == {
        "simple_python": 400,
        "multiple": 200,
        "parallel": 200,
        "parallel_multiple": 200,
        "live_simple": 258,
    }


@pytest.mark.parametrize("category", ANSWERED)
def test_first_acceptable_values_are_valid(category: str) -> None:
    failed = {}
    for question, expected in entries(category):
        assert category_of(question["id"]) == category
        verdict = check(
            question["function"], expected, oracle_calls(question["function"], expected), category
        )
        if not verdict.valid:
            failed[question["id"]] = verdict.error_type
        assert verdict.valid is not _unsatisfiable(question, expected), question["id"]
    assert set(failed) == (UNSATISFIABLE if category == "live_simple" else set())
    assert set(failed.values()) <= {"simple_function_checker:missing_required"}


WRONG_NAME = {
    "simple_python": "simple_function_checker:wrong_func_name",
    "live_simple": "simple_function_checker:wrong_func_name",
    "multiple": "simple_function_checker:wrong_func_name",
    "parallel": "parallel_function_checker_no_order:cannot_find_match",
    "parallel_multiple": "parallel_function_checker_no_order:cannot_find_match",
}
WRONG_COUNT = {
    "simple_python": "simple_function_checker:wrong_count",
    "live_simple": "simple_function_checker:wrong_count",
    "multiple": "multiple_function_checker:wrong_count",
    "parallel": "parallel_function_checker_no_order:wrong_count",
    "parallel_multiple": "parallel_function_checker_no_order:wrong_count",
}


def _first_param(calls: list[dict[str, Any]], kind: type) -> tuple[int, str, str] | None:
    for index, call in enumerate(calls):
        name, args = next(iter(call.items()))
        for param, value in args.items():
            if type(value) is kind:
                return index, name, param
    return None


@pytest.mark.parametrize("category", ANSWERED)
def test_perturbed_answers_fail_with_bfcl_error_types(category: str) -> None:
    parallel = "parallel" in category
    seen: dict[str, int] = {}
    for question, expected in entries(category):
        if question["id"] in UNSATISFIABLE:
            continue
        docs = question["function"]
        good = oracle_calls(docs, expected)

        def verdict_of(
            got: list[dict[str, Any]],
            docs: list[dict[str, Any]] = docs,
            expected: list[dict[str, Any]] = expected,
        ) -> Any:
            return check(docs, expected, got, category)

        renamed = copy.deepcopy(good)
        name = next(iter(renamed[0]))
        renamed[0] = {name + "_v2": renamed[0][name]}
        assert verdict_of(renamed).error_type == WRONG_NAME[category], question["id"]
        assert verdict_of(good[:-1]).error_type == WRONG_COUNT[category]
        assert verdict_of([*good, good[0]]).error_type == WRONG_COUNT[category]

        extra = copy.deepcopy(good)
        next(iter(extra[0].values()))["zz_unexpected"] = 1
        bad = verdict_of(extra)
        assert bad.error_type == (
            WRONG_NAME[category] if parallel else "simple_function_checker:unexpected_param"
        )
        # greedy parallel matching may pair the changed call with another expected call first
        assert bad.lightclaw_error is ErrorType.WRONG_ARGS or (
            parallel and bad.lightclaw_error is ErrorType.SEMANTIC_WRONG_ARGS
        )

        found = _first_param(good, str)
        if found is not None:
            index, name, param = found
            wrong = copy.deepcopy(good)
            wrong[index][name][param] += " zzz"
            bad = verdict_of(wrong)
            assert not bad.valid
            if not parallel:
                assert bad.error_type == "value_error:string", question["id"]
                assert repr(param) in bad.errors[0]
            assert bad.lightclaw_error is ErrorType.SEMANTIC_WRONG_ARGS
            seen["string"] = seen.get("string", 0) + 1
        found = _first_param(good, int)
        if found is not None:
            index, name, param = found
            wrong = copy.deepcopy(good)
            wrong[index][name][param] = str(wrong[index][name][param])
            bad = verdict_of(wrong)
            if not parallel:
                assert bad.error_type == "type_error:simple", question["id"]
            assert bad.lightclaw_error is ErrorType.WRONG_ARGS
            seen["int"] = seen.get("int", 0) + 1
    assert seen["string"] > 0 and seen["int"] > 0


def test_irrelevance_expects_no_call() -> None:
    questions = _lines(DATA / "BFCL_v4_irrelevance.json")
    assert len(questions) == 240
    for question in questions:
        assert category_of(question["id"]) == "irrelevance"
        docs = question["function"]
        assert check(docs, [], [], "irrelevance").valid
        assert check(docs, [], [{}], "irrelevance").valid
        called = check(docs, [], [{docs[0]["name"]: {}}], "irrelevance")
        assert called.error_type == "irrelevance_error:decoder_success"
        assert called.lightclaw_error is ErrorType.WRONG_TOOL
