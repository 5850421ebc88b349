"""The form-submission handler on real scenarios, on SQLite and PostgreSQL (issue 5).

Scenario tables cover every mode (contacts and leads, only leads, only contacts,
leads without matching) and, for contacts and for leads, 0 matches (create), 1
(update, linked), several (the most recently modified wins, the rest are probable
duplicates, D3), closed records under each policy (the default never edits them)
and tombstoned addresses (D14: no record created for them; live records still
updated). Further: suppressed
addresses, the interaction credited to both records, consent only ever raised,
email spellings, fuzzy strategies with their scores, rejected submissions (nothing
written), the policy as data, and the constructor's refusals.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecycle import (
    ConsentLevel,
    Contact,
    ContactState,
    DataConsent,
    InvalidFieldError,
    Lead,
    LeadflowError,
    LeadState,
    LeadStatus,
    Suppression,
    SuppressionReason,
    merge,
)
from lifecycle.consent import consent_summary
from lifecycle.errors import FieldTypeError
from matching import (
    CONTACT_BY_EMAIL,
    CONTACT_FUZZY,
    LEAD_BY_EMAIL,
    LEAD_BY_EMAIL_AND_PAGE,
    LEAD_FUZZY,
    ContactAction,
    LeadAction,
    MatchStrategy,
    Mode,
    OnClosedContact,
    OnClosedLead,
    OnTombstoned,
    SubmissionHandler,
    SubmissionOutcome,
    SubmissionPolicy,
    SubmissionRejected,
    normalize,
)
from matching.protocols import RecordStore
from matching.store import Store, Transaction, schema
from matching.store.engine import READ_ONLY
from matching.submissions import Submission

UTC = dt.UTC
T1 = dt.datetime(2026, 2, 1, 9, tzinfo=UTC)
T2 = dt.datetime(2026, 2, 2, 9, tzinfo=UTC)
T3 = dt.datetime(2026, 2, 3, 9, tzinfo=UTC)
AT = dt.datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
"""When the scenarios' submissions arrive: after everything the store holds."""

STORED_EMAIL = "dana.reyes@example.com"
FORM_ID = "spring-webinar-form"
PAGE_A = "5f0c6d2e-8f0b-4f6e-9c1a-1d2e3f4a5b6c"
PAGE_B = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
PAGE = "msdyncrm_marketingpageid"

FORM: dict[str, Any] = {
    "firstname": "Dana",
    "lastname": "Reyes",
    "emailaddress1": "  Dana.Reyes@Example.com ",
    "jobtitle": "Head of Buying",
    "companyname": "Contoso Ltd",
    "subject": "Spring catalogue",
    "msdyncrm_marketingformid": FORM_ID,
    "utm_source": "newsletter",
}
"""Dana's submission from an embedded form (no page id)."""

CONTACT_TAKES = ("firstname", "lastname", "emailaddress1", "jobtitle", "telephone1")
LEAD_TAKES = (*CONTACT_TAKES, "companyname", "subject", "msdyncrm_marketingformid", PAGE)

NEW = "<new>"
"""A record the submission created."""
CONTACT = "<contact>"
"""The contact the outcome names."""


# --- helpers ------------------------------------------------------------------------------


def contents(store: Store) -> dict[str, list[str]]:
    """Every row of every table: "nothing was written" means this did not change."""
    with store.engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        return {
            table.name: sorted(repr(tuple(row)) for row in conn.execute(sa.select(table)))
            for table in schema.metadata.sorted_tables
        }


def interaction_count(store: Store) -> int:
    with store.engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        query = sa.select(sa.func.count()).select_from(schema.interactions)
        return int(conn.execute(query).scalar_one())


def snapshot(store: Store, kind: type[Contact] | type[Lead], record_id: str) -> tuple[Any, ...]:
    """A stored record as a reader sees it: version, fields and consents, history."""
    with store.transaction(readonly=True) as tx:
        return (
            tx.version_of(kind, record_id),
            tx.get(kind, record_id),
            tx.history(kind, record_id),
        )


def version(store: Store, kind: type[Contact] | type[Lead], record_id: str) -> int | None:
    with store.transaction(readonly=True) as tx:
        return tx.version_of(kind, record_id)


def level(record: Contact | Lead) -> ConsentLevel:
    return consent_summary(record, AT).level


SAME_KEY: dict[str, Callable[[object], str | None]] = {
    "emailaddress1": normalize.email,
    "telephone1": normalize.phone,
    "mobilephone": normalize.phone,
}
"""Fields a record keeps in its stored spelling when the form's normalises to the same key."""


def assert_took(record: Contact | Lead, form: Mapping[str, Any]) -> None:
    """``record`` holds the submitted values it takes, trimmed (an address or phone that
    normalises to the same key keeps either spelling), as modified at ``AT``."""
    names = LEAD_TAKES if isinstance(record, Lead) else CONTACT_TAKES
    wanted = {n: v.strip() for n, v in form.items() if n in names and v and v.strip()}

    def seen(name: str) -> object:
        value = getattr(record, name)
        key = SAME_KEY.get(name)
        if key is not None and value != wanted[name] and key(value) == key(wanted[name]):
            return wanted[name]
        return value

    assert {n: seen(n) for n in wanted} == wanted
    assert record.modifiedon == AT


@attrs.frozen
class Seed:
    """A record a scenario starts with: Dana, as a contact or a lead."""

    kind: type[Contact] | type[Lead]
    id: str
    modified: dt.datetime = T1
    email: str = STORED_EMAIL
    parent: str | None = None
    page: str | None = None
    close: str | None = None
    """``inactive`` (contact), ``disqualified`` or ``qualified`` (lead)."""
    deleted: bool = False
    consents: tuple[DataConsent, ...] = ()

    def build(self) -> Contact | Lead:
        fields: dict[str, Any] = {
            "id": self.id,
            "firstname": "Dana",
            "lastname": "Reyes",
            "emailaddress1": self.email,
            "jobtitle": "Buyer",
            "telephone1": "+1 206 555 0100",
            "createdon": self.modified,
            "modifiedon": self.modified,
            "consents": self.consents,
        }
        if self.kind is Contact:
            contact = Contact(**fields)
            if self.close == "inactive":
                contact.deactivate(at=self.modified, note="left the company")
            return contact
        lead = Lead(
            **fields,
            companyname="Contoso",
            parentcontactid=self.parent,
            msdyncrm_marketingpageid=self.page,
        )
        if self.close == "disqualified":
            lead.disqualify(LeadStatus.NO_LONGER_INTERESTED, at=self.modified)
        elif self.close == "qualified":
            lead.qualify(at=self.modified)
        return lead


def contact(record_id: str, **kw: Any) -> Seed:
    return Seed(Contact, record_id, **kw)


def lead(record_id: str, **kw: Any) -> Seed:
    return Seed(Lead, record_id, **kw)


def plant(store: Store, seeds: tuple[Seed, ...]) -> None:
    for seed in seeds:
        store.add(seed.build(), allow_tombstoned=True)
        if seed.deleted:
            store.delete(seed.kind, seed.id, reason="erasure request", at=seed.modified)


def handler_for(store: Store, **policy: Any) -> SubmissionHandler:
    return SubmissionHandler(store, policy=SubmissionPolicy(**policy))


# --- the scenario table ---------------------------------------------------------------------


@attrs.frozen
class Scenario:
    """What the store holds, the form's settings, and what the submission must do."""

    given: tuple[Seed, ...]
    contact: tuple[ContactAction, str | None]
    """The contact action, and the contact: a seed's id, ``NEW`` or ``None``."""
    lead: tuple[LeadAction, str | None]
    parent: str | None = CONTACT
    """The lead's ``parentcontactid`` afterwards: ``CONTACT``, a seed's id or ``None``."""
    via: tuple[str | None, str | None] = (None, None)
    """How the contact and the lead were matched (``MatchInfo.via``); ``None``: no match info."""
    duplicates: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    untouched: tuple[str, ...] = ()
    """Seeds whose stored version, fields and history must not change."""
    states: tuple[tuple[str, Any, Any], ...] = ()
    """``(seed id, state, status)`` afterwards."""
    form: Mapping[str, Any] = attrs.field(factory=dict)
    policy: Mapping[str, Any] = attrs.field(factory=dict)
    lead_strategy: MatchStrategy = LEAD_BY_EMAIL_AND_PAGE


def scenario(id: str, *given: Seed, **kw: Any) -> Any:
    return pytest.param(Scenario(given, **kw), id=id)


CREATED_C = (ContactAction.CREATED, NEW)
CREATED_L = (LeadAction.CREATED, NEW)
ONLY_LEADS = {"mode": Mode.ONLY_LEADS}
ONLY_CONTACTS = {"mode": Mode.ONLY_CONTACTS}
NO_LEAD_MATCHING = {"generate_leads_without_matching": True}

