"""Every error ``matching`` raises, in one module.

Each derives from :class:`lifecycle.LeadflowError` and from the builtin it means, so
``except ValueError`` (or ``KeyError``, ``TimeoutError``, ...) keeps working for callers
who do not know leadflow::

    LeadflowError
    ├── NormalisationError (ValueError)       a normaliser called wrongly (an unknown region)
    ├── StrategyError (ValueError)            a match strategy or fuzzy rule that cannot be built
    ├── SubmissionRejected (ValueError)       a form submission refused before anything was written
    └── StoreError (RuntimeError)             the store refused or could not do it; nothing written
        ├── ConflictError                     another writer got there first; retrying is safe
        ├── SchemaVersionError                the database schema is not this leadflow's
        ├── RecordNotFound (KeyError)         no stored record of that type has that id
        ├── StoreConfigError (ValueError)     the store URL or options are unusable
        ├── TombstonedError (ValueError)      the address belongs to a deleted record (D14)
        ├── StoreBusy (TimeoutError)          another writer held the lock past the busy timeout
        ├── StoreUnavailable (ConnectionError) the database cannot be reached
        ├── ImportFileError (ValueError)      a file that cannot be read as CSV or JSON Lines
        │   ├── ImportRefused                 a file refused whole before anything was written
        │   └── ColumnMappingError            a mapping file naming unknown fields; nothing written
        └── DumpError (ValueError)            a store dump that cannot be restored; nothing written

The modules that raise them import them from here (``matching.store.errors``,
``matching.strategies``, ... still offer them under their old names). This module stays
pure: the linkage core imports it, so it loads no SQLAlchemy, Alembic, rich or click.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lifecycle.decisions import cite
from lifecycle.errors import LeadflowError, Problem, describe

__all__ = [
    "ColumnMappingError",
    "ConflictError",
    "DumpError",
    "FieldProblem",
    "ImportFileError",
    "ImportRefused",
    "NormalisationError",
    "RecordNotFound",
    "SchemaVersionError",
    "StoreBusy",
    "StoreConfigError",
    "StoreError",
    "StoreUnavailable",
    "StrategyError",
    "SubmissionRejected",
    "TombstonedError",
]


# --- the linkage core ------------------------------------------------------------------


class NormalisationError(LeadflowError, ValueError):
    """A normaliser was called wrongly (an unknown region code); junk data never raises.

    A ``ValueError``: the argument the caller passed is not one the normaliser takes."""

    def __init__(self, argument: str, expected: str, got: object) -> None:
        self.argument = argument
        self.expected = expected
        self.got = got
        super().__init__(Problem(argument, expected, got).message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.argument, self.expected, self.got))


class StrategyError(LeadflowError, ValueError):
    """A match strategy (or fuzzy rule) that cannot be built or loaded.

    ``problems`` holds a :class:`~lifecycle.errors.Problem` for every problem found,
    each with its path (``fields`` lists them: ``fuzzy[1].threshold``, ...), and the
    message is theirs, in the one shape ``'<field>' must be <expected> (got <value>).``
    ``strategy`` is the strategy's name when it has a usable one, ``subject`` says what
    was built (``match strategy`` or ``fuzzy rule``). A ``ValueError``: the strategy's
    values (or its dict or JSON) are invalid.
    """

    def __init__(
        self,
        strategy: str | None,
        problems: Sequence[Problem],
        subject: str = "match strategy",
    ) -> None:
        self.strategy = strategy
        self.subject = subject
        self.problems = tuple(problems)
        super().__init__(describe(self.problems))

    @property
    def fields(self) -> tuple[str, ...]:
        """The path of every problem, in order."""
        return tuple(problem.path for problem in self.problems)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.strategy, self.problems, self.subject))


# --- form submissions ------------------------------------------------------------------


FieldProblem = Problem
"""Why one submitted field was refused: the name ``SubmissionRejected.problems`` held
before every collected problem became a :class:`~lifecycle.errors.Problem` (its ``field``
and ``reason`` still read as they did)."""


class SubmissionRejected(LeadflowError, ValueError):
    """The submission was refused and nothing was written; ``problems`` holds a
    :class:`~lifecycle.errors.Problem` for each bad field, and the message is theirs.

    A ``ValueError``: the submitted data is invalid (or blocked by the form's policy)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__(describe(self.problems))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.problems,))


# --- the record store ------------------------------------------------------------------


class StoreError(LeadflowError, RuntimeError):
    """Something the record store refused or could not do; nothing was written.

    A ``RuntimeError``: what failed is the store at run time (a driver error that means
    none of the errors below), not a value the caller passed; the subclasses that are
    about the caller's values or a missing record add ``ValueError`` or ``KeyError``."""


class ConflictError(StoreError):
    """Another writer changed the record first (its version moved on); reload and retry.

    A ``RuntimeError`` (through :class:`StoreError`), as when a dict changes size while it
    is read: the data changed under the caller, and the same call can succeed on retry."""

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
    """No stored record of that type has that id.

    A ``KeyError``: the id is a key the store does not hold, as with a dict."""

    def __init__(self, kind: str, record_id: str) -> None:
        self.kind, self.record_id = kind, record_id
        super().__init__(f"no {kind} with id {record_id!r} in the store.")

    def __str__(self) -> str:
        return str(self.args[0])

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.kind, self.record_id))


class StoreConfigError(StoreError, ValueError):
    """The store URL or options are unusable.

    A ``ValueError``: the URL or an option the caller passed is invalid."""


class SchemaVersionError(StoreError):
    """The database schema is older than this leadflow and migration was not allowed, or newer.

    A ``RuntimeError`` (through :class:`StoreError`): the database is in a state this code
    cannot use; no argument of the call is wrong."""


