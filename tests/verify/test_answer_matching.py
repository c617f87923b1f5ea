"""answer_matches: every answer_match mode, both ways."""

from typing import Any

import pytest

from lightclaw.verify import answer_matches


@pytest.mark.parametrize(
    ("expected", "got", "mode", "tolerance", "matches"),
    [
        ("Paris", "Paris", "exact", 0, True),
        ("Paris", "paris", "exact", 0, False),
        ("Paris", "Paris ", "exact", 0, False),
        (105, "105", "exact", 0, True),
        (105, 105.0, "exact", 0, True),
        ({"a": [1, 2]}, '{"a": [1, 2.0]}', "exact", 0, True),
        ({"a": 1}, {"a": 1, "b": 2}, "exact", 0, False),
        (True, 1, "exact", 0, False),
        (105, "about 105", "exact", 0, False),
        ("Monday", "  monday.", "normalized", 0, True),
        ("Monday", '"MONDAY"', "normalized", 0, True),
        ("Harbor Loft", "harbor   loft!", "normalized", 0, True),
        ("Monday", "It is Monday", "normalized", 0, False),
        (26.22, "A marathon is about 26.22 miles.", "numeric", 0.01, True),
        (26.22, 26.2188, "numeric", 0.01, True),
        (26.22, "26.3 miles", "numeric", 0.01, False),
        (227088.61, "1,200 GBP is ¥227,088.61.", "numeric", 0.01, True),
        (12810, "183 days at $70 is $12,810.", "numeric", 0.01, True),
        (-40, "It is -40 degrees", "numeric", 0, True),
        (0.5, "ratio .5", "numeric", 0, True),
        (105, "no number here", "numeric", 0.01, False),
        (105, None, "numeric", 0.01, False),
        (105, True, "numeric", 0.01, False),
        ("3.5", "3.5", "numeric", 0, True),
        ({"email": "a@x"}, {"email": "a@x", "name": "A"}, "json_subset", 0, True),
        ({"email": "a@x"}, '```json\n{"email": "a@x", "n": 1}\n```', "json_subset", 0, True),
        ({"email": "a@x"}, '{"email": "b@x"}', "json_subset", 0, False),
        ({"email": "a@x"}, "not json", "json_subset", 0, False),
        ([{"id": 1}], [{"id": 1.0, "x": 2}], "json_subset", 0, True),
        ([{"id": 1}], [{"id": 1}, {"id": 2}], "json_subset", 0, False),
        (r"2026-05-31|May 31,? 2026", "It ends on May 31 2026.", "regex", 0, True),
        (r"^\d+$", "12 apples", "regex", 0, False),
        ("30 days", "Within 30  DAYS of purchase", "contains", 0, True),
        (["Renew domain", "taxes"], "Renew domain X and File taxes", "contains", 0, True),
        (["Renew domain", "taxes"], "Renew domain only", "contains", 0, False),
        ("a@x", {"email": "a@x"}, "contains", 0, True),
    ],
)
def test_answer_matches(
    expected: Any, got: Any, mode: Any, tolerance: float, matches: bool
) -> None:
    assert answer_matches(expected, got, mode, tolerance) is matches


@pytest.mark.parametrize(
    ("expected", "mode", "message"),
    [
        ("many", "numeric", "needs a numeric expected_answer"),
        (5, "regex", "needs a pattern string"),
        ("x", "fuzzy", "unknown answer_match"),
    ],
)
def test_misconfigured_expectations_raise(expected: Any, mode: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        answer_matches(expected, "5", mode)