CONTACT_SCENARIOS = [
    scenario(
        "nobody matches: contact and lead created and linked", contact=CREATED_C, lead=CREATED_L
    ),
    scenario(
        "one contact: updated, a new lead linked to it",
        contact("c1"),
        contact=(ContactAction.UPDATED, "c1"),
        lead=CREATED_L,
        via=("lookup", None),
    ),
    scenario(
        "one contact and its lead: both updated",
        contact("c1"),
        lead("l1", parent="c1"),
        contact=(ContactAction.UPDATED, "c1"),
        lead=(LeadAction.UPDATED, "l1"),
        via=("lookup", "child-lead"),
    ),
    scenario(
        "a contact of another address is left alone",
        contact("c1", email="dana@fabrikam.com"),
        contact=CREATED_C,
        lead=CREATED_L,
        untouched=("c1",),
    ),
    scenario(
        "several contacts: the most recently modified wins, the others are reported (D3)",
        contact("c1", modified=T1),
        contact("c2", modified=T3),
        contact("c3", modified=T2),
        contact=(ContactAction.UPDATED, "c2"),
        lead=CREATED_L,
        via=("lookup", None),
        duplicates=("c1", "c3"),
        untouched=("c1", "c3"),
    ),
    scenario(
        "inactive contact, default: linked, not edited",
        contact("c1", close="inactive"),
        contact=(ContactAction.MATCHED_CLOSED, "c1"),
        lead=CREATED_L,
        via=("lookup", None),
        codes=("contact-closed",),
        untouched=("c1",),
    ),
    scenario(
        "inactive contact, link: its open lead is updated",
        contact("c1", close="inactive"),
        lead("l1", parent="c1"),
        contact=(ContactAction.MATCHED_CLOSED, "c1"),
        lead=(LeadAction.UPDATED, "l1"),
        via=("lookup", "child-lead"),
        codes=("contact-closed",),
        untouched=("c1",),
        policy={"on_closed_contact": OnClosedContact.LINK},
    ),
    scenario(
        "inactive contact, reactivate: activated and updated",
        contact("c1", close="inactive"),
        contact=(ContactAction.UPDATED, "c1"),
        lead=CREATED_L,
        via=("lookup", None),
        codes=("contact-reactivated",),
        states=(("c1", ContactState.ACTIVE, None),),
        policy={"on_closed_contact": OnClosedContact.REACTIVATE},
    ),
    scenario(
        "inactive contact, new contact: a second contact is created",
        contact("c1", close="inactive"),
        contact=CREATED_C,
        lead=CREATED_L,
        codes=("contact-closed",),
        untouched=("c1",),
        policy={"on_closed_contact": OnClosedContact.NEW_CONTACT},
    ),
]

LEAD_SCENARIOS = [
    scenario(
        "a lead without a contact: a contact is created and the lead linked to it",
        lead("l1"),
        contact=CREATED_C,
        lead=(LeadAction.UPDATED, "l1"),
        via=(None, "lookup"),
    ),
    scenario(
        "a lead without a parent is linked to the matched contact",
        contact("c1"),
        lead("l1"),
        contact=(ContactAction.UPDATED, "c1"),
        lead=(LeadAction.UPDATED, "l1"),
        via=("lookup", "lookup"),
    ),
    scenario(
        "a lead linked to another contact is relinked to the matched one, with a warning",
        contact("c1"),
        contact("x1", email="dana@fabrikam.com"),
        lead("l1", parent="x1"),
        contact=(ContactAction.UPDATED, "c1"),
        lead=(LeadAction.UPDATED, "l1"),
        via=("lookup", "lookup"),
        codes=("lead-relinked",),
        untouched=("x1",),
    ),
    scenario(
        "the contact's child lead is preferred to a more recent lead (which is reported, D3)",
        contact("c1"),
        lead("l1", parent="c1", modified=T1),
        lead("l2", modified=T3),
        contact=(ContactAction.UPDATED, "c1"),
        lead=(LeadAction.UPDATED, "l1"),
        via=("lookup", "child-lead"),
        duplicates=("l2",),
        untouched=("l2",),
    ),
    scenario(
        "several child leads: the most recently modified wins, the other is reported (D3)",
        contact("c1"),
        lead("l1", parent="c1", modified=T1),
        lead("l2", parent="c1", modified=T2),
        contact=(ContactAction.UPDATED, "c1"),
        lead=(LeadAction.UPDATED, "l2"),
        via=("lookup", "child-lead"),
        duplicates=("l1",),
        untouched=("l1",),
    ),
    scenario(
        "several leads and no contact: the most recently modified wins (D3)",
        lead("l1", modified=T3),
        lead("l2", modified=T1),
        contact=CREATED_C,
        lead=(LeadAction.UPDATED, "l1"),
        via=(None, "lookup"),
        duplicates=("l2",),
        untouched=("l2",),
    ),
    scenario(
        "a lead from another page is not matched (D2)",
        contact("c1"),
        lead("l1", parent="c1", page=PAGE_A),
        contact=(ContactAction.UPDATED, "c1"),
        lead=CREATED_L,
        via=("lookup", None),
        untouched=("l1",),
        form={PAGE: PAGE_B},
    ),
    scenario(
        "a page id never matches an embedded form's missing page id",
        contact("c1"),
        lead("l1", parent="c1"),
        contact=(ContactAction.UPDATED, "c1"),
        lead=CREATED_L,
        via=("lookup", None),
        untouched=("l1",),
        form={PAGE: PAGE_A},
    ),
    scenario(
        "the same page id matches however the GUID is written",
        contact("c1"),
        lead("l1", parent="c1", page=PAGE_A),
        contact=(ContactAction.UPDATED, "c1"),
        lead=(LeadAction.UPDATED, "l1"),
        via=("lookup", "child-lead"),
        form={PAGE: "{" + PAGE_A.upper() + "}"},
    ),
    scenario(
        "lead by email: a lead from another page matches",
        contact("c1"),
        lead("l1", parent="c1", page=PAGE_A),
        contact=(ContactAction.UPDATED, "c1"),
        lead=(LeadAction.UPDATED, "l1"),
        via=("lookup", "child-lead"),
        form={PAGE: PAGE_B},
        lead_strategy=LEAD_BY_EMAIL,
    ),
    scenario(
        "disqualified lead, default: a new lead, the closed one left as it is",
        contact("c1"),
        lead("l1", parent="c1", close="disqualified"),
        contact=(ContactAction.UPDATED, "c1"),
        lead=CREATED_L,
        via=("lookup", None),
        codes=("lead-closed",),
        untouched=("l1",),
    ),
    scenario(
        "qualified lead, default: a new lead, the closed one left as it is",
        contact("c1"),
        lead("l1", parent="c1", close="qualified"),
        contact=(ContactAction.UPDATED, "c1"),
        lead=CREATED_L,
        via=("lookup", None),
        codes=("lead-closed",),
        untouched=("l1",),
    ),
    scenario(
        "disqualified lead without a contact, default: a new lead for the new contact",
        lead("l1", close="disqualified"),
        contact=CREATED_C,
        lead=CREATED_L,
        codes=("lead-closed",),
        untouched=("l1",),
        policy={"on_closed_lead": OnClosedLead.NEW_LEAD},
    ),
    scenario(
        "disqualified lead, reactivate: back to Open/New (D5) and updated",
        contact("c1"),
        lead("l1", parent="c1", close="disqualified"),
        contact=(ContactAction.UPDATED, "c1"),
        lead=(LeadAction.UPDATED, "l1"),
        via=("lookup", "child-lead"),
        codes=("lead-reactivated",),
        states=(("l1", LeadState.OPEN, LeadStatus.NEW),),
        policy={"on_closed_lead": OnClosedLead.REACTIVATE},
    ),
    scenario(
        "qualified lead, reactivate: back to Open/New (D5) and updated",
        contact("c1"),
        lead("l1", parent="c1", close="qualified"),
        contact=(ContactAction.UPDATED, "c1"),
        lead=(LeadAction.UPDATED, "l1"),
        via=("lookup", "child-lead"),
        codes=("lead-reactivated",),
        states=(("l1", LeadState.OPEN, LeadStatus.NEW),),
        policy={"on_closed_lead": OnClosedLead.REACTIVATE},
    ),
    scenario(
        "disqualified lead, block: no lead, the contact still updated",
        contact("c1"),
        lead("l1", parent="c1", close="disqualified"),
        contact=(ContactAction.UPDATED, "c1"),
        lead=(LeadAction.BLOCKED, None),
        via=("lookup", "child-lead"),
        codes=("lead-closed",),
        untouched=("l1",),
        policy={"on_closed_lead": OnClosedLead.BLOCK},
    ),
    scenario(
        "qualified lead, block: no lead, the contact still updated",
        contact("c1"),
        lead("l1", parent="c1", close="qualified"),
        contact=(ContactAction.UPDATED, "c1"),
        lead=(LeadAction.BLOCKED, None),
        via=("lookup", "child-lead"),
        codes=("lead-closed",),
        untouched=("l1",),
        policy={"on_closed_lead": OnClosedLead.BLOCK},
    ),
]

