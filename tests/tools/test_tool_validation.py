"""Argument validation: the same schema checks arguments; issues come in a closed vocabulary."""

import enum
import json
from typing import Annotated, Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field

from lightclaw.schema import ArgIssue, ErrorType
from lightclaw.tools import ArgumentsInvalid, tool

Unit = Literal["km", "mi"]


class Size(enum.Enum):
    SMALL = "s"
    LARGE = "l"


class Line(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str
    qty: Annotated[int, Field(ge=1)]


@tool
def convert_units(value: float, from_unit: Unit, to_unit: Unit) -> float:
    """Convert a distance between units."""
    factor = {"km": 1.0, "mi": 1.609344}
    return value * factor[from_unit] / factor[to_unit]


@tool
def order(
    lines: list[Line],
    size: Size = Size.SMALL,
    count: Annotated[int, Field(ge=1, le=10)] = 1,
    note: Annotated[str, Field(max_length=5)] = "",
    gift: bool = False,
) -> str:
    """Place an order."""
    return f"{len(lines)} {size.value} {count} {gift}"


def _issues(arguments: object, target: Any = order) -> list[ArgIssue]:
    with pytest.raises(ArgumentsInvalid) as info:
        target.validate(arguments)
    return info.value.issues


def _kinds(arguments: object, target: Any = order) -> dict[str, str]:
    return {issue.loc: issue.kind for issue in _issues(arguments, target)}


def test_valid_arguments_become_call_kwargs() -> None:
    kwargs = order.validate({"lines": [{"sku": "a", "qty": 2}], "size": "l", "gift": True})
    assert kwargs == {
        "lines": [Line(sku="a", qty=2)],
        "size": Size.LARGE,
        "count": 1,
        "note": "",
        "gift": True,
    }
    assert order(**kwargs) == "1 l 1 True"


def test_int_is_accepted_for_float() -> None:
    kwargs = convert_units.validate({"value": 1, "from_unit": "mi", "to_unit": "km"})
    assert kwargs == {"value": 1.0, "from_unit": "mi", "to_unit": "km"}
    assert convert_units(**kwargs) == pytest.approx(1.609344)


def test_missing_and_unexpected() -> None:
    assert _kinds({"size": "s", "colour": "red"}) == {"lines": "missing", "colour": "unexpected"}


@pytest.mark.parametrize(
    ("arguments", "loc"),
    [
        ({"lines": [], "count": "3"}, "count"),  # a numeric string is not an int
        ({"lines": [], "count": 1.5}, "count"),  # a float is not an int
        ({"lines": [], "gift": "x"}, "gift"),
        ({"lines": [], "gift": 1}, "gift"),
        ({"lines": {"sku": "a"}}, "lines"),
        ({"lines": ["a"]}, "lines.0"),
        ({"lines": [{"sku": 7, "qty": 1}]}, "lines.0.sku"),
    ],
)
def test_wrong_type(arguments: dict[str, Any], loc: str) -> None:
    assert _kinds(arguments) == {loc: "wrong_type"}


def test_enum_for_literal_and_enum() -> None:
    assert _kinds({"lines": [], "size": "medium"}) == {"size": "enum"}
    assert _kinds({"value": 1, "from_unit": "miles", "to_unit": "km"}, convert_units) == {
        "from_unit": "enum"
    }


def test_range_for_bounds_and_lengths_including_nested_loc() -> None:
    assert _kinds({"lines": [], "count": 0}) == {"count": "range"}
    assert _kinds({"lines": [], "count": 11}) == {"count": "range"}
    assert _kinds({"lines": [], "note": "too long"}) == {"note": "range"}
    assert _kinds({"lines": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 0}]}) == {
        "lines.1.qty": "range"
    }


def test_nested_missing_and_unexpected_locs() -> None:
    # the nested model forbids extra keys, and its schema says so
    assert order.parameters["$defs"]["Line"]["additionalProperties"] is False
    assert _kinds({"lines": [{"qty": 1, "color": "red"}]}) == {
        "lines.0.sku": "missing",
        "lines.0.color": "unexpected",
    }


def test_not_an_object() -> None:
    for arguments in (["a"], "lines", None, 3):
        issues = _issues(arguments)
        assert [(i.kind, i.loc) for i in issues] == [("wrong_type", "")]


def test_issue_carries_message_and_short_input() -> None:
    [issue] = _issues({"lines": [], "note": "x" * 500})
    assert issue.message == "String should have at most 5 characters"
    assert issue.input is not None and len(issue.input) <= 80
    assert issue.input.startswith("'xxx")
    [missing] = _issues({})
    assert missing.input is None


def test_message_is_actionable() -> None:
    with pytest.raises(ArgumentsInvalid) as info:
        convert_units.validate({"from_unit": "miles", "to_unit": "km", "precision": 2})
    error = info.value
    assert error.tool == "convert_units"
    assert error.error_type is ErrorType.WRONG_ARGS
    assert (
        str(error)
        == error.message()
        == (
            "wrong arguments for convert_units: missing required argument 'value'; "
            "'from_unit' must be one of 'km', 'mi' (got 'miles'); unexpected argument 'precision'. "
            "Accepted arguments: 'value', 'from_unit', 'to_unit'."
        )
    )


def test_message_for_types_ranges_and_non_objects() -> None:
    with pytest.raises(ArgumentsInvalid) as info:
        order.validate({"lines": [{"sku": "a", "qty": 0}], "count": "3"})
    assert str(info.value) == (
        "wrong arguments for order: 'lines.0.qty' must be greater than or equal to 1 (got 0); "
        "'count' must be a valid integer (got '3')."
    )
    with pytest.raises(ArgumentsInvalid, match=r"the arguments must be an object \(got \[1\]\)"):
        order.validate([1])


def test_arguments_that_are_not_json_are_invalid_not_a_crash() -> None:
    assert _kinds({"lines": [], "note": object()}) == {"": "invalid"}


def test_validated_kwargs_are_independent_of_the_input() -> None:
    raw = {"lines": [{"sku": "a", "qty": 1}]}
    kwargs = order.validate(raw)
    kwargs["lines"].append(Line(sku="b", qty=1))
    assert raw == {"lines": [{"sku": "a", "qty": 1}]}


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)
_keys = st.sampled_from(["lines", "size", "count", "note", "gift", "sku", "qty", "other"])
_lines = st.lists(st.fixed_dictionaries({"sku": st.text(max_size=3), "qty": st.integers(-1, 3)}))
_values = _json | _lines | st.sampled_from(["s", "l", 1, 10, 11])


@settings(deadline=None)
@given(st.dictionaries(_keys, _values, max_size=6) | _json)
def test_any_json_input_gives_kwargs_or_arguments_invalid(arguments: Any) -> None:
    try:
        kwargs = order.validate(arguments)
    except ArgumentsInvalid as error:
        assert error.issues
        assert error.message().startswith("wrong arguments for order: ")
        for issue in error.issues:
            assert issue.input is None or len(issue.input) <= 80
    else:
        assert set(kwargs) == {"lines", "size", "count", "note", "gift"}
        assert isinstance(arguments, dict) and set(arguments) <= set(kwargs)
        json.dumps(arguments)
        order(**kwargs)
