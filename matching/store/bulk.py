"""Bulk import and export of records: CSV, JSON Lines and pandas DataFrames.

Files use Dataverse logical names, so a Dynamics export loads as it is; how
columns and values are read is described in :mod:`matching.store.rows`. Exports
write the primary key, ``statecode``, ``statuscode`` and the record fields, with
date-times in UTC with ``Z`` (``2026-01-05T09:00:00Z``) and flags as
``true``/``false``, and import back to identical records.

Rows are read as a stream and written in batches, each in one transaction, so a
batch is stored whole or not at all and memory does not grow with the file. A bad
row is reported with its line number and reason, and nothing of it is written.
An import killed midway leaves whole batches; running it again completes it
without duplicates (stored ids are skipped, and a row without an id gets one
derived from its content).

Only the flat record travels: data consents and history are not part of these
files, and an import that updates a stored record keeps its consents and history.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import attrs
import sqlalchemy as sa

from lifecycle import InvalidFieldError, Record
from lifecycle.errors import FieldTypeError
from matching.errors import ImportFileError, TombstonedError
from matching.store import codec, schema
from matching.store.rows import RowError, RowParser, check_kind
from matching.store.store import OnExisting, Store, Transaction

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "ImportFileError",
    "ImportReport",
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

_FRAME_CHUNK = 10_000
"""Frame rows converted to Python values at a time when importing a frame."""

_ON_EXISTING = ("error", "skip", "update")

Progress = Callable[[int], object]
"""Called after each committed batch with the number of rows read so far."""


@attrs.frozen
class ImportReport:
    """What an import read, wrote and refused.

    ``rows == inserted + updated + skipped + rejected_rows``: ``skipped`` rows were
    already stored (or repeat an earlier row of the same file, or are unchanged by
    an update); ``rejected`` lists every problem of every bad row, tombstoned
    emails included (D14).
    """

    kind: str
    source: str
    rows: int
    inserted: int
    updated: int
    skipped: int
    rejected: tuple[RowError, ...]
    batches: int
    ignored_columns: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Whether every row was imported or skipped, none rejected."""
        return not self.rejected

    @property
    def rejected_rows(self) -> int:
        """How many rows were rejected (a row may have several problems)."""
        return len({e.line for e in self.rejected})

    def summary(self) -> str:
        """One paragraph saying what happened, for people."""
        plural = "" if self.batches == 1 else "es"
        text = (
            f"Imported {self.kind} rows from {self.source}: {self.rows:,} read, "
            f"{self.inserted:,} inserted, {self.updated:,} updated, {self.skipped:,} skipped "
            f"(already stored, unchanged or repeated), {self.rejected_rows:,} rejected; "
            f"{self.batches:,} batch{plural} committed."
        )
        if self.ignored_columns:
            text += f" Ignored columns: {', '.join(self.ignored_columns)}."
        return text


def export_columns(kind: type[Record]) -> tuple[str, ...]:
    """The columns an export of ``kind`` has, in order: primary key, codes, fields."""
    pk = schema.PRIMARY_KEY[check_kind(kind)]
    return (pk, "statecode", "statuscode", *schema.field_columns(kind))


# --------------------------------------------------------------------------- importing


