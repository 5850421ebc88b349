"""Data consents (D11, D12, seed 003): validation, status moves, summaries, expiry, carry-over."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecycle import (
    ConsentLevel,
    ConsentStatus,
    Contact,
    DataConsent,
    InvalidFieldError,
    Lead,
    LeadflowError,
    TransitionNotAllowed,
)
from lifecycle.consent import (
    ConsentSummary,
    ExpiryReport,
    GdprConsent,
    consent_summary,
    expire_consents,
)
from lifecycle.errors import FieldTypeError
from tests.strategies import NAIVE, T1, case_id

AT = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
BEFORE = AT - dt.timedelta(days=1)
AFTER = AT + dt.timedelta(days=1)
LATER = AT + dt.timedelta(days=365)

S = ConsentStatus


def consent(
    level: int = ConsentLevel.MARKETING, status: ConsentStatus = S.ACTIVE, **fields: Any
) -> DataConsent:
    return DataConsent(level=level, status=status, **fields)


class TestValidation:
    """A consent's level is a ConsentLevel 0-5; every other field is checked too."""

    @pytest.mark.parametrize("level", [0, 1, 2, 3, 4, 5, *ConsentLevel])
    def test_levels_zero_to_five(self, level: int) -> None:
        made = consent(level)
        assert made.level is ConsentLevel(level)
        assert isinstance(made.level, ConsentLevel)

    @pytest.mark.parametrize("level", [6, -1, 99])
    def test_out_of_range(self, level: int) -> None:
        with pytest.raises(
            InvalidFieldError, match="'level' must be a consent level from 0 to 5"
        ) as err:
            consent(level)
        assert not isinstance(err.value, FieldTypeError)
        assert err.value.got == level

    @pytest.mark.parametrize("level", ["4", True, False, 4.0, None, b"4"], ids=case_id)
    def test_wrong_type(self, level: Any) -> None:
        with pytest.raises(FieldTypeError, match="'level' must be a consent level 0-5"):
            consent(level)

    @pytest.mark.parametrize(
        ("field", "value", "error"),
        [
            ("status", "active", FieldTypeError),
            ("status", None, FieldTypeError),
            ("valid_until", NAIVE, InvalidFieldError),
            ("valid_until", "2026-06-01", FieldTypeError),
            ("given_on", NAIVE, InvalidFieldError),
            ("explicit", 1, FieldTypeError),
            ("explicit", None, FieldTypeError),
            ("confidential", "yes", FieldTypeError),
            ("policy", "x" * 201, InvalidFieldError),
            ("policy", 7, FieldTypeError),
        ],
        ids=case_id,
    )
    def test_other_fields(self, field: str, value: Any, error: type[Exception]) -> None:
        with pytest.raises(error, match=f"'{field}' must be"):
            DataConsent(level=4, **{field: value})

    def test_errors_are_leadflow_errors(self) -> None:
        with pytest.raises(LeadflowError):
            consent(6)
        with pytest.raises(ValueError, match="level"):
            consent(6)
        with pytest.raises(TypeError, match="level"):
            consent("4")

    def test_level_is_required(self) -> None:
        with pytest.raises(TypeError):
            DataConsent()  # type: ignore[call-arg]

    def test_defaults(self) -> None:
        """Active, explicit, not confidential, no expiry; each consent gets its own id."""
        one, two = consent(), consent()
        assert (one.status, one.explicit, one.confidential, one.valid_until) == (
            S.ACTIVE,
            True,
            False,
            None,
        )
        assert one.id != two.id

    def test_frozen(self) -> None:
        """A consent is a value: a status change makes a new one."""
        made = consent()
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            made.status = S.CANCELLED  # type: ignore[misc]


