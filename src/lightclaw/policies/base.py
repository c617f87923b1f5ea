"""The Policy protocol: who decides the next action, and how its output is normalised.

A policy receives a :class:`PolicyRequest` (the observation history, the tools offered, the step)
and returns a :data:`PolicyOutput` — free text, a :class:`~lightclaw.schema.RawOutput`, or an
OpenAI-style assistant message mapping. The runtime turns that into a ``RawOutput`` with
:func:`normalize_output` (kept verbatim in the trajectory) and then into actions with
:func:`lightclaw.policies.parsing.parse_output`.

A failed *model call* (HTTP error, refusal, empty completion) is signalled by raising
:class:`PolicyError`; the runtime records it as a ``model_error`` step. Bad *content* is never
an exception: it is parsed and attributed (``invalid_format``).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias, runtime_checkable

from pydantic_core import from_json, to_json

from lightclaw.schema import Message, RawOutput, Task, ToolSchema

PolicyOutput: TypeAlias = str | RawOutput | Mapping[str, Any]
"""What :meth:`Policy.act` returns: free text, a ``RawOutput`` as is, or an OpenAI-style
assistant message ``{"content": ..., "tool_calls": [...]}``."""


@dataclass(frozen=True)
class PolicyRequest:
    """Everything a policy may look at to decide one step."""

    messages: Sequence[Message]
    """The full observation history so far."""
    tools: Sequence[ToolSchema]
    """The tools offered (``ToolSchema.openai()`` gives the OpenAI function shape)."""
    step: int
    """Index of the step being decided (0-based)."""
    max_steps: int
    seed: int
    """The episode seed, for stochastic policies."""


@runtime_checkable
class Policy(Protocol):
    """Decides actions for one episode; a fresh instance per episode (see :data:`PolicyFactory`)."""

    name: str

    async def act(self, request: PolicyRequest) -> PolicyOutput:
        """Return the output for ``request.step`` or raise :class:`PolicyError`."""
        ...

    def finish(self) -> None:
        """Called by the runtime when the episode ends (test doubles check their script here)."""
        ...


PolicyFactory: TypeAlias = Callable[[Task, int, int], Policy]
"""``(task, seed, trial) -> policy``: builds a fresh policy for one episode."""


class BasePolicy(ABC):
    """Convenience base: a ``name`` attribute and a no-op :meth:`finish`."""

    name: str = "policy"

    @abstractmethod
    async def act(self, request: PolicyRequest) -> PolicyOutput:
        """Return the output for ``request.step`` or raise :class:`PolicyError`."""

    def finish(self) -> None:
        """Nothing to check by default."""
        return None


class PolicyError(Exception):
    """The model call itself failed (HTTP error, refusal, empty output).

    Recorded by the runtime as a ``model_error`` step; the message is kept verbatim.
    """


def normalize_output(out: PolicyOutput) -> RawOutput:
    """Turn any policy output into a :class:`RawOutput`. Never raises.

    * ``RawOutput`` is returned as is; ``str`` becomes ``RawOutput(text=...)``.
    * A mapping is read as an OpenAI assistant message: ``content`` (a string; a list of
      ``{"type": "text", "text": ...}`` parts is joined; any other JSON value is kept as its JSON
      text) and ``tool_calls`` (a list of JSON values kept as they are; a single non-list value is
      kept as a one-item list). The parser then attributes whatever is odd about them.
    * A mapping whose ``content``/``tool_calls`` are not JSON-serialisable becomes
      ``RawOutput(text=repr(mapping))``; any other object becomes ``RawOutput(text=repr(obj))``.
    """
    if isinstance(out, RawOutput):
        return out
    if isinstance(out, str):
        return RawOutput(text=out)
    if isinstance(out, Mapping):
        try:
            return _from_message(out)
        except Exception:  # not JSON-serialisable, too deep, or a broken Mapping: keep its repr
            return RawOutput(text=_safe_repr(out))
    return RawOutput(text=_safe_repr(out))


def _from_message(message: Mapping[str, Any]) -> RawOutput:
    content = message.get("content")
    tool_calls = message.get("tool_calls")
    # Round-trip through strict JSON: raises on anything that a trajectory cannot store.
    payload = to_json({"content": content, "tool_calls": tool_calls}, inf_nan_mode="constants")
    plain = from_json(payload, allow_inf_nan=False)
    return RawOutput(text=_content_text(plain["content"]), tool_calls=_as_list(plain["tool_calls"]))


def _content_text(content: Any) -> str | None:
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, list) and all(_is_text_part(part) for part in content):
        return "".join(part["text"] for part in content)
    return json.dumps(content, ensure_ascii=False)


def _is_text_part(part: Any) -> bool:
    return (
        isinstance(part, dict)
        and part.get("type") in ("text", "output_text")
        and isinstance(part.get("text"), str)
    )


def _as_list(tool_calls: Any) -> list[Any] | None:
    if tool_calls is None or isinstance(tool_calls, list):
        return tool_calls
    return [tool_calls]


def _safe_repr(obj: object) -> str:
    try:
        return repr(obj)
    except Exception:  # a broken __repr__ must not take the episode down
        return f"<unrepresentable {type(obj).__name__} object>"
