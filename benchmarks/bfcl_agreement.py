"""Agreement of ``lightclaw bfcl score`` with BFCL's official evaluation, case by case.

Run: ``./dev bfcl-agreement [--sample N] [--venv DIR] [--json FILE]``
(or ``uv run python benchmarks/bfcl_agreement.py ...``).

1. A throwaway venv (default ``~/.cache/lightclaw/bfcl-eval-<version>``, outside the repository)
   gets the PyPI package ``bfcl-eval`` at the pinned :data:`BFCL_EVAL` version and the
   requirements it declares, except the two that only its vector-memory backend imports
   (:data:`NOT_INSTALLED`: they pull in torch), plus :data:`ALSO_INSTALLED`. No gorilla code is
   in this repository: the official code runs from that venv.
2. Cases are built from tests/data/bfcl: every answered entry (or ``--sample N`` per category)
   times perturbations (wrong or differently spelt function name, missing required or optional
   argument, wrong type, wrong value, extra argument, dropped / duplicated / reordered calls,
   undecodable output, ...), and six or seven outputs per irrelevance question. Each case is
   written as a BFCL result line in three model modes (:data:`MODES`): a function-calling model
   with BFCL's ``underscore_to_dot`` (names with ``_`` for ``.``), a function-calling model
   without it, and a prompting model (Python call syntax).
3. The official side runs, for every result line, what BFCL's eval runner runs for it:
   ``_evaluate_single_ast_entry`` (the handler's ``decode_ast``, the list-of-calls format check,
   then ``ast_checker``, whose checkers hold the function-count check) or
   ``_evaluate_single_relevance_entry`` for irrelevance, with the model's own handler and
   config. LightClaw's side runs ``score_files`` on the same result files, with the
   function-calling name convention detected per file, as ``lightclaw bfcl score`` does.
4. Prints the agreement on ``(valid, error_type)`` per category and mode, the official verdicts
   seen, and every disagreement; exits 1 when there is one (3 when the venv cannot be set up).
   A file whose outputs name no dotted function cannot show the function-calling convention:
   when the detection differs from the model's BFCL config there, a note says so.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from _bfcl_cases import MODES, SKIP, entry_cases, irrelevance_cases, render
from lightclaw.evals.bfcl_score import score_files

BFCL_EVAL = "2026.3.23"
"""The pinned bfcl-eval release (the one whose data tests/data/bfcl holds)."""
NOT_INSTALLED = {"sentence-transformers", "faiss-cpu"}
"""Declared by bfcl-eval but imported only by its vector-memory backend (torch, faiss)."""
ALSO_INSTALLED = ["soundfile"]
"""qwen-agent (a bfcl-eval requirement) imports it without declaring it."""
DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "bfcl"
ANSWERED = ["simple_python", "multiple", "parallel", "parallel_multiple", "live_simple"]
CATEGORIES = [*ANSWERED, "irrelevance"]
VENV_FAILED = 3
"""Exit code when the throwaway venv cannot be set up (e.g. PyPI unreachable)."""

# --- the two sides ------------------------------------------------------------------------------


def build(work: Path, sample: int | None) -> list[dict[str, Any]]:
    """Write one question, answer and result file per category (and mode) into ``work``.

    Every case gets its own id, ``<entry id>.<n>``, so one file holds all cases of a category
    and the function-calling convention is detected over a realistic mix of outputs.
    """
    jobs = []
    for category in CATEGORIES:
        questions = _lines(DATA / f"BFCL_v4_{category}.json")
        answers: list[dict[str, Any]] = []
        if category != "irrelevance":
            answers = _lines(DATA / "possible_answer" / f"BFCL_v4_{category}.json")
        if sample is not None:
            step = max(1, len(questions) // sample)
            picked = list(range(0, len(questions), step))[:sample]
            questions = [questions[i] for i in picked]
            answers = [answers[i] for i in picked] if answers else []
        asked, solved, outputs = [], [], []
        for index, question in enumerate(questions):
            if answers:
                truth = answers[index]["ground_truth"]
                cases = entry_cases(question, truth)
            else:
                cases = irrelevance_cases(question)
            for number, (kind, output) in enumerate(cases):
                case_id = f"{question['id']}.{number}"
                asked.append({**question, "id": case_id})
                if answers:
                    solved.append({"id": case_id, "ground_truth": truth})
                outputs.append((case_id, kind, output))
        q_file, a_file = work / f"{category}.questions.jsonl", work / f"{category}.answers.jsonl"
        _write(q_file, asked)
        if solved:
            _write(a_file, solved)
        for mode, model in MODES.items():
            r_file = work / f"{category}.{mode}.results.jsonl"
            rendered = [(i, render(mode, o)) for i, _, o in outputs]
            _write(r_file, [{"id": i, "result": r} for i, r in rendered if r is not SKIP])
            jobs.append(
                {
                    "category": category,
                    "mode": mode,
                    "model": model,
                    "questions": str(q_file),
                    "answers": str(a_file) if solved else None,
                    "results": str(r_file),
                    "kinds": {i: kind for i, kind, _ in outputs},
                }
            )
    return jobs


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


_SKIPPED_ID = re.compile(r"result '([^']+)'")


def lightclaw_side(job: dict[str, Any]) -> tuple[dict[str, list[Any]], bool]:
    """``{case: [valid, error_type]}`` from ``score_files`` (skipped: ``["skipped", why]``)."""
    answers = Path(job["answers"]) if job["answers"] else None
    score = score_files(Path(job["questions"]), answers, Path(job["results"]))
    verdicts: dict[str, list[Any]] = {s.id: [s.valid, s.error_type] for s in score.samples}
    for message in score.skipped:
        found = _SKIPPED_ID.search(message)
        if found:
            verdicts[found.group(1)] = ["skipped", message]
    return verdicts, score.underscore_to_dot


WORKER = r"""
import json, sys
from bfcl_eval.constants.enums import Language, ReturnFormat
from bfcl_eval.constants.model_config import MODEL_CONFIG_MAPPING
from bfcl_eval.eval_checker import eval_runner

