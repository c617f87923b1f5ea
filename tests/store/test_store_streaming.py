"""Streaming reads in bounded memory, and the buffered episode writer."""

from __future__ import annotations

import itertools
import tracemalloc
from pathlib import Path

import pytest
from store_samples import make_run, rich_episode, small_episode

from lightclaw.errors import UserError
from lightclaw.store import Store


def test_iter_episodes_streams_every_episode_in_insertion_order(tmp_path: Path) -> None:
    with Store(tmp_path / "lightclaw.db") as store:
        store.create_run(make_run("a"))
        store.create_run(make_run("b"))
        expected_a, expected_b = [], []
        for chunk in range(6):  # interleave the two runs' batches
            a = [small_episode("a", n) for n in range(chunk * 200, chunk * 200 + 200)]
            b = [small_episode("b", n) for n in range(chunk * 50, chunk * 50 + 50)]
            store.add_episodes(a)
            store.add_episodes(b)
            expected_a += a
            expected_b += b
        assert list(store.iter_episodes("a", batch=64)) == expected_a
        assert list(store.iter_episodes("b", batch=7)) == expected_b
        everything = list(store.iter_episodes(batch=1000))
        assert len(everything) == 1500
        assert [e.id for e in everything if e.run_id == "b"] == [e.id for e in expected_b]
        assert list(store.iter_episodes("nope")) == []


def test_iter_episodes_memory_is_bounded_by_the_batch(tmp_path: Path) -> None:
    with Store(tmp_path / "lightclaw.db") as store:
        store.create_run(make_run())
        store.add_episodes([rich_episode(n=n) for n in range(600)])

        tracemalloc.start()
        try:
            seen = sum(1 for _ in store.iter_episodes("run-1", batch=20))
            _, streaming_peak = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            everything = list(store.iter_episodes("run-1", batch=20))
            _, list_peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert seen == len(everything) == 600
        assert streaming_peak * 5 < list_peak


def test_iter_episodes_is_lazy(tmp_path: Path) -> None:
    with Store(tmp_path / "lightclaw.db") as store:
        store.create_run(make_run())
        store.add_episodes([small_episode("run-1", n) for n in range(10)])
        stream = store.iter_episodes("run-1", batch=4)
        first = list(itertools.islice(stream, 4))
        store.add_episodes([small_episode("run-1", n) for n in range(10, 12)])  # not blocked
        assert [e.seed for e in first + list(stream)] == list(range(12))


def test_writer_flushes_by_batch_size_and_on_exit(tmp_path: Path) -> None:
    with Store(tmp_path / "lightclaw.db") as store:
        store.create_run(make_run())
        with store.writer(batch_size=3, flush_interval=3600) as writer:
            writer.add(small_episode("run-1", 0))
            writer.add(small_episode("run-1", 1))
            assert (store.count_episodes(), writer.pending) == (0, 2)
            writer.add(small_episode("run-1", 2))
            assert (store.count_episodes(), writer.pending) == (3, 0)
            writer.add(small_episode("run-1", 3))
            writer.flush()
            assert store.count_episodes() == 4
            writer.add(small_episode("run-1", 4))
            assert store.count_episodes() == 4
        assert store.count_episodes() == 5


def test_writer_flushes_when_the_interval_has_passed(tmp_path: Path) -> None:
    with Store(tmp_path / "lightclaw.db") as store:
        store.create_run(make_run())
        with store.writer(batch_size=1000, flush_interval=0.0) as writer:
            writer.add(small_episode("run-1", 0))
            assert store.count_episodes() == 1


def test_writer_exit_on_error_still_flushes_completed_episodes(tmp_path: Path) -> None:
    with Store(tmp_path / "lightclaw.db") as store:
        store.create_run(make_run())
        with pytest.raises(KeyboardInterrupt), store.writer(batch_size=100) as writer:
            writer.add(small_episode("run-1", 0))
            raise KeyboardInterrupt
        assert store.count_episodes() == 1


def test_failed_flush_keeps_the_buffer(tmp_path: Path) -> None:
    with Store(tmp_path / "lightclaw.db") as store:
        store.create_run(make_run())
        store.add_episodes([small_episode("run-1", 0)])
        writer = store.writer(batch_size=100)
        writer.add(small_episode("run-1", 1))
        writer.add(small_episode("run-1", 0))  # already stored
        with pytest.raises(UserError, match="already stored"):
            writer.flush()
        assert writer.pending == 2
        assert store.count_episodes() == 1


def test_a_full_disk_keeps_every_group_that_still_fits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch that fails for the environment is retried a group at a time, never split."""
    from lightclaw.errors import EnvironmentFailure

    with Store(tmp_path / "lightclaw.db") as store:
        store.create_run(make_run())
        real_add = Store.add_episodes
        capacity = 5  # the "disk" holds five episodes

        def add(self: Store, episodes: list[object], **kwargs: object) -> int:
            if self.count_episodes() + len(episodes) > capacity:
                raise EnvironmentFailure("database or disk is full")
            return real_add(self, episodes, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(Store, "add_episodes", add)
        writer = store.writer(batch_size=100)
        pairs = [
            (small_episode("run-1", 2 * n), small_episode("run-1", 2 * n + 1)) for n in range(4)
        ]
        for pair in pairs:
            writer.add(*pair)
        with pytest.raises(EnvironmentFailure):
            writer.flush()
        stored = [e.id for e in store.iter_episodes()]
        assert stored == [e.id for pair in pairs[:2] for e in pair]  # 2 whole pairs, no half
        assert writer.pending == 4
        monkeypatch.setattr(Store, "add_episodes", real_add)
        writer.flush()  # space freed: the rest goes in
        assert store.count_episodes() == 8 and writer.pending == 0