MODE_SCENARIOS = [
    scenario(
        "only leads, nobody matches: a lead without a parent",
        contact=(ContactAction.NONE, None),
        lead=CREATED_L,
        parent=None,
        policy=ONLY_LEADS,
    ),
    scenario(
        "only leads: the contact is ignored, the orphan lead stays unlinked",
        contact("c1"),
        lead("l1"),
        contact=(ContactAction.NONE, None),
        lead=(LeadAction.UPDATED, "l1"),
        parent=None,
        via=(None, "lookup"),
        untouched=("c1",),
        policy=ONLY_LEADS,
    ),
    scenario(
        "only leads: an existing lead keeps its parent",
        contact("c1"),
        lead("l1", parent="c1"),
        contact=(ContactAction.NONE, None),
        lead=(LeadAction.UPDATED, "l1"),
        parent="c1",
        via=(None, "lookup"),
        untouched=("c1",),
        policy=ONLY_LEADS,
    ),
    scenario(
        "only leads, disqualified lead, default: a new lead without a parent",
        lead("l1", close="disqualified"),
        contact=(ContactAction.NONE, None),
        lead=CREATED_L,
        parent=None,
        codes=("lead-closed",),
        untouched=("l1",),
        policy=ONLY_LEADS,
    ),
    scenario(
        "only contacts, nobody matches: a contact and no lead",
        contact=CREATED_C,
        lead=(LeadAction.NONE, None),
        policy=ONLY_CONTACTS,
    ),
    scenario(
        "only contacts: the contact updated, its lead left alone",
        contact("c1"),
        lead("l1", parent="c1"),
        contact=(ContactAction.UPDATED, "c1"),
        lead=(LeadAction.NONE, None),
        via=("lookup", None),
        untouched=("l1",),
        policy=ONLY_CONTACTS,
    ),
    scenario(
        "leads without matching: a new lead beside the contact's lead",
        contact("c1"),
        lead("l1", parent="c1"),
        contact=(ContactAction.UPDATED, "c1"),
        lead=CREATED_L,
        via=("lookup", None),
        untouched=("l1",),
        policy=NO_LEAD_MATCHING,
    ),
    scenario(
        "leads without matching, nobody matches",
        contact=CREATED_C,
        lead=CREATED_L,
        policy=NO_LEAD_MATCHING,
    ),
    scenario(
        "only leads without matching: a new unlinked lead",
        lead("l1"),
        contact=(ContactAction.NONE, None),
        lead=CREATED_L,
        parent=None,
        untouched=("l1",),
        policy={**ONLY_LEADS, **NO_LEAD_MATCHING},
    ),
]

BLOCKED = {"contact": (ContactAction.BLOCKED, None), "lead": (LeadAction.BLOCKED, None)}
"""A deleted person's address: neither record is written, in the modes that write them."""

TOMBSTONE_SCENARIOS = [
    scenario(
        "deleted contact's address: blocked, nothing written (D14)",
        contact("c1", deleted=True),
        **BLOCKED,
        codes=("tombstoned",),
    ),
    scenario(
        "deleted lead's address: blocked, nothing written (D14)",
        lead("l1", deleted=True),
        **BLOCKED,
        codes=("tombstoned",),
    ),
    scenario(
        "deleted contact's address, only leads: blocked",
        contact("c1", deleted=True),
        contact=(ContactAction.NONE, None),
        lead=(LeadAction.BLOCKED, None),
        codes=("tombstoned",),
        policy=ONLY_LEADS,
    ),
    scenario(
        "deleted contact's address, only contacts: blocked",
        contact("c1", deleted=True),
        contact=(ContactAction.BLOCKED, None),
        lead=(LeadAction.NONE, None),
        codes=("tombstoned",),
        policy=ONLY_CONTACTS,
    ),
    scenario(
        "deleted contact, the person's lead lives: the lead updated, no contact recreated",
        contact("c1", deleted=True),
        lead("l1"),
        contact=(ContactAction.BLOCKED, None),
        lead=(LeadAction.UPDATED, "l1"),
        parent=None,
        via=(None, "lookup"),
        codes=("tombstoned",),
    ),
    scenario(
        "deleted lead, the person's contact lives: the contact updated, no lead recreated",
        contact("c1"),
        lead("l1", parent="c1", deleted=True),
        contact=(ContactAction.UPDATED, "c1"),
        lead=(LeadAction.BLOCKED, None),
        via=("lookup", None),
        codes=("tombstoned",),
    ),
    scenario(
        "deleted duplicate lead, another lead lives: nothing blocked",
        lead("l1", deleted=True, modified=T1),
        lead("l2", modified=T2),
        contact=CREATED_C,
        lead=(LeadAction.UPDATED, "l2"),
        via=(None, "lookup"),
    ),
    scenario(
        "deleted contact's address, recreate: a new contact and lead",
        contact("c1", deleted=True),
        lead("l1", deleted=True),
        contact=CREATED_C,
        lead=CREATED_L,
        codes=("tombstone-overridden",),
        policy={"on_tombstoned": OnTombstoned.RECREATE},
    ),
    scenario(
        "deleted lead's address, only leads, recreate: a new lead",
        lead("l1", deleted=True),
        contact=(ContactAction.NONE, None),
        lead=CREATED_L,
        parent=None,
        codes=("tombstone-overridden",),
        policy={**ONLY_LEADS, "on_tombstoned": OnTombstoned.RECREATE},
    ),
]


def _resolve(seeds: dict[str, Seed], record_id: str | None) -> str | None:
    if record_id is None or record_id in seeds:
        return record_id
    return NEW


def _check_record(
    store: Store,
    kind: type[Contact] | type[Lead],
    record_id: str | None,
    action: ContactAction | LeadAction,
    form: Mapping[str, Any],
) -> None:
    """A created record holds the submission and was written once, at ``AT``; an updated
    one holds it too, and was saved once."""
    if action.value not in ("created", "updated"):
        return
    assert record_id is not None
    record = store.get(kind, record_id)
    assert_took(record, form)
    if action.value == "created":
        assert record.createdon == AT
        assert version(store, kind, record_id) == 1
    else:
        assert version(store, kind, record_id) == 2


def _check_match(info: Any, via: str | None, strategy: MatchStrategy) -> None:
    if via is None:
        assert info is None
        return
    assert info is not None
    assert (info.strategy, info.fields, info.via) == (strategy.name, strategy.fields, via)
    assert info.score is None
    assert dict(info.similarities) == {}


@pytest.mark.parametrize(
    "case", CONTACT_SCENARIOS + LEAD_SCENARIOS + MODE_SCENARIOS + TOMBSTONE_SCENARIOS
)
def test_scenario(store: Store, case: Scenario) -> None:
    plant(store, case.given)
    seeds = {s.id: s for s in case.given}
    before = {s.id: snapshot(store, s.kind, s.id) for s in case.given if not s.deleted}
    counts = {kind: store.count(kind) for kind in (Contact, Lead)}
    rows = contents(store)
    form = {**FORM, **case.form}

    handler = SubmissionHandler(
        store, lead_strategy=case.lead_strategy, policy=SubmissionPolicy(**case.policy)
    )
    outcome = handler.submit(form, at=AT)

    assert isinstance(outcome, SubmissionOutcome)
    assert (outcome.contact_action, _resolve(seeds, outcome.contact_id)) == case.contact
    assert (outcome.lead_action, _resolve(seeds, outcome.lead_id)) == case.lead
    assert sorted(outcome.codes) == sorted(case.codes)
    assert all(w.text for w in outcome.warnings)

    if outcome.interaction_id is None:
        assert case.contact[1] is None
        assert case.lead[1] is None
        assert contents(store) == rows
        return

    assert store.count(Contact) == counts[Contact] + (case.contact[1] == NEW)
    assert store.count(Lead) == counts[Lead] + (case.lead[1] == NEW)
    _check_record(store, Contact, outcome.contact_id, outcome.contact_action, form)
    _check_record(store, Lead, outcome.lead_id, outcome.lead_action, form)
    if outcome.lead_id is not None:
        parent = outcome.contact_id if case.parent == CONTACT else case.parent
        assert store.get(Lead, outcome.lead_id).parentcontactid == parent

    (stored,) = store.interactions(
        **({"contactid": outcome.contact_id} if outcome.contact_id else {"leadid": outcome.lead_id})
    )
    assert interaction_count(store) == 1
    assert stored.id == outcome.interaction_id
    assert (stored.contactid, stored.leadid) == (outcome.contact_id, outcome.lead_id)
    if outcome.lead_id is not None:
        assert [i.id for i in store.interactions(leadid=outcome.lead_id)] == [stored.id]
    assert (stored.at, stored.kind, stored.formid, stored.pageid) == (
        AT,
        "form-submission",
        FORM_ID,
        form.get(PAGE),
    )
    assert stored.payload == form

    for record_id in case.untouched:
        assert snapshot(store, seeds[record_id].kind, record_id) == before[record_id]
    for record_id, state, status in case.states:
        record = store.get(seeds[record_id].kind, record_id)
        assert record.state is state
        if status is not None:
            assert record.status is status
    _check_match(outcome.contact_match, case.via[0], CONTACT_BY_EMAIL)
    _check_match(outcome.lead_match, case.via[1], case.lead_strategy)
    assert {(d.record_type, d.record_id, d.modifiedon) for d in outcome.duplicates} == {
        ("contact" if seeds[i].kind is Contact else "lead", i, seeds[i].modified)
        for i in case.duplicates
    }


