"""BFCL's AST checker for Python categories, re-implemented with the same verdicts.

Rules (as in the leaderboard's ``ast_checker.py``; see docs/bfcl.md):

* Every parameter value must be one of its acceptable values; a parameter may be omitted only
  when its list holds ``""``; the function doc's ``required`` parameters must be present.
* Types are exact Python types (a bool is not an int); an int is accepted for a ``float``
  parameter; tuples are lists. A value whose type is that of the acceptable values rather
  than the doc's type is a *variable* and is compared as is.
* Strings compare after :func:`standardize`; lists element-wise (strings standardised one
  level deep); dicts key by key against each acceptable dict; lists of dicts position by position.
* ``parallel*`` categories match calls to expected calls regardless of order (greedy, in the
  expected order, like BFCL); ``multiple*`` checks the one call against the expected function;
  other categories expect exactly one call of the first documented function;
  ``irrelevance`` expects no call.

Each verdict carries BFCL's error type string and the LightClaw :class:`ErrorType` it maps to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field

from lightclaw.schema import ErrorType
from lightclaw.suites.bfcl_types import (
    NESTED_TYPES,
    BfclDataError,
    bfcl_type,
    is_call_list,
    is_empty_output,
    lightclaw_error,
    python_type,
)

__all__ = ["BfclVerdict", "check", "lightclaw_error", "standardize"]

_STANDARDIZE = re.compile(r"[ ,./\-_*^]")
_OPTIONAL = ""


class BfclVerdict(BaseModel):
    """The verdict on one BFCL sample: BFCL's error type and messages, and LightClaw's error."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    valid: bool
    error_type: str | None = None
    errors: list[str] = Field(default_factory=list)
    lightclaw_error: ErrorType | None = None


@dataclass
class _Result:
    valid: bool
    error_type: str | None = None
    errors: list[str] = field(default_factory=list)
    is_variable: bool = False
    outside_schema: bool = False
    sub_types: list[str] = field(default_factory=list)


_OK = _Result(True)


def standardize(text: str) -> str:
    """BFCL string standardisation: drop spaces and ``,./-_*^``, lower case, ``'`` -> ``"``."""
    return _STANDARDIZE.sub("", text).lower().replace("'", '"')


def _answer_type(acceptable: list[Any]) -> type | None:
    for answer in acceptable:
        if answer != _OPTIONAL:
            return type(answer)
    return None


def _type_check(
    param: str, value: Any, acceptable: list[Any], type_name: str, want: type, nested: type | None
) -> _Result:
    answer_type = _answer_type(acceptable)
    is_variable = answer_type is not None and answer_type is not want
    nested_failed = False
    if type(value) is want:
        if nested is None:
            return _Result(True, is_variable=is_variable)
        for answer in acceptable:
            items_ok = type(answer) is not list or all(
                _type_check(param, item, answer, nested.__name__, nested, None).valid
                for item in cast("list[Any]", value)
            )
            if items_ok:
                return _Result(True, is_variable=is_variable)
        nested_failed = True
    errors = []
    if nested_failed:
        assert nested is not None
        errors.append(
            f"Nested type checking failed for parameter {param!r}. Expected outer type "
            f"{type_name} with inner type {nested.__name__}. Parameter value: {value!r}."
        )
    if answer_type is not None and type(value) is answer_type:
        if nested_failed:
            return _Result(False, "type_error:nested", errors, is_variable=True)
        return _Result(True, is_variable=True)
    errors.append(
        f"Incorrect type for parameter {param!r}. Expected type {type_name}, "
        f"got {type(value).__name__}. Parameter value: {value!r}."
    )
    return _Result(False, "type_error:simple", errors)


def _standard(value: Any) -> Any:
    return standardize(value) if type(value) is str else value


def _string_check(param: str, value: str, acceptable: list[Any]) -> _Result:
    if standardize(value) in [standardize(a) for a in acceptable if type(a) is str]:
        return _OK
    return _Result(
        False,
        "value_error:string",
        [
            f"Invalid value for parameter {param!r}: {value!r}. Expected one of {acceptable}. "
            "Case insensitive."
        ],
    )


def _list_check(param: str, value: list[Any], acceptable: list[Any]) -> _Result:
    got = [_standard(item) for item in value]
    # BFCL iterates each acceptable value by index, so an optional "" stands for [].
    options = [[_standard(x) for x in a] if isinstance(a, list | str) else a for a in acceptable]
    if got in options:
        return _OK
    return _Result(
        False,
        "value_error:list/tuple",
        [f"Invalid value for parameter {param!r}: {value!r}. Expected one of {acceptable}."],
    )


