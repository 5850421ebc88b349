"""Audiences: who a send reaches, segments and static lists, and data-protection views.

An :func:`audience` scores every record with :func:`~lifecycle.eligibility.can_send`
(one scoring path, so a record refused here is refused for the same reasons
everywhere) and keeps the refusals with their reasons.

Membership and eligibility are separate questions (D7):

* a :class:`DynamicSegment` is a query, so closed records (inactive contacts and
  accounts, qualified or disqualified leads, deleted records) drop out of it;
* a :class:`StaticList` is a list of ids, so its closed members stay members, and
  a send to the list still checks eligibility: :func:`audience` refuses them for
  commercial email (``contact-inactive``, ``lead-disqualified``, ...) while
  transactional, manual and workflow email still reach them unless ``donotemail``.

The data-protection views follow the DPO views of Dynamics' data-protection
solution: :func:`missing_consent` ("Leads/Contacts Missing Consent"),
:func:`lists_without_consent` and :func:`expiring_consents`.

Pure: no I/O, no clock (every function takes ``at``), no pandas. The columnar path
for very large audiences is :mod:`lifecycle.columnar`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import cast

import attrs

from lifecycle.clock import require_aware
from lifecycle.consent import ConsentStatus, DataConsent
from lifecycle.contactpoints import ContactPointLedger
from lifecycle.eligibility import (
    DEFAULT_POLICY,
    Decision,
    MessageKind,
    Policy,
    ReasonCode,
    can_send,
    check_send,
)
from lifecycle.errors import FieldTypeError, InvalidFieldError
from lifecycle.records import Account, Contact, Lead, Record
from lifecycle.suppression import SuppressionList

_RECORD_TYPES = (Lead, Contact, Account)
_CODE_ORDER = {code.value: position for position, code in enumerate(ReasonCode)}


def _records(name: str, records: object) -> tuple[Record, ...]:
    """``records`` as a tuple, each checked to be a Lead, Contact or Account."""
    if isinstance(records, (str, bytes, Mapping)) or not isinstance(records, Iterable):
        raise FieldTypeError(name, "an iterable of Lead, Contact or Account records", records)
    items = tuple(records)
    for item in items:
        if not isinstance(item, _RECORD_TYPES):
            raise FieldTypeError(name, "an iterable of Lead, Contact or Account records", item)
    return items


def _lists(value: object) -> tuple[StaticList, ...]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise FieldTypeError("static_lists", "an iterable of StaticList", value)
    items = tuple(value)
    for item in items:
        if not isinstance(item, StaticList):
            raise FieldTypeError("static_lists", "an iterable of StaticList", item)
    return items


def _records_by_id(records_by_id: object) -> Mapping[str, Record]:
    if not isinstance(records_by_id, Mapping):
        raise FieldTypeError("records_by_id", "a mapping of record id to record", records_by_id)
    return records_by_id


def is_closed(record: Record) -> bool:
    """Closed for D7: not Open (lead) or Active (contact, account), or deleted.

    Closed records drop out of dynamic segments; static lists keep them.
    """
    return not record.is_active


def _has_active_consent(record: Record, at: dt.datetime) -> bool:
    return any(c.is_active_at(at) for c in record.consents)


# --------------------------------------------------------------------------- audience


@attrs.frozen
class Audience:
    """Who a send of ``kind`` at ``at`` reaches, and why everyone else is refused.

    ``recipients`` and ``refused`` keep the input order; every refusal is the
    :class:`~lifecycle.eligibility.Decision` ``can_send`` made, with all its reasons.
    """

    kind: MessageKind
    at: dt.datetime
    recipients: tuple[Record, ...]
    refused: tuple[Decision, ...]

    @property
    def size(self) -> int:
        """How many records were scored."""
        return len(self.recipients) + len(self.refused)

    @property
    def counts_by_reason(self) -> dict[str, int]:
        """Refusals per reason code (a record refused for two reasons counts for both),
        in :class:`~lifecycle.eligibility.ReasonCode` order."""
        counts: dict[str, int] = {}
        for decision in self.refused:
            for code in decision.codes:
                counts[code] = counts.get(code, 0) + 1
        return dict(sorted(counts.items(), key=lambda item: _CODE_ORDER[item[0]]))

    def summary(self) -> str:
        """One line: how many are reached, how many refused, and the reasons' counts."""
        head = (
            f"{self.kind.value} at {self.at.isoformat()}: "
            f"{len(self.recipients)} of {self.size} records reached"
        )
        if not self.refused:
            return head
        counts = ", ".join(f"{code} {n}" for code, n in self.counts_by_reason.items())
        return f"{head}; {len(self.refused)} refused ({counts})"


