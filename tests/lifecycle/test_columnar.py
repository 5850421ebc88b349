"""The columnar path decides exactly as ``can_send`` does, row for row, reason for reason."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
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
    ContactState,
    ContactStatus,
    DataConsent,
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
from lifecycle.columnar import (
    ANY_CONSENT_COLUMN,
    CONSENT_COLUMNS,
    HAS_CONSENTS_COLUMN,
    NO_EXPIRY,
    REASON_BITS,
    consent_columns,
    decide_frame,
    eligibility_frame,
    reason_mask,
)
from lifecycle.contactpoints import Enforcement
from lifecycle.eligibility import (
    CLOSED_RECORD_BLOCKS,
    DEFAULT_KIND_PURPOSES,
    DEFAULT_PURPOSES,
    ConsentModel,
)
from lifecycle.errors import FieldTypeError
from tests.strategies import NAIVE, STARTS

AT = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
"""The moment the strategies centre every date on, so decisions hit the boundaries."""
UNTIL_COLUMNS = (ANY_CONSENT_COLUMN, *CONSENT_COLUMNS)
"""``consent_until_0`` … ``consent_until_5``: every column holding consent expiries."""

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
    """Any policy: consent levels enforced or not, either model, journey minimum, flag
    checks, custom minimum levels, purposes, kind purposes and closed-record kinds.
    ``engine`` favours what the marketing engine checks: suppressions honoured."""
    email_kinds = [k for k in MessageKind if k.via_marketing_engine]
    return Policy(
        enforce_consent_levels=draw(st.booleans()),
        consent_model=draw(st.sampled_from(list(ConsentModel))),
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


def _suppression_lists(*, min_size: int = 0) -> st.SearchStrategy[SuppressionList]:
    return st.lists(suppression_entries(), min_size=min_size, max_size=8).map(
        lambda entries: SuppressionList(tuple(entries))
    )


suppression_lists = st.none() | _suppression_lists()
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


def _ledgers(*, min_size: int = 0) -> st.SearchStrategy[ContactPointLedger]:
    return st.lists(contact_point_consents, min_size=min_size, max_size=10).map(
        lambda consents: ContactPointLedger(tuple(consents))
    )


ledgers = st.none() | _ledgers()


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
        # Drawn non-empty rather than filtered out: heavy filtering fails Hypothesis's health
        # check now and then.
        "suppressions": draw(_suppression_lists(min_size=1) if engine else suppression_lists),
        "contact_points": draw(_ledgers(min_size=1) if engine else ledgers),
        "topic": draw(st.sampled_from(TOPICS)),
        "sending_account": draw(st.sampled_from(ACCOUNTS)),
    }


def levels_enforced(send: dict[str, Any]) -> dict[str, Any]:
    """``send`` with consent levels enforced, so D11 minimums and GDPR Restrict from lapsed
    consents apply."""
    policy = attrs.evolve(
        send["policy"], enforce_consent_levels=True, consent_model=ConsentModel.LEVELS
    )
    return {**send, "policy": policy}


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
    def test_every_row_matches(self, records: list[Record], send: dict[str, Any]) -> None:
        """Random records, kind, moment, policy, suppressions and ledger: same allowed flag and
        the same reason codes in the same order on every row."""
        result = decide_frame(eligibility_frame(records), **send)
        assert_same(result, expected(records, send))
        assert list(result["id"]) == [r.id for r in records]

    @pytest.mark.parametrize(
        "policy", [Policy(), Policy.data_protection()], ids=["default", "data-protection"]
    )
    @settings(max_examples=150)
    @given(records=st.lists(records(), max_size=25), send=sends())
    def test_the_default_and_the_preset_match(
        self, policy: Policy, records: list[Record], send: dict[str, Any]
    ) -> None:
        """Under the default policy and under the data-protection preset exactly, with
        random records, kinds, moments, suppressions and ledgers: the same decisions."""
        send = {**send, "policy": policy}
        assert_same(decide_frame(eligibility_frame(records), **send), expected(records, send))

    @given(records=st.lists(records(), max_size=25), send=sends(engine=True))
    def test_marketing_engine_rules_match(
        self, records: list[Record], send: dict[str, Any]
    ) -> None:
        """Suppressions (several per address, in any order, per sending account) and contact-point
        consent under every enforcement model: same decisions as can_send."""
        assert_same(decide_frame(eligibility_frame(records), **send), expected(records, send))

    @given(
        records=st.lists(records(wide=False), max_size=25),
        send=sends(wide=False).map(levels_enforced),
    )
    def test_consent_level_rules_match(self, records: list[Record], send: dict[str, Any]) -> None:
        """Consent levels enforced, consents expiring around ``at``: the D11 minimums (phone and
        postal included) and GDPR Restrict when every consent is inactive decide the same."""
        assert_same(decide_frame(eligibility_frame(records), **send), expected(records, send))

    @given(records=st.lists(records(wide=False), max_size=25), send=sends(wide=False))
    def test_a_frame_built_from_an_export_matches(
        self, records: list[Record], send: dict[str, Any]
    ) -> None:
        """A frame as a data team would build it (record_type and statecode as plain values,
        no deleted/email_key columns, consent_until_0..5 as float epoch seconds or
        datetime64[ns]) decides the same."""
        frame = eligibility_frame(records)
        export = frame.drop(columns=["deleted", "email_key", "id"]).assign(
            record_type=frame["record_type"].astype(str),
            statecode=frame["statecode"].astype("float64"),
        )
        as_seconds = export.assign(**{c: _epoch_seconds(frame[c]) for c in UNTIL_COLUMNS})
        as_ns = export.assign(**{c: _nanoseconds(frame[c]) for c in UNTIL_COLUMNS})
        decisions = expected(records, send)
        assert_same(decide_frame(as_seconds, **send), decisions)
        assert_same(decide_frame(as_ns, **send), decisions)

    @given(records=st.lists(records(), max_size=25))
    def test_consent_columns_from_a_consent_table(self, records: list[Record]) -> None:
        """consent_columns over a table of the records' consents, joined on id, gives the
        very consent_until_0..5 columns eligibility_frame computes, and has_consents for the
        records it lists (the others are left out of the table: no consents)."""
        frame = eligibility_frame(records)
        table = pd.DataFrame(
            {
                "record_id": pd.Series([r.id for r in records for _ in r.consents], dtype=object),
                "level": [int(c.level) for r in records for c in r.consents],
                "status": [c.status.value for r in records for c in r.consents],
                "valid_until": pd.Series(
                    [c.valid_until for r in records for c in r.consents], dtype=object
                ),
            }
        )
        table["valid_until"] = pd.to_datetime(table["valid_until"], utc=True).dt.as_unit("us")
        columns = consent_columns(table)
        assert list(columns.columns) == [*UNTIL_COLUMNS, HAS_CONSENTS_COLUMN]
        assert columns[HAS_CONSENTS_COLUMN].dtype == np.bool_
        assert columns[HAS_CONSENTS_COLUMN].all()
        joined = frame[["id"]].join(columns, on="id")
        for column in UNTIL_COLUMNS:
            assert joined[column].dtype == frame[column].dtype
            pd.testing.assert_series_equal(joined[column], frame[column], check_names=False)
        assert list(joined[HAS_CONSENTS_COLUMN].notna()) == list(frame[HAS_CONSENTS_COLUMN])


def _epoch_seconds(column: pd.Series) -> pd.Series:
    ints = column.to_numpy(dtype="datetime64[us]").view(np.int64)
    seconds = ints / 1e6
    seconds[column.isna().to_numpy()] = np.nan
    seconds[column.to_numpy() == NO_EXPIRY] = np.inf
    result: pd.Series = pd.Series(seconds, index=column.index)
    return result


def _nanoseconds(column: pd.Series) -> pd.Series:
    limit = pd.Timestamp.max.tz_localize("UTC")
    clipped = column.where(column.isna() | (column < limit), limit)
    result: pd.Series = clipped.dt.as_unit("ns")
    return result


def _as_column_type(frame: pd.DataFrame, column_type: str) -> pd.DataFrame:
    """``frame`` with its consent_until_0..5 columns as ``column_type``."""
    if column_type == "epoch-seconds":
        return frame.assign(**{c: _epoch_seconds(frame[c]) for c in UNTIL_COLUMNS})
    if column_type == "datetime64[ns]":
        return frame.assign(**{c: _nanoseconds(frame[c]) for c in UNTIL_COLUMNS})
    assert column_type == "datetime64[us]"
    return frame


# --- frames from records ------------------------------------------------------------------


class TestEligibilityFrame:
    """eligibility_frame writes the documented columns."""

    def test_columns_and_types(self) -> None:
        """One row per record; categorical record_type, nullable statecode, UTC consent columns."""
        frame = eligibility_frame([Lead(id="l1"), Contact(id="c1"), Account(id="a1")])
        assert list(frame["record_type"]) == ["lead", "contact", "account"]
        assert isinstance(frame["record_type"].dtype, pd.CategoricalDtype)
        assert str(frame["statecode"].dtype) == "Int8"
        for column in ("consent_until_0", *CONSENT_COLUMNS):
            assert str(frame[column].dtype) == "datetime64[us, UTC]"
        for flag in ("deleted", "anonymized", "consent_restricted", "donotemail", "has_consents"):
            assert frame[flag].dtype == np.bool_

    def test_deleted_record_has_no_statecode(self) -> None:
        """A deleted record's statecode is missing and its deleted flag set."""
        lead = Lead(id="l1")
        lead.delete()
        frame = eligibility_frame([lead])
        assert frame["statecode"].isna().all()
        assert frame["deleted"].all()

    def test_consent_until_is_cumulative_over_levels(self) -> None:
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
        assert row["consent_until_0"] == NO_EXPIRY
        assert row["consent_until_1"] == NO_EXPIRY
        assert row["consent_until_2"] == NO_EXPIRY
        assert row["consent_until_3"] == pd.Timestamp(later)
        assert row["consent_until_4"] == pd.Timestamp(AT)
        assert pd.isna(row["consent_until_5"])
        assert row["has_consents"]

    def test_consent_until_0_and_has_consents(self) -> None:
        """consent_until_0 counts Active consents of every level, level 0 included;
        has_consents says whether the record has a consent of any status."""
        later = AT + 30 * _DAY
        level_zero = Contact(
            consents=[
                DataConsent(level=ConsentLevel.NONE, valid_until=later),
                DataConsent(level=ConsentLevel.PROFILING, status=ConsentStatus.CANCELLED),
            ]
        )
        all_inactive = Lead(
            consents=[
                DataConsent(level=ConsentLevel.MARKETING, status=ConsentStatus.EXPIRED),
                DataConsent(level=ConsentLevel.PROFILING, status=ConsentStatus.CANCELLED),
            ]
        )
        frame = eligibility_frame([level_zero, all_inactive, Contact(), Account()])
        assert list(frame["has_consents"]) == [True, True, False, False]
        assert frame["consent_until_0"].iloc[0] == pd.Timestamp(later)
        assert frame["consent_until_0"].iloc[1:].isna().all()
        for column in CONSENT_COLUMNS:
            assert frame[column].isna().all()

    def test_email_key_is_normalised(self) -> None:
        """email_key strips and casefolds, as suppression lists and ledgers key addresses."""
        frame = eligibility_frame([Contact(emailaddress1=" Ada@Example.COM "), Contact()])
        assert list(frame["email_key"]) == ["ada@example.com", None]

    def test_rejects_what_is_not_a_record(self) -> None:
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


