"""Audiences, segments, static lists and the data-protection views (D7, D8, D11, D12)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from typing import Any

import attrs
import pytest

from lifecycle import (
    Account,
    ConsentLevel,
    ConsentStatus,
    Contact,
    DataConsent,
    Decision,
    InvalidFieldError,
    Lead,
    LeadflowError,
    LeadStatus,
    MessageKind,
    Policy,
    Record,
    Suppression,
    SuppressionList,
    SuppressionReason,
    can_send,
)
from lifecycle.audiences import (
    Audience,
    DynamicSegment,
    ExpiringConsent,
    ListConsentGap,
    StaticList,
    audience,
    expiring_consents,
    is_closed,
    lists_without_consent,
    missing_consent,
)
from lifecycle.errors import FieldTypeError
from tests.strategies import NAIVE, build, case_id

AT = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
"""The fixed clock of every view and send below."""
DAY = dt.timedelta(days=1)


def marketing(valid_until: dt.datetime | None = None, **fields: Any) -> DataConsent:
    """An Active Marketing (level 4) consent."""
    return DataConsent(level=ConsentLevel.MARKETING, valid_until=valid_until, **fields)


def reachable(kind: type[Record], start: str, name: str, **fields: Any) -> Any:
    """A record in state ``start`` that nothing but its state would block for commercial email."""
    values: dict[str, Any] = {"id": name, "emailaddress1": f"{name}@example.com"}
    if kind is not Account:
        values["consents"] = [marketing()]
    values.update(fields)
    return build(kind, start, **values)


@pytest.fixture
def people() -> dict[str, Record]:
    """One record per interesting state, each reachable for commercial email when open."""
    records = [
        reachable(Contact, "active", "active-contact"),
        reachable(Contact, "inactive", "inactive-contact"),
        reachable(Contact, "deleted", "deleted-contact"),
        reachable(Lead, "open/new", "open-lead"),
        reachable(Lead, "open/contacted", "contacted-lead"),
        reachable(Lead, "qualified", "qualified-lead"),
        reachable(Lead, "disqualified/lost", "lost-lead"),
        reachable(Account, "active", "active-account"),
        reachable(Account, "inactive", "inactive-account"),
    ]
    return {r.id: r for r in records}


NO_CONSENT_CHECK = Policy(enforce_consent_levels=False)


# --- audience -----------------------------------------------------------------------------


class TestAudience:
    """audience() scores every record with can_send and keeps the refusals' reasons."""

    def test_same_decisions_as_can_send(self, people: dict[str, Record]) -> None:
        """Recipients are exactly the records can_send allows; refusals are its decisions."""
        records = list(people.values())
        for kind in MessageKind:
            result = audience(records, kind, at=AT)
            decisions = [can_send(r, kind, at=AT) for r in records]
            assert result.recipients == tuple(
                r for r, d in zip(records, decisions, strict=True) if d.allowed
            )
            assert result.refused == tuple(d for d in decisions if not d.allowed)
            assert result.size == len(records)

    def test_counts_and_summary(self) -> None:
        """counts_by_reason counts each code once per refusal, in ReasonCode order (consent
        levels enforced, so the third contact has two reasons)."""
        records = [
            Contact(id="a", emailaddress1="a@example.com", consents=[marketing()]),
            Contact(id="b", emailaddress1="b@example.com", donotemail=True),
            Contact(id="c"),
        ]
        result = audience(records, MessageKind.COMMERCIAL, at=AT, policy=Policy.data_protection())
        assert [r.id for r in result.recipients] == ["a"]
        assert result.counts_by_reason == {
            "no-email-address": 1,
            "donotemail": 1,
            "consent-below-marketing": 2,
        }
        assert list(result.counts_by_reason) == [
            "no-email-address",
            "donotemail",
            "consent-below-marketing",
        ]
        assert result.summary() == (
            "commercial at 2026-06-01T12:00:00+00:00: 1 of 3 records reached; 2 refused "
            "(no-email-address 1, donotemail 1, consent-below-marketing 2)"
        )

    def test_summary_when_everyone_is_reached(self) -> None:
        """No refusals: the summary says only who was reached."""
        result = audience([Contact(emailaddress1="a@example.com")], MessageKind.MANUAL, at=AT)
        assert result.summary() == "manual at 2026-06-01T12:00:00+00:00: 1 of 1 records reached"
        assert result.counts_by_reason == {}

    def test_suppressions_and_sending_account_are_passed_on(self) -> None:
        """The suppression list and sending account reach can_send."""
        record = Contact(emailaddress1="pat@example.com", consents=[marketing()])
        opt_out = Suppression(
            address="pat@example.com",
            reason=SuppressionReason.SENDING_ACCOUNT_OPT_OUT,
            since=AT - DAY,
            sending_account="acct-1",
        )
        suppressions = SuppressionList((opt_out,))
        for account, reached in (("acct-1", False), ("acct-2", True), (None, True)):
            result = audience(
                [record],
                MessageKind.COMMERCIAL,
                at=AT,
                suppressions=suppressions,
                sending_account=account,
            )
            assert bool(result.recipients) is reached

    def test_audience_is_frozen(self) -> None:
        """An Audience is a value."""
        result = audience([], MessageKind.COMMERCIAL, at=AT)
        assert result == Audience(MessageKind.COMMERCIAL, AT, (), ())
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            result.recipients = ()  # type: ignore[misc]


