"""The record store's errors, kept importable from here; they live in :mod:`matching.errors`."""

from __future__ import annotations

from matching.errors import (
    ConflictError,
    RecordNotFound,
    SchemaVersionError,
    StoreBusy,
    StoreConfigError,
    StoreError,
    StoreUnavailable,
    TombstonedError,
)

__all__ = [
    "ConflictError",
    "RecordNotFound",
    "SchemaVersionError",
    "StoreBusy",
    "StoreConfigError",
    "StoreError",
    "StoreUnavailable",
    "TombstonedError",
]
