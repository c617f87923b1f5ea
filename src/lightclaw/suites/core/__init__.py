"""The built-in deterministic ``core`` suite: tools over a JSON state, tasks with ground truth."""

from lightclaw.suites.core.tools import CORE_TOOLS, HANDBOOK, RATES_PER_USD, core_registry

__all__ = ["CORE_TOOLS", "HANDBOOK", "RATES_PER_USD", "core_registry"]
