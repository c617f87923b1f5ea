"""The ground-truth judge: BFCL-style call matching, answers, final state and outcomes."""

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lightclaw.schema import CallRecord, Episode, ErrorType, ExpectedCall, RawOutput, Step, Task
from lightclaw.verify import Verdict, argument_problems, judge, values_equal
from lightclaw.verify.ground_truth import standardize, state_difference


def make_task(expected_calls: list[dict[str, Any]], **changes: Any) -> Task:
    data: dict[str, Any] = {
        "id": "t",
        "prompt": "p",
        "tools": sorted({call["tool"] for call in expected_calls} | {"noop"}),
        "expected_calls": expected_calls,
        "oracle": [[{"kind": "final_answer", "content": "done"}]],
    }
    data.update(changes)
    return Task.model_validate(data)


def call(tool: str, status: str = "ok", **arguments: Any) -> CallRecord:
    error = ErrorType.TOOL_ERROR if status == "error" else None
    message = "boom: not found" if status == "error" else None
    return CallRecord(
        index=0,
        call_id="c",
        tool=tool,
        arguments=arguments,
        status=status,  # type: ignore[arg-type]
        error_type=error,
        error_message=message,
    )


def episode(
    *steps: list[CallRecord],
    answer: Any = "done",
    outcome: str = "final_answer",
    state: dict[str, Any] | None = None,
) -> Episode:
    return Episode(
        id="e",
        run_id="r",
        task_id="t",
        suite="custom",
        policy="test",
        seed=0,
        outcome=outcome,  # type: ignore[arg-type]
        final_answer=answer,
        final_state=state,
        steps=[
            Step(index=i, observation=[], raw_output=RawOutput(text=""), calls=calls)
            for i, calls in enumerate(steps)
        ],
        started_at=datetime(2026, 3, 2, tzinfo=UTC),
    )


WEATHER = {"tool": "get_weather", "arguments": {"city": ["New York, NY", "NYC"], "unit": ["", "c"]}}
TIME = {"tool": "get_time", "arguments": {"zone": ["America/New_York"]}}


def test_matching_calls_succeed_in_any_order_across_steps() -> None:
    task = make_task([WEATHER, TIME])
    got = episode(
        [call("get_time", zone="america/new_york")], [call("get_weather", city="new york ny")]
    )
    verdict = judge(task, got)
    assert verdict == Verdict(success=True, message="passed: 2 expected calls")


def test_calls_ordered_rejects_the_wrong_order() -> None:
    task = make_task([WEATHER, TIME], calls_ordered=True)
    swapped = episode([call("get_time", zone="America/New_York"), call("get_weather", city="NYC")])
    verdict = judge(task, swapped)
    assert verdict.error_type == ErrorType.WRONG_TOOL
    assert "out of the expected order" in verdict.message
    in_order = episode(
        [call("get_weather", city="NYC")], [call("get_time", zone="America/New_York")]
    )
    assert judge(task, in_order).success


def test_wrong_tool_names_expected_and_got() -> None:
    verdict = judge(make_task([TIME]), episode([call("get_weather", city="NYC")]))
    assert verdict.error_type == ErrorType.WRONG_TOOL
    assert verdict.message == (
        "expected a call to get_time(zone='America/New_York'); got get_weather"
    )
    nothing = judge(make_task([TIME]), episode())
    assert nothing.message.endswith("got no other tool call")


def test_semantic_wrong_args_names_parameter_value_and_acceptable_values() -> None:
    verdict = judge(make_task([WEATHER]), episode([call("get_weather", city="Boston", unit="c")]))
    assert verdict.error_type == ErrorType.SEMANTIC_WRONG_ARGS
    assert verdict.message == (
        "get_weather: argument 'city' is 'Boston'; acceptable: 'New York, NY', 'NYC'"
    )


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"city": "NYC"}, None),
        ({"city": "NYC", "unit": None}, None),
        ({"city": "NYC", "unit": "C"}, None),
        ({"unit": "c"}, "argument 'city' is missing; acceptable: 'New York, NY', 'NYC'"),
        ({"city": "NYC", "unit": "f"}, "argument 'unit' is 'f'; acceptable: (omitted), 'c'"),
        ({"city": "NYC", "days": 3}, "unexpected argument 'days' = 3"),
        ({"city": None}, "argument 'city' is None; acceptable: 'New York, NY', 'NYC'"),
    ],
)
def test_argument_rules(arguments: dict[str, Any], problem: str | None) -> None:
    problems = argument_problems(ExpectedCall.model_validate(WEATHER), arguments)
    assert problems == ([] if problem is None else [problem])


@pytest.mark.parametrize(
    ("got", "acceptable", "equal"),
    [
        ("New York, NY", "new york ny", True),
        ("2026-03-05", "20260305", True),
        ("a_b*c^d/e.f", "ABCDEF", True),
        ("Paris", "paris!", False),
        (5, 5.0, True),
        (5.5, 5, False),
        (True, 1, False),
        (True, True, True),
        (None, None, True),
        ("5", 5, False),
        (["A", "b"], ["a", "B"], True),
        (["a", "b"], ["b", "a"], False),
        ({"minutes": 15, "channel": "Email"}, {"channel": "email", "minutes": 15.0}, True),
        ({"minutes": 15}, {"minutes": 15, "channel": "popup"}, False),
    ],
)
def test_values_equal(got: Any, acceptable: Any, equal: bool) -> None:
    assert values_equal(got, acceptable) is equal


