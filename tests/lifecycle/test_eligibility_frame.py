"""The columnar path decides exactly as ``can_send`` does, row for row, reason for reason."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecycle import (
    DEFAULT_POLICY,
    Account,
    ConsentLevel,
    ConsentModel,
    ConsentStatus,
    ConsentValue,
    Contact,
    ContactPointConsent,
    ContactPointLedger,
    ContactState,
    ContactStatus,
    DataConsent,
    Enforcement,
    FieldTypeError,
    InvalidFieldError,
    InvalidStatusError,
    Lead,
    LeadState,
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
from lifecycle.eligibility import CLOSED_RECORD_BLOCKS, DEFAULT_KIND_PURPOSES, DEFAULT_PURPOSES
from lifecycle.eligibility_frame import (
    CONSENT_COLUMNS,
    NO_EXPIRY,
    REASON_BITS,
    consent_columns,
    decide_frame,
    eligibility_frame,
    reason_mask,
)
from tests.strategies import NAIVE, STARTS

AT = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
"""The moment the strategies centre every date on, so decisions hit the boundaries."""

_US = dt.timedelta(microseconds=1)
_DAY = dt.timedelta(days=1)
NEAR = [-400 * _DAY, -_DAY, -_US, dt.timedelta(0), _US, _DAY, 400 * _DAY]
"""Offsets from AT: consents expiring just before, at and just after a decision."""

EMAILS = [
    None,
    "ada@example.com",
    " Ada@Example.COM ",
    "grace@example.org",
    "alan@example.net",
    "ALAN@EXAMPLE.NET",
]
"""Addresses that collide after normalisation (strip + casefold), and none."""
ADDRESSES = ["ada@example.com", "grace@example.org", "ALAN@example.net", "nobody@example.com"]
"""What suppression lists and contact-point ledgers hold."""
ACCOUNTS = [None, "acct-a", "acct-b"]
PURPOSES = ["commercial", "transactional", "tracking", "news"]
TOPICS = [None, "offers", " Offers "]
RARELY = st.sampled_from([False, False, False, True])
"""A flag that is mostly off, so records that nothing blocks come up often."""
TIMEZONES = [dt.UTC, dt.timezone(dt.timedelta(hours=2)), dt.timezone(dt.timedelta(hours=-5))]


# --- strategies ---------------------------------------------------------------------------


def moments(*, wide: bool = True) -> st.SearchStrategy[dt.datetime]:
    """Aware datetimes near AT (±1 µs, ±1 day, ±400 days) in several zones; ``wide`` adds
    any date from 1900 to 2200."""
    near = st.builds(
        lambda offset, tz: (AT + offset).astimezone(tz),
        st.sampled_from(NEAR),
        st.sampled_from(TIMEZONES),
    )
    if not wide:
        return near
    anywhere = st.datetimes(
        min_value=dt.datetime(1900, 1, 1),
        max_value=dt.datetime(2200, 1, 1),
        timezones=st.sampled_from(TIMEZONES),
    )
    return st.one_of(near, anywhere)


def data_consents(*, wide: bool = True) -> st.SearchStrategy[DataConsent]:
    """Data consents of any level and status, expiring around AT or never."""
    return st.builds(
        DataConsent,
        level=st.sampled_from(list(ConsentLevel)),
        status=st.sampled_from(list(ConsentStatus)),
        valid_until=st.none() | moments(wide=wide),
        explicit=st.booleans(),
    )


@st.composite
def records(draw: st.DrawFn, *, wide: bool = True) -> Record:
    """A lead, contact or account in any state (deleted included), with random channels,
    preference flags, GDPR restriction, anonymization and consents."""
    kind: type[Record] = draw(st.sampled_from([Lead, Contact, Account]))
    state, status = STARTS[kind][draw(st.sampled_from(sorted(STARTS[kind])))]
    fields: dict[str, Any] = {
        "emailaddress1": draw(st.sampled_from(EMAILS)),
        "telephone1": draw(st.sampled_from([None, "", "+44 20 7946 0000"])),
        "address1_line1": draw(st.sampled_from([None, "", "1 Analytical Row"])),
        "anonymized": draw(RARELY),
        "consents": draw(st.lists(data_consents(wide=wide), max_size=4)),
    }
    for flag in ("donotemail", "donotbulkemail", "donotsendmm", "donotphone", "donotpostalmail"):
        fields[flag] = draw(RARELY)
    if kind is not Account:
        fields["mobilephone"] = draw(st.sampled_from([None, "", "+44 7700 900000"]))
        fields["consent_restricted"] = draw(RARELY)
    return kind(state=state, status=status, **fields)  # type: ignore[call-arg]


@st.composite
def policies(draw: st.DrawFn, *, engine: bool = False) -> Policy:
    """Any policy: consent on or off, either model, journey minimum, flag checks, custom
    minimum levels, purposes, kind purposes and closed-record kinds. ``engine`` favours
    what the marketing engine checks: contact-point consent and suppressions."""
    email_kinds = [k for k in MessageKind if k.via_marketing_engine]
    return Policy(
        consent_enforcement=draw(st.just(True) if engine else st.booleans()),
        consent_model=draw(
            st.just(ConsentModel.CONTACT_POINTS) if engine else st.sampled_from(list(ConsentModel))
        ),
        journey_minimum=draw(st.none() | st.sampled_from(list(ConsentLevel))),
        check_contact_flags=draw(st.booleans()),
        honour_suppressions=draw(st.just(True) if engine else st.booleans()),
        minimum_levels=draw(
            st.one_of(
                st.just(DEFAULT_POLICY.minimum_levels),
                st.dictionaries(
                    st.sampled_from(list(MessageKind)), st.sampled_from(list(ConsentLevel))
                ),
            )
        ),
        purposes=draw(
            st.one_of(
                st.just(DEFAULT_PURPOSES),
                st.dictionaries(st.sampled_from(PURPOSES), st.sampled_from(list(Enforcement))),
            )
        ),
        kind_purposes=draw(
            st.one_of(
                st.just(DEFAULT_KIND_PURPOSES),
                st.dictionaries(st.sampled_from(email_kinds), st.sampled_from(PURPOSES)),
            )
        ),
        closed_record_blocks=draw(
            st.one_of(
                st.just(CLOSED_RECORD_BLOCKS), st.frozensets(st.sampled_from(list(MessageKind)))
            )
        ),
    )


@st.composite
def suppression_entries(draw: st.DrawFn) -> Suppression:
    """A suppression of one of ADDRESSES, starting near AT, for ever or for a while; sending-
    account opt-outs name an account."""
    reason = draw(st.sampled_from(list(SuppressionReason)))
    since = draw(st.sampled_from(NEAR[:4]).map(AT.__add__))
    until = draw(st.none() | st.sampled_from([_US, _DAY, 400 * _DAY]).map(since.__add__))
    account = None
    if reason is SuppressionReason.SENDING_ACCOUNT_OPT_OUT:
        account = draw(st.sampled_from(ACCOUNTS[1:]))
    return Suppression(
        address=draw(st.sampled_from(ADDRESSES)),
        reason=reason,
        since=since,
        until=until,
        sending_account=account,
    )


suppression_lists = st.none() | st.lists(suppression_entries(), max_size=8).map(
    lambda entries: SuppressionList(tuple(entries))
)
"""No list, or a list whose entries may overlap on one address, in any insertion order."""

contact_point_consents = st.builds(
    lambda point, value, at, purpose, topic: ContactPointConsent(
        contact_point=point, value=value, at=at, purpose=purpose, topic=topic
    ),
    st.sampled_from(ADDRESSES),
    st.sampled_from(list(ConsentValue)),
    moments(wide=False),
    st.sampled_from(["commercial", *PURPOSES]),
    st.sampled_from([None, *TOPICS]),
)
ledgers = st.none() | st.lists(contact_point_consents, max_size=10).map(
    lambda consents: ContactPointLedger(tuple(consents))
)


@st.composite
def sends(draw: st.DrawFn, *, wide: bool = True, engine: bool = False) -> dict[str, Any]:
    """Every argument of one send besides the records: kind, at, policy, suppressions, ledger,
    topic and sending account. ``engine`` sends marketing-engine kinds near AT with a
    suppression list and a ledger, so their rules fire often."""
    kinds = [k for k in MessageKind if k.via_marketing_engine or not engine]
    return {
        "kind": draw(st.sampled_from(kinds)),
        "at": draw(st.just(AT) if engine else st.just(AT) | moments(wide=wide)),
        "policy": draw(policies(engine=engine)),
        "suppressions": draw(suppression_lists.filter(bool) if engine else suppression_lists),
        "contact_points": draw(ledgers.filter(bool) if engine else ledgers),
        "topic": draw(st.sampled_from(TOPICS)),
        "sending_account": draw(st.sampled_from(ACCOUNTS)),
    }


def expected(records: list[Record], send: dict[str, Any]) -> list[Any]:
    """``can_send`` for each record: the oracle."""
    kind, rest = send["kind"], {k: v for k, v in send.items() if k != "kind"}
    return [can_send(r, kind, **rest) for r in records]


def assert_same(result: pd.DataFrame, decisions: list[Any]) -> None:
    """Row i has decision i's allowed flag, codes (in order) and reason bits."""
    assert list(result["allowed"]) == [d.allowed for d in decisions]
    assert list(result["reasons"]) == [d.codes for d in decisions]
    assert list(result["reason_mask"]) == [
        reason_mask(*(r.code for r in d.reasons)) for d in decisions
    ]


