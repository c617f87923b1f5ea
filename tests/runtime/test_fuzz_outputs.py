"""Any model output at all becomes a recorded step, never an exception."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from runtime_helpers import make_task

from lightclaw.policies.scripted import FunctionPolicy
from lightclaw.runtime import run_episode_sync
from lightclaw.tools import ToolRegistry

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
outputs = st.one_of(
    st.text(),
    json_values.map(json.dumps),
    st.builds(lambda v: "Sure:\n```json\n" + json.dumps(v) + "\n```", json_values),
    st.dictionaries(st.sampled_from(["content", "tool_calls", "role"]), json_values, max_size=3),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(outs=st.lists(outputs, min_size=1, max_size=3))
def test_any_output_is_recorded_never_raised(registry: ToolRegistry, outs: list[object]) -> None:
    queue = list(outs)

    def policy(_request: object) -> object:
        return queue.pop(0) if queue else '{"kind": "final_answer", "content": "end"}'

    ep = run_episode_sync(
        make_task(tools=["add", "put", "get", "aecho"], max_steps=len(outs) + 1),
        FunctionPolicy(policy),  # type: ignore[arg-type]
        registry,
    )
    assert 1 <= len(ep.steps) <= len(outs) + 1
    for step, out in zip(ep.steps, outs, strict=False):
        assert step.raw_output is not None
        if isinstance(out, str):
            assert step.raw_output.text == out or step.error_type is not None
        assert (step.error_type is None) == (step.error_message is None), (
            "an error type always comes with its message"
        )
    ep.model_dump_json()  # the record is always serialisable
