"""can_send: who may receive which kind of message, and every reason why not (D7-D13).

The scenario table states, for each record, policy and send context, the answer
for EVERY message kind: a scenario lists the kinds it blocks with their full,
ordered reason codes, and every kind it does not list must be allowed. Reason
codes come in rule order: deleted, anonymized, channel (address/number), closed
record (D7), GDPR restrict (restricted by the person, or every data consent they gave
inactive), preference flags (D8-D10), consent (D11 or contact points), suppressions (D13).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import pickle
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecycle import (
    DEFAULT_POLICY,
    Account,
    ConsentLevel,
    ConsentStatus,
    ConsentValue,
    Contact,
    ContactPointConsent,
    ContactPointLedger,
    DataConsent,
    Decision,
    InvalidFieldError,
    Lead,
    LeadflowError,
    LeadStatus,
    MessageKind,
    Policy,
    ReasonCode,
    Record,
    Suppression,
    SuppressionList,
    SuppressionReason,
    can_send,
)
from lifecycle.consent import consent_summary
from lifecycle.contactpoints import Channel, Enforcement
from lifecycle.eligibility import (
    DEFAULT_KIND_PURPOSES,
    DEFAULT_MINIMUM_LEVELS,
    DEFAULT_PURPOSES,
    ConsentModel,
    FrozenMap,
)
from lifecycle.errors import FieldTypeError
from lifecycle.suppression import HARD_BOUNCE_DAYS
from tests.strategies import NAIVE, STARTS, T1, build, case_id

K = MessageKind
AT = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
"""When every decision below is taken (triggers run earlier, at T1)."""
EMAIL = "pat@example.com"
REACHABLE: dict[str, Any] = {
    "emailaddress1": EMAIL,
    "telephone1": "+1 555 0100",
    "address1_line1": "1 Main Street",
}
"""A record every channel can reach."""

EMAIL_KINDS = (
    K.COMMERCIAL,
    K.SUBSCRIPTION,
    K.TRANSACTIONAL,
    K.CONSENT_REQUEST,
    K.MANUAL,
    K.WORKFLOW,
)
BULK = (K.COMMERCIAL, K.SUBSCRIPTION, K.CONSENT_REQUEST)
"""D9: the kinds donotbulkemail blocks."""
ENGINE = (*BULK, K.TRANSACTIONAL)
"""Kinds the marketing engine sends: suppressions and contact-point consent apply."""
CLOSED = (*BULK, K.MARKETING_MATERIALS, K.PHONE, K.POSTAL)
"""D7: what a closed record (inactive, qualified, disqualified) no longer receives."""
MINIMUM = {
    K.CONSENT_REQUEST: (1, "consent-below-consent"),
    K.TRANSACTIONAL: (2, "consent-below-transactional"),
    K.SUBSCRIPTION: (3, "consent-below-subscription"),
    K.COMMERCIAL: (4, "consent-below-marketing"),
    K.MARKETING_MATERIALS: (4, "consent-below-marketing"),
    K.PHONE: (4, "consent-below-marketing"),
    K.POSTAL: (4, "consent-below-marketing"),
}
"""D11, written out from shared/domain.md: the level each kind needs, and the code when below
(level 0 gets nothing unsolicited; campaign calls and letters are marketing, D10)."""
LAPSED: dict[Any, tuple[str, ...]] = {
    K.COMMERCIAL: ("gdpr-restrict", "consent-below-marketing"),
    K.SUBSCRIPTION: ("gdpr-restrict", "consent-below-subscription"),
    K.TRANSACTIONAL: ("gdpr-restrict", "consent-below-transactional"),
    K.CONSENT_REQUEST: ("gdpr-restrict", "consent-below-consent"),
    (K.MANUAL, K.WORKFLOW): ("gdpr-restrict",),
    K.MARKETING_MATERIALS: ("gdpr-restrict", "consent-below-marketing"),
    K.PHONE: ("gdpr-restrict", "consent-below-marketing"),
    K.POSTAL: ("gdpr-restrict", "consent-below-marketing"),
}
"""An open lead or contact whose every data consent is inactive, consent levels enforced: GDPR
consent is Restrict (every kind blocked), and the consent level is None (D11, seed 003)."""

DATA_PROTECTION = Policy.data_protection()
"""The preset that enforces consent levels (D11). The scenarios below were written when it
was the default; they keep their assertions under it, and the default has its own table."""
NO_CONSENT = Policy.data_protection(enforce_consent_levels=False)
CONTACT_POINTS = Policy.data_protection(consent_model=ConsentModel.CONTACT_POINTS)
NO_CONTACT_FLAGS = Policy.data_protection(check_contact_flags=False)


def contact_points(**enforcement: Enforcement) -> Policy:
    """Contact-point consent with RTJ's default purposes, some changed."""
    purposes = {
        "commercial": Enforcement.NON_RESTRICTIVE,
        "transactional": Enforcement.DISABLED,
        **enforcement,
    }
    return Policy.data_protection(consent_model=ConsentModel.CONTACT_POINTS, purposes=purposes)


RESTRICTIVE = contact_points(commercial=Enforcement.RESTRICTIVE)


# --- builders ------------------------------------------------------------------------------


def consent(level: int = ConsentLevel.PROFILING, **fields: Any) -> DataConsent:
    """A consent given before T1, Active unless ``fields`` say otherwise."""
    return DataConsent(level=level, given_on=T1 - dt.timedelta(days=30), **fields)


def person(kind: type[Record] = Contact, level: int | None = 5, **fields: Any) -> Any:
    """A reachable lead or contact; ``level`` is its one active consent (``None``: no consent)."""
    consents = [] if level is None else [consent(level, id="c-1")]
    return kind(id=f"{kind.__name__.lower()}-1", **{"consents": consents, **REACHABLE, **fields})


def contact(**fields: Any) -> Contact:
    return person(Contact, **fields)  # type: ignore[no-any-return]


def lead(**fields: Any) -> Lead:
    return person(Lead, **fields)  # type: ignore[no-any-return]


def account(**fields: Any) -> Account:
    return Account(id="account-1", name="Contoso Clinics", **{**REACHABLE, **fields})


def deactivated(record: Any) -> Any:
    record.deactivate(at=T1)
    return record


def disqualified(record: Lead, reason: LeadStatus = LeadStatus.LOST) -> Lead:
    record.disqualify(reason, at=T1)
    return record


def qualified(record: Lead) -> Lead:
    record.qualify(at=T1)
    return record


def restricted(record: Any) -> Any:
    record.restrict_consent(at=T1)
    return record


def ledger(*answers: tuple[str, str | None, ConsentValue]) -> ContactPointLedger:
    """Contact-point answers for EMAIL: (purpose, topic, value)."""
    return ContactPointLedger(
        tuple(
            ContactPointConsent(contact_point=EMAIL, purpose=p, topic=t, value=v, at=T1)
            for p, t, v in answers
        )
    )


def hard_bounce(days_ago: int, address: str = EMAIL) -> Suppression:
    since = AT - dt.timedelta(days=days_ago)
    until = since + dt.timedelta(days=HARD_BOUNCE_DAYS)
    return Suppression(
        address=address, reason=SuppressionReason.HARD_BOUNCE, since=since, until=until
    )


def spam(days_ago: int = 3650, address: str = EMAIL) -> Suppression:
    since = AT - dt.timedelta(days=days_ago)
    return Suppression(address=address, reason=SuppressionReason.SPAM_COMPLAINT, since=since)


def account_opt_out(account_name: str = "events@contoso.example") -> Suppression:
    return Suppression(
        address=EMAIL,
        reason=SuppressionReason.SENDING_ACCOUNT_OPT_OUT,
        since=AT - dt.timedelta(days=1),
        sending_account=account_name,
    )


def suppressed(*entries: Suppression) -> SuppressionList:
    return SuppressionList(entries)


# --- the table -----------------------------------------------------------------------------

Extras = Callable[[], dict[str, Any]]


class Row(NamedTuple):
    description: str
    build: Callable[[], Record]
    kind: MessageKind
    policy: Policy
    allowed: bool
    codes: tuple[str, ...]
    extras: Extras


def _none() -> dict[str, Any]:
    return {}


def scenario(
    description: str,
    build_record: Callable[[], Record],
    blocked: Mapping[MessageKind | tuple[MessageKind, ...], tuple[str, ...]] | None = None,
    *,
    policy: Policy = DATA_PROTECTION,
    extras: Extras = _none,
) -> list[Row]:
    """One row per message kind: the kinds in ``blocked`` with their codes, every other allowed."""
    expected: dict[MessageKind, tuple[str, ...]] = {}
    for kinds, codes in (blocked or {}).items():
        for kind in kinds if isinstance(kinds, tuple) else (kinds,):
            assert kind not in expected, f"{description}: {kind} listed twice"
            assert codes, f"{description}: a blocked kind needs its codes"
            expected[kind] = codes
    return [
        Row(
            description,
            build_record,
            kind,
            policy,
            not expected.get(kind),
            expected.get(kind, ()),
            extras,
        )
        for kind in MessageKind
    ]


def each(kinds: tuple[MessageKind, ...], codes: tuple[str, ...]) -> dict[Any, tuple[str, ...]]:
    return {kinds: codes}


