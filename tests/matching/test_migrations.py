"""Schema migrations (Alembic), on SQLite and PostgreSQL.

The migrations are the frozen history of ``matching.store.schema.metadata``: a
fresh database migrated to the head revision has exactly that schema, the
migrations run down and up again, and ``open_store`` refuses databases it must
not touch with a :class:`SchemaVersionError` that says what to do.
"""

from __future__ import annotations

import multiprocessing
import traceback
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from lifecycle import Contact
from matching.store import SchemaVersionError, open_store, schema
from matching.store.engine import (
    alembic_config,
    create_engine,
    current_revision,
    head_revision,
    parse_url,
)

LEADFLOW_TABLES = {table.name for table in schema.metadata.sorted_tables}
UNKNOWN_REVISION = "ffff0000beef"
OPENERS = 4
SPAWN = multiprocessing.get_context("spawn")


@pytest.fixture
def engine(blank_url: str) -> Any:
    """A leadflow engine (its connection settings, no migration) on a blank database."""
    made = create_engine(parse_url(blank_url))
    try:
        yield made
    finally:
        made.dispose()


def schema_diff(engine: Engine) -> list[Any]:
    """What Alembic's autogenerate would change to make the database match the metadata."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff: list[Any] = compare_metadata(context, schema.metadata)
        connection.rollback()
    return diff


def table_names(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        names = set(sa.inspect(connection).get_table_names())
        connection.rollback()
    return names


def revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        found = current_revision(connection)
        connection.rollback()
    return found


def versions(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        found = [
            row[0] for row in connection.exec_driver_sql("SELECT version_num FROM alembic_version")
        ]
        connection.rollback()
    return found


def test_a_fresh_database_migrates_to_the_head_revision_and_matches_the_metadata(
    blank_url: str, engine: Engine
) -> None:
    with open_store(blank_url) as store:
        store.add(Contact(id="c1"))

    assert revision(engine) == head_revision()
    assert versions(engine) == [head_revision()]
    assert table_names(engine) == LEADFLOW_TABLES | {"alembic_version"}
    assert schema_diff(engine) == []


def test_the_migrations_run_down_to_nothing_and_up_again(blank_url: str, engine: Engine) -> None:
    open_store(blank_url).close()

    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert revision(engine) is None
    assert table_names(engine) <= {"alembic_version"}

    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    assert revision(engine) == head_revision()
    assert schema_diff(engine) == []
    with open_store(blank_url, migrate_schema=False) as store:
        store.add(Contact(id="c1", emailaddress1="c1@example.com"))
        assert store.find(Contact, "emailaddress1", "C1@example.com")[0].id == "c1"


def test_an_empty_database_is_not_migrated_when_migration_is_not_allowed(
    blank_url: str, engine: Engine
) -> None:
    with pytest.raises(SchemaVersionError) as caught:
        open_store(blank_url, migrate_schema=False)

    message = str(caught.value)
    assert repr(head_revision()) in message
    # The advice must work: it names the real parameter of open_store.
    assert "migrate_schema=True" in message
    assert table_names(engine) & LEADFLOW_TABLES == set()
    # Allowed, it migrates.
    open_store(blank_url).close()
    assert revision(engine) == head_revision()


def test_a_database_at_the_head_revision_opens_without_migrating(blank_url: str) -> None:
    open_store(blank_url).close()
    with open_store(blank_url, migrate_schema=False) as store:
        assert store.count(Contact) == 0


@pytest.mark.parametrize("migrate_schema", [True, False])
def test_a_database_from_a_newer_leadflow_is_refused_and_left_alone(
    blank_url: str, engine: Engine, migrate_schema: bool
) -> None:
    with open_store(blank_url) as store:
        store.add(Contact(id="c1"))
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE alembic_version SET version_num = :v"), {"v": UNKNOWN_REVISION}
        )

    with pytest.raises(SchemaVersionError, match="upgrade leadflow") as caught:
        open_store(blank_url, migrate_schema=migrate_schema)

    assert repr(UNKNOWN_REVISION) in str(caught.value)
    assert repr(head_revision()) in str(caught.value)
    assert versions(engine) == [UNKNOWN_REVISION]
    assert table_names(engine) == LEADFLOW_TABLES | {"alembic_version"}
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT contactid FROM contacts").all() == [("c1",)]
        connection.rollback()


def _open_at_once(url: str, index: int, barrier: Any, results: Any) -> None:
    try:
        barrier.wait(60)
        with open_store(url) as store:
            store.add(Contact(id=f"opener-{index}"))
        results.put((index, None))
    except BaseException:
        results.put((index, traceback.format_exc()))


def test_processes_opening_a_fresh_database_at_once_all_succeed(
    blank_url: str, engine: Engine
) -> None:
    barrier = SPAWN.Barrier(OPENERS)
    results = SPAWN.Queue()
    processes = [
        SPAWN.Process(target=_open_at_once, args=(blank_url, i, barrier, results))
        for i in range(OPENERS)
    ]
    for process in processes:
        process.start()
    try:
        reports = [results.get(timeout=60) for _ in processes]
    finally:
        for process in processes:
            process.join(60)
            if process.is_alive():
                process.kill()
                process.join()
        results.close()
        results.join_thread()

    errors = [error for _, error in reports if error is not None]
    assert errors == []
    assert [p.exitcode for p in processes] == [0] * OPENERS
    assert versions(engine) == [head_revision()]
    assert schema_diff(engine) == []
    expected = [f"opener-{i}" for i in range(OPENERS)]
    with open_store(blank_url, migrate_schema=False) as store:
        assert [c.id for c in store.get_many(Contact, expected)] == expected
