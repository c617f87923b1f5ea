"""Task suites: the built-in deterministic ``core`` suite and loading of user task files."""

from lightclaw.suites.loader import SUITES, Suite, get_suite, load_suite, load_tasks

__all__ = ["SUITES", "Suite", "get_suite", "load_suite", "load_tasks"]