jobs = json.load(open(sys.argv[1]))
out = {}
for job in jobs:
    handler = eval_runner.get_handler(job["model"])
    asked = {}
    for line in open(job["questions"]):
        row = json.loads(line)
        asked[row["id"]] = row
    solved = {}
    if job["answers"]:
        for line in open(job["answers"]):
            row = json.loads(line)
            solved[row["id"]] = row["ground_truth"]
    verdicts = {}
    for line in open(job["results"]):
        row = json.loads(line)
        case, result, category = row["id"], row["result"], job["category"]
        try:
            if "irrelevance" in category:
                verdict = eval_runner._evaluate_single_relevance_entry(
                    handler, case, result, asked[case], job["model"], category
                )
            else:
                verdict = eval_runner._evaluate_single_ast_entry(
                    handler, case, result, solved[case], asked[case], job["model"], category,
                    language=Language.PYTHON, return_format=ReturnFormat.PYTHON,
                    has_tool_call_tag=False,
                )
            verdicts[case] = [verdict["valid"], verdict.get("error_type")]
        except Exception as exc:
            verdicts[case] = ["crashed", f"{type(exc).__name__}: {exc}"]
    out[job["results"]] = {
        "verdicts": verdicts,
        "underscore_to_dot": MODEL_CONFIG_MAPPING[job["model"]].underscore_to_dot,
    }
json.dump(out, open(sys.argv[2], "w"))
"""


def official_side(python: Path, jobs: list[dict[str, Any]], work: Path) -> dict[str, Any]:
    """Run BFCL's per-line evaluation on every job in the venv's Python."""
    spec, out = work / "jobs.json", work / "official.json"
    spec.write_text(json.dumps([{k: v for k, v in j.items() if k != "kinds"} for j in jobs]))
    env = {
        **os.environ,
        # Handlers build an API client when constructed; nothing here ever sends a request.
        "OPENAI_API_KEY": "unused-offline",
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
        "BFCL_PROJECT_ROOT": str(work),
    }
    subprocess.run([str(python), "-c", WORKER, str(spec), str(out)], check=True, cwd=work, env=env)
    result: dict[str, Any] = json.loads(out.read_text())
    return result


# --- the throwaway venv -------------------------------------------------------------------------


def ensure_venv(venv: Path) -> Path:
    """``venv``'s Python with bfcl-eval ``BFCL_EVAL`` installed (created once, then reused)."""
    python = venv / "bin" / "python"
    ready = venv / ".lightclaw-ready"
    if ready.is_file() and ready.read_text().strip() == BFCL_EVAL and python.is_file():
        return python
    print(
        f"creating {venv} with bfcl-eval=={BFCL_EVAL} (once; pip will say that "
        f"{' and '.join(sorted(NOT_INSTALLED))} are missing: they are left out on purpose)",
        file=sys.stderr,
    )
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--no-deps", f"bfcl-eval=={BFCL_EVAL}"], check=True)
    declared = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.metadata as m; print('\\n'.join(m.requires('bfcl-eval')))",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    wanted = [r for r in declared if "extra ==" not in r and _project(r) not in NOT_INSTALLED]
    subprocess.run([*pip, *wanted, *ALSO_INSTALLED], check=True)
    ready.write_text(BFCL_EVAL + "\n")
    return python


