"""One episode's web env (``deps`` of its tools) and the per-run environment that opens them."""

from __future__ import annotations

import contextlib
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lightclaw.envs.web.guard import recruiting_guard
from lightclaw.envs.web.static import StaticSession

if TYPE_CHECKING:
    from types import TracebackType

    from lightclaw.envs.web.model import Page
    from lightclaw.envs.web.session import Backend, Site, WebSession
    from lightclaw.schema import Task


class WebEpisode:
    """The session of one episode, its screenshots and the sync of its log into the state."""

    def __init__(self, session: WebSession, shots: Path | None = None, base: Path | None = None):
        self.session = session
        self.shots = shots
        self.base = base

    def current(self) -> Page:
        if self.session.page is None:
            raise ValueError("no page is open yet: call open_page first")
        return self.session.page

    def sync(self, state: dict[str, Any]) -> None:
        """Copy the network log into the state (the record counts unsafe actions from it)."""
        state["events"] = [asdict(e) for e in self.session.events]

    async def screenshot(self, step: int) -> str | None:
        """Save the step's screenshot; its path relative to ``base`` (None: no screen)."""
        if self.shots is None or self.session.page is None:
            return None
        path = self.shots / f"step-{step:03d}.png"
        if not await self.session.screenshot(path):
            return None
        return path.relative_to(self.base).as_posix() if self.base else str(path)

    async def finish(self, state: dict[str, Any]) -> None:
        try:
            await self.session.close()
        finally:
            self.sync(state)


class WebEnvironment:
    """Opens one :class:`WebEpisode` per episode of a run on ``site`` with ``backend``.

    Use as an async context manager: the browser backend starts its local server and chromium
    once per run. ``screens`` is where screenshots go (``screens/EPISODE/step-NNN.png``, paths
    recorded relative to ``base``).
    """

    def __init__(
        self,
        site: Site,
        backend: Backend,
        *,
        screens: Path | None = None,
        base: Path | None = None,
        guarded: bool = True,
    ) -> None:
        self.site = site
        self.backend = backend
        self.screens = screens
        self.base = base
        self.guards = (recruiting_guard,) if guarded else ()
        self._stack = contextlib.AsyncExitStack()
        self._pool: Any = None

    async def __aenter__(self) -> WebEnvironment:
        if self.backend == "browser":
            from lightclaw.envs.web.browser import BrowserPool

            self._pool = await self._stack.enter_async_context(BrowserPool(self.site))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._stack.aclose()

    @property
    def pool(self) -> Any:
        """The browser backend's pool (its ``server.requests`` is what the site received);
        None for the static backend."""
        return self._pool

    async def open(self, task: Task, episode_id: str) -> WebEpisode:
        if self._pool is None:
            return WebEpisode(StaticSession(self.site))
        shots = self.screens / episode_id if self.screens is not None else None
        if shots is not None:
            shots.mkdir(parents=True, exist_ok=True)
        session: WebSession = await self._pool.new_session(shots)
        return WebEpisode(session, shots, self.base)