_NO_CONSENT = Policy(enforce_consent_levels=False)
_PRESET = Policy.data_protection()
"""Consent levels enforced: the tests of the consent columns and the lapse rule use it."""


def _until(*values: Any) -> pd.Series:
    """A hand-built consent_until_k column: aware datetimes, NO_EXPIRY or None (no consent)."""
    return pd.Series([pd.NaT if v is None else v for v in values], dtype="datetime64[us, UTC]")


class TestDecideFrame:
    """decide_frame's columns, compact reasons and typed errors."""

    def test_result_columns_and_index(self) -> None:
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

    def test_rows_with_the_same_reasons_share_one_tuple(self) -> None:
        """reasons are decoded per distinct mask: equal rows hold the very same tuple object."""
        frame = eligibility_frame([Contact() for _ in range(5)])
        reasons = decide_frame(frame, MessageKind.COMMERCIAL, at=AT)["reasons"]
        assert len({id(r) for r in reasons}) == 1

    def test_empty_frame(self) -> None:
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
    def test_suppression_reasons_keep_the_list_order(
        self, entries: list[SuppressionReason], codes: tuple[str, ...]
    ) -> None:
        """An address suppressed twice lists its reasons in the list's order, as can_send does."""
        record = Contact(emailaddress1="Ada@example.com")
        suppressions = _suppressed(*(("ada@example.com", e) for e in entries))
        policy = Policy(enforce_consent_levels=False)
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

    def test_reasons_by_address_is_ordered(self) -> None:
        """reasons_by_address (what decide_frame reads): per address key, the reasons in force
        as a tuple, each once, in the order the list holds them; lapsed and other accounts'
        entries left out."""
        hard, spam = SuppressionReason.HARD_BOUNCE, SuppressionReason.SPAM_COMPLAINT
        opt_out = SuppressionReason.SENDING_ACCOUNT_OPT_OUT
        suppressions = SuppressionList(
            (
                Suppression(address="Ada@Example.com", reason=spam, since=AT - _DAY),
                Suppression(address="ada@example.com", reason=hard, since=AT - _DAY),
                Suppression(address="ada@example.com", reason=spam, since=AT - 2 * _DAY),
                Suppression(
                    address="grace@example.org", reason=hard, since=AT - 2 * _DAY, until=AT
                ),
                Suppression(
                    address="grace@example.org",
                    reason=opt_out,
                    since=AT - _DAY,
                    sending_account="acct-a",
                ),
                Suppression(address="alan@example.net", reason=hard, since=AT + _US),
            )
        )
        assert suppressions.reasons_by_address(AT) == {"ada@example.com": (spam, hard)}
        assert suppressions.reasons_by_address(AT, "acct-a") == {
            "ada@example.com": (spam, hard),
            "grace@example.org": (opt_out,),
        }
        assert suppressions.reasons_by_address(AT + _US, "acct-b") == {
            "ada@example.com": (spam, hard),
            "alan@example.net": (hard,),
        }

    def test_reason_mask_selects_rows(self) -> None:
        """reason_mask(code) picks the rows refused for that reason."""
        frame = eligibility_frame(
            [Contact(emailaddress1="a@b.co", donotemail=True), Contact(emailaddress1="c@d.co")]
        )
        result = decide_frame(frame, MessageKind.WORKFLOW, at=AT)
        hit = (result["reason_mask"] & reason_mask(ReasonCode.DONOTEMAIL)) != 0
        assert list(hit) == [True, False]

    def test_reason_bits_follow_the_enum(self) -> None:
        """Bit i is the i-th ReasonCode."""
        assert [REASON_BITS[c] for c in ReasonCode] == [1 << i for i in range(len(ReasonCode))]
        with pytest.raises(FieldTypeError):
            reason_mask("donotemail")  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("kind", "policy", "missing"),
        [
            (
                MessageKind.COMMERCIAL,
                _PRESET,
                ["emailaddress1", "donotemail", "donotbulkemail", "consent_until_4"],
            ),
            (MessageKind.PHONE, _PRESET, ["telephone1", "donotphone", "consent_until_4"]),
            (
                MessageKind.POSTAL,
                _PRESET,
                ["address1_line1", "donotpostalmail", "consent_until_4"],
            ),
            (MessageKind.PHONE, _NO_CONSENT, ["telephone1", "donotphone"]),
            (MessageKind.POSTAL, _NO_CONSENT, ["address1_line1", "donotpostalmail"]),
            (MessageKind.MANUAL, _PRESET, ["emailaddress1", "donotemail"]),
        ],
        ids=["commercial", "phone", "postal", "phone-no-consent", "postal-no-consent", "manual"],
    )
    def test_missing_columns_are_all_named(
        self, kind: MessageKind, policy: Policy, missing: list[str]
    ) -> None:
        """A frame without the columns the send reads: one error naming every missing one
        (campaign calls and letters need Marketing consent when levels are enforced)."""
        frame = pd.DataFrame({"record_type": ["contact"], "statecode": [0]})
        with pytest.raises(InvalidFieldError) as info:
            decide_frame(frame, kind, at=AT, policy=policy)
        assert info.value.got == missing

    def test_minimal_frame_for_a_phone_campaign(self) -> None:
        """Only what phone sends read is required (the number, donotphone and, with levels
        enforced, consent_until_4); absent optional columns take their defaults."""
        frame = pd.DataFrame(
            {
                "record_type": ["lead", "account", "contact", "contact"],
                "statecode": [2, 0, None, 0],
                "telephone1": ["+1 555 0100", None, "+1 555 0101", "+1 555 0102"],
                "donotphone": [False, False, True, False],
                "consent_until_4": _until(NO_EXPIRY, None, AT + _DAY, AT),
            }
        )
        result = decide_frame(frame, MessageKind.PHONE, at=AT, policy=_PRESET)
        assert list(result["reasons"]) == [
            ("lead-disqualified",),
            ("no-phone-number", "account-holds-no-consent"),
            ("record-deleted", "donotphone"),
            ("consent-below-marketing",),
        ]
        assert "id" not in result.columns
        without_consent = frame.drop(columns=["consent_until_4"])
        result = decide_frame(without_consent, MessageKind.PHONE, at=AT, policy=_NO_CONSENT)
        assert list(result["reasons"]) == [
            ("lead-disqualified",),
            ("no-phone-number",),
            ("record-deleted", "donotphone"),
            (),
        ]

    def test_unknown_record_type(self) -> None:
        """record_type outside lead/contact/account raises InvalidFieldError."""
        frame = pd.DataFrame(
            {
                "record_type": ["lead", "opportunity"],
                "statecode": [0, 0],
                "telephone1": ["+1 555 0100", None],
                "donotphone": [False, False],
                "consent_until_4": _until(NO_EXPIRY, NO_EXPIRY),
            }
        )
        with pytest.raises(InvalidFieldError, match="record_type") as info:
            decide_frame(frame, MessageKind.PHONE, at=AT)
        assert info.value.got == ["opportunity"]

    def test_statecode_must_exist_for_the_type(self) -> None:
        """A contact cannot be in statecode 2; the row is named."""
        frame = pd.DataFrame(
            {"record_type": ["lead", "contact"], "statecode": [2, 2], "address1_line1": ["x", "y"]}
        )
        frame["donotpostalmail"] = False
        frame["consent_until_4"] = _until(NO_EXPIRY, NO_EXPIRY)
        with pytest.raises(InvalidStatusError, match="row 1"):
            decide_frame(frame, MessageKind.POSTAL, at=AT)

    def test_naive_consent_column_is_refused(self) -> None:
        """consent_until_k must be timezone-aware (or float epoch seconds)."""
        frame = eligibility_frame([Contact(emailaddress1="a@b.co")])
        frame["consent_until_4"] = pd.Series([dt.datetime(2030, 1, 1)])
        with pytest.raises(InvalidFieldError, match="consent_until_4"):
            decide_frame(frame, MessageKind.COMMERCIAL, at=AT, policy=_PRESET)

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
    def test_bad_arguments(self, arguments: dict[str, Any], error: type[Exception]) -> None:
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