SCENARIOS: list[Row] = [
    # Open and active records with full consent get everything.
    *scenario("active contact", contact),
    *scenario("open lead", lead),
    *scenario("contacted lead", lambda: _contacted(lead())),
    *scenario("active account, consent not enforced", account, policy=NO_CONSENT),
    # D7: closed records are out of bulk, marketing materials and campaign calls/letters;
    # transactional, manual and workflow email still reach them.
    *scenario(
        "inactive contact", lambda: deactivated(contact()), each(CLOSED, ("contact-inactive",))
    ),
    *scenario(
        "disqualified lead (Lost)",
        lambda: disqualified(lead()),
        each(CLOSED, ("lead-disqualified",)),
    ),
    *scenario(
        "disqualified lead (Cannot Contact)",
        lambda: disqualified(lead(), LeadStatus.CANNOT_CONTACT),
        each(CLOSED, ("lead-disqualified",)),
    ),
    *scenario(
        "disqualified lead (No Longer Interested)",
        lambda: disqualified(lead(), LeadStatus.NO_LONGER_INTERESTED),
        each(CLOSED, ("lead-disqualified",)),
    ),
    *scenario("qualified lead", lambda: qualified(lead()), each(CLOSED, ("lead-qualified",))),
    *scenario(
        "inactive account, consent not enforced",
        lambda: deactivated(account()),
        each(CLOSED, ("account-inactive",)),
        policy=NO_CONSENT,
    ),
    *scenario("reactivated contact", lambda: _reactivated(deactivated(contact()))),
    *scenario("reactivated lead", lambda: _reactivated(disqualified(lead()))),
    *scenario(
        "closed-record rule switched off",
        lambda: deactivated(contact()),
        policy=Policy.data_protection(closed_record_blocks=frozenset()),
    ),
    *scenario(
        "closed-record rule narrowed to commercial",
        lambda: disqualified(lead()),
        {K.COMMERCIAL: ("lead-disqualified",)},
        policy=Policy.data_protection(closed_record_blocks=frozenset({K.COMMERCIAL})),
    ),
    # Fields that do not gate email at all (seed questions 3a, 3b; D16 bucket accounts).
    *scenario("lead with a campaign", lambda: lead(campaignid="campaign-1")),
    *scenario(
        "disqualified lead with a campaign",
        lambda: disqualified(lead(campaignid="campaign-1")),
        each(CLOSED, ("lead-disqualified",)),
    ),
    *scenario("marketing-only contact", lambda: contact(marketingonly=True)),
    *scenario(
        "inactive contact, Marketing Only = No",
        lambda: deactivated(contact(marketingonly=False)),
        each(CLOSED, ("contact-inactive",)),
    ),
    *scenario("contact in a bucket account", lambda: contact(parentcustomerid="acc-retired")),
    *scenario("email tracking off", lambda: contact(followemail=False)),
    # D8: donotemail blocks every email, including manual, workflow and transactional.
    *scenario(
        "donotemail contact", lambda: contact(donotemail=True), each(EMAIL_KINDS, ("donotemail",))
    ),
    *scenario("donotemail lead", lambda: lead(donotemail=True), each(EMAIL_KINDS, ("donotemail",))),
    *scenario(
        "donotemail account, consent not enforced",
        lambda: account(donotemail=True),
        each(EMAIL_KINDS, ("donotemail",)),
        policy=NO_CONSENT,
    ),
    *scenario(
        "inactive donotemail contact",
        lambda: deactivated(contact(donotemail=True)),
        {
            BULK: ("contact-inactive", "donotemail"),
            (K.TRANSACTIONAL, K.MANUAL, K.WORKFLOW): ("donotemail",),
            (K.MARKETING_MATERIALS, K.PHONE, K.POSTAL): ("contact-inactive",),
        },
    ),
    # D9: donotbulkemail blocks commercial, subscription and consent-request email only.
    *scenario(
        "donotbulkemail contact",
        lambda: contact(donotbulkemail=True),
        each(BULK, ("donotbulkemail",)),
    ),
    *scenario(
        "donotbulkemail lead", lambda: lead(donotbulkemail=True), each(BULK, ("donotbulkemail",))
    ),
    *scenario(
        "donotemail and donotbulkemail",
        lambda: contact(donotemail=True, donotbulkemail=True),
        {
            BULK: ("donotemail", "donotbulkemail"),
            (K.TRANSACTIONAL, K.MANUAL, K.WORKFLOW): ("donotemail",),
        },
    ),
    # D10: donotsendmm gates marketing materials only, never email.
    *scenario(
        "donotsendmm contact",
        lambda: contact(donotsendmm=True),
        {K.MARKETING_MATERIALS: ("donotsendmm",)},
    ),
    *scenario(
        "donotsendmm lead",
        lambda: lead(donotsendmm=True),
        {K.MARKETING_MATERIALS: ("donotsendmm",)},
    ),
    *scenario(
        "inactive contact, Marketing Materials = Send",
        lambda: deactivated(contact(donotsendmm=False)),
        each(CLOSED, ("contact-inactive",)),
    ),
    *scenario(
        "inactive contact, Marketing Materials = Do Not Send",
        lambda: deactivated(contact(donotsendmm=True)),
        {
            **each((*BULK, K.PHONE, K.POSTAL), ("contact-inactive",)),
            K.MARKETING_MATERIALS: ("contact-inactive", "donotsendmm"),
        },
    ),
    # Phone and postal flags.
    *scenario("donotphone", lambda: contact(donotphone=True), {K.PHONE: ("donotphone",)}),
    *scenario(
        "donotpostalmail", lambda: lead(donotpostalmail=True), {K.POSTAL: ("donotpostalmail",)}
    ),
    # Missing channels.
    *scenario(
        "no email address",
        lambda: contact(emailaddress1=None),
        each(EMAIL_KINDS, ("no-email-address",)),
    ),
    *scenario("no phone number", lambda: lead(telephone1=None), {K.PHONE: ("no-phone-number",)}),
    *scenario("mobile phone only", lambda: contact(telephone1=None, mobilephone="+1 555 0111")),
    *scenario(
        "no postal address",
        lambda: contact(address1_line1=None),
        each((K.MARKETING_MATERIALS, K.POSTAL), ("no-postal-address",)),
    ),
    *scenario(
        "inactive contact without email",
        lambda: deactivated(contact(emailaddress1=None)),
        {
            BULK: ("no-email-address", "contact-inactive"),
            (K.TRANSACTIONAL, K.MANUAL, K.WORKFLOW): ("no-email-address",),
            (K.MARKETING_MATERIALS, K.PHONE, K.POSTAL): ("contact-inactive",),
        },
    ),
    # Deleted and anonymized records. Anonymizing also anonymizes every consent; an anonymized
    # record is not GDPR Restrict for it, but its consent level is None.
    *scenario("deleted contact", lambda: _deleted(contact()), each(tuple(K), ("record-deleted",))),
    *scenario("deleted lead", lambda: _deleted(lead()), each(tuple(K), ("record-deleted",))),
    *scenario(
        "anonymized contact",
        lambda: _anonymized(contact()),
        {
            K.COMMERCIAL: (
                "record-anonymized",
                "no-email-address",
                "contact-inactive",
                "consent-below-marketing",
            ),
            K.SUBSCRIPTION: (
                "record-anonymized",
                "no-email-address",
                "contact-inactive",
                "consent-below-subscription",
            ),
            K.CONSENT_REQUEST: (
                "record-anonymized",
                "no-email-address",
                "contact-inactive",
                "consent-below-consent",
            ),
            K.TRANSACTIONAL: (
                "record-anonymized",
                "no-email-address",
                "consent-below-transactional",
            ),
            (K.MANUAL, K.WORKFLOW): ("record-anonymized", "no-email-address"),
            K.MARKETING_MATERIALS: (
                "record-anonymized",
                "no-postal-address",
                "contact-inactive",
                "consent-below-marketing",
            ),
            K.PHONE: (
                "record-anonymized",
                "no-phone-number",
                "contact-inactive",
                "consent-below-marketing",
            ),
            K.POSTAL: (
                "record-anonymized",
                "no-postal-address",
                "contact-inactive",
                "consent-below-marketing",
            ),
        },
    ),
    *scenario(
        "anonymized lead",
        lambda: _anonymized(lead()),
        {
            K.COMMERCIAL: (
                "record-anonymized",
                "no-email-address",
                "lead-disqualified",
                "consent-below-marketing",
            ),
            K.SUBSCRIPTION: (
                "record-anonymized",
                "no-email-address",
                "lead-disqualified",
                "consent-below-subscription",
            ),
            K.CONSENT_REQUEST: (
                "record-anonymized",
                "no-email-address",
                "lead-disqualified",
                "consent-below-consent",
            ),
            K.TRANSACTIONAL: (
                "record-anonymized",
                "no-email-address",
                "consent-below-transactional",
            ),
            (K.MANUAL, K.WORKFLOW): ("record-anonymized", "no-email-address"),
            K.MARKETING_MATERIALS: (
                "record-anonymized",
                "no-postal-address",
                "lead-disqualified",
                "consent-below-marketing",
            ),
            K.PHONE: (
                "record-anonymized",
                "no-phone-number",
                "lead-disqualified",
                "consent-below-marketing",
            ),
            K.POSTAL: (
                "record-anonymized",
                "no-postal-address",
                "lead-disqualified",
                "consent-below-marketing",
            ),
        },
    ),
    # GDPR Restrict: every preference becomes Do Not Allow, so every kind is blocked (D11).
    *scenario(
        "restricted contact",
        lambda: restricted(contact()),
        {
            BULK: ("gdpr-restrict", "donotemail", "donotbulkemail"),
            (K.TRANSACTIONAL, K.MANUAL, K.WORKFLOW): ("gdpr-restrict", "donotemail"),
            K.MARKETING_MATERIALS: ("gdpr-restrict", "donotsendmm"),
            K.PHONE: ("gdpr-restrict", "donotphone"),
            K.POSTAL: ("gdpr-restrict", "donotpostalmail"),
        },
    ),
    *scenario(
        "restricted lead, disqualified",
        lambda: restricted(disqualified(lead())),
        {
            BULK: ("lead-disqualified", "gdpr-restrict", "donotemail", "donotbulkemail"),
            (K.TRANSACTIONAL, K.MANUAL, K.WORKFLOW): ("gdpr-restrict", "donotemail"),
            K.MARKETING_MATERIALS: ("lead-disqualified", "gdpr-restrict", "donotsendmm"),
            K.PHONE: ("lead-disqualified", "gdpr-restrict", "donotphone"),
            K.POSTAL: ("lead-disqualified", "gdpr-restrict", "donotpostalmail"),
        },
    ),
    *scenario(
        "restricted contact, consent not enforced",
        lambda: restricted(contact(level=None)),
        {
            BULK: ("gdpr-restrict", "donotemail", "donotbulkemail"),
            (K.TRANSACTIONAL, K.MANUAL, K.WORKFLOW): ("gdpr-restrict", "donotemail"),
            K.MARKETING_MATERIALS: ("gdpr-restrict", "donotsendmm"),
            K.PHONE: ("gdpr-restrict", "donotphone"),
            K.POSTAL: ("gdpr-restrict", "donotpostalmail"),
        },
        policy=NO_CONSENT,
    ),
    *scenario(
        "restricted contact, contact-level checks off",
        lambda: restricted(contact()),
        {
            ENGINE: ("gdpr-restrict",),
            (K.MANUAL, K.WORKFLOW): ("gdpr-restrict", "donotemail"),
            K.MARKETING_MATERIALS: ("gdpr-restrict", "donotsendmm"),
            K.PHONE: ("gdpr-restrict", "donotphone"),
            K.POSTAL: ("gdpr-restrict", "donotpostalmail"),
        },
        policy=NO_CONTACT_FLAGS,
    ),
    # D11 consent: expired, cancelled and anonymized consents do not count; a person whose
    # every data consent is inactive is GDPR Restrict (seed 003), so nothing reaches them.
    *scenario(
        "consent expired at the moment of sending",
        lambda: contact(level=None, consents=[consent(5, valid_until=AT)]),
        LAPSED,
    ),
    *scenario(
        "consent valid one second longer",
        lambda: contact(
            level=None, consents=[consent(5, valid_until=AT + dt.timedelta(seconds=1))]
        ),
    ),
    *scenario(
        "consent with status Expired",
        lambda: contact(level=None, consents=[consent(5, status=ConsentStatus.EXPIRED)]),
        LAPSED,
    ),
    *scenario(
        "cancelled Marketing and Expired Profiling consents",
        lambda: contact(
            level=None, consents=[consent(4).cancel(), consent(5, status=ConsentStatus.EXPIRED)]
        ),
        LAPSED,
    ),
    *scenario(
        "lead whose only consent was cancelled",
        lambda: lead(level=None, consents=[consent(4).cancel()]),
        LAPSED,
    ),
    *scenario(
        "lapsed consents and an active level-0 consent: not restricted",
        lambda: contact(level=None, consents=[consent(5).cancel(), consent(0)]),
        {kind: (code,) for kind, (_, code) in MINIMUM.items()},
    ),
    *scenario(
        "every consent inactive, closed and flagged: restrict after D7, before the flags",
        lambda: deactivated(
            contact(level=None, donotemail=True, consents=[consent(5, valid_until=AT)])
        ),
        {
            K.COMMERCIAL: (
                "contact-inactive",
                "gdpr-restrict",
                "donotemail",
                "consent-below-marketing",
            ),
            K.SUBSCRIPTION: (
                "contact-inactive",
                "gdpr-restrict",
                "donotemail",
                "consent-below-subscription",
            ),
            K.TRANSACTIONAL: ("gdpr-restrict", "donotemail", "consent-below-transactional"),
            K.CONSENT_REQUEST: (
                "contact-inactive",
                "gdpr-restrict",
                "donotemail",
                "consent-below-consent",
            ),
            (K.MANUAL, K.WORKFLOW): ("gdpr-restrict", "donotemail"),
            (K.MARKETING_MATERIALS, K.PHONE, K.POSTAL): (
                "contact-inactive",
                "gdpr-restrict",
                "consent-below-marketing",
            ),
        },
    ),
    *scenario(
        "restricted, and every consent inactive: restrict given once",
        lambda: restricted(contact(level=None, consents=[consent(4).cancel()])),
        {
            K.COMMERCIAL: (
                "gdpr-restrict",
                "donotemail",
                "donotbulkemail",
                "consent-below-marketing",
            ),
            K.SUBSCRIPTION: (
                "gdpr-restrict",
                "donotemail",
                "donotbulkemail",
                "consent-below-subscription",
            ),
            K.TRANSACTIONAL: ("gdpr-restrict", "donotemail", "consent-below-transactional"),
            K.CONSENT_REQUEST: (
                "gdpr-restrict",
                "donotemail",
                "donotbulkemail",
                "consent-below-consent",
            ),
            (K.MANUAL, K.WORKFLOW): ("gdpr-restrict", "donotemail"),
            K.MARKETING_MATERIALS: ("gdpr-restrict", "donotsendmm", "consent-below-marketing"),
            K.PHONE: ("gdpr-restrict", "donotphone", "consent-below-marketing"),
            K.POSTAL: ("gdpr-restrict", "donotpostalmail", "consent-below-marketing"),
        },
    ),
    *scenario(
        "deleted lead whose every consent is inactive",
        lambda: _deleted(lead(level=None, consents=[consent(4, status=ConsentStatus.EXPIRED)])),
        {
            K.COMMERCIAL: ("record-deleted", "gdpr-restrict", "consent-below-marketing"),
            K.SUBSCRIPTION: ("record-deleted", "gdpr-restrict", "consent-below-subscription"),
            K.TRANSACTIONAL: ("record-deleted", "gdpr-restrict", "consent-below-transactional"),
            K.CONSENT_REQUEST: ("record-deleted", "gdpr-restrict", "consent-below-consent"),
            (K.MANUAL, K.WORKFLOW): ("record-deleted", "gdpr-restrict"),
            (K.MARKETING_MATERIALS, K.PHONE, K.POSTAL): (
                "record-deleted",
                "gdpr-restrict",
                "consent-below-marketing",
            ),
        },
    ),
    *scenario(
        "every consent inactive, consent not enforced: not restricted",
        lambda: contact(level=None, consents=[consent(5, status=ConsentStatus.EXPIRED)]),
        policy=NO_CONSENT,
    ),
    *scenario(
        "every consent inactive, contact-point consent: not restricted",
        lambda: contact(level=None, consents=[consent(5, status=ConsentStatus.EXPIRED)]),
        policy=CONTACT_POINTS,
    ),
    *scenario(
        "cancelled Profiling consent, active Subscription consent",
        lambda: lead(level=3, consents=[consent(5).cancel(), consent(3)]),
        each(
            (K.COMMERCIAL, K.MARKETING_MATERIALS, K.PHONE, K.POSTAL), ("consent-below-marketing",)
        ),
    ),
    *scenario(
        "reactivated Marketing consent",
        lambda: contact(level=None, consents=[consent(4).cancel().reactivate()]),
    ),
    *scenario(
        "highest active level counts",
        lambda: contact(level=None, consents=[consent(1), consent(4), consent(2)]),
    ),
    *scenario(
        "active account: accounts hold no consent",
        account,
        {
            K.COMMERCIAL: ("account-holds-no-consent",),
            K.MARKETING_MATERIALS: ("account-holds-no-consent",),
            K.SUBSCRIPTION: ("account-holds-no-consent",),
            K.TRANSACTIONAL: ("account-holds-no-consent",),
            K.CONSENT_REQUEST: ("account-holds-no-consent",),
            K.PHONE: ("account-holds-no-consent",),
            K.POSTAL: ("account-holds-no-consent",),
        },
    ),
    *scenario(
        "inactive account: accounts hold no consent",
        lambda: deactivated(account()),
        {
            (*BULK, K.MARKETING_MATERIALS, K.PHONE, K.POSTAL): (
                "account-inactive",
                "account-holds-no-consent",
            ),
            K.TRANSACTIONAL: ("account-holds-no-consent",),
        },
    ),
    *scenario(
        "account carrying consents still holds none",
        lambda: account(consents=[consent(5)]),
        each(tuple(MINIMUM), ("account-holds-no-consent",)),
    ),
    *scenario(
        "account whose every consent is inactive is not restricted",
        lambda: account(consents=[consent(5, status=ConsentStatus.EXPIRED), consent(4).cancel()]),
        each(tuple(MINIMUM), ("account-holds-no-consent",)),
    ),
    *scenario(
        "consent not enforced: level 0 contact", lambda: contact(level=None), policy=NO_CONSENT
    ),
    *scenario(
        "consent not enforced: inactive level 0 contact",
        lambda: deactivated(contact(level=None)),
        each(CLOSED, ("contact-inactive",)),
        policy=NO_CONSENT,
    ),
    # Journey minimum consent raises what commercial needs, never lowers it.
    *scenario(
        "journey minimum Profiling, contact at Marketing",
        lambda: contact(level=4),
        {K.COMMERCIAL: ("consent-below-profiling",)},
        policy=Policy.data_protection(journey_minimum=ConsentLevel.PROFILING),
    ),
    *scenario(
        "journey minimum Profiling, contact at Profiling",
        lambda: contact(level=5),
        policy=Policy.data_protection(journey_minimum=ConsentLevel.PROFILING),
    ),
    *scenario(
        "journey minimum Subscription, contact at Subscription",
        lambda: contact(level=3),
        each(
            (K.COMMERCIAL, K.MARKETING_MATERIALS, K.PHONE, K.POSTAL), ("consent-below-marketing",)
        ),
        policy=Policy.data_protection(journey_minimum=ConsentLevel.SUBSCRIPTION),
    ),
    *scenario(
        "custom minimum: transactional needs Marketing, the other minimums are kept",
        lambda: contact(level=3),
        {
            (
                K.COMMERCIAL,
                K.TRANSACTIONAL,
                K.MARKETING_MATERIALS,
                K.PHONE,
                K.POSTAL,
            ): ("consent-below-marketing",),
        },
        policy=Policy.data_protection(minimum_levels={K.TRANSACTIONAL: ConsentLevel.MARKETING}),
    ),
    *scenario(
        "custom minimum: level 0 removes commercial's minimum only",
        lambda: contact(level=3),
        {(K.MARKETING_MATERIALS, K.PHONE, K.POSTAL): ("consent-below-marketing",)},
        policy=Policy.data_protection(minimum_levels={K.COMMERCIAL: ConsentLevel.NONE}),
    ),
    # check_contact_flags off: the marketing engine ignores donotemail/donotbulkemail;
    # manual and workflow email still honour donotemail.
    *scenario(
        "contact-level checks off, donotemail",
        lambda: contact(donotemail=True),
        each((K.MANUAL, K.WORKFLOW), ("donotemail",)),
        policy=NO_CONTACT_FLAGS,
    ),
    *scenario(
        "contact-level checks off, donotbulkemail",
        lambda: lead(donotbulkemail=True),
        policy=NO_CONTACT_FLAGS,
    ),
    *scenario(
        "contact-level checks off, donotsendmm still gates materials",
        lambda: contact(donotsendmm=True),
        {K.MARKETING_MATERIALS: ("donotsendmm",)},
        policy=NO_CONTACT_FLAGS,
    ),
    *scenario(
        "contact-level checks off, inactive contact",
        lambda: deactivated(contact(donotemail=True)),
        {
            BULK: ("contact-inactive",),
            (K.MANUAL, K.WORKFLOW): ("donotemail",),
            (K.MARKETING_MATERIALS, K.PHONE, K.POSTAL): ("contact-inactive",),
        },
        policy=NO_CONTACT_FLAGS,
    ),
    # Suppressions (D13): only the marketing engine's sends.
    *scenario(
        "hard bounce 10 days ago",
        contact,
        each(ENGINE, ("suppressed-hard-bounce",)),
        extras=lambda: {"suppressions": suppressed(hard_bounce(10))},
    ),
    *scenario(
        "hard bounce 179 days ago",
        contact,
        each(ENGINE, ("suppressed-hard-bounce",)),
        extras=lambda: {"suppressions": suppressed(hard_bounce(179))},
    ),
    *scenario(
        "hard bounce exactly 180 days ago has expired",
        contact,
        extras=lambda: {"suppressions": suppressed(hard_bounce(180))},
    ),
    *scenario(
        "hard bounce recorded after the send",
        contact,
        extras=lambda: {"suppressions": suppressed(hard_bounce(-1))},
    ),
    *scenario(
        "spam complaint ten years ago is permanent",
        lead,
        each(ENGINE, ("suppressed-spam-complaint",)),
        extras=lambda: {"suppressions": suppressed(spam())},
    ),
    *scenario(
        "suppression matches the address case-insensitively",
        contact,
        each(ENGINE, ("suppressed-spam-complaint",)),
        extras=lambda: {"suppressions": suppressed(spam(address="  PAT@Example.COM"))},
    ),
    *scenario(
        "another address's suppression does not apply",
        contact,
        extras=lambda: {"suppressions": suppressed(spam(address="someone@example.com"))},
    ),
    *scenario(
        "hard bounce and spam complaint, two hard bounces listed once",
        contact,
        each(ENGINE, ("suppressed-hard-bounce", "suppressed-spam-complaint")),
        extras=lambda: {"suppressions": suppressed(hard_bounce(10), hard_bounce(20), spam())},
    ),
    *scenario(
        "sending-account opt-out, same account",
        contact,
        each(ENGINE, ("suppressed-sending-account",)),
        extras=lambda: {
            "suppressions": suppressed(account_opt_out()),
            "sending_account": "events@contoso.example",
        },
    ),
    *scenario(
        "sending-account opt-out, another account",
        contact,
        extras=lambda: {
            "suppressions": suppressed(account_opt_out()),
            "sending_account": "sales@contoso.example",
        },
    ),
    *scenario(
        "sending-account opt-out, no account named",
        contact,
        extras=lambda: {"suppressions": suppressed(account_opt_out())},
    ),
    *scenario(
        "suppressions not honoured",
        contact,
        policy=Policy.data_protection(honour_suppressions=False),
        extras=lambda: {"suppressions": suppressed(spam(), hard_bounce(1))},
    ),
    *scenario(
        "a suppressed contact without email",
        lambda: contact(emailaddress1=None),
        each(EMAIL_KINDS, ("no-email-address",)),
        extras=lambda: {"suppressions": suppressed(spam())},
    ),
    # Contact-point consent (real-time journeys); consent levels are not consulted.
    *scenario(
        "contact points, nothing set (non-restrictive)",
        lambda: contact(level=None),
        policy=CONTACT_POINTS,
    ),
    *scenario(
        "contact points, opted out of commercial",
        lambda: contact(level=None),
        each(BULK, ("contact-point-opted-out",)),
        policy=CONTACT_POINTS,
        extras=lambda: {"contact_points": ledger(("commercial", None, ConsentValue.OPTED_OUT))},
    ),
    *scenario(
        "contact points, opted out of transactional (disabled)",
        contact,
        policy=CONTACT_POINTS,
        extras=lambda: {"contact_points": ledger(("transactional", None, ConsentValue.OPTED_OUT))},
    ),
    *scenario(
        "contact points, opted in again after opting out",
        contact,
        policy=CONTACT_POINTS,
        extras=lambda: {
            "contact_points": ContactPointLedger(
                (
                    ContactPointConsent(contact_point=EMAIL, value=ConsentValue.OPTED_OUT, at=T1),
                    ContactPointConsent(
                        contact_point=EMAIL,
                        value=ConsentValue.OPTED_IN,
                        at=T1 + dt.timedelta(days=1),
                    ),
                )
            )
        },
    ),
    *scenario(
        "contact points, restrictive, not set",
        contact,
        each(BULK, ("contact-point-not-opted-in",)),
        policy=RESTRICTIVE,
    ),
    *scenario(
        "contact points, restrictive, opted in",
        contact,
        policy=RESTRICTIVE,
        extras=lambda: {"contact_points": ledger(("commercial", None, ConsentValue.OPTED_IN))},
    ),
    *scenario(
        "contact points, restrictive, opted out",
        contact,
        each(BULK, ("contact-point-opted-out",)),
        policy=RESTRICTIVE,
        extras=lambda: {"contact_points": ledger(("commercial", None, ConsentValue.OPTED_OUT))},
    ),
    *scenario(
        "contact points, purposes given keep the defaults of the others (transactional disabled)",
        contact,
        policy=Policy.data_protection(
            consent_model=ConsentModel.CONTACT_POINTS, purposes={"commercial": Enforcement.DISABLED}
        ),
    ),
    *scenario(
        "contact points, a custom purpose with no enforcement counts as restrictive",
        contact,
        each((K.TRANSACTIONAL,), ("contact-point-not-opted-in",)),
        policy=Policy.data_protection(
            consent_model=ConsentModel.CONTACT_POINTS,
            kind_purposes={**DEFAULT_KIND_PURPOSES, K.TRANSACTIONAL: "receipts"},
        ),
    ),
    *scenario(
        "contact points, disabled, opted out",
        contact,
        policy=contact_points(commercial=Enforcement.DISABLED),
        extras=lambda: {"contact_points": ledger(("commercial", None, ConsentValue.OPTED_OUT))},
    ),
    *scenario(
        "contact points, transactional restrictive, not set",
        contact,
        {K.TRANSACTIONAL: ("contact-point-not-opted-in",)},
        policy=contact_points(transactional=Enforcement.RESTRICTIVE),
    ),
    *scenario(
        "contact points, restrictive, opted in under another address",
        lambda: contact(emailaddress1="other@example.com"),
        each(BULK, ("contact-point-not-opted-in",)),
        policy=RESTRICTIVE,
        extras=lambda: {"contact_points": ledger(("commercial", None, ConsentValue.OPTED_IN))},
    ),
    *scenario(
        "contact points, restrictive, no email address",
        lambda: contact(emailaddress1=None),
        {
            BULK: ("no-email-address", "contact-point-not-opted-in"),
            (K.TRANSACTIONAL, K.MANUAL, K.WORKFLOW): ("no-email-address",),
        },
        policy=RESTRICTIVE,
    ),
    *scenario(
        "contact points, levels not enforced, opted out: the opt-out still holds",
        contact,
        each(BULK, ("contact-point-opted-out",)),
        policy=Policy.data_protection(
            consent_model=ConsentModel.CONTACT_POINTS, enforce_consent_levels=False
        ),
        extras=lambda: {"contact_points": ledger(("commercial", None, ConsentValue.OPTED_OUT))},
    ),
    *scenario(
        "contact points, inactive contact opted in",
        lambda: deactivated(contact(level=None)),
        each(CLOSED, ("contact-inactive",)),
        policy=CONTACT_POINTS,
        extras=lambda: {"contact_points": ledger(("commercial", None, ConsentValue.OPTED_IN))},
    ),
    # Topics need consent for both the purpose and the topic.
    *scenario(
        "topic, restrictive, purpose and topic opted in",
        contact,
        policy=RESTRICTIVE,
        extras=lambda: {
            "topic": "CE courses",
            "contact_points": ledger(
                ("commercial", None, ConsentValue.OPTED_IN),
                ("commercial", "ce courses", ConsentValue.OPTED_IN),
            ),
        },
    ),
    *scenario(
        "topic, restrictive, purpose opted in, topic not set",
        contact,
        each(BULK, ("topic-not-opted-in",)),
        policy=RESTRICTIVE,
        extras=lambda: {
            "topic": "CE courses",
            "contact_points": ledger(("commercial", None, ConsentValue.OPTED_IN)),
        },
    ),
    *scenario(
        "topic, restrictive, topic opted in, purpose not set",
        contact,
        each(BULK, ("contact-point-not-opted-in",)),
        policy=RESTRICTIVE,
        extras=lambda: {
            "topic": "CE courses",
            "contact_points": ledger(("commercial", "CE courses", ConsentValue.OPTED_IN)),
        },
    ),
    *scenario(
        "topic, restrictive, nothing set",
        contact,
        each(BULK, ("contact-point-not-opted-in", "topic-not-opted-in")),
        policy=RESTRICTIVE,
        extras=lambda: {"topic": "CE courses"},
    ),
    *scenario(
        "topic, non-restrictive, topic opted out",
        contact,
        each(BULK, ("topic-opted-out",)),
        policy=CONTACT_POINTS,
        extras=lambda: {
            "topic": "CE courses",
            "contact_points": ledger(("commercial", "CE courses", ConsentValue.OPTED_OUT)),
        },
    ),
    *scenario(
        "topic, non-restrictive, purpose opted out, topic opted in",
        contact,
        each(BULK, ("contact-point-opted-out",)),
        policy=CONTACT_POINTS,
        extras=lambda: {
            "topic": "CE courses",
            "contact_points": ledger(
                ("commercial", None, ConsentValue.OPTED_OUT),
                ("commercial", "CE courses", ConsentValue.OPTED_IN),
            ),
        },
    ),
    *scenario(
        "topic, non-restrictive, both opted out",
        contact,
        each(BULK, ("contact-point-opted-out", "topic-opted-out")),
        policy=CONTACT_POINTS,
        extras=lambda: {
            "topic": "CE courses",
            "contact_points": ledger(
                ("commercial", None, ConsentValue.OPTED_OUT),
                ("commercial", "CE courses", ConsentValue.OPTED_OUT),
            ),
        },
    ),
    *scenario(
        "topic opt-out of another topic does not apply",
        contact,
        policy=CONTACT_POINTS,
        extras=lambda: {
            "topic": "CE courses",
            "contact_points": ledger(("commercial", "webinars", ConsentValue.OPTED_OUT)),
        },
    ),
    # Every reason at once, in rule order.
    *scenario(
        "every reason at once",
        lambda: deactivated(
            contact(level=1, donotemail=True, donotbulkemail=True, donotsendmm=True)
        ),
        {
            K.COMMERCIAL: (
                "contact-inactive",
                "donotemail",
                "donotbulkemail",
                "consent-below-marketing",
                "suppressed-hard-bounce",
                "suppressed-spam-complaint",
            ),
            K.SUBSCRIPTION: (
                "contact-inactive",
                "donotemail",
                "donotbulkemail",
                "consent-below-subscription",
                "suppressed-hard-bounce",
                "suppressed-spam-complaint",
            ),
            K.CONSENT_REQUEST: (
                "contact-inactive",
                "donotemail",
                "donotbulkemail",
                "suppressed-hard-bounce",
                "suppressed-spam-complaint",
            ),
            K.TRANSACTIONAL: (
                "donotemail",
                "consent-below-transactional",
                "suppressed-hard-bounce",
                "suppressed-spam-complaint",
            ),
            (K.MANUAL, K.WORKFLOW): ("donotemail",),
            K.MARKETING_MATERIALS: ("contact-inactive", "donotsendmm", "consent-below-marketing"),
            (K.PHONE, K.POSTAL): ("contact-inactive", "consent-below-marketing"),
        },
        extras=lambda: {"suppressions": suppressed(hard_bounce(5), spam())},
    ),
]


