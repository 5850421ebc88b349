"""What a file's columns mean for one record type: resolved to the columns leadflow reads,
ignored on purpose, or not resolved at all.

A column is resolved, most certain first, by a user's mapping (:mod:`matching.io.mapping`),
by its Dataverse logical name (``emailaddress1``), by its schema name, which is the logical
name in PascalCase (``EMailAddress1``), matched in any case, by a Web API lookup value
(``_parentaccountid_value``), and by its Dynamics display name (``Email``, ``First Name``,
``(Do Not Modify) Contact``; :mod:`matching.io.display_names`). When two columns mean the
same field, the more certain one is read and the other ignored; two equally certain ones
make the file ambiguous. Columns leadflow recognises and leaves out (OData annotations,
owner, checksum, lookups exported by name) are ignored with the reason; anything else is
not resolved, and reported by name.

:func:`refuse_unusable` refuses a file as a whole, before anything is written, when it
holds records of another type (a ``contactid`` column in a lead file), when two columns are
ambiguous, when most of its columns are not resolved and no mapping was given, or when no
column can give a row its identity (:mod:`matching.io.identity`).
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from types import MappingProxyType

import attrs

from lifecycle.records import RECORD_TYPES, TYPE_NAME, Record
from matching.errors import ImportRefused
from matching.io import display_names, targets
from matching.io.rejections import ERRORS_FILE_COLUMNS

__all__ = [
    "ColumnResolver",
    "Columns",
    "expected_columns",
    "refuse_unusable",
    "resolve_columns",
]

_MAPPED, _LOGICAL, _SCHEMA, _LOOKUP_VALUE, _DISPLAY, _SECONDARY = range(6)
"""How certain a resolution is, most certain first."""

_ANNOTATION = re.compile(r"@odata\.|@microsoft\.dynamics\.crm\.", re.IGNORECASE)
_LOOKUP_COLUMN = re.compile(r"_(\w+)_value", re.IGNORECASE)


@attrs.frozen
class Columns:
    """What each column of a file means for one record type.

    ``read`` is every column in file order; ``targets`` the ``(column, field)`` pairs that
    are read; ``renamed`` those of them whose column is not the field's logical name (with
    how each was recognised); ``ignored`` the columns left out on purpose, with why;
    ``unresolved`` the columns that mean nothing leadflow knows; ``foreign`` the columns
    that are another record type's primary key, with that type; ``ambiguous`` each pair of
    equally certain columns that mean the same field."""

    kind: type[Record]
    read: tuple[Hashable, ...]
    targets: tuple[tuple[Hashable, str], ...]
    renamed: tuple[tuple[str, str, str], ...] = ()
    ignored: tuple[tuple[str, str], ...] = ()
    unresolved: tuple[str, ...] = ()
    foreign: tuple[tuple[str, str], ...] = ()
    ambiguous: tuple[tuple[str, str, str], ...] = ()

    def rename(self, row: Mapping[Hashable, object]) -> dict[str, object]:
        """``row`` keyed by the fields its columns mean; the other columns are left out."""
        return {field: row[column] for column, field in self.targets if column in row}

    @property
    def fields(self) -> frozenset[str]:
        """The fields the file's columns fill."""
        return frozenset(field for _, field in self.targets)

    def has_identity_columns(self) -> bool:
        """Whether the columns can give a row an identity (:mod:`matching.io.identity`)."""
        filled = self.fields
        return any(filled.issuperset(group) for group in targets.identity_columns(self.kind))


class _Vocabulary:
    """Everything a column can be recognised as, for one record type."""

    def __init__(self, kind: type[Record], mapping: Mapping[str, str | None] | None) -> None:
        self.kind = kind
        name = TYPE_NAME[kind]
        self.mapping = mapping or {}
        self.logical = frozenset(targets.columns(kind))
        self.folded = {column.casefold(): column for column in self.logical}
        self.lookups = frozenset(targets.lookups(kind))
        self.display: dict[str, tuple[str, int]] = {}
        for label, column, kinds in display_names.DISPLAY_NAMES:
            if name in kinds:
                rank = _SECONDARY if label in display_names.SECONDARY else _DISPLAY
                self.display[_label_key(label)] = (column, rank)
        self.not_kept = {
            _label_key(label): why for label, kinds, why in display_names.NOT_KEPT if name in kinds
        }
        for column in ERRORS_FILE_COLUMNS:
            self.not_kept.setdefault(column, "a column of leadflow's --errors file")
        self.foreign: dict[str, str] = {}
        for other_name, other in RECORD_TYPES.items():
            if other is kind:
                continue
            self.foreign[targets.PRIMARY_KEY[other]] = other_name
            self.foreign[_label_key(f"(Do Not Modify) {other_name.capitalize()}")] = other_name

    def classify(self, column: Hashable) -> tuple[str, str | None, int]:
        """``("target", field, rank)``, ``("ignored", why, 0)``, ``("foreign", kind, 0)``
        or ``("unresolved", None, 0)``."""
        if not isinstance(column, str):
            return ("unresolved", None, 0)
        if column in self.mapping:
            field = self.mapping[column]
            if field is None:
                return ("ignored", "left out by the mapping", 0)
            return ("target", field, _MAPPED)
        if column in self.logical:
            return ("target", column, _LOGICAL)
        key = _label_key(column)
        if key in self.folded:
            return ("target", self.folded[key], _SCHEMA)
        if key in self.foreign:
            return ("foreign", self.foreign[key], 0)
        lookup = _LOOKUP_COLUMN.fullmatch(column.strip())
        if lookup and lookup[1].casefold() in self.lookups:
            return ("target", lookup[1].casefold(), _LOOKUP_VALUE)
        if key in self.display:
            field, rank = self.display[key]
            return ("target", field, rank)
        if key in self.not_kept:
            return ("ignored", self.not_kept[key], 0)
        if _ANNOTATION.search(column) or lookup:
            return ("ignored", display_names.SYSTEM, 0)
        return ("unresolved", None, 0)


