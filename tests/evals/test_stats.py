"""Bootstrap intervals, pass@k and pass^k against hand-computed values and tau-bench data."""

from __future__ import annotations

import json
import math
import random
import statistics
from collections import Counter
from pathlib import Path

import pytest

from lightclaw.errors import RuntimeBug
from lightclaw.evals.stats import (
    binomial_draws,
    bootstrap_ci,
    bootstrap_mean_ci,
    mean_pass_at_k,
    mean_pass_hat_k,
    pass_at_k,
    pass_hat_k,
    quantile,
)

TAU_BENCH = Path(__file__).resolve().parents[1] / "data" / "tau_bench"


# -- pass@k / pass^k --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [
        (5, 2, 1, 2 / 5),
        (5, 2, 2, 1 - 3 / 10),  # 1 - C(3,2)/C(5,2)
        (5, 2, 3, 1 - 1 / 10),  # 1 - C(3,3)/C(5,3)
        (5, 3, 3, 1.0),  # only 2 failures: any 3 trials include a success
        (10, 3, 4, 1 - 35 / 210),  # 1 - C(7,4)/C(10,4)
        (4, 0, 2, 0.0),
        (4, 4, 4, 1.0),
    ],
)
def test_pass_at_k_matches_hand_computed_values(n: int, c: int, k: int, expected: float) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [
        (5, 2, 1, 2 / 5),
        (5, 2, 2, 1 / 10),  # C(2,2)/C(5,2)
        (5, 2, 3, 0.0),
        (10, 7, 4, 35 / 210),  # C(7,4)/C(10,4)
        (4, 4, 4, 1.0),
        (4, 0, 1, 0.0),
    ],
)
def test_pass_hat_k_matches_hand_computed_values(n: int, c: int, k: int, expected: float) -> None:
    assert pass_hat_k(n, c, k) == pytest.approx(expected)


def test_pass_at_k_and_pass_hat_k_bracket_the_success_rate() -> None:
    """pass@k grows with k, pass^k shrinks; at k=1 both are c/n (checked on every small n, c)."""
    for n in range(1, 9):
        for c in range(n + 1):
            assert pass_at_k(n, c, 1) == pytest.approx(c / n)
            assert pass_hat_k(n, c, 1) == pytest.approx(c / n)
            for k in range(1, n):
                assert pass_at_k(n, c, k + 1) >= pass_at_k(n, c, k)
                assert pass_hat_k(n, c, k + 1) <= pass_hat_k(n, c, k)


def test_pass_at_k_equals_the_probability_of_a_success_among_k_drawn_trials() -> None:
    """Brute force over every k-subset of trials, for a task with 3 successes in 7."""
    from itertools import combinations

    trials = [1, 0, 1, 0, 0, 1, 0]
    for k in range(1, 8):
        subsets = list(combinations(trials, k))
        any_ok = sum(1 for s in subsets if any(s)) / len(subsets)
        all_ok = sum(1 for s in subsets if all(s)) / len(subsets)
        assert pass_at_k(7, 3, k) == pytest.approx(any_ok)
        assert pass_hat_k(7, 3, k) == pytest.approx(all_ok)


@pytest.mark.parametrize(("n", "c", "k"), [(3, 4, 1), (3, -1, 1), (3, 1, 0), (3, 1, 4)])
def test_pass_k_rejects_impossible_counts(n: int, c: int, k: int) -> None:
    with pytest.raises(RuntimeBug):
        pass_at_k(n, c, k)
    with pytest.raises(RuntimeBug):
        pass_hat_k(n, c, k)


def _tau_bench_pass_hat_ks(results: list[dict[str, float]]) -> dict[int, float]:
    """tau-bench's display_metrics (tau_bench/run.py), transcribed as the reference."""
    num_trials = len({r["trial"] for r in results})
    c_per_task_id: dict[float, int] = {}
    for r in results:
        ok = 1 if (1 - 1e-6) <= r["reward"] <= (1 + 1e-6) else 0
        c_per_task_id[r["task_id"]] = c_per_task_id.get(r["task_id"], 0) + ok
    return {
        k: sum(math.comb(c, k) / math.comb(num_trials, k) for c in c_per_task_id.values())
        / len(c_per_task_id)
        for k in range(1, num_trials + 1)
    }


def test_mean_pass_hat_k_reproduces_tau_bench_on_its_airline_excerpt() -> None:
    records = json.loads((TAU_BENCH / "gpt-4o-airline.excerpt.json").read_text())
    results = [
        {"task_id": r["task_id"], "trial": r["trial"], "reward": r["reward"]} for r in records
    ]
    counts = Counter[int]()
    trials = Counter[int]()
    for r in results:
        trials[r["task_id"]] += 1
        counts[r["task_id"]] += r["reward"] == 1.0
    per_task = [(trials[t], counts[t]) for t in trials]
    expected = _tau_bench_pass_hat_ks(results)
    assert expected == {1: pytest.approx(2 / 12)}  # the excerpt: tasks 6 and 11 succeed
    assert mean_pass_hat_k(per_task, 1) == pytest.approx(expected[1])
    assert mean_pass_at_k(per_task, 1) == pytest.approx(expected[1])


