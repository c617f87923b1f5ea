"""What a tool receives besides its arguments: the episode's state and the user's dependencies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ToolContext:
    """Injected into any tool parameter annotated ``ToolContext``; never part of the schema.

    ``state`` is the episode's mutable, JSON-able environment state: tools read and change it in
    place. ``deps`` carries whatever the user passed in (clients, fixtures); it is never serialized.
    """

    state: dict[str, Any] = field(default_factory=dict)
    deps: Any = None
    episode_id: str = ""
    step: int = 0
    ended: str | None = None
    """Set by :meth:`end_episode`: the episode stops after this step with this stop reason."""

    def end_episode(self, stop_reason: str) -> None:
        """End the episode after this step as a ``safe_stop`` with ``stop_reason`` (a stop tool)."""
        self.ended = stop_reason


class GuiMiss(Exception):
    """Raised by a screen tool when a click or grounding hits no target (``gui_miss``)."""