# --- closed records, merged records, tombstones: what follows -----------------------------


def test_after_a_closed_lead_the_next_submission_updates_the_new_lead(store: Store) -> None:
    plant(store, (contact("c1"), lead("l1", parent="c1", close="disqualified")))
    handler = SubmissionHandler(store)

    first = handler.submit(FORM, at=AT)
    second = handler.submit({**FORM, "jobtitle": "Buyer again"}, at=AT + dt.timedelta(days=1))

    assert first.lead_action is LeadAction.CREATED
    assert (second.lead_action, second.lead_id) == (LeadAction.UPDATED, first.lead_id)
    assert store.count(Lead) == 2
    assert store.get(Lead, "l1").state is LeadState.DISQUALIFIED


@pytest.mark.parametrize(
    ("master_id", "merged_id"), [("a-master", "b-merged"), ("b-master", "a-merged")]
)
def test_a_merged_contact_gives_way_to_its_master(
    store: Store, master_id: str, merged_id: str
) -> None:
    """Merging closes the subordinate at the same moment it updates the master (D4); a
    later submission must land on the master, not on the record merged away, whichever
    way a tie on ``modifiedon`` is broken."""
    master = contact(master_id, modified=T1).build()
    subordinate = contact(merged_id, modified=T1).build()
    merge(master, subordinate, at=T2)
    store.add(master)
    store.add(subordinate)

    outcome = SubmissionHandler(store).submit(FORM, at=AT)

    assert (outcome.contact_action, outcome.contact_id) == (ContactAction.UPDATED, master_id)
    assert outcome.lead_id is not None
    assert store.get(Lead, outcome.lead_id).parentcontactid == master_id


def test_a_deleted_duplicate_does_not_block_the_live_contact(store: Store) -> None:
    """D14 keeps a deleted record from being resurrected; it must not cut off the person's
    other, live contact and lead, nor drop their interactions."""
    plant(
        store,
        (
            contact("c1", modified=T1),
            lead("l1", parent="c1", modified=T1),
            contact("c2", modified=T2, deleted=True),
        ),
    )

    outcome = SubmissionHandler(store).submit(FORM, at=AT)

    assert (outcome.contact_action, outcome.contact_id) == (ContactAction.UPDATED, "c1")
    assert (outcome.lead_action, outcome.lead_id) == (LeadAction.UPDATED, "l1")
    assert [i.id for i in store.interactions(contactid="c1")] == [outcome.interaction_id]
    assert (store.count(Contact), store.count(Lead)) == (1, 1)


def test_a_blocked_submission_does_not_touch_the_store_of_anyone_else(store: Store) -> None:
    plant(store, (contact("c1", deleted=True), contact("other", email="kim@example.com")))
    before = contents(store)

    outcome = SubmissionHandler(store).submit(FORM, at=AT)

    assert outcome.codes == ("tombstoned",)
    assert (outcome.interaction_id, outcome.contact_match, outcome.lead_match) == (None,) * 3
    assert contents(store) == before
    assert (store.count(Contact), interaction_count(store)) == (1, 0)


@pytest.mark.parametrize(
    ("kind", "close", "state"),
    [
        (Contact, lambda c: c.deactivate(at=T2), ContactState.ACTIVE),
        (Lead, lambda c: c.disqualify(LeadStatus.LOST, at=T2), LeadState.OPEN),
    ],
    ids=["contact", "lead"],
)
def test_a_record_reopened_by_the_policy_is_saved_when_no_field_changes(
    store: Store, kind: type[Contact] | type[Lead], close: Callable[[Any], Any], state: Any
) -> None:
    """Reactivating is a change in itself: the same form sent again to a closed record
    must leave it stored open, as the outcome says."""
    handler = handler_for(
        store, on_closed_contact=OnClosedContact.REACTIVATE, on_closed_lead=OnClosedLead.REACTIVATE
    )
    first = handler.submit(FORM, at=T1)
    record_id = first.contact_id if kind is Contact else first.lead_id
    assert record_id is not None
    record = store.get(kind, record_id)
    close(record)
    store.save(record)

    again = handler.submit(FORM, at=AT)

    reopened = store.get(kind, record_id)
    assert reopened.state is state
    assert version(store, kind, record_id) == 3
    assert [e.trigger for e in reopened.history][-1] in ("activate", "reactivate")
    assert (again.contact_id, again.lead_id) == (first.contact_id, first.lead_id)


def test_an_exact_match_is_found_behind_more_candidates_than_the_cap(store: Store) -> None:
    """``max_candidates`` never hides a record that matches every exact field: the lead of
    the first page is updated though newer leads of the address from other pages outnumber
    the cap, and the older active contact wins over newer inactive ones (D3)."""
    plant(
        store,
        (
            contact("c-active", modified=T1),
            *(contact(f"c-closed{i}", modified=T2, close="inactive") for i in range(3)),
            lead("l-page-a", parent="c-active", page=PAGE_A, modified=T1),
            *(lead(f"l-other{i}", page=f"page-{i}", modified=T3) for i in range(3)),
        ),
    )
    capped = {"max_candidates": 2}
    handler = SubmissionHandler(
        store,
        MatchStrategy.from_dict({**CONTACT_BY_EMAIL.to_dict(), **capped}),
        MatchStrategy.from_dict({**LEAD_BY_EMAIL_AND_PAGE.to_dict(), **capped}),
    )

    outcome = handler.submit({**FORM, PAGE: PAGE_A}, at=AT)

    assert (outcome.contact_action, outcome.contact_id) == (ContactAction.UPDATED, "c-active")
    assert (outcome.lead_action, outcome.lead_id) == (LeadAction.UPDATED, "l-page-a")
    assert {d.record_id for d in outcome.duplicates} == {f"c-closed{i}" for i in range(3)}


def test_a_stale_claim_moves_to_the_new_record(store: Store) -> None:
    """A contact whose address changed keeps no hold on the old address: the next person
    with it gets a contact of their own, and the claim that makes concurrent creators
    agree on one record now names that contact."""
    handler = SubmissionHandler(store, mode=Mode.ONLY_CONTACTS)
    first = handler.submit(FORM, at=T1)
    assert first.contact_id is not None
    moved = store.get(Contact, first.contact_id)
    moved.update(emailaddress1="dana@fabrikam.com", at=T2)
    store.save(moved)

    second = handler.submit(FORM, at=AT)

    assert second.contact_action is ContactAction.CREATED
    assert second.contact_id not in (None, first.contact_id)
    key = CONTACT_BY_EMAIL.exact_key(FORM)
    assert key is not None
    with store.transaction(readonly=True) as tx:
        assert tx.claimed(CONTACT_BY_EMAIL.name, key) == ("contact", second.contact_id)
    third = handler.submit(FORM, at=AT + dt.timedelta(hours=1))
    assert (third.contact_action, third.contact_id) == (ContactAction.UPDATED, second.contact_id)


# --- suppressed addresses ------------------------------------------------------------------


SUPPRESSIONS = [
    pytest.param(
        Suppression(address=STORED_EMAIL, reason=SuppressionReason.HARD_BOUNCE, since=T1),
        FORM["emailaddress1"],
        True,
        id="hard bounce",
    ),
    pytest.param(
        Suppression(
            address=" Dana.Reyes@EXAMPLE.com", reason=SuppressionReason.SPAM_COMPLAINT, since=T1
        ),
        FORM["emailaddress1"],
        True,
        id="spam complaint, spelled differently",
    ),
    pytest.param(
        Suppression(
            address=STORED_EMAIL,
            reason=SuppressionReason.HARD_BOUNCE,
            since=T1 - dt.timedelta(days=200),
            until=T1,
        ),
        FORM["emailaddress1"],
        False,
        id="hard bounce that has expired",
    ),
    pytest.param(
        Suppression(address="dana@fabrikam.com", reason=SuppressionReason.HARD_BOUNCE, since=T1),
        FORM["emailaddress1"],
        False,
        id="another address",
    ),
    pytest.param(
        Suppression(
            address="kim@bücher.example", reason=SuppressionReason.SPAM_COMPLAINT, since=T1
        ),
        "Kim@BÜCHER.example",
        True,
        id="international domain",
    ),
    pytest.param(
        Suppression(
            address="kim@bücher.example", reason=SuppressionReason.SPAM_COMPLAINT, since=T1
        ),
        "kim@xn--bcher-kva.example",
        True,
        id="international domain, punycode on the form",
    ),
]


