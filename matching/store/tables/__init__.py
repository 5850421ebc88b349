"""The store's operations, one module per group of tables, mixed into
:class:`~matching.store.store.Transaction`.

:mod:`~matching.store.tables.records` (records with their history and match keys, which are
written in the record path), :mod:`~matching.store.tables.consents` (record and contact-point
consents), :mod:`~matching.store.tables.claims`, :mod:`~matching.store.tables.tombstones`,
:mod:`~matching.store.tables.suppressions` and :mod:`~matching.store.tables.interactions`; what
they share is in :mod:`~matching.store.tables.base`. An operation that reaches into another group's
tables (deleting a record tombstones it and drops its claims) calls that module's functions, so
the records module depends on the others and none of them on it.
"""
