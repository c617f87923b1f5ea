"""The agent loop and the tool executor."""

from lightclaw.runtime.executor import Executor, Guard, Outcome
from lightclaw.runtime.loop import (
    DEFAULT_SYSTEM,
    Revision,
    history_of,
    run_episode,
    run_episode_sync,
)

__all__ = [
    "DEFAULT_SYSTEM",
    "Executor",
    "Guard",
    "Outcome",
    "Revision",
    "history_of",
    "run_episode",
    "run_episode_sync",
]
