# ruff: noqa: E501  (the case table keeps one case per line)
"""Hand-built cases for each BFCL AST checker rule (error types are BFCL's own strings)."""

from __future__ import annotations

from typing import Any

import pytest

from lightclaw.schema import ErrorType
from lightclaw.suites.bfcl_types import BfclDataError
from lightclaw.verify.bfcl_checker import check, standardize


def fn(name: str, required: list[str], **props: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "description": name,
        "parameters": {"type": "dict", "properties": props, "required": required},
    }


AREA = fn(
    "geometry.area",
    ["base", "height"],
    base={"type": "integer"},
    height={"type": "float"},
    unit={"type": "string"},
)
AREA_ANSWER = [{"geometry.area": {"base": [10], "height": [5.0], "unit": ["cm", ""]}}]
LISTS = fn(
    "stats",
    ["values"],
    values={"type": "array", "items": {"type": "integer"}},
    pair={"type": "tuple", "items": {"type": "string"}},
)
FILTER = fn(
    "db.fetch",
    ["where"],
    where={"type": "dict", "properties": {"dept": {"type": "string"}}},
    rows={"type": "array", "items": {"type": "dict"}},
)
FILTER_ANSWER = [
    {
        "db.fetch": {
            "where": [{"dept": ["Science"], "school": ["Bluebird HS", ""]}],
            "rows": [[{"id": [1]}, {"id": [2]}], ""],
        }
    }
]
WEATHER = fn("weather", ["city"], city={"type": "string"})
TIME = fn("time", ["zone"], zone={"type": "string"})

