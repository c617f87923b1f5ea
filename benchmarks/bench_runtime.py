"""Per-step overhead of LightClaw's loop vs a plain-Python floor and peer agent frameworks.

Run:  uv run --group bench python benchmarks/bench_runtime.py   [--episodes N] [--quick]

Workload (benchmarks/_peers_common.py): a 10-step scripted episode — 9 calls of a typed
``add(a: int, b: int) -> int`` tool with different arguments, then a final answer. Per-step time =
episode wall time / 10, median (and p90) over many episodes after warm-up. Also measured: store
ingest in steps/s (benchmarks/bench_store.py) and ``lightclaw --help`` start time.
Peers that are not installed print "not installed". Results are recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from unittest.mock import patch

from rich.console import Console
from rich.table import Table

from _peers_common import Harness, Result, measure_all, package_version
from _peers_frameworks import PEERS, build_floor
from _peers_lightclaw import build_lightclaw_dicts, build_lightclaw_text, build_typed_floor

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_GOAL = 2.0  # LightClaw per-step time <= 2x the floor
CLI_GOAL = 0.3  # seconds for `lightclaw --help`

console = Console(width=120)


CONTENDERS: dict[str, tuple[Callable[[], Harness], bool]] = {
    # label: (builder, slow) — the frameworks take milliseconds per step: they get fewer episodes
    "floor": (build_floor, False),
    "typed floor": (build_typed_floor, False),
    "LightClaw (dicts)": (build_lightclaw_dicts, False),
    "LightClaw (text)": (build_lightclaw_text, False),
    **{label: (build, True) for label, build in PEERS.items()},
}


def _build(label: str, build: Callable[[], Harness]) -> Harness | Result:
    try:
        return build()
    except ImportError as exc:
        missing = exc.name or str(exc)
        if missing.startswith("lightclaw"):
            return Result(label, skipped=f"not available yet ({missing} is missing)")
        return Result(label, skipped=f"not installed ({missing})")


def runtime_results(episodes: int, warmup: int, rounds: int) -> list[Result]:
    built = [_build(label, build) for label, (build, _) in CONTENDERS.items()]
    plan: list[tuple[Harness, int, int]] = []
    for item, (_, slow) in zip(built, CONTENDERS.values(), strict=True):
        if isinstance(item, Harness):
            n = max(episodes // 4, 5 * rounds) if slow else episodes
            plan.append((item, max(warmup // 4, 5) if slow else warmup, n))
            console.print(f"  {item.name}: {plan[-1][1]} warm-up + {n} timed episodes")
    console.print(f"  timing in {rounds} interleaved rounds ...")
    measured = iter(measure_all(plan, rounds=rounds))
    return [item if isinstance(item, Result) else next(measured) for item in built]


def _ratio(value: float, base: Result | None) -> str:
    if base is None or base.skipped or not base.per_step_ns:
        return "—"
    ratio = value / base.median_us
    return f"{ratio:.2f}×" if ratio < 10 else f"{ratio:,.0f}×"


def print_runtime(results: list[Result]) -> None:
    floor = results[0]
    lightclaw = next((r for r in results if r.name.startswith("LightClaw") and not r.skipped), None)
    table = Table(title="Per-step time, 10-step scripted episode (lower is better)")
    for column in ("contender", "µs/step (median)", "p90", "× floor", "× LightClaw"):
        table.add_column(column, justify="left" if column == "contender" else "right")
    for r in results:
        if r.skipped:
            table.add_row(r.name, r.skipped, "", "", "")
            continue
        table.add_row(
            r.name,
            f"{r.median_us:,.1f}",
            f"{r.p90_us:,.1f}",
            _ratio(r.median_us, floor),
            _ratio(r.median_us, lightclaw),
        )
    console.print(table)
    for r in results:
        if r.name.startswith("LightClaw") and not r.skipped:
            ratio = r.median_us / floor.median_us
            verdict = "meets" if ratio <= RUNTIME_GOAL else "MISSES"
            console.print(
                f"{r.name}: {ratio:.1f}× the floor — {verdict} the goal of ≤ {RUNTIME_GOAL:g}×"
            )
    if lightclaw is None:
        console.print("LightClaw: not measured (src/lightclaw/runtime is not there yet)")


def store_ingest(repeat: int) -> None:
    """Store ingest steps/s: runs benchmarks/bench_store.py's own main (it prints its table)."""
    try:
        import bench_store
    except ImportError as exc:
        console.print(f"store ingest: skipped ({exc})")
        return
    console.print("store ingest (benchmarks/bench_store.py, 200,000 steps):")
    with patch.object(sys, "argv", ["bench_store.py", "--repeat", str(repeat)]):
        try:
            bench_store.main()
        except Exception:
            console.print("store ingest: FAILED\n" + traceback.format_exc(limit=4))


def _median_wall(cmd: list[str], runs: int) -> float:
    times = []
    for i in range(runs + 1):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        if i:  # the first run warms the OS file cache
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def cli_start(runs: int = 10) -> None:
    exe = ROOT / ".venv" / "bin" / "lightclaw"
    if not exe.exists():
        console.print(f"lightclaw --help: skipped ({exe} does not exist)")
        return
    probe = subprocess.run([str(exe), "--help"], capture_output=True, text=True)
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["?"])[-1]
        console.print(f"lightclaw --help: skipped (the CLI is not there yet: {last})")
        return
    cli = _median_wall([str(exe), "--help"], runs)
    floor = _median_wall([sys.executable, "-c", "pass"], runs)
    verdict = "meets" if cli < CLI_GOAL else "MISSES"
    console.print(
        f"lightclaw --help: {cli * 1000:.0f} ms median of {runs} (python -c pass: "
        f"{floor * 1000:.0f} ms, {cli / floor:.1f}×) — {verdict} the goal of < {CLI_GOAL} s"
    )


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, pydantic {package_version('pydantic')}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=400, help="timed episodes per contender")
    parser.add_argument("--warmup", type=int, default=60, help="untimed warm-up episodes")
    parser.add_argument("--rounds", type=int, default=20, help="interleaved timing rounds")
    parser.add_argument("--store-repeat", type=int, default=1, help="bench_store.py --repeat")
    parser.add_argument("--quick", action="store_true", help="few episodes, no store/CLI")
    args = parser.parse_args(argv)
    if args.quick:
        args.episodes, args.warmup, args.rounds = 60, 10, 2
    console.print(f"machine: {machine()}")
    results = runtime_results(args.episodes, args.warmup, args.rounds)
    print_runtime(results)
    versions = {k: v for r in results for k, v in r.versions.items()}
    console.print("versions: " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())))
    if not args.quick:
        store_ingest(args.store_repeat)
        cli_start()


if __name__ == "__main__":
    main()
