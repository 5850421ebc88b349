"""Errors the record store raises; all derive from :class:`lifecycle.LeadflowError`."""

from __future__ import annotations

from typing import Any

from lifecycle import LeadflowError
from lifecycle.decisions import cite


class StoreError(LeadflowError):
    """Something the record store refused or could not do; nothing was written."""


class ConflictError(StoreError):
    """Another writer changed the record first (its version moved on); reload and retry."""

    def __init__(
        self,
        kind: str,
        record_id: str,
        expected: int | None,
        found: int | None,
        detail: str | None = None,
    ) -> None:
        self.kind, self.record_id, self.expected, self.found = kind, record_id, expected, found
        self.detail = detail
        why = detail if detail is not None else _version_conflict(expected, found)
        super().__init__(f"{kind} {record_id!r} was not saved: {why}.")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.kind, self.record_id, self.expected, self.found, self.detail))


def _version_conflict(expected: int | None, found: int | None) -> str:
    if found is None and expected:
        return "it was deleted by another writer"
    if expected is None or expected == 0:
        return "a record with this id already exists; load it instead of adding it"
    return f"it is at version {found}, not {expected}: another writer saved it first"


class RecordNotFound(StoreError, KeyError):
    """No stored record of that type has that id."""

    def __init__(self, kind: str, record_id: str) -> None:
        self.kind, self.record_id = kind, record_id
        super().__init__(f"no {kind} with id {record_id!r} in the store.")

    def __str__(self) -> str:
        return str(self.args[0])

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.kind, self.record_id))


class StoreConfigError(StoreError, ValueError):
    """The store URL or options are unusable."""


class SchemaVersionError(StoreError):
    """The database schema is older than this leadflow and migration was not allowed, or newer."""


class TombstonedError(StoreError):
    """The address belongs to a deleted record; recreating it needs an explicit override (D14)."""

    def __init__(self, address: str, kind: str, record_id: str) -> None:
        self.address, self.kind, self.record_id = address, kind, record_id
        super().__init__(
            f"{address!r} belongs to a deleted {kind} ({record_id}); "
            f"it is not recreated silently {cite('D14')}."
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.address, self.kind, self.record_id))


class StoreBusy(StoreError, TimeoutError):
    """Another writer held the database's lock for longer than the busy timeout.

    ``store`` is where (a SQLite file's path, or a URL with the password hidden) and
    ``waited`` the busy timeout in seconds; nothing was written. The message names the
    setting that waits longer as the caller spells it (:meth:`describe`)."""

    def __init__(self, store: str, waited: float) -> None:
        self.store, self.waited = store, waited
        super().__init__(self.describe())

    def describe(self, *, command_line: bool = False) -> str:
        """The message, naming ``busy_timeout=SECONDS`` (``--busy-timeout SECONDS`` with
        ``command_line``)."""
        setting = "--busy-timeout SECONDS" if command_line else "busy_timeout=SECONDS"
        return (
            f"the store at {self.store} is busy: another writer held its lock for longer "
            f"than the {self.waited:g} s busy timeout, and nothing was written; try again, "
            f"or wait longer with {setting}."
        )

    def __str__(self) -> str:
        return self.describe()

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.store, self.waited))


class StoreUnavailable(StoreError, ConnectionError):
    """The database cannot be reached: a server refused or dropped the connection, or a
    file cannot be opened. The message names the store, never its password."""