class _Batches:
    """Collects parsed records and writes them, a batch per transaction."""

    def __init__(
        self,
        store: Store,
        parser: RowParser,
        batch_size: int,
        on_existing: OnExisting,
        allow_tombstoned: bool,
        progress: Progress | None,
    ) -> None:
        self.store, self.parser = store, parser
        self.batch_size, self.on_existing = batch_size, on_existing
        self.allow_tombstoned, self.progress = allow_tombstoned, progress
        self.pending: dict[str, tuple[int, Record]] = {}
        self.rows = self.inserted = self.updated = self.skipped = self.batches = 0
        self.rejected: list[RowError] = []

    def add(self, line: int, record: Record) -> None:
        earlier = self.pending.get(record.id)
        if earlier is not None:
            if self.on_existing == "error":
                reason = f"repeats the {self.parser.pk} of line {earlier[0]}."
                self.rejected.append(RowError(line, self.parser.pk, reason))
                return
            self.skipped += 1
            if self.on_existing == "skip":
                return
            del self.pending[record.id]
        self.pending[record.id] = (line, record)
        if len(self.pending) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        batch = list(self.pending.values())
        rejected: list[RowError] = []
        with self.store.transaction() as tx:
            records = [record for _, record in batch]
            if not self.allow_tombstoned:
                refused = self._resurrections(tx, batch, rejected)
                records = [r for r in records if r.id not in refused]
            # Tombstones were checked row by row above, so add_many need not check them again.
            if self.on_existing == "skip":
                written = tx.add_many(records, on_existing="skip", allow_tombstoned=True)
                inserted, updated, skipped = len(written), 0, len(records) - len(written)
            else:
                inserted, updated, skipped = self._write_checked(tx, batch, records, rejected)
        self.pending.clear()
        self.inserted += inserted
        self.updated += updated
        self.skipped += skipped
        self.rejected.extend(rejected)
        self.batches += 1
        if self.progress is not None:
            self.progress(self.rows)

    def _resurrections(
        self, tx: Transaction, batch: list[tuple[int, Record]], rejected: list[RowError]
    ) -> set[str]:
        """Ids of the rows that would recreate a deleted record (D14), each reported.

        A stored record whose email a deleted one shared is not a resurrection: it is
        left to ``on_existing``.
        """
        stones = tx.tombstoned(record for _, record in batch)
        refused = set()
        for line, record in batch:
            stone = stones.get(record.id)
            if stone is None or tx.exists(self.parser.kind, record.id):
                continue
            refusal = TombstonedError(str(record.emailaddress1), stone.record_type, stone.record_id)
            rejected.append(
                RowError(line, "emailaddress1", str(refusal), override="allow_tombstoned")
            )
            refused.add(record.id)
        return refused

    def _write_checked(
        self,
        tx: Transaction,
        batch: list[tuple[int, Record]],
        records: list[Record],
        rejected: list[RowError],
    ) -> tuple[int, int, int]:
        """Write ``records`` under ``on_existing`` error or update; returns the counts."""
        kind, pk = self.parser.kind, self.parser.pk
        lines = {record.id: line for line, record in batch}
        stored = {r.id: r for r in tx.get_many(kind, [r.id for r in records])}
        fresh: list[Record] = []
        changed: list[Record] = []
        unchanged = 0
        for record in records:
            old = stored.get(record.id)
            if old is None:
                fresh.append(record)
            elif self.on_existing == "error":
                reason = f"a {self.parser.name} with this id is already stored."
                rejected.append(RowError(lines[record.id], pk, reason))
            elif codec.record_row(old, 0) == codec.record_row(record, 0):
                unchanged += 1
            else:
                changed.append(attrs.evolve(record, consents=old.consents))
        if fresh or changed:
            tx.add_many(fresh + changed, on_existing="update", allow_tombstoned=True)
        return len(fresh), len(changed), unchanged

    def report(self, source: str) -> ImportReport:
        return ImportReport(
            kind=self.parser.name,
            source=source,
            rows=self.rows,
            inserted=self.inserted,
            updated=self.updated,
            skipped=self.skipped,
            rejected=tuple(sorted(self.rejected, key=lambda e: e.line)),
            batches=self.batches,
            ignored_columns=tuple(self.parser.ignored),
        )


def _import(
    store: Store,
    kind: type[Record],
    rows: Iterable[tuple[int, object]],
    *,
    source: str,
    batch_size: int,
    on_existing: OnExisting,
    allow_tombstoned: bool,
    progress: Progress | None,
) -> ImportReport:
    check_kind(kind)
    if not isinstance(store, Store):
        raise FieldTypeError("store", "a Store (see open_store)", store)
    if on_existing not in _ON_EXISTING:
        raise InvalidFieldError("on_existing", "'error', 'skip' or 'update'", on_existing)
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise InvalidFieldError("batch_size", "a positive int", batch_size)
    parser = RowParser(kind)
    batches = _Batches(store, parser, batch_size, on_existing, allow_tombstoned, progress)
    for line, row in rows:
        batches.rows += 1
        if isinstance(row, RowError):
            batches.rejected.append(row)
            continue
        if not isinstance(row, Mapping):
            batches.rejected.append(RowError(line, None, f"must be a mapping (got {row!r})."))
            continue
        parsed = parser.parse(line, row)
        if isinstance(parsed, list):
            batches.rejected.extend(parsed)
        else:
            batches.add(line, parsed)
    batches.flush()
    return batches.report(source)