class TestConsentBoundaries:
    """A consent counts while ``valid_until > at``: expiring at ``at`` is already expired."""

    @pytest.mark.parametrize(
        ("offset", "codes"),
        [
            (-_US, ("gdpr-restrict", "consent-below-marketing")),
            (dt.timedelta(0), ("gdpr-restrict", "consent-below-marketing")),
            (_US, ()),
            (None, ()),
        ],
        ids=["expired", "expires-at-at", "one-microsecond-left", "no-expiry"],
    )
    @pytest.mark.parametrize("column_type", ["datetime64[us]", "datetime64[ns]", "epoch-seconds"])
    def test_marketing_consent_around_at(
        self, offset: dt.timedelta | None, codes: tuple[str, ...], column_type: str
    ) -> None:
        """Every column type agrees with can_send at the boundary, to the microsecond; once
        the only consent has expired the contact is also GDPR Restrict."""
        at = (AT + 7 * _US).astimezone(dt.timezone(dt.timedelta(hours=2)))
        until = None if offset is None else at + offset
        record = Contact(emailaddress1="a@b.co", consents=[DataConsent(level=4, valid_until=until)])
        frame = _as_column_type(eligibility_frame([record]), column_type)
        result = decide_frame(frame, MessageKind.COMMERCIAL, at=at, policy=_PRESET)
        assert can_send(record, MessageKind.COMMERCIAL, at=at, policy=_PRESET).codes == codes
        assert list(result["allowed"]) == [codes == ()]
        assert list(result["reasons"]) == [codes]

    @pytest.mark.parametrize(
        ("offset", "codes"),
        [
            (-_US, ("gdpr-restrict",)),
            (dt.timedelta(0), ("gdpr-restrict",)),
            (_US, ()),
            (None, ()),
        ],
        ids=["expired", "expires-at-at", "one-microsecond-left", "no-expiry"],
    )
    @pytest.mark.parametrize("column_type", ["datetime64[us]", "datetime64[ns]", "epoch-seconds"])
    def test_level_zero_consent_around_at(
        self, offset: dt.timedelta | None, codes: tuple[str, ...], column_type: str
    ) -> None:
        """consent_until_0 decides GDPR Restrict for kinds that need no consent level: a
        level-0 consent keeps manual email going until the microsecond it expires."""
        at = (AT + 7 * _US).astimezone(dt.timezone(dt.timedelta(hours=-5)))
        until = None if offset is None else at + offset
        record = Lead(emailaddress1="a@b.co", consents=[DataConsent(level=0, valid_until=until)])
        frame = _as_column_type(eligibility_frame([record]), column_type)
        result = decide_frame(frame, MessageKind.MANUAL, at=at, policy=_PRESET)
        assert can_send(record, MessageKind.MANUAL, at=at, policy=_PRESET).codes == codes
        assert list(result["allowed"]) == [codes == ()]
        assert list(result["reasons"]) == [codes]

    def test_no_expiry_beats_the_latest_moment(self) -> None:
        """NO_EXPIRY still counts at the last representable moment."""
        record = Contact(emailaddress1="a@b.co", consents=[DataConsent(level=5)])
        at = dt.datetime.max.replace(tzinfo=dt.UTC)
        result = decide_frame(eligibility_frame([record]), MessageKind.COMMERCIAL, at=at)
        assert result["allowed"].all()
        assert can_send(record, MessageKind.COMMERCIAL, at=at).allowed