class TombstonedError(StoreError, ValueError):
    """The address belongs to a deleted record; recreating it needs an explicit override (D14).

    A ``ValueError``: the record given carries an address that may not be used again, so
    it is refused like any other invalid value (an import rejects the row)."""

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
    setting that waits longer as the caller spells it (:meth:`describe`). A
    ``TimeoutError``: the call gave up waiting; it can succeed later."""

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
    file cannot be opened. The message names the store, never its password.

    A ``ConnectionError``: the store's server or file could not be reached at all."""


class ImportFileError(StoreError, ValueError):
    """A file cannot be read as CSV or JSON Lines; batches before the failure stay stored.

    A ``ValueError``: the file given is not input leadflow can read (a repeated header,
    malformed CSV or JSON, text that is not UTF-8, or a path that cannot be opened)."""


class ImportRefused(ImportFileError):
    """A file refused as a whole before any of it was written: no row of it has an identity
    (a primary key, an email, or a name), most of its columns mean nothing leadflow knows
    and no mapping was given, it holds records of another type (or of two types), or two of
    its columns mean the same field.

    ``source`` is the file (or ``DataFrame``, ``rows``), ``kind`` the record type it was
    imported as, ``problem`` what is wrong, ``columns`` the columns it read, ``unresolved``
    those that mean nothing leadflow knows, ``expected`` the columns it needed. When a
    mapping file would help, the message names the setting as the caller spells it
    (:meth:`describe`).

    A ``ValueError`` (through :class:`ImportFileError`): the file given is not input that
    can be imported as that record type."""

    def __init__(
        self,
        source: str,
        kind: str,
        problem: str,
        columns: Sequence[str] = (),
        unresolved: Sequence[str] = (),
        expected: str | None = None,
        mappable: bool = False,
    ) -> None:
        self.source, self.kind, self.problem = source, kind, problem
        self.columns, self.unresolved = tuple(columns), tuple(unresolved)
        self.expected, self.mappable = expected, mappable
        super().__init__(self.describe())

    def describe(self, *, command_line: bool = False) -> str:
        """The message; a file a mapping would fix names ``mapping=FILE`` (``--mapping FILE``
        with ``command_line``)."""
        text = f"cannot import {self.source} as {self.kind} records: {self.problem}; nothing was written."
        if self.columns:
            text += f" Columns read: {_listed(self.columns)}"
            if self.unresolved and len(self.unresolved) < len(self.columns):
                text += f" (not resolved: {_listed(self.unresolved)})"
            text += "."
        if self.expected:
            text += f" Columns expected: {self.expected}."
        if self.mappable:
            setting = "--mapping FILE" if command_line else "mapping=FILE"
            text += f" Name the file's columns with {setting} (CSV column,field or a JSON object)."
        return text

    def __str__(self) -> str:
        return self.describe()

    def __reduce__(self) -> tuple[Any, ...]:
        arguments = (self.source, self.kind, self.problem, self.columns, self.unresolved)
        return (type(self), (*arguments, self.expected, self.mappable))


def _listed(names: Sequence[str]) -> str:
    return ", ".join(repr(name) for name in names)


class ColumnMappingError(ImportFileError):
    """A mapping file (column to field) that cannot be used, and nothing was imported: it
    names a field the record type does not have, or it cannot be read as CSV or JSON.

    ``path`` is the mapping file, ``problems`` a :class:`~lifecycle.errors.Problem` for each
    bad entry (its path the column, what it must be, the field it named), ``known`` the
    columns the record type has; the message is the problems' after the file's name, then
    the known columns once.

    A ``ValueError`` (through :class:`ImportFileError`): the mapping given is invalid."""

    def __init__(self, path: str, problems: Sequence[Problem], known: Sequence[str] = ()) -> None:
        self.path = path
        self.problems = tuple(problems)
        self.known = tuple(known)
        text = f"cannot use the mapping file {path}: {describe(self.problems)}"
        if self.known:
            text += f" The columns it may name: {', '.join(self.known)}."
        super().__init__(text)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.problems, self.known))


class DumpError(StoreError, ValueError):
    """A store dump that cannot be restored, and nothing of it was written.

    The file is not a leadflow dump, is of a format version or a schema revision this
    leadflow does not know (a newer one), was cut short or edited after it was written
    (its trailer's row counts and SHA-256 say so), or the store to restore into already
    holds data and replacing it was not asked for. ``path`` is the dump, ``line`` the line
    at fault (``None`` when the problem is the whole file or the store), ``problem`` what
    is wrong; the message names the setting that replaces a store's data as the caller
    spells it (:meth:`describe`).

    A ``ValueError``: the file given is not input this leadflow can restore, or the call's
    ``replace`` does not allow overwriting the store, as an import refuses a bad file."""

    def __init__(
        self, path: str, problem: str, line: int | None = None, replaceable: bool = False
    ) -> None:
        self.path, self.problem, self.line, self.replaceable = path, problem, line, replaceable
        super().__init__(self.describe())

    def describe(self, *, command_line: bool = False) -> str:
        """The message; a store that holds data names ``replace=True`` (``--replace`` with
        ``command_line``)."""
        where = "" if self.line is None else f"line {self.line}: "
        text = f"cannot restore {self.path}: {where}{self.problem}"
        if self.replaceable:
            setting = "--replace" if command_line else "replace=True"
            text += f"; restore with {setting} to replace it"
        return f"{text}; nothing was written."

    def __str__(self) -> str:
        return self.describe()

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.problem, self.line, self.replaceable))
