"""`lightclaw check`: every invariant passes on fresh runs, and a broken one fails loudly."""

from __future__ import annotations

from collections import Counter

import pytest

from lightclaw.cli.main import main
from lightclaw.evals import check as check_module


def test_check_passes_every_invariant(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith(("PASS", "FAIL"))]
    assert len(lines) == 6 and all(line.startswith("PASS") for line in lines)
    assert "59/59 oracle solutions pass" in out


def test_check_fails_when_the_recount_disagrees(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = check_module.recount

    def off_by_one(*args: object, **kwargs: object) -> dict[object, Counter[str]]:
        counts = real(*args, **kwargs)  # type: ignore[arg-type]
        next(iter(counts.values()))["steps"] += 1
        return counts  # type: ignore[return-value]

    monkeypatch.setattr(check_module, "recount", off_by_one)
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  metrics (SQL) equal a recount from raw steps" in out
    assert "steps: SQL" in out
