"""Bulk import and export of records: CSV, JSON Lines and pandas DataFrames.

Files use Dataverse logical names, so a Dynamics export loads as it is; a file's columns
may also be schema names, Dynamics display names (an Excel template saved as CSV) or
anything a user's mapping names (:mod:`matching.io.headers`), and a CSV file may be
separated by commas, semicolons or tabs (:mod:`matching.io.delimited`). How values are
read is described in :mod:`matching.store.rows`. Exports write the primary key,
``statecode``, ``statuscode`` and the record fields, with date-times in UTC with ``Z``
(``2026-01-05T09:00:00Z``) and flags as ``true``/``false``, and import back to identical
records.

A file is refused whole, before anything is written, when its columns cannot be imported
(another record type's, mostly unknown without a mapping, none giving a row its identity)
or when no row of it has an identity (:class:`~matching.errors.ImportRefused`). Otherwise
rows are read as a stream and written in batches, each in one transaction
(:mod:`matching.store.batches`), so a batch is stored whole or not at all. A bad row is
reported with its line number, reason and the row as read, and nothing of it is written:
a row without an identity (:mod:`matching.io.identity`) is one, and so, by default, is a
row repeating the identity of an earlier row of the file. An import killed midway leaves
whole batches; running it again completes it without duplicates (stored ids meet
``on_existing``, and a row without an id gets one derived from its content).

Only the flat record travels: data consents and history are not part of these files, and
an import that updates a stored record keeps its consents and history.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TextIO

import attrs
import sqlalchemy as sa

from lifecycle import InvalidFieldError, Record
from lifecycle.errors import FieldTypeError
from lifecycle.fields import moment_text
from matching.errors import ImportFileError
from matching.io.delimited import DelimitedFile
from matching.io.files import written
from matching.io.frames import frame_columns, frame_rows
from matching.io.headers import ColumnResolver, refuse_no_identity
from matching.io.identity import Identities, identity_of, no_identity
from matching.io.jsonlines import jsonl_keys, jsonl_rows
from matching.io.mapping import MappingSource, load_mapping
from matching.io.rejections import RowError
from matching.io.report import ImportReport
from matching.store import schema
from matching.store.batches import BatchWriter, Progress
from matching.store.rows import RowParser, check_kind
from matching.store.store import OnExisting, Store

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "ImportFileError",
    "ImportReport",
    "OnRepeated",
    "Progress",
    "RowError",
    "export_columns",
    "export_csv",
    "export_jsonl",
    "import_csv",
    "import_frame",
    "import_jsonl",
    "import_rows",
    "to_frame",
]

UTC = dt.UTC
DEFAULT_BATCH_SIZE = 5_000
"""Rows per transaction when importing."""

_READ_CHUNK = 5_000
"""Rows fetched from the database at a time when exporting."""

_ON_EXISTING = ("error", "skip", "update")
_ON_REPEATED = ("error", "skip")

OnRepeated = Literal["error", "skip"]
"""What a row repeating the identity of an earlier row of the same file does: ``"error"``
rejects it, naming the earlier row's line; ``"skip"`` keeps the earlier row and skips it."""


def export_columns(kind: type[Record]) -> tuple[str, ...]:
    """The columns an export of ``kind`` has, in order: primary key, codes, fields."""
    pk = schema.PRIMARY_KEY[check_kind(kind)]
    return (pk, "statecode", "statuscode", *schema.field_columns(kind))


# --------------------------------------------------------------------------- importing


@attrs.frozen
class _Source:
    """What an import reads: its name, its rows, its columns when known before the rows
    (a file's header, a frame's columns, every key of a JSON Lines file), and a CSV
    file's delimiter."""

    name: str
    rows: Iterable[tuple[int, object]]
    header: Sequence[Hashable] | None = None
    delimiter: str | None = None


@attrs.frozen
class _Options:
    batch_size: int
    on_existing: OnExisting
    on_repeated: OnRepeated
    allow_tombstoned: bool
    progress: Progress | None
    mapping: MappingSource | None


