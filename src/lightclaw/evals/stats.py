"""Small, exact statistics for eval reports: bootstrap intervals for rates, pass@k and pass^k.

* :func:`bootstrap_ci` — percentile bootstrap interval of a rate ``successes / n``. Resampling
  ``n`` Bernoulli outcomes with replacement and counting the successes is, in distribution, one
  draw of ``Binomial(n, successes / n)``; so each resample draws that count directly (inverse-CDF
  sampling from the exact binomial distribution), which costs O(1) per resample instead of O(n).
  Deterministic for a given ``seed``. An empty denominator has no interval (``None``).
* :func:`bootstrap_mean_ci` — percentile bootstrap interval of a mean of values (resampled with
  replacement), for per-task numbers such as pass@k.
* :func:`pass_at_k` — the unbiased pass@k estimator of Chen et al. 2021 (Codex / HumanEval):
  ``1 - C(n-c, k) / C(n, k)``: the chance that at least one of ``k`` of the ``n`` trials,
  drawn without replacement, succeeded.
* :func:`pass_hat_k` — tau-bench's pass^k (Yao et al. 2024): ``C(c, k) / C(n, k)``: the chance
  that all ``k`` drawn trials succeeded.
* :func:`mean_pass_at_k` / :func:`mean_pass_hat_k` — those averaged over tasks, as reported.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left
from itertools import accumulate
from typing import TYPE_CHECKING

from lightclaw.errors import RuntimeBug

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

DEFAULT_RESAMPLES = 1000
DEFAULT_LEVEL = 0.95
# Binomial mass further than this many standard deviations from the mean is below 1e-40 and
# is left out of the sampling table (it could never be drawn by a double-precision uniform).
_TAIL_SD = 14.0


def _check(n_resamples: int, level: float) -> None:
    if n_resamples < 1:
        raise RuntimeBug(f"n_resamples must be >= 1, got {n_resamples}")
    if not 0.0 < level < 1.0:
        raise RuntimeBug(f"level must be in (0, 1), got {level}")


def quantile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q`` quantile of sorted values, linear interpolation (NumPy's default method)."""
    if not sorted_values:
        raise RuntimeBug("quantile of no values")
    pos = q * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def _interval(resampled: list[float], level: float) -> tuple[float, float]:
    resampled.sort()
    tail = (1.0 - level) / 2.0
    return quantile(resampled, tail), quantile(resampled, 1.0 - tail)


def binomial_table(n: int, p: float) -> tuple[int, list[float]]:
    """(first count, cumulative probabilities) of Binomial(n, p) over its non-negligible range."""
    if p <= 0.0 or p >= 1.0 or n == 0:
        return (0 if p <= 0.0 else n), [1.0]
    mean = n * p
    sd = math.sqrt(n * p * (1.0 - p))
    first = max(0, math.floor(mean - _TAIL_SD * sd - 1))
    last = min(n, math.ceil(mean + _TAIL_SD * sd + 1))
    log_p, log_q = math.log(p), math.log1p(-p)
    log_n = math.lgamma(n + 1)
    pmf = [
        math.exp(log_n - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * log_p + (n - k) * log_q)
        for k in range(first, last + 1)
    ]
    return first, list(accumulate(pmf))


def binomial_draws(n: int, p: float, size: int, rng: random.Random) -> list[int]:
    """``size`` independent draws of Binomial(n, p) by inverse-CDF sampling."""
    first, cdf = binomial_table(n, p)
    total = cdf[-1]  # ~1; the left-out tails are below double precision
    top = len(cdf) - 1
    return [first + min(bisect_left(cdf, rng.random() * total), top) for _ in range(size)]


def bootstrap_ci(
    successes: int,
    n: int,
    *,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    level: float = DEFAULT_LEVEL,
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of the rate ``successes / n``; ``None`` when ``n == 0``.

    Each resample counts the successes among ``n`` outcomes drawn with replacement, i.e. draws
    ``Binomial(n, successes / n)``. A rate of exactly 0 or 1 gives a zero-width interval (the
    percentile bootstrap cannot see beyond the observed outcomes).
    """
    _check(n_resamples, level)
    if n < 0 or not 0 <= successes <= n:
        raise RuntimeBug(f"a rate needs 0 <= successes <= n, got {successes}/{n}")
    if n == 0:
        return None
    draws = binomial_draws(n, successes / n, n_resamples, random.Random(seed))
    return _interval([d / n for d in draws], level)


def bootstrap_mean_ci(
    values: Sequence[float],
    *,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    level: float = DEFAULT_LEVEL,
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of the mean of ``values``; ``None`` for no values."""
    _check(n_resamples, level)
    if not values:
        return None
    rng = random.Random(seed)
    size = len(values)
    means = [math.fsum(rng.choices(values, k=size)) / size for _ in range(n_resamples)]
    return _interval(means, level)


def _check_counts(n: int, c: int, k: int) -> None:
    if not 0 <= c <= n:
        raise RuntimeBug(f"need 0 <= c <= n, got n={n}, c={c}")
    if not 1 <= k <= n:
        raise RuntimeBug(f"need 1 <= k <= n, got n={n}, k={k}")


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k for one task with ``n`` trials of which ``c`` succeeded (Chen et al.)."""
    _check_counts(n, c, k)
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def pass_hat_k(n: int, c: int, k: int) -> float:
    """tau-bench pass^k for one task with ``n`` trials of which ``c`` succeeded."""
    _check_counts(n, c, k)
    return math.comb(c, k) / math.comb(n, k)


def _mean_over_tasks(counts: Iterable[tuple[int, int]], k: int, one: str) -> float | None:
    fn = pass_at_k if one == "at" else pass_hat_k
    values = [fn(n, c, k) for n, c in counts]
    return math.fsum(values) / len(values) if values else None


def mean_pass_at_k(counts: Iterable[tuple[int, int]], k: int) -> float | None:
    """pass@k averaged over tasks given as (n trials, c successes); ``None`` for no tasks."""
    return _mean_over_tasks(counts, k, "at")


def mean_pass_hat_k(counts: Iterable[tuple[int, int]], k: int) -> float | None:
    """pass^k averaged over tasks given as (n trials, c successes); ``None`` for no tasks."""
    return _mean_over_tasks(counts, k, "hat")
