"""The store dump's file format, written and checked without a database (:mod:`.move` moves
the rows in and out of a store).

JSON Lines, gzip-compressed when the file's name ends in ``.gz``:

* a header, ``{"format": "leadflow-dump", "version": 1, "schema_revision": "0001",
  "created": "...", "tables": [{"name": "accounts", "columns": ["accountid", ...]}, ...]}``;
* one line per row, ``{"t": "leads", "r": [...]}``, its values in the header's column order,
  encoded by the column's type: date-times in ISO 8601 with their UTC offset, dates in ISO
  8601, flags as ``true``/``false``, numbers, text and JSON values as JSON, decimals as text,
  bytes in base64, a missing value as ``null``;
* a trailer, ``{"rows": {"accounts": 1, ...}, "sha256": "..."}``: the row count of every
  table and the SHA-256 of every line before it, so a truncated or edited file is found.

Every table of :data:`schema.metadata <matching.store.schema.metadata>` is carried but the
derived ones (:data:`DERIVED`), which a restore rebuilds.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import functools
import gzip
import hashlib
import json
import operator
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

import attrs
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from matching.errors import DumpError
from matching.io.files import written
from matching.store import schema
from matching.store.engine import alembic_config, head_revision
from matching.values import short

FORMAT = "leadflow-dump"
"""The header's ``format``: what marks a file as a leadflow dump."""

VERSION = 1
"""The version of the file format this leadflow writes and reads."""

DERIVED = frozenset({"match_keys"})
"""Tables computed from others: never dumped, rebuilt by a restore."""

T = TypeVar("T")

ALEMBIC_TABLE = "alembic_version"
"""Alembic's own table: the schema revision travels in the header instead."""


def dumped_tables() -> tuple[sa.Table, ...]:
    """The tables a dump carries, in dependency order: every table of the schema but the
    derived ones."""
    skipped = DERIVED | {ALEMBIC_TABLE}
    return tuple(t for t in schema.metadata.sorted_tables if t.name not in skipped)


# --------------------------------------------------------------------------- values


@attrs.frozen
class Column:
    """How one column's values are written to a dump and read back."""

    name: str
    nullable: bool
    expected: str
    encode: Callable[[Any], Any] | None
    """``None``: the value is written as it is."""
    decode: Callable[[Any], Any]
    """Raises ``TypeError`` or ``ValueError`` for a value the column cannot hold."""


def _exactly(*types: type) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if type(value) not in types:
            raise TypeError(value)
        return value

    return check


def _text(parse: Callable[[str], Any]) -> Callable[[Any], Any]:
    def read(value: Any) -> Any:
        return parse(_exactly(str)(value))

    return read


