"""Reading import files without a database: delimited text and JSON Lines, what their
columns mean (logical, schema and Dynamics display names, a user's mapping), a row's
identity, and the errors file of rejected rows; and writing a file whole
(:mod:`matching.io.files`).

The store's bulk import (:mod:`matching.store.bulk`) builds on this package; it imports
``lifecycle``, :mod:`matching.normalize` and :mod:`matching.errors`, and no store, CLI or
terminal code (an import-linter contract says so).
"""

from __future__ import annotations

from matching.io.delimited import DELIMITERS, DelimitedFile, sniff_delimiter
from matching.io.display_names import DISPLAY_NAMES, NOT_KEPT
from matching.io.headers import ColumnResolver, Columns, refuse_unusable, resolve_columns
from matching.io.identity import Identities, Identity, identity_of
from matching.io.mapping import load_mapping
from matching.io.rejections import ERRORS_FILE_COLUMNS, RowError, write_rejections
from matching.io.report import ImportReport
from matching.io.targets import PRIMARY_KEY, columns, identity_columns

__all__ = [
    "DELIMITERS",
    "DISPLAY_NAMES",
    "ERRORS_FILE_COLUMNS",
    "NOT_KEPT",
    "PRIMARY_KEY",
    "ColumnResolver",
    "Columns",
    "DelimitedFile",
    "Identities",
    "Identity",
    "ImportReport",
    "RowError",
    "columns",
    "identity_columns",
    "identity_of",
    "load_mapping",
    "refuse_unusable",
    "resolve_columns",
    "sniff_delimiter",
    "write_rejections",
]
