"""Opt-out and bounce events (D13): effects per kind, idempotency, bounces, atomicity, sends."""

from __future__ import annotations

import datetime as dt
import pickle
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecycle import (
    Account,
    ConsentLevel,
    ConsentValue,
    Contact,
    ContactPointLedger,
    DataConsent,
    InvalidFieldError,
    Lead,
    LeadflowError,
    MessageKind,
    Policy,
    Record,
    Suppression,
    SuppressionList,
    SuppressionReason,
    can_send,
)
from lifecycle.eligibility import ConsentModel
from lifecycle.errors import FieldTypeError
from lifecycle.optouts import (
    ONE_CLICK_REASON,
    ONE_CLICK_SOURCE,
    OptOutEvent,
    OptOutKind,
    OptOutLedger,
    OptOutOutcome,
    UnknownRecordError,
)
from tests.strategies import NAIVE, T0, T1, build, case_id, snapshot

A = "ada@example.com"
DAY = dt.timedelta(days=1)
FLAGGING = [
    OptOutKind.SPAM_REPORT,
    OptOutKind.GROUP_OPT_OUT,
    OptOutKind.CLIENT_OPT_OUT,
    OptOutKind.ONE_CLICK_UNSUBSCRIBE,
]
CONTACT_POINTS = Policy(consent_model=ConsentModel.CONTACT_POINTS)


def marketing() -> list[DataConsent]:
    """A consent at Marketing level, so commercial email is allowed unless something blocks."""
    return [DataConsent(id="k-1", level=ConsentLevel.MARKETING, given_on=T0)]


def person(
    kind: type[Record] = Contact, start: str | None = None, id: str = "c-1", **fields: Any
) -> Any:
    """A record with address ``A`` and Marketing consent (accounts hold no consents),
    active (open/new for a lead) unless ``start`` names another state."""
    if start is None:
        start = "open/new" if kind is Lead else "active"
    if kind is not Account:
        fields.setdefault("consents", marketing())
    return build(kind, start, id=id, emailaddress1=fields.pop("emailaddress1", A), **fields)


def event(kind: OptOutKind, n: int = 1, **fields: Any) -> OptOutEvent:
    """Event ``e-<n>`` of ``kind`` for ``A`` at ``T1``, with the fields its kind requires."""
    fields.setdefault("address", A)
    fields.setdefault("at", T1)
    if kind.sets_donotbulkemail:
        fields.setdefault("record_id", "c-1")
    if kind is OptOutKind.USER_OPT_OUT:
        fields.setdefault("sending_account", "acct-1")
    return OptOutEvent(id=f"e-{n}", kind=kind, **fields)


def state(ledger: OptOutLedger) -> tuple[Any, ...]:
    """Everything observable about a ledger."""
    points = ledger.contact_points
    consents = None
    if points is not None:
        consents = (
            len(points),
            {
                (purpose, topic): points.values(purpose, topic=topic)
                for purpose in ("commercial", "newsletters")
                for topic in (None, "offers")
            },
        )
    return (
        list(ledger.suppressions),
        dict(ledger.streaks),
        ledger.applied_ids,
        ledger.log,
        consents,
    )


def flags(records: dict[str, Record]) -> dict[str, bool]:
    """Each record's ``donotbulkemail``."""
    return {rid: r.donotbulkemail for rid, r in records.items()}


# --- events ------------------------------------------------------------------------------

# (fields overriding a valid group opt-out, error class, message after the field name).
BAD_EVENTS: list[tuple[dict[str, Any], type[Exception], str]] = [
    ({"id": ""}, InvalidFieldError, "'id' must be a non-empty str (got '')."),
    ({"id": "  "}, InvalidFieldError, "'id' must be a non-empty str"),
    ({"id": 7}, FieldTypeError, "'id' must be a non-empty str (got 7 that is a int)."),
    ({"id": None}, FieldTypeError, "'id' must be a non-empty str"),
    ({"id": "x" * 201}, InvalidFieldError, "'id' must be a str of at most 200 characters"),
    ({"kind": "group-opt-out"}, FieldTypeError, "'kind' must be a OptOutKind"),
    ({"address": None}, FieldTypeError, "'address' must be an email address (str)"),
    ({"address": "not-an-email"}, InvalidFieldError, "'address' must be an email address like"),
    ({"address": "ada@localhost"}, InvalidFieldError, "'address' must be an email address like"),
    ({"address": 42}, FieldTypeError, "'address' must be an email address (str) (got 42"),
    ({"at": NAIVE}, InvalidFieldError, "'at' must be timezone-aware"),
    ({"at": "2026-02-01"}, FieldTypeError, "'at' must be an aware datetime"),
    ({"at": None}, FieldTypeError, "'at' must be an aware datetime"),
    ({"record_id": ""}, InvalidFieldError, "'record_id' must be a non-empty id"),
    ({"record_id": 1}, FieldTypeError, "'record_id' must be a record id (str) or None"),
    ({"record_id": None}, InvalidFieldError, "'record_id' must be the id of the record a"),
    ({"sending_account": "acct-1"}, InvalidFieldError, "'sending_account' must be None for a"),
    ({"sending_account": ""}, InvalidFieldError, "'sending_account' must be a non-empty str"),
    ({"purpose": "commercial"}, InvalidFieldError, "'purpose' must be None for a group-opt-out"),
    ({"topic": "offers"}, InvalidFieldError, "'topic' must be None for a group-opt-out"),
]


