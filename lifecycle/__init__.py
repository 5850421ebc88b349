"""leadflow's domain core: records, their state machines, consents and diagrams; no I/O.

The package exports what a user of leadflow needs day to day: the records and their
states, consents, the eligibility decision and what reads its answers (the row-by-row
``can_send`` and the DataFrame ``decide_frame``, with ``reason_mask``/``REASON_BITS``),
suppressions, clocks and the errors worth catching. Everything else lives in, and is
imported from, its submodule: the machine definitions and shared engines in
:mod:`lifecycle.definitions` and :mod:`lifecycle.machines`, diagrams in
:mod:`lifecycle.diagram`, the DataFrame trigger path in :mod:`lifecycle.batch`, the
columnar frame builders in :mod:`lifecycle.columnar`, audiences, opt-outs and the rest
of the errors in theirs (docs/reference/lifecycle.md lists them).

The DataFrame names (``decide_frame``, ``reason_mask``, ``REASON_BITS``) load pandas, so
they are imported on first use rather than with the package.
"""

import typing as _typing

# Imported for what it does: it gives each record class its shared engine
# (``Lead._lifecycle`` ...), without which no trigger fires.
from lifecycle import definitions as _definitions  # noqa: F401
from lifecycle.clock import Clock, FixedClock, system_clock
from lifecycle.consent import ConsentLevel, ConsentStatus, DataConsent
from lifecycle.contactpoints import ConsentValue, ContactPointConsent, ContactPointLedger
from lifecycle.eligibility import (
    DEFAULT_POLICY,
    Decision,
    FrozenMap,
    MessageKind,
    Policy,
    Reason,
    ReasonCode,
    can_send,
)
from lifecycle.errors import (
    InvalidFieldError,
    InvalidStatusError,
    LeadflowError,
    Problem,
    ReadOnlyRecordError,
    TransitionNotAllowed,
)
from lifecycle.machines import HistoryEvent, Transitioned
from lifecycle.operations import MergeResult, merge
from lifecycle.records import Account, Contact, Lead, QualifyResult, Record
from lifecycle.states import (
    AccountState,
    AccountStatus,
    CodedState,
    CodedStatus,
    ContactState,
    ContactStatus,
    LeadState,
    LeadStatus,
)
from lifecycle.suppression import Suppression, SuppressionList, SuppressionReason

if _typing.TYPE_CHECKING:
    from lifecycle.columnar import REASON_BITS, decide_frame, reason_mask

__all__ = [
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


_LAZY = {
    "decide_frame": "lifecycle.columnar",
    "reason_mask": "lifecycle.columnar",
    "REASON_BITS": "lifecycle.columnar",
}
"""The names that load pandas, by defining module; the imports under ``TYPE_CHECKING``
say the same for type checkers."""


if not _typing.TYPE_CHECKING:
    # Hidden from type checkers, which then see exactly the names above: importing a name
    # the package does not export is a type error, not an ``object``.

    def __getattr__(name: str) -> object:
        if name in _LAZY:
            import importlib

            return getattr(importlib.import_module(_LAZY[name]), name)
        raise AttributeError(f"module 'lifecycle' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
