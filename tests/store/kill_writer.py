"""Subprocess for the kill-safety test: writes episodes one by one, flushing after each.

Usage: python kill_writer.py DB_PATH RUN_ID. Prints each episode id once it is flushed; runs
until killed.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from store_samples import make_run, rich_episode

from lightclaw.store import Store


def main() -> None:
    db, run_id = Path(sys.argv[1]), sys.argv[2]
    with Store(db) as store:
        store.create_run(make_run(run_id))
        with store.writer(batch_size=10_000, flush_interval=3600) as writer:
            for n in itertools.count():
                episode = rich_episode(run_id, n)
                writer.add(episode)
                writer.flush()
                print(episode.id, flush=True)


if __name__ == "__main__":
    main()