# (status, move) -> the status after it, or None when the move is refused.
MOVES: dict[tuple[ConsentStatus, str], ConsentStatus | None] = {
    (S.ACTIVE, "cancel"): S.CANCELLED,
    (S.ACTIVE, "reactivate"): None,
    (S.ACTIVE, "expire"): S.EXPIRED,
    (S.ACTIVE, "anonymize"): S.ANONYMIZED,
    (S.CANCELLED, "cancel"): None,
    (S.CANCELLED, "reactivate"): S.ACTIVE,
    (S.CANCELLED, "expire"): None,
    (S.CANCELLED, "anonymize"): S.ANONYMIZED,
    (S.EXPIRED, "cancel"): None,
    (S.EXPIRED, "reactivate"): None,
    (S.EXPIRED, "expire"): None,
    (S.EXPIRED, "anonymize"): S.ANONYMIZED,
    (S.ANONYMIZED, "cancel"): None,
    (S.ANONYMIZED, "reactivate"): None,
    (S.ANONYMIZED, "expire"): None,
    (S.ANONYMIZED, "anonymize"): S.ANONYMIZED,
}
"""D12: only Cancelled can be reactivated; Expired and Anonymized are final."""


class TestStatusMoves:
    """cancel, reactivate, expire, anonymize: every status against every move."""

    @pytest.mark.parametrize(("status", "move"), list(MOVES), ids=case_id)
    def test_move(self, status: ConsentStatus, move: str) -> None:
        before = consent(status=status, id="consent-1", policy="Newsletter policy v2")
        dest = MOVES[(status, move)]
        if dest is None:
            with pytest.raises(TransitionNotAllowed) as err:
                getattr(before, move)()
            assert (err.value.trigger, err.value.state, err.value.record_id) == (
                move,
                status.value,
                "consent-1",
            )
        else:
            after = getattr(before, move)()
            assert after.status is dest
            assert after.id == before.id
            assert after.level is before.level
            assert after.policy == (None if move == "anonymize" else before.policy)
        assert before.status is status, "a move never changes the consent it is called on"

    @pytest.mark.parametrize("status", [S.EXPIRED, S.ANONYMIZED], ids=case_id)
    def test_expired_and_anonymized_can_never_be_reactivated(self, status: ConsentStatus) -> None:
        with pytest.raises(TransitionNotAllowed, match="Can't reactivate when in"):
            consent(status=status).reactivate()

    @given(
        start=st.sampled_from([S.EXPIRED, S.ANONYMIZED]),
        moves=st.lists(
            st.sampled_from(["cancel", "reactivate", "expire", "anonymize"]), max_size=8
        ),
    )
    def test_final_statuses_never_come_back(self, start: ConsentStatus, moves: list[str]) -> None:
        """No sequence of moves brings an Expired or Anonymized consent back to Active."""
        current = consent(status=start)
        for move in moves:
            try:
                current = getattr(current, move)()
            except TransitionNotAllowed:
                continue
            assert current.status is not S.ACTIVE

    def test_cancel_and_reactivate_round_trip(self) -> None:
        made = consent(ConsentLevel.PROFILING, valid_until=LATER)
        assert made.cancel().reactivate() == made

    @pytest.mark.parametrize(
        ("status", "valid_until", "active"),
        [
            (S.ACTIVE, None, True),
            (S.ACTIVE, AFTER, True),
            (S.ACTIVE, AT, False),
            (S.ACTIVE, BEFORE, False),
            (S.CANCELLED, None, False),
            (S.EXPIRED, AFTER, False),
            (S.ANONYMIZED, None, False),
        ],
        ids=case_id,
    )
    def test_is_active_at(
        self, status: ConsentStatus, valid_until: dt.datetime | None, active: bool
    ) -> None:
        """Active and not yet at its valid-until: an overdue Active consent already counts as expired."""
        assert consent(status=status, valid_until=valid_until).is_active_at(AT) is active


