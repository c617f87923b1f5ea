"""Offline test policies shipped as library features (no model, no network).

* :class:`ScriptedPolicy` — returns a fixed list of outputs in order (an exception item is raised).
* :class:`FunctionPolicy` — calls a sync or async function of the request.
* :class:`ReplayPolicy` — replays the raw outputs of a recorded episode.

Scripted and replay policies fail loudly (:class:`~lightclaw.errors.ScriptError`) on a call beyond
their script and, in :meth:`finish`, on scripted outputs that were never requested.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from lightclaw.errors import ScriptError
from lightclaw.policies.base import BasePolicy, PolicyError, PolicyOutput, PolicyRequest
from lightclaw.schema import ErrorType, RawOutput

if TYPE_CHECKING:
    from lightclaw.schema import Episode


PolicyFunction = Callable[[PolicyRequest], PolicyOutput | Awaitable[PolicyOutput]]


def _preview(items: Sequence[object], limit: int = 3, chars: int = 60) -> str:
    shown = []
    for item in items[:limit]:
        text = repr(item)
        shown.append(text if len(text) <= chars else text[: chars - 3] + "...")
    more = f", ... (+{len(items) - limit} more)" if len(items) > limit else ""
    return ", ".join(shown) + more


class ScriptedPolicy(BasePolicy):
    """Returns ``outputs`` in order, one per call; an exception item is raised instead.

    Use ``PolicyError("...")`` items to simulate a failed model call. ``calls`` records every
    request received.
    """

    def __init__(
        self, outputs: Sequence[PolicyOutput | BaseException], name: str = "scripted"
    ) -> None:
        self.name = name
        self.outputs: list[PolicyOutput | BaseException] = list(outputs)
        self.calls: list[PolicyRequest] = []

    @property
    def remaining(self) -> int:
        """How many scripted outputs have not been requested yet."""
        return max(len(self.outputs) - len(self.calls), 0)

    async def act(self, request: PolicyRequest) -> PolicyOutput:
        index = len(self.calls)
        self.calls.append(request)
        if index >= len(self.outputs):
            raise ScriptError(
                f"{self.name}: unexpected call {index + 1} (step {request.step}): "
                f"the script has only {len(self.outputs)} outputs"
            )
        item = self.outputs[index]
        if isinstance(item, BaseException):
            raise item
        return item

    def finish(self) -> None:
        unused = self.outputs[len(self.calls) :]
        if unused:
            raise ScriptError(
                f"{self.name}: {len(unused)} scripted outputs were never requested: "
                f"{_preview(unused)}"
            )


class FunctionPolicy(BasePolicy):
    """Delegates each step to ``fn(request)``, which may be sync or async.

    Like pydantic-ai's ``FunctionModel``: the function sees the whole request (history, tools,
    step) and may raise :class:`~lightclaw.policies.base.PolicyError` to simulate a failed call.
    """

    def __init__(self, fn: PolicyFunction, name: str = "function") -> None:
        self.name = name
        self.fn = fn
        self.calls: list[PolicyRequest] = []

    async def act(self, request: PolicyRequest) -> PolicyOutput:
        self.calls.append(request)
        result = self.fn(request)
        if inspect.isawaitable(result):
            return await result
        return result


class ReplayPolicy(BasePolicy):
    """Replays a recorded episode's raw outputs, step by step.

    A ``model_error`` step whose call raised (recorded with no output at all) is replayed by
    raising :class:`~lightclaw.policies.base.PolicyError` with the recorded message; one whose
    output the runtime judged unusable (e.g. empty) replays that output for the runtime to judge
    again.
    """

    def __init__(self, episode: Episode, name: str = "replay") -> None:
        self.name = name
        self.episode = episode
        self.calls: list[PolicyRequest] = []

    async def act(self, request: PolicyRequest) -> PolicyOutput:
        index = len(self.calls)
        self.calls.append(request)
        steps = self.episode.steps
        if index >= len(steps):
            raise ScriptError(
                f"{self.name}: unexpected call {index + 1} (step {request.step}): episode "
                f"{self.episode.id!r} recorded only {len(steps)} steps"
            )
        step = steps[index]
        if step.error_type != ErrorType.MODEL_ERROR:
            return step.raw_output
        if step.raw_output != RawOutput():
            return step.raw_output  # an output the runtime itself judged a model error (empty)
        raise PolicyError(step.error_message or "model error (no message recorded)")

    def finish(self) -> None:
        unused = self.episode.steps[len(self.calls) :]
        if unused:
            raise ScriptError(
                f"{self.name}: {len(unused)} recorded steps of episode {self.episode.id!r} were "
                f"never replayed (from step {unused[0].index})"
            )
