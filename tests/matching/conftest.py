"""Store fixtures: every store test runs against SQLite and against PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from matching.store import Store, open_store
from tests.pgserver import fresh_database, require_postgres

BACKENDS = ("sqlite", pytest.param("postgresql", marks=pytest.mark.postgres))


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database, on each backend in turn."""
    if request.param == "sqlite":
        yield str(tmp_path / "leadflow.db")
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