class TestHandBuiltFrames:
    """What only a hand-built frame can say, decided the safe way."""

    def test_deleted_flag_wins_over_statecode(self) -> None:
        """deleted=True with a closed statecode: deleted, not also closed (as can_send)."""
        frame = pd.DataFrame(
            {
                "record_type": ["lead", "lead", "contact", "contact"],
                "statecode": [2, 1, 1, 1],
                "deleted": [True, True, True, False],
                "address1_line1": ["1 Row", "2 Row", "3 Row", "4 Row"],
                "donotpostalmail": [False, False, False, False],
                "consent_until_4": _until(NO_EXPIRY, NO_EXPIRY, NO_EXPIRY, NO_EXPIRY),
            }
        )
        result = decide_frame(frame, MessageKind.POSTAL, at=AT)
        assert list(result["reasons"]) == [
            ("record-deleted",),
            ("record-deleted",),
            ("record-deleted",),
            ("contact-inactive",),
        ]

    def test_gdpr_restrict_is_honoured_on_any_row(self) -> None:
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

    def test_lapsed_consents_are_restrict_on_leads_and_contacts(self) -> None:
        """has_consents with no Active consent left at ``at`` (consent_until_0 missing or not
        after ``at``) is GDPR Restrict on leads and contacts; not on accounts, anonymized rows
        or rows without consents; an explicitly restricted row gets the reason once."""
        frame = pd.DataFrame(
            {
                "record_type": ["lead", "contact", "contact", "account", "contact", "lead", "lead"],
                "statecode": [0, 0, 0, 0, 0, 0, 0],
                "emailaddress1": ["a@b.co"] * 7,
                "donotemail": [False] * 7,
                "anonymized": [False, False, False, False, True, False, False],
                "consent_restricted": [False, False, False, False, False, True, False],
                "has_consents": [True, True, True, True, True, True, False],
                "consent_until_0": _until(None, AT, AT + _US, None, None, None, None),
            }
        )
        result = decide_frame(frame, MessageKind.MANUAL, at=AT, policy=_PRESET)
        assert list(result["reasons"]) == [
            ("gdpr-restrict",),
            ("gdpr-restrict",),
            (),
            (),
            ("record-anonymized",),
            ("gdpr-restrict",),
            (),
        ]
        restrict = REASON_BITS[ReasonCode.GDPR_RESTRICT]
        anonymized = REASON_BITS[ReasonCode.RECORD_ANONYMIZED]
        assert list(result["reason_mask"]) == [restrict, restrict, 0, 0, anonymized, restrict, 0]

    def test_lapsed_consents_only_with_levels_enforced(self) -> None:
        """Consent enforcement off, or contact-point consent: lapsed consents restrict nothing."""
        frame = pd.DataFrame(
            {
                "record_type": ["contact"],
                "statecode": [0],
                "emailaddress1": ["a@b.co"],
                "donotemail": [False],
                "has_consents": [True],
                "consent_until_0": _until(None),
            }
        )
        assert decide_frame(frame, MessageKind.MANUAL, at=AT, policy=_PRESET)["reasons"].iloc[
            0
        ] == ("gdpr-restrict",)
        for policy in (
            _NO_CONSENT,
            Policy.data_protection(consent_model=ConsentModel.CONTACT_POINTS),
        ):
            result = decide_frame(frame, MessageKind.MANUAL, at=AT, policy=policy)
            assert list(result["reasons"]) == [()]

    def test_without_has_consents_the_lapse_rule_is_skipped(self) -> None:
        """A hand-built frame without has_consents is not checked for lapsed consents, even
        with consent_until_0 present; the level rules still apply."""
        frame = pd.DataFrame(
            {
                "record_type": ["contact", "lead"],
                "statecode": [0, 0],
                "emailaddress1": ["a@b.co", "c@d.co"],
                "donotemail": [False, False],
                "donotbulkemail": [False, False],
                "consent_until_0": _until(None, AT - _DAY),
                "consent_until_4": _until(None, AT - _DAY),
            }
        )
        assert list(decide_frame(frame, MessageKind.MANUAL, at=AT, policy=_PRESET)["reasons"]) == [
            (),
            (),
        ]
        assert list(
            decide_frame(frame, MessageKind.COMMERCIAL, at=AT, policy=_PRESET)["reasons"]
        ) == [
            ("consent-below-marketing",),
            ("consent-below-marketing",),
        ]

    def test_missing_flags_and_blank_strings(self) -> None:
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

    def test_commercial_refuses_closed_records_transactional_reaches_them(self) -> None:
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


