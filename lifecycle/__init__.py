"""leadflow's domain core: records, their state machines, consents and diagrams; no I/O.

``fire_frame`` and ``FrameResult`` (the DataFrame batch path) load pandas, so they
are imported on first use rather than with the package.
"""

from lifecycle.clock import Clock, FixedClock, system_clock
from lifecycle.consent import ConsentLevel, ConsentStatus, DataConsent
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
from lifecycle.records import Account, Contact, Lead, QualifyResult, Record
from lifecycle.states import (
    AccountState,
    AccountStatus,
    ContactState,
    ContactStatus,
    LeadState,
    LeadStatus,
)

__all__ = [
    "ACCOUNT_LIFECYCLE",
    "ACCOUNT_MACHINE",
    "CONTACT_LIFECYCLE",
    "CONTACT_MACHINE",
    "LEAD_LIFECYCLE",
    "LEAD_MACHINE",
    "MACHINES",
    "Account",
    "AccountState",
    "AccountStatus",
    "BatchResult",
    "Clock",
    "ConsentLevel",
    "ConsentStatus",
    "Contact",
    "ContactState",
    "ContactStatus",
    "DataConsent",
    "DiagramError",
    "FieldAssignmentError",
    "FieldTypeError",
    "FixedClock",
    "FrameResult",
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
    "Prepared",
    "QualifyResult",
    "ReadOnlyRecordError",
    "Record",
    "TransitionNotAllowed",
    "TransitionSpec",
    "Transitioned",
    "UnknownTriggerError",
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
