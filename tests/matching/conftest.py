"""Store fixtures: every store test runs against SQLite and against PostgreSQL.

SQLite gets a new file per test. PostgreSQL gets one migrated database per test
session, emptied after each test (creating a database costs 50-400 ms, emptying
one a few); tests that need a database with no schema at all use ``blank_url``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from matching.store import Store, open_store
from matching.store.schema import metadata
from tests.pgserver import fresh_database, require_postgres

BACKENDS = ("sqlite", pytest.param("postgresql", marks=pytest.mark.postgres))


@pytest.fixture(scope="session")
def _pg_session_url() -> Iterator[str]:
    with fresh_database(require_postgres()) as url:
        open_store(url).close()
        yield url


def _empty(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("SET LOCAL lock_timeout = '20s'")
            names = ", ".join(table.name for table in metadata.sorted_tables)
            connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY")
    finally:
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty, migrated database, on each backend in turn."""
    if request.param == "sqlite":
        url = str(tmp_path / "leadflow.db")
        open_store(url).close()
        yield url
        return
    url = request.getfixturevalue("_pg_session_url")
    try:
        yield url
    finally:
        _empty(url)


@pytest.fixture(params=BACKENDS)
def blank_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database with no schema at all (for migration tests), on each backend."""
    if request.param == "sqlite":
        yield str(tmp_path / "blank.db")
        return
    with fresh_database(require_postgres()) as url:
        yield url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An open, migrated, empty store on each backend in turn."""
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()
