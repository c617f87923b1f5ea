"""The ``@tool`` decorator and :class:`Tool`: a typed Python function offered to a policy."""

from __future__ import annotations

import hashlib
import inspect
import json
import re
from typing import TYPE_CHECKING, Any, Generic, overload

from typing_extensions import ParamSpec, TypeVar

from lightclaw.schema import ToolSchema, ToolSchemaRecord
from lightclaw.tools.docstring import parse_docstring
from lightclaw.tools.signature import build_args
from lightclaw.tools.validation import validate_arguments

if TYPE_CHECKING:
    from collections.abc import Callable

    from pydantic import BaseModel

    from lightclaw.tools.context import ToolContext

# Defaults (PEP 696) make a bare ``Tool`` annotation mean ``Tool[..., Any]``.
P = ParamSpec("P", default=...)
R = TypeVar("R", default=Any)

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$")


def schema_hash(schema: ToolSchema) -> str:
    """sha256 hex of the canonical JSON of ``schema`` (sorted keys, no whitespace, UTF-8)."""
    canonical = json.dumps(
        schema.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class Tool(Generic[P, R]):
    """A tool: the original function plus its schema, validation and options.

    Calling a ``Tool`` calls the original function (an async tool returns its coroutine).
    """

    def __init__(
        self,
        fn: Callable[P, R],
        *,
        name: str | None = None,
        description: str | None = None,
        timeout: float | None = None,
    ) -> None:
        if not callable(fn):
            raise TypeError(f"@tool needs a function, got {fn!r}")
        tool_name = name if name is not None else getattr(fn, "__name__", "")
        if not _NAME.match(tool_name):
            raise ValueError(
                f"invalid tool name {tool_name!r}: use 1-64 letters, digits, '_', '-' or '.' "
                "starting with a letter or '_' (pass name=... to @tool)"
            )
        if timeout is not None and not timeout > 0:
            raise ValueError(f"tool {tool_name}: timeout must be a positive number or None")
        doc = parse_docstring(inspect.getdoc(fn))
        spec = build_args(fn, tool_name, doc.params)
        self.fn: Callable[P, R] = fn
        self.name: str = tool_name
        self.description: str = doc.description if description is None else description
        self.timeout: float | None = None if timeout is None else float(timeout)
        self.is_async: bool = inspect.iscoroutinefunction(fn)
        self.context_param: str | None = spec.context_param
        self.args_model: type[BaseModel] = spec.model
        self.parameters: dict[str, Any] = spec.parameters
        self.schema: ToolSchema = ToolSchema(
            name=self.name, description=self.description, parameters=self.parameters
        )
        self.schema_hash: str = schema_hash(self.schema)
        self._names = spec.names
        self.__name__ = tool_name
        self.__qualname__ = getattr(fn, "__qualname__", tool_name)
        self.__module__ = getattr(fn, "__module__", __name__)
        self.__doc__ = fn.__doc__
        self.__wrapped__ = fn

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        kind = "async " if self.is_async else ""
        return f"<{kind}Tool {self.name} {self.schema_hash[:12]}>"

    @property
    def argument_names(self) -> list[str]:
        """The JSON argument names, in signature order (the context parameter excluded)."""
        return list(self._names.values())

    def validate(self, arguments: object) -> dict[str, Any]:
        """Validate JSON-like ``arguments`` against the schema (strict JSON semantics).

        Returns keyword arguments for :attr:`fn` (nested models built, defaults filled, context
        parameter excluded). Raises :class:`~lightclaw.tools.ArgumentsInvalid` listing every issue.
        """
        return validate_arguments(self.args_model, self._names, arguments, self.name)

    def call_kwargs(self, validated: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        """``validated`` plus the context parameter, ready for ``fn(**kwargs)``."""
        full = dict(validated)
        if self.context_param is not None:
            full[self.context_param] = ctx
        return full

    def record(self) -> ToolSchemaRecord:
        """The schema as stored per run: ``json_schema`` is the dumped :class:`ToolSchema`."""
        return ToolSchemaRecord(
            name=self.name, hash=self.schema_hash, json_schema=self.schema.model_dump(mode="json")
        )


@overload
def tool(fn: Callable[P, R], /) -> Tool[P, R]: ...


@overload
def tool(
    *, name: str | None = None, description: str | None = None, timeout: float | None = None
) -> Callable[[Callable[P, R]], Tool[P, R]]: ...


def tool(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float | None = None,
) -> Any:
    """Turn a typed function into a :class:`Tool`; use bare (``@tool``) or with options.

    Args:
        fn: The function (when used bare).
        name: Tool name offered to the policy; defaults to the function's name.
        description: Overrides the docstring's description.
        timeout: Seconds the executor allows per call; ``None`` means no limit.
    """
    if fn is not None:
        return Tool(fn, name=name, description=description, timeout=timeout)

    def decorate(inner: Callable[..., Any]) -> Tool[..., Any]:
        return Tool(inner, name=name, description=description, timeout=timeout)

    return decorate