# --- the property --------------------------------------------------------------------------


class TestSameAsCanSend:
    """decide_frame(eligibility_frame(records)) == [can_send(record) ...]."""

    @settings(max_examples=300)
    @given(records=st.lists(records(), max_size=25), send=sends())
    def test_every_row_matches(self, records, send):
        """Random records, kind, moment, policy, suppressions and ledger: same allowed flag and
        the same reason codes in the same order on every row."""
        result = decide_frame(eligibility_frame(records), **send)
        assert_same(result, expected(records, send))
        assert list(result["id"]) == [r.id for r in records]

    @given(records=st.lists(records(), max_size=25), send=sends(engine=True))
    def test_marketing_engine_rules_match(self, records, send):
        """Suppressions (several per address, in any order, per sending account) and contact-point
        consent under every enforcement model: same decisions as can_send."""
        assert_same(decide_frame(eligibility_frame(records), **send), expected(records, send))

    @given(records=st.lists(records(wide=False), max_size=25), send=sends(wide=False))
    def test_a_frame_built_from_an_export_matches(self, records, send):
        """A frame as a data team would build it (record_type and statecode as plain values,
        no deleted/email_key columns, consent columns as float epoch seconds or
        datetime64[ns]) decides the same."""
        frame = eligibility_frame(records)
        export = frame.drop(columns=["deleted", "email_key", "id"]).assign(
            record_type=frame["record_type"].astype(str),
            statecode=frame["statecode"].astype("float64"),
        )
        as_seconds = export.assign(**{c: _epoch_seconds(frame[c]) for c in CONSENT_COLUMNS})
        as_ns = export.assign(**{c: _nanoseconds(frame[c]) for c in CONSENT_COLUMNS})
        decisions = expected(records, send)
        assert_same(decide_frame(as_seconds, **send), decisions)
        assert_same(decide_frame(as_ns, **send), decisions)

    @given(records=st.lists(records(), max_size=25))
    def test_consent_columns_from_a_consent_table(self, records):
        """consent_columns over a table of the records' consents, joined on id, gives the
        very columns eligibility_frame computes."""
        frame = eligibility_frame(records)
        table = pd.DataFrame(
            {
                "record_id": [r.id for r in records for _ in r.consents],
                "level": [int(c.level) for r in records for c in r.consents],
                "status": [c.status.value for r in records for c in r.consents],
                "valid_until": pd.Series(
                    [c.valid_until for r in records for c in r.consents], dtype=object
                ),
            }
        )
        table["valid_until"] = pd.to_datetime(table["valid_until"], utc=True).dt.as_unit("us")
        joined = frame[["id"]].join(consent_columns(table), on="id")
        for column in CONSENT_COLUMNS:
            assert joined[column].dtype == frame[column].dtype
            pd.testing.assert_series_equal(joined[column], frame[column], check_names=False)


