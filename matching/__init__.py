"""leadflow's data side: the record store (SQLite embedded, PostgreSQL for production),
bulk import and export, normalisation into match keys, match strategies and their
scoring, the form-submission handler, and the ``leadflow`` command line.

``matching`` builds on :mod:`lifecycle`; ``lifecycle`` never imports ``matching``.

Every name below is imported on first use, not with the package: ``import
matching.normalize`` (or ``keys``, ``scoring``, ``strategies``) loads no SQLAlchemy,
Alembic, rich or click, and the batch dedupe names bring pandas, numpy, scipy and
rapidfuzz only when read.
"""

import typing as _typing

if _typing.TYPE_CHECKING:
    from matching.dedupe import DedupeModel, DedupeResult, find_duplicates, find_matches
    from matching.errors import (
        ConflictError,
        FieldProblem,
        ImportFileError,
        RecordNotFound,
        SchemaVersionError,
        StoreBusy,
        StoreConfigError,
        StoreError,
        StoreUnavailable,
        StrategyError,
        SubmissionRejected,
        TombstonedError,
    )
    from matching.handler import SubmissionHandler
    from matching.scoring import FieldScore, MatchScore, Method, score_pair, similarity
    from matching.store import (
        Interaction,
        Store,
        Tombstone,
        Transaction,
        open_store,
    )
    from matching.store.bulk import (
        ImportReport,
        RowError,
        export_csv,
        export_jsonl,
        import_csv,
        import_frame,
        import_jsonl,
        import_rows,
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
        Submission,
        SubmissionOutcome,
        SubmissionPolicy,
    )
    from matching.values import Candidate, Notice, ProbableDuplicate

__all__ = [
    "CONTACT_BY_EMAIL",
    "CONTACT_FUZZY",
    "LEAD_BY_EMAIL",
    "LEAD_BY_EMAIL_AND_PAGE",
    "LEAD_FUZZY",
    "PRESETS",
    "Candidate",
    "ConflictError",
    "ContactAction",
    "DedupeModel",
    "DedupeResult",
    "FieldProblem",
    "FieldScore",
    "FuzzyRule",
    "ImportFileError",
    "ImportReport",
    "Interaction",
    "LeadAction",
    "MatchInfo",
    "MatchScore",
    "MatchStrategy",
    "Method",
    "Mode",
    "Notice",
    "OnClosedContact",
    "OnClosedLead",
    "OnTombstoned",
    "ProbableDuplicate",
    "RecordNotFound",
    "RowError",
    "SchemaVersionError",
    "Store",
    "StoreBusy",
    "StoreConfigError",
    "StoreError",
    "StoreUnavailable",
    "StrategyError",
    "Submission",
    "SubmissionHandler",
    "SubmissionOutcome",
    "SubmissionPolicy",
    "SubmissionRejected",
    "Target",
    "Tombstone",
    "TombstonedError",
    "Transaction",
    "export_csv",
    "export_jsonl",
    "find_duplicates",
    "find_matches",
    "import_csv",
    "import_frame",
    "import_jsonl",
    "import_rows",
    "open_store",
    "score_pair",
    "similarity",
    "to_frame",
]

_SOURCES = {
    "matching.errors": (
        "ConflictError",
        "FieldProblem",
        "ImportFileError",
        "RecordNotFound",
        "SchemaVersionError",
        "StoreBusy",
        "StoreConfigError",
        "StoreError",
        "StoreUnavailable",
        "StrategyError",
        "SubmissionRejected",
        "TombstonedError",
    ),
    "matching.handler": ("SubmissionHandler",),
    "matching.scoring": ("FieldScore", "MatchScore", "Method", "score_pair", "similarity"),
    "matching.store": (
        "Interaction",
        "Store",
        "Tombstone",
        "Transaction",
        "open_store",
    ),
    "matching.store.bulk": (
        "ImportReport",
        "RowError",
        "export_csv",
        "export_jsonl",
        "import_csv",
        "import_frame",
        "import_jsonl",
        "import_rows",
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
        "Submission",
        "SubmissionOutcome",
        "SubmissionPolicy",
    ),
    "matching.values": ("Candidate", "Notice", "ProbableDuplicate"),
    # Batch dedupe brings pandas, numpy, scipy and rapidfuzz.
    "matching.dedupe": ("DedupeModel", "DedupeResult", "find_duplicates", "find_matches"),
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
