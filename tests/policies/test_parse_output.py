"""parse_output: every accepted shape and every error a model can be told about."""

from __future__ import annotations

import json

import pytest

from lightclaw.policies import EMPTY_OUTPUT, ParseResult, parse_output, render_actions
from lightclaw.schema import (
    AskUser,
    FinalAnswer,
    GuiClick,
    GuiGrounding,
    RawOutput,
    SelfCorrection,
    ToolCall,
)


def text(s: str, **kw: bool) -> ParseResult:
    return parse_output(RawOutput(text=s), **kw)


def calls(*items: object) -> ParseResult:
    return parse_output(RawOutput(tool_calls=list(items)))  # type: ignore[arg-type]


def openai_call(name: str, args: object, call_id: str | None = "call_1") -> dict[str, object]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": args}}


def error_of(result: ParseResult) -> str:
    assert result.actions == []
    assert result.error is not None
    return result.error


# ---------------------------------------------------------------- OpenAI tool_calls
def test_openai_tool_call_with_string_arguments() -> None:
    result = calls(openai_call("get_weather", '{"city": "Paris", "days": 3}'))
    assert result.error is None
    assert result.actions == [
        ToolCall(tool="get_weather", arguments={"city": "Paris", "days": 3}, call_id="call_1")
    ]


def test_openai_tool_call_with_dict_arguments() -> None:
    result = calls(openai_call("get_weather", {"city": "Paris"}))
    assert result.actions == [
        ToolCall(tool="get_weather", arguments={"city": "Paris"}, call_id="call_1")
    ]


@pytest.mark.parametrize("args", ["", "   ", None])
def test_empty_or_null_arguments_mean_no_arguments(args: object) -> None:
    assert calls(openai_call("now", args)).actions == [
        ToolCall(tool="now", arguments={}, call_id="call_1")
    ]


def test_missing_arguments_and_id_are_allowed() -> None:
    assert calls({"function": {"name": "now"}}).actions == [ToolCall(tool="now")]


def test_doubly_encoded_arguments_are_decoded() -> None:
    args = json.dumps(json.dumps({"q": "x"}))
    assert calls(openai_call("search", args)).actions[0].arguments == {"q": "x"}  # type: ignore[union-attr]


def test_parallel_tool_calls_keep_order_and_ids() -> None:
    result = calls(
        openai_call("a", '{"x": 1}', "c1"),
        openai_call("b", "{}", "c2"),
        openai_call("a", {"x": 2}, "c3"),
    )
    assert [(a.tool, a.arguments, a.call_id) for a in result.actions] == [  # type: ignore[union-attr]
        ("a", {"x": 1}, "c1"),
        ("b", {}, "c2"),
        ("a", {"x": 2}, "c3"),
    ]


def test_tool_calls_win_over_text() -> None:
    raw = RawOutput(text='{"final_answer": 1}', tool_calls=[openai_call("a", "{}")])
    assert parse_output(raw).actions == [ToolCall(tool="a", call_id="call_1")]


def test_empty_tool_calls_list_falls_back_to_text() -> None:
    raw = RawOutput(text='{"final_answer": 1}', tool_calls=[])
    assert parse_output(raw).actions == [FinalAnswer(content=1)]


def test_bad_json_arguments_name_the_index_and_position() -> None:
    err = error_of(calls(openai_call("a", "{}"), openai_call("b", '{"x": 1 "y": 2}')))
    assert err.startswith("tool_calls[1]: arguments are not valid JSON")
    assert "Expecting ',' delimiter at line 1 column 9" in err
    assert '{"x": 1 "y": 2}' in err


@pytest.mark.parametrize(
    ("args", "got"),
    [("[1, 2]", "a list"), ('"hello"', "a string"), ("3", "a number"), (7, "a number")],
)
def test_non_object_arguments_are_an_error(args: object, got: str) -> None:
    err = error_of(calls(openai_call("a", args)))
    assert err.startswith("tool_calls[0]: arguments must be a JSON object")
    assert got in err