class TestOptOutEvent:
    """Events are validated when built, with the library's one message shape."""

    @pytest.mark.parametrize(("fields", "error", "message"), BAD_EVENTS, ids=case_id)
    def test_bad_field(self, fields: dict[str, Any], error: type[Exception], message: str) -> None:
        """A bad field raises the typed error naming the field, what it must be and the value."""
        values: dict[str, Any] = {
            "id": "e-1",
            "kind": OptOutKind.GROUP_OPT_OUT,
            "address": A,
            "at": T1,
            "record_id": "c-1",
        }
        values.update(fields)
        with pytest.raises(error) as info:
            OptOutEvent(**values)
        assert type(info.value) is error
        assert str(info.value).startswith(message)

    @pytest.mark.parametrize("kind", FLAGGING, ids=case_id)
    def test_flagging_kinds_need_a_record(self, kind: OptOutKind) -> None:
        """Kinds that set donotbulkemail refuse an event without record_id."""
        with pytest.raises(InvalidFieldError, match="'record_id' must be the id of the record"):
            event(kind, record_id=None)

    def test_user_opt_out_needs_a_sending_account(self) -> None:
        """A user-level opt-out without a sending account is refused."""
        with pytest.raises(InvalidFieldError, match="'sending_account' must be the sending"):
            event(OptOutKind.USER_OPT_OUT, sending_account=None)

    def test_topic_needs_a_purpose(self) -> None:
        """A one-click topic without its purpose is refused."""
        with pytest.raises(InvalidFieldError, match="'purpose' must be set when a topic is"):
            event(OptOutKind.ONE_CLICK_UNSUBSCRIBE, topic="offers")

    @pytest.mark.parametrize(
        "kind",
        [OptOutKind.HARD_BOUNCE, OptOutKind.SOFT_BOUNCE, OptOutKind.DELIVERED],
        ids=case_id,
    )
    def test_bounces_need_no_record(self, kind: OptOutKind) -> None:
        """Bounces and deliveries may come without a record."""
        assert event(kind).record_id is None

    def test_frozen_and_keyed(self) -> None:
        """Events are frozen values; ``key`` is the normalised address."""
        e = event(OptOutKind.HARD_BOUNCE, address="  Ada@Example.COM ")
        assert e.key == A
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            e.id = "other"  # type: ignore[misc]


# --- effects per kind ----------------------------------------------------------------------

# (kind, extra event fields, donotbulkemail afterwards, suppression reason, days until expiry
#  (None: never), sending account of the suppression, changes).
EFFECTS: list[tuple[Any, ...]] = [
    (
        OptOutKind.SPAM_REPORT,
        {},
        True,
        SuppressionReason.SPAM_COMPLAINT,
        None,
        None,
        (
            "donotbulkemail set on contact c-1",
            "suppressed ada@example.com permanently (spam complaint)",
        ),
    ),
    (
        OptOutKind.GROUP_OPT_OUT,
        {},
        True,
        None,
        None,
        None,
        ("donotbulkemail set on contact c-1",),
    ),
    (
        OptOutKind.CLIENT_OPT_OUT,
        {},
        True,
        None,
        None,
        None,
        ("donotbulkemail set on contact c-1",),
    ),
    (
        OptOutKind.ONE_CLICK_UNSUBSCRIBE,
        {},
        True,
        None,
        None,
        None,
        ("donotbulkemail set on contact c-1",),
    ),
    (
        OptOutKind.USER_OPT_OUT,
        {"record_id": "c-1"},
        False,
        SuppressionReason.SENDING_ACCOUNT_OPT_OUT,
        None,
        "acct-1",
        ("suppressed ada@example.com for sending account acct-1 permanently (user-level opt-out)",),
    ),
    (
        OptOutKind.HARD_BOUNCE,
        {"record_id": "c-1"},
        False,
        SuppressionReason.HARD_BOUNCE,
        180,
        None,
        ("suppressed ada@example.com until 2026-07-31 (hard bounce)",),
    ),
    (
        OptOutKind.SOFT_BOUNCE,
        {},
        False,
        None,
        None,
        None,
        ("soft bounce 1 of 5 in a row for ada@example.com",),
    ),
    (OptOutKind.DELIVERED, {}, False, None, None, None, ()),
]