def _dict_check(value: dict[Any, Any], acceptable: list[Any]) -> _Result:
    result = _Result(False, "dict_checker:unclear")
    for answer in acceptable:
        if answer == _OPTIONAL:
            continue
        result = _Result(False, "dict_checker:unclear")
        ok = True
        for key, item in value.items():
            if key not in answer:
                result.errors.append(f"Unexpected dict key parameter: {key!r}.")
                result.error_type = "value_error:dict_key"
                ok = False
                break
            options = [_standard(a) for a in answer[key]]
            if _standard(item) not in options:
                result.errors.append(
                    f"Invalid value for parameter {key!r}: {item!r}. Expected one of {options}."
                )
                result.error_type = "value_error:dict_value"
                ok = False
                break
        for key, options in answer.items():
            if key not in value and _OPTIONAL not in options:
                result.errors.append(f"Missing dict key parameter: {key!r}.")
                result.error_type = "value_error:dict_key"
                ok = False
                break
        if ok:
            return _OK
    return result


def _list_dict_check(value: list[Any], acceptable: list[Any]) -> _Result:
    result = _Result(False, "list_dict_checker:unclear")
    for answer in acceptable:
        if len(value) != len(answer):
            result = _Result(
                False, "value_error:list_dict_count", ["Wrong number of dictionaries in the list."]
            )
            continue
        ok = True
        for item, expected in zip(value, answer, strict=True):
            result = _dict_check(item, [expected])
            if not result.valid:
                ok = False
                break
        if ok:
            return _OK
    return result


def _param_types(doc: dict[str, Any], param: str) -> tuple[str, type, type | None]:
    details = doc["parameters"]["properties"][param]
    type_name = bfcl_type(details["type"])
    nested = None
    if type_name in NESTED_TYPES:
        items = details.get("items")
        if not isinstance(items, dict) or "type" not in items:
            raise BfclDataError(f"{doc['name']}: array parameter {param!r} has no items type")
        nested = python_type(items["type"])
    return type_name, python_type(type_name), nested


def _check_value(param: str, value: Any, acceptable: list[Any], doc: dict[str, Any]) -> _Result:
    type_name, want, nested = _param_types(doc, param)
    if type_name == "tuple" and type(value) is tuple:
        value = list(value)
    if type_name == "float" and type(value) is int:
        value = float(value)
    typed = _type_check(param, value, acceptable, type_name, want, nested)
    if not typed.valid:
        return typed
    if not typed.is_variable:
        if want is dict:
            return _dict_check(value, acceptable)
        if want is list and nested is dict:
            return _list_dict_check(value, acceptable)
        if want is str:
            return _string_check(param, value, acceptable)
        if want is list:
            return _list_check(param, value, acceptable)
    if value not in acceptable:
        return _Result(
            False,
            "value_error:others",
            [f"Invalid value for parameter {param!r}: {value!r}. Expected one of {acceptable}."],
        )
    return _OK


def _function(
    doc: dict[str, Any], call: dict[str, Any], expected: dict[str, Any], dots: bool
) -> _Result:
    """BFCL's simple_function_checker: one call against one expected call."""
    answers: dict[str, list[Any]] = next(iter(expected.values()))
    name = str(doc["name"])
    if dots:
        name = name.replace(".", "_")
    if name not in call:
        return _Result(
            False,
            "simple_function_checker:wrong_func_name",
            [f"Function name {name!r} not found in model output."],
        )
    params: dict[str, Any] = call[name]
    properties: dict[str, Any] = doc["parameters"]["properties"]
    for param in doc["parameters"].get("required", []):
        if param not in params:
            hint = f" Acceptable values: {answers[param]}." if param in answers else ""
            return _Result(
                False,
                "simple_function_checker:missing_required",
                [f"Missing required parameter: {param!r}.{hint}"],
            )
    for param, value in params.items():
        if param not in properties or param not in answers:
            return _Result(
                False,
                "simple_function_checker:unexpected_param",
                [f"Unexpected parameter: {param!r}."],
                outside_schema=param not in properties,
            )
        checked = _check_value(param, value, answers[param], doc)
        if not checked.valid:
            return checked
    for param, acceptable in answers.items():
        if param not in params and _OPTIONAL not in acceptable:
            return _Result(
                False,
                "simple_function_checker:missing_optional",
                [
                    f"Optional parameter {param!r} not provided and not marked as optional. "
                    f"Acceptable values: {acceptable}."
                ],
            )
    return _OK