@pytest.mark.parametrize(
    ("item", "needle"),
    [
        ({"type": "function", "function": {"arguments": "{}"}}, "tool name must be a string"),
        ({"function": {"name": 42, "arguments": "{}"}}, "tool name must be a string"),
        ({"function": {"name": "  ", "arguments": "{}"}}, "tool name is empty"),
        ({"function": "a"}, "function must be an object"),
        ({"type": "custom", "function": {"name": "a"}}, "unsupported call type"),
        ({"id": ["x"], "function": {"name": "a"}}, "id must be a string"),
        ("a()", "is not a tool call object"),
        (None, "is not a tool call object"),
    ],
)
def test_malformed_tool_call_items(item: object, needle: str) -> None:
    err = error_of(calls(openai_call("ok", "{}"), item))
    assert err.startswith("tool_calls[1]")
    assert needle in err


# ---------------------------------------------------------------- JSON in text
def test_bare_json_tool_call() -> None:
    assert text('{"tool": "search", "arguments": {"q": "lightclaw"}}').actions == [
        ToolCall(tool="search", arguments={"q": "lightclaw"})
    ]


@pytest.mark.parametrize("fence", ["```json", "```", "```JSON", "``` json"])
def test_fenced_json(fence: str) -> None:
    out = f'Let me look that up.\n{fence}\n{{"name": "search", "arguments": {{"q": "x"}}}}\n```\n'
    assert text(out).actions == [ToolCall(tool="search", arguments={"q": "x"})]


def test_first_fenced_block_that_parses_wins() -> None:
    out = '```python\nprint(\'hi\')\n```\n```json\n{"tool": "a"}\n```\n```json\n{"tool": "b"}\n```'
    assert text(out).actions == [ToolCall(tool="a")]


def test_json_embedded_in_prose() -> None:
    out = 'Thought: I need the weather [step 1]. Action: {"tool": "weather", "arguments": {}} ok?'
    assert text(out).actions == [ToolCall(tool="weather")]


def test_hermes_style_tool_call_tags() -> None:
    out = '<tool_call>\n{"name": "add", "arguments": {"a": 1, "b": 2}}\n</tool_call>'
    assert text(out).actions == [ToolCall(tool="add", arguments={"a": 1, "b": 2})]


@pytest.mark.parametrize("key", ["arguments", "parameters"])
def test_name_shape_with_string_or_object_arguments(key: str) -> None:
    assert text(json.dumps({"name": "f", key: '{"a": 1}'})).actions == [
        ToolCall(tool="f", arguments={"a": 1})
    ]
    assert text(json.dumps({"name": "f", key: {"a": 1}})).actions == [
        ToolCall(tool="f", arguments={"a": 1})
    ]


def test_name_without_arguments_is_not_a_tool_call() -> None:
    err = error_of(text('{"name": "Alice", "age": 31}'))
    assert err.startswith("JSON does not describe an action")


def test_tool_calls_object_with_openai_and_simple_items() -> None:
    out = json.dumps(
        {"tool_calls": [openai_call("a", '{"x": 1}'), {"tool": "b", "arguments": {"y": 2}}]}
    )
    assert text(out).actions == [
        ToolCall(tool="a", arguments={"x": 1}, call_id="call_1"),
        ToolCall(tool="b", arguments={"y": 2}),
    ]


def test_whitespace_separated_objects_are_parallel_calls() -> None:
    out = '{"tool": "a", "arguments": {}}\n{"tool": "b", "arguments": {"k": 1}}'
    assert text(out).actions == [ToolCall(tool="a"), ToolCall(tool="b", arguments={"k": 1})]


@pytest.mark.parametrize("key", ["final_answer", "answer"])
def test_final_answer_shapes(key: str) -> None:
    assert text(json.dumps({key: {"total": 42}})).actions == [FinalAnswer(content={"total": 42})]