class TestEffects:
    """Each kind has the effect D13 gives it, and says so in the outcome."""

    @pytest.mark.parametrize(
        ("kind", "fields", "flagged", "reason", "days", "account", "changes"),
        EFFECTS,
        ids=case_id,
    )
    def test_effect(
        self,
        kind: OptOutKind,
        fields: dict[str, Any],
        flagged: bool,
        reason: SuppressionReason | None,
        days: int | None,
        account: str | None,
        changes: tuple[str, ...],
    ) -> None:
        """The record's flag, the suppression and the described changes match the table."""
        contact = person()
        ledger = OptOutLedger()
        outcome = ledger.apply(event(kind, **fields), {"c-1": contact})
        assert outcome.applied
        assert outcome.event_id == "e-1"
        assert outcome.changes == changes
        assert contact.donotbulkemail is flagged
        assert outcome.updated_record == ("c-1" if flagged else None)
        if flagged:
            assert contact.modifiedon == T1
        if reason is None:
            assert outcome.suppression is None
            assert list(ledger.suppressions) == []
        else:
            until = None if days is None else T1 + days * DAY
            expected = Suppression(
                address=A, reason=reason, since=T1, until=until, sending_account=account
            )
            assert outcome.suppression == expected
            assert list(ledger.suppressions) == [expected]
        assert ledger.log == (outcome,)
        assert ledger.applied_ids == {"e-1"}

    @pytest.mark.parametrize(("kind", "name"), [(Lead, "lead"), (Account, "account")])
    def test_leads_and_accounts(self, kind: type[Record], name: str) -> None:
        """A spam report sets donotbulkemail on a lead or an account just as on a contact."""
        record = person(kind, id="r-1")
        outcome = OptOutLedger().apply(
            event(OptOutKind.SPAM_REPORT, record_id="r-1"), {"r-1": record}
        )
        assert record.donotbulkemail
        assert outcome.changes[0] == f"donotbulkemail set on {name} r-1"

    def test_flag_already_set(self) -> None:
        """A flag already set is not reported, and the record is not touched."""
        contact = person(donotbulkemail=True)
        before = snapshot(contact)
        outcome = OptOutLedger().apply(event(OptOutKind.CLIENT_OPT_OUT), {"c-1": contact})
        assert outcome.applied
        assert outcome.changes == ()
        assert outcome.updated_record is None
        assert snapshot(contact) == before

    def test_user_opt_out_leaves_the_record(self) -> None:
        """A user-level opt-out sets no flag (Concep's child workflow is not triggered)."""
        contact = person()
        OptOutLedger().apply(event(OptOutKind.USER_OPT_OUT, record_id="c-1"), {"c-1": contact})
        assert not contact.donotbulkemail

    def test_address_is_normalised(self) -> None:
        """Suppressions are keyed on the normalised address."""
        ledger = OptOutLedger()
        ledger.apply(event(OptOutKind.HARD_BOUNCE, address=" ADA@Example.com"), {})
        assert [s.address for s in ledger.suppressions] == [A]
        assert ledger.suppressions.active("ada@EXAMPLE.com", T1 + DAY)

    def test_existing_suppression_list(self) -> None:
        """An attached suppression list is fed; an equal entry already there is kept once."""
        entry = Suppression(address=A, reason=SuppressionReason.SPAM_COMPLAINT, since=T1)
        suppressions = SuppressionList((entry,))
        ledger = OptOutLedger(suppressions=suppressions)
        outcome = ledger.apply(event(OptOutKind.SPAM_REPORT), {"c-1": person()})
        assert ledger.suppressions is suppressions
        assert list(suppressions) == [entry]
        assert outcome.suppression == entry
        assert outcome.changes == ("donotbulkemail set on contact c-1",)


class TestOneClick:
    """A one-click unsubscribe also opts the contact point out (real-time journeys)."""

    def test_purpose(self) -> None:
        """With a ledger and a purpose, that purpose is opted out, with source and reason."""
        points = ContactPointLedger()
        ledger = OptOutLedger(contact_points=points)
        outcome = ledger.apply(
            event(OptOutKind.ONE_CLICK_UNSUBSCRIBE, purpose="Commercial"), {"c-1": person()}
        )
        assert points.value(A, "commercial") is ConsentValue.OPTED_OUT
        assert outcome.consent is not None
        assert (outcome.consent.source, outcome.consent.reason) == (
            ONE_CLICK_SOURCE,
            ONE_CLICK_REASON,
        )
        assert outcome.changes == (
            "donotbulkemail set on contact c-1",
            "ada@example.com opted out of purpose 'commercial'",
        )

    def test_topic_only(self) -> None:
        """With a topic, only the topic is opted out; the purpose stays as it was."""
        points = ContactPointLedger()
        ledger = OptOutLedger(contact_points=points)
        ledger.apply(
            event(OptOutKind.ONE_CLICK_UNSUBSCRIBE, purpose="commercial", topic="Offers"),
            {"c-1": person()},
        )
        assert points.value(A, "commercial", topic="offers") is ConsentValue.OPTED_OUT
        assert points.value(A, "commercial") is None

    def test_without_purpose(self) -> None:
        """Without a purpose no contact-point consent is recorded."""
        points = ContactPointLedger()
        outcome = OptOutLedger(contact_points=points).apply(
            event(OptOutKind.ONE_CLICK_UNSUBSCRIBE), {"c-1": person()}
        )
        assert len(points) == 0
        assert outcome.consent is None

    def test_without_ledger(self) -> None:
        """A purpose with no contact-point ledger attached is reported as not recorded."""
        outcome = OptOutLedger().apply(
            event(OptOutKind.ONE_CLICK_UNSUBSCRIBE, purpose="commercial"), {"c-1": person()}
        )
        assert outcome.consent is None
        assert outcome.changes[-1] == (
            "no contact-point ledger attached: opt-out of purpose 'commercial' not recorded"
        )

    def test_later_answer_kept(self) -> None:
        """An opt-in given after the unsubscribe is kept, and the outcome says so."""
        points = ContactPointLedger()
        points.record(
            attrs.evolve(
                _consent(), value=ConsentValue.OPTED_IN, at=T1 + DAY, source=None, reason=None
            )
        )
        outcome = OptOutLedger(contact_points=points).apply(
            event(OptOutKind.ONE_CLICK_UNSUBSCRIBE, purpose="commercial"), {"c-1": person()}
        )
        assert points.value(A, "commercial") is ConsentValue.OPTED_IN
        assert (
            outcome.changes[-1]
            == "ada@example.com: a later answer for purpose 'commercial' is kept"
        )


def _consent() -> Any:
    """The contact-point consent a one-click unsubscribe of ``A`` at ``T1`` records."""
    ledger = OptOutLedger(contact_points=ContactPointLedger())
    return ledger.apply(
        event(OptOutKind.ONE_CLICK_UNSUBSCRIBE, purpose="commercial"), {"c-1": person()}
    ).consent


# --- closed, deleted and anonymized records ---------------------------------------------------

CLOSED = [
    (Contact, "inactive"),
    (Account, "inactive"),
    (Lead, "qualified"),
    (Lead, "disqualified/lost"),
]