def audience(
    records: Iterable[Record],
    kind: MessageKind,
    *,
    at: dt.datetime,
    policy: Policy = DEFAULT_POLICY,
    suppressions: SuppressionList | None = None,
    contact_points: ContactPointLedger | None = None,
    topic: str | None = None,
    sending_account: str | None = None,
) -> Audience:
    """Score every record with ``can_send`` for one send: who is reached, who is refused and why.

    Arguments are checked before any record is scored, so an empty audience still
    rejects a naive ``at`` or a ``kind`` that is not a :class:`MessageKind`.
    """
    check_send(kind, at, policy, suppressions, contact_points)
    recipients: list[Record] = []
    refused: list[Decision] = []
    for record in _records("records", records):
        decision = can_send(
            record,
            kind,
            at=at,
            policy=policy,
            suppressions=suppressions,
            contact_points=contact_points,
            topic=topic,
            sending_account=sending_account,
        )
        if decision.allowed:
            recipients.append(record)
        else:
            refused.append(decision)
    return Audience(kind, at, tuple(recipients), tuple(refused))


# --------------------------------------------------------------------------- segments, lists


def _predicate(value: object) -> Callable[[Record], bool] | None:
    if value is not None and not callable(value):
        raise FieldTypeError("predicate", "a callable taking a record, or None", value)
    return cast("Callable[[Record], bool] | None", value)


def _name(value: object) -> str:
    if not isinstance(value, str):
        raise FieldTypeError("name", "a str", value)
    if not value.strip():
        raise InvalidFieldError("name", "a non-empty name", value)
    return value


@attrs.frozen
class DynamicSegment:
    """A query over records: the open/active records ``predicate`` accepts (all of them without one).

    Closed records never match (D7): inactive contacts and accounts, qualified and
    disqualified leads, deleted records.
    """

    name: str = attrs.field(converter=_name)
    predicate: Callable[[Record], bool] | None = attrs.field(default=None, converter=_predicate)

    def members(self, records: Iterable[Record]) -> tuple[Record, ...]:
        """The records in the segment now, in input order."""
        keep = self.predicate
        return tuple(
            r
            for r in _records("records", records)
            if not is_closed(r) and (keep is None or keep(r))
        )


