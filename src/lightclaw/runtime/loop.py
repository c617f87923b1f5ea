"""The agent loop: policy -> parse -> execute -> observe, one recorded step at a time.

An episode ends on ``final_answer``, on an ``ask_user`` that no simulated user can answer
(outcome ``needs_user``), when ``max_steps`` is reached, or on a ``model_error`` (the policy
call itself failed). Every other failure is fed back to the policy as an observation.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lightclaw.envs.tool_env import ToolEnv
from lightclaw.errors import RuntimeBug
from lightclaw.ids import new_id
from lightclaw.policies.base import Policy, PolicyRequest, normalize_output
from lightclaw.policies.parsing import parse_output
from lightclaw.runtime.executor import Executor, Guard
from lightclaw.schema import (
    AskUser,
    AssistantMessage,
    CallRecord,
    Episode,
    ErrorType,
    FeedbackMessage,
    FinalAnswer,
    GuiClick,
    GuiGrounding,
    Message,
    RawOutput,
    SelfCorrection,
    Step,
    SystemMessage,
    Task,
    ToolCall,
    ToolResultMessage,
    UserMessage,
    effective,
    worst,
)
from lightclaw.schema.render import DEFAULT_SYSTEM as DEFAULT_SYSTEM
from lightclaw.schema.render import result_text

if TYPE_CHECKING:
    from pydantic import JsonValue

    from lightclaw.schema.trajectory import EpisodeOutcome
    from lightclaw.tools import ToolRegistry


def system_prompt(task: Task) -> str:
    """The runtime's action-format instructions, followed by the task's own system text."""
    return f"{DEFAULT_SYSTEM}\n\n{task.system}" if task.system else DEFAULT_SYSTEM


_GUI = (GuiClick, GuiGrounding)

ExecutorFactory = Callable[[ToolEnv, str], Executor]


@dataclass(frozen=True)
class Revision:
    """A second attempt: continue ``parent``'s conversation after ``feedback`` (SCoRe protocol)."""

    parent: Episode
    feedback: str


def history_of(episode: Episode) -> list[Message]:
    """The conversation an episode's policy saw and produced, in order."""
    history: list[Message] = []
    for step in episode.steps:
        history.extend(step.observation)
        if step.raw_output.text is not None or step.raw_output.tool_calls is not None:
            history.append(AssistantMessage(step=step.index, raw=step.raw_output))
    return history


class _State:
    """Mutable bookkeeping of one episode in progress."""

    def __init__(self, task: Task, revision: Revision | None = None) -> None:
        replies = list(task.user.replies) if task.user else []
        if revision is None:
            self.history: list[Message] = [
                SystemMessage(content=system_prompt(task)),
                UserMessage(content=task.prompt),
            ]
            self.pending: list[Message] = list(self.history)
        else:
            feedback = UserMessage(content=revision.feedback)
            self.history = [*history_of(revision.parent), feedback]
            self.pending = [feedback]
            used = sum(s.user_reply is not None for s in revision.parent.steps)
            replies = replies[used:]
        self.steps: list[Step] = []
        self.outcome: EpisodeOutcome | None = None
        self.stop_reason: str | None = None
        self.final_answer: JsonValue = None
        self.replies = replies
        self.last_failed: Step | None = None

    def observe(self, message: Message) -> None:
        self.history.append(message)
        self.pending.append(message)

    def end(self, outcome: EpisodeOutcome, reason: str | None = None) -> None:
        self.outcome = outcome
        self.stop_reason = reason or outcome


