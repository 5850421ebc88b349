"""Core statements compiled once per dialect and run straight on the DBAPI cursor.

SQLAlchemy's per-execution work (cache key, execution context, result wrapping)
costs four to five times a point query on SQLite. The store's hot statements are
:class:`Prepared`: the SQL text and the type conversions are worked out once,
then every execution is one cursor call inside the connection's transaction.
Values still go through the column types' bind and result processors, so rows
read this way equal rows read through SQLAlchemy.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.compiler import SQLCompiler

_Processor = Callable[[Any], Any] | None


class _Compiled:
    __slots__ = ("binds", "defaults", "names", "results", "sql")

    def __init__(self, statement: sa.ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        self.sql = compiled.string
        self.names: tuple[str, ...] | None = (
            tuple(compiled.positiontup or ()) if compiled.positional else None
        )
        self.defaults = {
            name: b.effective_value for name, b in compiled.binds.items() if not b.required
        }
        """Values the statement carries itself (a ``LIMIT``, a literal in a ``WHERE``)."""
        processors = {
            name: bind.type._cached_bind_processor(dialect) for name, bind in compiled.binds.items()
        }
        self.binds: dict[str, Callable[[Any], Any]] = {
            name: p for name, p in processors.items() if p is not None
        }
        columns: Sequence[Any] = getattr(statement, "selected_columns", ())
        results: list[_Processor] = [
            c.type._cached_result_processor(dialect, None) for c in columns
        ]
        self.results: tuple[_Processor, ...] | None = (
            tuple(results) if any(p is not None for p in results) else None
        )

    def parameters(self, params: Mapping[str, Any]) -> Any:
        """``params`` as the driver takes them: converted, in order when positional."""
        defaults, binds = self.defaults, self.binds
        if self.names is None:
            named = {**defaults, **params} if defaults else dict(params)
            for name, process in binds.items():
                value = named.get(name)
                if value is not None:
                    named[name] = process(value)
            return named
        values = []
        for name in self.names:
            value = params[name] if name in params else defaults[name]
            if value is not None and name in binds:
                value = binds[name](value)
            values.append(value)
        return values


class Prepared:
    """One Core statement (bound parameters only, no expanding ``IN`` lists), run raw."""

    __slots__ = ("_by_dialect", "_lock", "columns", "statement")

    def __init__(self, statement: sa.ClauseElement) -> None:
        self.statement = statement
        selected: Sequence[Any] = getattr(statement, "selected_columns", ())
        self.columns = tuple(c.key for c in selected)
        """The names of the columns it returns."""
        self._by_dialect: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def _compiled(self, dialect: Dialect) -> _Compiled:
        key = f"{dialect.name}+{dialect.driver}"
        found = self._by_dialect.get(key)
        if found is None:
            with self._lock:
                found = self._by_dialect.setdefault(key, _Compiled(self.statement, dialect))
        return found

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """The rows the statement returns, values converted as SQLAlchemy would."""
        compiled = self._compiled(conn.dialect)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(compiled.sql, compiled.parameters(params))
            fetched = cursor.fetchall()
        finally:
            cursor.close()
        results = compiled.results
        if results is None:
            return [tuple(row) for row in fetched]
        return [
            tuple(v if p is None or v is None else p(v) for p, v in zip(results, row, strict=True))
            for row in fetched
        ]

    def mappings(self, conn: Connection, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The rows as dicts keyed by column name."""
        names = self.columns
        return [dict(zip(names, row, strict=True)) for row in self.rows(conn, params)]

    def run_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Execute the statement once per row of parameters."""
        if not rows:
            return
        compiled = self._compiled(conn.dialect)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            if len(rows) == 1:
                cursor.execute(compiled.sql, compiled.parameters(rows[0]))
            else:
                cursor.executemany(compiled.sql, [compiled.parameters(r) for r in rows])
        finally:
            cursor.close()

    def run(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """Execute the statement; returns the number of rows it changed."""
        compiled = self._compiled(conn.dialect)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(compiled.sql, compiled.parameters(params))
            return int(cursor.rowcount)
        finally:
            cursor.close()