def test_mean_pass_hat_k_matches_tau_bench_formula_on_multi_trial_results() -> None:
    """Four trials of 12 tasks with known per-task success counts (the upstream layout)."""
    successes = [0, 1, 2, 3, 4, 4, 0, 2, 1, 3, 4, 0]
    results = [
        {"task_id": t, "trial": trial, "reward": 1.0 if trial < c else 0.0}
        for trial in range(4)
        for t, c in enumerate(successes)
    ]
    expected = _tau_bench_pass_hat_ks(results)
    per_task = [(4, c) for c in successes]
    for k in range(1, 5):
        assert mean_pass_hat_k(per_task, k) == pytest.approx(expected[k])
    assert mean_pass_hat_k([], 1) is None
    assert mean_pass_at_k([], 1) is None


# -- bootstrap ---------------------------------------------------------------------------------


def test_bootstrap_ci_is_none_for_an_empty_denominator() -> None:
    assert bootstrap_ci(0, 0) is None
    assert bootstrap_mean_ci([]) is None


def test_bootstrap_ci_is_deterministic_for_a_seed() -> None:
    assert bootstrap_ci(37, 120, seed=3) == bootstrap_ci(37, 120, seed=3)
    rng3, rng4 = random.Random(3), random.Random(4)
    assert binomial_draws(120, 37 / 120, 50, rng3) != binomial_draws(120, 37 / 120, 50, rng4)


def _binomial_quantile(n: int, p: float, q: float) -> int:
    """Smallest x with P(Binomial(n, p) <= x) >= q, from exact probabilities."""
    total = 0.0
    for x in range(n + 1):
        total += math.comb(n, x) * p**x * (1 - p) ** (n - x)
        if total >= q:
            return x
    return n


@pytest.mark.parametrize(("successes", "n"), [(30, 100), (5, 40), (190, 200), (500, 1000)])
def test_bootstrap_ci_approaches_the_exact_binomial_percentiles(successes: int, n: int) -> None:
    """With many resamples the percentile interval is the 2.5%/97.5% binomial quantiles / n."""
    low, high = bootstrap_ci(successes, n, n_resamples=20_000, seed=1) or (None, None)
    p = successes / n
    assert low == pytest.approx(_binomial_quantile(n, p, 0.025) / n, abs=1.5 / n)
    assert high == pytest.approx(_binomial_quantile(n, p, 0.975) / n, abs=1.5 / n)
    assert low < p < high


def test_bootstrap_ci_agrees_with_resampling_outcomes_directly() -> None:
    """The binomial shortcut and a naive bootstrap over 0/1 outcomes give the same interval."""
    outcomes = [1.0] * 42 + [0.0] * 58
    naive = bootstrap_mean_ci(outcomes, n_resamples=4000, seed=7)
    fast = bootstrap_ci(42, 100, n_resamples=4000, seed=7)
    assert naive is not None and fast is not None
    assert fast[0] == pytest.approx(naive[0], abs=0.02)
    assert fast[1] == pytest.approx(naive[1], abs=0.02)


def test_bootstrap_ci_narrows_with_more_data_and_widens_with_level() -> None:
    small = bootstrap_ci(3, 10)
    large = bootstrap_ci(3000, 10_000)
    assert small is not None and large is not None
    assert large[1] - large[0] < (small[1] - small[0]) / 10
    narrow = bootstrap_ci(30, 100, level=0.5)
    wide = bootstrap_ci(30, 100, level=0.99)
    assert narrow is not None and wide is not None
    assert wide[0] < narrow[0] < narrow[1] < wide[1]


def test_bootstrap_ci_of_an_all_or_nothing_rate_is_a_point() -> None:
    assert bootstrap_ci(0, 50) == (0.0, 0.0)
    assert bootstrap_ci(50, 50) == (1.0, 1.0)


def test_binomial_draws_have_the_binomial_mean_and_variance_for_huge_n() -> None:
    n, p = 10_000_000, 0.3
    draws = binomial_draws(n, p, 4000, random.Random(0))
    sd = math.sqrt(n * p * (1 - p))
    assert statistics.fmean(draws) == pytest.approx(n * p, abs=4 * sd / math.sqrt(4000))
    assert statistics.stdev(draws) == pytest.approx(sd, rel=0.06)
    assert all(0 <= d <= n for d in draws)


@pytest.mark.parametrize("kwargs", [{"n_resamples": 0}, {"level": 1.0}, {"level": 0.0}])
def test_bootstrap_rejects_bad_settings(kwargs: dict[str, float]) -> None:
    with pytest.raises(RuntimeBug):
        bootstrap_ci(1, 2, **kwargs)  # type: ignore[arg-type]


def test_bootstrap_ci_rejects_impossible_counts() -> None:
    with pytest.raises(RuntimeBug):
        bootstrap_ci(3, 2)


def test_bootstrap_mean_ci_of_constant_values_is_that_value() -> None:
    assert bootstrap_mean_ci([0.25] * 9) == (0.25, 0.25)


def test_quantile_interpolates_like_numpy_linear() -> None:
    values = [1.0, 2.0, 4.0, 8.0]
    assert quantile(values, 0.0) == 1.0
    assert quantile(values, 1.0) == 8.0
    assert quantile(values, 0.5) == 3.0  # between 2 and 4
    assert quantile(values, 0.25) == pytest.approx(1.75)