@pytest.mark.parametrize(("entry", "email", "warned"), SUPPRESSIONS)
def test_a_suppressed_address_is_written_and_reported(
    store: Store, entry: Suppression, email: str, warned: bool
) -> None:
    store.add_suppression(entry)

    outcome = SubmissionHandler(store).submit({**FORM, "emailaddress1": email}, at=AT)

    assert (outcome.contact_action, outcome.lead_action) == (
        ContactAction.CREATED,
        LeadAction.CREATED,
    )
    assert outcome.codes == (("suppressed",) if warned else ())
    assert outcome.contact_id is not None
    assert [i.id for i in store.interactions(contactid=outcome.contact_id)] == [
        outcome.interaction_id
    ]


def test_an_opt_out_of_one_sending_account_is_reported_as_such(store: Store) -> None:
    """A user-level opt-out suppresses one sending account only (D13); the outcome must not
    say that marketing will not email the address at all."""
    store.add_suppression(
        Suppression(
            address=STORED_EMAIL,
            reason=SuppressionReason.SENDING_ACCOUNT_OPT_OUT,
            since=T1,
            sending_account="newsletters@contoso.com",
        )
    )

    outcome = SubmissionHandler(store).submit(FORM, at=AT)

    assert outcome.codes == ("suppressed-for-account",)
    assert "newsletters@contoso.com" in outcome.warnings[0].text


# --- fields, interactions, consent ---------------------------------------------------------


def test_an_update_takes_the_submitted_values_and_keeps_the_rest(store: Store) -> None:
    plant(store, (contact("c1"), lead("l1", parent="c1")))
    form = {**FORM, "telephone1": "  ", "address1_city": "Seattle", "companyname": None}

    SubmissionHandler(store).submit(form, at=AT)

    dana = store.get(Contact, "c1")
    assert (dana.jobtitle, dana.address1_city, dana.telephone1) == (
        "Head of Buying",
        "Seattle",
        "+1 206 555 0100",
    )
    assert dana.emailaddress1 == "dana.reyes@example.com", "the same address keeps its spelling"
    assert (dana.createdon, dana.modifiedon) == (T1, AT)
    the_lead = store.get(Lead, "l1")
    assert (the_lead.companyname, the_lead.subject, the_lead.msdyncrm_marketingformid) == (
        "Contoso",
        "Spring catalogue",
        FORM_ID,
    )


def test_a_value_is_trimmed_before_its_length_is_checked() -> None:
    """A form that pads a field is judged on what would be stored."""
    parsed = Submission.parse({**FORM, "firstname": " " * 200 + "Dana\t"})

    assert parsed.fields["firstname"] == "Dana"


def test_every_submission_is_kept_and_credited_to_both_records(store: Store) -> None:
    handler = SubmissionHandler(store)
    forms = [
        FORM,
        {**FORM, "emailaddress1": "DANA.REYES@EXAMPLE.COM", "jobtitle": "CFO"},
        {**FORM, PAGE: PAGE_A},
    ]
    outcomes = [handler.submit(f, at=AT + dt.timedelta(minutes=i)) for i, f in enumerate(forms)]

    contact_id = outcomes[0].contact_id
    assert contact_id is not None
    assert {o.contact_id for o in outcomes} == {contact_id}
    embedded, page_lead = outcomes[0].lead_id, outcomes[2].lead_id
    assert outcomes[1].lead_id == embedded
    assert page_lead not in (None, embedded)
    credited = store.interactions(contactid=contact_id)
    assert [i.id for i in credited] == [o.interaction_id for o in outcomes]
    assert [i.payload for i in credited] == forms
    assert [i.at for i in credited] == [AT + dt.timedelta(minutes=i) for i in range(3)]
    assert [i.leadid for i in credited] == [embedded, embedded, page_lead]
    assert [i.id for i in store.interactions(leadid=embedded)] == [
        outcomes[0].interaction_id,
        outcomes[1].interaction_id,
    ]
    assert [i.id for i in store.interactions(leadid=page_lead)] == [outcomes[2].interaction_id]
    assert store.get(Lead, page_lead).parentcontactid == contact_id


def test_only_contacts_credits_the_contact_alone(store: Store) -> None:
    plant(store, (contact("c1"), lead("l1", parent="c1")))

    outcome = handler_for(store, mode=Mode.ONLY_CONTACTS).submit(FORM, at=AT)

    (kept,) = store.interactions(contactid="c1")
    assert (kept.id, kept.leadid) == (outcome.interaction_id, None)
    assert store.interactions(leadid="l1") == []


def test_the_mode_argument_overrides_the_policys_mode_only(store: Store) -> None:
    policy = SubmissionPolicy(
        on_closed_lead=OnClosedLead.BLOCK, generate_leads_without_matching=True
    )

    handler = SubmissionHandler(store, mode="only-leads", policy=policy)

    assert handler.policy == attrs.evolve(policy, mode=Mode.ONLY_LEADS)
    outcome = handler.submit(FORM, at=AT)
    assert (outcome.contact_action, outcome.lead_action) == (ContactAction.NONE, LeadAction.CREATED)
    assert store.count(Contact) == 0


def given_consent(level_: int, **kw: Any) -> DataConsent:
    return DataConsent(level=level_, given_on=T1, policy="privacy-2025", **kw)


CONSENTS = [
    pytest.param((), 4, 4, 1, id="none held: the form's level"),
    pytest.param((given_consent(2),), 4, 4, 2, id="a higher level is added"),
    pytest.param((given_consent(4),), 2, 4, 1, id="a lower level is not recorded"),
    pytest.param((given_consent(4),), 4, 4, 1, id="the same level is not repeated"),
    pytest.param((given_consent(5),), 0, 5, 1, id="level 0 on the form lowers nothing"),
    pytest.param((given_consent(3),), None, 3, 1, id="no level on the form"),
    pytest.param(
        (given_consent(5, valid_until=T3),), 3, 3, 2, id="an expired consent does not count"
    ),
    pytest.param((given_consent(5).cancel(),), 3, 3, 2, id="a cancelled consent does not count"),
]


@pytest.mark.parametrize(("held", "given_level", "after", "count"), CONSENTS)
def test_consent_given_on_the_form_raises_and_never_lowers(
    store: Store,
    held: tuple[DataConsent, ...],
    given_level: int | None,
    after: int,
    count: int,
) -> None:
    plant(store, (contact("c1", consents=held), lead("l1", parent="c1", consents=held)))
    form = {**FORM, "consent_level": given_level, "consent_policy": "privacy-2026"}

    SubmissionHandler(store).submit(form, at=AT)

    for record in (store.get(Contact, "c1"), store.get(Lead, "l1")):
        assert level(record) == after
        assert len(record.consents) == count
        assert record.consents[: len(held)] == held
        for new in record.consents[len(held) :]:
            assert (new.level, new.given_on, new.policy) == (given_level, AT, "privacy-2026")


def test_a_new_person_gets_the_forms_consent_under_the_forms_id(store: Store) -> None:
    outcome = SubmissionHandler(store).submit({**FORM, "consent_level": 5}, at=AT)

    assert outcome.contact_id is not None
    assert outcome.lead_id is not None
    for record in (store.get(Contact, outcome.contact_id), store.get(Lead, outcome.lead_id)):
        (consent,) = record.consents
        assert (consent.level, consent.given_on, consent.policy) == (5, AT, FORM_ID)


def test_consent_alone_is_saved_on_a_record_nothing_else_changed_on(store: Store) -> None:
    plant(store, (contact("c1"),))
    stored = store.get(Contact, "c1")
    form = {n: getattr(stored, n) for n in CONTACT_TAKES} | {"consent_level": 4}

    SubmissionHandler(store, policy=SubmissionPolicy(mode=Mode.ONLY_CONTACTS)).submit(form, at=AT)

    assert level(store.get(Contact, "c1")) == ConsentLevel.MARKETING
    assert version(store, Contact, "c1") == 2


def test_an_inactive_contact_keeps_its_consent_by_default(store: Store) -> None:
    plant(store, (contact("c1", close="inactive", consents=(given_consent(1),)),))
    before = snapshot(store, Contact, "c1")

    outcome = SubmissionHandler(store).submit({**FORM, "consent_level": 4}, at=AT)

    assert snapshot(store, Contact, "c1") == before
    assert outcome.lead_id is not None
    assert level(store.get(Lead, outcome.lead_id)) == ConsentLevel.MARKETING


# --- email spellings ----------------------------------------------------------------------


SPELLINGS = [
    pytest.param(STORED_EMAIL, "DANA.REYES@EXAMPLE.COM", True, id="upper case"),
    pytest.param(STORED_EMAIL, "\t dana.reyes@example.com  ", True, id="whitespace"),
    pytest.param(STORED_EMAIL, "Dana.Reyes@Example.com.", True, id="trailing dot of the domain"),
    pytest.param("kim@bücher.example", "KIM@BÜCHER.EXAMPLE", True, id="unicode domain, case"),
    pytest.param("kim@bücher.example", "kim@xn--bcher-kva.example", True, id="idna on the form"),
    pytest.param("kim@xn--bcher-kva.example", "Kim@Bücher.example", True, id="idna stored"),
    pytest.param(STORED_EMAIL, "dana.reyes+news@example.com", False, id="a plus tag differs"),
    pytest.param("dana.reyes@gmail.com", "danareyes@gmail.com", False, id="gmail dots differ"),
    pytest.param(STORED_EMAIL, "dana.reyes@example.org", False, id="another domain"),
]


