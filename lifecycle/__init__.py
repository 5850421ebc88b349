"""leadflow's domain core: records, their state machines, consents and diagrams; no I/O.

The DataFrame paths (``fire_frame``, ``FrameResult``, ``eligibility_frame``,
``decide_frame``, ``consent_columns``) load pandas, so they are imported on first
use rather than with the package.
"""

from lifecycle.audiences import (
    Audience,
    DynamicSegment,
    ExpiringConsent,
    ListConsentGap,
    StaticList,
    audience,
    expiring_consents,
    lists_without_consent,
    missing_consent,
)
from lifecycle.clock import Clock, FixedClock, system_clock
from lifecycle.consent import (
    ConsentLevel,
    ConsentStatus,
    ConsentSummary,
    DataConsent,
    ExpiryReport,
    GdprConsent,
    consent_summary,
    expire_consents,
)
from lifecycle.contactpoints import (
    Channel,
    ConsentValue,
    ContactPointConsent,
    ContactPointLedger,
    Enforcement,
)
from lifecycle.definitions import (
    ACCOUNT_LIFECYCLE,
    ACCOUNT_MACHINE,
    CONTACT_LIFECYCLE,
    CONTACT_MACHINE,
    LEAD_LIFECYCLE,
    LEAD_MACHINE,
    MACHINES,
)
from lifecycle.diagram import export as export_diagram
from lifecycle.diagram import render as render_diagram
from lifecycle.diagram import to_dot, to_mermaid
from lifecycle.eligibility import (
    CLOSED_RECORD_BLOCKS,
    DEFAULT_MINIMUM_LEVELS,
    DEFAULT_POLICY,
    ConsentModel,
    Decision,
    MessageKind,
    Policy,
    Reason,
    ReasonCode,
    can_send,
)
from lifecycle.errors import (
    DiagramError,
    FieldAssignmentError,
    FieldTypeError,
    InvalidDefinition,
    InvalidFieldError,
    InvalidStatusError,
    LeadflowError,
    MergeError,
    Problem,
    ReadOnlyRecordError,
    TransitionNotAllowed,
    UnknownRecordError,
    UnknownTriggerError,
)
from lifecycle.machines import (
    BatchPlan,
    BatchResult,
    Guard,
    HistoryEvent,
    Lifecycle,
    MachineDefinition,
    Prepared,
    Transitioned,
    TransitionSpec,
    validate_definition,
)
from lifecycle.operations import MergeResult, merge
from lifecycle.optouts import (
    SOFT_BOUNCE_LIMIT,
    OptOutEvent,
    OptOutKind,
    OptOutLedger,
    OptOutOutcome,
)
from lifecycle.records import Account, Contact, Lead, QualifyResult, Record
from lifecycle.states import (
    AccountState,
    AccountStatus,
    ContactState,
    ContactStatus,
    LeadState,
    LeadStatus,
    statuses_of,
)
from lifecycle.suppression import (
    HARD_BOUNCE_DAYS,
    Suppression,
    SuppressionList,
    SuppressionReason,
    email_key,
)

__all__ = [
    "ACCOUNT_LIFECYCLE",
    "ACCOUNT_MACHINE",
    "CLOSED_RECORD_BLOCKS",
    "CONTACT_LIFECYCLE",
    "CONTACT_MACHINE",
    "DEFAULT_MINIMUM_LEVELS",
    "DEFAULT_POLICY",
    "HARD_BOUNCE_DAYS",
    "LEAD_LIFECYCLE",
    "LEAD_MACHINE",
    "MACHINES",
    "SOFT_BOUNCE_LIMIT",
    "Account",
    "AccountState",
    "AccountStatus",
    "Audience",
    "BatchPlan",
    "BatchResult",
    "Channel",
    "Clock",
    "ConsentLevel",
    "ConsentModel",
    "ConsentStatus",
    "ConsentSummary",
    "ConsentValue",
    "Contact",
    "ContactPointConsent",
    "ContactPointLedger",
    "ContactState",
    "ContactStatus",
    "DataConsent",
    "Decision",
    "DiagramError",
    "DynamicSegment",
    "Enforcement",
    "ExpiringConsent",
    "ExpiryReport",
    "FieldAssignmentError",
    "FieldTypeError",
    "FixedClock",
    "FrameResult",
    "GdprConsent",
    "Guard",
    "HistoryEvent",
    "InvalidDefinition",
    "InvalidFieldError",
    "InvalidStatusError",
    "Lead",
    "LeadState",
    "LeadStatus",
    "LeadflowError",
    "Lifecycle",
    "ListConsentGap",
    "MachineDefinition",
    "MergeError",
    "MergeResult",
    "MessageKind",
    "OptOutEvent",
    "OptOutKind",
    "OptOutLedger",
    "OptOutOutcome",
    "Policy",
    "Prepared",
    "Problem",
    "QualifyResult",
    "ReadOnlyRecordError",
    "Reason",
    "ReasonCode",
    "Record",
    "StaticList",
    "Suppression",
    "SuppressionList",
    "SuppressionReason",
    "TransitionNotAllowed",
    "TransitionSpec",
    "Transitioned",
    "UnknownRecordError",
    "UnknownTriggerError",
    "audience",
    "can_send",
    "consent_columns",
    "consent_summary",
    "decide_frame",
    "eligibility_frame",
    "email_key",
    "expire_consents",
    "expiring_consents",
    "export_diagram",
    "fire_frame",
    "lists_without_consent",
    "merge",
    "missing_consent",
    "render_diagram",
    "statuses_of",
    "system_clock",
    "to_dot",
    "to_mermaid",
    "validate_definition",
]


_LAZY = {
    "fire_frame": "lifecycle.batch",
    "FrameResult": "lifecycle.batch",
    "eligibility_frame": "lifecycle.columnar",
    "decide_frame": "lifecycle.columnar",
    "consent_columns": "lifecycle.columnar",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'lifecycle' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
