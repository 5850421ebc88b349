"""The record store: SQLite embedded by default, PostgreSQL for production."""

from __future__ import annotations

from matching.errors import (
    ConflictError,
    DumpError,
    RecordNotFound,
    SchemaVersionError,
    StoreBusy,
    StoreConfigError,
    StoreError,
    StoreUnavailable,
    TombstonedError,
)
from matching.store.move import DumpReport, dump, restore
from matching.store.store import Store, Transaction, open_store
from matching.values import Candidate, Interaction, Tombstone

__all__ = [
    "Candidate",
    "ConflictError",
    "DumpError",
    "DumpReport",
    "Interaction",
    "RecordNotFound",
    "SchemaVersionError",
    "Store",
    "StoreBusy",
    "StoreConfigError",
    "StoreError",
    "StoreUnavailable",
    "Tombstone",
    "TombstonedError",
    "Transaction",
    "dump",
    "open_store",
    "restore",
]