def _contacted(record: Lead) -> Lead:
    record.mark_contacted(at=T1)
    return record


def _reactivated(record: Any) -> Any:
    if isinstance(record, Lead):
        record.reactivate(at=T1 + dt.timedelta(days=1))
    else:
        record.activate(at=T1 + dt.timedelta(days=1))
    return record


def _deleted(record: Any) -> Any:
    record.delete(at=T1)
    return record


def _anonymized(record: Any) -> Any:
    record.anonymize(at=T1)
    return record


# D11 levels 0..5 against each kind's minimum, on contacts and leads; no consent at all is level 0.
LEVEL_ROWS: list[Row] = [
    row
    for kind_of in (Contact, Lead)
    for level in (None, 0, 1, 2, 3, 4, 5)
    for row in scenario(
        f"{kind_of.__name__.lower()} at consent level {level}",
        lambda kind_of=kind_of, level=level: person(kind_of, level=level),
        {kind: (code,) for kind, (needed, code) in MINIMUM.items() if (level or 0) < needed},
    )
]


def default(
    description: str,
    build_record: Callable[[], Record],
    blocked: Mapping[MessageKind | tuple[MessageKind, ...], tuple[str, ...]] | None = None,
    *,
    extras: Extras = _none,
) -> list[Row]:
    """A scenario under the default policy, ``Policy()``."""
    return scenario(description, build_record, blocked, policy=DEFAULT_POLICY, extras=extras)


