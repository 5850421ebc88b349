"""PostgreSQL for tests: the server named by ``LEADFLOW_TEST_PG_URL``.

``scripts/test`` sets that variable, starting a throwaway server with
``scripts/pg-test-server`` when it is not already set. The URL is a SQLAlchemy
URL (``postgresql+psycopg://postgres@127.0.0.1:PORT/leadflow_test``; the unix
socket form ``postgresql+psycopg://user@/db?host=/socket/dir&port=PORT`` works
too) whose user may create databases.

Tests call :func:`require_postgres` for the URL (it skips them locally when no
server is available, and fails them in CI), then :func:`fresh_database` for an
empty database of their own::

    with fresh_database(require_postgres()) as url:
        engine = sqlalchemy.create_engine(url)
"""

from __future__ import annotations

import contextlib
import functools
import os
import uuid
from collections.abc import Iterator
from typing import NoReturn

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

PG_URL_ENV = "LEADFLOW_TEST_PG_URL"

_HOW_TO_GET_ONE = (
    "Run `bash scripts/test` (it starts a throwaway server), "
    "or `scripts/pg-test-server start` and export the URL it prints."
)


def pg_admin_url() -> str | None:
    """The test server's SQLAlchemy URL, or None if ``LEADFLOW_TEST_PG_URL`` is unset (or empty)."""
    return os.environ.get(PG_URL_ENV) or None


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _unavailable(problem: str) -> NoReturn:
    """Skip the calling test, or fail it in CI, which must never skip PostgreSQL tests."""
    if _in_ci():
        pytest.fail(
            f"PostgreSQL tests cannot run: {problem} CI is set, so they fail instead of skipping. "
            f"{_HOW_TO_GET_ONE}",
            pytrace=False,
        )
    pytest.skip(f"PostgreSQL tests skipped: {problem} {_HOW_TO_GET_ONE}")


def require_postgres() -> str:
    """The test server's URL; skips the test (fails it in CI) when there is no usable server."""
    url = pg_admin_url()
    if url is None:
        _unavailable(f"{PG_URL_ENV} is not set.")
    error = _connection_error(url)
    if error is not None:
        _unavailable(f"the server in {PG_URL_ENV} does not answer ({error}).")
    return url


@functools.cache
def _connection_error(url: str) -> str | None:
    """Why the server at url cannot be used, or None if it answers. Checked once per URL."""
    try:
        with psycopg.connect(libpq_conninfo(make_url(url)), connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except (psycopg.Error, ValueError, ArgumentError) as exc:  # unreachable, or a bad URL
        return f"{type(exc).__name__}: {' '.join(str(exc).split())}"
    return None


def libpq_conninfo(url: URL, dbname: str | None = None) -> str:
    """The libpq conninfo string for a SQLAlchemy PostgreSQL URL.

    Handles ``user@host:port/db`` and the unix socket form ``user@/db?host=/dir&port=N``;
    other query parameters (``sslmode=...``) are passed on as libpq keywords.
    """
    if not url.drivername.startswith("postgres"):
        raise ValueError(f"not a PostgreSQL URL: {url.render_as_string()}")
    params: dict[str, str] = {
        key: ",".join(value) if isinstance(value, tuple) else value
        for key, value in url.query.items()
    }
    if url.host:
        params["host"] = url.host
    if url.port is not None:
        params["port"] = str(url.port)
    if url.username:
        params["user"] = url.username
    if url.password is not None:
        params["password"] = str(url.password)
    database = dbname or url.database
    if database:
        params["dbname"] = database
    return psycopg.conninfo.make_conninfo(**params)


@contextlib.contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    """A new, empty database on admin_url's server, dropped on exit (even after an error).

    Yields its SQLAlchemy URL (``postgresql+psycopg://...``). Close or dispose of
    what you connected before leaving: the drop ends any connection still open.
    """
    url = make_url(admin_url)
    admin_conninfo = libpq_conninfo(url)
    name = f"leadflow_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_conninfo, autocommit=True) as conn:
        # template0: nothing else connects to it, so the copy never waits; and it is pristine.
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
    try:
        yield url.set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False
        )
    finally:
        with psycopg.connect(admin_conninfo, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