async def run_episode(
    task: Task,
    policy: Policy,
    registry: ToolRegistry,
    *,
    run_id: str = "adhoc",
    seed: int = 0,
    trial: int = 0,
    suite: str | None = None,
    policy_name: str | None = None,
    episode_id: str | None = None,
    default_timeout: float | None = None,
    guards: Sequence[Guard] = (),
    text_is_final_answer: bool = False,
    executor_factory: ExecutorFactory | None = None,
    revision: Revision | None = None,
    deps: Any = None,
) -> Episode:
    """Run ``policy`` on ``task`` with the task's tools from ``registry``; return the record.

    With ``revision`` the episode is the next attempt of ``revision.parent``: the policy sees the
    parent's conversation plus the feedback, and the tools start from the parent's final state;
    its steps are numbered after the parent's.

    ``deps`` is handed to the tools (``ToolContext.deps``): a web session, a client... When it
    has an async ``screenshot(step) -> str | None`` each step records what it returns, and an
    async ``finish(state)`` is awaited when the episode ends (even on a crash), before the final
    state is taken. A ``gui_click`` runs as the ``click`` tool when the task offers one (a
    screen); otherwise it is a ``gui_miss``.
    """
    started_at = datetime.now(UTC)
    t_start = time.monotonic_ns()
    episode_id = episode_id or new_id("ep")
    state = task.initial_state if revision is None else (revision.parent.final_state or {})
    env = ToolEnv(registry.subset(task.tools), state, deps=deps)
    if executor_factory is None:
        executor = Executor(
            env, default_timeout=default_timeout, guards=guards, episode_id=episode_id
        )
    else:
        executor = executor_factory(env, episode_id)
    schemas = tuple(env.registry.schemas())
    st = _State(task, revision)
    # a revision numbers its steps after its parent's, so step references stay unambiguous
    first = 0 if revision is None else len(revision.parent.steps)
    shoot = getattr(deps, "screenshot", None)
    try:
        for index in range(first, first + task.max_steps):
            request = PolicyRequest(
                messages=tuple(st.history),
                tools=schemas,
                step=index,
                max_steps=task.max_steps,
                seed=seed,
            )
            step = await _step(index, request, policy, executor, st, text_is_final_answer)
            if shoot is not None:
                step.screenshot = await shoot(index)
            st.steps.append(step)
            st.last_failed = step if step.error_type is not None else None
            if env.ended is not None and st.outcome is None:
                st.end("safe_stop", env.ended)
            if st.outcome is not None:
                break
        else:
            st.end("max_steps")
    finally:
        finish = getattr(deps, "finish", None)
        if finish is not None:
            await finish(env.state)
    policy.finish()
    return Episode(
        id=episode_id,
        run_id=run_id,
        task_id=task.id,
        suite=suite or task.suite,
        policy=policy_name or policy.name,
        trial=trial,
        attempt=1 if revision is None else revision.parent.attempt + 1,
        parent_id=None if revision is None else revision.parent.id,
        feedback=None if revision is None else revision.feedback,
        seed=seed,
        outcome=st.outcome or "max_steps",
        stop_reason=st.stop_reason,
        final_answer=st.final_answer,
        final_state=env.snapshot(),
        steps=st.steps,
        started_at=started_at,
        duration_ns=time.monotonic_ns() - t_start,
    )


def run_episode_sync(task: Task, policy: Policy, registry: ToolRegistry, **kwargs: Any) -> Episode:
    """Blocking wrapper of :func:`run_episode` (starts its own event loop)."""
    return asyncio.run(run_episode(task, policy, registry, **kwargs))