def _epoch_seconds(column: pd.Series) -> pd.Series:
    ints = column.to_numpy(dtype="datetime64[us]").view(np.int64)
    seconds = ints / 1e6
    seconds[column.isna().to_numpy()] = np.nan
    seconds[column.to_numpy() == NO_EXPIRY] = np.inf
    return pd.Series(seconds, index=column.index)


def _nanoseconds(column: pd.Series) -> pd.Series:
    limit = pd.Timestamp.max.tz_localize("UTC")
    clipped = column.where(column.isna() | (column < limit), limit)
    return clipped.dt.as_unit("ns")


# --- frames from records ------------------------------------------------------------------


class TestEligibilityFrame:
    """eligibility_frame writes the documented columns."""

    def test_columns_and_types(self):
        """One row per record; categorical record_type, nullable statecode, UTC consent columns."""
        frame = eligibility_frame([Lead(id="l1"), Contact(id="c1"), Account(id="a1")])
        assert list(frame["record_type"]) == ["lead", "contact", "account"]
        assert isinstance(frame["record_type"].dtype, pd.CategoricalDtype)
        assert str(frame["statecode"].dtype) == "Int8"
        for column in CONSENT_COLUMNS:
            assert str(frame[column].dtype) == "datetime64[us, UTC]"
        for flag in ("deleted", "anonymized", "consent_restricted", "donotemail"):
            assert frame[flag].dtype == np.bool_

    def test_deleted_record_has_no_statecode(self):
        """A deleted record's statecode is missing and its deleted flag set."""
        lead = Lead(id="l1")
        lead.delete()
        frame = eligibility_frame([lead])
        assert frame["statecode"].isna().all()
        assert frame["deleted"].all()

    def test_consent_until_is_cumulative_over_levels(self):
        """consent_until_k is the latest expiry among Active consents of level ≥ k; no expiry is
        NO_EXPIRY; inactive consents and absent levels leave NaT."""
        later = AT + 30 * _DAY
        record = Contact(
            consents=[
                DataConsent(level=ConsentLevel.MARKETING, valid_until=AT),
                DataConsent(level=ConsentLevel.TRANSACTIONAL, valid_until=None),
                DataConsent(level=ConsentLevel.SUBSCRIPTION, valid_until=later),
                DataConsent(level=ConsentLevel.PROFILING, status=ConsentStatus.CANCELLED),
            ]
        )
        row = eligibility_frame([record]).iloc[0]
        assert row["consent_until_1"] == NO_EXPIRY
        assert row["consent_until_2"] == NO_EXPIRY
        assert row["consent_until_3"] == pd.Timestamp(later)
        assert row["consent_until_4"] == pd.Timestamp(AT)
        assert pd.isna(row["consent_until_5"])

    def test_email_key_is_normalised(self):
        """email_key strips and casefolds, as suppression lists and ledgers key addresses."""
        frame = eligibility_frame([Contact(emailaddress1=" Ada@Example.COM "), Contact()])
        assert list(frame["email_key"]) == ["ada@example.com", None]

    def test_rejects_what_is_not_a_record(self):
        """Anything but Lead/Contact/Account raises FieldTypeError."""
        with pytest.raises(FieldTypeError, match="'records'"):
            eligibility_frame([Lead(), "not a record"])  # type: ignore[list-item]
        with pytest.raises(FieldTypeError):
            eligibility_frame("lead")  # type: ignore[arg-type]


