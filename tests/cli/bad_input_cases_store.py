# ruff: noqa: E501  (the case tables keep one case per line)
"""Corpus cases about what LightClaw finds on disk: stores that are newer, foreign, damaged or in the
way (D, M), data directories (E), exports and their folders (F, G), and BFCL result files (BF)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

from bad_input_cases import ORACLE, TINY, collect
from bad_input_corpus import GOOD, ROOT, Case, Outcome, Place

from lightclaw.schema import FORMAT_VERSION

Prepare = Callable[[Place], None]


def on_store(sql: str) -> Prepare:
    """Run ``sql`` on the case's store copy (e.g. make it look written by a newer LightClaw)."""

    def prepare(place: Place) -> None:
        conn = sqlite3.connect(place.db)
        try:
            conn.executescript(sql)
        finally:
            conn.close()

    return prepare


NEWER = on_store("PRAGMA user_version = 99;")
NEWER_RECORDS = FORMAT_VERSION + 1  # a record format this LightClaw does not know yet
NEWER_FORMAT = on_store(f"UPDATE meta SET value = '{NEWER_RECORDS}' WHERE key = 'format_version';")


def replace_store(content: bytes | None = None, sql: str | None = None) -> Prepare:
    """Put something else where the store was: bytes, or a foreign SQLite database."""

    def prepare(place: Place) -> None:
        place.db.unlink()
        if content is not None:
            place.db.write_bytes(content)
        if sql is not None:
            conn = sqlite3.connect(place.db)
            conn.executescript(sql)
            conn.close()

    return prepare