class TestAudienceBadInput:
    """Bad arguments raise typed errors, even for an empty audience."""

    @pytest.mark.parametrize("kind", ["commercial", None, 1], ids=case_id)
    def test_unknown_kind(self, kind: Any) -> None:
        """A kind that is not a MessageKind raises FieldTypeError."""
        with pytest.raises(FieldTypeError, match="'kind'"):
            audience([], kind, at=AT)

    def test_naive_at(self) -> None:
        """A naive ``at`` raises InvalidFieldError."""
        with pytest.raises(InvalidFieldError, match="'at'"):
            audience([], MessageKind.COMMERCIAL, at=NAIVE)

    @pytest.mark.parametrize(
        ("arguments", "error"),
        [
            ({"records": "contact"}, FieldTypeError),
            ({"records": [Contact(), "x"]}, FieldTypeError),
            ({"records": 3}, FieldTypeError),
            ({"policy": {"enforce_consent_levels": False}}, FieldTypeError),
            ({"suppressions": ["a@example.com"]}, FieldTypeError),
            ({"contact_points": {}}, FieldTypeError),
            ({"at": "2026-06-01"}, FieldTypeError),
        ],
        ids=["str-records", "not-a-record", "not-iterable", "policy", "suppr", "ledger", "at"],
    )
    def test_bad_arguments(self, arguments: dict[str, Any], error: type[Exception]) -> None:
        """Each bad argument raises its typed error, a LeadflowError."""
        call: dict[str, Any] = {"records": [], "kind": MessageKind.COMMERCIAL, "at": AT}
        call.update(arguments)
        with pytest.raises(error) as info:
            audience(call.pop("records"), call.pop("kind"), **call)
        assert isinstance(info.value, LeadflowError)


# --- segments and lists (D7) --------------------------------------------------------------


