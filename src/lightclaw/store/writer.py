"""Buffered episode writing: batches for throughput, explicit flushes for durability."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Self

from lightclaw.errors import RuntimeBug

if TYPE_CHECKING:
    from types import TracebackType

    from lightclaw.schema.trajectory import Episode
    from lightclaw.store.store import Store


class EpisodeWriter:
    """Buffers episodes and writes them in one transaction per batch.

    A batch is flushed when ``batch_size`` episodes are buffered, when ``add`` finds that
    ``flush_interval`` seconds passed since the last flush, on :meth:`flush`, and on exit.
    A killed process loses at most the unflushed buffer. A failed flush keeps the buffer.
    With ``skip_stored``, episodes whose (run, task, policy, trial, attempt) is already stored
    (e.g. by a concurrent resume of the same run) are skipped instead of failing the batch.
    """

    def __init__(
        self,
        store: Store,
        *,
        batch_size: int = 256,
        flush_interval: float = 1.0,
        skip_stored: bool = False,
    ) -> None:
        if batch_size < 1:
            raise RuntimeBug(f"batch_size must be >= 1, got {batch_size}")
        self.store = store
        self.skip_stored = skip_stored
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self._buffer: list[Episode] = []
        self._last_flush = time.monotonic()

    @property
    def pending(self) -> int:
        """Episodes buffered and not yet written."""
        return len(self._buffer)

    def add(self, *episodes: Episode) -> None:
        """Buffer ``episodes``; they are written in the same transaction (never split)."""
        self._buffer.extend(episodes)
        if (
            len(self._buffer) >= self.batch_size
            or time.monotonic() - self._last_flush >= self.flush_interval
        ):
            self.flush()

    def flush(self) -> None:
        """Write the buffered episodes now (one transaction)."""
        if self._buffer:
            self.store.add_episodes(self._buffer, skip_stored=self.skip_stored)
            self._buffer = []
        self._last_flush = time.monotonic()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.flush()
