"""Opt-outs hold under every policy (issue 20).

Whether consent levels are enforced is one choice (D11); whether a person's opt-out is
honoured is not a choice at all. Each kind of opt-out below blocks exactly the kinds it
covers under every policy: consent levels enforced or not, either consent model. Both
the record path (``can_send``) and the columnar path (``decide_frame``) are asked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from lifecycle import (
    ConsentLevel,
    ConsentValue,
    Contact,
    ContactPointConsent,
    ContactPointLedger,
    DataConsent,
    Lead,
    MessageKind,
    Policy,
    Suppression,
    SuppressionList,
    SuppressionReason,
    can_send,
)
from lifecycle.columnar import decide_frame, eligibility_frame
from lifecycle.eligibility import ConsentModel

K = MessageKind
AT = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
BEFORE = AT - dt.timedelta(days=30)
EMAIL = "pat@example.com"
SENDER = "events@contoso.example"

BULK = tuple(k for k in K if k.is_bulk)
ENGINE = tuple(k for k in K if k.via_marketing_engine)
EMAILS = tuple(k for k in K if k.is_email)

POLICIES = {
    "default": Policy(),
    "data protection": Policy.data_protection(),
    "contact-point consent": Policy(consent_model=ConsentModel.CONTACT_POINTS),
    "data protection, contact-point consent": Policy.data_protection(
        consent_model=ConsentModel.CONTACT_POINTS
    ),
}
"""The default, the preset, and each under either consent model."""


def _ledger(purpose: str, topic: str | None) -> ContactPointLedger:
    return ContactPointLedger(
        (
            ContactPointConsent(
                contact_point=EMAIL,
                purpose=purpose,
                topic=topic,
                value=ConsentValue.OPTED_OUT,
                at=BEFORE,
            ),
        )
    )


def _suppressed(reason: SuppressionReason, account: str | None = None) -> SuppressionList:
    until = BEFORE + dt.timedelta(days=180) if reason is SuppressionReason.HARD_BOUNCE else None
    entry = Suppression(
        address=EMAIL, reason=reason, since=BEFORE, until=until, sending_account=account
    )
    return SuppressionList((entry,))


OPT_OUTS: dict[str, tuple[dict[str, Any], dict[str, Any], tuple[MessageKind, ...], str]] = {
    "Email: Do Not Allow": ({"donotemail": True}, {}, EMAILS, "donotemail"),
    "Bulk Email: Do Not Allow (a one-click unsubscribe sets it, D13)": (
        {"donotbulkemail": True},
        {},
        BULK,
        "donotbulkemail",
    ),
    "contact-point opt-out of the commercial purpose (one-click, real-time journeys)": (
        {},
        {"contact_points": _ledger("commercial", None)},
        BULK,
        "contact-point-opted-out",
    ),
    "topic opt-out": (
        {},
        {"contact_points": _ledger("commercial", "webinars"), "topic": "Webinars"},
        BULK,
        "topic-opted-out",
    ),
    "spam complaint": (
        {},
        {"suppressions": _suppressed(SuppressionReason.SPAM_COMPLAINT)},
        ENGINE,
        "suppressed-spam-complaint",
    ),
    "hard bounce": (
        {},
        {"suppressions": _suppressed(SuppressionReason.HARD_BOUNCE)},
        ENGINE,
        "suppressed-hard-bounce",
    ),
    "opt-out of one sending account": (
        {},
        {
            "suppressions": _suppressed(SuppressionReason.SENDING_ACCOUNT_OPT_OUT, SENDER),
            "sending_account": SENDER,
        },
        ENGINE,
        "suppressed-sending-account",
    ),
}


def _person(kind: Callable[..., Any], flags: dict[str, Any]) -> Any:
    """A reachable lead or contact who gave Profiling consent: nothing but the opt-out
    can block them."""
    consent = DataConsent(level=ConsentLevel.PROFILING, given_on=BEFORE)
    return kind(emailaddress1=EMAIL, consents=[consent], **flags)


@pytest.mark.parametrize("record_type", [Contact, Lead], ids=["contact", "lead"])
@pytest.mark.parametrize("opt_out", list(OPT_OUTS))
@pytest.mark.parametrize("policy", list(POLICIES))
def test_an_opt_out_blocks_what_it_covers_under_every_policy(
    policy: str, opt_out: str, record_type: Callable[..., Any]
) -> None:
    flags, extras, blocked, code = OPT_OUTS[opt_out]
    record = _person(record_type, flags)
    for kind in EMAILS:
        send = {"at": AT, "policy": POLICIES[policy], **extras}
        decision = can_send(record, kind, **send)
        assert decision.codes == ((code,) if kind in blocked else ()), kind
        row = decide_frame(eligibility_frame([record]), kind, **send).iloc[0]
        assert row["reasons"] == decision.codes, kind


@pytest.mark.parametrize("policy", list(POLICIES))
def test_without_an_opt_out_nothing_blocks(policy: str) -> None:
    """The control: the same person without the opt-out may be sent everything."""
    record = _person(Contact, {})
    for kind in EMAILS:
        assert can_send(record, kind, at=AT, policy=POLICIES[policy]).allowed, kind
