"""Moving a whole store: :func:`dump` writes every table to one file, :func:`restore` reads
it into another store, SQLite or PostgreSQL, so that a move changes no eligibility answer.

``db export``/``db import`` carry flat records only; a dump carries every table of the schema
(records, history, data consents, contact-point consents, tombstones, suppressions,
interactions, claims), found in :data:`schema.metadata <matching.store.schema.metadata>`,
so a table added later travels without new code. Derived tables (:data:`DERIVED`: the
match keys) are not carried: a restore rebuilds them from the restored records, as saving a
record writes them. The file format is :mod:`matching.store.dumpfile`'s.

A restore reads the file whole before it writes anything: a truncated or edited file, an
unknown format version or a schema revision this leadflow does not know is refused with a
:class:`~matching.errors.DumpError` naming the line and the problem. It then writes every
row in one transaction, into a store that holds no data (or, with ``replace=True``, after
emptying it in the same transaction), reading and checking the file again as it goes, so a
file that changed in between rolls everything back. PostgreSQL's id sequences are moved past
the restored ids. Rows are streamed both ways: memory does not grow with the store.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lifecycle.errors import FieldTypeError, LeadflowError
from matching.errors import DumpError
from matching.store import codec, schema
from matching.store.dumpfile import (
    DERIVED,
    FORMAT,
    VERSION,
    DumpReader,
    DumpWriter,
    Output,
    TablePlan,
    dumped_tables,
    plan_table,
    write_atomically,
)
from matching.store.engine import current_revision, head_revision
from matching.store.store import Store
from matching.store.tables.record_queries import INSERT_KEY

__all__ = ["DERIVED", "FORMAT", "VERSION", "DumpReport", "dump", "dumped_tables", "restore"]

READ_CHUNK = 5_000
"""Rows fetched from the database at a time when dumping."""

WRITE_CHUNK = 1_000
"""Rows inserted per statement when restoring."""

_RECORD_KINDS = {table.name: kind for kind, table in schema.RECORD_TABLES.items()}


def _counts(value: Mapping[str, int]) -> Mapping[str, int]:
    return MappingProxyType(dict(value))


@attrs.frozen
class DumpReport:
    """What :func:`dump` wrote or :func:`restore` read: the file, its schema revision and when
    it was written, the rows of every table it carries, and (for a restore) the rows of
    the derived tables rebuilt from them."""

    path: str
    schema_revision: str
    created: str
    rows: Mapping[str, int] = attrs.field(converter=_counts, hash=False)
    rebuilt: Mapping[str, int] = attrs.field(factory=dict, converter=_counts, hash=False)

    @property
    def total(self) -> int:
        """Rows carried, every table together."""
        return sum(self.rows.values())

    def summary(self) -> str:
        """``42 rows of 9 tables (schema revision 0001)``."""
        tables = f"{len(self.rows)} table{'' if len(self.rows) == 1 else 's'}"
        return f"{self.total:,} rows of {tables} (schema revision {self.schema_revision})"

    def lines(self) -> list[str]:
        """One line per table, ``leads: 3``, the rebuilt ones marked."""
        counted = [*self.rows.items(), *self.rebuilt.items()]
        width = max((len(name) for name, _ in counted), default=0) + 1
        return [
            f"{name + ':':<{width}} {count:>9,}{' (rebuilt)' if i >= len(self.rows) else ''}"
            for i, (name, count) in enumerate(counted)
        ]


def _check_store(store: object) -> None:
    if not isinstance(store, Store):
        raise FieldTypeError("store", "a Store (see open_store)", store)


# --------------------------------------------------------------------------- dumping


def dump(store: Store, path: str | os.PathLike[str]) -> DumpReport:
    """Write every table of ``store`` but the derived ones to ``path`` (gzip-compressed when
    it ends in ``.gz``), from one consistent state of the store; returns what it wrote.

    The file appears whole or not at all. A database failure is a
    :class:`~matching.errors.StoreError`; a file that cannot be written, an ``OSError``."""
    _check_store(store)
    target = Path(path)
    plans = [plan_table(table) for table in dumped_tables()]
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

    def write(out: Output) -> tuple[str, dict[str, int]]:
        writer = DumpWriter(out)
        with store.snapshot() as conn:
            revision = current_revision(conn) or head_revision()
            writer.header(revision, created, plans)
            for plan in plans:
                keys = list(plan.table.primary_key.columns) or list(plan.table.c)
                query = sa.select(plan.table).order_by(*keys)
                writer.table(plan, conn.execution_options(yield_per=READ_CHUNK).execute(query))
        writer.trailer()
        return revision, writer.counts

    revision, counts = write_atomically(target, write)
    return DumpReport(str(target), revision, created, counts)


# --------------------------------------------------------------------------- restoring


def restore(path: str | os.PathLike[str], store: Store, *, replace: bool = False) -> DumpReport:
    """Read the dump at ``path`` into ``store``, in one transaction; returns what it read.

    The file is checked whole first (see the module docstring); a store that holds data is
    refused unless ``replace``, which empties it in the same transaction. Match keys are
    rebuilt from the restored records and PostgreSQL's id sequences moved past the restored
    ids. Every refusal is a :class:`~matching.errors.DumpError` and writes nothing."""
    _check_store(store)
    if type(replace) is not bool:
        raise FieldTypeError("replace", "True or False", replace)
    source = Path(path)
    with DumpReader(source) as reader:
        for _ in reader.rows():
            pass
    with store.transaction() as tx:
        conn = tx.connection
        _make_room(conn, reader, store.url, replace)
        with DumpReader(source) as again:
            rebuilt = _insert(conn, again)
        _reset_sequences(conn)
    header = reader.header
    return DumpReport(str(source), header.revision, header.created, reader.counts, rebuilt)


def _make_room(conn: Connection, reader: DumpReader, url: str, replace: bool) -> None:
    """Refuse a store that holds data, unless ``replace``: then empty it."""
    held: dict[str, int] = {}
    for table in schema.metadata.sorted_tables:
        if conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first():
            count = sa.select(sa.func.count()).select_from(table)
            held[table.name] = int(conn.execute(count).scalar_one())
    if held and not replace:
        listing = ", ".join(f"{name}: {count:,}" for name, count in held.items())
        problem = f"the store at {url} already holds data ({listing})"
        raise DumpError(reader.shown, problem, None, replaceable=True)
    for table in reversed(schema.metadata.sorted_tables):
        if table.name in held:
            conn.execute(sa.delete(table))


def _insert(conn: Connection, reader: DumpReader) -> dict[str, int]:
    """Insert every row in chunks, in the file's order; returns the derived rows written."""
    pending: list[tuple[int, dict[str, Any]]] = []
    current: TablePlan | None = None
    keys = 0

    def flush() -> None:
        nonlocal keys
        if current is not None and pending:
            conn.execute(sa.insert(current.table), [row for _, row in pending])
            keys += _rebuild_keys(conn, reader, current, pending)
        pending.clear()

    for number, table, row in reader.rows():
        if table is not current:
            flush()
            current = table
        pending.append((number, row))
        if len(pending) >= WRITE_CHUNK:
            flush()
    flush()
    return {"match_keys": keys}


def _rebuild_keys(
    conn: Connection, reader: DumpReader, table: TablePlan, rows: list[tuple[int, dict[str, Any]]]
) -> int:
    """Write the match keys of restored records, the ones saving them writes."""
    kind = _RECORD_KINDS.get(table.name)
    if kind is None:
        return 0
    keys: list[dict[str, Any]] = []
    for number, row in rows:
        try:
            record = codec.build_record(kind, row)
        except LeadflowError as err:
            raise reader.fail(f"the {table.name} row is not a valid record: {err}", number) from err
        keys.extend(codec.key_rows(record))
    INSERT_KEY.run_many(conn, keys)
    return len(keys)


def _reset_sequences(conn: Connection) -> None:
    """Move every PostgreSQL id sequence past the highest id restored (SQLite takes the next
    id after the highest by itself)."""
    if conn.dialect.name != "postgresql":
        return
    for table in schema.metadata.sorted_tables:
        column = table.autoincrement_column
        if column is None:
            continue
        top = sa.select(sa.func.max(column)).scalar_subquery()
        sequence = sa.func.pg_get_serial_sequence(table.name, column.name)
        conn.execute(
            sa.select(sa.func.setval(sequence, sa.func.coalesce(top, 1), top.is_not(None)))
        )