class TestClosedRecords:
    """Opt-outs are honoured on closed records; deleted and anonymized ones cannot be edited."""

    @pytest.mark.parametrize(("kind", "start"), CLOSED, ids=case_id)
    @pytest.mark.parametrize("optout", FLAGGING, ids=case_id)
    def test_closed_record_flagged(
        self, kind: type[Record], start: str, optout: OptOutKind
    ) -> None:
        """An opt-out for a closed record still sets donotbulkemail (integration edit)."""
        record = person(kind, start)
        state_before = (record.state, record.status)
        outcome = OptOutLedger().apply(event(optout), {"c-1": record})
        assert record.donotbulkemail
        assert (record.state, record.status) == state_before
        assert outcome.updated_record == "c-1"

    @pytest.mark.parametrize(
        ("fields", "word"),
        [
            ({"start": "deleted"}, "deleted"),
            ({"start": "inactive", "anonymized": True}, "anonymized"),
        ],
        ids=["deleted", "anonymized"],
    )
    def test_uneditable_record(self, fields: dict[str, Any], word: str) -> None:
        """No flag on a deleted or anonymized record, no error; the suppression still applies."""
        contact = person(**fields)
        before = snapshot(contact)
        ledger = OptOutLedger()
        outcome = ledger.apply(event(OptOutKind.SPAM_REPORT), {"c-1": contact})
        assert snapshot(contact) == before
        assert outcome.applied
        assert outcome.updated_record is None
        assert outcome.changes == (
            f"record {word}: flag not set on contact c-1",
            "suppressed ada@example.com permanently (spam complaint)",
        )
        assert ledger.suppressions.active(A, T1 + DAY)

    def test_deleted_contact_one_click(self) -> None:
        """A one-click unsubscribe for a deleted contact still opts the contact point out."""
        points = ContactPointLedger()
        OptOutLedger(contact_points=points).apply(
            event(OptOutKind.ONE_CLICK_UNSUBSCRIBE, purpose="commercial"),
            {"c-1": person(start="deleted")},
        )
        assert points.value(A, "commercial") is ConsentValue.OPTED_OUT


# --- bounces -------------------------------------------------------------------------------


def bounces(*kinds: OptOutKind, address: str = A) -> list[OptOutEvent]:
    """Events of ``kinds`` for ``address``, one a day from ``T1``."""
    return [
        event(kind, n, address=address, at=T1 + n * DAY) for n, kind in enumerate(kinds, start=1)
    ]


SOFT = OptOutKind.SOFT_BOUNCE
HARD = OptOutKind.HARD_BOUNCE
DELIVERED = OptOutKind.DELIVERED

# (sequence, suppressed afterwards, streak afterwards).
STREAKS: list[tuple[list[OptOutKind], bool, int]] = [
    ([SOFT] * 4, False, 4),
    ([SOFT] * 5, True, 0),
    ([SOFT] * 6, True, 1),
    ([SOFT] * 4 + [DELIVERED] + [SOFT] * 4, False, 4),
    ([SOFT] * 4 + [HARD], True, 0),
    ([SOFT] * 4 + [HARD] + [SOFT] * 4, True, 4),
    ([SOFT] * 9 + [DELIVERED], True, 0),
    ([DELIVERED, SOFT], False, 1),
]


class TestBounces:
    """Hard bounces suppress for 180 days; five soft bounces in a row count as one."""

    @pytest.mark.parametrize(
        ("kinds", "suppressed", "streak"),
        STREAKS,
        ids=lambda v: "+".join(k.name for k in v) if isinstance(v, list) else repr(v),
    )
    def test_streaks(self, kinds: list[OptOutKind], suppressed: bool, streak: int) -> None:
        """The soft-bounce streak and the suppression follow the sequence."""
        ledger = OptOutLedger()
        ledger.apply_many(bounces(*kinds), {})
        last = T1 + len(kinds) * DAY
        assert bool(ledger.suppressions.active(A, last)) is suppressed
        assert ledger.streak(A) == streak

    def test_fifth_soft_bounce(self) -> None:
        """The fifth soft bounce in a row suppresses like a hard bounce and says why."""
        ledger = OptOutLedger()
        outcomes = ledger.apply_many(bounces(*[SOFT] * 5), {})
        fifth = outcomes[-1]
        at = T1 + 5 * DAY
        assert fifth.suppression == Suppression(
            address=A, reason=SuppressionReason.HARD_BOUNCE, since=at, until=at + 180 * DAY
        )
        assert fifth.changes == (
            f"suppressed ada@example.com until {at + 180 * DAY:%Y-%m-%d} "
            "(5 consecutive soft bounces count as a hard bounce)",
        )
        assert [o.suppression for o in outcomes[:4]] == [None] * 4

    def test_streak_per_normalised_address(self) -> None:
        """Soft bounces of one address in different cases make one streak; others don't count."""
        ledger = OptOutLedger()
        events = [
            event(SOFT, n, address=address, at=T1 + n * DAY)
            for n, address in enumerate(
                [A, "ADA@example.com", " Ada@Example.Com", A, "bo@example.com"]
            )
        ]
        ledger.apply_many(events, {})
        assert dict(ledger.streaks) == {A: 4, "bo@example.com": 1}
        assert ledger.streak("Ada@example.com") == 4

    def test_hard_bounce_reports_streak_reset(self) -> None:
        """A hard bounce ending a streak says so."""
        ledger = OptOutLedger()
        outcomes = ledger.apply_many(bounces(SOFT, SOFT, HARD), {})
        assert outcomes[-1].changes[0] == "soft-bounce streak of ada@example.com reset (was 2)"

    @pytest.mark.parametrize(("days", "suppressed"), [(0, True), (179, True), (180, False)])
    def test_hard_bounce_expires(self, days: int, suppressed: bool) -> None:
        """A hard bounce suppresses from its moment for 180 days, not a moment longer."""
        ledger = OptOutLedger()
        ledger.apply(event(HARD), {})
        assert bool(ledger.suppressions.active(A, T1 + days * DAY)) is suppressed
        assert not ledger.suppressions.active(A, T1 - dt.timedelta(seconds=1))

    @pytest.mark.parametrize("days", [0, 180, 365 * 50])
    def test_spam_never_expires(self, days: int) -> None:
        """A spam complaint suppresses for ever."""
        ledger = OptOutLedger()
        ledger.apply(event(OptOutKind.SPAM_REPORT), {"c-1": person()})
        assert ledger.suppressions.active(A, T1 + days * DAY)

    def test_configuration(self) -> None:
        """The soft-bounce limit and hard-bounce days are configuration."""
        ledger = OptOutLedger(soft_bounce_limit=3, hard_bounce_days=30)
        outcomes = ledger.apply_many(bounces(SOFT, SOFT, SOFT), {})
        at = T1 + 3 * DAY
        assert outcomes[-1].suppression is not None
        assert outcomes[-1].suppression.until == at + 30 * DAY
        assert (ledger.soft_bounce_limit, ledger.hard_bounce_days) == (3, 30)

    @pytest.mark.parametrize(
        ("name", "value", "error"),
        [
            ("soft_bounce_limit", 0, InvalidFieldError),
            ("soft_bounce_limit", 2.5, FieldTypeError),
            ("soft_bounce_limit", True, FieldTypeError),
            ("soft_bounce_limit", 1_001, InvalidFieldError),
            ("hard_bounce_days", -1, InvalidFieldError),
            ("hard_bounce_days", "180", FieldTypeError),
            ("hard_bounce_days", 36_501, InvalidFieldError),
            ("hard_bounce_days", 3_000_000, InvalidFieldError),
            ("suppressions", [], FieldTypeError),
            ("contact_points", {}, FieldTypeError),
        ],
        ids=case_id,
    )
    def test_bad_configuration(self, name: str, value: Any, error: type[Exception]) -> None:
        """Bad configuration raises a typed error naming the setting."""
        with pytest.raises(error, match=f"^'{name}' must be"):
            OptOutLedger(**{name: value})

    def test_largest_configuration(self) -> None:
        """A soft-bounce limit of 1,000 and 100 years of hard-bounce suppression are allowed."""
        ledger = OptOutLedger(soft_bounce_limit=1_000, hard_bounce_days=36_500)
        (outcome,) = ledger.apply_many(bounces(HARD), {})
        assert outcome.suppression is not None
        assert outcome.suppression.until == T1 + DAY + 36_500 * DAY


