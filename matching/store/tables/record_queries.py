"""The statements of the records module: per record type, built once (building one costs more
than running it), and the queries that read records as candidates."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import sqlalchemy as sa

from lifecycle import InvalidFieldError, Record
from lifecycle.errors import FieldTypeError
from lifecycle.relations import MASTER_FIELD, parent_fields
from matching.store import schema
from matching.store.prepared import Prepared
from matching.store.tables.base import insert_all, kind_name
from matching.values import Candidate


@attrs.frozen
class Queries:
    """Statements built once per record type; building one costs more than running it."""

    pk: str
    row: Prepared
    locked_row: Prepared
    rows: sa.Select[Any]
    event: Prepared
    events: sa.Select[Any]
    version: Prepared
    lookup: Prepared
    insert: Prepared
    update: Prepared
    drop_keys: Prepared


_QUERIES: dict[type[Record], Queries] = {}


def queries(kind: type[Record]) -> Queries:
    """``kind``'s statements; an :class:`InvalidFieldError` for a kind that is not stored."""
    built = _QUERIES.get(kind)
    if built is None:
        built = _QUERIES[kind] = _build_queries(kind)
    return built


def _build_queries(kind: type[Record]) -> Queries:
    name = kind_name(kind)
    table = schema.RECORD_TABLES[kind]
    pk = table.c[schema.PRIMARY_KEY[kind]]
    one: sa.BindParameter[str] = sa.bindparam("id")
    many: sa.BindParameter[list[str]] = sa.bindparam("ids", expanding=True)
    h, k = schema.history, schema.match_keys
    events = sa.select(h).order_by(h.c.record_id, h.c.seq)
    by_newest = (table.c.modifiedon.desc().nulls_last(), pk)
    return Queries(
        pk=pk.name,
        row=Prepared(sa.select(table).where(pk == one)),
        locked_row=Prepared(sa.select(table).where(pk == one).with_for_update()),
        rows=sa.select(table).where(pk.in_(many)),
        event=Prepared(events.where(h.c.record_type == name, h.c.record_id == one)),
        events=events.where(h.c.record_type == name, h.c.record_id.in_(many)),
        version=Prepared(sa.select(table.c.version).where(pk == one)),
        lookup=Prepared(
            sa.select(pk, table.c.modifiedon)
            .join(k, sa.and_(k.c.record_id == pk, k.c.record_type == name))
            .where(k.c.field == sa.bindparam("field"), k.c.key == sa.bindparam("key"))
            .order_by(*by_newest)
        ),
        insert=insert_all(table),
        update=Prepared(
            sa.update(table)
            .where(pk == sa.bindparam("b_id"), table.c.version == sa.bindparam("b_version"))
            .values({c.name: sa.bindparam(c.name) for c in table.c if c is not pk})
        ),
        drop_keys=Prepared(sa.delete(k).where(k.c.record_type == name, k.c.record_id == one)),
    )


INSERT_KEY = insert_all(schema.match_keys)
INSERT_EVENT = insert_all(schema.history)

PARENT_FIELDS: dict[type[Record], tuple[str, ...]] = {
    kind: parent_fields(name) for kind, name in schema.TYPE_NAME.items()
}
"""Per record type, the references :meth:`Transaction.children` finds children by."""

_ALWAYS_READ = ("version", "modifiedon", "statecode", "statuscode", "merged", MASTER_FIELD)
"""What every candidate carries besides the fields asked for: enough to order it (D3), tell
an active record from a closed one, and find its master when it was merged away (D4)."""


def candidate_columns(kind: type[Record], fields: Iterable[str] | None) -> tuple[str, ...] | None:
    """The columns to read for ``fields`` (``None``: every column), checked."""
    if fields is None:
        return None
    if isinstance(fields, str) or not isinstance(fields, Iterable):
        raise FieldTypeError("fields", "an iterable of field names", fields)
    names = tuple(fields)
    if not all(isinstance(name, str) for name in names):
        raise FieldTypeError("fields", "an iterable of field names", fields)
    return _columns_of(kind_name(kind), names)


@functools.cache
def _columns_of(record_type: str, names: tuple[str, ...]) -> tuple[str, ...]:
    table = schema.RECORD_TABLES[schema.RECORD_TYPES[record_type]]
    unknown = sorted(name for name in names if name not in table.c)
    if unknown:
        raise InvalidFieldError("fields", f"fields of a {record_type}", unknown)
    wanted = {*names, *_ALWAYS_READ}
    return tuple(c.name for c in table.c if c.name in wanted)


@functools.cache
def candidate_query(
    record_type: str, source: str, columns: tuple[str, ...] | None, *, limited: bool
) -> Prepared:
    """Records under a match key (``source="key"``) or of a parent (``source``: the reference
    field), newest first, as ``columns`` and the primary key; built once per shape."""
    kind = schema.RECORD_TYPES[record_type]
    table = schema.RECORD_TABLES[kind]
    pk = table.c[schema.PRIMARY_KEY[kind]]
    chosen = [pk, *(table.c[c] for c in columns)] if columns is not None else [table]
    query = sa.select(*chosen).order_by(table.c.modifiedon.desc().nulls_last(), pk)
    limit: sa.BindParameter[int] = sa.bindparam("limit")
    if source != "key":
        query = query.where(table.c[source] == sa.bindparam("id"))
        return Prepared(query.limit(limit) if limited else query)
    # The cap applies to the key's index entries, in index order, before the records are
    # read: a block of thousands costs no more than one of ``limit``.
    k = schema.match_keys
    ids = sa.select(k.c.record_id).where(
        k.c.record_type == record_type,
        k.c.field == sa.bindparam("field"),
        k.c.key == sa.bindparam("key"),
    )
    return Prepared(query.where(pk.in_((ids.limit(limit) if limited else ids).scalar_subquery())))


def candidate(kind: type[Record], pk: str, row: Mapping[str, Any]) -> Candidate:
    """A record read by :func:`candidate_query`, as a :class:`Candidate`."""
    values = {name: value for name, value in row.items() if name not in (pk, "version")}
    return Candidate(kind_name(kind), row[pk], row["modifiedon"], values, row["version"])
