"""Pages/s of the recruiting dry-run's page reading: static backend vs a floor vs a peer.

Run:  uv run --frozen --group bench python benchmarks/bench_recruiting.py [--site DIR] [--rounds N]

Workload: every page of the fixture site plus the real pages of tests/data/jobs (the 238 KB
Greenhouse page among them), read from memory. Contenders, side by side in one run:

- floor: the standard library's ``html.parser`` tokenising each page (no model built at all);
- peer: BeautifulSoup 4 with lxml building its tree and finding the interactive elements
  (``a[href], button, input, select, textarea, form, iframe``) — what a scraper would do;
- LightClaw static: :func:`lightclaw.envs.web.parse.parse_page` building the full ``Page``
  (elements with ids and labels, forms, gates, jobs from JSON-LD / microdata / heuristics)
  and the text view a policy sees.

The browser backend (real chromium) is measured by benchmarks/bench_recruiting_browser.py.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

from rich.console import Console
from rich.table import Table

from lightclaw.envs.web.parse import decode_html, parse_page
from lightclaw.envs.web.session import STATIC_ORIGIN, Site
from lightclaw.envs.web.view import render_page
from lightclaw.suites.recruiting.tasks import fixture_site

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "data" / "jobs"


def load_pages(sites: list[Path]) -> list[tuple[str, str]]:
    pages = []
    for root in sites:
        site = Site(root)
        for rel in site.pages():
            path = site.file_of(rel)
            assert path is not None
            pages.append((f"{STATIC_ORIGIN}/{rel}", decode_html(path.read_bytes())[0]))
    return pages


def floor(pages: list[tuple[str, str]]) -> None:
    for _, html in pages:
        parser = HTMLParser()
        parser.feed(html)
        parser.close()


def peer() -> Callable[[list[tuple[str, str]]], None] | None:
    try:
        from bs4 import BeautifulSoup
    except ImportError:
        return None

    def run(pages: list[tuple[str, str]]) -> None:
        for _, html in pages:
            soup = BeautifulSoup(html, "lxml")
            soup.select("a[href], button, input, select, textarea, form, iframe")

    return run


def ours(pages: list[tuple[str, str]]) -> None:
    for url, html in pages:
        render_page(parse_page(html, url))


def dry_run_pages_per_second(rounds: int) -> tuple[float, int]:
    """The whole static dry-run of the fixture site (recruiter policy, guard, executor, tools):
    pages opened per second, and the pages of one pass."""
    import asyncio

    from lightclaw.envs.web.episode import WebEnvironment
    from lightclaw.policies.recruiting import Recruiter
    from lightclaw.runtime import run_episode
    from lightclaw.suites.loader import load_suite

    suite = load_suite("recruiting")
    registry = suite.registry_factory()

    async def once() -> int:
        pages = 0
        async with WebEnvironment(Site(fixture_site()), "static") as env:
            for task in suite.tasks:
                deps = await env.open(task, task.id)
                episode = await run_episode(
                    task, Recruiter(task, 0, 0), registry, deps=deps, guards=env.guards
                )
                pages += len((episode.final_state or {}).get("visited", []))
        return pages

    pages = asyncio.run(once())
    times = []
    for _ in range(max(3, rounds // 4)):
        start = time.perf_counter()
        asyncio.run(once())
        times.append(time.perf_counter() - start)
    return pages / statistics.median(times), pages


def measure(
    fn: Callable[[list[tuple[str, str]]], None], pages: list[tuple[str, str]], rounds: int
) -> float:
    fn(pages)  # warm-up
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn(pages)
        times.append(time.perf_counter() - start)
    return len(pages) / statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, action="append", help="page folders (repeatable)")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--no-browser", action="store_true", help="skip the browser backend")
    args = parser.parse_args()
    sites = args.site or [fixture_site(), REAL]
    pages = load_pages(sites)
    size = sum(len(h) for _, h in pages)
    contenders: dict[str, Callable[[list[tuple[str, str]]], None] | None] = {
        "floor (html.parser, tokenise only)": floor,
        "peer (BeautifulSoup + lxml, select)": peer(),
        "LightClaw static (Page + view)": ours,
    }
    rates = {
        name: (measure(fn, pages, args.rounds) if fn is not None else None)
        for name, fn in contenders.items()
    }
    table = Table(title=f"{len(pages)} pages, {size / 1e6:.2f} MB of HTML, {args.rounds} rounds")
    table.add_column("contender")
    table.add_column("pages/s", justify="right")
    table.add_column("vs floor", justify="right")
    base = rates["floor (html.parser, tokenise only)"]
    for name, rate in rates.items():
        if rate is None:
            table.add_row(name, "not installed", "")
        else:
            table.add_row(name, f"{rate:,.0f}", f"{rate / base:.2f}x" if base else "")
    Console(width=100).print(table)
    rate, visited = dry_run_pages_per_second(args.rounds)
    Console(width=100).print(
        f"static dry-run end to end (fixture site, scripted:recruiter, guard on): "
        f"{rate:,.0f} pages/s ({visited} pages opened per pass)"
    )
    if not args.no_browser:
        backends(args.rounds)


def backends(rounds: int) -> None:
    """Static vs browser backend on the fixture site, side by side: a session per page, the
    page opened (the browser also tags, reads boxes and takes the step's screenshot)."""
    import asyncio

    from bench_recruiting_browser import measure as browser_measure
    from lightclaw.envs.web.static import StaticSession

    site = Site(fixture_site())
    names = site.pages()

    async def static_pass() -> None:
        for rel in names:
            session = StaticSession(site)
            await session.open(rel, step=0)
            await session.close()

    asyncio.run(static_pass())
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        asyncio.run(static_pass())
        times.append(time.perf_counter() - start)
    static_rate = len(names) / statistics.median(times)
    try:
        browser = asyncio.run(browser_measure(site, 2, True))
    except Exception as exc:  # no chromium here: say so, keep the static figures
        Console(width=100).print(f"browser backend: not measured ({exc})")
        return
    browser_rate = float(browser["pages_per_s"])  # type: ignore[arg-type]
    table = Table(title=f"backends on the fixture site ({len(names)} pages, a session per page)")
    table.add_column("backend")
    table.add_column("pages/s", justify="right")
    table.add_column("ms / page", justify="right")
    table.add_column("vs static", justify="right")
    table.add_row("static", f"{static_rate:,.0f}", f"{1000 / static_rate:.2f}", "1.00x")
    table.add_row(
        "browser (chromium, screenshots)",
        f"{browser_rate:.1f}",
        f"{1000 / browser_rate:.0f}",
        f"{browser_rate / static_rate:.4f}x",
    )
    Console(width=100).print(table)
    parts = Table(title="browser cost per page (median ms)")
    for column in ("chromium launch (once)", "context", "navigation", "tagging", "parse",
                   "screenshot"):  # fmt: skip
        parts.add_column(column, justify="right")
    keys = ("launch_ms", "context_ms", "navigation_ms", "tagging_ms", "parse_ms", "screenshot_ms")
    parts.add_row(*(f"{float(browser[key]):.1f}" for key in keys))  # type: ignore[arg-type]
    Console(width=100).print(parts)


if __name__ == "__main__":
    main()
