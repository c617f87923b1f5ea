"""The shared workload and timing harness of bench_runtime.py.

Workload (identical for every contender): one tiny typed tool ``add(a: int, b: int) -> int`` and
a scripted model that emits 9 tool calls (one per step, different arguments each step) and then a
final answer: 10 steps per episode. Per-step time = episode wall time / 10 (perf_counter_ns).
Contenders are timed in interleaved rounds so that load from other processes hits all alike.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from pydantic import BaseModel, ConfigDict

STEPS = 10
#: (a, b) of the 9 tool calls; every step differs so nothing is a redundant call.
CALLS: tuple[tuple[int, int], ...] = tuple((i, 2 * i + 1) for i in range(STEPS - 1))
#: What the tool returns at each call.
EXPECTED_OUTPUTS: tuple[int, ...] = tuple(a + b for a, b in CALLS)
#: The final answer of the episode (the scripted model "sums up" the tool results).
FINAL_ANSWER = str(sum(EXPECTED_OUTPUTS))
PROMPT = "Add the pairs of numbers one by one, then report the total."


def add(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: The first addend.
        b: The second addend.
    """
    return a + b


class AddArgs(BaseModel):
    """The Pydantic model of ``add``'s arguments (what a typed-tool layer validates with)."""

    model_config = ConfigDict(extra="forbid")

    a: int
    b: int


def openai_tool_call(step: int) -> dict[str, Any]:
    """The OpenAI-style assistant message a tool-calling model emits at ``step`` (< 9)."""
    a, b = CALLS[step]
    return {
        "content": None,
        "tool_calls": [
            {
                "id": f"call_{step}",
                "type": "function",
                "function": {"name": "add", "arguments": {"a": a, "b": b}},
            }
        ],
    }


class EpisodeMismatch(AssertionError):
    """A contender's episode did not do the scripted work (wrong calls, results or answer)."""


def check_outputs(name: str, outputs: Sequence[object], answer: object) -> None:
    """Fail loudly unless the 9 tool results and the final answer are the expected ones."""
    got = [int(str(o)) for o in outputs]
    if got != list(EXPECTED_OUTPUTS):
        raise EpisodeMismatch(f"{name}: tool outputs {got} != {list(EXPECTED_OUTPUTS)}")
    if str(answer).strip() != FINAL_ANSWER:
        raise EpisodeMismatch(f"{name}: final answer {answer!r} != {FINAL_ANSWER!r}")


@dataclass
class Harness:
    """One contender: ``run()`` plays one episode (sync or async); ``check`` verifies its result."""

    name: str
    run: Callable[[], Any]
    check: Callable[[Any], None]
    reset: Callable[[], None] = field(default=lambda: None)
    versions: dict[str, str] = field(default_factory=dict)
    note: str = ""


@dataclass
class Result:
    """Per-step timings (ns) of one contender, or why it did not run."""

    name: str
    per_step_ns: list[float] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    note: str = ""
    skipped: str | None = None

    @property
    def median_us(self) -> float:
        return statistics.median(self.per_step_ns) / 1000

    @property
    def p90_us(self) -> float:
        return statistics.quantiles(self.per_step_ns, n=10, method="inclusive")[-1] / 1000


def package_version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


async def _episodes_async(h: Harness, n: int, verify: bool) -> list[float]:
    run: Callable[[], Awaitable[Any]] = h.run
    times: list[float] = []
    for i in range(n):
        h.reset()
        t0 = time.perf_counter_ns()
        out = await run()
        times.append((time.perf_counter_ns() - t0) / STEPS)
        if verify and i == n - 1:
            h.check(out)
    return times


def _episodes_sync(h: Harness, n: int, verify: bool) -> list[float]:
    run = h.run
    times: list[float] = []
    for i in range(n):
        h.reset()
        t0 = time.perf_counter_ns()
        out = run()
        times.append((time.perf_counter_ns() - t0) / STEPS)
        if verify and i == n - 1:
            h.check(out)
    return times


def play(h: Harness, n: int, *, verify: bool = True) -> list[float]:
    """Play ``n`` episodes; per-step ns of each. With ``verify`` the last one is checked."""
    if inspect.iscoroutinefunction(h.run):
        return asyncio.run(_episodes_async(h, n, verify))
    return _episodes_sync(h, n, verify)


def measure_all(harnesses: Sequence[tuple[Harness, int, int]], *, rounds: int) -> list[Result]:
    """``(harness, warmup, episodes)`` each: warm up (checked), then time in interleaved rounds."""
    results = [Result(h.name, versions=h.versions, note=h.note) for h, _, _ in harnesses]
    for h, warmup, _ in harnesses:
        play(h, max(warmup, 1))
    for _ in range(rounds):
        for result, (h, _, episodes) in zip(results, harnesses, strict=True):
            gc.collect()
            result.per_step_ns += play(h, max(episodes // rounds, 1))
    return results