_LAPSED_CONSENTS = [consent(4).cancel(), consent(5, status=ConsentStatus.EXPIRED)]

# The default policy answers as Dynamics ships (D11): consent levels are not enforced, so a
# person without consent records, at level 0, or whose every consent lapsed, is not blocked
# for want of consent; every other rule, opt-outs included, holds as under the preset.
DEFAULT_SCENARIOS: list[Row] = [
    *default("contact without consent records", lambda: contact(level=None)),
    *default("lead without consent records", lambda: lead(level=None)),
    *default("contact at consent level 0", lambda: contact(level=0)),
    *default("lead at consent level 3", lambda: lead(level=3)),
    *default("active account", account),
    *default(
        "every consent inactive: not restricted",
        lambda: contact(level=None, consents=list(_LAPSED_CONSENTS)),
    ),
    *default(
        "restricted contact: an explicit restriction still blocks everything",
        lambda: restricted(contact(level=None)),
        {
            K.COMMERCIAL: ("gdpr-restrict", "donotemail", "donotbulkemail"),
            K.SUBSCRIPTION: ("gdpr-restrict", "donotemail", "donotbulkemail"),
            K.CONSENT_REQUEST: ("gdpr-restrict", "donotemail", "donotbulkemail"),
            (K.TRANSACTIONAL, K.MANUAL, K.WORKFLOW): ("gdpr-restrict", "donotemail"),
            K.MARKETING_MATERIALS: ("gdpr-restrict", "donotsendmm"),
            K.PHONE: ("gdpr-restrict", "donotphone"),
            K.POSTAL: ("gdpr-restrict", "donotpostalmail"),
        },
    ),
    *default(
        "inactive contact without consent",
        lambda: deactivated(contact(level=None)),
        each(CLOSED, ("contact-inactive",)),
    ),
    *default(
        "disqualified lead without consent",
        lambda: disqualified(lead(level=None)),
        each(CLOSED, ("lead-disqualified",)),
    ),
    *default(
        "qualified lead without consent",
        lambda: qualified(lead(level=None)),
        each(CLOSED, ("lead-qualified",)),
    ),
    *default(
        "inactive account", lambda: deactivated(account()), each(CLOSED, ("account-inactive",))
    ),
    *default(
        "deleted lead", lambda: _deleted(lead(level=None)), each(tuple(K), ("record-deleted",))
    ),
    *default(
        "donotemail contact without consent",
        lambda: contact(level=None, donotemail=True),
        each(EMAIL_KINDS, ("donotemail",)),
    ),
    *default(
        "donotbulkemail lead without consent",
        lambda: lead(level=None, donotbulkemail=True),
        each(BULK, ("donotbulkemail",)),
    ),
    *default(
        "donotsendmm, donotphone and donotpostalmail",
        lambda: contact(level=None, donotsendmm=True, donotphone=True, donotpostalmail=True),
        {
            K.MARKETING_MATERIALS: ("donotsendmm",),
            K.PHONE: ("donotphone",),
            K.POSTAL: ("donotpostalmail",),
        },
    ),
    *default(
        "no email address",
        lambda: contact(level=None, emailaddress1=None),
        each(EMAIL_KINDS, ("no-email-address",)),
    ),
    *default(
        "hard bounce and spam complaint",
        lambda: contact(level=None),
        each(ENGINE, ("suppressed-hard-bounce", "suppressed-spam-complaint")),
        extras=lambda: {"suppressions": suppressed(hard_bounce(5), spam())},
    ),
    *default(
        "sending-account opt-out, same account",
        lambda: contact(level=None),
        each(ENGINE, ("suppressed-sending-account",)),
        extras=lambda: {
            "suppressions": suppressed(account_opt_out()),
            "sending_account": "events@contoso.example",
        },
    ),
    *default(
        "contact point opted out of commercial (one-click unsubscribe)",
        lambda: contact(level=None),
        each(BULK, ("contact-point-opted-out",)),
        extras=lambda: {"contact_points": ledger(("commercial", None, ConsentValue.OPTED_OUT))},
    ),
    *default(
        "topic opted out",
        lambda: lead(level=None),
        each(BULK, ("topic-opted-out",)),
        extras=lambda: {
            "topic": "CE courses",
            "contact_points": ledger(("commercial", "CE courses", ConsentValue.OPTED_OUT)),
        },
    ),
    *default(
        "transactional opt-out: the purpose is disabled, as Customer Insights ships it",
        lambda: contact(level=None),
        extras=lambda: {"contact_points": ledger(("transactional", None, ConsentValue.OPTED_OUT))},
    ),
    *default(
        "every reason at once, none of them consent",
        lambda: deactivated(
            contact(level=None, donotemail=True, donotbulkemail=True, donotsendmm=True)
        ),
        {
            (K.COMMERCIAL, K.SUBSCRIPTION, K.CONSENT_REQUEST): (
                "contact-inactive",
                "donotemail",
                "donotbulkemail",
                "contact-point-opted-out",
                "suppressed-spam-complaint",
            ),
            K.TRANSACTIONAL: ("donotemail", "suppressed-spam-complaint"),
            (K.MANUAL, K.WORKFLOW): ("donotemail",),
            K.MARKETING_MATERIALS: ("contact-inactive", "donotsendmm"),
            (K.PHONE, K.POSTAL): ("contact-inactive",),
        },
        extras=lambda: {
            "suppressions": suppressed(spam()),
            "contact_points": ledger(("commercial", None, ConsentValue.OPTED_OUT)),
        },
    ),
]


