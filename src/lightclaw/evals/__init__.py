"""Metrics, reports and failure analysis computed from recorded runs."""

from lightclaw.evals.metrics import GroupMetrics, MetricsReport, PassK, Rate, compute_metrics
from lightclaw.evals.stats import bootstrap_ci, pass_at_k, pass_hat_k

__all__ = [
    "GroupMetrics",
    "MetricsReport",
    "PassK",
    "Rate",
    "bootstrap_ci",
    "compute_metrics",
    "pass_at_k",
    "pass_hat_k",
]