class TestSummary:
    """consent_summary: level, maximum expiry and GDPR consent at a moment (D12, seed 003)."""

    @pytest.mark.parametrize(
        ("consents", "level", "expiry", "active"),
        [
            ([], 0, None, 0),
            ([consent(2, valid_until=AFTER)], 2, AFTER, 1),
            ([consent(2, valid_until=AFTER), consent(4, valid_until=LATER)], 4, LATER, 2),
            ([consent(5, valid_until=AFTER), consent(1, valid_until=LATER)], 5, LATER, 2),
            ([consent(3, valid_until=AFTER), consent(1)], 3, None, 2),
            ([consent(5, status=S.CANCELLED), consent(3, valid_until=AFTER)], 3, AFTER, 1),
            ([consent(5, status=S.EXPIRED, valid_until=LATER), consent(2)], 2, None, 1),
            ([consent(5, status=S.ANONYMIZED), consent(1, valid_until=AFTER)], 1, AFTER, 1),
            ([consent(5, valid_until=AT), consent(2, valid_until=LATER)], 2, LATER, 1),
            ([consent(5, valid_until=BEFORE)], 0, None, 0),
            ([consent(4, status=S.CANCELLED, valid_until=LATER)], 0, None, 0),
        ],
        ids=[
            "none",
            "one",
            "highest and latest",
            "highest is not latest",
            "one never expires",
            "cancelled ignored",
            "expired ignored",
            "anonymized ignored",
            "overdue active ignored",
            "only overdue",
            "only cancelled",
        ],
    )
    def test_level_and_expiry(
        self, consents: list[DataConsent], level: int, expiry: dt.datetime | None, active: int
    ) -> None:
        """Level is the highest active at ``at``; maximum expiry the latest valid-until of those
        (None when none is active, or one of them never expires)."""
        summary = consent_summary(Contact(consents=consents), AT)
        assert summary == ConsentSummary(ConsentLevel(level), expiry, active, summary.gdpr)
        assert summary.level is ConsentLevel(level)

    @pytest.mark.parametrize(
        ("fields", "gdpr"),
        [
            ({}, GdprConsent.NONE),
            ({"consents": [consent(explicit=True)]}, GdprConsent.EXPLICIT),
            ({"consents": [consent(explicit=False)]}, GdprConsent.INHERENT),
            (
                {"consents": [consent(explicit=False), consent(2, explicit=True)]},
                GdprConsent.EXPLICIT,
            ),
            ({"consent_inherent": True}, GdprConsent.INHERENT),
            ({"consent_inherent": True, "consents": [consent()]}, GdprConsent.EXPLICIT),
            ({"consents": [consent(status=S.CANCELLED)]}, GdprConsent.RESTRICT),
            (
                {
                    "consents": [
                        consent(status=S.EXPIRED),
                        consent(valid_until=BEFORE),
                        consent(status=S.ANONYMIZED),
                    ]
                },
                GdprConsent.RESTRICT,
            ),
            (
                {"consent_inherent": True, "consents": [consent(status=S.CANCELLED)]},
                GdprConsent.RESTRICT,
            ),
            ({"consents": [consent(status=S.CANCELLED), consent(1)]}, GdprConsent.EXPLICIT),
            ({"consent_restricted": True}, GdprConsent.RESTRICT),
            ({"consent_restricted": True, "consents": [consent()]}, GdprConsent.RESTRICT),
            ({"consent_restricted": True, "consent_inherent": True}, GdprConsent.RESTRICT),
        ],
        ids=[
            "no consent",
            "explicit",
            "legal basis only",
            "explicit wins over legal basis",
            "inherent flag, no consents",
            "inherent flag, explicit consent",
            "all consents cancelled",
            "all consents inactive",
            "inherent flag, all consents inactive",
            "one inactive, one active",
            "restricted",
            "restricted with active consent",
            "restricted and inherent",
        ],
    )
    def test_gdpr(self, fields: dict[str, Any], gdpr: GdprConsent) -> None:
        """None / Explicit / Inherent / Restrict, Restrict also when every consent is inactive."""
        assert consent_summary(Lead(**fields), AT).gdpr is gdpr
        assert consent_summary(Contact(**fields), AT).gdpr is gdpr

    def test_restrict_consent_makes_gdpr_restrict(self) -> None:
        """record.restrict_consent() sets every preference to Do Not Allow and GDPR to Restrict."""
        record = Contact(consents=[consent(5)])
        changed = record.restrict_consent(at=T1)
        assert set(changed) == {
            "donotemail",
            "donotbulkemail",
            "donotsendmm",
            "donotphone",
            "donotpostalmail",
            "followemail",
            "consent_restricted",
        }
        assert consent_summary(record, AT).gdpr is GdprConsent.RESTRICT
        assert consent_summary(record, AT).level is ConsentLevel.PROFILING
        assert record.restrict_consent(at=T1) == ()

    def test_summary_is_derived_at_each_moment(self) -> None:
        """The same record summarises differently before and after a consent runs out."""
        record = Contact(consents=[consent(4, valid_until=AT), consent(2, valid_until=LATER)])
        assert consent_summary(record, BEFORE).level is ConsentLevel.MARKETING
        assert consent_summary(record, AT).level is ConsentLevel.TRANSACTIONAL
        assert consent_summary(record, LATER).gdpr is GdprConsent.RESTRICT

    @pytest.mark.parametrize("at", [NAIVE, None, "2026-06-01"], ids=case_id)
    def test_needs_an_aware_moment(self, at: Any) -> None:
        with pytest.raises(InvalidFieldError, match="'at' must be"):
            consent_summary(Contact(), at)


