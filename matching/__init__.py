"""leadflow's data side: the record store (SQLite embedded, PostgreSQL for production),
bulk import and export, match strategies and their scoring, resolution, the
form-submission handler and batch dedupe.

``matching`` builds on :mod:`lifecycle`; ``lifecycle`` never imports ``matching``.

The package exports what a user needs day to day; everything else is imported from its
submodule (docs/reference/matching.md lists them): the normalisers
(:mod:`matching.normalize`), match keys (:mod:`matching.keys`), the store's transactions
and tables (:mod:`matching.store`), every error (:mod:`matching.errors`), the values a
resolution reads (:mod:`matching.values`), the dedupe engine's parts
(:mod:`matching.dedupe`), the command line (:mod:`matching.cli`).

Every name below is imported on first use, not with the package: ``import
matching.normalize`` (or ``keys``, ``scoring``, ``strategies``, ``resolve``) loads no
SQLAlchemy, Alembic, rich or click, and the batch dedupe names bring pandas, numpy, scipy
and rapidfuzz only when read.
"""

import typing as _typing

if _typing.TYPE_CHECKING:
    from matching.dedupe import DedupeModel, DedupeResult, find_duplicates, find_matches
    from matching.errors import (
        ConflictError,
        ImportFileError,
        RecordNotFound,
        StoreError,
        StrategyError,
        SubmissionRejected,
        TombstonedError,
    )
    from matching.handler import SubmissionHandler
    from matching.protocols import RecordStore
    from matching.resolve import Probe, Resolution
    from matching.scoring import FieldScore, MatchScore, score_pair
    from matching.store import Store, open_store
    from matching.store.bulk import (
        ImportReport,
        RowError,
        export_csv,
        import_csv,
        import_frame,
        to_frame,
    )
    from matching.strategies import (
        CONTACT_BY_EMAIL,
        CONTACT_FUZZY,
        LEAD_BY_EMAIL,
        LEAD_BY_EMAIL_AND_PAGE,
        LEAD_FUZZY,
        PRESETS,
        FuzzyRule,
        MatchStrategy,
        Target,
    )
    from matching.submissions import (
        ContactAction,
        LeadAction,
        MatchInfo,
        Mode,
        OnClosedContact,
        OnClosedLead,
        OnTombstoned,
        SubmissionOutcome,
        SubmissionPolicy,
    )
    from matching.values import Notice, ProbableDuplicate

__all__ = [
    "CONTACT_BY_EMAIL",
    "CONTACT_FUZZY",
    "LEAD_BY_EMAIL",
    "LEAD_BY_EMAIL_AND_PAGE",
    "LEAD_FUZZY",
    "PRESETS",
    "ConflictError",
    "ContactAction",
    "DedupeModel",
    "DedupeResult",
    "FieldScore",
    "FuzzyRule",
    "ImportFileError",
    "ImportReport",
    "LeadAction",
    "MatchInfo",
    "MatchScore",
    "MatchStrategy",
    "Mode",
    "Notice",
    "OnClosedContact",
    "OnClosedLead",
    "OnTombstoned",
    "ProbableDuplicate",
    "Probe",
    "RecordNotFound",
    "RecordStore",
    "Resolution",
    "RowError",
    "Store",
    "StoreError",
    "StrategyError",
    "SubmissionHandler",
    "SubmissionOutcome",
    "SubmissionPolicy",
    "SubmissionRejected",
    "Target",
    "TombstonedError",
    "export_csv",
    "find_duplicates",
    "find_matches",
    "import_csv",
    "import_frame",
    "open_store",
    "score_pair",
    "to_frame",
]

_SOURCES = {
    "matching.dedupe": (
        "DedupeModel",
        "DedupeResult",
        "find_duplicates",
        "find_matches",
    ),
    "matching.errors": (
        "ConflictError",
        "ImportFileError",
        "RecordNotFound",
        "StoreError",
        "StrategyError",
        "SubmissionRejected",
        "TombstonedError",
    ),
    "matching.handler": ("SubmissionHandler",),
    "matching.protocols": ("RecordStore",),
    "matching.resolve": (
        "Probe",
        "Resolution",
    ),
    "matching.scoring": (
        "FieldScore",
        "MatchScore",
        "score_pair",
    ),
    "matching.store": (
        "Store",
        "open_store",
    ),
    "matching.store.bulk": (
        "ImportReport",
        "RowError",
        "export_csv",
        "import_csv",
        "import_frame",
        "to_frame",
    ),
    "matching.strategies": (
        "CONTACT_BY_EMAIL",
        "CONTACT_FUZZY",
        "LEAD_BY_EMAIL",
        "LEAD_BY_EMAIL_AND_PAGE",
        "LEAD_FUZZY",
        "PRESETS",
        "FuzzyRule",
        "MatchStrategy",
        "Target",
    ),
    "matching.submissions": (
        "ContactAction",
        "LeadAction",
        "MatchInfo",
        "Mode",
        "OnClosedContact",
        "OnClosedLead",
        "OnTombstoned",
        "SubmissionOutcome",
        "SubmissionPolicy",
    ),
    "matching.values": (
        "Notice",
        "ProbableDuplicate",
    ),
}
"""Where each public name is defined; the imports under ``TYPE_CHECKING`` say the same for
type checkers (a test reads every name of ``__all__`` through :func:`__getattr__`)."""

_LAZY = {name: module for module, names in _SOURCES.items() for name in names}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'matching' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