# --- idempotency ---------------------------------------------------------------------------


class TestIdempotency:
    """An event id is applied once; repeating it changes nothing."""

    @pytest.mark.parametrize("kind", list(OptOutKind), ids=case_id)
    def test_apply_twice(self, kind: OptOutKind) -> None:
        """The second application is not applied, changes nothing and is not logged."""
        records: dict[str, Record] = {"c-1": person()}
        ledger = OptOutLedger(contact_points=ContactPointLedger())
        e = (
            event(kind, purpose="commercial")
            if kind is OptOutKind.ONE_CLICK_UNSUBSCRIBE
            else event(kind)
        )
        first = ledger.apply(e, records)
        before = (state(ledger), snapshot(*records.values()))
        again = ledger.apply(e, records)
        assert first.applied
        assert again == OptOutOutcome(event=e, applied=False)
        assert (state(ledger), snapshot(*records.values())) == before

    def test_soft_bounce_counted_once(self) -> None:
        """Redelivered soft-bounce events do not grow the streak."""
        ledger = OptOutLedger()
        soft = event(SOFT)
        for _ in range(10):
            ledger.apply(soft, {})
        assert ledger.streak(A) == 1
        assert not ledger.suppressions.active(A, T1 + DAY)

    def test_conflicting_repeat(self) -> None:
        """Another event under an applied id is ignored and flagged as a conflict."""
        ledger = OptOutLedger()
        ledger.apply(event(HARD), {})
        other = event(OptOutKind.SPAM_REPORT, record_id="c-1")
        outcome = ledger.apply(other, {"c-1": person()})
        assert (outcome.applied, outcome.conflict, outcome.changes) == (False, True, ())
        assert [s.reason for s in ledger.suppressions] == [SuppressionReason.HARD_BOUNCE]

    def test_repeat_needs_no_record(self) -> None:
        """A repeat is recognised by id before its record is looked up (replays stay quiet)."""
        ledger = OptOutLedger()
        e = event(OptOutKind.GROUP_OPT_OUT)
        ledger.apply(e, {"c-1": person()})
        assert not ledger.apply(e, {}).applied

    def test_repeats_within_a_batch(self) -> None:
        """In a batch, the earliest event of an id is applied and the later ones are not."""
        ledger = OptOutLedger()
        late = event(SOFT, 1, at=T1 + DAY)
        early = event(HARD, 1, at=T1)
        outcomes = ledger.apply_many([late, early], {})
        assert [(o.event, o.applied, o.conflict) for o in outcomes] == [
            (early, True, False),
            (late, False, True),
        ]


# Pools small enough that events collide on ids, addresses and records.
IDS = [f"e-{n}" for n in range(24)]
ADDRESSES = [A, "ADA@example.com", "bo@example.com"]
RECORDS = ["c-active", "c-inactive", "c-deleted", "c-anon", "l-lost", "a-inactive"]


def records_pool() -> dict[str, Record]:
    """Fresh records in every state an opt-out can find them in."""
    return {
        "c-active": person(id="c-active"),
        "c-inactive": person(start="inactive", id="c-inactive"),
        "c-deleted": person(start="deleted", id="c-deleted"),
        "c-anon": person(start="inactive", id="c-anon", anonymized=True),
        "l-lost": person(Lead, "disqualified/lost", id="l-lost"),
        "a-inactive": person(Account, "inactive", id="a-inactive"),
    }