class TestDynamicSegment:
    """Dynamic segments are queries: closed records drop out."""

    def test_excludes_closed_records(self, people: dict[str, Record]) -> None:
        """Inactive contacts and accounts, qualified/disqualified leads and deleted records are
        never members."""
        segment = DynamicSegment("everyone")
        members = [r.id for r in segment.members(people.values())]
        assert members == ["active-contact", "open-lead", "contacted-lead", "active-account"]
        assert all(not is_closed(r) for r in segment.members(people.values()))

    def test_predicate_filters_open_records_only(self, people: dict[str, Record]) -> None:
        """The predicate narrows the open records; it never brings a closed one back."""
        leads = DynamicSegment("leads", predicate=lambda r: isinstance(r, Lead))
        assert [r.id for r in leads.members(people.values())] == ["open-lead", "contacted-lead"]
        everything = DynamicSegment("all", predicate=lambda r: True)
        assert "lost-lead" not in {r.id for r in everything.members(people.values())}

    def test_a_record_leaves_when_closed(self) -> None:
        """Disqualifying a lead removes it from the segment at once."""
        lead = Lead(id="l1", emailaddress1="l1@example.com")
        segment = DynamicSegment("open leads")
        assert segment.members([lead]) == (lead,)
        lead.disqualify(LeadStatus.NO_LONGER_INTERESTED)
        assert segment.members([lead]) == ()

    @pytest.mark.parametrize(
        ("fields", "error"),
        [
            ({"name": ""}, InvalidFieldError),
            ({"name": 3}, FieldTypeError),
            ({"name": "s", "predicate": "isinstance"}, FieldTypeError),
        ],
        ids=case_id,
    )
    def test_bad_definition(self, fields: dict[str, Any], error: type[Exception]) -> None:
        """A blank name or a predicate that is not callable raises."""
        with pytest.raises(error):
            DynamicSegment(**fields)

    def test_members_rejects_non_records(self) -> None:
        """members() checks its input like audience()."""
        with pytest.raises(FieldTypeError):
            DynamicSegment("s").members([object()])  # type: ignore[list-item]


class TestStaticList:
    """Static lists keep closed members; sends still check eligibility (D7)."""

    def test_keeps_closed_members(self, people: dict[str, Record]) -> None:
        """Every member found is kept, closed ones included, in list order."""
        ids = ["lost-lead", "inactive-contact", "active-contact", "deleted-contact", "gone"]
        static = StaticList("webinar", ids)
        assert [r.id for r in static.members(people)] == ids[:4]
        assert static.missing(people) == ("gone",)

    def test_ids_kept_once_in_order(self) -> None:
        """Duplicate ids are kept once, first occurrence first."""
        assert StaticList("l", ["b", "a", "b"]).member_ids == ("b", "a")

    @pytest.mark.parametrize(
        ("member", "code"),
        [
            ("inactive-contact", "contact-inactive"),
            ("lost-lead", "lead-disqualified"),
            ("qualified-lead", "lead-qualified"),
            ("inactive-account", "account-inactive"),
        ],
    )
    def test_commercial_send_refuses_closed_members(
        self, people: dict[str, Record], member: str, code: str
    ) -> None:
        """A commercial send to the list refuses each closed member with its state's reason."""
        static = StaticList("list", ["active-contact", member])
        result = audience(static.members(people), MessageKind.COMMERCIAL, at=AT)
        assert [r.id for r in result.recipients] == ["active-contact"]
        (refusal,) = result.refused
        assert refusal.record_id == member
        assert code in refusal.codes

    @pytest.mark.parametrize(
        "kind", [MessageKind.TRANSACTIONAL, MessageKind.MANUAL, MessageKind.WORKFLOW], ids=case_id
    )
    def test_transactional_and_manual_still_reach_closed_members(
        self, people: dict[str, Record], kind: Any
    ) -> None:
        """Closed contacts and leads still get transactional, manual and workflow email."""
        static = StaticList("list", ["inactive-contact", "lost-lead", "qualified-lead"])
        result = audience(static.members(people), kind, at=AT)
        assert tuple(r.id for r in result.recipients) == static.member_ids
        assert result.refused == ()

    @pytest.mark.parametrize(
        "kind",
        [
            MessageKind.TRANSACTIONAL,
            MessageKind.MANUAL,
            MessageKind.WORKFLOW,
            MessageKind.COMMERCIAL,
        ],
        ids=case_id,
    )
    def test_donotemail_blocks_every_email_to_closed_members(self, kind: Any) -> None:
        """D8: donotemail blocks every kind of email, closed member or not."""
        member = reachable(Contact, "inactive", "c1", donotemail=True)
        result = audience(
            StaticList("l", ["c1"]).members({"c1": member}), kind, at=AT, policy=NO_CONSENT_CHECK
        )
        assert result.recipients == ()
        assert "donotemail" in result.refused[0].codes

    @pytest.mark.parametrize(
        ("fields", "error"),
        [
            ({"name": "l", "member_ids": "abc"}, FieldTypeError),
            ({"name": "l", "member_ids": ["a", 1]}, FieldTypeError),
            ({"name": "l", "member_ids": [""]}, FieldTypeError),
            ({"name": " ", "member_ids": []}, InvalidFieldError),
        ],
        ids=case_id,
    )
    def test_bad_definition(self, fields: dict[str, Any], error: type[Exception]) -> None:
        """Ids must be non-empty strings; the name must not be blank."""
        with pytest.raises(error):
            StaticList(**fields)

    def test_members_needs_a_mapping(self, people: dict[str, Record]) -> None:
        """members() takes records by id."""
        with pytest.raises(FieldTypeError, match="records_by_id"):
            StaticList("l", ["a"]).members(list(people.values()))  # type: ignore[arg-type]