def test_ask_user_shape() -> None:
    assert text('{"ask_user": "Which city?"}').actions == [AskUser(question="Which city?")]


def test_kind_discriminated_actions() -> None:
    out = json.dumps(
        [
            {"kind": "tool_call", "tool": "a", "arguments": {"x": 1}, "call_id": "k1"},
            {"kind": "ask_user", "question": "ok?"},
            {"kind": "gui_click", "x": 10, "y": 20.5, "element_id": "btn"},
            {"kind": "gui_grounding", "instruction": "the OK button", "bbox": [0, 0, 5, 5]},
            {"kind": "final_answer", "content": "done"},
        ]
    )
    assert text(out).actions == [
        ToolCall(tool="a", arguments={"x": 1}, call_id="k1"),
        AskUser(question="ok?"),
        GuiClick(x=10, y=20.5, element_id="btn"),
        GuiGrounding(instruction="the OK button", bbox=(0, 0, 5, 5)),
        FinalAnswer(content="done"),
    ]


def test_self_correction_with_nested_revised() -> None:
    out = json.dumps(
        {
            "kind": "self_correction",
            "corrects_step": 2,
            "reason": "the date was wrong",
            "revised": {"kind": "tool_call", "tool": "book", "arguments": '{"date": "2024-05-01"}'},
        }
    )
    assert text(out).actions == [
        SelfCorrection(
            corrects_step=2,
            reason="the date was wrong",
            revised=ToolCall(tool="book", arguments={"date": "2024-05-01"}),
        )
    ]


def test_mixed_shapes_in_a_list() -> None:
    out = '[{"tool": "a"}, {"kind": "gui_click", "x": 1, "y": 2}, {"final_answer": "ok"}]'
    assert text(out).actions == [ToolCall(tool="a"), GuiClick(x=1, y=2), FinalAnswer(content="ok")]


def test_render_actions_round_trips() -> None:
    actions = [
        ToolCall(tool="a", arguments={"x": [1, {"y": None}]}, call_id="c"),
        SelfCorrection(
            corrects_step=0, reason="r", revised=GuiGrounding(instruction="i", point=(1, 2))
        ),
        FinalAnswer(content={"a": 1.5}),
    ]
    assert text(render_actions(actions)).actions == actions
    assert text(render_actions(actions[:1])).actions == actions[:1]


# ---------------------------------------------------------------- errors in text
def test_bad_json_reports_decoder_message_and_position() -> None:
    err = error_of(text('{"tool": "search" "arguments": {}}'))
    assert err == (
        "could not parse JSON: Expecting ',' delimiter at line 1 column 19 in: "
        '{"tool": "search" "arguments": {}}'
    )


def test_truncated_json_is_an_error_even_when_text_is_an_answer() -> None:
    err = error_of(text('{"tool": "search", "arguments": {"q": "abc', text_is_final_answer=True))
    assert err.startswith("could not parse JSON: Unterminated string starting at line 1 column 39")


def test_broken_json_fence_is_an_error() -> None:
    err = error_of(text('Here:\n```json\n{"tool": "a",}\n```'))
    with pytest.raises(json.JSONDecodeError) as decoded:  # the json module's own words, which
        json.loads('{"tool": "a",}')  # Python 3.13 changed ("Illegal trailing comma ...")
    assert err.startswith(f"could not parse JSON: {decoded.value.msg}")


def test_unknown_kind_lists_the_valid_kinds() -> None:
    err = error_of(text('{"kind": "teleport", "to": "mars"}'))
    assert err.startswith('unknown action kind "teleport"; expected one of: tool_call, ask_user')