# --- decide_frame ---------------------------------------------------------------------------


def _suppressed(*entries: tuple[str, SuppressionReason]) -> SuppressionList:
    return SuppressionList(
        tuple(Suppression(address=a, reason=r, since=AT - _DAY) for a, r in entries)
    )


class TestDecideFrame:
    """decide_frame's columns, compact reasons and typed errors."""

    def test_result_columns_and_index(self):
        """The result keeps the frame's index and has id, allowed, reason_mask and reasons."""
        frame = eligibility_frame([Contact(id="c1"), Contact(id="c2", emailaddress1="a@b.co")])
        frame.index = pd.Index([10, 20])
        result = decide_frame(frame, MessageKind.MANUAL, at=AT)
        assert list(result.columns) == ["id", "allowed", "reason_mask", "reasons"]
        assert list(result.index) == [10, 20]
        assert list(result["allowed"]) == [False, True]
        assert result["reason_mask"].iloc[0] == REASON_BITS[ReasonCode.NO_EMAIL_ADDRESS]
        assert result["reasons"].iloc[0] == ("no-email-address",)
        assert result["reasons"].iloc[1] == ()

    def test_rows_with_the_same_reasons_share_one_tuple(self):
        """reasons are decoded per distinct mask: equal rows hold the very same tuple object."""
        frame = eligibility_frame([Contact() for _ in range(5)])
        reasons = decide_frame(frame, MessageKind.COMMERCIAL, at=AT)["reasons"]
        assert len({id(r) for r in reasons}) == 1

    def test_empty_frame(self):
        """No rows, no decisions."""
        result = decide_frame(eligibility_frame([]), MessageKind.COMMERCIAL, at=AT)
        assert len(result) == 0
        assert list(result.columns) == ["id", "allowed", "reason_mask", "reasons"]

    @pytest.mark.parametrize(
        ("entries", "codes"),
        [
            (
                [SuppressionReason.HARD_BOUNCE, SuppressionReason.SPAM_COMPLAINT],
                ("suppressed-hard-bounce", "suppressed-spam-complaint"),
            ),
            (
                [SuppressionReason.SPAM_COMPLAINT, SuppressionReason.HARD_BOUNCE],
                ("suppressed-spam-complaint", "suppressed-hard-bounce"),
            ),
        ],
    )
    def test_suppression_reasons_keep_the_list_order(self, entries, codes):
        """An address suppressed twice lists its reasons in the list's order, as can_send does."""
        record = Contact(emailaddress1="Ada@example.com")
        suppressions = _suppressed(*(("ada@example.com", e) for e in entries))
        policy = Policy(consent_enforcement=False)
        result = decide_frame(
            eligibility_frame([record]),
            MessageKind.TRANSACTIONAL,
            at=AT,
            policy=policy,
            suppressions=suppressions,
        )
        decision = can_send(
            record, MessageKind.TRANSACTIONAL, at=AT, policy=policy, suppressions=suppressions
        )
        assert result["reasons"].iloc[0] == codes == decision.codes

    def test_reason_mask_selects_rows(self):
        """reason_mask(code) picks the rows refused for that reason."""
        frame = eligibility_frame(
            [Contact(emailaddress1="a@b.co", donotemail=True), Contact(emailaddress1="c@d.co")]
        )
        result = decide_frame(frame, MessageKind.WORKFLOW, at=AT)
        hit = (result["reason_mask"] & reason_mask(ReasonCode.DONOTEMAIL)) != 0
        assert list(hit) == [True, False]

    def test_reason_bits_follow_the_enum(self):
        """Bit i is the i-th ReasonCode."""
        assert [REASON_BITS[c] for c in ReasonCode] == [1 << i for i in range(len(ReasonCode))]
        with pytest.raises(FieldTypeError):
            reason_mask("donotemail")  # type: ignore[arg-type]

    def test_missing_columns_are_all_named(self):
        """A frame without the columns the send reads: one error naming every missing one."""
        frame = pd.DataFrame({"record_type": ["contact"], "statecode": [0]})
        with pytest.raises(InvalidFieldError) as info:
            decide_frame(frame, MessageKind.COMMERCIAL, at=AT)
        assert info.value.got == [
            "emailaddress1",
            "donotemail",
            "donotbulkemail",
            "consent_until_4",
        ]

    def test_minimal_frame_for_a_phone_campaign(self):
        """Only what phone sends read is required; absent optional columns take their defaults."""
        frame = pd.DataFrame(
            {
                "record_type": ["lead", "account", "contact"],
                "statecode": [2, 0, None],
                "telephone1": ["+1 555 0100", None, "+1 555 0101"],
                "donotphone": [False, False, True],
            }
        )
        result = decide_frame(frame, MessageKind.PHONE, at=AT)
        assert list(result["reasons"]) == [
            ("lead-disqualified",),
            ("no-phone-number",),
            ("record-deleted", "donotphone"),
        ]
        assert "id" not in result.columns

    def test_unknown_record_type(self):
        """record_type outside lead/contact/account raises InvalidFieldError."""
        frame = pd.DataFrame(
            {
                "record_type": ["lead", "opportunity"],
                "statecode": [0, 0],
                "telephone1": ["+1 555 0100", None],
                "donotphone": [False, False],
            }
        )
        with pytest.raises(InvalidFieldError, match="record_type") as info:
            decide_frame(frame, MessageKind.PHONE, at=AT)
        assert info.value.got == ["opportunity"]

    def test_statecode_must_exist_for_the_type(self):
        """A contact cannot be in statecode 2; the row is named."""
        frame = pd.DataFrame(
            {"record_type": ["lead", "contact"], "statecode": [2, 2], "address1_line1": ["x", "y"]}
        )
        frame["donotpostalmail"] = False
        with pytest.raises(InvalidStatusError, match="row 1"):
            decide_frame(frame, MessageKind.POSTAL, at=AT)

    def test_naive_consent_column_is_refused(self):
        """consent_until_k must be timezone-aware (or float epoch seconds)."""
        frame = eligibility_frame([Contact(emailaddress1="a@b.co")])
        frame["consent_until_4"] = pd.Series([dt.datetime(2030, 1, 1)])
        with pytest.raises(InvalidFieldError, match="consent_until_4"):
            decide_frame(frame, MessageKind.COMMERCIAL, at=AT)

    @pytest.mark.parametrize(
        ("arguments", "error"),
        [
            ({"frame": [1]}, FieldTypeError),
            ({"kind": "commercial"}, FieldTypeError),
            ({"policy": {}}, FieldTypeError),
            ({"at": NAIVE}, InvalidFieldError),
            ({"at": "2026-01-01"}, FieldTypeError),
            ({"suppressions": ["a@b.co"]}, FieldTypeError),
            ({"contact_points": {}}, FieldTypeError),
        ],
        ids=["frame", "kind", "policy", "naive-at", "str-at", "suppressions", "ledger"],
    )
    def test_bad_arguments(self, arguments, error):
        """Each bad argument raises its typed error before anything is computed."""
        call: dict[str, Any] = {
            "frame": eligibility_frame([Contact()]),
            "kind": MessageKind.COMMERCIAL,
            "at": AT,
        }
        call.update(arguments)
        frame, kind = call.pop("frame"), call.pop("kind")
        with pytest.raises(error):
            decide_frame(frame, kind, **call)


