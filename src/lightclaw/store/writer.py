"""Buffered episode writing: batches for throughput, explicit flushes for durability."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Self

from lightclaw.errors import EnvironmentFailure, RuntimeBug

if TYPE_CHECKING:
    from types import TracebackType

    from lightclaw.schema.trajectory import Episode
    from lightclaw.store.store import Store


class EpisodeWriter:
    """Buffers episodes and writes them in one transaction per batch.

    A batch is flushed when ``batch_size`` episodes are buffered, when ``add`` finds that
    ``flush_interval`` seconds passed since the last flush, on :meth:`flush`, and on exit.
    A killed process loses at most the unflushed buffer. When a batch cannot be written because
    the environment failed (a full disk), the writer stores what still fits, one group of
    :meth:`add` at a time, before it re-raises; what was not written stays buffered.
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
        self._buffer: list[tuple[Episode, ...]] = []  # one group per add(), never split
        self._pending = 0
        self._last_flush = time.monotonic()

    @property
    def pending(self) -> int:
        """Episodes buffered and not yet written."""
        return self._pending

    def add(self, *episodes: Episode) -> None:
        """Buffer ``episodes``; they are written in the same transaction (never split)."""
        self._buffer.append(episodes)
        self._pending += len(episodes)
        if (
            self.pending >= self.batch_size
            or time.monotonic() - self._last_flush >= self.flush_interval
        ):
            self.flush()

    def flush(self) -> None:
        """Write the buffered episodes now (one transaction)."""
        if self._buffer:
            try:
                self._write(self._buffer)
            except EnvironmentFailure:
                while self._buffer:  # keep what still fits; raises at the first group that does not
                    self._write(self._buffer[:1])
                    self._pending -= len(self._buffer.pop(0))
            self._buffer = []
            self._pending = 0
        self._last_flush = time.monotonic()

    def _write(self, groups: list[tuple[Episode, ...]]) -> None:
        episodes = [episode for group in groups for episode in group]
        self.store.add_episodes(episodes, skip_stored=self.skip_stored)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.flush()