def _label_key(label: str) -> str:
    """A header as compared with the table: case and spacing ignored."""
    return " ".join(label.split()).casefold()


_HOW = {
    _MAPPED: "the mapping",
    _SCHEMA: "schema name",
    _LOOKUP_VALUE: "lookup value",
    _DISPLAY: "display name",
    _SECONDARY: "display name",
}


def _resolve(read: Sequence[Hashable], vocabulary: _Vocabulary) -> Columns:
    best: dict[str, tuple[int, Hashable]] = {}
    ignored: list[tuple[str, str]] = []
    unresolved: list[str] = []
    foreign: list[tuple[str, str]] = []
    ambiguous: list[tuple[str, str, str]] = []
    ranks: dict[Hashable, tuple[int, str]] = {}
    for column in read:
        verdict, value, rank = vocabulary.classify(column)
        if verdict == "target":
            assert value is not None
            ranks[column] = (rank, value)
            earlier = best.get(value)
            if earlier is None or rank < earlier[0]:
                best[value] = (rank, column)
            elif rank == earlier[0]:
                ambiguous.append((str(earlier[1]), str(column), value))
        elif verdict == "ignored":
            assert value is not None
            ignored.append((str(column), value))
        elif verdict == "foreign":
            assert value is not None
            foreign.append((str(column), value))
        else:
            unresolved.append(str(column))
    winners = {column: field for field, (_, column) in best.items()}
    pairs: list[tuple[Hashable, str]] = []
    renamed: list[tuple[str, str, str]] = []
    for column in read:
        field = winners.get(column)
        if field is None:
            if column in ranks:
                meant = ranks[column][1]
                why = f"also means {meant}; {str(best[meant][1])!r} is read"
                ignored.append((str(column), why))
            continue
        pairs.append((column, field))
        if column != field:
            renamed.append((str(column), field, _HOW[ranks[column][0]]))
    order = {str(column): i for i, column in enumerate(read)}
    ignored.sort(key=lambda pair: order[pair[0]])
    return Columns(
        kind=vocabulary.kind,
        read=tuple(read),
        targets=tuple(pairs),
        renamed=tuple(renamed),
        ignored=tuple(ignored),
        unresolved=tuple(unresolved),
        foreign=tuple(foreign),
        ambiguous=tuple(ambiguous),
    )


def resolve_columns(
    read: Iterable[Hashable],
    kind: type[Record],
    mapping: Mapping[str, str | None] | None = None,
) -> Columns:
    """What each of the columns ``read`` means for ``kind`` (see the module docstring).

    ``mapping`` maps a column to the field it means (or to ``None`` to leave it out), as
    :func:`matching.io.mapping.load_mapping` reads it; it is trusted here, so load it
    first. Nothing is refused: :func:`refuse_unusable` does that."""
    return _resolve(tuple(read), _Vocabulary(kind, mapping))


def expected_columns(kind: type[Record]) -> str:
    """The columns a ``kind`` file may have, as a refusal lists them."""
    return (
        f"{', '.join(targets.columns(kind))}, by logical name, schema name (any case) or "
        "Dynamics display name ('First Name', 'Email', ...)"
    )


def _identity_expected(kind: type[Record]) -> str:
    groups = [" and ".join(group) for group in targets.identity_columns(kind)]
    return f"{', '.join(groups[:-1])} or {groups[-1]} (any of them, by name or display name)"