@pytest.mark.parametrize(("stored", "submitted", "same"), SPELLINGS)
def test_an_email_spelled_differently_finds_the_same_person(
    store: Store, stored: str, submitted: str, same: bool
) -> None:
    plant(store, (contact("c1", email=stored), lead("l1", parent="c1", email=stored)))

    outcome = SubmissionHandler(store).submit({**FORM, "emailaddress1": submitted}, at=AT)

    if same:
        assert (outcome.contact_action, outcome.contact_id) == (ContactAction.UPDATED, "c1")
        assert (outcome.lead_action, outcome.lead_id) == (LeadAction.UPDATED, "l1")
        assert (store.count(Contact), store.count(Lead)) == (1, 1)
    else:
        assert (outcome.contact_action, outcome.lead_action) == (
            ContactAction.CREATED,
            LeadAction.CREATED,
        )
        assert (store.count(Contact), store.count(Lead)) == (2, 2)


# --- fuzzy strategies ---------------------------------------------------------------------


DANA_STORED: dict[str, Any] = {
    "firstname": "Dana",
    "lastname": "Reyes",
    "emailaddress1": "dana.reyes@gmail.com",
    "telephone1": "(206) 555-0100",
    "mobilephone": "+1 (425) 555-0199",
    "companyname": "Contoso",
}

FUZZY = [
    pytest.param(
        {"firstname": "Dnaa", "lastname": "Reyes", "emailaddress1": "dana.reyes@gmail.com"},
        True,
        True,
        id="typo in the first name, same email",
    ),
    pytest.param(
        {"firstname": "Reyes", "lastname": "Dana", "emailaddress1": "Dana.Reyes@gmail.com"},
        True,
        True,
        id="first and last name swapped",
    ),
    pytest.param(
        {"firstname": "Dana", "lastname": "Reyes", "emailaddress1": "danareyes+forms@gmail.com"},
        True,
        True,
        id="gmail dots and plus tag",
    ),
    pytest.param(
        {"firstname": "Jane", "lastname": "Reyes", "emailaddress1": "dana.reyes@gmail.com"},
        False,
        False,
        id="another first name, same email (the name gate)",
    ),
    pytest.param(
        {"firstname": "Dana", "lastname": "Reyse", "telephone1": "+1 206 555 0100"},
        False,
        False,
        id="typo in the last name and one phone",
    ),
    pytest.param(
        {
            "firstname": "Dana",
            "lastname": "Reyse",
            "telephone1": "+1 206 555 0100",
            "mobilephone": "425 555 0199",
        },
        True,
        False,
        id="typo in the last name and both phones (contact only)",
    ),
    pytest.param(
        {
            "firstname": "Dana",
            "lastname": "Reyse",
            "telephone1": "+1 206 555 0100",
            "companyname": "Contoso Ltd.",
        },
        False,
        True,
        id="typo in the last name, a phone and the company (lead only)",
    ),
]


def _similarities(strategy: MatchStrategy, form: Mapping[str, Any], record: Any) -> Any:
    score = strategy.match(form, record)
    assert score.matched
    return score.score, dict(score.similarities)


@pytest.mark.parametrize(("form", "contact_matches", "lead_matches"), FUZZY)
def test_fuzzy_strategies_match_a_typo_only_where_the_rules_say_so(
    store: Store, form: dict[str, Any], contact_matches: bool, lead_matches: bool
) -> None:
    store.add(
        Contact(
            id="c1", modifiedon=T1, **{k: v for k, v in DANA_STORED.items() if k != "companyname"}
        )
    )
    store.add(Lead(id="l1", modifiedon=T1, **DANA_STORED))
    stored_contact, stored_lead = store.get(Contact, "c1"), store.get(Lead, "l1")
    before = {"c1": snapshot(store, Contact, "c1"), "l1": snapshot(store, Lead, "l1")}

    outcome = SubmissionHandler(store, CONTACT_FUZZY, LEAD_FUZZY).submit(form, at=AT)

    contact_values = {k: v for k, v in form.items() if k != "companyname"}
    for matches, action, record_id, info, strategy, stored, values, kind in (
        (
            contact_matches,
            outcome.contact_action,
            outcome.contact_id,
            outcome.contact_match,
            CONTACT_FUZZY,
            stored_contact,
            contact_values,
            Contact,
        ),
        (
            lead_matches,
            outcome.lead_action,
            outcome.lead_id,
            outcome.lead_match,
            LEAD_FUZZY,
            stored_lead,
            form,
            Lead,
        ),
    ):
        if matches:
            assert action.value == "updated"
            assert record_id == stored.id
            assert info is not None
            score, similarities = _similarities(strategy, values, stored)
            agreed = tuple(
                f.field
                for f in strategy.match(values, stored).fields
                if f.passed and f.similarity is not None
            )
            assert "fullname" in agreed
            assert (info.strategy, info.fields) == (strategy.name, agreed)
            assert info.score == pytest.approx(score)
            assert dict(info.similarities) == pytest.approx(similarities)
            assert info.score is not None
            assert info.score >= strategy.min_score
            name = info.similarities["fullname"]
            assert name is not None
            assert 0.9 <= name <= 1.0
        else:
            assert action.value == "created"
            assert record_id != stored.id
            assert snapshot(store, kind, stored.id) == before[stored.id]


def test_a_fuzzy_match_reports_the_score_of_a_typo_below_one(store: Store) -> None:
    store.add(
        Contact(
            id="c1", modifiedon=T1, firstname="Dana", lastname="Reyes", emailaddress1=STORED_EMAIL
        )
    )

    outcome = SubmissionHandler(store, CONTACT_FUZZY, LEAD_FUZZY).submit(
        {"firstname": "Dana", "lastname": "Reyse", "emailaddress1": STORED_EMAIL}, at=AT
    )

    info = outcome.contact_match
    assert info is not None
    assert (outcome.contact_id, info.via) == ("c1", "lookup")
    assert dict(info.similarities) == {
        "fullname": pytest.approx(0.9766, abs=1e-3),
        "emailaddress1": 1.0,
        "telephone1": None,
        "mobilephone": None,
    }
    name = info.similarities["fullname"]
    assert name is not None
    assert info.score == pytest.approx((2 * name + 3) / 8)


@pytest.mark.parametrize("newer", ["c1", "c2"])
def test_fuzzy_matches_found_by_several_keys_are_ranked_newest_first(
    store: Store, newer: str
) -> None:
    """One record is found by its email, the other by its phone, both by the name: the
    newer wins wherever it was found, and the other is reported once (D3)."""
    times = {"c1": T1, "c2": T1} | {newer: T3}
    store.add(
        Contact(
            id="c1",
            modifiedon=times["c1"],
            firstname="Dana",
            lastname="Reyes",
            emailaddress1="dana.reyes@gmail.com",
        )
    )
    store.add(
        Contact(
            id="c2",
            modifiedon=times["c2"],
            firstname="Dana",
            lastname="Reyes",
            emailaddress1="danareyes+shop@gmail.com",
            telephone1="(206) 555-0100",
        )
    )
    form = {
        "firstname": "Dana",
        "lastname": "Reyes",
        "emailaddress1": "dana.reyes@gmail.com",
        "telephone1": "+1 206 555 0100",
    }

    outcome = SubmissionHandler(store, CONTACT_FUZZY, LEAD_FUZZY).submit(form, at=AT)

    older = "c1" if newer == "c2" else "c2"
    assert (outcome.contact_action, outcome.contact_id) == (ContactAction.UPDATED, newer)
    assert [(d.record_type, d.record_id, d.modifiedon) for d in outcome.duplicates] == [
        ("contact", older, T1)
    ]


# --- rejected submissions ----------------------------------------------------------------


NUMBERED_FIELD: dict[Any, Any] = {**FORM, 7: "seven"}

