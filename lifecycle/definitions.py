"""The lead, contact and account machines (decisions D4-D6), wired to the records.

Each definition is data: states, statuses, transitions with named guards. One
:class:`~lifecycle.machines.Lifecycle` per record type is built here, once, and
every record of that type fires its triggers through it.
"""

from __future__ import annotations

from typing import Any

from lifecycle.machines import Guard, Lifecycle, MachineDefinition, Params, TransitionSpec
from lifecycle.operations import (
    prepare_absorb,
    prepare_anonymize,
    prepare_merge_into,
    prepare_qualify,
)
from lifecycle.records import Account, Contact, Lead
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


def _no_opportunity(record: Any, params: Params) -> str | None:
    if record.qualifyingopportunityid is not None:
        return f"opportunity {record.qualifyingopportunityid} is linked to this lead"
    return None


def _not_anonymized(record: Any, params: Params) -> str | None:
    return "the record was anonymized, which cannot be undone" if record.anonymized else None


NO_OPPORTUNITY = Guard(
    "no opportunity",
    "no opportunity is linked to the lead",
    _no_opportunity,
    reads=("qualifyingopportunityid",),
)
NOT_ANONYMIZED = Guard(
    "not anonymized", "the record was never anonymized", _not_anonymized, reads=("anonymized",)
)

_QUALIFY_PARAMS = frozenset(
    {"contact", "account", "create_contact", "create_account", "create_opportunity"}
)

LEAD_MACHINE = MachineDefinition(
    name="lead",
    states=LeadState,
    statuses=LeadStatus,
    initial=LeadState.OPEN,
    finals=frozenset({LeadState.DELETED}),
    transitions=(
        TransitionSpec(
            "mark_contacted",
            (LeadState.OPEN,),
            LeadState.OPEN,
            status=LeadStatus.CONTACTED,
            text="someone reached the lead",
        ),
        TransitionSpec(
            "qualify",
            (LeadState.OPEN,),
            LeadState.QUALIFIED,
            status=LeadStatus.QUALIFIED,
            params=_QUALIFY_PARAMS,
            effect=prepare_qualify,
            text="QualifyLead: create or link contact, account, opportunity",
        ),
        TransitionSpec(
            "disqualify",
            (LeadState.OPEN,),
            LeadState.DISQUALIFIED,
            status_choices=(
                LeadStatus.LOST,
                LeadStatus.CANNOT_CONTACT,
                LeadStatus.NO_LONGER_INTERESTED,
                LeadStatus.CANCELED,
            ),
            guards=(NO_OPPORTUNITY,),
            params=frozenset({"status_reason"}),
            text="close as Lost, Cannot Contact, No Longer Interested or Canceled",
        ),
        TransitionSpec(
            "reactivate",
            (LeadState.QUALIFIED, LeadState.DISQUALIFIED),
            LeadState.OPEN,
            status=LeadStatus.NEW,
            guards=(NOT_ANONYMIZED,),
            text="back to Open/New",
        ),
        TransitionSpec(
            "absorb",
            (LeadState.OPEN,),
            LeadState.OPEN,
            params=frozenset({"subordinate", "take"}),
            required=frozenset({"subordinate"}),
            effect=prepare_absorb,
            text="master of a merge",
        ),
        TransitionSpec(
            "merge_into",
            (LeadState.OPEN,),
            LeadState.DISQUALIFIED,
            status=LeadStatus.CANCELED,
            guards=(NO_OPPORTUNITY,),
            params=frozenset({"master"}),
            required=frozenset({"master"}),
            effect=prepare_merge_into,
            text="subordinate of a merge",
        ),
        TransitionSpec(
            "anonymize",
            (LeadState.OPEN,),
            LeadState.DISQUALIFIED,
            status=LeadStatus.CANCELED,
            guards=(NOT_ANONYMIZED,),
            effect=prepare_anonymize,
            text="erase personal data",
        ),
        TransitionSpec(
            "anonymize",
            (LeadState.QUALIFIED,),
            LeadState.QUALIFIED,
            guards=(NOT_ANONYMIZED,),
            effect=prepare_anonymize,
            text="erase personal data",
        ),
        TransitionSpec(
            "anonymize",
            (LeadState.DISQUALIFIED,),
            LeadState.DISQUALIFIED,
            guards=(NOT_ANONYMIZED,),
            effect=prepare_anonymize,
            text="erase personal data",
        ),
        TransitionSpec(
            "delete",
            (LeadState.OPEN, LeadState.QUALIFIED, LeadState.DISQUALIFIED),
            LeadState.DELETED,
            text="permanent",
        ),
    ),
)


def _active_inactive(
    name: str, states: type[CodedState], statuses: type[CodedStatus]
) -> MachineDefinition:
    active, inactive, deleted = (states.named(n) for n in ("active", "inactive", "deleted"))
    return MachineDefinition(
        name=name,
        states=states,
        statuses=statuses,
        initial=active,
        finals=frozenset({deleted}),
        transitions=(
            TransitionSpec("deactivate", (active,), inactive, text="read-only, out of bulk email"),
            TransitionSpec("activate", (inactive,), active, guards=(NOT_ANONYMIZED,)),
            TransitionSpec(
                "absorb",
                (active,),
                active,
                params=frozenset({"subordinate", "take"}),
                required=frozenset({"subordinate"}),
                effect=prepare_absorb,
                text="master of a merge",
            ),
            TransitionSpec(
                "merge_into",
                (active,),
                inactive,
                params=frozenset({"master"}),
                required=frozenset({"master"}),
                effect=prepare_merge_into,
                text="subordinate of a merge",
            ),
            TransitionSpec(
                "anonymize",
                (active, inactive),
                inactive,
                guards=(NOT_ANONYMIZED,),
                effect=prepare_anonymize,
                text="erase personal data",
            ),
            TransitionSpec("delete", (active, inactive), deleted, text="permanent"),
        ),
    )


CONTACT_MACHINE = _active_inactive("contact", ContactState, ContactStatus)
ACCOUNT_MACHINE = _active_inactive("account", AccountState, AccountStatus)

LEAD_LIFECYCLE = Lifecycle(LEAD_MACHINE)
CONTACT_LIFECYCLE = Lifecycle(CONTACT_MACHINE)
ACCOUNT_LIFECYCLE = Lifecycle(ACCOUNT_MACHINE)

Lead._lifecycle = LEAD_LIFECYCLE
Contact._lifecycle = CONTACT_LIFECYCLE
Account._lifecycle = ACCOUNT_LIFECYCLE

MACHINES: dict[str, MachineDefinition] = {
    "lead": LEAD_MACHINE,
    "contact": CONTACT_MACHINE,
    "account": ACCOUNT_MACHINE,
}
"""Every machine definition by record type name, for diagrams and tooling."""