def refuse_unusable(columns: Columns, source: str, *, mapped: bool) -> None:
    """Raise :class:`~matching.errors.ImportRefused` when ``columns`` cannot be imported as
    they are: another record type's primary key among them, two equally certain columns
    meaning one field, most columns not resolved without a mapping (``mapped``), or no
    column that gives a row its identity."""
    kind = TYPE_NAME[columns.kind]
    read = tuple(str(column) for column in columns.read)
    if columns.foreign:
        others = ", ".join(f"{column} ({other})" for column, other in columns.foreign)
        own = targets.PRIMARY_KEY[columns.kind]
        if own in columns.fields:
            problem = f"it mixes two types of record: {own} ({kind}) and {others}"
        else:
            problem = (
                f"it holds records of another type ({others}); import it as "
                f"{columns.foreign[0][1]}, or one record type per file"
            )
        raise ImportRefused(source, kind, problem, read)
    if columns.ambiguous:
        pairs = "; ".join(f"{a!r} and {b!r} both mean {field}" for a, b, field in columns.ambiguous)
        raise ImportRefused(
            source, kind, f"two columns mean the same field: {pairs}", read, mappable=True
        )
    if not mapped and len(columns.unresolved) * 2 > len(read):
        raise ImportRefused(
            source,
            kind,
            f"{len(columns.unresolved)} of its {len(read)} columns mean nothing leadflow knows",
            read,
            columns.unresolved,
            expected_columns(columns.kind),
            mappable=True,
        )
    if not columns.has_identity_columns():
        raise ImportRefused(
            source,
            kind,
            "no column gives a row its identity",
            read,
            columns.unresolved,
            _identity_expected(columns.kind),
            mappable=True,
        )


def refuse_no_identity(columns: Columns | None, kind: type[Record], source: str) -> None:
    """Raise :class:`~matching.errors.ImportRefused`: the file was read, and no row of it
    had an identity."""
    read = () if columns is None else tuple(str(column) for column in columns.read)
    unresolved = () if columns is None else columns.unresolved
    raise ImportRefused(
        source,
        TYPE_NAME[kind],
        "no row has an identity (every row was rejected)",
        read,
        unresolved,
        _identity_expected(kind),
        mappable=bool(unresolved),
    )


class ColumnResolver:
    """Resolves the columns of every row of one import, once per distinct set of columns.

    :meth:`header` resolves a file's header (for JSON Lines, every key its lines use) and
    refuses an unusable one; :meth:`of` resolves the keys of one row (the header's, for a
    CSV file), and :meth:`problem` says why a row's columns cannot be read when they are
    not the header's. The ignored, unresolved and renamed columns of everything resolved
    are kept, in first-seen order, for the report."""

    _CACHED = 64

    def __init__(self, kind: type[Record], mapping: Mapping[str, str | None] | None) -> None:
        self.kind = kind
        self.mapped = mapping is not None
        self._vocabulary = _Vocabulary(kind, mapping)
        self._cache: dict[tuple[Hashable, ...], Columns] = {}
        self.first: Columns | None = None
        self._ignored: dict[str, str] = {}
        self._unresolved: dict[str, None] = {}
        self._left_out: dict[str, None] = {}
        self._used: set[str] = set()
        self._renamed: dict[str, tuple[str, str, str]] = {}

    def header(self, read: Sequence[Hashable], source: str) -> Columns:
        """The columns of the whole file, refused when unusable."""
        columns = self.of(tuple(read))
        refuse_unusable(columns, source, mapped=self.mapped)
        return columns

    def of(self, keys: tuple[Hashable, ...]) -> Columns:
        """What the columns ``keys`` of one row mean."""
        columns = self._cache.get(keys)
        if columns is None:
            columns = _resolve(keys, self._vocabulary)
            if len(self._cache) >= self._CACHED:
                self._cache.clear()
            self._cache[keys] = columns
            if self.first is None:
                self.first = columns
            for column, why in columns.ignored:
                self._ignored.setdefault(column, why)
            for column in columns.unresolved:
                self._unresolved.setdefault(column, None)
            used = {str(column) for column, _ in columns.targets}
            self._used |= used
            foreign = {column for column, _ in columns.foreign}
            for column in map(str, columns.read):
                if column not in used and column not in foreign:
                    self._left_out.setdefault(column, None)
            for renamed in columns.renamed:
                self._renamed.setdefault(renamed[0], renamed)
        return columns

    def seen(self, keys: tuple[Hashable, ...]) -> Columns | None:
        """What the columns ``keys`` were resolved to, if they were (nothing is resolved)."""
        return self._cache.get(keys)

    @staticmethod
    def problem(columns: Columns) -> str | None:
        """Why a row with ``columns`` cannot be read, or ``None``."""
        if columns.foreign:
            others = ", ".join(f"{column} ({other})" for column, other in columns.foreign)
            return f"holds a record of another type ({others})."
        if columns.ambiguous:
            a, b, field = columns.ambiguous[0]
            return f"has two columns that mean {field}: {a!r} and {b!r}."
        return None

    @property
    def ignored(self) -> Mapping[str, str]:
        """Every column left out on purpose (and read in no row), with why."""
        return MappingProxyType(
            {column: why for column, why in self._ignored.items() if column not in self._used}
        )

    @property
    def left_out(self) -> tuple[str, ...]:
        """Every column not imported (ignored or not resolved), in first-seen order."""
        return tuple(column for column in self._left_out if column not in self._used)

    @property
    def unresolved(self) -> tuple[str, ...]:
        """Every column that meant nothing leadflow knows."""
        return tuple(self._unresolved)

    @property
    def renamed(self) -> tuple[tuple[str, str, str], ...]:
        """Every column read by another name than its field's: column, field, how."""
        return tuple(self._renamed.values())