# (case id, docs, expected, got, category, BFCL error type or None when valid)
CASES: list[tuple[str, list[dict[str, Any]], list[dict[str, Any]], Any, str, str | None]] = [
    ("exact", [AREA], AREA_ANSWER, [{"geometry.area": {"base": 10, "height": 5.0}}], "simple_python", None),
    ("int_to_float", [AREA], AREA_ANSWER, [{"geometry.area": {"base": 10, "height": 5}}], "simple_python", None),
    ("float_not_int", [AREA], AREA_ANSWER, [{"geometry.area": {"base": 10.0, "height": 5.0}}], "simple_python", "type_error:simple"),
    ("bool_not_int", [AREA], AREA_ANSWER, [{"geometry.area": {"base": True, "height": 5.0}}], "simple_python", "type_error:simple"),
    ("string_for_int", [AREA], AREA_ANSWER, [{"geometry.area": {"base": "10", "height": 5.0}}], "simple_python", "type_error:simple"),
    ("wrong_number", [AREA], AREA_ANSWER, [{"geometry.area": {"base": 11, "height": 5.0}}], "simple_python", "value_error:others"),
    ("optional_given", [AREA], AREA_ANSWER, [{"geometry.area": {"base": 10, "height": 5.0, "unit": "CM"}}], "simple_python", None),
    ("string_wrong", [AREA], AREA_ANSWER, [{"geometry.area": {"base": 10, "height": 5.0, "unit": "mm"}}], "simple_python", "value_error:string"),
    ("missing_required", [AREA], AREA_ANSWER, [{"geometry.area": {"base": 10}}], "simple_python", "simple_function_checker:missing_required"),
    ("unexpected_param", [AREA], AREA_ANSWER, [{"geometry.area": {"base": 10, "height": 5.0, "color": "red"}}], "simple_python", "simple_function_checker:unexpected_param"),
    ("wrong_func_name", [AREA], AREA_ANSWER, [{"geometry.volume": {"base": 10, "height": 5.0}}], "simple_python", "simple_function_checker:wrong_func_name"),
    ("simple_two_calls", [AREA], AREA_ANSWER, [{"geometry.area": {"base": 10, "height": 5.0}}] * 2, "simple_python", "simple_function_checker:wrong_count"),
    ("missing_optional", [AREA], [{"geometry.area": {"base": [10], "height": [5.0], "unit": ["cm"]}}], [{"geometry.area": {"base": 10, "height": 5.0}}], "simple_python", "simple_function_checker:missing_optional"),
    ("list_ok", [LISTS], [{"stats": {"values": [[1, 2, 3]], "pair": [["a b", "c"], ""]}}], [{"stats": {"values": [1, 2, 3]}}], "simple_python", None),
    ("list_order", [LISTS], [{"stats": {"values": [[1, 2, 3]]}}], [{"stats": {"values": [3, 2, 1]}}], "simple_python", "value_error:list/tuple"),
    ("list_item_type", [LISTS], [{"stats": {"values": [[1, 2]]}}], [{"stats": {"values": ["1", "2"]}}], "simple_python", "type_error:nested"),
    ("tuple_is_list", [LISTS], [{"stats": {"values": [[1]], "pair": [["A-B", "c"]]}}], [{"stats": {"values": [1], "pair": ("ab", "C")}}], "simple_python", None),
    ("dict_ok", [FILTER], FILTER_ANSWER, [{"db.fetch": {"where": {"dept": "science", "school": "Bluebird HS"}}}], "simple_python", None),
    ("dict_optional_key", [FILTER], FILTER_ANSWER, [{"db.fetch": {"where": {"dept": "Science"}}}], "simple_python", None),
    ("dict_value", [FILTER], FILTER_ANSWER, [{"db.fetch": {"where": {"dept": "Arts"}}}], "simple_python", "value_error:dict_value"),
    ("dict_extra_key", [FILTER], FILTER_ANSWER, [{"db.fetch": {"where": {"dept": "Science", "city": "x"}}}], "simple_python", "value_error:dict_key"),
    ("dict_missing_key", [FILTER], FILTER_ANSWER, [{"db.fetch": {"where": {"school": "Bluebird HS"}}}], "simple_python", "value_error:dict_key"),
    ("list_dict_ok", [FILTER], FILTER_ANSWER, [{"db.fetch": {"where": {"dept": "Science"}, "rows": [{"id": 1}, {"id": 2}]}}], "simple_python", None),
    ("list_dict_count", [FILTER], FILTER_ANSWER, [{"db.fetch": {"where": {"dept": "Science"}, "rows": [{"id": 1}]}}], "simple_python", "value_error:list_dict_count"),
    # BFCL reports the error of the LAST acceptable value tried ("" = an empty list here)
    ("list_dict_last_error", [FILTER], FILTER_ANSWER, [{"db.fetch": {"where": {"dept": "Science"}, "rows": [{"id": 2}, {"id": 1}]}}], "simple_python", "value_error:list_dict_count"),
    ("list_dict_value", [FILTER], [{"db.fetch": {"where": [{"dept": ["Science"]}], "rows": [[{"id": [1]}, {"id": [2]}]]}}], [{"db.fetch": {"where": {"dept": "Science"}, "rows": [{"id": 2}, {"id": 1}]}}], "simple_python", "value_error:dict_value"),
    ("variable", [WEATHER], [{"weather": {"city": [5]}}], [{"weather": {"city": 5}}], "simple_python", None),
    ("multiple_right", [WEATHER, TIME], [{"time": {"zone": ["UTC"]}}], [{"time": {"zone": "utc"}}], "multiple", None),
    ("multiple_wrong_function", [WEATHER, TIME], [{"time": {"zone": ["UTC"]}}], [{"weather": {"city": "UTC"}}], "multiple", "simple_function_checker:wrong_func_name"),
    ("multiple_count", [WEATHER, TIME], [{"time": {"zone": ["UTC"]}}], [], "multiple", "multiple_function_checker:wrong_count"),
    ("parallel_any_order", [WEATHER], [{"weather": {"city": ["Paris"]}}, {"weather": {"city": ["Rome"]}}], [{"weather": {"city": "rome"}}, {"weather": {"city": "Paris"}}], "parallel", None),
    ("parallel_no_match", [WEATHER], [{"weather": {"city": ["Paris"]}}, {"weather": {"city": ["Rome"]}}], [{"weather": {"city": "Rome"}}, {"weather": {"city": "Oslo"}}], "parallel", "parallel_function_checker_no_order:cannot_find_match"),
    ("parallel_count", [WEATHER], [{"weather": {"city": ["Paris"]}}, {"weather": {"city": ["Rome"]}}], [{"weather": {"city": "Rome"}}], "parallel", "parallel_function_checker_no_order:wrong_count"),
    ("parallel_multiple", [WEATHER, TIME], [{"weather": {"city": ["Paris"]}}, {"time": {"zone": ["CET"]}}], [{"time": {"zone": "CET"}}, {"weather": {"city": "Paris"}}], "parallel_multiple", None),
    ("parallel_multiple_wrong_fn", [WEATHER, TIME], [{"weather": {"city": ["Paris"]}}, {"time": {"zone": ["CET"]}}], [{"time": {"zone": "CET"}}, {"time": {"zone": "Paris"}}], "parallel_multiple", "parallel_function_checker_no_order:cannot_find_match"),
    ("irrelevance_no_call", [WEATHER], [], [], "irrelevance", None),
    ("irrelevance_called", [WEATHER], [], [{"weather": {"city": "Paris"}}], "irrelevance", "irrelevance_error:decoder_success"),
    ("not_call_format", [WEATHER], [{"weather": {"city": ["Paris"]}}], [{"weather": "Paris"}], "simple_python", "ast_decoder:decoder_wrong_output_format"),
    ("live_simple_rules", [AREA], AREA_ANSWER, [{"geometry.area": {"base": 10, "height": 5}}], "live_simple", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("docs", "expected", "got", "category", "error_type"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_rule(
    docs: list[dict[str, Any]],
    expected: list[dict[str, Any]],
    got: Any,
    category: str,
    error_type: str | None,
) -> None:
    verdict = check(docs, expected, got, category)
    assert verdict.valid is (error_type is None), verdict
    assert verdict.error_type == error_type
    assert (verdict.lightclaw_error is None) is verdict.valid
    assert bool(verdict.errors) is not verdict.valid


def test_standardisation_is_bfcls() -> None:
    assert standardize("April 1, 2024") == standardize("april 1,2024") == "april12024"
    assert standardize("New-York_City.") == "newyorkcity"
    assert standardize("it's") == 'it"s'
    assert standardize("a\tb") != standardize("ab")  # only the space character is dropped


def test_value_message_names_parameter_and_acceptable_values() -> None:
    got = [{"geometry.area": {"base": 10, "height": 5.0, "unit": "mm"}}]
    verdict = check([AREA], AREA_ANSWER, got, "simple_python")
    assert verdict.errors == [
        "Invalid value for parameter 'unit': 'mm'. Expected one of ['cm', '']. Case insensitive."
    ]
    missing = check([AREA], AREA_ANSWER, [{"geometry.area": {"base": 10}}], "simple_python")
    assert "'height'" in missing.errors[0] and "[5.0]" in missing.errors[0]


@pytest.mark.parametrize(
    ("got", "category", "mapped"),
    [
        ([{"geometry.volume": {"base": 10, "height": 5.0}}], "simple_python", "wrong_tool"),
        ([{"geometry.area": {"base": 11, "height": 5.0}}], "simple_python", "semantic_wrong_args"),
        ([{"geometry.area": {"base": "x", "height": 5.0}}], "simple_python", "wrong_args"),
        ([{"geometry.area": {"base": 10}}], "simple_python", "wrong_args"),
        ([{"geometry.area": {"base": 10, "height": 5.0, "zz": 1}}], "simple_python", "wrong_args"),
        ([{"geometry.area": {"base": 10, "height": 5.0}}] * 2, "simple_python", "wrong_tool"),
        ([{"geometry.area": {"base": 10, "height": 5.0}}], "irrelevance", "wrong_tool"),
        ([{"geometry.area": 3}], "simple_python", "invalid_format"),
    ],
)
def test_lightclaw_error_mapping(got: Any, category: str, mapped: str) -> None:
    assert check([AREA], AREA_ANSWER, got, category).lightclaw_error == ErrorType(mapped)


def test_param_in_schema_but_not_in_answer_is_semantic() -> None:
    doc = fn("f", ["a"], a={"type": "integer"}, b={"type": "integer"})
    verdict = check([doc], [{"f": {"a": [1]}}], [{"f": {"a": 1, "b": 2}}], "simple_python")
    assert verdict.error_type == "simple_function_checker:unexpected_param"
    assert verdict.lightclaw_error is ErrorType.SEMANTIC_WRONG_ARGS


def test_parallel_mapping_follows_the_closest_candidate() -> None:
    expected = [{"weather": {"city": ["Paris"]}}, {"weather": {"city": ["Rome"]}}]
    wrong_value = [{"weather": {"city": "Rome"}}, {"weather": {"city": "Oslo"}}]
    assert (
        check([WEATHER], expected, wrong_value, "parallel").lightclaw_error == "semantic_wrong_args"
    )
    wrong_tool = [{"time": {"zone": "Paris"}}, {"time": {"zone": "Rome"}}]
    verdict = check([WEATHER, TIME], expected, wrong_tool, "parallel_multiple")
    assert verdict.lightclaw_error is ErrorType.WRONG_TOOL
    assert verdict.errors[0].startswith("Could not find a matching function among index [0, 1]")


def test_underscore_names_for_function_calling_models() -> None:
    got = [{"geometry_area": {"base": 10, "height": 5.0}}]
    assert not check([AREA], AREA_ANSWER, got, "simple_python").valid
    assert check([AREA], AREA_ANSWER, got, "simple_python", underscore_names=True).valid


def test_missing_doc_for_expected_function_is_a_data_error() -> None:
    with pytest.raises(BfclDataError, match="'time'"):
        check([WEATHER], [{"time": {"zone": ["UTC"]}}], [{"time": {"zone": "UTC"}}], "multiple")
