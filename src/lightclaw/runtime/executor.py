"""The tool executor: validation, policy guards, deadlines and error attribution.

Every call ends as a :class:`CallRecord` with ``status`` ok or error. Errors use the closed
vocabulary: ``unknown_tool``, ``redundant_call``, ``wrong_args``, ``policy_blocked``,
``timeout`` and ``tool_error``. Nothing a tool does (raise, hang, return garbage) escapes.

Deadlines are real: a sync tool with a deadline runs in a daemon worker thread and the
episode moves on when the deadline passes (the thread is abandoned, never joined); an async
tool runs under :func:`asyncio.wait_for`. A sync tool without any deadline runs inline.
Sync tools run one at a time per episode (in call order) so state changes stay deterministic;
async tools of one step run concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import traceback as tb
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic_core import to_json, to_jsonable_python

from lightclaw.envs.tool_env import canonical_json
from lightclaw.schema import ArgIssue, CallRecord, ErrorType, ToolCall
from lightclaw.schema.trajectory import CallStatus
from lightclaw.tools import ArgumentsInvalid, GuiMiss, ToolContext

if TYPE_CHECKING:
    from lightclaw.envs.tool_env import ToolEnv
    from lightclaw.tools import Tool

Guard = Callable[[ToolCall, "ToolEnv"], str | None]
"""A policy-layer check: returns a reason to block the call (``policy_blocked``) or None."""


@dataclass(slots=True)
class Outcome:
    """What running a validated call produced (before it becomes a CallRecord)."""

    status: CallStatus
    output: Any = None
    error_type: ErrorType | None = None
    error_message: str | None = None
    exception_type: str | None = None
    traceback: str | None = None
    state_changed: bool = False
    arg_issues: tuple[ArgIssue, ...] = ()


class _Seen:
    __slots__ = ("step", "version")

    def __init__(self, step: int, version: int) -> None:
        self.step = step
        self.version = version


class Executor:
    """Executes the tool calls of one episode against a :class:`ToolEnv`."""

    def __init__(
        self,
        env: ToolEnv,
        *,
        default_timeout: float | None = None,
        guards: Sequence[Guard] = (),
        episode_id: str = "",
    ) -> None:
        self.env = env
        self.default_timeout = default_timeout
        self.guards = tuple(guards)
        self.episode_id = episode_id
        self._seen: dict[tuple[str, str], _Seen] = {}
        self._sync_lock = asyncio.Lock()

    async def execute(self, calls: Sequence[ToolCall], step: int) -> list[CallRecord]:
        if len(calls) == 1:
            return [await self._execute_one(calls[0], step, 0)]
        return list(
            await asyncio.gather(*(self._execute_one(c, step, i) for i, c in enumerate(calls)))
        )

    async def _execute_one(self, call: ToolCall, step: int, index: int) -> CallRecord:
        start = time.monotonic_ns()
        call_id = call.call_id or f"call_{step}_{index}"
        outcome = await self._attribute(call, step, index)
        return CallRecord(
            index=index,
            call_id=call_id,
            tool=call.tool,
            arguments=call.arguments,
            status=outcome.status,
            error_type=outcome.error_type,
            error_message=outcome.error_message,
            arg_issues=list(outcome.arg_issues),
            exception_type=outcome.exception_type,
            traceback=outcome.traceback,
            output=None if outcome.error_type else outcome.output,
            state_changed=outcome.state_changed,
            latency_ns=time.monotonic_ns() - start,
        )

    async def _attribute(self, call: ToolCall, step: int, index: int) -> Outcome:
        key = (call.tool, call_key(call.arguments))
        seen = self._seen.get(key)
        # an earlier *step* (identical parallel calls within one step are deliberate)
        if seen is not None and seen.step < step and seen.version == self.env.version:
            return _error(
                ErrorType.REDUNDANT_CALL,
                f"redundant call: {call.tool} was already called with these exact arguments at "
                f"step {seen.step} and nothing has changed since; "
                "use its result or change the call",
            )
        if seen is None or seen.step < step:
            self._seen[key] = _Seen(step, self.env.version)
        tool = self.env.registry.get(call.tool)
        if tool is None:
            names = ", ".join(self.env.registry.names()) or "(none)"
            return _error(
                ErrorType.UNKNOWN_TOOL, f"unknown tool {call.tool!r}; available tools: {names}"
            )
        try:
            kwargs = tool.validate(call.arguments)
        except ArgumentsInvalid as exc:
            return Outcome(
                status="error",
                error_type=ErrorType.WRONG_ARGS,
                error_message=exc.message(),
                arg_issues=tuple(exc.issues),
            )
        for guard in self.guards:
            reason = guard(call, self.env)
            if reason:
                return _error(ErrorType.POLICY_BLOCKED, f"blocked by policy: {reason}")
        return await self.run_tool(tool, kwargs, call, step, index)

    async def run_tool(
        self, tool: Tool, kwargs: dict[str, Any], call: ToolCall, step: int, index: int
    ) -> Outcome:
        """Run a validated call. Replay overrides this to return the recorded outcome."""
        ctx: ToolContext | None = None
        if tool.context_param is None:
            full = kwargs
        else:
            ctx = ToolContext(
                state=self.env.state, deps=self.env.deps, episode_id=self.episode_id, step=step
            )
            full = tool.call_kwargs(kwargs, ctx)
        deadline = tool.timeout if tool.timeout is not None else self.default_timeout
        try:
            if tool.is_async:
                if deadline is None:
                    result = await tool.fn(**full)
                else:
                    result = await asyncio.wait_for(tool.fn(**full), deadline)
            elif deadline is None:
                result = tool.fn(**full)  # inline: atomic on the loop thread
            else:
                async with self._sync_lock:
                    result = await _in_thread(tool.fn, full, deadline)
        except TimeoutError:
            changed = self._observe(tool)
            return Outcome(
                status="error",
                error_type=ErrorType.TIMEOUT,
                error_message=f"timeout: {tool.name} did not finish within {deadline:g} s",
                state_changed=changed,
            )
        except GuiMiss as exc:
            return Outcome(
                status="error",
                error_type=ErrorType.GUI_MISS,
                error_message=f"gui_miss: {exc}",
                state_changed=self._observe(tool),
            )
        except Exception as exc:
            changed = self._observe(tool)
            return Outcome(
                status="error",
                error_type=ErrorType.TOOL_ERROR,
                error_message=f"{type(exc).__name__}: {exc}",
                exception_type=type(exc).__name__,
                traceback=tb.format_exc(),
                state_changed=changed,
            )
        changed = self._observe(tool)
        if ctx is not None and ctx.ended is not None:
            self.env.ended = ctx.ended
        try:
            output = to_jsonable_python(result)
        except Exception as exc:
            return Outcome(
                status="error",
                error_type=ErrorType.TOOL_ERROR,
                error_message=(
                    f"{tool.name} returned a value that cannot be serialised to JSON "
                    f"({type(result).__name__}: {exc})"
                ),
                exception_type=type(exc).__name__,
                state_changed=changed,
            )
        return Outcome(status="ok", output=output, state_changed=changed)

    def _observe(self, tool: Tool) -> bool:
        """Did the call change the state? Only tools that receive the context can."""
        return tool.context_param is not None and self.env.observe_change()


def call_key(arguments: dict[str, Any]) -> str:
    """A canonical text of a call's arguments (key order does not matter)."""
    try:
        return to_json(_sorted(arguments)).decode()
    except ValueError:  # not JSON-able: fall back to a repr-based canonical form
        return canonical_json(arguments)


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def _error(error_type: ErrorType, message: str) -> Outcome:
    return Outcome(status="error", error_type=error_type, error_message=message)


async def _in_thread(fn: Callable[..., Any], kwargs: dict[str, Any], deadline: float) -> Any:
    """Run ``fn`` in a daemon thread; give up waiting (TimeoutError) after ``deadline`` seconds."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def settle(ok: bool, value: Any) -> None:
        if future.done():
            return
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

    def work() -> None:
        try:
            value: Any = fn(**kwargs)
            ok = True
        except BaseException as exc:  # delivered to the awaiting coroutine
            value, ok = exc, False
        # the loop may have closed while an abandoned (timed-out) tool ran on
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, ok, value)

    threading.Thread(target=work, name="lightclaw-tool", daemon=True).start()
    return await asyncio.wait_for(future, deadline)