class TestLapseColumns:
    """A frame that says it carries consents must carry their expiry too."""

    def test_has_consents_without_any_consent_column_is_named(self):
        """has_consents without consent_until_0 is a typed error naming the column."""
        import pandas as pd

        frame = pd.DataFrame(
            {
                "record_type": ["lead"],
                "statecode": [0],
                "emailaddress1": ["a@b.co"],
                "donotemail": [False],
                "has_consents": [True],
            }
        )
        with pytest.raises(InvalidFieldError, match="consent_until_0"):
            decide_frame(frame, MessageKind.MANUAL, at=AT, policy=_PRESET)


_TWO_CONTACTS: dict[str, Any] = {
    "record_type": ["contact", "contact"],
    "statecode": [0, 0],
    "emailaddress1": ["a@b.co", "c@d.co"],
    "donotemail": [False, False],
}
"""Two reachable contacts, for flag columns laid over them."""


class TestStrictFlags:
    """A flag column holds booleans, as a record's flag does; anything else is refused."""

    @pytest.mark.parametrize(
        "column", ["donotemail", "deleted", "anonymized", "consent_restricted"]
    )
    @pytest.mark.parametrize(
        "values",
        [
            pd.Series(["False", "True"], dtype=object),
            pd.Series(["False", None], dtype=object),
            pd.Series([True, 1], dtype=object),
            pd.Series([0, 1], dtype=np.int64),
            pd.Series([0.0, 1.0]),
            pd.Series([1, None], dtype="Int8"),
            pd.Series(["yes", "no"], dtype="string"),
            pd.Categorical([True, False]),
        ],
        ids=["str", "str-or-none", "bool-and-int", "int", "float", "Int8", "string", "category"],
    )
    def test_non_boolean_column_names_itself(self, column: str, values: Any) -> None:
        """ "False" strings, 0/1 numbers and other dtypes raise InvalidFieldError naming the
        column (can_send would refuse such a record at construction); the frame is unchanged."""
        frame = pd.DataFrame({**_TWO_CONTACTS, column: values})
        before = frame.copy()
        with pytest.raises(InvalidFieldError, match=f"^'{column}' must be a column of booleans"):
            decide_frame(frame, MessageKind.MANUAL, at=AT, policy=_NO_CONSENT)
        pd.testing.assert_frame_equal(frame, before)

    @pytest.mark.parametrize(
        "values",
        [
            pd.Series([True, False]),
            pd.array([True, None], dtype="boolean"),
            pd.Series([True, None], dtype=object),
            pd.Series([True, np.nan], dtype=object),
            pd.Series([np.True_, pd.NA], dtype=object),
        ],
        ids=["bool", "boolean", "object-none", "object-nan", "object-numpy-na"],
    )
    def test_booleans_with_missing_values(self, values: Any) -> None:
        """bool, pandas boolean and objects of True/False/missing read as flags (missing: off)."""
        frame = pd.DataFrame({**_TWO_CONTACTS, "donotemail": values})
        result = decide_frame(frame, MessageKind.MANUAL, at=AT, policy=_NO_CONSENT)
        assert list(result["reasons"]) == [("donotemail",), ()]


