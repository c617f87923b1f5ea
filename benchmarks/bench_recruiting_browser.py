"""Recruiting pages/s in the browser backend, with the per-page cost breakdown.

Run: ``uv run python benchmarks/bench_recruiting_browser.py [--site DIR] [--passes 3]
[--no-shots]``. Needs Debian's chromium (``apt-get install chromium``) and the browser extra.

One :class:`~lightclaw.envs.web.browser.BrowserPool` (Chromium launched once, the site served on
127.0.0.1); every page of the site is opened in a fresh session (one browser context, as one
episode gets) with a step screenshot, ``--passes`` times. pages/s counts the whole episode
cost: the new context, the open, the screenshot and the close; the launch is reported apart.
The breakdown is the median of each phase of :class:`~lightclaw.envs.web.browser.PageTimings`
(navigation = request + load, tagging = ``data-lc-id`` + boxes, parse = ``page.content()`` +
``parse_page``), plus the context's own open/close.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from lightclaw.envs.web.browser import BrowserPool
from lightclaw.envs.web.session import Site

FIXTURE_SITE = Path(__file__).resolve().parents[1] / "src/lightclaw/suites/recruiting/site"


async def measure(site: Site, passes: int, shots: bool) -> dict[str, object]:
    launch_start = time.perf_counter()
    async with BrowserPool(site) as pool:
        launch_ms = (time.perf_counter() - launch_start) * 1000
        pages = site.pages()
        context_ms: list[float] = []
        errors: dict[str, str] = {}
        timings = []
        with tempfile.TemporaryDirectory(prefix="lightclaw-bench-") as tmp:
            start = time.perf_counter()
            for n in range(passes):
                for rel in pages:
                    before = time.perf_counter()
                    shot_dir = Path(tmp) / f"{n}-{rel.replace('/', '_')}" if shots else None
                    session = await pool.new_session(shot_dir)
                    opened = time.perf_counter()
                    page = await session.open(rel, step=0)
                    closing = time.perf_counter()
                    await session.close()
                    context_ms.append((opened - before + time.perf_counter() - closing) * 1000)
                    timings.extend(session.timings)
                    if page.error:
                        errors[rel] = page.error
            wall = time.perf_counter() - start
    opened_count = passes * len(pages)
    return {
        "pages": len(pages),
        "opened": opened_count,
        "wall_s": wall,
        "pages_per_s": opened_count / wall if wall else 0.0,
        "launch_ms": launch_ms,
        "context_ms": statistics.median(context_ms),
        "navigation_ms": statistics.median(t["navigation_ms"] for t in timings),
        "tagging_ms": statistics.median(t["tagging_ms"] for t in timings),
        "parse_ms": statistics.median(t["parse_ms"] for t in timings),
        "screenshot_ms": statistics.median(t["screenshot_ms"] for t in timings),
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=FIXTURE_SITE, help="a folder of pages")
    parser.add_argument("--passes", type=int, default=3, help="times each page is opened")
    parser.add_argument("--no-shots", action="store_true", help="skip the step screenshots")
    args = parser.parse_args()
    site = Site(args.site)
    if not site.pages():
        parser.error(f"no .html pages under {args.site}")
    result = asyncio.run(measure(site, max(args.passes, 1), not args.no_shots))
    console = Console()
    table = Table(title=f"browser backend on {args.site} ({result['pages']} pages)")
    for column in ("what", "value"):
        table.add_column(column)
    table.add_row("pages opened", str(result["opened"]))
    table.add_row("pages/s (context + open + screenshot + close)", f"{result['pages_per_s']:.1f}")
    table.add_row("chromium launch + server start (ms, once)", f"{result['launch_ms']:.0f}")
    for phase in ("context", "navigation", "tagging", "parse", "screenshot"):
        table.add_row(f"median {phase} ms / page", f"{result[f'{phase}_ms']:.1f}")
    console.print(table)
    errors = result["errors"]
    if isinstance(errors, dict) and errors:
        console.print(f"{len(errors)} page(s) with an error:")
        for rel, error in sorted(errors.items()):
            console.print(f"  {rel}: {error}")


if __name__ == "__main__":
    main()