# --- data-protection views ---------------------------------------------------------------


def _consenting(
    name: str, kind: type[Record] = Contact, start: str = "active", **fields: Any
) -> Any:
    return build(kind, start, id=name, **fields)


class TestMissingConsent:
    """'Leads Missing Consent' / 'Contacts Missing Consent': active people, no active consent."""

    def test_view(self) -> None:
        """Only open leads and active contacts without a consent active at ``at`` are listed."""
        records = [
            _consenting("with-consent", consents=[marketing()]),
            _consenting("none"),
            _consenting("expired", consents=[marketing(valid_until=AT)]),
            _consenting("cancelled", consents=[marketing().cancel()]),
            _consenting("level-zero", consents=[DataConsent(level=ConsentLevel.NONE)]),
            _consenting("inactive", start="inactive"),
            _consenting("open-lead", Lead, "open/new"),
            _consenting("lost-lead", Lead, "disqualified/lost"),
            _consenting("account", Account, "active"),
            _consenting("deleted", start="deleted"),
        ]
        listed = [r.id for r in missing_consent(records, AT)]
        assert listed == ["none", "expired", "cancelled", "open-lead"]

    def test_naive_at(self) -> None:
        """A naive ``at`` is refused."""
        with pytest.raises(InvalidFieldError):
            missing_consent([], NAIVE)


class TestListsWithoutConsent:
    """Each static list's members who lack an active consent."""

    def test_view(self) -> None:
        """Closed members count; accounts, deleted and anonymized records do not; lists without
        such members are left out."""
        records = {
            r.id: r
            for r in [
                _consenting("ok", consents=[marketing()]),
                _consenting("bare"),
                _consenting("closed-bare", start="inactive"),
                _consenting("lost-lead", Lead, "disqualified/lost"),
                _consenting("account", Account, "active"),
                _consenting("deleted", start="deleted"),
                _consenting("anonymized", anonymized=True),
            ]
        }
        lists = [
            StaticList("fine", ["ok", "account"]),
            StaticList("gaps", ["ok", "bare", "closed-bare", "lost-lead", "deleted", "anonymized"]),
            StaticList("ghosts", ["nobody"]),
        ]
        (gap,) = lists_without_consent(lists, records, AT)
        assert isinstance(gap, ListConsentGap)
        assert gap.list is lists[1]
        assert [r.id for r in gap.members] == ["bare", "closed-bare", "lost-lead"]

    def test_bad_input(self) -> None:
        """Lists must be StaticList values in an iterable; records a mapping; ``at`` aware."""
        with pytest.raises(FieldTypeError):
            lists_without_consent([["a"]], {}, AT)  # type: ignore[list-item]
        with pytest.raises(FieldTypeError):
            lists_without_consent(StaticList("l"), {}, AT)  # type: ignore[arg-type]
        with pytest.raises(FieldTypeError):
            lists_without_consent([StaticList("l", ["a"])], [], AT)  # type: ignore[arg-type]
        with pytest.raises(InvalidFieldError):
            lists_without_consent([], {}, NAIVE)