def _checked_options(
    store: Store, kind: type[Record], options: _Options
) -> Mapping[str, str | None] | None:
    """The mapping, loaded, once every argument is usable; else a typed error."""
    check_kind(kind)
    if not isinstance(store, Store):
        raise FieldTypeError("store", "a Store (see open_store)", store)
    if options.on_existing not in _ON_EXISTING:
        raise InvalidFieldError("on_existing", "'error', 'skip' or 'update'", options.on_existing)
    if options.on_repeated not in _ON_REPEATED:
        raise InvalidFieldError("on_repeated", "'error' or 'skip'", options.on_repeated)
    size = options.batch_size
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise InvalidFieldError("batch_size", "a positive int", size)
    return None if options.mapping is None else load_mapping(options.mapping, kind)


def _in_file_terms(rejected: list[RowError], resolver: ColumnResolver) -> list[RowError]:
    """``rejected``, in line order, each naming the column at fault as the row's file
    names it (``Email`` rather than ``emailaddress1``)."""
    named = []
    for error in sorted(rejected, key=lambda e: e.line):
        columns = None if error.row is None else resolver.seen(tuple(error.row))
        if columns is not None and error.field is not None:
            names = {field: str(column) for column, field in columns.targets}
            column = names.get(error.field, error.field)
            if column != error.field:
                error = attrs.evolve(error, field=column)
        named.append(error)
    return named


def _import(store: Store, kind: type[Record], source: _Source, options: _Options) -> ImportReport:
    mapping = _checked_options(store, kind, options)
    resolver = ColumnResolver(kind, mapping)
    if source.header:
        resolver.header(source.header, source.name)
    parser = RowParser(kind)
    writer = BatchWriter(
        store,
        parser,
        options.batch_size,
        options.on_existing,
        options.allow_tombstoned,
        options.progress,
    )
    identities = Identities(kind)
    readable = identified = repeated = 0
    for line, row in source.rows:
        writer.rows += 1
        if isinstance(row, RowError):
            writer.rejected.append(row)
            continue
        if not isinstance(row, Mapping):
            writer.rejected.append(RowError(line, None, f"must be a mapping (got {row!r})."))
            continue
        readable += 1
        keys = tuple(row)
        if readable == 1 and source.header is None:
            columns = resolver.header(keys, source.name)
        else:
            columns = resolver.of(keys)
        problem = resolver.problem(columns)
        if problem is not None:
            writer.rejected.append(RowError(line, None, problem, row=row))
            continue
        values = columns.rename(row)
        identity = identity_of(kind, values)
        parsed = parser.parse(line, values)
        errors = parsed if isinstance(parsed, list) else []
        if identity is None:
            errors.append(no_identity(kind, line))
        else:
            identified += 1
            earlier = identities.first_line(identity, line)
            if earlier is not None and options.on_repeated == "error":
                errors.append(identities.repeated(identity, line, earlier))
            elif earlier is not None and not errors:
                repeated += 1
                writer.skipped += 1
                continue
        if errors or isinstance(parsed, list):
            writer.rejected.extend(error.with_row(row) for error in errors)
            continue
        refused = writer.add(line, parsed, row)
        if refused is not None:
            writer.rejected.append(refused)
    writer.flush()
    if readable and not identified:
        refuse_no_identity(resolver.first, kind, source.name)
    return ImportReport(
        kind=parser.name,
        source=source.name,
        rows=writer.rows,
        inserted=writer.inserted,
        updated=writer.updated,
        skipped=writer.skipped,
        rejected=tuple(_in_file_terms(writer.rejected, resolver)),
        batches=writer.batches,
        ignored_columns=resolver.left_out,
        unresolved_columns=resolver.unresolved,
        ignored_reasons=tuple(resolver.ignored.items()),
        renamed_columns=resolver.renamed,
        on_existing=options.on_existing,
        differed=writer.differed,
        identical=writer.identical,
        repeated=repeated,
        delimiter=source.delimiter,
    )


