"""A name -> tool registry: what a run offers, in a stable order, with schema hashes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from lightclaw.errors import UnknownChoiceError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from lightclaw.schema import ToolSchema, ToolSchemaRecord
    from lightclaw.tools.tool import Tool

T = TypeVar("T", bound="Tool[..., Any]")


class ToolRegistry:
    """Tools by name, iterated in registration order."""

    def __init__(self, tools: Iterable[Tool[..., Any]] = ()) -> None:
        self._tools: dict[str, Tool[..., Any]] = {}
        for item in tools:
            self.register(item)

    def register(self, tool: T) -> T:
        """Add ``tool`` and return it; ValueError if its name is already registered."""
        if tool.name in self._tools:
            raise ValueError(f"a tool named {tool.name!r} is already registered")
        self._tools[tool.name] = tool
        return tool

    def get(self, name: str) -> Tool[..., Any] | None:
        return self._tools.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __iter__(self) -> Iterator[Tool[..., Any]]:
        return iter(list(self._tools.values()))

    def __len__(self) -> int:
        return len(self._tools)

    def __repr__(self) -> str:
        return f"ToolRegistry({', '.join(self._tools)})"

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._tools)

    def subset(self, names: Iterable[str]) -> ToolRegistry:
        """A registry of just ``names``, in the given order (repeats ignored).

        Raises :class:`~lightclaw.errors.UnknownChoiceError` for a name that is not registered.
        """
        chosen: dict[str, Tool[..., Any]] = {}
        for name in names:
            found = self._tools.get(name)
            if found is None:
                raise UnknownChoiceError("tool", name, self.names())
            chosen.setdefault(name, found)
        return ToolRegistry(chosen.values())

    def schemas(self) -> list[ToolSchema]:
        """The schemas offered to a policy, in registry order."""
        return [item.schema for item in self._tools.values()]

    def hashes(self) -> dict[str, str]:
        """Tool name -> schema hash."""
        return {name: item.schema_hash for name, item in self._tools.items()}

    def records(self) -> list[ToolSchemaRecord]:
        """The per-run schema records (name, hash, dumped schema), in registry order."""
        return [item.record() for item in self._tools.values()]