def _row_id(row: Row) -> str:
    return f"{row.description} / {row.kind.value}"


class TestScenarios:
    """The answer for every kind, for every flag, state and consent that changes one."""

    @pytest.mark.parametrize("row", SCENARIOS + LEVEL_ROWS + DEFAULT_SCENARIOS, ids=_row_id)
    def test_answer(self, row: Row) -> None:
        """Allowed exactly when no rule blocks, with every blocking reason, in rule order."""
        record = row.build()
        decision = can_send(record, row.kind, at=AT, policy=row.policy, **row.extras())
        assert decision.codes == row.codes, decision.explain()
        assert decision.allowed is row.allowed
        assert bool(decision) is decision.allowed
        assert decision.kind is row.kind
        assert decision.record_id == record.id
        assert all(r.text for r in decision.reasons)

    def test_every_kind_covered_in_every_scenario(self) -> None:
        """Each scenario states an answer for every message kind (none left implicit)."""
        for table in (SCENARIOS + LEVEL_ROWS, DEFAULT_SCENARIOS):
            by_description: dict[str, set[MessageKind]] = {}
            for row in table:
                by_description.setdefault(row.description, set()).add(row.kind)
            assert all(kinds == set(MessageKind) for kinds in by_description.values())
            assert len(by_description) == len(table) // len(MessageKind)

    def test_the_tables_are_under_the_policies_they_name(self) -> None:
        """The preset's table runs with consent levels enforced (its other policies are
        explicit variations); the default's table under ``Policy()`` alone."""
        assert {row.policy for row in DEFAULT_SCENARIOS} == {Policy()}
        preset = [row for row in SCENARIOS + LEVEL_ROWS if row.policy == DATA_PROTECTION]
        assert len(preset) > len(SCENARIOS + LEVEL_ROWS) // 2

    def test_no_consent_code_under_the_default(self) -> None:
        """Under the default no row is blocked for want of consent."""
        consent_codes = {c for c in (r.value for r in ReasonCode) if c.startswith("consent-below")}
        consent_codes |= {"account-holds-no-consent"}
        assert not consent_codes & {code for row in DEFAULT_SCENARIOS for code in row.codes}

    def test_every_reason_code_is_exercised(self) -> None:
        """The table reaches every ReasonCode the engine can give."""
        seen = {code for row in SCENARIOS + LEVEL_ROWS for code in row.codes}
        assert seen == {c.value for c in ReasonCode}

    def test_explain(self) -> None:
        """explain() says allowed, or blocked with every reason's code and text."""
        record = deactivated(contact(donotbulkemail=True))
        blocked = can_send(record, K.COMMERCIAL, at=AT)
        assert blocked.explain() == (
            "commercial to contact-1: blocked (contact-inactive: the contact is inactive; "
            "donotbulkemail: Bulk Email is set to Do Not Allow)"
        )
        assert can_send(record, K.MANUAL, at=AT).explain() == "manual to contact-1: allowed"
        assert str(blocked.reasons[0]) == "contact-inactive: the contact is inactive"

    def test_default_policy_is_dynamics_out_of_the_box(self) -> None:
        """D11: consent levels not enforced (the minimums are there for the preset), RTJ
        default purposes, contact-level checks and suppressions on."""
        policy = DEFAULT_POLICY
        assert policy == Policy()
        assert policy.enforce_consent_levels is False
        assert policy.levels_enforced is False
        assert policy.consent_model is ConsentModel.LEVELS
        assert dict(policy.purposes) == {
            "commercial": Enforcement.NON_RESTRICTIVE,
            "transactional": Enforcement.DISABLED,
            "tracking": Enforcement.NON_RESTRICTIVE,
        }
        assert policy.closed_record_blocks == frozenset(CLOSED)
        assert policy.check_contact_flags is True
        assert policy.honour_suppressions is True

    def test_data_protection_preset_is_the_documented_one(self) -> None:
        """D11 minimums enforced; everything else as the default."""
        policy = DATA_PROTECTION
        assert policy == Policy(enforce_consent_levels=True)
        assert policy.levels_enforced is True
        assert attrs.evolve(policy, enforce_consent_levels=False) == DEFAULT_POLICY
        assert {k: int(policy.minimum_level(k) or 0) for k in MINIMUM} == {
            k: n for k, (n, _) in MINIMUM.items()
        }
        assert dict(policy.minimum_levels) == {
            K.COMMERCIAL: ConsentLevel.MARKETING,
            K.MARKETING_MATERIALS: ConsentLevel.MARKETING,
            K.SUBSCRIPTION: ConsentLevel.SUBSCRIPTION,
            K.TRANSACTIONAL: ConsentLevel.TRANSACTIONAL,
            K.CONSENT_REQUEST: ConsentLevel.CONSENT,
            K.PHONE: ConsentLevel.MARKETING,
            K.POSTAL: ConsentLevel.MARKETING,
        }
        for kind in (K.MANUAL, K.WORKFLOW):
            assert policy.minimum_level(kind) is None
        assert Policy.data_protection(journey_minimum=5).journey_minimum is ConsentLevel.PROFILING
        assert Policy.data_protection(journey_minimum=5).enforce_consent_levels is True

    def test_timezone_of_at_does_not_matter(self) -> None:
        """The same instant in another timezone gives the same answer (consent expiry)."""
        record = contact(level=None, consents=[consent(4, valid_until=AT)])
        other_zone = AT.astimezone(dt.timezone(dt.timedelta(hours=-5)))
        just_before = other_zone - dt.timedelta(microseconds=1)
        assert can_send(record, K.COMMERCIAL, at=other_zone, policy=DATA_PROTECTION).codes == (
            "gdpr-restrict",
            "consent-below-marketing",
        )
        assert can_send(record, K.MANUAL, at=other_zone, policy=DATA_PROTECTION).codes == (
            "gdpr-restrict",
        )
        assert can_send(record, K.COMMERCIAL, at=just_before, policy=DATA_PROTECTION).allowed
        assert can_send(record, K.MANUAL, at=just_before, policy=DATA_PROTECTION).allowed

    def test_consent_lapses_while_record_is_disqualified(self) -> None:
        """A disqualified lead's consents keep running and expire (seed 003); reactivation
        does not bring the expired consent back, and the lead is now GDPR Restrict."""
        record = disqualified(lead(level=None, consents=[consent(4, valid_until=AT)]))
        _reactivated(record)
        assert can_send(
            record, K.COMMERCIAL, at=AT - dt.timedelta(days=1), policy=DATA_PROTECTION
        ).allowed
        assert can_send(record, K.COMMERCIAL, at=AT, policy=DATA_PROTECTION).codes == (
            "gdpr-restrict",
            "consent-below-marketing",
        )