def _project(requirement: str) -> str:
    name = re.split(r"[ ;<>=!~\[]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


# --- comparison and report ----------------------------------------------------------------------


def compare(jobs: list[dict[str, Any]], official: dict[str, Any]) -> dict[str, Any]:
    rows: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    disagreements = []
    notes = []
    kinds: Counter[str] = Counter()
    verdicts: Counter[str] = Counter()
    for job in jobs:
        ours, detected = lightclaw_side(job)
        theirs = official[job["results"]]
        if detected != theirs["underscore_to_dot"]:
            notes.append(
                f"{job['category']}/{job['mode']}: LightClaw detected underscore_to_dot="
                f"{detected}, the model's BFCL config has {theirs['underscore_to_dot']}"
            )
        results = {row["id"]: row["result"] for row in _lines(Path(job["results"]))}
        for case, verdict in theirs["verdicts"].items():
            cell = rows[job["category"]][job["mode"]]
            cell[1] += 1
            kinds[job["kinds"][case]] += 1
            verdicts["valid" if verdict[0] is True else str(verdict[1])] += 1
            mine = ours.get(case, ["missing", None])
            if mine == verdict:
                cell[0] += 1
            else:
                disagreements.append(
                    {
                        "case": case,
                        "category": job["category"],
                        "mode": job["mode"],
                        "kind": job["kinds"][case],
                        "result": results[case],
                        "lightclaw": mine,
                        "official": verdict,
                    }
                )
    table = {
        c: {m: {"agree": a, "cases": n} for m, (a, n) in modes.items()} for c, modes in rows.items()
    }
    return {
        "bfcl_eval": BFCL_EVAL,
        "cases": sum(n for modes in rows.values() for _, n in modes.values()),
        "agree": sum(a for modes in rows.values() for a, _ in modes.values()),
        "per_category": table,
        "kinds": dict(sorted(kinds.items())),
        "official_verdicts": dict(verdicts.most_common()),
        "detection_notes": notes,
        "disagreements": disagreements,
    }


def report(summary: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False, soft_wrap=True)
    table = Table(title=f"Agreement with bfcl-eval {summary['bfcl_eval']} on (valid, error_type)")
    table.add_column("category")
    for mode in MODES:
        table.add_column(mode, justify="right")
    table.add_column("all", justify="right")
    for category, modes in summary["per_category"].items():
        cells = [f"{modes[m]['agree']}/{modes[m]['cases']}" for m in MODES]
        agree = sum(modes[m]["agree"] for m in MODES)
        table.add_row(category, *cells, f"{agree}/{sum(modes[m]['cases'] for m in MODES)}")
    table.add_row("all", *[""] * len(MODES), f"{summary['agree']}/{summary['cases']}")
    console.print(table)
    console.print(f"case kinds: {', '.join(f'{k} {n}' for k, n in summary['kinds'].items())}")
    seen = summary["official_verdicts"].items()
    console.print(f"official verdicts: {', '.join(f'{k} {n}' for k, n in seen)}")
    for note in summary["detection_notes"]:  # verdicts are compared below all the same
        console.print(f"note: {note}", markup=False)
    for row in summary["disagreements"]:
        console.print(
            f"DISAGREE {row['category']}/{row['mode']} {row['case']} ({row['kind']}): "
            f"lightclaw {row['lightclaw']} official {row['official']} result "
            f"{json.dumps(row['result'])[:300]}",
            markup=False,
        )
    console.print(
        f"{summary['agree']} of {summary['cases']} cases agree; "
        f"{len(summary['disagreements'])} disagreement(s)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sample", type=int, help="entries per category (default: all)")
    parser.add_argument(
        "--venv",
        type=Path,
        default=Path(
            os.environ.get(
                "LIGHTCLAW_BFCL_VENV",
                Path.home() / ".cache" / "lightclaw" / f"bfcl-eval-{BFCL_EVAL}",
            )
        ),
        help="throwaway venv for bfcl-eval (default ~/.cache/lightclaw/bfcl-eval-VERSION)",
    )
    parser.add_argument("--json", type=Path, help="also write the summary as JSON here")
    args = parser.parse_args(argv)
    try:
        python = ensure_venv(args.venv)
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"bfcl_agreement: cannot set up bfcl-eval in {args.venv}: {exc}", file=sys.stderr)
        return VENV_FAILED
    with tempfile.TemporaryDirectory(prefix="lightclaw-bfcl-agreement-") as tmp:
        work = Path(tmp)
        jobs = build(work, args.sample)
        summary = compare(jobs, official_side(python, jobs, work))
    report(summary)
    if args.json is not None:
        args.json.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return 1 if summary["disagreements"] else 0


if __name__ == "__main__":
    sys.exit(main())
