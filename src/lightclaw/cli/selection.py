"""Pool filters shared by ``export``, ``spa`` and ``pipeline`` (argparse only: fast to import)."""

from __future__ import annotations

import argparse


def add_selection_arguments(parser: argparse.ArgumentParser, *, pipeline: bool = False) -> None:
    if not pipeline:  # the pipeline selects the run it just collected
        parser.add_argument("--run", action="append", default=[], help="run id (repeatable)")
        parser.add_argument("--suite", dest="select_suite", help="only this suite")
        parser.add_argument("--source", choices=["deterministic", "live", "imported"])
        parser.add_argument("--policy", dest="select_policy", help="only this policy")
    parser.add_argument("--success-only", action="store_true", help="only successful episodes")
    parser.add_argument("--min-reward", type=float, help="only episodes with reward >= this")
    parser.add_argument("--max-steps", type=int, help="only episodes with at most this many steps")
    parser.add_argument("--no-dedupe", action="store_true", help="keep duplicate trajectories")
    parser.add_argument("--test-fraction", type=float, default=0.1, help="tasks held out for test")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier export")
    parser.add_argument(
        "--no-token-lengths",
        action="store_true",
        help="do not measure token lengths for the data card (they need the train extra)",
    )
