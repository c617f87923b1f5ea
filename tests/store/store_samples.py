"""Sample records for the store tests (also imported by the kill-safety subprocess)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from lightclaw.schema import (
    ArgIssue,
    AskUser,
    CallRecord,
    Episode,
    ErrorType,
    FeedbackMessage,
    FinalAnswer,
    GuiClick,
    GuiGrounding,
    RawOutput,
    Run,
    SelfCorrection,
    Step,
    SystemMessage,
    ToolCall,
    ToolResultMessage,
    ToolSchemaRecord,
    UserMessage,
)

CREATED = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


def make_run(run_id: str = "run-1", *, created: datetime = CREATED, **extra: object) -> Run:
    fields: dict[str, object] = {
        "id": run_id,
        "created": created,
        "source": "deterministic",
        "suite": "tools-basic",
        "policy": "scripted",
        "model": "qwen-0.5b",
        "config": {"suite": "tools-ü", "policies": ["scripted"], "trials": 2, "seed": 7},
        "code_version": "0.1.0+abc123",
        "tool_schemas": [
            ToolSchemaRecord(
                name="search_flights",
                hash="sha256:aa",
                json_schema={
                    "type": "object",
                    "properties": {"to": {"type": "string"}, "max": {"type": "integer"}},
                    "required": ["to"],
                },
            ),
            ToolSchemaRecord(name="book", hash="sha256:bb", json_schema={"type": "object"}),
        ],
    }
    fields.update(extra)
    return Run.model_validate(fields)


def rich_steps() -> list[Step]:
    """Seven steps covering parallel calls, errors, arg issues and every action kind."""
    search = ToolCall(tool="search_flights", arguments={"to": "Zürich", "max": 3}, call_id="c1")
    bad = ToolCall(tool="book", arguments={"flight": 12, "extra": None}, call_id="c2")
    fixed = ToolCall(tool="book", arguments={"flight": "LX 318"}, call_id="c3")
    return [
        Step(
            index=0,
            observation=[
                SystemMessage(content="You book flights. Antworte kurz."),
                UserMessage(content="Réserve un vol pour Zürich → 東京 🚀"),
            ],
            raw_output=RawOutput(
                text="<think>two calls</think>",
                tool_calls=[{"id": "c1", "function": {"name": "search_flights"}}, {"id": "c2"}],
            ),
            actions=[search, bad],
            calls=[
                CallRecord(
                    index=0,
                    call_id="c1",
                    tool="search_flights",
                    arguments={"to": "Zürich", "max": 3},
                    status="ok",
                    output={"flights": [{"no": "LX 318", "price": 129.5, "seats": None}]},
                    latency_ns=1200,
                ),
                CallRecord(
                    index=1,
                    call_id="c2",
                    tool="book",
                    arguments={"flight": 12, "extra": None},
                    status="error",
                    error_type=ErrorType.WRONG_ARGS,
                    error_message="flight: expected string; extra: unexpected argument",
                    arg_issues=[
                        ArgIssue(
                            kind="wrong_type", loc="flight", message="expected string", input="12"
                        ),
                        ArgIssue(kind="unexpected", loc="extra", message="not allowed"),
                    ],
                    latency_ns=300,
                ),
            ],
            error_type=ErrorType.WRONG_ARGS,
            error_message="flight: expected string",
            feedback="Fix the arguments of book.",
            policy_latency_ns=5_000_000,
            latency_ns=5_001_500,
            reward=-0.1,
        ),
        Step(
            index=1,
            observation=[
                ToolResultMessage(call_id="c1", tool="search_flights", content='{"flights": 1}'),
                ToolResultMessage(
                    call_id="c2", tool="book", content="bad args", error_type=ErrorType.WRONG_ARGS
                ),
            ],
            raw_output=RawOutput(text='{"corrects_step": 0, "tool": "book"}'),
            actions=[SelfCorrection(corrects_step=0, reason="flight is a string", revised=fixed)],
            calls=[
                CallRecord(
                    index=0,
                    call_id="c3",
                    tool="book",
                    arguments={"flight": "LX 318"},
                    status="ok",
                    output="booked ✓",
                    state_changed=True,
                    latency_ns=900,
                )
            ],
            correction_of=0,
            latency_ns=1000,
            reward=0.5,
        ),
        Step(
            index=2,
            observation=[],
            raw_output=RawOutput(text="Which seat?"),
            actions=[AskUser(question="Fenster oder Gang?")],
            user_reply="Fenster",
        ),
        Step(
            index=3,
            observation=[UserMessage(content="Fenster")],
            raw_output=RawOutput(text="click(10, 20)"),
            actions=[GuiClick(x=10.5, y=20.0, element_id="seat-12A")],
            error_type=ErrorType.GUI_MISS,
            error_message="no element at (10.5, 20.0)",
            screenshot="screens/ep-1/3.png",
        ),
        Step(
            index=4,
            observation=[FeedbackMessage(step=3, error_type=ErrorType.GUI_MISS, content="missed")],
            raw_output=RawOutput(text="ground"),
            actions=[
                GuiGrounding(
                    instruction="the window seat 12A",
                    point=(101.0, 52.25),
                    bbox=(90.0, 40.0, 120.0, 60.0),
                    element_id="seat-12A",
                )
            ],
        ),
        Step(
            index=5,
            observation=[],
            raw_output=RawOutput(text="I think I am done?? {unparseable"),
            error_type=ErrorType.INVALID_FORMAT,
            error_message="no action found",
        ),
        Step(
            index=6,
            observation=[FeedbackMessage(step=5, content="Answer with a final_answer.")],
            raw_output=RawOutput(text='{"final_answer": {"ok": true}}'),
            actions=[FinalAnswer(content={"booked": ["LX 318", 2.5, None, "ü"]})],
            reward=1.0,
        ),
    ]


def rich_episode(
    run_id: str = "run-1", n: int = 0, *, task_id: str | None = None, trial: int = 0
) -> Episode:
    """A rich episode; ``n`` varies its id, task and start time."""
    return Episode(
        id=f"{run_id}-ep-{n:05d}",
        run_id=run_id,
        task_id=task_id if task_id is not None else f"task-{n:05d}",
        suite="tools-basic",
        policy="scripted",
        trial=trial,
        seed=1000 + n,
        outcome="final_answer",
        stop_reason="task_completed",
        final_answer={"booked": ["LX 318", 2.5, None, "ü"]},
        final_state={"bookings": [{"flight": "LX 318", "seat": "12A"}], "user": "Jörg"},
        steps=rich_steps(),
        success=n % 3 != 1,
        reward=0.75 if n % 3 != 1 else None,
        reward_components={"task_success": 1.0, "gui_hit": None, "policy_penalty": -0.25},
        started_at=datetime(2025, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=2)))
        + timedelta(seconds=n),
        duration_ns=123_456_789,
    )


def small_episode(run_id: str, n: int) -> Episode:
    """A two-step episode (one tool call, one answer) for bulk tests."""
    call = ToolCall(tool="add", arguments={"a": n, "b": 1}, call_id=f"c{n}")
    return Episode(
        id=f"{run_id}-small-{n:06d}",
        run_id=run_id,
        task_id=f"task-{n:06d}",
        suite="math",
        policy="scripted",
        seed=n,
        outcome="final_answer",
        steps=[
            Step(
                index=0,
                observation=[UserMessage(content=f"add {n} and 1")],
                raw_output=RawOutput(text="add"),
                actions=[call],
                calls=[
                    CallRecord(
                        index=0,
                        call_id=f"c{n}",
                        tool="add",
                        arguments=call.arguments,
                        status="ok",
                        output=n + 1,
                    )
                ],
            ),
            Step(
                index=1,
                observation=[ToolResultMessage(call_id=f"c{n}", tool="add", content=str(n + 1))],
                raw_output=RawOutput(text=str(n + 1)),
                actions=[FinalAnswer(content=n + 1)],
            ),
        ],
        success=True,
        reward=1.0,
        started_at=datetime(2025, 3, 2, tzinfo=UTC) + timedelta(seconds=n),
    )