@st.composite
def optout_events(draw: st.DrawFn) -> OptOutEvent:
    """Any valid event over the small pools."""
    # Soft bounces weigh more, so that streaks reach the limit.
    kind = draw(st.sampled_from(OptOutKind) | st.just(OptOutKind.SOFT_BOUNCE))
    fields: dict[str, Any] = {
        "id": draw(st.sampled_from(IDS)),
        "kind": kind,
        "address": draw(st.sampled_from(ADDRESSES)),
        "at": T1 + draw(st.integers(0, 60)) * DAY,
    }
    if kind.sets_donotbulkemail or draw(st.booleans()):
        fields["record_id"] = draw(st.sampled_from(RECORDS))
    if kind is OptOutKind.USER_OPT_OUT:
        fields["sending_account"] = draw(st.sampled_from(["acct-1", "acct-2"]))
    if kind is OptOutKind.ONE_CLICK_UNSUBSCRIBE:
        fields["purpose"] = draw(st.sampled_from([None, "commercial", "newsletters"]))
        if fields["purpose"] is not None:
            fields["topic"] = draw(st.sampled_from([None, "offers"]))
    return OptOutEvent(**fields)


event_lists = st.lists(optout_events(), max_size=30)


def run(batches: list[list[OptOutEvent]], *, one_by_one: bool = False) -> tuple[Any, ...]:
    """Apply ``batches`` to fresh records and a fresh ledger; everything observable after."""
    records = records_pool()
    ledger = OptOutLedger(contact_points=ContactPointLedger())
    for batch in batches:
        if one_by_one:
            for e in batch:
                ledger.apply(e, records)
                ledger.apply(e, records)
        else:
            ledger.apply_many(batch, records)
    return state(ledger), flags(records), snapshot(*records.values())


class TestIdempotencyProperties:
    """Idempotency and order hold for any events, not just the examples."""

    @given(event_lists)
    def test_twice_equals_once(self, events: list[OptOutEvent]) -> None:
        """Applying any list of events twice leaves what applying it once leaves."""
        assert run([events, events]) == run([events])

    @given(event_lists, st.randoms(use_true_random=False))
    def test_replay_in_any_order(self, events: list[OptOutEvent], random: Any) -> None:
        """Replaying the same events shuffled after a first pass changes nothing."""
        shuffled = list(events)
        random.shuffle(shuffled)
        assert run([events, shuffled]) == run([events])

    @given(event_lists)
    def test_each_twice_equals_once(self, events: list[OptOutEvent]) -> None:
        """Applying each event twice in a row leaves what applying it once leaves."""
        ordered = [[e] for e in events]
        assert run(ordered, one_by_one=True) == run(ordered)

    @given(event_lists, st.randoms(use_true_random=False))
    def test_batch_order_does_not_matter(self, events: list[OptOutEvent], random: Any) -> None:
        """apply_many sorts by time, so the order events arrive in does not matter."""
        shuffled = list(events)
        random.shuffle(shuffled)
        assert run([shuffled]) == run([events])

    @given(event_lists)
    def test_invariants(self, events: list[OptOutEvent]) -> None:
        """Streaks stay below the limit, every suppression applied is listed, flags only rise."""
        records = records_pool()
        ledger = OptOutLedger()
        outcomes = ledger.apply_many(events, records)
        assert all(0 < n < ledger.soft_bounce_limit for n in ledger.streaks.values())
        listed = set(ledger.suppressions)
        assert {o.suppression for o in outcomes if o.suppression} <= listed
        assert ledger.applied_ids == {e.id for e in events}
        assert len(ledger.log) == len(ledger.applied_ids)
        for o in ledger.log:
            if o.updated_record is not None:
                assert records[o.updated_record].donotbulkemail


# --- bad input -----------------------------------------------------------------------------