_NO_CONSENT = Policy(consent_enforcement=False)


class TestConsentBoundaries:
    """A consent counts while ``valid_until > at``: expiring at ``at`` is already expired."""

    @pytest.mark.parametrize(
        ("offset", "allowed"),
        [(-_US, False), (dt.timedelta(0), False), (_US, True), (None, True)],
        ids=["expired", "expires-at-at", "one-microsecond-left", "no-expiry"],
    )
    @pytest.mark.parametrize("column_type", ["datetime64[us]", "datetime64[ns]", "epoch-seconds"])
    def test_marketing_consent_around_at(self, offset, allowed, column_type):
        """Every column type agrees with can_send at the boundary, to the microsecond."""
        at = (AT + 7 * _US).astimezone(dt.timezone(dt.timedelta(hours=2)))
        until = None if offset is None else at + offset
        record = Contact(emailaddress1="a@b.co", consents=[DataConsent(level=4, valid_until=until)])
        frame = eligibility_frame([record])
        if column_type == "epoch-seconds":
            frame["consent_until_4"] = _epoch_seconds(frame["consent_until_4"])
        elif column_type == "datetime64[ns]":
            frame["consent_until_4"] = _nanoseconds(frame["consent_until_4"])
        result = decide_frame(frame, MessageKind.COMMERCIAL, at=at)
        assert can_send(record, MessageKind.COMMERCIAL, at=at).allowed is allowed
        assert list(result["allowed"]) == [allowed]
        if not allowed:
            assert result["reasons"].iloc[0] == ("consent-below-marketing",)

    def test_no_expiry_beats_the_latest_moment(self):
        """NO_EXPIRY still counts at the last representable moment."""
        record = Contact(emailaddress1="a@b.co", consents=[DataConsent(level=5)])
        at = dt.datetime.max.replace(tzinfo=dt.UTC)
        result = decide_frame(eligibility_frame([record]), MessageKind.COMMERCIAL, at=at)
        assert result["allowed"].all()
        assert can_send(record, MessageKind.COMMERCIAL, at=at).allowed