class TestGdprRestrictFromLapsedConsents:
    """D11 + seed 003: GDPR consent is Restrict when every consent the person gave is inactive,
    and Restrict blocks every kind, unsolicited or not."""

    @pytest.mark.parametrize(
        ("kind", "codes"),
        [
            (K.MANUAL, ("gdpr-restrict",)),
            (K.WORKFLOW, ("gdpr-restrict",)),
            (K.PHONE, ("gdpr-restrict", "consent-below-marketing")),
            (K.POSTAL, ("gdpr-restrict", "consent-below-marketing")),
        ],
        ids=case_id,
    )
    def test_all_consents_inactive_is_restrict(
        self, kind: MessageKind, codes: tuple[str, ...]
    ) -> None:
        """consent_summary and can_send agree: every consent inactive is Restrict."""
        record = contact(
            level=None, consents=[consent(4).cancel(), consent(5, status=ConsentStatus.EXPIRED)]
        )
        assert consent_summary(record, AT).gdpr.value == "restrict"
        decision = can_send(record, kind, at=AT, policy=DATA_PROTECTION)
        assert not decision.allowed
        assert decision.codes == codes
        assert decision.reasons[0].text == (
            "every data consent the person gave is inactive: GDPR consent is Restrict"
        )

    def test_explicit_restriction_keeps_its_own_text(self) -> None:
        """A person who restricted processing and whose consents lapsed gets one gdpr-restrict
        reason: the explicit restriction's."""
        record = restricted(contact(level=None, consents=[consent(4).cancel()]))
        decision = can_send(record, K.MANUAL, at=AT)
        assert decision.codes == ("gdpr-restrict", "donotemail")
        assert decision.reasons[0].text == (
            "the person restricted processing: every preference is Do Not Allow"
        )

    def test_renewed_consent_lifts_the_restriction(self) -> None:
        """A new active consent next to the lapsed ones ends Restrict."""
        lapsed = [consent(4).cancel(), consent(5, status=ConsentStatus.EXPIRED)]
        record = contact(level=None, consents=[*lapsed, consent(4)])
        assert consent_summary(record, AT).gdpr.value == "explicit"
        for kind in MessageKind:
            assert can_send(record, kind, at=AT).codes == ()


class TestLevelZeroGetsNothingUnsolicited:
    """D11: level 0 gets nothing unsolicited; campaign calls and letters are marketing (D10)."""

    @pytest.mark.parametrize("kind", [K.PHONE, K.POSTAL], ids=case_id)
    @pytest.mark.parametrize(
        "build_record",
        [
            lambda: contact(level=None),
            lambda: contact(level=0),
            lambda: lead(level=3),
        ],
        ids=["contact-no-consent", "contact-level-0", "lead-level-3"],
    )
    def test_no_campaign_call_or_letter_below_marketing(
        self, kind: MessageKind, build_record: Callable[[], Record]
    ) -> None:
        """Without Marketing consent: consent-below-marketing, and nothing else."""
        decision = can_send(build_record(), kind, at=AT, policy=DATA_PROTECTION)
        assert not decision.allowed
        assert decision.codes == ("consent-below-marketing",)

    @pytest.mark.parametrize("kind", [K.PHONE, K.POSTAL], ids=case_id)
    def test_consent_not_enforced_sends_them(self, kind: MessageKind) -> None:
        """With consent levels off, a level-0 contact still gets campaign calls and letters."""
        assert can_send(contact(level=None), kind, at=AT, policy=NO_CONSENT).codes == ()
        assert can_send(contact(level=None), kind, at=AT, policy=CONTACT_POINTS).codes == ()


# --- properties ----------------------------------------------------------------------------

FLAGS = ("donotemail", "donotbulkemail", "donotsendmm", "donotphone", "donotpostalmail")
PURPOSE_NAMES = ("commercial", "transactional", "tracking", "events")

levels = st.sampled_from(list(ConsentLevel))
kinds = st.sampled_from(list(MessageKind))

