"""``lightclaw check``: end-to-end invariants, one pass/fail line each; exit 1 on any failure."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from lightclaw.cli.render import console
from lightclaw.evals.check import run_checks_sync
from lightclaw.store import Store


def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="lightclaw-check-") as tmp:
        path = Path(args.db) if args.db else Path(tmp) / "lightclaw.db"
        with Store(path) as store:
            results = run_checks_sync(store, seed=args.seed)
    out = console()
    for r in results:
        mark = "[green]PASS[/green]" if r.ok else "[red]FAIL[/red]"
        out.print(f"{mark}  {r.name}: {r.detail}")
    failed = sum(not r.ok for r in results)
    out.print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0