def _doc_for(docs: list[dict[str, Any]], name: str) -> dict[str, Any]:
    for doc in docs:
        if doc.get("name") == name:
            return doc
    raise BfclDataError(f"expected function {name!r} is not among the function docs")


def _parallel(
    docs: list[dict[str, Any]], expected: list[dict[str, Any]], got: list[Any], dots: bool
) -> _Result:
    if len(got) != len(expected):
        return _Result(
            False, "parallel_function_checker_no_order:wrong_count", ["Wrong number of functions."]
        )
    matched: list[int] = []
    for e, want in enumerate(expected):
        doc = _doc_for(docs, next(iter(want)))
        errors: list[str] = []
        sub_types: list[str] = []
        for index, call in enumerate(got):
            if index in matched:
                continue
            result = _function(doc, call, want, dots)
            if result.valid:
                matched.append(index)
                break
            sub_types.append(_mapped_type(result))
            errors.append(
                f"Model Result Index {index}: {result.error_type}: {' '.join(result.errors)}"
            )
        else:
            left = [i for i in range(len(got)) if i not in matched]
            errors.insert(
                0,
                f"Could not find a matching function among index {left} of model output "
                f"for index {e} of possible answers.",
            )
            return _Result(
                False,
                "parallel_function_checker_no_order:cannot_find_match",
                errors,
                sub_types=sub_types,
            )
    return _OK


def _dispatch(
    docs: list[dict[str, Any]],
    expected: list[dict[str, Any]],
    got: list[Any],
    category: str,
    dots: bool,
) -> _Result:
    if "parallel" in category:
        return _parallel(docs, expected, got, dots)
    if "multiple" in category:
        if len(got) != len(expected):
            return _Result(
                False, "multiple_function_checker:wrong_count", ["Wrong number of functions."]
            )
        return _function(_doc_for(docs, next(iter(expected[0]))), got[0], expected[0], dots)
    if len(got) != 1:
        return _Result(False, "simple_function_checker:wrong_count", ["Wrong number of functions."])
    return _function(docs[0], got[0], expected[0], dots)


def check(
    function_docs: list[dict[str, Any]],
    expected: list[dict[str, Any]],
    got: list[dict[str, Any]],
    category: str,
    *,
    underscore_names: bool = False,
) -> BfclVerdict:
    """Judge decoded calls ``got`` against BFCL ``expected`` calls for ``category``.

    ``expected`` is the possible answer's ``ground_truth`` (``[{func: {param: [values]}}]``,
    ignored for irrelevance); ``got`` is the decoded model result (``[{func: {param: value}}]``).
    ``underscore_names``: the model saw ``.`` in function names as ``_`` (BFCL does this for
    function-calling models whose APIs forbid dots). Raises :class:`BfclDataError` when the
    docs or answers are unusable (e.g. an expected function has no doc).
    """
    if "irrelevance" in category:
        if is_empty_output(got):
            return BfclVerdict(valid=True)
        return _verdict(
            _Result(
                False,
                "irrelevance_error:decoder_success",
                ["Valid syntax. Successfully decode AST when it should not."],
            )
        )
    if not is_call_list(got):
        return _verdict(
            _Result(
                False,
                "ast_decoder:decoder_wrong_output_format",
                ["Did not output in the specified format: a list of {function: {arguments}}."],
            )
        )
    try:
        result = _dispatch(function_docs, expected, got, category, underscore_names)
    except (KeyError, IndexError, TypeError, StopIteration) as exc:
        raise BfclDataError(f"malformed BFCL function docs or answer: {exc!r}") from None
    return _verdict(result)


def _mapped_type(result: _Result) -> str:
    """The error type used for the LightClaw mapping (a parameter outside the schema marked)."""
    error_type = result.error_type or "unclear"
    return error_type + ":schema" if result.outside_schema else error_type


def _verdict(result: _Result) -> BfclVerdict:
    if result.valid:
        return BfclVerdict(valid=True)
    return BfclVerdict(
        valid=False,
        error_type=result.error_type or "unclear",
        errors=result.errors,
        lightclaw_error=lightclaw_error(_mapped_type(result), result.sub_types),
    )