class TestExpiringConsents:
    """Active consents whose valid_until falls in (at, at + within_days]."""

    def test_window(self) -> None:
        """Soonest first; the window is open at ``at`` and closed at the horizon."""
        soon = marketing(valid_until=AT + DAY, id="soon")
        edge = marketing(valid_until=AT + 30 * DAY, id="edge")
        now = marketing(valid_until=AT, id="now")
        later = marketing(valid_until=AT + 31 * DAY, id="later")
        never = marketing(id="never")
        cancelled = marketing(valid_until=AT + DAY, id="cancelled").cancel()
        expired = DataConsent(
            level=ConsentLevel.MARKETING,
            valid_until=AT + DAY,
            status=ConsentStatus.EXPIRED,
            id="expired",
        )
        a = _consenting("a", consents=[edge, now, later, never])
        b = _consenting("b", Lead, "disqualified/lost", consents=[cancelled, expired, soon])
        deleted = _consenting("d", start="deleted", consents=[marketing(valid_until=AT + DAY)])
        found = expiring_consents([a, b, deleted], AT, 30)
        assert [(e.record.id, e.consent.id) for e in found] == [("b", "soon"), ("a", "edge")]
        assert found[0] == ExpiringConsent(b, soon)
        assert found[0].valid_until == AT + DAY

    def test_zero_days_is_empty(self) -> None:
        """A zero-day window holds nothing."""
        record = _consenting("a", consents=[marketing(valid_until=AT + dt.timedelta(seconds=1))])
        assert expiring_consents([record], AT, 0) == ()
        assert len(expiring_consents([record], AT, 0.5)) == 1

    @pytest.mark.parametrize(
        ("days", "error"),
        [
            (-1, InvalidFieldError),
            (float("nan"), InvalidFieldError),
            (float("inf"), InvalidFieldError),
            (36_501, InvalidFieldError),
            (36_500.5, InvalidFieldError),
            (3_000_000, InvalidFieldError),
            (10**400, InvalidFieldError),
            (True, FieldTypeError),
            (False, FieldTypeError),
            (None, FieldTypeError),
            ("30", FieldTypeError),
            (dt.timedelta(days=3), FieldTypeError),
        ],
        ids=case_id,
    )
    def test_bad_window(self, days: Any, error: type[Exception]) -> None:
        """within_days is a number from 0 to 36,500; anything else raises a typed error."""
        with pytest.raises(error, match=r"^'within_days' must be"):
            expiring_consents([], AT, days)

    def test_longest_window_near_the_end_of_time(self) -> None:
        """A 36,500-day window that runs past datetime.max reaches every later expiry."""
        at = dt.datetime(9950, 1, 1, tzinfo=dt.UTC)
        last = dt.datetime.max.replace(tzinfo=dt.UTC)
        record = _consenting("a", consents=[marketing(valid_until=last, id="last")])
        (found,) = expiring_consents([record], at, 36_500)
        assert found.valid_until == last
        assert expiring_consents([record], AT, 36_500) == ()

    def test_naive_at(self) -> None:
        """A naive ``at`` is refused."""
        with pytest.raises(InvalidFieldError):
            expiring_consents([], NAIVE, 30)


# --- boundaries ----------------------------------------------------------------------------


class TestImports:
    """lifecycle.audiences is pure: importing it loads no pandas."""

    def test_no_pandas(self) -> None:
        """A subprocess that imports lifecycle.audiences has no pandas in sys.modules."""
        code = (
            "import json, sys, lifecycle.audiences\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'pandas')))\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == []


def test_decisions_are_decisions() -> None:
    """Refusals are eligibility Decisions, explained the same way."""
    result = audience([Contact(id="c")], MessageKind.MANUAL, at=AT)
    (refusal,) = result.refused
    assert isinstance(refusal, Decision)
    assert refusal.explain().startswith("manual to c: blocked (no-email-address")
