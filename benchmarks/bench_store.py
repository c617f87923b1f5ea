"""Store ingest throughput: ``Store.add_episodes`` vs a raw-sqlite3 floor, side by side.

Run: ``uv run python benchmarks/bench_store.py [--episodes 20000] [--batch 256]``.
The floor inserts the same steps, already serialised to JSON, as (id, json) rows with
``executemany`` into one table: it is the cost of SQLite alone. It runs twice: with SQLite's
default 4 KiB pages, and with the store's pragmas (16 KiB pages, WAL, synchronous=NORMAL); the
ratio is taken against the latter, so it measures only what the store adds.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

from lightclaw.schema import (
    CallRecord,
    Episode,
    FinalAnswer,
    RawOutput,
    Run,
    RunConfig,
    Step,
    SystemMessage,
    ToolCall,
    ToolResultMessage,
    UserMessage,
)
from lightclaw.store import Store
from lightclaw.store.migrate import PAGE_SIZE
from lightclaw.store.records import episode_rows

STEPS_PER_EPISODE = 10
RUN_ID = "bench-run"


def make_episode(n: int) -> Episode:
    """Nine tool-call steps with realistic observations and outputs, then a final answer."""
    steps: list[Step] = []
    for i in range(STEPS_PER_EPISODE - 1):
        call_id = f"call_{n}_{i}"
        args = {"city": "Zürich", "date": f"2025-04-{i + 1:02d}", "limit": 5 + i}
        if i == 0:
            observation = [
                SystemMessage(content="You are a travel agent. Use the tools; answer briefly."),
                UserMessage(content=f"Find the cheapest hotel in Zürich for trip #{n}."),
            ]
        else:
            observation = [
                ToolResultMessage(
                    call_id=f"call_{n}_{i - 1}",
                    tool="search_hotels",
                    content='{"hotels": [{"name": "Hotel Storchen", "price": 240.0}, '
                    f'{{"name": "Motel One", "price": 129.0}}], "page": {i}}}',
                )
            ]
        steps.append(
            Step(
                index=i,
                observation=observation,
                raw_output=RawOutput(
                    text=f"I will search page {i} for cheaper options.",
                    tool_calls=[
                        {
                            "id": call_id,
                            "type": "function",
                            "function": {"name": "search_hotels", "arguments": str(args)},
                        }
                    ],
                ),
                actions=[ToolCall(tool="search_hotels", arguments=args, call_id=call_id)],
                calls=[
                    CallRecord(
                        index=0,
                        call_id=call_id,
                        tool="search_hotels",
                        arguments=args,
                        status="ok",
                        output={
                            "hotels": [
                                {"name": "Hotel Storchen", "price": 240.0, "stars": 5},
                                {"name": "Motel One", "price": 129.0 - i, "stars": 3},
                            ],
                            "page": i,
                        },
                        latency_ns=15_000 + i,
                    )
                ],
                policy_latency_ns=2_000_000,
                latency_ns=2_020_000,
                reward=0.0,
            )
        )
    last = STEPS_PER_EPISODE - 1
    steps.append(
        Step(
            index=last,
            observation=[
                ToolResultMessage(
                    call_id=f"call_{n}_{last - 1}", tool="search_hotels", content="{}"
                )
            ],
            raw_output=RawOutput(text="The cheapest is Motel One at 121 CHF."),
            actions=[FinalAnswer(content="Motel One, 121 CHF")],
            reward=1.0,
        )
    )
    return Episode(
        id=f"ep-{n:07d}",
        run_id=RUN_ID,
        task_id=f"hotel-{n:07d}",
        suite="travel",
        policy="scripted",
        seed=n,
        outcome="final_answer",
        stop_reason="task_completed",
        final_answer="Motel One, 121 CHF",
        steps=steps,
        success=True,
        reward=1.0,
        reward_components={"task_success": 1.0, "latency_proxy": -0.01},
        started_at=datetime(2025, 4, 1, tzinfo=UTC) + timedelta(seconds=n),
        duration_ns=20_000_000,
    )


def bench_store(episodes: list[Episode], batch: int, root: Path) -> float:
    with Store(root / "store.db") as store:
        store.create_run(
            Run(
                id=RUN_ID,
                created=datetime.now(UTC),
                source="deterministic",
                suite="travel",
                policy="scripted",
                config=RunConfig(suite="travel"),
                code_version="bench",
            )
        )
        start = time.perf_counter()
        for i in range(0, len(episodes), batch):
            store.add_episodes(episodes[i : i + batch])
        elapsed = time.perf_counter() - start
        assert store.count_episodes(RUN_ID) == len(episodes)
    return elapsed


def bench_serialise(episodes: list[Episode], batch: int) -> float:
    start = time.perf_counter()
    for i in range(0, len(episodes), batch):
        episode_rows(episodes[i : i + batch])
    return time.perf_counter() - start


def bench_floor(rows: list[list[tuple[str, str]]], root: Path, page_size: int) -> float:
    conn = sqlite3.connect(root / f"floor{page_size}.db", isolation_level=None)
    conn.execute(f"PRAGMA page_size = {page_size}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("CREATE TABLE steps (id TEXT PRIMARY KEY, json TEXT NOT NULL)")
    start = time.perf_counter()
    for chunk in rows:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO steps (id, json) VALUES (?, ?)", chunk)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--episodes", type=int, default=20_000, help="episodes of 10 steps")
    parser.add_argument("--batch", type=int, default=256, help="episodes per add_episodes call")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    args = parser.parse_args()

    episodes = [make_episode(n) for n in range(args.episodes)]
    n_steps = args.episodes * STEPS_PER_EPISODE
    # The floor gets the steps pre-serialised: no Pydantic, no column extraction.
    floor_rows = [
        [
            (f"{ep.id}/{s.index}", s.model_dump_json())
            for ep in episodes[i : i + args.batch]
            for s in ep.steps
        ]
        for i in range(0, len(episodes), args.batch)
    ]
    store_s: list[float] = []
    floor_s: list[float] = []
    floor4k_s: list[float] = []
    ser_s: list[float] = []
    for _ in range(args.repeat):  # interleaved, so background load hits every path alike
        with tempfile.TemporaryDirectory() as tmp:
            floor4k_s.append(bench_floor(floor_rows, Path(tmp), 4096))
            floor_s.append(bench_floor(floor_rows, Path(tmp), PAGE_SIZE))
            store_s.append(bench_store(episodes, args.batch, Path(tmp)))
        ser_s.append(bench_serialise(episodes, args.batch))
    store_t, floor_t, floor4k_t, ser_t = (
        statistics.median(x) for x in (store_s, floor_s, floor4k_s, ser_s)
    )

    table = Table(
        title=f"Store ingest: {n_steps:,} steps ({args.episodes:,} episodes x 10), "
        f"batches of {args.batch} episodes, median of {args.repeat}"
    )
    table.add_column("path")
    table.add_column("seconds", justify="right")
    table.add_column("steps/s", justify="right")
    table.add_column("vs floor", justify="right")
    rows = [
        ("raw sqlite3 floor, SQLite default 4 KiB pages", floor4k_t),
        ("raw sqlite3 floor, store pragmas (16 KiB pages)", floor_t),
        ("Store.add_episodes, end to end", store_t),
        ("  of which JSON dump + column extraction", ser_t),
    ]
    for name, seconds in rows:
        table.add_row(
            name, f"{seconds:.3f}", f"{n_steps / seconds:,.0f}", f"{seconds / floor_t:.2f}x"
        )
    console = Console()
    console.print(table)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    console.print(f"machine: {os.cpu_count()} CPUs, load average {load} (background load skews)")
    goal = 50_000
    verdict = "meets" if n_steps / store_t >= goal else "MISSES"
    console.print(f"goal >= {goal:,} steps/s: {verdict} ({n_steps / store_t:,.0f} steps/s)")


if __name__ == "__main__":
    main()
