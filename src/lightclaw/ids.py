"""Identifiers: sortable by creation time, unique without coordination."""

from __future__ import annotations

import os
import time


def new_id(prefix: str) -> str:
    """``prefix_`` + 12 hex digits of milliseconds since the epoch + 8 random hex digits."""
    return f"{prefix}_{time.time_ns() // 1_000_000:012x}{os.urandom(4).hex()}"
