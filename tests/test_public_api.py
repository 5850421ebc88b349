"""Each package's ``__all__`` is sorted and is exactly its public surface."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import types
from pathlib import Path

import pytest

PACKAGES = ["lifecycle", "matching"]


def _explicit_imports(package: types.ModuleType) -> set[str]:
    """Names bound at module level by ``import``/``from ... import`` in the package's __init__."""
    tree = ast.parse(Path(package.__file__ or "").read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            names.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.asname or alias.name.partition(".")[0] for alias in node.names)
    return names


def isort_key(name: str) -> tuple[int, list[int | str]]:
    """The order ruff's RUF022 keeps ``__all__`` in: CONSTANTS, then Classes, then the rest,
    each in natural (case-sensitive) order."""
    if len(name) > 1 and name.upper() == name:
        category = 0
    elif name[:1].isupper():
        category = 1
    else:
        category = 2
    parts = [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]
    return category, parts


def _public(names: set[str]) -> set[str]:
    return {name for name in names if not name.startswith("_")}


@pytest.fixture(params=PACKAGES)
def package(request: pytest.FixtureRequest) -> types.ModuleType:
    """The package under test, imported."""
    return importlib.import_module(request.param)


class TestAll:
    """``__all__`` is the curated, checked public surface of each package."""

    def test_sorted_and_unique(self, package: types.ModuleType) -> None:
        """__all__ is sorted (as ruff's RUF022 sorts it) and lists each name once."""
        assert package.__all__ == sorted(package.__all__, key=isort_key)
        assert len(set(package.__all__)) == len(package.__all__)

    def test_every_name_resolves(self, package: types.ModuleType) -> None:
        """Every name in __all__ can be read from the package."""
        missing = [name for name in package.__all__ if not hasattr(package, name)]
        assert missing == []

    def test_explicit_imports_are_exported(self, package: types.ModuleType) -> None:
        """Every public name the __init__ imports explicitly is in __all__, and vice versa
        (except names the module ``__getattr__`` serves lazily)."""
        explicit = _public(_explicit_imports(package))
        assert explicit - set(package.__all__) == set()
        lazy = set(package.__all__) - explicit
        if lazy:
            getattr_ = vars(package).get("__getattr__")
            assert getattr_ is not None, f"{sorted(lazy)} are neither imported nor served lazily"
            assert all(getattr_(name) is getattr(package, name) for name in lazy)

    def test_no_public_name_left_out(self, package: types.ModuleType) -> None:
        """Every public non-module name in the package namespace is in __all__."""
        public = {
            name
            for name, value in vars(package).items()
            if not name.startswith("_") and not inspect.ismodule(value)
        }
        assert public - set(package.__all__) == set()

    def test_names_defined_in_the_package(self, package: types.ModuleType) -> None:
        """Exported classes and functions come from the package itself, not a dependency."""
        foreign = []
        for name in package.__all__:
            value = getattr(package, name)
            module = getattr(value, "__module__", None)
            is_code = inspect.isclass(value) or inspect.isfunction(value)
            if is_code and module is not None and module.partition(".")[0] not in PACKAGES:
                foreign.append((name, module))
        assert foreign == []


LIFECYCLE_API = [
    "DEFAULT_POLICY",
    "REASON_BITS",
    "Account",
    "AccountState",
    "AccountStatus",
    "Clock",
    "CodedState",
    "CodedStatus",
    "ConsentLevel",
    "ConsentStatus",
    "ConsentValue",
    "Contact",
    "ContactPointConsent",
    "ContactPointLedger",
    "ContactState",
    "ContactStatus",
    "DataConsent",
    "Decision",
    "FixedClock",
    "FrozenMap",
    "HistoryEvent",
    "InvalidFieldError",
    "InvalidStatusError",
    "Lead",
    "LeadState",
    "LeadStatus",
    "LeadflowError",
    "MergeResult",
    "MessageKind",
    "Policy",
    "Problem",
    "QualifyResult",
    "ReadOnlyRecordError",
    "Reason",
    "ReasonCode",
    "Record",
    "Suppression",
    "SuppressionList",
    "SuppressionReason",
    "TransitionNotAllowed",
    "Transitioned",
    "can_send",
    "decide_frame",
    "merge",
    "reason_mask",
    "system_clock",
]
"""The curated top level of ``lifecycle``: records, states, consents, eligibility and what
reads its answers, suppressions, clocks and the errors worth catching. Everything else is
imported from its submodule (docs/reference/lifecycle.md)."""


class TestLifecycleApi:
    """``lifecycle`` exports a curated list, not every name of its submodules."""

    def test_all_is_the_curated_list(self) -> None:
        """A name added to or dropped from ``lifecycle.__all__`` is a decision: change this
        list with it."""
        lifecycle = importlib.import_module("lifecycle")
        assert lifecycle.__all__ == LIFECYCLE_API

    def test_a_dropped_name_says_so(self) -> None:
        """Names that moved to their submodules are no longer attributes of the package."""
        lifecycle = importlib.import_module("lifecycle")
        for name in ("LEAD_MACHINE", "BatchPlan", "Prepared", "FrameResult", "to_mermaid"):
            with pytest.raises(AttributeError, match=name):
                getattr(lifecycle, name)


MATCHING_API = [
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
"""What ``matching`` exports: the store and its protocol, resolution, the form handler and
its outcome, strategies and scoring, bulk import and export, batch dedupe, and the errors
a caller catches. Everything else is imported from its submodule."""


class TestMatchingApi:
    """``matching`` exports a curated list, not every name of its submodules."""

    def test_all_is_the_curated_list(self) -> None:
        """A name added to or dropped from ``matching.__all__`` is a decision: change this
        list with it."""
        matching = importlib.import_module("matching")
        assert matching.__all__ == MATCHING_API

    @pytest.mark.parametrize(
        ("name", "module"),
        [
            ("Transaction", "matching.store"),
            ("Candidate", "matching.values"),
            ("Tombstone", "matching.values"),
            ("StoreBusy", "matching.errors"),
            ("import_jsonl", "matching.store.bulk"),
            ("similarity", "matching.scoring"),
        ],
    )
    def test_a_dropped_name_lives_in_its_submodule(self, name: str, module: str) -> None:
        """Names that are not exported are still importable from the submodule that holds them."""
        matching = importlib.import_module("matching")
        with pytest.raises(AttributeError, match=name):
            getattr(matching, name)
        assert hasattr(importlib.import_module(module), name)