def _moment(text: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(text)
    return parsed.astimezone(dt.UTC)


_ISO = operator.methodcaller("isoformat")
_ENCODINGS: tuple[tuple[type, str, Callable[[Any], Any] | None, Callable[[Any], Any]], ...] = (
    (sa.DateTime, "an ISO 8601 date-time", _ISO, _text(dt.datetime.fromisoformat)),
    (sa.Date, "an ISO 8601 date", _ISO, _text(dt.date.fromisoformat)),
    (sa.Boolean, "true or false", None, _exactly(bool)),
    (sa.Integer, "a whole number", None, _exactly(int)),
    (sa.Float, "a number", None, lambda v: float(_exactly(int, float)(v))),
    (sa.Numeric, "a decimal number as text", str, _text(decimal.Decimal)),
    (sa.JSON, "a JSON value", None, lambda value: value),
    (sa.String, "text", None, _exactly(str)),
    (
        sa.LargeBinary,
        "base64 text",
        lambda v: base64.b64encode(v).decode("ascii"),
        _text(functools.partial(base64.b64decode, validate=True)),
    ),
)
"""Column types and their encoding, the first that fits a column chosen (Float before
Numeric, its base)."""


def column_codec(column: sa.Column[Any]) -> Column:
    """The dump encoding of ``column``, chosen by its type; a ``TypeError`` for a type no
    encoding is known for (a test tries every column of the schema)."""
    name, nullable = column.name, bool(column.nullable)
    kind: Any = column.type
    if isinstance(kind, schema.UTCDateTime):
        expected = "an ISO 8601 date-time with its UTC offset"
        return Column(name, nullable, expected, _ISO, _text(_moment))
    if isinstance(kind, sa.TypeDecorator):
        kind = kind.impl_instance
    for base, expected, encode, decode in _ENCODINGS:
        if isinstance(kind, base):
            return Column(name, nullable, expected, encode, decode)
    raise TypeError(f"no dump encoding for {column.table.name}.{name} ({column.type!r})")


@attrs.frozen
class TablePlan:
    """A table as a dump carries it: its columns in the file's order, and the current
    columns the file lacks (a dump of an older schema), restored empty."""

    table: sa.Table
    columns: tuple[Column, ...]
    filled: Mapping[str, None] = attrs.field(factory=dict)

    @property
    def name(self) -> str:
        return self.table.name


def plan_table(table: sa.Table, names: Sequence[str] | None = None) -> TablePlan:
    """``table`` with the columns ``names`` (all of them by default), in that order."""
    columns = tuple(column_codec(table.c[n]) for n in (names or [c.name for c in table.c]))
    present = {c.name for c in columns}
    return TablePlan(table, columns, {c.name: None for c in table.c if c.name not in present})


# --------------------------------------------------------------------------- writing


class Output(Protocol):
    """Where a dump's bytes go: a file, or a gzip stream over one."""

    def write(self, data: bytes, /) -> int: ...


def _json_line(value: object) -> bytes:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (text + "\n").encode("utf-8")


class DumpWriter:
    """Writes a dump's lines, hashing every one; :meth:`trailer` last."""

    def __init__(self, out: Output) -> None:
        self._out = out
        self._digest = hashlib.sha256()
        self.counts: dict[str, int] = {}

    def _line(self, value: object) -> None:
        data = _json_line(value)
        self._digest.update(data)
        self._out.write(data)

    def header(self, revision: str, created: str, plans: Sequence[TablePlan]) -> None:
        tables = [{"name": p.name, "columns": [c.name for c in p.columns]} for p in plans]
        self._line(
            {
                "format": FORMAT,
                "version": VERSION,
                "schema_revision": revision,
                "created": created,
                "tables": tables,
            }
        )

    def table(self, plan: TablePlan, rows: Iterable[Sequence[Any]]) -> None:
        """Write ``rows`` of ``plan``'s table, each a sequence of its columns' values."""
        encoders = [(i, c.encode) for i, c in enumerate(plan.columns) if c.encode is not None]
        count = 0
        for row in rows:
            values = list(row)
            for i, encode in encoders:
                if values[i] is not None:
                    values[i] = encode(values[i])
            self._line({"t": plan.name, "r": values})
            count += 1
        self.counts[plan.name] = count

    def trailer(self) -> None:
        self._out.write(_json_line({"rows": self.counts, "sha256": self._digest.hexdigest()}))


def write_atomically(path: Path, write: Callable[[Output], T]) -> T:
    """``write(output)``'s result, its output written whole to ``path`` (gzip-compressed for
    ``.gz``; ``-``: standard output), so a failed dump leaves no half file."""
    with written(path, binary=True) as raw:
        if path.name.endswith(".gz"):
            with gzip.GzipFile(filename=path.name, mode="wb", fileobj=raw, mtime=0) as out:
                return write(out)
        return write(raw)


# --------------------------------------------------------------------------- reading


@functools.cache
def known_revisions() -> frozenset[str]:
    """Every schema revision this leadflow's migrations know."""
    script = ScriptDirectory.from_config(alembic_config())
    return frozenset(r.revision for r in script.walk_revisions())


@attrs.frozen
class Header:
    revision: str
    created: str
    tables: Mapping[str, TablePlan]


def _raw_lines(path: Path, shown: str) -> Generator[tuple[int, bytes], None, None]:
    try:
        with gzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb") as file:
            yield from enumerate(file, start=1)
    except gzip.BadGzipFile as err:
        raise DumpError(shown, "it is not gzip-compressed, as its name (.gz) says") from err
    except EOFError as err:
        raise DumpError(shown, "its compressed data ends early: the file is truncated") from err
    except zlib.error as err:
        raise DumpError(shown, f"its compressed data is damaged ({err})") from err
    except OSError as err:
        raise DumpError(shown, f"it cannot be read ({err.strerror or err})") from err


_HEADER_KEYS = frozenset({"format", "version", "schema_revision", "created", "tables"})
"""The keys of a dump's header line; any other is refused (the header is read, not guessed)."""


class DumpReader:
    """One pass over a dump: the header, then its rows decoded and checked, then the trailer
    checked when the rows run out; every problem a :class:`DumpError` naming its line.
    Close it (``with``) to close the file."""

    def __init__(self, path: Path) -> None:
        self.shown = str(path)
        self._lines = _raw_lines(path, self.shown)
        self._digest = hashlib.sha256()
        try:
            self.header = self._read_header()
        except BaseException:
            self._lines.close()
            raise
        self.counts = dict.fromkeys(self.header.tables, 0)

    def __enter__(self) -> DumpReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self._lines.close()

    def fail(self, problem: str, line: int | None = None) -> DumpError:
        return DumpError(self.shown, problem, line)

    def _object(self, number: int, data: bytes) -> dict[str, Any]:
        try:
            value = json.loads(data.decode("utf-8"))
        except UnicodeDecodeError:
            raise self.fail("it is not UTF-8 text", number) from None
        except json.JSONDecodeError as err:
            if not data.endswith(b"\n"):
                raise self.fail("it is cut short: the file is truncated", number) from None
            raise self.fail(f"it is not JSON ({err.msg}, column {err.colno})", number) from None
        if not isinstance(value, dict):
            raise self.fail(f"it must be a JSON object (got {type(value).__name__})", number)
        return value

    def _read_header(self) -> Header:
        first = next(self._lines, None)
        if first is None:
            raise self.fail("the file is empty: it is not a leadflow dump")
        number, data = first
        self._digest.update(data)
        header = self._object(number, data)
        if header.get("format") != FORMAT:
            raise self.fail(f'it is not a leadflow dump (no "format": "{FORMAT}")', number)
        unknown = sorted(set(header) - _HEADER_KEYS)
        if unknown:
            raise self.fail(
                f"its header has keys a version {VERSION} dump does not have: {unknown}", number
            )
        version = header.get("version")
        if type(version) is not int or version != VERSION:
            raise self.fail(
                f"'version' must be {VERSION}, the dump format this leadflow reads (got "
                f"{version!r}): restore it with a leadflow that reads that version",
                number,
            )
        revision = header.get("schema_revision")
        if not isinstance(revision, str) or revision not in known_revisions():
            raise self.fail(
                f"its schema is at revision {revision!r}, which this leadflow does not know "
                f"(its newest is {head_revision()!r}): upgrade leadflow to restore it",
                number,
            )
        listed = header.get("tables")
        if not isinstance(listed, list):
            raise self.fail("'tables' must be a list of tables and their columns", number)
        tables: dict[str, TablePlan] = {}
        for entry in listed:
            table, columns = self._table_entry(number, entry)
            if table.name in tables:
                raise self.fail(f"the header lists table {table.name!r} twice", number)
            tables[table.name] = plan_table(table, columns)
        return Header(revision, str(header.get("created")), tables)

    def _table_entry(self, number: int, entry: object) -> tuple[sa.Table, list[str]]:
        name = entry.get("name") if isinstance(entry, dict) else None
        columns = entry.get("columns") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not isinstance(columns, list):
            shown = short(repr(entry))
            raise self.fail(
                f"a table must be {{'name': ..., 'columns': [...]}} (got {shown})", number
            )
        table = schema.metadata.tables.get(name)
        if name in DERIVED or name == ALEMBIC_TABLE:
            raise self.fail(f"table {name!r} is derived: a restore rebuilds it", number)
        if table is None:
            raise self.fail(f"table {name!r} is not in this leadflow's schema", number)
        unknown = [c for c in columns if not isinstance(c, str) or c not in table.c]
        if unknown or len(set(columns)) != len(columns):
            shown = short(repr(unknown or columns))
            raise self.fail(
                f"the columns of {name!r} must be distinct columns of this leadflow's table "
                f"(got {shown})",
                number,
            )
        required = [c.name for c in table.c if c.name not in columns and not c.nullable]
        if required:
            raise self.fail(f"table {name!r} lacks the columns {required}", number)
        return table, columns

    def rows(self) -> Iterator[tuple[int, TablePlan, dict[str, Any]]]:
        """``(line, table, row)`` for every row, then the trailer checked."""
        number = 1
        for number, data in self._lines:
            line = self._object(number, data)
            if "sha256" in line and "t" not in line:
                self._check_trailer(number, line)
                extra = next(self._lines, None)
                if extra is not None:
                    raise self.fail("it comes after the trailer", extra[0])
                return
            self._digest.update(data)
            table, row = self._row(number, line)
            self.counts[table.name] += 1
            yield number, table, row
        raise self.fail(f"it ends at line {number} without its trailer: the file is truncated")

    def _row(self, number: int, line: dict[str, Any]) -> tuple[TablePlan, dict[str, Any]]:
        name, values = line.get("t"), line.get("r")
        table = self.header.tables.get(name) if isinstance(name, str) else None
        if table is None:
            shown = short(repr(name))
            raise self.fail(f"'t' must be a table the header lists (got {shown})", number)
        if not isinstance(values, list) or len(values) != len(table.columns):
            got = len(values) if isinstance(values, list) else short(repr(values))
            raise self.fail(
                f"'r' must be {len(table.columns)} values, one per column of {name!r} (got {got})",
                number,
            )
        row: dict[str, Any] = dict(table.filled)
        for column, value in zip(table.columns, values, strict=True):
            try:
                if value is None and not column.nullable:
                    raise ValueError(value)
                row[column.name] = None if value is None else column.decode(value)
            except (TypeError, ValueError, ArithmeticError):
                shown = "null" if value is None else short(repr(value))
                raise self.fail(
                    f"'{name}.{column.name}' must be {column.expected} (got {shown})", number
                ) from None
        return table, row

    def _check_trailer(self, number: int, trailer: dict[str, Any]) -> None:
        found, stated = self._digest.hexdigest(), str(trailer.get("sha256"))
        if found != stated:
            raise self.fail(
                "its content does not match the SHA-256 in its trailer: the file was edited or "
                f"damaged after it was written (content {found[:12]}..., trailer "
                f"{stated[:12]}...)",
                number,
            )
        rows = trailer.get("rows")
        if not isinstance(rows, dict) or set(rows) != set(self.counts):
            raise self.fail("the trailer's 'rows' must count every table the header lists", number)
        for name, count in self.counts.items():
            if rows[name] != count:
                raise self.fail(
                    f"table {name!r} has {count:,} rows, the trailer says {rows[name]!r}", number
                )
