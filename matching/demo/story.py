"""The demo's story: a small CRM driven through its lifecycles, on a fixed clock.

The story is a healthcare company that sells to clinics and also sells books and
continuing-education courses. Its staff used to park people in bucket accounts
("Retired Do Not Market") and blank their email addresses instead of using the
CRM's own transitions. The demo does it the leadflow way: leads are contacted,
qualified, disqualified with a reason and reactivated; duplicate contacts are
merged; a retired contact is deactivated and the bucket account retired; a
contact who asked to be forgotten is anonymized. What leadflow refuses (a
disqualify while an opportunity is linked, a trigger the state does not have, an
edit of a read-only record) is shown with its reason. Finally it asks
:func:`~lifecycle.can_send` whether marketing would still email the deactivated
contact, the disqualified lead, the anonymized contact and an active contact
with Marketing consent.

:func:`run_scenario` is pure (records in memory, explicit timestamps, readable
ids), so its output is the same on every run.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import attrs

from lifecycle import (
    Account,
    ConsentLevel,
    Contact,
    DataConsent,
    Decision,
    Lead,
    LeadflowError,
    LeadStatus,
    MessageKind,
    QualifyResult,
    ReadOnlyRecordError,
    Record,
    TransitionNotAllowed,
    can_send,
    merge,
)

START = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
"""When the demo's story begins; every step is an offset from it."""

_R = TypeVar("_R", bound=Record)


@attrs.frozen
class Step:
    """One thing the demo did to a record: what it tried, and what came of it."""

    at: dt.datetime
    record: str
    action: str
    outcome: str
    refused: bool = False


SHOWN_KINDS = (
    MessageKind.COMMERCIAL,
    MessageKind.TRANSACTIONAL,
    MessageKind.MANUAL,
    MessageKind.MARKETING_MATERIALS,
)
"""The message kinds the "Will marketing still email them?" table asks about."""


@attrs.frozen
class Eligibility:
    """What :func:`~lifecycle.can_send` answered for one record, for each of ``SHOWN_KINDS``."""

    record: str
    situation: str
    decisions: tuple[Decision, ...]


@attrs.frozen
class DemoRun:
    """The records after the story, every step, and the lead whose history is shown."""

    records: tuple[Record, ...]
    steps: tuple[Step, ...]
    featured: Lead
    names: Mapping[str, str]
    eligibility: tuple[Eligibility, ...] = ()
    """Who marketing would still reach once the story is over (asked at ``CHECKED_AT``)."""

    @property
    def refusals(self) -> tuple[Step, ...]:
        """The steps leadflow refused, in order."""
        return tuple(s for s in self.steps if s.refused)

    def name(self, record_id: str | None) -> str:
        """A record's display name, from its id."""
        if record_id is None:
            return ""
        return self.names.get(record_id, record_id)


@attrs.frozen
class DiagramFiles:
    """The diagram files written, and why SVGs were skipped, if they were."""

    paths: tuple[Path, ...]
    skipped: str | None = None