policies = st.builds(
    Policy,
    enforce_consent_levels=st.booleans(),
    consent_model=st.sampled_from(list(ConsentModel)),
    minimum_levels=st.dictionaries(kinds, levels),
    journey_minimum=st.none() | levels,
    purposes=st.dictionaries(st.sampled_from(PURPOSE_NAMES), st.sampled_from(list(Enforcement))),
    kind_purposes=st.dictionaries(kinds, st.sampled_from(PURPOSE_NAMES)),
    check_contact_flags=st.booleans(),
    closed_record_blocks=st.frozensets(kinds),
    honour_suppressions=st.booleans(),
)
"""Any policy an organisation could configure."""

moments = st.sampled_from(
    [AT - dt.timedelta(days=400), AT - dt.timedelta(days=1), AT, AT + dt.timedelta(days=30), None]
)
data_consents = st.builds(
    DataConsent,
    level=levels,
    status=st.sampled_from(list(ConsentStatus)),
    valid_until=moments,
    explicit=st.booleans(),
)


@attrs.frozen
class Spec:
    """How to build a record; building twice gives two equal, independent records."""

    kind: type[Record]
    start: str
    fields: tuple[tuple[str, Any], ...]
    consents: tuple[DataConsent, ...]

    def build(self) -> Any:
        return build(
            self.kind, self.start, id="rec-1", consents=list(self.consents), **dict(self.fields)
        )

    def with_field(self, name: str, value: Any) -> Spec:
        return attrs.evolve(
            self, fields=(*((n, v) for n, v in self.fields if n != name), (name, value))
        )


@st.composite
def specs(draw: st.DrawFn) -> Spec:
    kind = draw(st.sampled_from([Lead, Contact, Account]))
    fields: dict[str, Any] = {}
    for name, value in REACHABLE.items():
        if draw(st.booleans()):
            fields[name] = value
    for name in FLAGS:
        fields[name] = draw(st.booleans())
    fields["anonymized"] = draw(st.booleans())
    if kind is not Account:
        if draw(st.booleans()):
            fields["mobilephone"] = "+1 555 0111"
        fields["consent_restricted"] = draw(st.booleans())
        fields["consent_inherent"] = draw(st.booleans())
    consents = draw(st.lists(data_consents, max_size=3))
    consents = [attrs.evolve(c, id=f"c-{i}") for i, c in enumerate(consents)]
    return Spec(
        kind, draw(st.sampled_from(list(STARTS[kind]))), tuple(fields.items()), tuple(consents)
    )


@st.composite
def suppression_entries(draw: st.DrawFn) -> Suppression:
    """A valid suppression: an account is named only for a sending-account opt-out."""
    reason = draw(st.sampled_from(list(SuppressionReason)))
    since = draw(st.sampled_from([AT - dt.timedelta(days=200), AT - dt.timedelta(days=1), AT]))
    ends = [AT + dt.timedelta(days=d) for d in (1, 100)] + [
        since + dt.timedelta(days=HARD_BOUNCE_DAYS)
    ]
    return Suppression(
        address=draw(st.sampled_from([EMAIL, "other@example.com"])),
        reason=reason,
        since=since,
        until=draw(st.none() | st.sampled_from(ends)),
        sending_account=(
            draw(st.sampled_from(["events@contoso.example", "sales@contoso.example"]))
            if reason is SuppressionReason.SENDING_ACCOUNT_OPT_OUT
            else None
        ),
    )


ledger_entries = st.builds(
    ContactPointConsent,
    contact_point=st.sampled_from([EMAIL, "other@example.com"]),
    value=st.sampled_from(list(ConsentValue)),
    at=st.just(T1),
    purpose=st.sampled_from(PURPOSE_NAMES),
    topic=st.none() | st.just("ce courses"),
    channel=st.just(Channel.EMAIL),
)


@attrs.frozen
class Context:
    """Everything besides the record that can_send reads."""

    kind: MessageKind
    policy: Policy
    suppressions: tuple[Suppression, ...]
    ledger: tuple[ContactPointConsent, ...]
    topic: str | None
    sending_account: str | None

    def decide(self, record: Record, extra: tuple[Suppression, ...] = ()) -> Decision:
        return can_send(
            record,
            self.kind,
            at=AT,
            policy=self.policy,
            suppressions=SuppressionList((*self.suppressions, *extra)),
            contact_points=ContactPointLedger(self.ledger),
            topic=self.topic,
            sending_account=self.sending_account,
        )


contexts = st.builds(
    Context,
    kind=kinds,
    policy=policies,
    suppressions=st.lists(suppression_entries(), max_size=3).map(tuple),
    ledger=st.lists(ledger_entries, max_size=4).map(tuple),
    topic=st.none() | st.just("CE courses"),
    sending_account=st.none() | st.just("events@contoso.example"),
)


def applicable_changes(spec: Spec) -> list[str]:
    """The blocking facts that can still be added to the record ``spec`` builds."""
    record = spec.build()
    changes = [name for name in FLAGS if not getattr(record, name)]
    changes += [t for t in ("deactivate", "disqualify") if t in record.allowed_triggers]
    if not isinstance(record, Account) and not record.is_deleted:
        changes.append("restrict")
    if any(c.status is ConsentStatus.ACTIVE for c in spec.consents):
        changes.append("cancel a consent")
    return [*changes, "add a suppression"]


def narrowed(
    spec: Spec, change: str, data: st.DataObject
) -> tuple[Record, tuple[Suppression, ...]]:
    """The record after ``change``, and the suppressions it adds."""
    if change in FLAGS:
        return spec.with_field(change, True).build(), ()
    if change == "cancel a consent":
        active = [i for i, c in enumerate(spec.consents) if c.status is ConsentStatus.ACTIVE]
        index = data.draw(st.sampled_from(active), label="consent cancelled")
        consents = tuple(c.cancel() if i == index else c for i, c in enumerate(spec.consents))
        return attrs.evolve(spec, consents=consents).build(), ()
    if change == "add a suppression":
        return spec.build(), (data.draw(suppression_entries(), label="suppression"),)
    record = spec.build()
    if change == "restrict":
        record.restrict_consent(at=T1)
    else:
        getattr(record, change)(at=T1)
    return record, ()


class TestProperties:
    """Laws that hold for every record, kind, policy and context."""

    @given(spec=specs(), context=contexts, data=st.data())
    def test_blocking_facts_never_turn_a_refusal_into_an_allowance(
        self, spec: Spec, context: Context, data: st.DataObject
    ) -> None:
        """Adding a blocking fact keeps every reason that held before, so no refusal becomes
        an allowance (a flag, deactivating, disqualifying, restricting, cancelling a consent,
        adding a suppression)."""
        change = data.draw(st.sampled_from(applicable_changes(spec)), label="change")
        before = context.decide(spec.build())
        record, extra = narrowed(spec, change, data)
        after = context.decide(record, extra)
        assert set(before.codes) <= set(after.codes), (change, before.explain(), after.explain())
        if not before.allowed:
            assert not after.allowed

    @given(spec=specs(), context=contexts)
    def test_pure(self, spec: Spec, context: Context) -> None:
        """Same inputs, equal decisions; the record, list, ledger and policy are unchanged."""
        record = spec.build()
        suppressions = SuppressionList(context.suppressions)
        points = ContactPointLedger(context.ledger)
        before = attrs.asdict(record, recurse=True)
        policy_before = context.policy.to_dict()

        def decide() -> Decision:
            return can_send(
                record,
                context.kind,
                at=AT,
                policy=context.policy,
                suppressions=suppressions,
                contact_points=points,
                topic=context.topic,
                sending_account=context.sending_account,
            )

        first, second = decide(), decide()
        assert first == second
        assert first == context.decide(spec.build())
        assert attrs.asdict(record, recurse=True) == before
        assert record.history == ()
        assert sorted(map(repr, suppressions)) == sorted(
            map(repr, SuppressionList(context.suppressions))
        )
        assert len(points) == len(ContactPointLedger(context.ledger))
        assert context.policy.to_dict() == policy_before

    @given(spec=specs(), context=contexts)
    def test_allowed_iff_no_reason(self, spec: Spec, context: Context) -> None:
        """A decision is allowed exactly when it lists no reason; codes are never repeated."""
        decision = context.decide(spec.build())
        assert decision.allowed is (decision.reasons == ())
        assert bool(decision) is decision.allowed
        assert len(set(decision.codes)) == len(decision.codes)

    @given(policy=policies)
    def test_policy_round_trip(self, policy: Policy) -> None:
        """to_dict() is plain JSON data that from_dict() reads back to an equal policy."""
        data = policy.to_dict()
        assert Policy.from_dict(data) == policy
        assert Policy.from_dict(json.loads(json.dumps(data))) == policy
        assert hash(Policy.from_dict(data)) == hash(policy)
        assert Policy.from_dict(data).to_dict() == data

    @given(policy=policies, spec=specs(), kind=kinds)
    def test_round_tripped_policy_decides_the_same(
        self, policy: Policy, spec: Spec, kind: MessageKind
    ) -> None:
        """A policy read back from its data gives the same answers."""
        again = Policy.from_dict(json.loads(json.dumps(policy.to_dict())))
        assert can_send(spec.build(), kind, at=AT, policy=again) == can_send(
            spec.build(), kind, at=AT, policy=policy
        )


# --- bad input -----------------------------------------------------------------------------


