"""leadflow's data side: the record store (SQLite embedded, PostgreSQL for production),
bulk import and export, normalisation into match keys, match strategies and their
scoring, and the ``leadflow`` command line.

``matching`` builds on :mod:`lifecycle`; ``lifecycle`` never imports ``matching``.
"""

from matching.scoring import FieldScore, MatchScore, Method, score_pair, similarity
from matching.store import (
    ConflictError,
    Interaction,
    RecordNotFound,
    SchemaVersionError,
    Store,
    StoreConfigError,
    StoreError,
    Tombstone,
    TombstonedError,
    Transaction,
    open_store,
)
from matching.store.bulk import (
    ImportFileError,
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
    StrategyError,
    Target,
)

__all__ = [
    "CONTACT_BY_EMAIL",
    "CONTACT_FUZZY",
    "LEAD_BY_EMAIL",
    "LEAD_BY_EMAIL_AND_PAGE",
    "LEAD_FUZZY",
    "PRESETS",
    "ConflictError",
    "FieldScore",
    "FuzzyRule",
    "ImportFileError",
    "ImportReport",
    "Interaction",
    "MatchScore",
    "MatchStrategy",
    "Method",
    "RecordNotFound",
    "RowError",
    "SchemaVersionError",
    "Store",
    "StoreConfigError",
    "StoreError",
    "StrategyError",
    "Target",
    "Tombstone",
    "TombstonedError",
    "Transaction",
    "export_csv",
    "export_jsonl",
    "import_csv",
    "import_frame",
    "import_jsonl",
    "import_rows",
    "open_store",
    "score_pair",
    "similarity",
    "to_frame",
]