@pytest.mark.parametrize(
    ("out", "needle"),
    [
        (
            '{"kind": "tool_call", "arguments": {}}',
            "invalid tool_call action: field 'tool': Field required",
        ),
        ('{"kind": "gui_click", "x": "left", "y": 1}', "field 'x'"),
        ('{"kind": "ask_user", "question": "q", "extra": 1}', "field 'extra': Extra inputs"),
        (
            '{"kind": "self_correction", "corrects_step": 0, "reason": "r", '
            '"revised": {"kind": "tool_call"}}',
            "field 'revised.tool': Field required",
        ),
        (
            '{"kind": "self_correction", "corrects_step": -1, "reason": "r", '
            '"revised": {"kind": "final_answer", "content": 1}}',
            "field 'corrects_step'",
        ),
    ],
)
def test_validation_errors_name_the_field(out: str, needle: str) -> None:
    assert needle in error_of(text(out))


def test_list_item_errors_name_the_item() -> None:
    err = error_of(text('[{"tool": "a"}, {"kind": "gui_click", "x": 1}]'))
    assert err.startswith("item 1: invalid gui_click action: field 'y': Field required")
    err = error_of(text('[{"tool": "a"}, 3]'))
    assert err.startswith("item 1 of the action list is not an object")


def test_non_object_arguments_in_text_are_an_error() -> None:
    err = error_of(text('{"tool": "a", "arguments": [1, 2]}'))
    assert "arguments must be a JSON object, got a list" in err


def test_unrecognised_json_lists_accepted_shapes() -> None:
    err = error_of(text('{"city": "Paris", "temp": 21}'))
    assert err.startswith("JSON does not describe an action: expected an action object")
    assert '{"tool_calls": [...]}' in err
    assert err.endswith('got: {"city": "Paris", "temp": 21}')


def test_ambiguous_object_is_an_error() -> None:
    err = error_of(text('{"tool": "a", "final_answer": "b"}'))
    assert "ambiguous action object" in err


def test_ask_user_must_be_a_string() -> None:
    assert "ask_user must be a string" in error_of(text('{"ask_user": ["a", "b"]}'))


def test_nan_is_rejected() -> None:
    assert "NaN is not valid JSON" in error_of(text('{"final_answer": NaN}'))


@pytest.mark.parametrize("out", ["", "   \n\t "])
def test_empty_output(out: str) -> None:
    assert error_of(text(out)) == EMPTY_OUTPUT
    assert error_of(text(out, text_is_final_answer=True)) == EMPTY_OUTPUT
    assert error_of(parse_output(RawOutput())) == EMPTY_OUTPUT


def test_prose_without_json() -> None:
    assert error_of(text("I think the answer is Paris.")) == (
        "no JSON action found in output: I think the answer is Paris."
    )


def test_prose_with_broken_braces_says_why() -> None:
    err = error_of(text("Calling {tool: search} now"))
    assert err.startswith("no JSON action found in output (JSON in it does not parse: Expecting")


def test_error_quotes_are_short() -> None:
    long_text = "x" * 10_000
    err = error_of(text(long_text))
    assert len(err) < 200
    err = error_of(text('{"tool": "a", "arguments": {"q": "' + "y" * 5000 + '" oops}}'))
    assert len(err) < 250
    assert "oops" in err  # the quote is taken around the error position


# ---------------------------------------------------------------- text_is_final_answer
def test_text_is_final_answer_for_prose() -> None:
    result = text("  The capital is Paris.  ", text_is_final_answer=True)
    assert result.actions == [FinalAnswer(content="The capital is Paris.")]


def test_text_is_final_answer_keeps_prose_with_braces_and_plain_json() -> None:
    assert text("The set {1, 2} has two items", text_is_final_answer=True).actions == [
        FinalAnswer(content="The set {1, 2} has two items")
    ]
    assert text('{"city": "Paris"}', text_is_final_answer=True).actions == [
        FinalAnswer(content='{"city": "Paris"}')
    ]


def test_text_is_final_answer_still_parses_actions() -> None:
    assert text('{"tool": "a"}', text_is_final_answer=True).actions == [ToolCall(tool="a")]