class TestBadInput:
    """Wrong arguments raise typed LeadflowErrors naming the argument."""

    @pytest.mark.parametrize(
        "kind", ["commercial", "COMMERCIAL", None, 1, ConsentLevel.MARKETING], ids=case_id
    )
    def test_unknown_kind(self, kind: Any) -> None:
        with pytest.raises(FieldTypeError, match="'kind' must be a MessageKind"):
            can_send(contact(), kind, at=AT)

    def test_naive_at(self) -> None:
        with pytest.raises(InvalidFieldError, match="'at' must be timezone-aware") as err:
            can_send(contact(), K.COMMERCIAL, at=NAIVE)
        assert not isinstance(err.value, FieldTypeError)

    @pytest.mark.parametrize(
        "at", [None, "2026-06-01T12:00:00Z", AT.date(), AT.timestamp()], ids=case_id
    )
    def test_at_not_a_datetime(self, at: Any) -> None:
        with pytest.raises(FieldTypeError, match="'at' must be an aware datetime"):
            can_send(contact(), K.COMMERCIAL, at=at)

    def test_at_is_required(self) -> None:
        with pytest.raises(TypeError):
            can_send(contact(), K.COMMERCIAL)  # type: ignore[call-arg]

    @pytest.mark.parametrize(
        "record", [None, {"emailaddress1": EMAIL}, EMAIL, consent(4), Record], ids=case_id
    )
    def test_not_a_record(self, record: Any) -> None:
        with pytest.raises(FieldTypeError, match="'record' must be a Lead, Contact or Account"):
            can_send(record, K.COMMERCIAL, at=AT)

    @pytest.mark.parametrize(
        "policy", [None, {}, Policy().to_dict(), "default", ConsentModel.LEVELS], ids=case_id
    )
    def test_not_a_policy(self, policy: Any) -> None:
        with pytest.raises(FieldTypeError, match="'policy' must be a Policy"):
            can_send(contact(), K.COMMERCIAL, at=AT, policy=policy)

    @pytest.mark.parametrize("error", [FieldTypeError, InvalidFieldError])
    def test_errors_are_leadflow_errors(self, error: type[Exception]) -> None:
        assert issubclass(error, LeadflowError)
        assert issubclass(error, ValueError)

    @pytest.mark.parametrize(
        "data",
        [
            {"bogus": 1},
            {"enforce_consent_levels": True, "minimum_level": {}},
            {"Consent_Model": "levels"},
        ],
        ids=case_id,
    )
    def test_from_dict_unknown_keys(self, data: dict[str, Any]) -> None:
        with pytest.raises(InvalidFieldError, match="'policy' must be keys among") as err:
            Policy.from_dict(data)
        assert err.value.got == sorted(set(data) - {"enforce_consent_levels"})

    @pytest.mark.parametrize(
        "data",
        [
            {"consent_model": "obm"},
            {"consent_model": None},
            {"minimum_levels": {"commercial": 6}},
            {"minimum_levels": {"commercial": -1}},
            {"minimum_levels": {"commercial": "4"}},
            {"minimum_levels": {"fax": 4}},
            {"minimum_levels": [["commercial", 4]]},
            {"journey_minimum": 9},
            {"journey_minimum": "profiling"},
            {"purposes": {"commercial": "strict"}},
            {"purposes": {"commercial": None}},
            {"purposes": "commercial"},
            {"kind_purposes": {"fax": "commercial"}},
            {"closed_record_blocks": ["fax"]},
            {"closed_record_blocks": "commercial"},
            {"closed_record_blocks": None},
        ],
        ids=case_id,
    )
    def test_from_dict_bad_values(self, data: dict[str, Any]) -> None:
        """A bad value names the field it was given for."""
        (field,) = data
        with pytest.raises(InvalidFieldError, match=f"^'{field}' must be"):
            Policy.from_dict(data)

    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("enforce_consent_levels", "yes"),
            ("enforce_consent_levels", 1),
            ("check_contact_flags", None),
            ("honour_suppressions", 0),
        ],
        ids=case_id,
    )
    def test_from_dict_bad_switches(self, name: str, value: Any) -> None:
        with pytest.raises(FieldTypeError, match=f"'{name}' must be a bool"):
            Policy.from_dict({name: value})

    def test_from_dict_partial_keeps_defaults(self) -> None:
        """Keys left out keep their defaults."""
        policy = Policy.from_dict({"journey_minimum": 5, "consent_model": "contact-points"})
        assert policy == Policy(
            journey_minimum=ConsentLevel.PROFILING, consent_model=ConsentModel.CONTACT_POINTS
        )
        assert Policy.from_dict({}) == DEFAULT_POLICY

    def test_policy_is_frozen_data(self) -> None:
        """A policy cannot be changed after it is made, nor can its mappings."""
        policy = Policy()
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            policy.enforce_consent_levels = False  # type: ignore[misc]
        with pytest.raises(TypeError):
            policy.minimum_levels[K.COMMERCIAL] = ConsentLevel.NONE  # type: ignore[index]

    @pytest.mark.parametrize(
        "data",
        [{"journey_minimum": True}, {"minimum_levels": {"commercial": True}}],
        ids=case_id,
    )
    def test_from_dict_refuses_bool_levels(self, data: dict[str, Any]) -> None:
        with pytest.raises(InvalidFieldError):
            Policy.from_dict(data)

    @pytest.mark.parametrize(
        "data",
        [{"kind_purposes": {"commercial": 3}}, {"purposes": {3: "restrictive"}}],
        ids=case_id,
    )
    def test_from_dict_refuses_non_str_purposes(self, data: dict[str, Any]) -> None:
        with pytest.raises(InvalidFieldError):
            Policy.from_dict(data)

    @pytest.mark.parametrize("data", [None, 42], ids=case_id)
    def test_from_dict_refuses_non_mappings(self, data: Any) -> None:
        with pytest.raises(LeadflowError):
            Policy.from_dict(data)

    def test_policy_constructor_refuses_bad_switch(self) -> None:
        """A str where a bool belongs is refused, not read as true."""
        with pytest.raises(FieldTypeError, match=r"^'enforce_consent_levels' must be a bool"):
            Policy(enforce_consent_levels="no")  # type: ignore[arg-type]

    def test_policy_constructor_reads_plain_values(self) -> None:
        """Plain values build the same policy as enum members (as from JSON or TOML)."""
        plain = Policy(
            minimum_levels={"commercial": 4},  # type: ignore[dict-item]
            closed_record_blocks=frozenset({"commercial"}),  # type: ignore[arg-type]
            consent_model="contact-points",  # type: ignore[arg-type]
        )
        assert plain == Policy(
            minimum_levels={K.COMMERCIAL: ConsentLevel.MARKETING},
            closed_record_blocks=frozenset({K.COMMERCIAL}),
            consent_model=ConsentModel.CONTACT_POINTS,
        )


# --- policy mappings -----------------------------------------------------------------------


class TestPolicyMappings:
    """Policy's mappings: laid over their defaults, immutable and hashable."""

    def test_policy_is_hashable(self) -> None:
        """Equal policies hash alike, so a policy can key a dict or sit in a set."""
        assert hash(DEFAULT_POLICY) == hash(Policy())
        custom = Policy(minimum_levels={"commercial": 5}, purposes={"events": "restrictive"})
        assert len({DEFAULT_POLICY, Policy(), custom, Policy.from_dict(custom.to_dict())}) == 2
        assert {custom: "x"}[Policy.from_dict(custom.to_dict())] == "x"

    @pytest.mark.parametrize(
        ("field", "given", "added", "defaults"),
        [
            (
                "minimum_levels",
                {"commercial": 5},
                {K.COMMERCIAL: ConsentLevel.PROFILING},
                DEFAULT_MINIMUM_LEVELS,
            ),
            (
                "minimum_levels",
                {K.MANUAL: ConsentLevel.CONSENT},
                {K.MANUAL: ConsentLevel.CONSENT},
                DEFAULT_MINIMUM_LEVELS,
            ),
            (
                "purposes",
                {"Events": "restrictive"},
                {"events": Enforcement.RESTRICTIVE},
                DEFAULT_PURPOSES,
            ),
            (
                "kind_purposes",
                {"transactional": "receipts"},
                {K.TRANSACTIONAL: "receipts"},
                DEFAULT_KIND_PURPOSES,
            ),
        ],
        ids=case_id,
    )
    def test_laid_over_defaults(
        self, field: str, given: dict[Any, Any], added: dict[Any, Any], defaults: Mapping[Any, Any]
    ) -> None:
        """Each mapping given changes only its keys; every other key keeps its default."""
        value = getattr(Policy(**{field: given}), field)
        assert isinstance(value, FrozenMap)
        assert dict(value) == {**defaults, **added}

    def test_level_zero_removes_a_minimum(self) -> None:
        """A kind mapped to ConsentLevel.NONE needs no consent; a journey minimum still applies."""
        policy = Policy(minimum_levels={"commercial": 0, "phone": ConsentLevel.NONE})
        assert policy.minimum_level(K.COMMERCIAL) is None
        assert policy.minimum_level(K.PHONE) is None
        assert policy.minimum_level(K.POSTAL) is ConsentLevel.MARKETING
        journey = attrs.evolve(policy, journey_minimum=ConsentLevel.SUBSCRIPTION)
        assert journey.minimum_level(K.COMMERCIAL) is ConsentLevel.SUBSCRIPTION
        assert Policy(journey_minimum=0).minimum_level(K.MANUAL) is None
        assert Policy.from_dict(policy.to_dict()) == policy

    def test_frozen_map(self) -> None:
        """FrozenMap reads like a dict, equals equal mappings, and cannot be changed."""
        frozen = FrozenMap({"a": 1, "b": 2})
        assert frozen == {"a": 1, "b": 2} == FrozenMap([("b", 2), ("a", 1)])
        assert frozen != {"a": 1}
        assert hash(frozen) == hash(FrozenMap({"b": 2, "a": 1}))
        assert repr(frozen) == "{'a': 1, 'b': 2}"
        assert (list(frozen), len(frozen), "a" in frozen, frozen.get("c")) == (
            ["a", "b"],
            2,
            True,
            None,
        )
        with pytest.raises(TypeError):
            frozen["a"] = 3  # type: ignore[index]
        with pytest.raises(AttributeError):
            frozen._data = {}  # type: ignore[misc]
        assert frozen == {"a": 1, "b": 2}
        assert pickle.loads(pickle.dumps(frozen)) == frozen
        assert copy.deepcopy(DEFAULT_POLICY) == DEFAULT_POLICY
        assert pickle.loads(pickle.dumps(DEFAULT_POLICY)) == DEFAULT_POLICY
