"""parse_output and normalize_output never raise, whatever a model (or a broken server) emits."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lightclaw.policies import ParseResult, normalize_output, parse_output, render_actions
from lightclaw.schema import FinalAnswer, GuiClick, RawOutput, SelfCorrection, ToolCall

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=25,
)

# Items that look like tool calls, with every field possibly wrong.
call_items = st.fixed_dictionaries(
    {},
    optional={
        "id": json_values,
        "type": st.sampled_from(["function", "custom"]) | json_values,
        "function": st.fixed_dictionaries(
            {},
            optional={
                "name": st.text(max_size=10) | json_values,
                "arguments": json_values | json_values.map(json.dumps) | st.text(max_size=30),
            },
        )
        | json_values,
        "tool": st.text(max_size=10),
        "arguments": json_values,
    },
)

VALID = [
    '{"tool": "search", "arguments": {"q": "a b", "n": [1, 2, {"x": null}]}}',
    'Sure.\n```json\n[{"kind": "gui_click", "x": 1, "y": 2}, {"final_answer": "ok"}]\n```',
    '{"tool_calls": [{"id": "c", "type": "function", '
    '"function": {"name": "a", "arguments": "{\\"k\\": 1}"}}]}',
    render_actions(
        [
            SelfCorrection(
                corrects_step=1, reason="r", revised=ToolCall(tool="t", arguments={"a": 1})
            ),
            FinalAnswer(content=[1, "two", {"three": 3.0}]),
        ]
    ),
]


def assert_well_formed(result: ParseResult) -> None:
    assert isinstance(result, ParseResult)
    assert (result.error is None) != (result.actions == [])
    if result.error is not None:
        assert result.error.strip()
        assert len(result.error) < 1200


@given(st.text())
def test_arbitrary_text_never_raises(s: str) -> None:
    assert_well_formed(parse_output(RawOutput(text=s)))
    assert_well_formed(parse_output(RawOutput(text=s), text_is_final_answer=True))


TOKENS = [
    "{", "}", "[", "]", '"', ":", ",", " ", "\n", "```", "```json\n", "NaN", "null", "1", "-",
    '"kind"', '"tool_call"', '"tool"', '"name"', '"arguments"', '"parameters"', '"tool_calls"',
    '"function"', '"final_answer"', '"answer"', '"ask_user"', '"revised"', '"self_correction"',
    '"x"', '"{}"', '"{\\"a\\": 1}"', "Thought:", "\\",
]  # fmt: skip


@given(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))
def test_json_like_token_soup_never_raises(s: str) -> None:
    assert_well_formed(parse_output(RawOutput(text=s)))
    assert_well_formed(parse_output(RawOutput(text=s), text_is_final_answer=True))


@given(st.lists(json_values | call_items, max_size=4))
def test_arbitrary_tool_call_items_never_raise(items: list[Any]) -> None:
    assert_well_formed(parse_output(RawOutput(tool_calls=items)))


@given(json_values | call_items | st.lists(call_items, max_size=3))
def test_arbitrary_json_as_text_never_raises(value: Any) -> None:
    out = json.dumps(value)
    assert_well_formed(parse_output(RawOutput(text=out)))
    assert_well_formed(parse_output(RawOutput(text=f"Answer:\n```json\n{out}\n```")))


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(VALID), st.integers(0, 400), st.integers(0, 400), st.text(max_size=5))
def test_random_slices_of_valid_outputs_never_raise(out: str, a: int, b: int, junk: str) -> None:
    sliced = out[min(a, b) : max(a, b)]
    assert_well_formed(parse_output(RawOutput(text=sliced)))
    assert_well_formed(parse_output(RawOutput(text=sliced + junk + out[max(a, b) :])))


def test_valid_fixtures_parse() -> None:
    for out in VALID:
        assert parse_output(RawOutput(text=out)).error is None, out


def test_deeply_nested_json_is_an_error_not_a_crash() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    assert_well_formed(parse_output(RawOutput(text=deep)))
    deep_answer = '{"final_answer": ' + "[" * 900 + "]" * 900 + "}"
    result = parse_output(RawOutput(text=deep_answer))
    assert result.error is not None and "final answer" in result.error
    nested: Any = {}
    for _ in range(100):
        nested = {"a": nested}
    result = parse_output(RawOutput(tool_calls=[{"function": {"name": "f", "arguments": nested}}]))
    assert result.actions == [ToolCall(tool="f", arguments=nested)]
    for _ in range(1000):  # deeper than RawOutput can hold: normalize_output falls back to text
        nested = {"a": nested}
    raw = normalize_output({"content": None, "tool_calls": [nested]})
    assert raw.tool_calls is None and raw.text is not None
    assert_well_formed(parse_output(raw))


def test_huge_outputs_are_handled() -> None:
    for out in ["{" * 1_000_000, '{"a": "' + "x" * 1_000_000, "word " * 200_000, "`" * 500_000]:
        assert_well_formed(parse_output(RawOutput(text=out)))
    # a valid action after a long preamble is still found
    out = "thinking... " * 5_000 + '{"kind": "gui_click", "x": 3, "y": 4}'
    assert parse_output(RawOutput(text=out)).actions == [GuiClick(x=3, y=4)]


class _Weird:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


@given(json_values)
def test_normalize_output_keeps_odd_content(value: Any) -> None:
    raw = normalize_output({"content": value, "tool_calls": None})
    assert isinstance(raw, RawOutput)
    assert_well_formed(parse_output(raw))


def test_normalize_output_never_raises_on_hostile_values() -> None:
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    for out in [
        {"content": _Weird()},
        {"content": None, "tool_calls": cyclic},
        {"content": float("nan")},
        {(1, 2): "tuple key", "content": "x"},
        _Weird(),
        None,
        12,
    ]:
        raw = normalize_output(out)  # type: ignore[arg-type]
        assert isinstance(raw, RawOutput)
        assert_well_formed(parse_output(raw))