def test_each_expected_call_needs_its_own_call() -> None:
    twice = make_task([TIME, TIME])
    verdict = judge(twice, episode([call("get_time", zone="America/New_York")]))
    assert verdict.error_type == ErrorType.WRONG_TOOL
    assert "all 1 calls to get_time match other expected calls" in verdict.message
    both = episode([call("get_time", zone="America/New_York")] * 2)
    assert judge(twice, both).success


def test_matching_is_maximal_not_greedy() -> None:
    wide = {"tool": "pick", "arguments": {"x": ["a", "b"]}}
    narrow = {"tool": "pick", "arguments": {"x": ["a"]}}
    got = episode([call("pick", x="a"), call("pick", x="b")])
    assert judge(make_task([wide, narrow]), got).success


def test_failed_calls_do_not_count() -> None:
    verdict = judge(
        make_task([TIME]), episode([call("get_time", "error", zone="America/New_York")])
    )
    assert not verdict.success
    assert verdict.error_type == ErrorType.TOOL_ERROR
    assert "failed: boom: not found" in verdict.message
    retried = episode(
        [call("get_time", "error", zone="Mars")], [call("get_time", zone="America/New_York")]
    )
    assert judge(make_task([TIME]), retried).success


def test_closest_call_is_diagnosed() -> None:
    expected = {"tool": "book", "arguments": {"a": [1], "b": [2], "c": [3]}}
    got = episode([call("book", a=9, b=9, c=9), call("book", a=1, b=2, c=4)])
    verdict = judge(make_task([expected]), got)
    assert verdict.message == "book: argument 'c' is 4; acceptable: 3"


@pytest.mark.parametrize(
    ("outcome", "error_type"),
    [("max_steps", ErrorType.MAX_STEPS), ("model_error", ErrorType.MODEL_ERROR)],
)
def test_unfinished_episodes_carry_their_runtime_error(outcome: str, error_type: ErrorType) -> None:
    verdict = judge(make_task([]), episode(outcome=outcome))
    assert verdict == Verdict(
        success=False,
        error_type=error_type,
        message=f"the episode ended with {outcome}, not a final answer",
    )


def test_needs_user_has_no_error_type() -> None:
    verdict = judge(make_task([]), episode(outcome="needs_user"))
    assert not verdict.success
    assert verdict.error_type is None
    assert "needs_user" in verdict.message


def test_expected_answer_is_checked_after_calls() -> None:
    task = make_task([TIME], expected_answer=42, answer_match="numeric")
    right = [call("get_time", zone="America/New_York")]
    assert judge(task, episode(right, answer="It is 42.")).success
    wrong = judge(task, episode(right, answer="It is 41."))
    assert wrong.error_type == ErrorType.WRONG_ANSWER
    assert wrong.message == "final answer 'It is 41.' does not match '42' (numeric)"
    assert judge(task, episode(answer="It is 41.")).error_type == ErrorType.WRONG_TOOL


def test_expected_state_must_equal_the_final_state() -> None:
    done = [{"id": "t1", "done": True}]
    expected = {"kv": {"a": 1, "b": [1, 2]}, "todos": done}
    task = make_task([], expected_state=expected)
    assert judge(task, episode(state={"kv": {"a": 1.0, "b": [1, 2]}, "todos": done})).success
    open_todo = [{"id": "t1", "done": False}]
    cases = {
        "state.todos[0].done is False; expected True": {"kv": expected["kv"], "todos": open_todo},
        "state.kv.b has 1 items; expected 2": {"kv": {"a": 1, "b": [1]}, "todos": done},
        "state.kv.c is unexpected (3)": {"kv": {"a": 1, "b": [1, 2], "c": 3}, "todos": done},
        "state.todos is missing (expected [{'id': 't1', 'done': True}])": {"kv": expected["kv"]},
    }
    for message, state in cases.items():
        verdict = judge(task, episode(state=state))
        assert verdict.error_type == ErrorType.WRONG_ANSWER
        assert verdict.message == f"final state differs: {message}"
    missing = judge(task, episode(state=None))
    assert missing.message == "final state differs: the episode recorded no final state"


def test_state_difference_is_strict_about_booleans() -> None:
    assert state_difference({"done": True}, {"done": 1}) == "state.done is 1; expected True"
    assert state_difference([1, "a"], [1.0, "a"]) is None


def test_verdict_round_trips_as_json() -> None:
    verdict = Verdict(success=False, error_type=ErrorType.WRONG_TOOL, message="m")
    assert Verdict.model_validate_json(verdict.model_dump_json()) == verdict


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


@given(JSON)
def test_every_value_equals_itself(value: Any) -> None:
    assert values_equal(value, value)
    assert state_difference(value, value) is None


@given(st.text())
def test_standardize_is_idempotent(text: str) -> None:
    assert standardize(standardize(text)) == standardize(text)
