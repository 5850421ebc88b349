"""The PostgreSQL test helpers: fresh_database gives each test its own empty database."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.pgserver import fresh_database, libpq_conninfo, require_postgres


@pytest.mark.parametrize(
    ("url", "conninfo"),
    [
        (
            "postgresql+psycopg://postgres@127.0.0.1:24006/leadflow_test",
            "host=127.0.0.1 port=24006 user=postgres dbname=other",
        ),
        (
            "postgresql+psycopg://postgres@/leadflow_test?host=/tmp/leadflow-pg-0&port=24006",
            "host=/tmp/leadflow-pg-0 port=24006 user=postgres dbname=other",
        ),
        (
            "postgresql://ada:s%40cret@db.example:5433/x?sslmode=require",
            "sslmode=require host=db.example port=5433 user=ada password=s@cret dbname=other",
        ),
    ],
)
def test_libpq_conninfo_handles_host_port_and_socket_urls(url: str, conninfo: str) -> None:
    assert libpq_conninfo(make_url(url), dbname="other") == conninfo


@pytest.fixture
def admin_url() -> str:
    return require_postgres()


def _database_exists(admin_url: str, name: str) -> bool:
    with psycopg.connect(libpq_conninfo(make_url(admin_url))) as conn:
        row = conn.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [name]).fetchone()
    assert row is not None
    return bool(row[0])


def _database_name(url: str) -> str:
    name = make_url(url).database
    assert name is not None
    return name


def _table_names(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_fresh_database_is_empty_and_usable_through_sqlalchemy(admin_url: str) -> None:
    with fresh_database(admin_url) as url:
        assert make_url(url).drivername == "postgresql+psycopg"
        assert _table_names(url) == set()
        engine = sa.create_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(sa.text("CREATE TABLE lead (id int PRIMARY KEY, email text)"))
                conn.execute(sa.text("INSERT INTO lead VALUES (1, 'ada@example.com')"))
            with engine.connect() as conn:
                assert conn.execute(sa.text("SELECT email FROM lead")).scalar_one() == (
                    "ada@example.com"
                )
                assert conn.execute(sa.text("SELECT current_database()")).scalar_one() == (
                    _database_name(url)
                )
        finally:
            engine.dispose()


@pytest.mark.postgres
def test_fresh_databases_are_isolated_from_each_other(admin_url: str) -> None:
    with fresh_database(admin_url) as first, fresh_database(admin_url) as second:
        assert make_url(first).database != make_url(second).database
        engine = sa.create_engine(first)
        try:
            with engine.begin() as conn:
                conn.execute(sa.text("CREATE TABLE only_in_first (id int)"))
        finally:
            engine.dispose()
        assert _table_names(first) == {"only_in_first"}
        assert _table_names(second) == set()


@pytest.mark.postgres
def test_fresh_database_is_dropped_on_exit(admin_url: str) -> None:
    with fresh_database(admin_url) as url:
        name = _database_name(url)
        assert _database_exists(admin_url, name)
    assert not _database_exists(admin_url, name)


@pytest.mark.postgres
def test_fresh_database_is_dropped_after_an_error_with_a_connection_open(admin_url: str) -> None:
    names: list[str] = []
    connections: list[psycopg.Connection[Any]] = []

    def fail_inside() -> None:
        with fresh_database(admin_url) as url:
            names.append(_database_name(url))
            connections.append(psycopg.connect(libpq_conninfo(make_url(url))))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail_inside()
    connections[0].close()  # already ended by DROP DATABASE ... WITH (FORCE)
    assert not _database_exists(admin_url, names[0])