class TestConsentColumnsInput:
    """consent_columns refuses levels and statuses a DataConsent could not hold."""

    @staticmethod
    def _table(level: Any, status: Any) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "record_id": ["a", "b"],
                "level": pd.Series([4, level], dtype=object),
                "status": pd.Series(["active", status], dtype=object),
                "valid_until": pd.Series([pd.NaT, pd.NaT], dtype="datetime64[us, UTC]"),
            }
        )

    @pytest.mark.parametrize(
        ("level", "status", "column"),
        [
            ("high", "active", "level"),
            ("4", "active", "level"),
            (6, "active", "level"),
            (-1, "active", "level"),
            (2.5, "active", "level"),
            (True, "active", "level"),
            (None, "active", "level"),
            (6, "cancelled", "level"),
            (4, "withdrawn", "status"),
            (4, "Active", "status"),
            (4, None, "status"),
            (4, 1, "status"),
        ],
        ids=lambda v: repr(v),
    )
    def test_bad_level_or_status(self, level: Any, status: Any, column: str) -> None:
        """A level not an integer 0-5, or an unknown status, is refused naming its column."""
        table = self._table(level, status)
        before = table.copy()
        with pytest.raises(InvalidFieldError, match=f"^'{column}' must be consent"):
            consent_columns(table)
        pd.testing.assert_frame_equal(table, before)

    @pytest.mark.parametrize(
        "levels",
        [
            pd.Series([4, 0]),
            pd.Series([4.0, 0.0]),
            pd.Series([4, 0], dtype="Int8"),
            pd.Series([ConsentLevel.MARKETING, ConsentLevel.NONE], dtype=object),
        ],
        ids=["int", "float", "Int8", "ConsentLevel"],
    )
    def test_level_forms(self, levels: pd.Series) -> None:
        """Integer levels in any numeric dtype, or ConsentLevel members, are read alike."""
        table = pd.DataFrame(
            {
                "record_id": ["a", "b"],
                "level": levels,
                "status": [ConsentStatus.ACTIVE, "active"],
                "valid_until": pd.Series([pd.NaT, pd.NaT], dtype="datetime64[us, UTC]"),
            }
        )
        columns = consent_columns(table)
        assert list(columns["consent_until_4"].notna()) == [True, False]
        assert list(columns["consent_until_0"].notna()) == [True, True]


def test_suppression_order_comes_from_reasons_by_address(monkeypatch: pytest.MonkeyPatch) -> None:
    """decide_frame orders suppression reasons from reasons_by_address alone, as can_send."""
    record = Contact(emailaddress1="ada@example.com")
    suppressions = _suppressed(
        ("ada@example.com", SuppressionReason.SPAM_COMPLAINT),
        ("ada@example.com", SuppressionReason.HARD_BOUNCE),
    )
    expected = can_send(
        record, MessageKind.TRANSACTIONAL, at=AT, policy=_NO_CONSENT, suppressions=suppressions
    ).codes
    frame = eligibility_frame([record])

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("decide_frame called SuppressionList.active")

    monkeypatch.setattr(SuppressionList, "active", refuse)
    result = decide_frame(
        frame, MessageKind.TRANSACTIONAL, at=AT, policy=_NO_CONSENT, suppressions=suppressions
    )
    assert (
        result["reasons"].iloc[0]
        == expected
        == (
            "suppressed-spam-complaint",
            "suppressed-hard-bounce",
        )
    )
