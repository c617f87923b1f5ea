"""The tool environment: a registry of tools and the episode's JSON-able state."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lightclaw.tools import ToolRegistry


_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=repr
)


def canonical_json(value: Any) -> str:
    """Stable JSON text: sorted keys, no whitespace, non-JSON values by ``repr``."""
    return _CANONICAL.encode(value)


def state_digest(state: dict[str, Any]) -> str:
    return hashlib.blake2b(canonical_json(state).encode(), digest_size=16).hexdigest()


class ToolEnv:
    """Tools plus mutable state. ``version`` counts observed state changes (for redundant_call)."""

    def __init__(
        self,
        registry: ToolRegistry,
        state: dict[str, Any] | None = None,
        *,
        deps: Any = None,
    ) -> None:
        self.registry = registry
        self.state: dict[str, Any] = copy.deepcopy(state) if state else {}
        self.deps = deps
        self.version = 0
        self.ended: str | None = None
        """A stop reason set by a tool that ended the episode (see ``ToolContext.end_episode``)."""
        self._digest = state_digest(self.state)

    def observe_change(self) -> bool:
        """Re-digest the state; bump ``version`` and return True if it changed."""
        digest = state_digest(self.state)
        if digest == self._digest:
            return False
        self._digest = digest
        self.version += 1
        return True

    def mark_changed(self) -> None:
        """Record a state change that happened elsewhere (replay of a recorded call)."""
        self.version += 1

    def snapshot(self) -> dict[str, Any]:
        """A JSON-safe deep copy of the state (for the episode record)."""
        loaded: dict[str, Any] = json.loads(canonical_json(self.state))
        return loaded