class TestExpireConsents:
    """expire_consents: Active past valid-until → Expired, in batch, idempotent (D12)."""

    def records(self) -> list[Any]:
        return [
            Lead(
                id="lead-1",
                consents=[
                    consent(4, id="overdue", valid_until=BEFORE),
                    consent(3, id="due-now", valid_until=AT),
                    consent(5, id="future", valid_until=AFTER),
                    consent(2, id="no-expiry"),
                    consent(5, status=S.CANCELLED, id="cancelled-overdue", valid_until=BEFORE),
                ],
            ),
            Contact(id="contact-1", consents=[consent(4, id="fine", valid_until=LATER)]),
            Contact(
                id="contact-2",
                consents=[consent(4, status=S.EXPIRED, id="already", valid_until=BEFORE)],
            ),
            Contact(id="contact-3"),
        ]

    def test_expires_only_active_past_valid_until(self) -> None:
        records = self.records()
        report = expire_consents(records, AT)
        assert report == ExpiryReport(expired=2, records=1)
        statuses = {c.id: c.status for r in records for c in r.consents}
        assert statuses == {
            "overdue": S.EXPIRED,
            "due-now": S.EXPIRED,
            "future": S.ACTIVE,
            "no-expiry": S.ACTIVE,
            "cancelled-overdue": S.CANCELLED,
            "fine": S.ACTIVE,
            "already": S.EXPIRED,
        }

    def test_idempotent(self) -> None:
        """A second run at the same moment reports nothing and changes nothing."""
        records = self.records()
        expire_consents(records, AT)
        after_first = [attrs.asdict(r) for r in records]
        assert expire_consents(records, AT) == ExpiryReport(expired=0, records=0)
        assert [attrs.asdict(r) for r in records] == after_first

    def test_later_run_expires_more(self) -> None:
        records = self.records()
        expire_consents(records, AT)
        assert expire_consents(records, LATER) == ExpiryReport(expired=2, records=2)

    def test_untouched_records_keep_their_list(self) -> None:
        records = self.records()
        lists = [r.consents for r in records]
        expire_consents(records, AT)
        assert records[0].consents is not lists[0]
        assert all(r.consents is old for r, old in zip(records[1:], lists[1:], strict=True))

    def test_expired_consents_cannot_be_reactivated(self) -> None:
        records = self.records()
        expire_consents(records, AT)
        with pytest.raises(TransitionNotAllowed):
            records[0].consents[0].reactivate()

    def test_closed_records_consents_still_expire(self) -> None:
        """A disqualified lead's and a deactivated contact's consents expire (seed 003)."""
        lead = Lead(consents=[consent(4, valid_until=BEFORE)])
        lead.disqualify(at=T1)
        contact = Contact(consents=[consent(4, valid_until=BEFORE)])
        contact.deactivate(at=T1)
        assert expire_consents([lead, contact], AT) == ExpiryReport(expired=2, records=2)
        assert lead.consents[0].status is S.EXPIRED
        assert contact.consents[0].status is S.EXPIRED

    def test_accepts_any_iterable(self) -> None:
        records = self.records()
        assert expire_consents(iter(records), AT).expired == 2
        assert expire_consents([], AT) == ExpiryReport(0, 0)

    @pytest.mark.parametrize("at", [NAIVE, None], ids=case_id)
    def test_needs_an_aware_moment(self, at: Any) -> None:
        with pytest.raises(InvalidFieldError, match="'at' must be"):
            expire_consents(self.records(), at)

    @given(
        consents=st.lists(
            st.builds(
                DataConsent,
                level=st.sampled_from(list(ConsentLevel)),
                status=st.sampled_from(list(ConsentStatus)),
                valid_until=st.none() | st.sampled_from([BEFORE, AT, AFTER]),
                explicit=st.booleans(),
            ),
            max_size=5,
        ),
        at=st.sampled_from([BEFORE, AT, AFTER]),
    )
    def test_expiring_never_changes_the_summary(
        self, consents: list[DataConsent], at: dt.datetime
    ) -> None:
        """Expiry only writes down what the summary already derives; afterwards every Active
        consent is active at that moment."""
        record = Contact(consents=list(consents))
        before = consent_summary(record, at)
        report = expire_consents([record], at)
        assert consent_summary(record, at) == before
        assert all(c.is_active_at(at) for c in record.consents if c.status is S.ACTIVE)
        assert report.expired == sum(
            a.status is not b.status for a, b in zip(consents, record.consents, strict=True)
        )


