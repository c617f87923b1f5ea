"""Decoding BFCL result lines as BFCL's handlers do (``decode_result``)."""

from __future__ import annotations

from typing import Any

import pytest

from lightclaw.suites.bfcl_types import decode_result, is_function_calling_result


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[f(a=5)]", {"a": 5}),
        ("f(a=-5)", {"a": -5}),
        # BFCL negates a unary operator's constant whatever the operator.
        ("[f(a=+5)]", {"a": -5}),
        ("[f(a=not True)]", {"a": -1}),
        # Arithmetic is evaluated as Python would (BFCL eval()s it), on literals only.
        ("[f(a='New ' + 'York')]", {"a": "New York"}),
        ("[f(a=(4 - 1) * 2 / 2 + 1)]", {"a": 4.0}),
        ("[f(a=2 ** 10, b=-(3) + 1)]", {"a": 1024, "b": -2}),
        ("[f(a=[1] * 3)]", {"a": [1, 1, 1]}),
        ("[f(a={'x': 1} | {'y': 2})]", {"a": {"x": 1, "y": 2}}),
        # Names and calls without keywords read as their text; a subscript as BFCL writes it.
        ("[f(a=user_input, b=str(5))]", {"a": "user_input", "b": "str(5)"}),
        ("[f(a=inputs[0, 1])]", {"a": "inputs[(0, 1)]"}),
        ("```\nf(a=...)\n```", {"a": "..."}),
    ],
)
def test_python_syntax_values(text: str, expected: dict[str, Any]) -> None:
    assert decode_result(text) == [{"f": expected}]


@pytest.mark.parametrize(
    "text",
    [
        "[f(a=-user_input)]",  # was a TypeError (a crash on model output)
        "[f(a=- -5)]",
        "[f(a=-'x')]",
        "[f(a={[1]: 2})]",  # unhashable key: was a TypeError
        "[f(a={**defaults})]",
        "[f(a=1 / 0)]",
        "[f(a=x + 1)]",
        "[f(a=2 ** 10 ** 10)]",
        "[f(a='x' * 10 ** 9)]",
        "[f(a=1), 2]",
        "[f(a=1",
        "[f(a=" + "-" * 100_000 + "5)]",  # was a MemoryError in the parser
    ],
)
def test_python_syntax_that_does_not_decode(text: str) -> None:
    with pytest.raises(ValueError):
        decode_result(text)


def test_function_calling_shape() -> None:
    fc = [{"math_hypot": '{"x": 4, "y": 5}', "id": "call_1"}]
    assert is_function_calling_result(fc)
    assert not is_function_calling_result([{"math_hypot": {"x": 4}}])
    assert not is_function_calling_result("[math.hypot(x=4)]")
    # BFCL's function-calling decoder reads each item's first key; extra keys are ignored.
    assert decode_result(fc) == [{"math_hypot": {"x": 4, "y": 5}}]
    assert decode_result([{"f": "[1, 2]"}]) == [{"f": [1, 2]}]  # judged by the format check
    assert decode_result([{"f": {"x": 4}}]) == [{"f": {"x": 4}}]  # LightClaw's decoded shape
    for bad in ([{"f": '{"x": 4'}], [{"f": "{}"}, {}], [["f"]], [{"f": 4}], [{"f": {}, "g": {}}]):
        with pytest.raises(ValueError):
            decode_result(bad)


def test_function_calling_text_answers() -> None:
    assert decode_result("[f(a=1)]") == [{"f": {"a": 1}}]
    with pytest.raises(ValueError, match="text answer"):
        decode_result("[f(a=1)]", function_calling=True)
    assert decode_result("", function_calling=True) == []
