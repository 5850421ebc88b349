"""leadflow's domain core: records, their state machines, consents and diagrams; no I/O.

``fire_frame`` and ``FrameResult`` (the DataFrame batch path) load pandas, so they
are imported on first use rather than with the package.
"""

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
    ReadOnlyRecordError,
    TransitionNotAllowed,
    UnknownRecordError,
    UnknownTriggerError,
)
from lifecycle.machines import (
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
    "CONTACT_LIFECYCLE",
    "CONTACT_MACHINE",
    "DEFAULT_POLICY",
    "HARD_BOUNCE_DAYS",
    "LEAD_LIFECYCLE",
    "LEAD_MACHINE",
    "MACHINES",
    "SOFT_BOUNCE_LIMIT",
    "Account",
    "AccountState",
    "AccountStatus",
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
    "Enforcement",
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
    "QualifyResult",
    "ReadOnlyRecordError",
    "Reason",
    "ReasonCode",
    "Record",
    "Suppression",
    "SuppressionList",
    "SuppressionReason",
    "TransitionNotAllowed",
    "TransitionSpec",
    "Transitioned",
    "UnknownRecordError",
    "UnknownTriggerError",
    "can_send",
    "consent_summary",
    "email_key",
    "expire_consents",
    "export_diagram",
    "fire_frame",
    "merge",
    "render_diagram",
    "system_clock",
    "to_dot",
    "to_mermaid",
    "validate_definition",
]


def __getattr__(name: str) -> object:
    if name in ("fire_frame", "FrameResult"):
        from lifecycle import batch

        return getattr(batch, name)
    raise AttributeError(f"module 'lifecycle' has no attribute {name!r}")