def import_rows(
    store: Store,
    kind: type[Record],
    rows: Iterable[tuple[int, Mapping[str, object]]],
    *,
    source: str = "rows",
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_existing: OnExisting = "skip",
    allow_tombstoned: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import ``(line, row)`` pairs as ``kind`` records, a batch per transaction.

    Each row maps Dataverse logical names to values (see the module docstring). A
    bad row becomes a :class:`RowError` with its line and nothing of it is written.
    ``on_existing`` says what a row whose id is stored does: ``"skip"`` leaves the
    stored record alone, ``"update"`` overwrites its fields (bumping its version,
    keeping its consents and history; identical rows are skipped), ``"error"``
    rejects the row. A row repeating the id of an earlier row of the same batch is
    treated the same way (the later one wins on update). A row carrying the email of
    a deleted record is rejected unless ``allow_tombstoned`` (D14).
    """
    return _import(
        store,
        kind,
        rows,
        source=source,
        batch_size=batch_size,
        on_existing=on_existing,
        allow_tombstoned=allow_tombstoned,
        progress=progress,
    )


def import_csv(
    store: Store,
    path: str | os.PathLike[str],
    kind: type[Record],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_existing: OnExisting = "skip",
    allow_tombstoned: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a CSV file with a header row (UTF-8, a BOM is fine); see :func:`import_rows`.

    Line numbers are physical lines, the header being line 1; a row whose quoted
    field spans lines has the number of the line it starts on. A row with more or
    fewer fields than the header is rejected.
    """
    return _import(
        store,
        kind,
        _csv_rows(Path(path)),
        source=os.fspath(path),
        batch_size=batch_size,
        on_existing=on_existing,
        allow_tombstoned=allow_tombstoned,
        progress=progress,
    )


def import_jsonl(
    store: Store,
    path: str | os.PathLike[str],
    kind: type[Record],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_existing: OnExisting = "skip",
    allow_tombstoned: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a JSON Lines file, one object per line; see :func:`import_rows`.

    Line numbers are physical lines; blank lines are skipped, and a line that is not
    a JSON object is rejected with the parser's reason.
    """
    return _import(
        store,
        kind,
        _jsonl_rows(Path(path)),
        source=os.fspath(path),
        batch_size=batch_size,
        on_existing=on_existing,
        allow_tombstoned=allow_tombstoned,
        progress=progress,
    )


def import_frame(
    store: Store,
    frame: pd.DataFrame,
    kind: type[Record],
    *,
    source: str = "DataFrame",
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_existing: OnExisting = "skip",
    allow_tombstoned: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a DataFrame's rows; a row's number is its 1-based position (not its index).

    NaN, NaT, None and ``pd.NA`` are missing values; see :func:`import_rows`.
    """
    return _import(
        store,
        kind,
        _frame_rows(frame),
        source=source,
        batch_size=batch_size,
        on_existing=on_existing,
        allow_tombstoned=allow_tombstoned,
        progress=progress,
    )


def _csv_rows(path: Path) -> Iterator[tuple[int, Mapping[str, object] | RowError]]:
    with _open_for_reading(path, newline="") as file:
        reader = csv.reader(file)
        line = 0
        try:
            header = next(reader, None)
            if header is None:
                return
            dupes = sorted({name for name in header if header.count(name) > 1})
            if dupes:
                raise ImportFileError(f"{path}: the header repeats the columns {dupes}.")
            width = len(header)
            line = reader.line_num
            for fields in reader:
                start, line = line + 1, reader.line_num
                if not fields:
                    continue
                if len(fields) != width:
                    reason = f"has {len(fields)} fields where the header has {width}."
                    yield start, RowError(start, None, reason)
                    continue
                yield start, dict(zip(header, fields, strict=True))
        except csv.Error as err:
            raise ImportFileError(f"{path}: line {reader.line_num}: {err}.") from err
        except UnicodeDecodeError as err:
            raise ImportFileError(f"{path}: not UTF-8 text near line {line + 1}.") from err


def _jsonl_rows(path: Path) -> Iterator[tuple[int, Mapping[str, object] | RowError]]:
    with _open_for_reading(path) as file:
        line = 0
        try:
            for line, text in enumerate(file, start=1):
                if not text.strip():
                    continue
                try:
                    value = json.loads(text)
                except json.JSONDecodeError as err:
                    reason = f"is not JSON: {err.msg} (column {err.colno})."
                    yield line, RowError(line, None, reason)
                    continue
                if not isinstance(value, dict):
                    reason = f"must be a JSON object (got {type(value).__name__})."
                    yield line, RowError(line, None, reason)
                    continue
                yield line, value
        except UnicodeDecodeError as err:
            raise ImportFileError(f"{path}: not UTF-8 text near line {line + 1}.") from err


def _open_for_reading(path: Path, newline: str | None = None) -> TextIO:
    try:
        return path.open(encoding="utf-8-sig", newline=newline)
    except OSError as err:
        raise ImportFileError(f"cannot read {path}: {err.strerror or err}.") from err


def _frame_rows(frame: pd.DataFrame) -> Iterator[tuple[int, Mapping[Any, object]]]:
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise FieldTypeError("frame", "a pandas DataFrame", frame)
    if not frame.columns.is_unique:
        dupes = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise InvalidFieldError("frame", "a DataFrame with distinct column names", dupes)
    labels = list(frame.columns)
    for start in range(0, len(frame), _FRAME_CHUNK):
        part = frame.iloc[start : start + _FRAME_CHUNK]
        values = part.to_numpy(dtype=object)
        values[part.isna().to_numpy()] = None
        for number, row in enumerate(values.tolist(), start=start + 1):
            yield number, dict(zip(labels, row, strict=True))


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
    return None if value is None else value.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


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


def _write_atomically(path: Path, write: Callable[[TextIO], int], newline: str) -> int:
    """Write ``path`` through a temporary file, so a failed export leaves no half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline=newline) as file:
            count = write(file)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return count


def export_csv(store: Store, path: str | os.PathLike[str], kind: type[Record]) -> int:
    """Write every stored ``kind`` as CSV (header first, by id); returns the row count.

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

    return _write_atomically(Path(path), write, newline="")


def export_jsonl(store: Store, path: str | os.PathLike[str], kind: type[Record]) -> int:
    """Write every stored ``kind`` as JSON Lines (one object per record, by id).

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

    return _write_atomically(Path(path), write, newline="\n")


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