def truncate_half(place: Place) -> None:
    os.truncate(place.db, place.db.stat().st_size // 2)


def overwrite_pages(place: Place) -> None:
    """Overwrite four pages in the middle of the file (leaves of the episodes table, found with
    SQLite's dbstat table, else the file's middle pages) with a byte pattern."""
    conn = sqlite3.connect(place.db)
    try:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        count = conn.execute("PRAGMA page_count").fetchone()[0]
        try:
            pages = [row[0] for row in conn.execute(
                "SELECT pageno FROM dbstat WHERE name = 'episodes' AND pagetype = 'leaf' ORDER BY pageno"
            )]  # fmt: skip
        except sqlite3.OperationalError:  # no dbstat in this SQLite
            pages = list(range(2, count + 1))
    finally:
        conn.close()
    middle = len(pages) // 2
    with place.db.open("r+b") as file:
        for page in pages[middle - 2 : middle + 2]:
            file.seek((page - 1) * page_size)
            file.write(b"\xa5\x5a" * (page_size // 2))


def make_dir(*names: str) -> Prepare:
    def prepare(place: Place) -> None:
        for name in names:
            (place.work / name).mkdir(parents=True)

    return prepare


def reports_file(place: Place) -> None:
    (place.home / "reports").write_text("my own notes\n", encoding="utf-8")


def home_is_file(place: Place) -> None:
    place.home.rmdir()
    place.home.write_text("not a folder\n", encoding="utf-8")


def db_is_dir(place: Place) -> None:
    place.db.mkdir()


def kept(name: str, text: str) -> Callable[[Place, Outcome], None]:
    def after(place: Place, out: Outcome) -> None:
        assert (place.work / name).read_text(encoding="utf-8") == text, f"{name} changed"

    return after


def nothing_left(name: str) -> Callable[[Place, Outcome], None]:
    def after(place: Place, out: Outcome) -> None:
        assert not (place.work / name).exists(), f"{name} was left behind"

    return after


def _export(place: Place) -> Path:
    target = place.work / "export"
    shutil.copytree(place.shared.export, target)
    return target


def copy_export(place: Place) -> None:
    _export(place)


def random_bytes_export(place: Place) -> None:
    for number, path in enumerate(sorted(_export(place).rglob("*"))):
        if path.suffix in (".jsonl", ".parquet"):
            path.write_bytes(bytes((n * 167 + number) % 256 for n in range(3000)))


def bad_rows_export(place: Place) -> None:
    export = _export(place)
    sft = export / "sft" / "train.jsonl"
    rows = sft.read_text(encoding="utf-8").splitlines(keepends=True)
    sft.write_text('{"messages": "not a list"}\n' + "".join(rows[1:]), encoding="utf-8")
    with (export / "dpo" / "train.jsonl").open("a", encoding="utf-8") as dpo:
        dpo.write("this line is not JSON\n")


def broken_parquet_export(place: Place) -> None:
    parquet = _export(place) / "verl" / "train.parquet"
    data = parquet.read_bytes()
    parquet.write_bytes(data[: len(data) // 2] + b"\x00" * 64 + data[-8:])


STORES = [
    Case("D01", ("runs", "list"), 2, r"written by a newer LightClaw \(store schema 99", prepare=NEWER),
    Case("D01b", collect("tiny.jsonl"), 2, r"written by a newer LightClaw \(store schema 99", files=TINY, prepare=NEWER),
    Case("D02", ("runs", "list"), 2, rf"written by a newer LightClaw \(record format {NEWER_RECORDS}", prepare=NEWER_FORMAT),
    Case("D02b", ("export", "--out", "@WORK@/out"), 2, rf"\(record format {NEWER_RECORDS}", prepare=NEWER_FORMAT, after=nothing_left("out")),
    Case("D03", ("runs", "list"), 2, "is not a LightClaw database", prepare=replace_store(b"just some text\n" * 100)),
    Case("D03b", collect("tiny.jsonl"), 2, "is not a LightClaw database", files=TINY, prepare=replace_store(b"just some text\n" * 100)),
    Case("D04", ("runs", "list"), 0, prepare=replace_store(b""), writes=True),
    Case("D05", ("runs", "list"), 2, "an SQLite database but not a LightClaw store", prepare=replace_store(sql="CREATE TABLE songs (title TEXT);")),
    Case("D06", ("runs", "list"), 2, "an SQLite database but not a LightClaw store", prepare=replace_store(sql="CREATE TABLE songs (title TEXT); PRAGMA user_version = 3;")),
    Case("D07a", ("runs", "list"), 2, "is corrupt .*malformed.*\\.recover", prepare=truncate_half),
    Case("D07b", ("eval", "@RUN@"), 2, "is corrupt .*\\.recover", prepare=truncate_half),
    Case("D07c", collect("tiny.jsonl"), 2, "is corrupt .*\\.recover", files=TINY, prepare=truncate_half),
    Case("D07d", ("export", "--out", "@WORK@/out"), 2, "is corrupt .*\\.recover", prepare=truncate_half),
    Case("D08", ("runs", "list"), 2, "is corrupt .*malformed.*\\.recover.*restore a backup", prepare=overwrite_pages),
    Case("D08b", ("eval", "@RUN@"), 2, "is corrupt .*\\.recover.*restore a backup", prepare=overwrite_pages),
    Case("D08c", collect("tiny.jsonl"), 2, "is corrupt .*\\.recover", files=TINY, prepare=overwrite_pages),
    Case("D08d", ("check", "--db", "@HOME@/lightclaw.db"), 2, "is corrupt .*\\.recover", prepare=overwrite_pages),
    Case("M01", ("runs", "list"), 2, "is a directory, not a LightClaw database", store="none", prepare=db_is_dir),
    Case("M02", collect("tiny.jsonl"), 2, "is a directory, not a LightClaw database", store="none", files=TINY, prepare=db_is_dir),
    Case("M03", ("check", "--db", "@HOME@/lightclaw.db"), 2, "newer LightClaw", prepare=NEWER),
    Case("M04", ("demo",), 2, "newer LightClaw", prepare=NEWER),
    Case("M05", ("pipeline", "--suite", "@WORK@/tiny.jsonl", *ORACLE), 2, "newer LightClaw", files=TINY, prepare=NEWER),
    Case("M06", ("eval", "--protocol", "two-attempt", *ORACLE), 2, "newer LightClaw", prepare=NEWER),
    Case("M07", ("eval", "--protocol", "two-attempt", "--suite", "@WORK@/bad_json.jsonl", *ORACLE), 2, r"bad_json\.jsonl:2: invalid JSON", files={"bad_json.jsonl": GOOD + "{oops\n"}),
    Case("M08", ("pipeline", "--suite", "@WORK@/bad_json.jsonl", *ORACLE), 2, r"bad_json\.jsonl:2: invalid JSON", files={"bad_json.jsonl": GOOD + "{oops\n"}),
    Case("M09", ("replay", "@EPISODE@"), 2, "newer LightClaw", prepare=NEWER),
]  # fmt: skip

HOMES = [
    Case("E01", ("runs", "list"), 2, "cannot open .*lightclaw.db", store="none", prepare=home_is_file),
    Case("E02", ("runs", "list"), 2, "cannot open .*lightclaw.db", store="none", files={"afile": "x"}, env={"LIGHTCLAW_HOME": "@WORK@/afile/home"}),
    Case("E05", ("--home", "", "runs", "list"), 2, "--home is empty"),
    Case("E06", collect("tiny.jsonl"), 0, store="none", files=TINY, env={"LIGHTCLAW_HOME": "@WORK@/dàta dir ü/home"}, writes=True),
    Case("E07", ("eval", "@RUN@"), 2, "reports exists and is not a directory", prepare=reports_file, after=kept("../home/reports", "my own notes\n")),
    Case("E08", ("eval", "@RUN@", "--out", "@WORK@/report.md"), 2, "report.md exists and is not a directory", files={"report.md": "# mine\n"}, after=kept("report.md", "# mine\n")),
    Case("E09", ("pipeline", "--suite", "@WORK@/tiny.jsonl", *ORACLE), 2, "reports exists and is not a directory", files=TINY, prepare=reports_file),
]  # fmt: skip

EXPORTS = [
    Case("F01", ("export", "--out", "@WORK@/afile"), 2, "exists and is not a directory", files={"afile": "x"}, after=kept("afile", "x")),
    Case("F14", ("spa", "--out", "@WORK@/afile"), 2, "exists and is not a directory", files={"afile": "x"}, after=kept("afile", "x")),
    Case("F02", ("export", "--out", "@WORK@/out", "--min-reward", "5"), 2, r"nothing to export: filter min_reward \(5.0\)", after=nothing_left("out")),
    Case("F03", ("export", "--out", "@WORK@/out", "--policy", "scripted:nobody"), 2, "nothing to export", after=nothing_left("out")),
    Case("F04", ("export", "--out", "@WORK@/out", "--suite", "nosuchsuite"), 2, "nothing to export", after=nothing_left("out")),
    Case("F09", ("export", "--out", "@WORK@/out", "--min-reward", "nan"), 2, "nothing to export", after=nothing_left("out")),
    Case("F05", ("export", "--out", "@WORK@/out", "--run", "run_nope"), 2, "unknown run 'run_nope'"),
    Case("F06", ("export", "--out", "@WORK@/out", "--formats", "csv"), 2, "csv"),
    Case("F07", ("export", "--out", "@WORK@/out", "--test-fraction", "2.0"), 2, r"must be in \[0, 1\)"),
    Case("F08", ("export", "--out", "@WORK@/out", "--test-fraction", "-0.5"), 2, r"must be in \[0, 1\)"),
    Case("F10", ("export", "--out", "@WORK@/out", "--max-steps", "0"), 2, "max.steps"),
    Case("F11", ("export", "--out", "@WORK@/out"), 2, "out", files={"out/mine.txt": "keep me\n"}, after=kept("out/mine.txt", "keep me\n")),
    Case("F12", ("export", "--out", "@WORK@/out", "--overwrite"), 2, "out", files={"out/mine.txt": "keep me\n"}, after=kept("out/mine.txt", "keep me\n")),
    Case("F15", ("spa", "--out", "@WORK@/out", "--estimator", "bogus"), 2, "invalid choice: 'bogus'"),
    Case("G01", ("train-check", "@WORK@/empty"), 2, "empty", store="none", prepare=make_dir("empty")),
    Case("G02", ("train-check", "@EXPORT@"), 2, store="none", prepare=random_bytes_export),
    Case("G03", ("train-check", "@WORK@/missing"), 2, "missing", store="none"),
    Case("G04", ("train-check", "@WORK@/afile"), 2, "afile", store="none", files={"afile": "x"}),
    Case("G05", ("train-check", "@EXPORT@"), 1, "train-check: FAILED", store="none", prepare=bad_rows_export, one_line=False, refusal_ok=r"sft|dpo|manifest"),
    Case("G06", ("train-check", "@EXPORT@"), 2, store="none", prepare=broken_parquet_export),
    Case("G07", ("train-check", "@EXPORT@", "--steps", "0"), 0, "train-check: ", store="none", prepare=copy_export),
    Case("G08", ("train-check", "@EXPORT@", "--max-length", "-5"), 2, "max-length", store="none", prepare=copy_export),
]  # fmt: skip

BFCL = ROOT / "tests" / "data" / "bfcl"
QUESTIONS = (
    "--questions",
    str(BFCL / "BFCL_v4_simple_python.json"),
    "--answers",
    str(BFCL / "possible_answer" / "BFCL_v4_simple_python.json"),
)
RESULT = (
    json.dumps(
        {
            "id": "simple_python_0",
            "result": [{"calculate_triangle_area": {"base": 10, "height": 5}}],
        }
    )
    + "\n"
)
SCORES = [
    Case("BF01", ("bfcl", "score", *QUESTIONS, "--results", "@WORK@/results.jsonl", "--category", "NOSUCH"), 2, "NOSUCH", store="none", files={"results.jsonl": RESULT}),
    Case("BF02", ("bfcl", "score", *QUESTIONS, "--results", "@WORK@/results.jsonl"), 2, store="none", files={"results.jsonl": RESULT.replace("simple_python_0", "nope_0")}),
]  # fmt: skip

CASES: dict[str, Case] = {case.id: case for case in [*STORES, *HOMES, *EXPORTS, *SCORES]}
assert len(CASES) == sum(map(len, (STORES, HOMES, EXPORTS, SCORES)))
