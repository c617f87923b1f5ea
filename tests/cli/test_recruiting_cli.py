"""`lightclaw recruiting collect` as a user runs it: the run, its report, and bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lightclaw.cli.main import main
from lightclaw.envs.web.session import Site
from lightclaw.store import Store
from lightclaw.suites.recruiting.tasks import fixture_site

PAGE_KEYS = {
    "page",
    "jobs",
    "gates",
    "stop_reason",
    "unsafe_actions",
    "apply_steps",
    "expected_stop_reason",
}


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LIGHTCLAW_HOME": str(home), "COLUMNS": "80"}
    return subprocess.run(
        [sys.executable, "-m", "lightclaw.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_collect_stores_a_run_and_writes_its_report_with_one_record_per_page(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["recruiting", "collect"]) == 0
    out = capsys.readouterr().out
    assert "unsafe_action_count" in out and "safe_stop_rate" in out
    with Store(home / "lightclaw.db") as store:
        (run,) = store.list_runs()
    report = json.loads((home / "reports" / run.id / "report.json").read_text())
    (group,) = report["recruiting"]["groups"]
    assert len(group["pages"]) == len(Site(fixture_site()).pages())
    for page in group["pages"]:
        assert set(page) >= PAGE_KEYS
        assert page["unsafe_actions"] == 0
        for job in page["jobs"]:
            for field in job["fields"].values():
                assert field["source"] in ("json-ld", "microdata", "heuristic", "url")
    md = (home / "reports" / run.id / "report.md").read_text()
    assert "## Recruiting safe dry-run" in md


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda tmp: tmp / "missing", "not a folder"),
        (lambda tmp: (tmp / "empty").mkdir() or tmp / "empty", "no .html pages"),
    ],
)
def test_bad_pages_folder_is_one_line_exit_2(tmp_path: Path, make, needle: str) -> None:  # type: ignore[no-untyped-def]
    result = _cli(tmp_path / "home", "recruiting", "collect", "--pages", str(make(tmp_path)))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], result.stderr


def test_a_broken_annotation_is_one_line_exit_2(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "a.html").write_text("<h1>Engineer</h1>")
    (pages / "a.annotation.json").write_text('{"kind": "job", "gates": [{"type": "nope"}]}')
    result = _cli(tmp_path / "home", "recruiting", "collect", "--pages", str(pages))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "a.annotation.json" in result.stderr


def test_missing_chromium_says_how_to_install_it(tmp_path: Path) -> None:
    env_home = tmp_path / "home"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lightclaw.cli.main",
            "recruiting",
            "collect",
            "--backend",
            "browser",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "LIGHTCLAW_HOME": str(env_home), "LIGHTCLAW_CHROMIUM": "/nonexistent"},
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "apt-get install chromium" in line


def test_pages_that_fail_are_recorded_and_the_run_goes_on(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "job.html").write_text(
        "<html><head><title>Data Engineer - Acme</title></head><body><h1>Data Engineer</h1>"
        '<a href="gone.html">Apply now</a></body></html>'
    )
    (pages / "binary.html").write_bytes(bytes(range(256)) * 50)
    (pages / "empty.html").write_bytes(b"")
    home = tmp_path / "home"
    result = _cli(home, "recruiting", "collect", "--pages", str(pages))
    assert result.returncode == 0, result.stderr
    (report_path,) = (home / "reports").glob("*/report.json")
    (group,) = json.loads(report_path.read_text())["recruiting"]["groups"]
    by_page = {p["page"]: p for p in group["pages"]}
    assert set(by_page) == {"job.html", "binary.html", "empty.html"}
    errors = by_page["job.html"]["page_errors"]
    assert errors and "not found" in errors[0]["error"]
    assert all(p["stop_reason"] for p in group["pages"])  # every episode ended with a typed stop
