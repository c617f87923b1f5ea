"""Metrics over large stores: ``compute_metrics`` on 10k, 100k and 1M synthetic episodes.

Run: ``uv run python benchmarks/bench_metrics.py [--sizes 10000 100000 1000000] [--keep DIR]``.

Each store is generated once (10 steps per episode, rows made by the store's row builders and
inserted in bulk with ``Store.add_rows``; the episode ``record`` column holds a small valid JSON,
the step and call columns are realistic: tool steps with 1-3 calls, varied runtime error types,
corrections after feedback with the judge's labels, unjudged episodes, several trials per task,
two sources, suites and policies). No SQL here: the store owns it.
Each size is then measured in a fresh subprocess, so peak RSS (``ru_maxrss``) belongs to that
size alone. Prints time, time per million steps and peak RSS per size.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from lightclaw.schema import Run, RunConfig
from lightclaw.store import Store
from lightclaw.store.records import call_row, episode_row, step_row

STEPS_PER_EPISODE = 10
TRIALS = 5
CHUNK = 5_000  # episodes per insert transaction
# (run id, source, suite, policies): four runs, two sources, two suites, two policies each.
RUNS = (
    ("bench-det-core", "deterministic", "core", ("scripted:oracle", "scripted:sloppy")),
    ("bench-det-bfcl", "deterministic", "bfcl", ("scripted:oracle", "scripted:sloppy")),
    ("bench-live-core", "live", "core", ("qwen-0.5b", "llama-8b")),
    ("bench-live-bfcl", "live", "bfcl", ("qwen-0.5b", "llama-8b")),
)
TOOLS = ("search", "book", "calc", "read_file", "send_mail", "get_weather")
# Error type of a failed tool step, with weights (the call that failed carries it).
TOOL_ERRORS = (
    ("wrong_args", 5),
    ("tool_error", 3),
    ("unknown_tool", 2),
    ("timeout", 1),
    ("redundant_call", 2),
    ("policy_blocked", 1),
)
_RANK = {p: i for i, p in enumerate(sorted({p for run in RUNS for p in run[3]}))}
_ERR_NAMES = [e for e, _ in TOOL_ERRORS]
_ERR_WEIGHTS = [w for _, w in TOOL_ERRORS]


def _record(eid: str, run_id: str, task: str, suite: str, policy: str, trial: int) -> str:
    return json.dumps(
        {"id": eid, "run_id": run_id, "task_id": task, "suite": suite, "policy": policy,
         "trial": trial, "steps": []}, separators=(",", ":"),
    )  # fmt: skip


def episode_plan(n: int) -> list[tuple[str, str, str, str, int]]:
    """(run id, suite, policy, task id, trial) for ``n`` episodes, spread over the runs."""
    out: list[tuple[str, str, str, str, int]] = []
    per_policy = -(-n // (len(RUNS) * 2))
    for run_id, _, suite, policies in RUNS:
        for policy in policies:
            for j in range(per_policy):
                out.append((run_id, suite, policy, f"{suite}-task-{j // TRIALS:06d}", j % TRIALS))
    return out[:n]


def generate(path: Path, n: int, seed: int = 0) -> None:
    """Write a store of ``n`` synthetic episodes at ``path``."""
    rng = random.Random(seed)
    with Store(path) as store:
        for run_id, source, suite, policies in RUNS:
            store.create_run(
                Run(
                    id=run_id,
                    created=datetime(2025, 5, 1, tzinfo=UTC),
                    source=source,  # type: ignore[arg-type]
                    suite=suite,
                    policy=",".join(policies),
                    config=RunConfig(suite="travel"),
                    code_version="bench",
                )
            )
        plan = episode_plan(n)
        for start in range(0, n, CHUNK):
            eps, steps, calls = _chunk(rng, plan, start, min(n, start + CHUNK))
            store.add_rows(eps, steps, calls)


def _chunk(
    rng: random.Random, plan: list[tuple[str, str, str, str, int]], start: int, stop: int
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], list[tuple[object, ...]]]:
    eps: list[tuple[object, ...]] = []
    steps: list[tuple[object, ...]] = []
    calls: list[tuple[object, ...]] = []
    for k in range(start, stop):
        run_id, suite, policy, task, trial = plan[k]
        eid = f"ep_{k:010d}"
        # chance that a tool step fails: depends on the policy and (a little) on the task
        skill = 0.04 + 0.06 * _RANK[policy] + 0.02 * (zlib.crc32(task.encode()) % 3)
        r = rng.random()
        success = None if r < 0.05 else r < 0.05 + (1 - skill) * 0.8
        rows: list[list[object]] = []
        n_tool = n_err = 0
        for idx in range(STEPS_PER_EPISODE):
            failed_before = bool(rows) and rows[-1][2] is not None
            correction_of = idx - 1 if failed_before and rng.random() < 0.7 else None
            last = idx == STEPS_PER_EPISODE - 1
            error: str | None = None
            n_calls = 0
            if last:
                error = "invalid_format" if rng.random() < 0.02 else None
            elif rng.random() < 0.05:
                error = "invalid_format"
            else:
                n_calls = rng.choice((1, 1, 1, 2, 3))
                failed = rng.random() < skill
                if failed:
                    error = rng.choices(_ERR_NAMES, _ERR_WEIGHTS)[0]
                bad = rng.randrange(n_calls) if failed else -1
                for c in range(n_calls):
                    calls.append(
                        call_row(eid, idx, c, rng.choice(TOOLS), "error" if c == bad else "ok",
                                 error if c == bad else None, rng.randrange(10_000, 900_000))
                    )  # fmt: skip
                n_tool += 1
            n_err += error is not None
            judged = None if n_calls == 0 else rng.random() > skill
            # the judge's labels: a failed step before the last is a feedback event, attempted
            # when the next step corrects it; a correction recovers / over-corrects or not
            if rows and rows[-1][2] is not None:
                rows[-1][9] = correction_of is not None
            ok = over = None
            if correction_of is not None:
                ok = error is None and judged is not False and bool(success)
                over = rng.random() < 0.05
            rows.append([eid, idx, error, n_calls, correction_of, rng.randrange(10**6, 10**8),
                         judged, over, ok, None])  # fmt: skip
        steps += [step_row(*row) for row in rows]  # type: ignore[arg-type]
        eps.append(
            episode_row(eid, run_id, task, suite, policy, trial, k, "final_answer", "final_answer",
                        success, None if success is None else float(success), STEPS_PER_EPISODE,
                        n_tool, n_err, 10**9, "2025-05-01T00:00:00+00:00", 1,
                        _record(eid, run_id, task, suite, policy, trial))
        )  # fmt: skip
    return eps, steps, calls


def measure(path: Path) -> None:
    """Child process: time compute_metrics on ``path``; print one JSON line."""
    from lightclaw.evals.metrics import compute_metrics

    with Store(path) as store:  # not read-only: migrates a store kept from an older version
        run_ids = [r.id for r in store.list_runs()]
        start = time.perf_counter()
        report = compute_metrics(store, run_ids)
        elapsed = time.perf_counter() - start
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    episodes = sum(g.episodes for g in report.groups)
    steps = sum(g.steps for g in report.groups)
    print(json.dumps({"seconds": elapsed, "rss_mib": rss_kib / 1024, "episodes": episodes,
                      "steps": steps, "groups": len(report.groups)}))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--keep", type=Path, help="directory to keep (and reuse) the stores in")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure is not None:
        measure(args.measure)
        return
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        table = Table(title="compute_metrics over synthetic stores (all runs, default grouping)")
        for col in ("episodes", "steps", "generate s", "metrics s", "s per 1M steps", "peak RSS"):
            table.add_column(col, justify="right")
        baseline_rss = _child_rss()
        for n in args.sizes:
            path = root / f"metrics-{n}.db"
            gen = 0.0
            if not path.exists():
                t0 = time.perf_counter()
                generate(path, n)
                gen = time.perf_counter() - t0
            out = subprocess.run(
                [sys.executable, __file__, "--measure", str(path)],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
            got = json.loads(out.stdout.strip().splitlines()[-1])
            assert got["episodes"] == n, got
            table.add_row(
                f"{n:,}",
                f"{got['steps']:,}",
                f"{gen:.1f}" if gen else "(reused)",
                f"{got['seconds']:.2f}",
                f"{got['seconds'] / got['steps'] * 1e6:.2f}",
                f"{got['rss_mib']:.0f} MiB",
            )
        console.print(table)
        console.print(f"RSS of a child that only imports lightclaw: {baseline_rss:.0f} MiB")


def _child_rss() -> float:
    code = (
        "import resource, lightclaw.evals.metrics, lightclaw.store;"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout.strip())


if __name__ == "__main__":
    main()