REJECTED = [
    pytest.param(["dana@example.com"], {"submission"}, id="a list"),
    pytest.param("emailaddress1=dana@example.com", {"submission"}, id="a string"),
    pytest.param(None, {"submission"}, id="None"),
    pytest.param({}, {"submission"}, id="no fields"),
    pytest.param({"firstname": "Dana"}, {"submission"}, id="a first name only"),
    pytest.param({"jobtitle": "Buyer", "companyname": "Contoso"}, {"submission"}, id="no identity"),
    pytest.param({"emailaddress1": "   ", "lastname": "Reyes"}, {"submission"}, id="blank email"),
    pytest.param({"telephone1": "0000000000"}, {"submission"}, id="a junk phone only"),
    pytest.param({"emailaddress1": "dana.reyes"}, {"emailaddress1"}, id="email without domain"),
    pytest.param({"emailaddress1": "dana@"}, {"emailaddress1"}, id="email without host"),
    pytest.param({"emailaddress1": "test@test.com"}, {"emailaddress1"}, id="placeholder email"),
    pytest.param({"emailaddress1": "da na@example.com"}, {"emailaddress1"}, id="space in email"),
    pytest.param({"emailaddress1": b"dana@example.com"}, {"emailaddress1"}, id="bytes email"),
    pytest.param({**FORM, "firstname": 42}, {"firstname"}, id="a number as a name"),
    pytest.param({**FORM, "jobtitle": ["Buyer"]}, {"jobtitle"}, id="a list as a job title"),
    pytest.param(NUMBERED_FIELD, {"7"}, id="a field name that is not text"),
    pytest.param({**FORM, "consent_level": "4"}, {"consent_level"}, id="consent as text"),
    pytest.param({**FORM, "consent_level": True}, {"consent_level"}, id="consent as a bool"),
    pytest.param({**FORM, "consent_level": 4.0}, {"consent_level"}, id="consent as a float"),
    pytest.param({**FORM, "consent_level": 6}, {"consent_level"}, id="consent above 5"),
    pytest.param({**FORM, "consent_level": -1}, {"consent_level"}, id="consent below 0"),
    pytest.param({**FORM, "consent_policy": 3}, {"consent_policy"}, id="consent policy not text"),
    pytest.param(
        {**FORM, "consent_policy": "p" * 201}, {"consent_policy"}, id="long consent policy"
    ),
    pytest.param({**FORM, "firstname": "D" * 51}, {"firstname"}, id="first name too long"),
    pytest.param({**FORM, "subject": "s" * 301}, {"subject"}, id="subject too long"),
    pytest.param({**FORM, PAGE: "p" * 101}, {PAGE}, id="page id too long"),
    pytest.param({**FORM, "comments": "c" * 4001}, {"comments"}, id="extra field too long"),
    pytest.param(
        {**FORM, **{f"q{i}": "yes" for i in range(51)}}, {"submission"}, id="too many extra fields"
    ),
    pytest.param({**FORM, "lastname": "Rey\x00es"}, {"lastname"}, id="NUL in a name"),
    pytest.param({**FORM, "comments": "hi\x00"}, {"comments"}, id="NUL in an extra field"),
    pytest.param({**FORM, "answers": {"a": 1}}, {"answers"}, id="a mapping as an extra field"),
    pytest.param({**FORM, "answers": ["a"]}, {"answers"}, id="a list as an extra field"),
    pytest.param({**FORM, "score": float("nan")}, {"score"}, id="NaN extra field"),
    pytest.param({**FORM, "score": float("inf")}, {"score"}, id="infinite extra field"),
    pytest.param({**FORM, "lastname": "Rey\ud800es"}, {"lastname"}, id="lone surrogate in a name"),
    pytest.param({**FORM, "comments": "\udc00"}, {"comments"}, id="lone surrogate in an extra"),
    pytest.param(
        {**FORM, "consent_level": 4, "consent_policy": "v\x002"},
        {"consent_policy"},
        id="NUL in the consent policy",
    ),
    pytest.param(
        {
            "emailaddress1": "nope",
            "firstname": 7,
            "consent_level": 9,
            "comments": "c" * 5000,
            "telephone1": "+1 206 555 0100",
        },
        {"emailaddress1", "firstname", "consent_level", "comments"},
        id="every bad field is listed",
    ),
]


@pytest.mark.parametrize(("data", "fields"), REJECTED)
def test_a_rejected_submission_lists_each_bad_field_and_writes_nothing(
    store: Store, data: Any, fields: set[str]
) -> None:
    plant(store, (contact("c1"), lead("l1", parent="c1")))
    store.add_suppression(
        Suppression(address=STORED_EMAIL, reason=SuppressionReason.HARD_BOUNCE, since=T1)
    )
    before = contents(store)

    with pytest.raises(SubmissionRejected) as raised:
        SubmissionHandler(store).submit(data, at=AT)

    assert {p.path for p in raised.value.problems} == fields
    assert all(p.expected for p in raised.value.problems)
    assert str(raised.value) == " ".join(p.message for p in raised.value.problems)
    assert isinstance(raised.value, LeadflowError)
    assert isinstance(raised.value, ValueError)
    for field in fields:
        assert field in str(raised.value)
    assert contents(store) == before


@pytest.mark.parametrize(
    "at", [dt.datetime(2026, 3, 2, 10, 30), "2026-03-02T10:30:00Z"], ids=["naive", "text"]
)
def test_a_submission_time_must_be_aware(store: Store, at: Any) -> None:
    before = contents(store)

    with pytest.raises((InvalidFieldError, FieldTypeError)):
        SubmissionHandler(store).submit(FORM, at=at)

    assert contents(store) == before


# --- the policy as data, the handler's arguments ------------------------------------------


POLICIES = st.builds(
    SubmissionPolicy,
    mode=st.sampled_from(Mode),
    generate_leads_without_matching=st.booleans(),
    on_closed_contact=st.sampled_from(OnClosedContact),
    on_closed_lead=st.sampled_from(OnClosedLead),
    on_tombstoned=st.sampled_from(OnTombstoned),
)


@given(POLICIES)
def test_a_policy_round_trips_through_plain_data(policy: SubmissionPolicy) -> None:
    data = policy.to_dict()

    assert SubmissionPolicy.from_dict(json.loads(json.dumps(data))) == policy
    assert set(data) == {
        "mode",
        "generate_leads_without_matching",
        "on_closed_contact",
        "on_closed_lead",
        "on_tombstoned",
    }


def test_the_default_policy_is_dynamics_outbound_forms() -> None:
    assert SubmissionPolicy.from_dict({}) == SubmissionPolicy()
    assert SubmissionPolicy().to_dict() == {
        "mode": "contacts-and-leads",
        "generate_leads_without_matching": False,
        "on_closed_contact": "link",
        "on_closed_lead": "new-lead",
        "on_tombstoned": "block",
    }


@pytest.mark.parametrize(
    ("data", "error", "named"),
    [
        (
            {"mode": "contacts-and-leads", "update_contacts": True},
            InvalidFieldError,
            "update_contacts",
        ),
        ({"on_deleted": "block"}, InvalidFieldError, "on_deleted"),
        ({"mode": "leads-only"}, InvalidFieldError, "leads-only"),
        ({"on_closed_lead": "reopen"}, InvalidFieldError, "reopen"),
        ({"on_closed_contact": None}, InvalidFieldError, "None"),
        ({"on_tombstoned": "resurrect"}, InvalidFieldError, "resurrect"),
        ({"generate_leads_without_matching": "yes"}, FieldTypeError, "yes"),
        ({"generate_leads_without_matching": 1}, FieldTypeError, "generate_leads_without_matching"),
    ],
    ids=[
        "unknown key",
        "unknown key alone",
        "unknown mode",
        "unknown closed-lead rule",
        "missing closed-contact rule",
        "unknown tombstone rule",
        "flag as text",
        "flag as a number",
    ],
)
def test_a_policy_from_bad_data_is_refused(
    data: dict[str, Any], error: type[Exception], named: str
) -> None:
    with pytest.raises(error, match=named):
        SubmissionPolicy.from_dict(data)


class NotAStore:
    def transaction(self) -> None:
        raise AssertionError("never used")


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (lambda s: (NotAStore(),), "store"),
        (lambda s: ("leadflow.db",), "store"),
        (lambda s: (None,), "store"),
        (lambda s: (s, LEAD_BY_EMAIL), "contact_strategy"),
        (lambda s: (s, CONTACT_BY_EMAIL, CONTACT_FUZZY), "lead_strategy"),
        (lambda s: (s, CONTACT_BY_EMAIL.to_dict()), "contact_strategy"),
        (lambda s: (s, CONTACT_BY_EMAIL, "lead-by-email"), "lead_strategy"),
        (lambda s: (s, attrs.evolve(CONTACT_BY_EMAIL, name="c" * 65)), "contact_strategy"),
    ],
    ids=[
        "an object with a transaction method",
        "a URL",
        "None",
        "a lead strategy for contacts",
        "a contact strategy for leads",
        "a strategy as a dict",
        "a strategy by name",
        "a strategy name longer than the store keeps",
    ],
)
def test_the_handler_refuses_what_it_cannot_use(
    store: Store, arguments: Callable[[Store], tuple[Any, ...]], named: str
) -> None:
    with pytest.raises(InvalidFieldError, match=named):
        SubmissionHandler(*arguments(store))


