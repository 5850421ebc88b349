"""Alembic environment: runs migrations on the connection leadflow hands it."""

from __future__ import annotations

from alembic import context

from matching.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("leadflow migrations run through matching.store.engine.migrate()")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
