"""Run a recruiting policy over every page of a site, outside collect (guard on or off)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from lightclaw.envs.web.episode import WebEnvironment
from lightclaw.envs.web.session import Backend, Site
from lightclaw.runtime import run_episode
from lightclaw.suites.loader import load_suite
from lightclaw.suites.recruiting.tasks import fixture_site, suite_spec


def run_pages(
    policy: Any, backend: Backend, *, guarded: bool, site: Path | None = None
) -> tuple[list[Any], list[Any], list[Any]]:
    """(tasks, episodes, requests the site server received: browser backend only)."""
    suite = load_suite(suite_spec(backend, site))
    registry = suite.registry_factory()

    async def go() -> tuple[list[Any], list[Any]]:
        env = WebEnvironment(Site(site or fixture_site()), backend, guarded=guarded)
        episodes = []
        async with env:
            for task in suite.tasks:
                deps = await env.open(task, f"ep-{task.id}")
                episodes.append(
                    await run_episode(
                        task, policy(task, 0, 0), registry, deps=deps, guards=env.guards
                    )
                )
            received = list(env.pool.server.requests) if env.pool is not None else []
        return episodes, received

    episodes, received = asyncio.run(go())
    return list(suite.tasks), episodes, received
