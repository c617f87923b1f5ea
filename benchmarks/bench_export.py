"""Export throughput: SFT + DPO + GRPO from one pool of N synthetic trajectories.

Run: ``uv run python benchmarks/bench_export.py [--sizes 10000 100000] [--keep DIR]``.

The pool is made from a real demo run (the core suite with every scripted persona, so the
trajectories carry parallel calls, errors, corrections and rewards): its episodes are replicated
through the store's own API (``Store.add_episodes``, new ids and trial numbers) until the pool has
N trajectories. Each size is exported in a fresh subprocess (``run_export`` with formats sft, dpo
and grpo, dedupe off so replicas count, token lengths off: they measure the tokenizer, not the
writers), so peak RSS belongs to that size alone. Prints trajectories/s and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from lightclaw.export.formats import run_export
from lightclaw.export.pool import Selection
from lightclaw.policies.personas import PERSONAS
from lightclaw.rollouts.collect import collect_sync, start_run
from lightclaw.store import Store

FORMATS = ("sft", "dpo", "grpo")
BATCH = 2_000


def generate(path: Path, n: int) -> None:
    """A store whose one run holds ``n`` trajectories replicated from a real demo run."""
    with Store(path) as store:
        run = start_run(store, "core", [f"scripted:{p}" for p in PERSONAS])
        collect_sync(store, run, show_progress=False)
        templates = list(store.iter_episodes(run.id))
        have, copy = len(templates), 0
        while have < n:
            copy += 1  # a new trial of every (task, policy)
            replicas = [
                ep.model_copy(update={"id": f"{ep.id}c{copy}", "trial": copy})
                for ep in templates[: n - have]
            ]
            for start in range(0, len(replicas), BATCH):
                store.add_episodes(replicas[start : start + BATCH])
            have += len(replicas)


def measure(path: Path, out: Path) -> None:
    """Child process: export, print JSON figures."""
    with Store(path, readonly=True) as store:
        n = store.count_episodes()
        t0 = time.perf_counter()
        manifest, _ = run_export(
            store, Selection(dedupe=False), out, FORMATS, test_fraction=0.1, token_lengths=False
        )
        seconds = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = {f.path: f.rows for f in manifest.files}
    print(json.dumps({"n": n, "seconds": seconds, "rss_mib": rss, "rows": rows}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--keep", type=Path, help="directory to keep (and reuse) the stores in")
    parser.add_argument("--measure", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(*args.measure)
        return
    root = args.keep or Path(tempfile.mkdtemp(prefix="lc-bench-export-"))
    root.mkdir(parents=True, exist_ok=True)
    table = Table(title="export SFT + DPO + GRPO from one pool", title_justify="left")
    for col in ("trajectories", "seconds", "trajectories/s", "peak RSS", "rows written"):
        table.add_column(col, justify="right")
    for n in args.sizes:
        db = root / f"export-{n}.db"
        if not db.exists():
            generate(db, n)
        out = Path(tempfile.mkdtemp(prefix="lc-export-")) / "out"
        child = subprocess.run(
            [sys.executable, __file__, "--measure", str(db), str(out)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        r = json.loads(child.stdout.strip().splitlines()[-1])
        table.add_row(
            f"{r['n']:,}", f"{r['seconds']:.1f}", f"{r['n'] / r['seconds']:,.0f}",
            f"{r['rss_mib']:.0f} MiB", f"{sum(r['rows'].values()):,}",
        )  # fmt: skip
    Console().print(table)
    Console().print("goal: >= 20,000 trajectories/s and < 500 MB peak RSS")


if __name__ == "__main__":
    main()