def _ids(value: object) -> tuple[str, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise FieldTypeError("member_ids", "an iterable of record ids", value)
    ids: dict[str, None] = {}
    for item in value:
        if not isinstance(item, str) or not item:
            raise FieldTypeError("member_ids", "an iterable of non-empty str ids", item)
        ids[item] = None
    return tuple(ids)


@attrs.frozen
class StaticList:
    """A named list of record ids (a static marketing list).

    Members stay members whatever happens to their records (D7); a send to the
    list still checks each member's eligibility (see :func:`audience`). Ids are
    kept once each, in first-seen order.
    """

    name: str = attrs.field(converter=_name)
    member_ids: tuple[str, ...] = attrs.field(default=(), converter=_ids)

    def members(self, records_by_id: Mapping[str, Record]) -> tuple[Record, ...]:
        """Every member found in ``records_by_id``, closed ones included, in list order."""
        by_id = _records_by_id(records_by_id)
        found = tuple(by_id[i] for i in self.member_ids if i in by_id)
        return _records("records_by_id", found)

    def missing(self, records_by_id: Mapping[str, Record]) -> tuple[str, ...]:
        """Member ids ``records_by_id`` does not hold (e.g. records purged since)."""
        by_id = _records_by_id(records_by_id)
        return tuple(i for i in self.member_ids if i not in by_id)


# --------------------------------------------------------------------------- data protection


def missing_consent(records: Iterable[Record], at: dt.datetime) -> tuple[Record, ...]:
    """Open leads and active contacts with no data consent active at ``at``.

    The DPO views "Leads Missing Consent" and "Contacts Missing Consent". Accounts
    hold no consent and are never listed; closed and deleted records are not
    "active". A consent counts when it is Active and not past its ``valid_until``.
    """
    require_aware("at", at)
    return tuple(
        r
        for r in _records("records", records)
        if isinstance(r, (Lead, Contact))
        and r.is_active
        and not r.anonymized
        and not _has_active_consent(r, at)
    )


@attrs.frozen
class ListConsentGap:
    """The members of one static list who lack a data consent active at the view's moment."""

    list: StaticList
    members: tuple[Record, ...]


def lists_without_consent(
    static_lists: Iterable[StaticList], records_by_id: Mapping[str, Record], at: dt.datetime
) -> tuple[ListConsentGap, ...]:
    """For each static list, its lead and contact members without consent active at ``at``.

    Closed members count (a static list keeps them); deleted and anonymized
    records (no personal data left) and accounts (which hold no consent) do not.
    Only lists with at least one such member are returned, in input order.
    """
    require_aware("at", at)
    gaps: list[ListConsentGap] = []
    for static_list in _lists(static_lists):
        lacking = tuple(
            r
            for r in static_list.members(records_by_id)
            if isinstance(r, (Lead, Contact))
            and not r.is_deleted
            and not r.anonymized
            and not _has_active_consent(r, at)
        )
        if lacking:
            gaps.append(ListConsentGap(static_list, lacking))
    return tuple(gaps)


@attrs.frozen
class ExpiringConsent:
    """An Active consent of ``record`` whose ``valid_until`` is near."""

    record: Record
    consent: DataConsent

    @property
    def valid_until(self) -> dt.datetime:
        """When the consent expires."""
        assert self.consent.valid_until is not None
        return self.consent.valid_until


MAX_WITHIN_DAYS = 36_500
"""The longest window :func:`expiring_consents` looks ahead (100 years)."""


def _days(value: object) -> dt.timedelta:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FieldTypeError("within_days", "a number of days", value)
    if not 0 <= value <= MAX_WITHIN_DAYS:  # NaN fails both comparisons
        raise InvalidFieldError(
            "within_days", f"a number of days from 0 to {MAX_WITHIN_DAYS:,}", value
        )
    return dt.timedelta(days=value)


def expiring_consents(
    records: Iterable[Record], at: dt.datetime, within_days: float
) -> tuple[ExpiringConsent, ...]:
    """Active consents whose ``valid_until`` falls in ``(at, at + within_days]``.

    ``within_days`` is a number from 0 to 36,500 (100 years). Soonest first (ties
    keep input order). Consents of closed records count (a deactivated contact's
    consents keep running, D12); deleted records' do not.
    """
    require_aware("at", at)
    window = _days(within_days)
    try:
        horizon: dt.datetime | None = at + window
    except OverflowError:  # past the latest datetime: every later expiry is in the window
        horizon = None
    found = [
        ExpiringConsent(r, c)
        for r in _records("records", records)
        if not r.is_deleted
        for c in r.consents
        if c.status is ConsentStatus.ACTIVE
        and c.valid_until is not None
        and at < c.valid_until
        and (horizon is None or c.valid_until <= horizon)
    ]
    found.sort(key=lambda item: item.valid_until)
    return tuple(found)
