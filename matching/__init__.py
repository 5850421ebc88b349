"""leadflow's data side: the record store (SQLite embedded, PostgreSQL for production),
normalisation into match keys, and the ``leadflow`` command line.

``matching`` builds on :mod:`lifecycle`; ``lifecycle`` never imports ``matching``.
"""

from matching.store import (
    ConflictError,
    Interaction,
    RecordNotFound,
    SchemaVersionError,
    Store,
    StoreConfigError,
    StoreError,
    Tombstone,
    TombstonedError,
    Transaction,
    open_store,
)

__all__ = [
    "ConflictError",
    "Interaction",
    "RecordNotFound",
    "SchemaVersionError",
    "Store",
    "StoreConfigError",
    "StoreError",
    "Tombstone",
    "TombstonedError",
    "Transaction",
    "open_store",
]