class CountingStore:
    """A record store that is not a :class:`Store`: it opens the real store's
    transactions and counts them."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.opened = 0

    @property
    def url(self) -> str:
        return f"counting+{self.store.url}"

    @contextlib.contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[Transaction]:
        self.opened += 1
        with self.store.transaction(readonly=readonly) as tx:
            yield tx

    def close(self) -> None:
        self.store.close()


def test_the_handler_works_through_any_record_store(store: Store) -> None:
    """The handler needs a :class:`RecordStore`, not a :class:`Store`: a wrapper that opens
    the real store's transactions resolves and writes the same way, one transaction a
    submission."""
    counting = CountingStore(store)
    assert isinstance(counting, RecordStore)
    handler = SubmissionHandler(counting)

    first = handler.submit(FORM, at=AT)
    again = handler.submit({**FORM, "jobtitle": "Buyer again"}, at=AT + dt.timedelta(days=1))

    assert (first.contact_action, first.lead_action) == (ContactAction.CREATED, LeadAction.CREATED)
    assert (again.contact_action, again.lead_action) == (ContactAction.UPDATED, LeadAction.UPDATED)
    assert (again.contact_id, again.lead_id) == (first.contact_id, first.lead_id)
    assert store.get(Lead, again.lead_id).jobtitle == "Buyer again"
    assert counting.opened == 2


@pytest.mark.parametrize("retries", [-1, "3", 2.0, None])
def test_the_handler_refuses_a_retry_count_that_is_not_a_whole_number(
    store: Store, retries: Any
) -> None:
    with pytest.raises(InvalidFieldError, match="'retries'"):
        SubmissionHandler(store, retries=retries)


@pytest.mark.parametrize("mode", ["contacts-only", 3], ids=["unknown", "a number"])
def test_the_handler_refuses_an_unknown_mode(store: Store, mode: Any) -> None:
    with pytest.raises(InvalidFieldError, match="'mode'"):
        SubmissionHandler(store, mode=mode)


# --- property: resubmitting --------------------------------------------------------------


SPELL: list[Callable[[str], str]] = [
    str.lower,
    str.upper,
    str.title,
    lambda s: f"  {s.swapcase()}\t",
]
_people = itertools.count()


@settings(max_examples=20)
@given(
    spellings=st.lists(st.sampled_from(range(len(SPELL))), min_size=1, max_size=6),
    page=st.sampled_from([None, PAGE_A]),
)
def test_the_same_person_submitting_n_times_is_one_contact_one_lead_n_interactions(
    store: Store, spellings: list[int], page: str | None
) -> None:
    email = f"person.{next(_people)}@example.com"
    handler = SubmissionHandler(store)
    outcomes = [
        handler.submit(
            {**FORM, "emailaddress1": SPELL[s](email), PAGE: page, "n": n},
            at=AT + dt.timedelta(seconds=n),
        )
        for n, s in enumerate(spellings)
    ]

    (person,) = store.find(Contact, "emailaddress1", email)
    (the_lead,) = store.find(Lead, "emailaddress1", email)
    assert the_lead.parentcontactid == person.id
    assert [(o.contact_id, o.lead_id) for o in outcomes] == [(person.id, the_lead.id)] * len(
        spellings
    )
    assert [(o.contact_action, o.lead_action) for o in outcomes] == [
        (ContactAction.CREATED, LeadAction.CREATED)
    ] + [(ContactAction.UPDATED, LeadAction.UPDATED)] * (len(spellings) - 1)
    by_contact = store.interactions(contactid=person.id)
    assert [i.id for i in by_contact] == [o.interaction_id for o in outcomes]
    assert [i.id for i in store.interactions(leadid=the_lead.id)] == [i.id for i in by_contact]
    assert [i.payload["n"] for i in by_contact if i.payload] == list(range(len(spellings)))


def test_submitting_with_fuzzy_strategies_loads_no_pandas(tmp_path: Any) -> None:
    """A fuzzy submission is scored by ``score_pair`` alone: no pandas, numpy or recordlinkage
    is imported on the per-submission path (the batch dedupe uses them)."""
    code = (
        "import json, sys\n"
        "from matching import CONTACT_FUZZY, LEAD_FUZZY, SubmissionHandler, open_store\n"
        f"store = open_store({str(tmp_path / 'crm.db')!r})\n"
        "handler = SubmissionHandler(store, CONTACT_FUZZY, LEAD_FUZZY)\n"
        "form = {'firstname': 'Dana', 'lastname': 'Reyes', 'emailaddress1': 'dana@example.com'}\n"
        "first = handler.submit(form)\n"
        "again = handler.submit({**form, 'lastname': 'Reyez'})\n"
        "assert again.contact_id == first.contact_id, again\n"
        "heavy = {'pandas', 'recordlinkage', 'numpy', 'sklearn'}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in heavy)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


# --- the submission's own time and the fields no record takes --------------------------------


@pytest.mark.parametrize(
    ("given", "dated"),
    [
        ("2026-03-01T08:00:00+01:00", dt.datetime(2026, 3, 1, 7, tzinfo=UTC)),
        ("2026-03-01T08:00:00Z", dt.datetime(2026, 3, 1, 8, tzinfo=UTC)),
        ("2026-03-01T08:00:00", dt.datetime(2026, 3, 1, 8, tzinfo=UTC)),
        (None, AT),
        ("  ", AT),
    ],
    ids=["offset", "Z", "no offset is UTC", "None", "blank"],
)
def test_a_submission_is_dated_by_its_submittedon(
    store: Store, given: str | None, dated: dt.datetime
) -> None:
    """Without ``at``, a submission's ``submittedon`` dates its records, consent and
    interaction (a queued or replayed post keeps its time); without either, the clock."""
    handler = SubmissionHandler(store, clock=lambda: AT)
    outcome = handler.submit({**FORM, "submittedon": given, "consent_level": 2})
    contact = store.get(Contact, outcome.contact_id)
    assert (contact.createdon, contact.modifiedon) == (dated, dated)
    assert [c.given_on for c in contact.consents] == [dated]
    (interaction,) = store.interactions(contactid=contact.id)
    assert interaction.at == dated
    assert interaction.payload is not None
    assert interaction.payload["submittedon"] == given


def test_at_wins_over_submittedon(store: Store) -> None:
    outcome = SubmissionHandler(store).submit(
        {**FORM, "submittedon": "2026-03-01T08:00:00Z"}, at=T1
    )
    assert store.get(Lead, outcome.lead_id).createdon == T1


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("yesterday", "an ISO 8601 date-time such as 2026-01-05T09:00:00Z"),
        (1767600000, "an ISO 8601 date-time or a datetime"),
        ("2026-03-02T10:36:00Z", "a moment no later than now (up to 0:05:00 ahead of the clock)"),
    ],
    ids=["not a date", "a number", "later than the clock allows"],
)
def test_an_unusable_submittedon_is_refused_and_nothing_written(
    store: Store, given: object, expected: str
) -> None:
    before = contents(store)
    handler = SubmissionHandler(store, clock=lambda: AT)
    with pytest.raises(SubmissionRejected) as refused:
        handler.submit({**FORM, "submittedon": given})
    (problem,) = refused.value.problems
    assert (problem.path, problem.expected) == ("submittedon", expected)
    assert contents(store) == before


def test_a_little_clock_skew_is_allowed(store: Store) -> None:
    ahead = AT + dt.timedelta(minutes=4)
    outcome = SubmissionHandler(store, clock=lambda: AT).submit(
        {**FORM, "submittedon": ahead.isoformat()}
    )
    assert store.get(Contact, outcome.contact_id).createdon == ahead


@pytest.mark.parametrize(
    ("extra", "kept"),
    [
        ({}, ("utm_source",)),
        ({"utm_medium": "email", "gclid": "x1"}, ("utm_source", "utm_medium", "gclid")),
        ({"consent_level": 2, "consent_policy": "web", "submittedon": None}, ("utm_source",)),
    ],
    ids=["one", "several, in the order sent", "consent and submittedon are read, not kept"],
)
def test_the_outcome_names_the_fields_kept_only_in_the_payload(
    store: Store, extra: dict[str, Any], kept: tuple[str, ...]
) -> None:
    outcome = SubmissionHandler(store).submit({**FORM, **extra}, at=AT)
    assert outcome.payload_only == kept


def test_a_submission_older_than_the_record_updates_no_field(store: Store) -> None:
    """A queued post replayed after the record changed must not put its older values back:
    they would overwrite newer ones under an older date. It is still linked and kept."""
    handler = SubmissionHandler(store, clock=lambda: AT)
    first = handler.submit({**FORM, "jobtitle": "Buyer"}, at=T3)
    old = handler.submit({**FORM, "jobtitle": "Intern", "submittedon": T1.isoformat()})
    contact = store.get(Contact, first.contact_id)
    lead = store.get(Lead, first.lead_id)
    assert (contact.jobtitle, lead.jobtitle) == ("Buyer", "Buyer")
    assert (contact.modifiedon, lead.modifiedon) == (T3, T3)
    assert (old.contact_id, old.lead_id) == (first.contact_id, first.lead_id)
    assert old.codes == ("older-than-record", "older-than-record")
    assert "its values were not applied (jobtitle)" in old.warnings[0].text
    assert len(store.interactions(contactid=contact.id)) == 2
    newer = handler.submit({**FORM, "jobtitle": "Head of Buying"})
    assert store.get(Contact, newer.contact_id).jobtitle == "Head of Buying"
    assert newer.codes == ()