class TestUnknownRecords:
    """Events for unknown records raise a typed error and change nothing."""

    @pytest.mark.parametrize(
        "kind",
        [*FLAGGING, OptOutKind.USER_OPT_OUT, HARD, SOFT, DELIVERED],
        ids=case_id,
    )
    def test_nothing_changed(self, kind: OptOutKind) -> None:
        """The ledger and the records are exactly as before, and the id stays unapplied."""
        records: dict[str, Record] = {"c-1": person()}
        ledger = OptOutLedger(contact_points=ContactPointLedger())
        ledger.apply(event(SOFT, 99), records)
        before = (state(ledger), snapshot(*records.values()))
        with pytest.raises(UnknownRecordError) as info:
            ledger.apply(event(kind, record_id="c-404"), records)
        assert (info.value.record_id, info.value.event_id) == ("c-404", "e-1")
        assert (state(ledger), snapshot(*records.values())) == before
        assert "e-1" not in ledger.applied_ids

    def test_error_shape(self) -> None:
        """The error is a LeadflowError and a KeyError, reads well and pickles."""
        error = UnknownRecordError("c-404", "e-1")
        assert isinstance(error, LeadflowError)
        assert isinstance(error, KeyError)
        assert str(error) == (
            "'record_id' must be the id of a known record (got 'c-404', in opt-out event 'e-1')."
        )
        copy = pickle.loads(pickle.dumps(error))
        assert (type(copy), copy.args, str(copy)) == (type(error), error.args, str(error))

    def test_batch_is_all_or_nothing(self) -> None:
        """One unknown record in a batch and no event of it is applied."""
        records: dict[str, Record] = {"c-1": person()}
        ledger = OptOutLedger()
        before = (state(ledger), snapshot(*records.values()))
        batch = [
            event(OptOutKind.SPAM_REPORT, 1, at=T1),
            event(HARD, 2, at=T1 + DAY),
            event(OptOutKind.GROUP_OPT_OUT, 3, at=T1 + 2 * DAY, record_id="c-404"),
        ]
        with pytest.raises(UnknownRecordError):
            ledger.apply_many(batch, records)
        assert (state(ledger), snapshot(*records.values())) == before

    def test_unknown_record_behind_a_repeat(self) -> None:
        """A batch repeat whose record is unknown is skipped as a repeat, not an error."""
        records: dict[str, Record] = {"c-1": person()}
        ledger = OptOutLedger()
        first = event(OptOutKind.GROUP_OPT_OUT, 1, at=T1)
        repeat = event(OptOutKind.GROUP_OPT_OUT, 1, at=T1 + DAY, record_id="c-404")
        outcomes = ledger.apply_many([repeat, first], records)
        assert [o.applied for o in outcomes] == [True, False]

    @pytest.mark.parametrize(
        ("records", "error", "message"),
        [
            ([], FieldTypeError, "'records' must be a mapping"),
            ({"c-1": "not a record"}, FieldTypeError, "'records' must be a mapping"),
            ({"c-1": person(id="c-2")}, InvalidFieldError, "'records' must be a mapping"),
        ],
        ids=["not-a-mapping", "not-a-record", "wrong-key"],
    )
    def test_bad_records(self, records: Any, error: type[Exception], message: str) -> None:
        """A records argument that is not a mapping of ids to those records is refused."""
        ledger = OptOutLedger()
        with pytest.raises(error, match=f"^{message}"):
            ledger.apply(event(OptOutKind.GROUP_OPT_OUT), records)
        assert ledger.applied_ids == frozenset()

    @pytest.mark.parametrize("method", ["apply", "apply_many"])
    def test_not_an_event(self, method: str) -> None:
        """Anything but an OptOutEvent is refused."""
        ledger = OptOutLedger()
        value: Any = {"id": "e-1"} if method == "apply" else [{"id": "e-1"}]
        with pytest.raises(FieldTypeError, match="OptOutEvent"):
            getattr(ledger, method)(value, {})


class TestApplyMany:
    """Batches are applied in time order, then by id."""

    def test_time_order(self) -> None:
        """Outcomes come in time order, ties broken by id, whatever the input order."""
        e1 = event(SOFT, 2, at=T1)
        e2 = event(SOFT, 1, at=T1)
        e3 = event(DELIVERED, 3, at=T0)
        outcomes = OptOutLedger().apply_many([e1, e2, e3], {})
        assert [o.event_id for o in outcomes] == ["e-3", "e-1", "e-2"]

    def test_empty(self) -> None:
        """An empty batch does nothing."""
        ledger = OptOutLedger()
        assert ledger.apply_many([], {}) == ()
        assert ledger.log == ()

    @pytest.mark.parametrize("events", [None, 3, "e-1", {"e-1": None}], ids=case_id)
    def test_events_not_an_iterable(self, events: Any) -> None:
        """A batch that is not an iterable of events is a FieldTypeError."""
        with pytest.raises(FieldTypeError, match=r"^'events' must be"):
            OptOutLedger().apply_many(events, {})

    @pytest.mark.parametrize(
        "last",
        [
            [OptOutKind.HARD_BOUNCE],
            [OptOutKind.SOFT_BOUNCE, OptOutKind.SOFT_BOUNCE],
        ],
        ids=["hard-bounce", "soft-bounce-limit"],
    )
    def test_failing_plan_applies_nothing(self, last: list[OptOutKind]) -> None:
        """A suppression date past datetime.max in a late event leaves earlier events unapplied."""
        records: dict[str, Record] = {"c-1": person()}
        ledger = OptOutLedger(
            contact_points=ContactPointLedger(), soft_bounce_limit=2, hard_bounce_days=36_500
        )
        late = dt.datetime(9950, 1, 1, tzinfo=dt.UTC)
        batch = [
            event(OptOutKind.SPAM_REPORT, 1),
            event(OptOutKind.ONE_CLICK_UNSUBSCRIBE, 2, purpose="commercial"),
            event(OptOutKind.SOFT_BOUNCE, 3, address="bo@example.com"),
            *(event(kind, 10 + n, at=late + n * DAY) for n, kind in enumerate(last)),
        ]
        before = (state(ledger), snapshot(*records.values()))
        with pytest.raises(InvalidFieldError, match=r"^'at' must be at least 36500 days"):
            ledger.apply_many(batch, records)
        assert (state(ledger), snapshot(*records.values())) == before
        with pytest.raises(InvalidFieldError, match=r"^'at' must be"):
            ledger.apply(event(OptOutKind.HARD_BOUNCE, 9, at=late), records)
        assert (state(ledger), snapshot(*records.values())) == before

    def test_planned_as_applied_one_by_one(self) -> None:
        """A batch flagging one record twice and counting streaks gives the one-by-one outcomes."""
        batch = [
            event(OptOutKind.GROUP_OPT_OUT, 1),
            event(OptOutKind.SPAM_REPORT, 2, at=T1 + DAY),
            *bounces(SOFT, SOFT, DELIVERED, SOFT),
        ]
        batch = [attrs.evolve(e, id=f"b-{n}") for n, e in enumerate(batch)]
        one_by_one: dict[str, Record] = {"c-1": person()}
        sequential = OptOutLedger(soft_bounce_limit=2)
        expected = [
            sequential.apply(e, one_by_one) for e in sorted(batch, key=lambda e: (e.at, e.id))
        ]
        together: dict[str, Record] = {"c-1": person()}
        ledger = OptOutLedger(soft_bounce_limit=2)
        assert list(ledger.apply_many(batch, together)) == expected
        assert state(ledger) == state(sequential)
        assert snapshot(*together.values()) == snapshot(*one_by_one.values())


