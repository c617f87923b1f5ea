"""The trajectory pool: SQLite by default, WAL, numbered migrations, batched writes."""

from lightclaw.errors import StoreVersionError
from lightclaw.store.store import Store, default_db_path
from lightclaw.store.summary import RunSummary
from lightclaw.store.writer import EpisodeWriter

__all__ = ["EpisodeWriter", "RunSummary", "Store", "StoreVersionError", "default_db_path"]
