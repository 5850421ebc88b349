"""What leadflow needs of a record store, as protocols.

Resolution (:mod:`matching.resolve`) reads and claims through a
:class:`ResolveTransaction`; the form handler works in a :class:`RecordTransaction`
opened by a :class:`RecordStore`; the batch features build on the same protocols. The
embedded and PostgreSQL store (:class:`matching.store.Store`) provides them, and so can a
test double or another backend, without this module loading a database driver.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Protocol, TypeVar, runtime_checkable

from lifecycle.records import Record
from lifecycle.suppression import SuppressionList
from matching.values import Candidate, Interaction, Tombstone

__all__ = ["RecordStore", "RecordTransaction", "ResolveTransaction"]

R = TypeVar("R", bound=Record)


class ResolveTransaction(Protocol):
    """The reads and claims resolution makes inside one transaction."""

    def candidates(
        self,
        kind: type[Record],
        keys: Iterable[tuple[str, str]],
        *,
        limit: int | None = ...,
        fields: Iterable[str] | None = ...,
    ) -> list[Candidate]:
        """The ``kind`` records stored under any of ``keys``, each once, newest first."""

    def children(
        self,
        kind: type[Record],
        field: str,
        parent_id: str,
        *,
        limit: int = ...,
        fields: Iterable[str] | None = ...,
    ) -> list[Candidate]:
        """The ``kind`` records whose reference ``field`` is ``parent_id``, newest first."""

    def get(self, kind: type[R], record_id: str, *, lock: bool = ...) -> R:
        """The stored record; :class:`~matching.errors.RecordNotFound` when there is none."""

    def get_many(self, kind: type[R], record_ids: Iterable[str], *, lock: bool = ...) -> list[R]:
        """The stored records among ``record_ids``, in that order."""

    def version(self, record: Record) -> int | None:
        """The stored version ``record`` was loaded or saved at; ``None`` when unseen."""

    def claim(self, strategy: str, key: str, record: Record) -> str:
        """Claim ``(strategy, key)`` for ``record``; the id that holds the claim."""

    def reclaim(self, strategy: str, key: str, record: Record, holder_id: str) -> bool:
        """Move a stale claim from ``holder_id`` to ``record``; ``False`` if it moved first."""

    def claimed(self, strategy: str, key: str) -> tuple[str, str] | None:
        """``(record_type, record_id)`` holding ``(strategy, key)``, if any."""


class RecordTransaction(ResolveTransaction, Protocol):
    """Everything the form handler does inside one transaction: resolution's reads and
    claims, screening an address, and writing records and interactions."""

    def lookup(
        self, kind: type[Record], field: str, key: str
    ) -> list[tuple[str, dt.datetime | None]]:
        """``(id, modifiedon)`` of the records whose normalised ``field`` is ``key``."""

    def tombstones_for(self, address: str | None) -> list[Tombstone]:
        """The tombstones of deleted records that carried ``address``, newest first."""

    def suppressions_for(self, addresses: Iterable[str | None]) -> SuppressionList:
        """The stored suppressions of these addresses."""

    def add(self, record: Record, *, allow_tombstoned: bool = ...) -> None:
        """Insert a new record with its consents, history and match keys."""

    def save(self, record: Record) -> int:
        """Write a record loaded in this transaction; its new version."""

    def add_interaction(self, interaction: Interaction) -> None:
        """Keep one touch by a person."""


@runtime_checkable
class RecordStore(Protocol):
    """A store of records the handler and the batch features work through: it opens
    transactions, says where it is, and closes.

    ``isinstance`` checks that the three members are there (not their signatures), which
    tells a store from an object that merely has a ``transaction`` method."""

    @property
    def url(self) -> str:
        """Where the store is, without a password."""

    def transaction(self, *, readonly: bool = ...) -> AbstractContextManager[RecordTransaction]:
        """A transaction: committed when the block ends, rolled back when it raises."""

    def close(self) -> None:
        """Release the store's connections."""