async def _step(
    index: int,
    request: PolicyRequest,
    policy: Policy,
    executor: Executor,
    st: _State,
    text_is_final_answer: bool,
) -> Step:
    t0 = time.monotonic_ns()
    observation, st.pending = st.pending, []
    try:
        out = await policy.act(request)
    except RuntimeBug:
        raise
    except Exception as exc:
        message = str(exc) or type(exc).__name__
        st.end("model_error")
        return _step_record(
            index, observation, RawOutput(), t0, t0, error=message, error_type=ErrorType.MODEL_ERROR
        )
    t_policy = time.monotonic_ns()
    raw = normalize_output(out)
    if not raw.tool_calls and not (raw.text or "").strip():
        st.end("model_error")
        return _step_record(
            index,
            observation,
            raw,
            t0,
            t_policy,
            error="the policy returned an empty output",
            error_type=ErrorType.MODEL_ERROR,
        )
    st.history.append(AssistantMessage(step=index, raw=raw))
    parsed = parse_output(raw, text_is_final_answer=text_is_final_answer)
    if parsed.error is not None:
        message = f"invalid_format: {parsed.error}"
        st.observe(
            FeedbackMessage(step=index, error_type=ErrorType.INVALID_FORMAT, content=message)
        )
        return _step_record(
            index,
            observation,
            raw,
            t0,
            t_policy,
            error=message,
            error_type=ErrorType.INVALID_FORMAT,
            correction_of=_correcting(st, raw, []),
        )
    actions = parsed.actions
    screen = "click" in executor.env.registry
    todo = [_as_click(effective(a)) if screen else effective(a) for a in actions]
    calls = [a for a in todo if isinstance(a, ToolCall)]
    records = await executor.execute(calls, index) if calls else []
    errors: list[tuple[ErrorType, str]] = []
    for rec in records:
        st.observe(_result_message(rec))
        if rec.error_type is not None:
            errors.append((rec.error_type, rec.error_message or rec.error_type.value))
    user_reply: str | None = None
    for action in todo:
        if isinstance(action, ToolCall):
            continue
        if isinstance(action, _GUI):
            message = f"gui_miss: this task has no screen, so {action.kind} hits no target"
            st.observe(FeedbackMessage(step=index, error_type=ErrorType.GUI_MISS, content=message))
            errors.append((ErrorType.GUI_MISS, message))
        elif isinstance(action, AskUser):
            if st.replies:
                user_reply = st.replies.pop(0)
                st.observe(UserMessage(content=user_reply))
            else:
                st.end("needs_user")
        elif isinstance(action, FinalAnswer):
            st.final_answer = action.content
            st.end("final_answer")
    error_type = worst([e for e, _ in errors]) if errors else None
    error_message = next((m for e, m in errors if e == error_type), None)
    explicit = next((a.corrects_step for a in actions if isinstance(a, SelfCorrection)), None)
    return _step_record(
        index,
        observation,
        raw,
        t0,
        t_policy,
        actions=actions,
        calls=records,
        error=error_message,
        error_type=error_type,
        correction_of=explicit if explicit is not None else _correcting(st, raw, actions),
        user_reply=user_reply,
    )


def _as_click(action: Any) -> Any:
    """A ``gui_click`` on a screen is carried out by the env's ``click`` tool (guarded like any
    call); other actions are unchanged."""
    if not isinstance(action, GuiClick):
        return action
    arguments: dict[str, Any] = {"x": action.x, "y": action.y}
    if action.element_id is not None:
        arguments["element_id"] = action.element_id
    return ToolCall(tool="click", arguments=arguments)


def _correcting(st: _State, raw: RawOutput, actions: Sequence[Any]) -> int | None:
    """The failed step this one corrects: it follows feedback and is not an identical retry."""
    failed = st.last_failed
    if failed is None or failed.raw_output == raw or (actions and failed.actions == list(actions)):
        return None
    return failed.index


def _result_message(rec: CallRecord) -> ToolResultMessage:
    return ToolResultMessage(
        call_id=rec.call_id, tool=rec.tool, content=result_text(rec), error_type=rec.error_type
    )


def _step_record(
    index: int,
    observation: list[Message],
    raw: RawOutput,
    t0: int,
    t_policy: int,
    *,
    actions: Sequence[Any] = (),
    calls: Sequence[CallRecord] = (),
    error: str | None = None,
    error_type: ErrorType | None = None,
    correction_of: int | None = None,
    user_reply: str | None = None,
) -> Step:
    return Step(
        index=index,
        observation=observation,
        raw_output=raw,
        actions=list(actions),
        calls=list(calls),
        error_type=error_type,
        error_message=error,
        feedback=error,
        correction_of=correction_of,
        user_reply=user_reply,
        policy_latency_ns=t_policy - t0,
        latency_ns=time.monotonic_ns() - t0,
        reward=None,
        screenshot=None,
    )