class TestLedgerConstructors:
    """SuppressionList and ContactPointLedger take iterables of their entries, nothing else."""

    @pytest.mark.parametrize("kind", [SuppressionList, ContactPointLedger], ids=case_id)
    @pytest.mark.parametrize("value", [None, 42, "ada@example.com", {"a": 1}], ids=case_id)
    def test_not_an_iterable(self, kind: type, value: Any) -> None:
        """None, numbers, strings and mappings raise FieldTypeError."""
        with pytest.raises(FieldTypeError, match=r"^'(entries|consents)' must be an iterable"):
            kind(value)

    @pytest.mark.parametrize("kind", [SuppressionList, ContactPointLedger], ids=case_id)
    def test_iterables(self, kind: type) -> None:
        """Any iterable works, a generator or list included; the default is empty."""
        assert len(kind()) == len(kind([])) == len(kind(iter(()))) == 0


# --- what the events mean for sends -----------------------------------------------------------


def decide(
    record: Record, kind: MessageKind, ledger: OptOutLedger, **options: Any
) -> tuple[str, ...]:
    """The codes of ``can_send`` a day after ``T1`` with the ledger's state."""
    decision = can_send(
        record,
        kind,
        at=T1 + DAY,
        suppressions=ledger.suppressions,
        contact_points=ledger.contact_points,
        **options,
    )
    return decision.codes


class TestSends:
    """After the events, can_send blocks exactly what D9 and D13 say."""

    def test_before_any_event(self) -> None:
        """The fixture contact may receive commercial email to begin with."""
        assert decide(person(), MessageKind.COMMERCIAL, OptOutLedger()) == ()

    def test_user_opt_out_blocks_one_sending_account(self) -> None:
        """A user-level opt-out refuses commercial email from that account only."""
        contact = person()
        ledger = OptOutLedger()
        ledger.apply(event(OptOutKind.USER_OPT_OUT, sending_account="acct-1"), {"c-1": contact})
        blocked = decide(contact, MessageKind.COMMERCIAL, ledger, sending_account="acct-1")
        assert blocked == ("suppressed-sending-account",)
        assert decide(contact, MessageKind.COMMERCIAL, ledger, sending_account="acct-2") == ()

    @pytest.mark.parametrize(
        ("kind", "codes"),
        [
            (MessageKind.COMMERCIAL, ("donotbulkemail",)),
            (MessageKind.SUBSCRIPTION, ("donotbulkemail",)),
            (MessageKind.TRANSACTIONAL, ()),
            (MessageKind.MANUAL, ()),
            (MessageKind.WORKFLOW, ()),
        ],
        ids=case_id,
    )
    def test_group_opt_out_blocks_bulk_only(
        self, kind: MessageKind, codes: tuple[str, ...]
    ) -> None:
        """After a group opt-out, bulk email is refused and transactional email still goes."""
        contact = person()
        ledger = OptOutLedger()
        ledger.apply(event(OptOutKind.GROUP_OPT_OUT), {"c-1": contact})
        assert decide(contact, kind, ledger) == codes

    def test_inactive_contact_opt_out(self) -> None:
        """An opted-out inactive contact keeps donotbulkemail if reactivated."""
        contact = person(start="inactive")
        ledger = OptOutLedger()
        ledger.apply(event(OptOutKind.CLIENT_OPT_OUT), {"c-1": contact})
        contact.activate(at=T1)
        assert decide(contact, MessageKind.COMMERCIAL, ledger) == ("donotbulkemail",)

    def test_one_click_contact_points(self) -> None:
        """A one-click unsubscribe blocks commercial email under contact-point consent."""
        contact = person()
        ledger = OptOutLedger(contact_points=ContactPointLedger())
        ledger.apply(
            event(OptOutKind.ONE_CLICK_UNSUBSCRIBE, purpose="commercial"), {"c-1": contact}
        )
        codes = decide(contact, MessageKind.COMMERCIAL, ledger, policy=CONTACT_POINTS)
        assert codes == ("donotbulkemail", "contact-point-opted-out")
        no_flags = attrs.evolve(CONTACT_POINTS, check_contact_flags=False)
        assert decide(contact, MessageKind.COMMERCIAL, ledger, policy=no_flags) == (
            "contact-point-opted-out",
        )
        assert decide(contact, MessageKind.TRANSACTIONAL, ledger, policy=CONTACT_POINTS) == ()

    def test_one_click_topic(self) -> None:
        """A topic-only one-click unsubscribe blocks that topic, not the purpose."""
        contact = person()
        ledger = OptOutLedger(contact_points=ContactPointLedger())
        ledger.apply(
            event(OptOutKind.ONE_CLICK_UNSUBSCRIBE, purpose="commercial", topic="offers"),
            {"c-1": contact},
        )
        policy = attrs.evolve(CONTACT_POINTS, check_contact_flags=False)
        assert decide(contact, MessageKind.COMMERCIAL, ledger, policy=policy) == ()
        assert decide(contact, MessageKind.COMMERCIAL, ledger, policy=policy, topic="offers") == (
            "topic-opted-out",
        )

    @pytest.mark.parametrize(
        ("optout", "code"),
        [
            (OptOutKind.SPAM_REPORT, "suppressed-spam-complaint"),
            (HARD, "suppressed-hard-bounce"),
        ],
        ids=case_id,
    )
    def test_suppression_blocks_transactional(self, optout: OptOutKind, code: str) -> None:
        """A suppressed address gets no marketing-engine email, transactional included."""
        contact = person()
        ledger = OptOutLedger()
        ledger.apply(event(optout), {"c-1": contact})
        assert code in decide(contact, MessageKind.TRANSACTIONAL, ledger)
        assert decide(contact, MessageKind.MANUAL, ledger) == ()