class TestRecordsAndConsents:
    """What lifecycle triggers do to consents: qualify carries them, anonymize ends them."""

    def lead(self) -> Lead:
        return Lead(
            id="lead-1",
            firstname="Ada",
            lastname="Lovelace",
            emailaddress1="ada@example.com",
            consents=[
                consent(4, id="marketing", valid_until=LATER),
                consent(2, id="transactional"),
                consent(5, status=S.CANCELLED, id="cancelled"),
                consent(3, status=S.EXPIRED, id="expired"),
            ],
        )

    def test_qualify_carries_active_consents_to_the_new_contact(self) -> None:
        lead = self.lead()
        result = lead.qualify(create_contact=True, at=T1)
        assert result.contact is not None
        assert [c.id for c in result.contact.consents] == ["marketing", "transactional"]
        assert all(c.status is S.ACTIVE for c in result.contact.consents)
        assert consent_summary(result.contact, AT) == consent_summary(lead, AT)

    def test_qualify_leaves_the_leads_consents(self) -> None:
        """The lead keeps its consents (linked, not taken); only active ones are carried."""
        lead = self.lead()
        before = lead.consents
        lead.qualify(create_contact=True, at=T1)
        assert lead.consents == before

    def test_qualify_into_existing_contact_adds_without_duplicates(self) -> None:
        lead = self.lead()
        own = consent(1, id="own")
        contact = Contact(consents=[own, lead.consents[0]])
        lead.qualify(contact=contact, at=T1)
        assert [c.id for c in contact.consents] == ["own", "marketing", "transactional"]

    def test_disqualify_and_deactivate_leave_consents_alone(self) -> None:
        """Seed 003: disqualifying a lead or deactivating a contact does not change its consents."""
        lead = self.lead()
        before = lead.consents
        lead.disqualify(at=T1)
        assert lead.consents == before
        contact = Contact(consents=list(before))
        contact.deactivate(at=T1)
        assert contact.consents == before

    @pytest.mark.parametrize("kind", [Lead, Contact], ids=case_id)
    def test_anonymize_makes_consents_anonymized(self, kind: type[Any]) -> None:
        record = kind(
            consents=[
                consent(4, policy="Marketing policy"),
                consent(2, status=S.CANCELLED),
                consent(3, status=S.EXPIRED),
            ]
        )
        ids = [c.id for c in record.consents]
        record.anonymize(at=T1)
        assert [c.id for c in record.consents] == ids
        assert all(c.status is S.ANONYMIZED for c in record.consents)
        assert all(c.policy is None for c in record.consents)
        summary = consent_summary(record, AT)
        assert (summary.level, summary.active, summary.gdpr) == (
            ConsentLevel.NONE,
            0,
            GdprConsent.RESTRICT,
        )
        for made in record.consents:
            with pytest.raises(TransitionNotAllowed):
                made.reactivate()