def import_rows(
    store: Store,
    kind: type[Record],
    rows: Iterable[tuple[int, Mapping[str, object]]],
    *,
    source: str = "rows",
    mapping: MappingSource | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_existing: OnExisting = "skip",
    on_repeated: OnRepeated = "error",
    allow_tombstoned: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import ``(line, row)`` pairs as ``kind`` records, a batch per transaction.

    Each row maps column names to values (see the module docstring); the first row's
    columns stand for the file's header, and are refused as a header is. ``mapping``
    (a dict of column to field, or a mapping file's path: :mod:`matching.io.mapping`)
    names columns nothing else resolves. A bad row becomes a :class:`RowError` with its
    line and the row, and nothing of it is written; so is a row without an identity, and
    a row repeating the identity of an earlier row unless ``on_repeated="skip"`` (which
    keeps the earlier one). ``on_existing`` says what a row whose id is stored does:
    ``"skip"`` leaves the stored record alone, ``"update"`` overwrites its fields
    (bumping its version, keeping its consents and history; identical rows are left
    alone), ``"error"`` rejects the row; the report counts how many of them differed from
    the stored record and how many were identical. A row carrying the email of a deleted
    record is rejected unless ``allow_tombstoned`` (D14). When no row has an identity the
    import is refused (:class:`~matching.errors.ImportRefused`), nothing written.
    """
    options = _Options(batch_size, on_existing, on_repeated, allow_tombstoned, progress, mapping)
    return _import(store, kind, _Source(source, rows), options)


def import_csv(
    store: Store,
    path: str | os.PathLike[str],
    kind: type[Record],
    *,
    mapping: MappingSource | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_existing: OnExisting = "skip",
    on_repeated: OnRepeated = "error",
    allow_tombstoned: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a CSV file with a header row; see :func:`import_rows`.

    UTF-8 (a BOM is fine), LF or CRLF, separated by commas, semicolons or tabs (found from
    the header, or from an Excel ``sep=`` line). Line numbers are physical lines, the
    header being line 1; a row whose quoted field spans lines has the number of the line
    it starts on. A row with more or fewer fields than the header is rejected. The header
    is checked before any row is read (:func:`matching.io.headers.refuse_unusable`).
    """
    options = _Options(batch_size, on_existing, on_repeated, allow_tombstoned, progress, mapping)
    options = attrs.evolve(options, mapping=_checked_options(store, kind, options))
    with DelimitedFile(path) as file:
        source = _Source(os.fspath(path), file, file.header, file.delimiter)
        return _import(store, kind, source, options)


def import_jsonl(
    store: Store,
    path: str | os.PathLike[str],
    kind: type[Record],
    *,
    mapping: MappingSource | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_existing: OnExisting = "skip",
    on_repeated: OnRepeated = "error",
    allow_tombstoned: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a JSON Lines file, one object per line; see :func:`import_rows`.

    Line numbers are physical lines; blank lines are skipped, and a line that is not a
    JSON object is rejected with the parser's reason. The keys of every line are read
    first and checked as a CSV file's header is.
    """
    options = _Options(batch_size, on_existing, on_repeated, allow_tombstoned, progress, mapping)
    options = attrs.evolve(options, mapping=_checked_options(store, kind, options))
    keys = jsonl_keys(path)
    source = _Source(os.fspath(path), jsonl_rows(path), keys)
    return _import(store, kind, source, options)


def import_frame(
    store: Store,
    frame: pd.DataFrame,
    kind: type[Record],
    *,
    source: str = "DataFrame",
    mapping: MappingSource | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_existing: OnExisting = "skip",
    on_repeated: OnRepeated = "error",
    allow_tombstoned: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a DataFrame's rows; a row's number is its 1-based position (not its index).

    NaN, NaT, None and ``pd.NA`` are missing values; the columns are checked as a CSV
    file's header is; see :func:`import_rows`.
    """
    options = _Options(batch_size, on_existing, on_repeated, allow_tombstoned, progress, mapping)
    options = attrs.evolve(options, mapping=_checked_options(store, kind, options))
    header = frame_columns(frame)
    return _import(store, kind, _Source(source, frame_rows(frame), header), options)


# --------------------------------------------------------------------------- exporting


def _stored_rows(store: Store, kind: type[Record]) -> Iterator[sa.Row[Any]]:
    """Every stored ``kind`` row, export columns only, by primary key, fetched in chunks."""
    check_kind(kind)
    if not isinstance(store, Store):
        raise FieldTypeError("store", "a Store (see open_store)", store)
    table = schema.RECORD_TABLES[kind]
    query = sa.select(*(table.c[name] for name in export_columns(kind))).order_by(
        table.c[schema.PRIMARY_KEY[kind]]
    )
    with store.transaction(readonly=True) as tx:
        reading = tx.connection.execution_options(yield_per=_READ_CHUNK)
        yield from reading.execute(query)


def _flag_text(value: object) -> str:
    return "true" if value else "false"


def _moment_text(value: dt.datetime | None) -> str | None:
    return None if value is None else moment_text(value)


def _formatter(kind: type[Record], *, flags: bool) -> Callable[[Iterable[object]], list[object]]:
    """Turns a stored row into file values: date-times (and flags, if asked) as text."""
    table = schema.RECORD_TABLES[kind]
    plan: list[tuple[int, Callable[[Any], object]]] = []
    for i, name in enumerate(export_columns(kind)):
        column_type = table.c[name].type
        if isinstance(column_type, schema.UTCDateTime):
            plan.append((i, _moment_text))
        elif flags and isinstance(column_type, sa.Boolean):
            plan.append((i, _flag_text))

    def format_row(row: Iterable[object]) -> list[object]:
        values = list(row)
        for i, convert in plan:
            values[i] = convert(values[i])
        return values

    return format_row


def export_csv(store: Store, path: str | os.PathLike[str], kind: type[Record]) -> int:
    """Write every stored ``kind`` as CSV (header first, by id) to ``path`` (``-``: standard
    output); returns the row count.

    The file imports back to identical records (consents and history are not in it).
    """
    columns = export_columns(kind)
    formatter = _formatter(kind, flags=True)

    def write(file: TextIO) -> int:
        writer = csv.writer(file)
        writer.writerow(columns)
        count = 0
        for row in _stored_rows(store, kind):
            writer.writerow(formatter(row))
            count += 1
        return count

    with written(path, newline="") as file:
        return write(file)


def export_jsonl(store: Store, path: str | os.PathLike[str], kind: type[Record]) -> int:
    """Write every stored ``kind`` as JSON Lines (one object per record, by id) to ``path``
    (``-``: standard output).

    Returns the row count; the file imports back to identical records (consents and
    history are not in it).
    """
    columns = export_columns(kind)
    formatter = _formatter(kind, flags=False)

    def write(file: TextIO) -> int:
        count = 0
        for row in _stored_rows(store, kind):
            values = dict(zip(columns, formatter(row), strict=True))
            file.write(json.dumps(values, ensure_ascii=False, separators=(",", ":")))
            file.write("\n")
            count += 1
        return count

    with written(path, newline="\n") as file:
        return write(file)


def to_frame(store: Store, kind: type[Record]) -> pd.DataFrame:
    """Every stored ``kind`` as a DataFrame, one row per record, by id.

    Columns as :func:`export_columns`; codes are int64, flags bool, date-times
    ``datetime64[us, UTC]`` (NaT when missing), text object (None when missing).
    :func:`import_frame` reads it back to identical records (consents and history
    are not in it).
    """
    import pandas as pd

    columns = export_columns(kind)
    rows = [tuple(row) for row in _stored_rows(store, kind)]
    values = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    table = schema.RECORD_TABLES[kind]
    data: dict[str, pd.Series] = {}
    for name, column in zip(columns, values, strict=True):
        column_type = table.c[name].type
        if name in ("statecode", "statuscode"):
            data[name] = pd.Series(column, dtype="int64")
        elif isinstance(column_type, sa.Boolean):
            data[name] = pd.Series(column, dtype="bool")
        elif isinstance(column_type, schema.UTCDateTime):
            data[name] = pd.Series(column, dtype="datetime64[us, UTC]")
        else:
            data[name] = pd.Series(column, dtype=object)
    return pd.DataFrame(data, columns=list(columns))