class TestHandBuiltFrames:
    """What only a hand-built frame can say, decided the safe way."""

    def test_deleted_flag_wins_over_statecode(self):
        """deleted=True with a closed statecode: deleted, not also disqualified."""
        frame = pd.DataFrame(
            {
                "record_type": ["lead", "contact"],
                "statecode": [2, 1],
                "deleted": [True, False],
                "address1_line1": ["1 Row", "2 Row"],
                "donotpostalmail": [False, False],
            }
        )
        result = decide_frame(frame, MessageKind.POSTAL, at=AT)
        assert list(result["reasons"]) == [("record-deleted",), ("contact-inactive",)]

    def test_gdpr_restrict_is_honoured_on_any_row(self):
        """consent_restricted blocks whatever row carries it (records: leads and contacts)."""
        frame = pd.DataFrame(
            {
                "record_type": ["account"],
                "statecode": [0],
                "emailaddress1": ["a@b.co"],
                "donotemail": [False],
                "consent_restricted": [True],
            }
        )
        result = decide_frame(frame, MessageKind.MANUAL, at=AT)
        assert list(result["reasons"]) == [("gdpr-restrict",)]

    def test_missing_flags_and_blank_strings(self):
        """Missing flags count as false; empty strings as no address; email_key is derived."""
        frame = pd.DataFrame(
            {
                "record_type": ["contact", "contact", "lead"],
                "statecode": [0, 0, 0],
                "emailaddress1": ["", None, " Ada@Example.com "],
                "donotemail": pd.array([None, True, False], dtype="boolean"),
            }
        )
        suppressions = _suppressed(("ada@example.com", SuppressionReason.HARD_BOUNCE))
        result = decide_frame(
            frame, MessageKind.TRANSACTIONAL, at=AT, policy=_NO_CONSENT, suppressions=suppressions
        )
        assert list(result["reasons"]) == [
            ("no-email-address",),
            ("no-email-address", "donotemail"),
            ("suppressed-hard-bounce",),
        ]


class TestClosedRecordsOnTheFrame:
    """D7 on the columnar path, spelled out for the common cases."""

    def test_commercial_refuses_closed_records_transactional_reaches_them(self):
        """Inactive contacts and disqualified leads are refused commercial email and still get
        transactional and manual email."""
        inactive = Contact(
            emailaddress1="a@b.co", state=ContactState.INACTIVE, status=ContactStatus.INACTIVE
        )
        lost = Lead(emailaddress1="c@d.co", state=LeadState.DISQUALIFIED, status=LeadStatus.LOST)
        frame = eligibility_frame([inactive, lost])
        commercial = decide_frame(frame, MessageKind.COMMERCIAL, at=AT, policy=_NO_CONSENT)
        assert list(commercial["reasons"]) == [("contact-inactive",), ("lead-disqualified",)]
        for kind in (MessageKind.TRANSACTIONAL, MessageKind.MANUAL, MessageKind.WORKFLOW):
            assert decide_frame(frame, kind, at=AT, policy=_NO_CONSENT)["allowed"].all()
