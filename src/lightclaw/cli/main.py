"""Entry point. Imports are lazy so ``lightclaw --help`` starts fast.

The error contract (docs/errors.md): bad input prints one line ``lightclaw: error: ...`` and exits
2; an environment failure (full disk, read-only or unwritable directory, I/O error) prints one line
and exits 1; a closed stdout (``lightclaw ... | head``) ends quietly with status 141, as ``cat``
does; Ctrl-C exits 130. Anything else is a bug in LightClaw and fails loudly with a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from lightclaw import __version__

EXIT_BROKEN_PIPE = 128 + 13  # killed by SIGPIPE, as `cat` reports it
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line like every other error of the CLI."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("lightclaw").strip()
        where = f"{command}: " if command else ""
        self.exit(2, f"lightclaw: error: {where}{message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="lightclaw",
        description="Local-first agent runtime and post-training data loop.",
    )
    parser.add_argument(
        "--home",
        help="data directory (default: $LIGHTCLAW_HOME or ./lightclaw-data); "
        "the store is HOME/lightclaw.db",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="run the core suite with every scripted persona")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--trials", type=int, default=1)
    demo.add_argument("--concurrency", type=int, default=8)
    demo.add_argument("--reward-config", metavar="TOML", help="reward weights ([reward.weights])")

    collect = sub.add_parser("collect", help="collect episodes into the store")
    collect.add_argument("--suite", default="core", help="built-in suite name or a task file path")
    collect.add_argument(
        "--policy", action="append", help="policy spec, e.g. scripted:oracle (repeatable)"
    )
    collect.add_argument("--trials", type=int, default=1)
    collect.add_argument("--seed", type=int, default=0)
    collect.add_argument("--concurrency", type=int, default=8)
    collect.add_argument("--resume", metavar="RUN", help="finish an incomplete run")
    collect.add_argument(
        "--reward-config", metavar="TOML", help="reward weights ([reward.weights])"
    )

    runs = sub.add_parser("runs", help="list or show stored runs")
    runs_sub = runs.add_subparsers(dest="runs_command", metavar="list|show", required=True)
    runs_list = runs_sub.add_parser("list", help="list runs, newest first")
    runs_list.add_argument("--limit", type=int, default=20)
    runs_show = runs_sub.add_parser("show", help="show a run's summary")
    runs_show.add_argument("run_id", metavar="RUN")

    replay = sub.add_parser("replay", help="replay an episode from its recorded outputs")
    replay.add_argument("episode_id", metavar="EPISODE_ID")
    replay.add_argument("--quiet", action="store_true", help="only print the verdict")
    replay.add_argument(
        "--re-execute",
        action="store_true",
        help="run the recorded actions against the tools again and diff their results",
    )

    evaluate = sub.add_parser("eval", help="metrics and failure analysis of a stored run")
    evaluate.add_argument("run_id", metavar="RUN", nargs="?", help="a stored run")
    evaluate.add_argument(
        "--protocol",
        choices=["two-attempt"],
        help="collect a new run with the SCoRe two-attempt protocol, then evaluate it",
    )
    evaluate.add_argument(
        "--feedback",
        choices=["generic", "verifier"],
        help="with --protocol: feedback between the attempts, SCoRe's generic prompt (default) "
        "or the verifier's verdict",
    )
    evaluate.add_argument("--suite", default="core", help="with --protocol: suite or task file")
    evaluate.add_argument(
        "--policy", action="append", help="with --protocol: policy spec (default: every persona)"
    )
    evaluate.add_argument("--trials", type=int, default=1, help="with --protocol")
    evaluate.add_argument(
        "--out", metavar="DIR", help="where report.json and report.md go (default HOME/reports/RUN)"
    )
    evaluate.add_argument(
        "--compare", metavar="RUN2", help="metric deltas and flipped tasks of RUN2 vs RUN"
    )
    evaluate.add_argument(
        "--seed", type=int, default=0, help="run seed (--protocol) and bootstrap seed"
    )

    from lightclaw.cli.selection import add_selection_arguments

    formats = "sft,llamafactory,dpo,grpo,verl,selfcorrect,spa"
    export = sub.add_parser("export", help="training data from the store, with a data card")
    export.add_argument("--formats", default=formats, help=f"comma-separated (default {formats})")
    export.add_argument("--out", required=True, metavar="DIR")
    export.add_argument(
        "--spa-estimator", choices=["error_aware", "uniform"], default="error_aware"
    )
    add_selection_arguments(export)
    spa = sub.add_parser(
        "spa",
        help="episode reward split exactly over the steps (equal or error-aware), "
        "prepared for SPA-RL's progress estimator",
    )
    spa.add_argument("--out", required=True, metavar="DIR")
    spa.add_argument("--estimator", choices=["error_aware", "uniform"], default="error_aware")
    add_selection_arguments(spa)
    pipe = sub.add_parser("pipeline", help="collect -> distill -> export -> SPA -> eval")
    pipe.add_argument("--suite", default="core")
    pipe.add_argument("--policy", action="append", help="policy spec (default: every persona)")
    pipe.add_argument("--trials", type=int, default=1)
    pipe.add_argument("--formats", default=formats)
    pipe.add_argument("--out", metavar="DIR", help="export directory (default HOME/exports/RUN)")
    add_selection_arguments(pipe, pipeline=True)

    train_check = sub.add_parser(
        "train-check",
        help="check that trainers read an export as meant (validate, load, render, --steps train)",
    )
    train_check.add_argument("directory", metavar="DIR", type=Path, help="an export directory")
    train_check.add_argument(
        "--max-length", type=int, default=2048, help="token limit for the truncation report"
    )
    train_check.add_argument(
        "--steps", type=int, default=0, help="also run N real SFT/DPO/GRPO steps on a tiny model"
    )
    train_check.add_argument("--json", metavar="PATH", type=Path, help="also write the report")
    train_check.add_argument(
        "--allow-changed",
        action="store_true",
        help="check files that changed since the export (default: refuse such an export)",
    )

    check = sub.add_parser("check", help="run the core suite and verify LightClaw's invariants")
    check.add_argument("--seed", type=int, default=0)
    check.add_argument(
        "--db", metavar="PATH", help="store to record into (default: a temporary one)"
    )

    from lightclaw.cli.bfcl import add_parser as add_bfcl_parser

    add_bfcl_parser(sub)

    from lightclaw.cli.recruiting import add_parser as add_recruiting_parser

    add_recruiting_parser(sub)

    sub.add_parser("version", help="print versions")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        code = _main(argv)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except SystemExit as exc:
        if exc.code == 1 and _rich_saw_broken_pipe():
            return EXIT_BROKEN_PIPE
        raise
    return code


def _rich_saw_broken_pipe() -> bool:
    """rich's console ends the process with SystemExit(1) on a closed stdout, after making itself
    quiet and pointing stdout at /dev/null (``Console.on_broken_pipe``)."""
    render = sys.modules.get("lightclaw.cli.render")
    return render is not None and bool(render.console().quiet)


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if args.command == "version":
        from lightclaw.schema.trajectory import FORMAT_VERSION

        print(
            f"lightclaw {__version__} (trajectory format {FORMAT_VERSION}, "
            f"python {sys.version.split()[0]})"
        )
        return 0
    from lightclaw.errors import EnvironmentFailure, UserError

    try:
        try:
            return _dispatch(args)
        except BrokenPipeError:
            raise
        except OSError as exc:  # the file system refused (disk full, read-only, ...)
            from lightclaw.files import environment_failure

            environmental = environment_failure(exc)
            if environmental is None:
                raise
            raise environmental from exc
    except (UserError, EnvironmentFailure) as exc:
        print(f"lightclaw: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("lightclaw: interrupted; completed episodes are stored", file=sys.stderr)
        return EXIT_INTERRUPTED


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that flushing it at exit does not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)


def _dispatch(args: argparse.Namespace) -> int:
    if args.home is not None:
        if not args.home.strip():
            from lightclaw.errors import UserError

            raise UserError(
                "--home is empty; give the data directory, e.g. --home ./lightclaw-data"
            )
        os.environ["LIGHTCLAW_HOME"] = args.home
    if args.command == "demo":
        from lightclaw.cli.collect import demo

        return demo(args)
    if args.command == "collect":
        from lightclaw.cli.collect import collect

        return collect(args)
    if args.command == "runs":
        from lightclaw.cli.runs import runs

        return runs(args)
    if args.command == "replay":
        from lightclaw.cli.replay import replay

        return replay(args)
    if args.command == "eval":
        from lightclaw.cli.eval import run as run_eval

        return run_eval(args)
    if args.command in ("export", "spa", "pipeline"):
        from lightclaw.cli import export as export_cli

        command: Callable[[argparse.Namespace], int] = getattr(export_cli, args.command)
        return command(args)
    if args.command == "train-check":
        from lightclaw.cli.traincheck import run as run_traincheck

        return run_traincheck(args)
    if args.command == "check":
        from lightclaw.cli.check import run as run_check

        return run_check(args)
    if args.command == "bfcl":
        from lightclaw.cli.bfcl import run as run_bfcl

        return run_bfcl(args)
    if args.command == "recruiting":
        from lightclaw.cli.recruiting import run as run_recruiting

        return run_recruiting(args)
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