def _at(day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return START + dt.timedelta(days=day, hours=hour - 9, minutes=minute)


CHECKED_AT = _at(36)
"""When the demo asks who marketing would still reach: after the story's last step."""


def _marketing_consent(person: str) -> list[DataConsent]:
    """One explicit Marketing (level 4) consent, given when the story begins."""
    return [
        DataConsent(
            id=f"consent-{person}",
            level=ConsentLevel.MARKETING,
            given_on=START,
            policy="Newsletter and offers",
        )
    ]


def where(record: Record) -> str:
    """A record's state and status, e.g. ``Open/Contacted``; ``Inactive`` when they match."""
    return state_and_status(record.state.label, record.status.label)


def state_and_status(state: str, status: str) -> str:
    return state if state == status else f"{state}/{status}"


def _why(err: LeadflowError) -> str:
    if isinstance(err, TransitionNotAllowed):
        return "; ".join(err.reasons) or f"{err.state} has no {err.trigger!r} transition"
    if isinstance(err, ReadOnlyRecordError):
        return err.why
    return str(err)


class _Crm:
    """The records of the story, their display names, and a log of every step."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.names: dict[str, str] = {}
        self.steps: list[Step] = []

    def add(self, record: _R, name: str) -> _R:
        self.records.append(record)
        self.names[record.id] = name
        return record

    def name(self, record: Record) -> str:
        return self.names.get(record.id, record.id)

    def readable(self, text: str) -> str:
        """``text`` with every known record id replaced by the record's name."""
        if not self.names:
            return text
        pattern = "|".join(re.escape(i) for i in sorted(self.names, key=len, reverse=True))
        return re.sub(pattern, lambda m: self.names[m.group(0)], text)

    def act(
        self,
        at: dt.datetime,
        record: Record,
        action: str,
        do: Callable[[dt.datetime], Any],
        describe: Callable[[Any], str] | None = None,
    ) -> Any:
        """Run ``do(at)``; log its outcome, or the refusal and its reason (then return ``None``)."""
        before = where(record)
        try:
            result = do(at)
        except LeadflowError as err:
            self.steps.append(
                Step(at, self.name(record), action, self.readable(_why(err)), refused=True)
            )
            return None
        outcome = describe(result) if describe else f"{before} → {where(record)}"
        self.steps.append(Step(at, self.name(record), action, self.readable(outcome)))
        return result


def run_scenario() -> DemoRun:
    """Build the small CRM and drive its records through their lifecycles."""
    crm = _Crm()

    # Accounts: a real customer, and a bucket account staff used instead of deactivating.
    contoso = crm.add(
        Account(id="acc-contoso", name="Contoso Clinics", createdon=START), "Contoso Clinics"
    )
    retired = crm.add(
        Account(id="acc-retired", name="Retired Do Not Market", createdon=START),
        "Retired Do Not Market",
    )

    # Contacts.
    harold = crm.add(
        Contact(
            id="con-harold",
            firstname="Harold",
            lastname="Finch",
            emailaddress1="h.finch@contoso.example",
            address1_line1="12 Harbour Road",
            parentcustomerid=retired.id,
            consents=_marketing_consent("harold"),
            createdon=START,
        ),
        "Harold Finch",
    )
    ana = crm.add(
        Contact(
            id="con-ana",
            firstname="Ana",
            lastname="Ruiz",
            emailaddress1="ana.ruiz@contoso.example",
            address1_line1="40 Clinic Way",
            parentcustomerid=contoso.id,
            consents=_marketing_consent("ana"),
            createdon=START,
        ),
        "Ana Ruiz",
    )
    ana_again = crm.add(
        Contact(
            id="con-ana-2",
            firstname="Ana",
            lastname="Ruiz",
            emailaddress1="Ana.Ruiz@contoso.example",
            telephone1="+1 555 0100",
            jobtitle="Practice manager",
            createdon=START,
        ),
        "Ana Ruiz (dup)",
    )
    greta = crm.add(
        Contact(
            id="con-greta",
            firstname="Greta",
            lastname="Olsen",
            emailaddress1="greta.olsen@example.net",
            address1_line1="7 Fjord Lane",
            consents=_marketing_consent("greta"),
            createdon=START,
        ),
        "Greta Olsen",
    )

    # Leads.
    priya = crm.add(
        Lead(
            id="lead-priya",
            firstname="Priya",
            lastname="Shah",
            companyname="Fabrikam Dental",
            emailaddress1="priya@fabrikam.example",
            subject="Practice software for 4 clinics",
            createdon=START,
        ),
        "Priya Shah",
    )
    tom = crm.add(
        Lead(
            id="lead-tom",
            firstname="Tom",
            lastname="Baker",
            emailaddress1="tom.baker@example.org",
            createdon=START,
        ),
        "Tom Baker",
    )
    bea = crm.add(
        Lead(
            id="lead-bea",
            firstname="Bea",
            lastname="Kim",
            emailaddress1="bea.kim@example.net",
            address1_line1="3 Elm Street",
            telephone1="+1 555 0199",
            consents=_marketing_consent("bea"),
            createdon=START,
        ),
        "Bea Kim",
    )
    webinar = crm.add(
        Lead(
            id="lead-webinar",
            firstname="Ana",
            lastname="Ruiz",
            subject="Webinar: infection control CE credits",
            parentcontactid=ana_again.id,
            createdon=START,
        ),
        "Ana Ruiz (webinar)",
    )

    # Priya: contacted, then qualified into a contact, an account and an opportunity.
    crm.act(
        _at(0, 10),
        priya,
        "mark_contacted",
        lambda at: priya.mark_contacted(at=at, actor="sales"),
    )

    qualified: list[QualifyResult] = []

    def qualify_priya(at: dt.datetime) -> QualifyResult:
        result = priya.qualify(
            create_contact=True,
            create_account=True,
            create_opportunity=True,
            at=at,
            actor="sales",
        )
        if result.contact is not None:
            crm.add(result.contact, "Priya Shah")
        if result.account is not None:
            crm.add(result.account, result.account.name or "Fabrikam Dental")
        if result.opportunity_id is not None:
            crm.names[result.opportunity_id] = "OPP-0001"
        qualified.append(result)
        return result

    crm.act(
        _at(2, 14),
        priya,
        "qualify",
        qualify_priya,
        lambda r: f"Open/Contacted → {where(priya)}, created {', '.join(r.created)}",
    )

    # Tom: no longer interested, then back a month later for a CE course.
    crm.act(
        _at(3),
        tom,
        "disqualify: No Longer Interested",
        lambda at: tom.disqualify(LeadStatus.NO_LONGER_INTERESTED, at=at, actor="sales"),
    )

    # Bea: never reachable; then someone tries to log a call on the closed lead.
    crm.act(
        _at(4),
        bea,
        "disqualify: Cannot Contact",
        lambda at: bea.disqualify(LeadStatus.CANNOT_CONTACT, at=at, actor="sales"),
    )
    crm.act(_at(5), bea, "mark_contacted", lambda at: bea.mark_contacted(at=at))

    # Sales reopens Priya's lead; marketing then tries to close it as Lost.
    crm.act(
        _at(6),
        priya,
        "reactivate",
        lambda at: priya.reactivate(at=at, actor="sales", note="pricing questions reopened"),
    )
    crm.act(
        _at(6, 15),
        priya,
        "disqualify: Lost",
        lambda at: priya.disqualify(LeadStatus.LOST, at=at, actor="marketing"),
    )
    crm.act(
        _at(7),
        priya,
        "qualify (link existing)",
        lambda at: priya.qualify(
            contact=qualified[0].contact,
            account=qualified[0].account,
            at=at,
            actor="sales",
        ),
    )

    # Duplicate contacts: the master keeps its values and fills its blanks (D4).
    crm.act(
        _at(8),
        ana_again,
        "merge into Ana Ruiz",
        lambda at: merge(ana, ana_again, children=[webinar], at=at, actor="data steward"),
        lambda m: (
            f"Active → {where(ana_again)}; master took {', '.join(m.fields_taken) or 'nothing'} "
            f"and {len(m.children_moved)} lead"
        ),
    )

    # The "Retired Do Not Market" bucket, replaced by real transitions (D7).
    crm.act(
        _at(9),
        harold,
        "deactivate",
        lambda at: harold.deactivate(at=at, note="retired; was parked in 'Retired Do Not Market'"),
    )
    crm.act(
        _at(9, 9, 30),
        harold,
        "blank its email",
        lambda at: harold.update(emailaddress1=None, at=at),
    )
    crm.act(
        _at(9, 10),
        retired,
        "deactivate",
        lambda at: retired.deactivate(at=at, note="bucket account retired"),
    )

    # Greta asks to be forgotten; anonymizing cannot be undone.
    def forget_greta(at: dt.datetime) -> Any:
        event = greta.anonymize(at=at, actor="privacy officer")
        crm.names[greta.id] = "(anonymized)"
        return event

    crm.act(_at(10), greta, "anonymize", forget_greta)
    crm.act(_at(11), greta, "activate", lambda at: greta.activate(at=at))

    # Tom comes back: he signed up for a continuing-education course.
    crm.act(
        _at(34),
        tom,
        "reactivate",
        lambda at: tom.reactivate(at=at, note="signed up for a CE course"),
    )
    crm.act(_at(35), tom, "mark_contacted", lambda at: tom.mark_contacted(at=at))

    # Will marketing still email them? Asked of the records the story closed, and of Ana,
    # who is active and gave Marketing consent.
    eligibility = tuple(
        Eligibility(
            crm.name(record),
            where(record) + (", anonymized" if record.anonymized else ""),
            tuple(can_send(record, kind, at=CHECKED_AT) for kind in SHOWN_KINDS),
        )
        for record in (harold, bea, greta, ana)
    )

    return DemoRun(tuple(crm.records), tuple(crm.steps), priya, dict(crm.names), eligibility)


SUBMITTED_AT = CHECKED_AT + dt.timedelta(days=1)
"""When the demo's form submissions start arriving (an hour apart)."""
