"""Opt-out and bounce events: recorded once, applied to records and the suppression list (D13).

An :class:`OptOutEvent` is what an email platform reports: a spam complaint, a
group, client or one-click opt-out, a user-level (per sending account) opt-out,
a hard or soft bounce, or a delivery. An :class:`OptOutLedger` holds what the
organisation knows from them and applies each event once:

=========================  ====================================================================
event                      effect
=========================  ====================================================================
spam report                ``donotbulkemail`` on the record; address suppressed for ever
group / client opt-out     ``donotbulkemail`` on the record
one-click unsubscribe      ``donotbulkemail`` on the record; with a contact-point ledger and a
                           purpose, that purpose (or only the topic, if one is set) opted out
user-level opt-out         address suppressed for sends from that sending account only
hard bounce                address suppressed for ``hard_bounce_days`` (180); streak reset
soft bounce                streak + 1; the ``soft_bounce_limit``-th (5th) in a row counts as
                           a hard bounce, and the streak starts again
delivered                  soft-bounce streak reset
=========================  ====================================================================

Rules the ledger keeps:

* **Idempotent.** An event's ``id`` is its idempotency key: applying an id seen
  before changes nothing and returns ``applied=False`` (``conflict=True`` when
  the content differs from what was applied under that id; the first one wins).
* **Atomic.** Everything is checked before anything changes: an event naming a
  record that is not in ``records`` raises :class:`UnknownRecordError`, and the
  records, the ledger and its log are left as they were.
* **Honoured on closed records.** An opt-out for an inactive contact or a
  closed lead still sets ``donotbulkemail`` (an integration edit, as a sync
  would make). A deleted or anonymized record cannot be edited: the flag is not
  set, the outcome says so, and the event's other effects still apply.
* **Pure.** Time comes from the events; nothing is read from a clock or stored.

Soft-bounce streaks count in the order events are applied; :meth:`OptOutLedger.apply_many`
applies a batch in time order.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import attrs

from lifecycle.clock import require_aware
from lifecycle.contactpoints import Channel, ConsentValue, ContactPointConsent, ContactPointLedger
from lifecycle.errors import FieldTypeError, InvalidFieldError, UnknownRecordError
from lifecycle.fields import email, member_of, reference, text
from lifecycle.records import Record
from lifecycle.suppression import (
    HARD_BOUNCE_DAYS,
    Suppression,
    SuppressionList,
    SuppressionReason,
    email_key,
)

SOFT_BOUNCE_LIMIT = 5
"""How many soft bounces in a row count as a hard bounce (CI-J suppression lists)."""

ONE_CLICK_SOURCE = "Email - list-unsubscribe"
"""The ``source`` of the contact-point consent a one-click unsubscribe records."""
ONE_CLICK_REASON = "Opt-out - One-click unsubscribe"
"""The ``reason`` of the contact-point consent a one-click unsubscribe records."""


class OptOutKind(enum.Enum):
    """What an opt-out or bounce event reports."""

    SPAM_REPORT = "spam-report"
    """A spam complaint (feedback loop)."""
    GROUP_OPT_OUT = "group-opt-out"
    """An opt-out from a group of mailing lists."""
    CLIENT_OPT_OUT = "client-opt-out"
    """An opt-out from everything the organisation sends."""
    ONE_CLICK_UNSUBSCRIBE = "one-click-unsubscribe"
    """A ``List-Unsubscribe`` one-click unsubscribe from a commercial email."""
    USER_OPT_OUT = "user-opt-out"
    """An opt-out from one sending account (user level)."""
    HARD_BOUNCE = "hard-bounce"
    """A permanent delivery failure."""
    SOFT_BOUNCE = "soft-bounce"
    """A temporary delivery failure."""
    DELIVERED = "delivered"
    """A successful delivery; it ends a soft-bounce streak."""

    @property
    def sets_donotbulkemail(self) -> bool:
        """Sets ``donotbulkemail`` on the record the event names, which it must name."""
        return self in _FLAGGING


_FLAGGING = frozenset(
    {
        OptOutKind.SPAM_REPORT,
        OptOutKind.GROUP_OPT_OUT,
        OptOutKind.CLIENT_OPT_OUT,
        OptOutKind.ONE_CLICK_UNSUBSCRIBE,
    }
)


@attrs.frozen(repr=False)
class _Key:
    optional: bool

    def __call__(self, inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None and self.optional:
            return
        expected = "a non-empty str" + (" or None" if self.optional else "")
        if not isinstance(value, str):
            raise FieldTypeError(attribute.name, expected, value)
        if not value.strip():
            raise InvalidFieldError(attribute.name, expected, value)
        text(200)(inst, attribute, value)

    def __repr__(self) -> str:
        return "<optional key validator>" if self.optional else "<key validator>"


@attrs.frozen(repr=False)
class _RequiredEmail:
    def __call__(self, inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, str):
            raise FieldTypeError(attribute.name, "an email address (str)", value)
        email()(inst, attribute, value)

    def __repr__(self) -> str:
        return "<required email validator>"


@attrs.frozen(repr=False)
class _Aware:
    def __call__(self, inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        require_aware(attribute.name, value)

    def __repr__(self) -> str:
        return "<aware datetime validator>"


@attrs.frozen(kw_only=True)
class OptOutEvent:
    """One opt-out or bounce event, as an email platform reports it.

    ``record_id`` names the contact, lead or account the event refers to: required
    for the kinds that set ``donotbulkemail``, optional (but checked) for the others.
    ``sending_account`` is required for, and only allowed on, a user-level opt-out.
    ``purpose`` and ``topic`` are only allowed on a one-click unsubscribe; a topic
    needs its purpose.
    """

    id: str = attrs.field(validator=_Key(optional=False))
    """The idempotency key: an event with an id already applied changes nothing."""
    kind: OptOutKind = attrs.field(validator=member_of(OptOutKind))
    address: str = attrs.field(validator=_RequiredEmail())
    at: dt.datetime = attrs.field(validator=_Aware())
    record_id: str | None = attrs.field(default=None, validator=reference())
    sending_account: str | None = attrs.field(default=None, validator=_Key(optional=True))
    purpose: str | None = attrs.field(default=None, validator=_Key(optional=True))
    topic: str | None = attrs.field(default=None, validator=_Key(optional=True))

    def __attrs_post_init__(self) -> None:
        kind = self.kind.value
        if self.kind.sets_donotbulkemail and self.record_id is None:
            raise InvalidFieldError(
                "record_id",
                f"the id of the record a {kind} event sets donotbulkemail on",
                None,
            )
        if self.kind is OptOutKind.USER_OPT_OUT and self.sending_account is None:
            raise InvalidFieldError(
                "sending_account", f"the sending account a {kind} event opts out of", None
            )
        if self.kind is not OptOutKind.USER_OPT_OUT and self.sending_account is not None:
            raise InvalidFieldError(
                "sending_account", f"None for a {kind} event", self.sending_account
            )
        if self.kind is not OptOutKind.ONE_CLICK_UNSUBSCRIBE:
            for name in ("purpose", "topic"):
                if getattr(self, name) is not None:
                    raise InvalidFieldError(name, f"None for a {kind} event", getattr(self, name))
        if self.topic is not None and self.purpose is None:
            raise InvalidFieldError("purpose", f"set when a topic is ({self.topic!r})", None)

    @property
    def key(self) -> str:
        """The address's lookup key (see :func:`~lifecycle.suppression.email_key`)."""
        key = email_key(self.address)
        assert key is not None  # the validator refused blank addresses
        return key


@attrs.frozen(kw_only=True)
class OptOutOutcome:
    """What applying one event did.

    ``changes`` describes every effect for people, plus the effects that could not
    be had (a deleted record's flag). ``suppression`` and ``consent`` are the
    entries the event put in force (also when an equal one was already there);
    ``updated_record`` is the id of the record whose ``donotbulkemail`` it set.
    """

    event: OptOutEvent
    applied: bool
    """``False`` when an event with this id had been applied before: nothing changed."""
    changes: tuple[str, ...] = ()
    suppression: Suppression | None = None
    consent: ContactPointConsent | None = None
    updated_record: str | None = None
    conflict: bool = False
    """Not applied, and the event applied earlier under this id had other content."""

    @property
    def event_id(self) -> str:
        """The event's idempotency key."""
        return self.event.id


MAX_SOFT_BOUNCE_LIMIT = 1_000
"""The largest ``soft_bounce_limit`` a ledger accepts."""
MAX_HARD_BOUNCE_DAYS = 36_500
"""The largest ``hard_bounce_days`` a ledger accepts (100 years)."""


def _bounded_int(name: str, value: object, maximum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise FieldTypeError(name, "an int", value)
    if not 1 <= value <= maximum:
        raise InvalidFieldError(name, f"an int from 1 to {maximum:,}", value)
    return value


def _order(event: OptOutEvent) -> tuple[Any, ...]:
    """Time order, then id; the other fields only make the order total."""
    return (
        event.at,
        event.id,
        event.kind.value,
        event.address,
        event.record_id or "",
        event.sending_account or "",
        event.purpose or "",
        event.topic or "",
    )


@attrs.frozen
class _Plan:
    """Everything an event will change, built and checked before anything changes."""

    record: Record | None
    set_flag: bool
    suppression: Suppression | None
    suppression_text: str | None
    consent: ContactPointConsent | None
    streak: int
    changes: tuple[str, ...]


class OptOutLedger:
    """An organisation's opt-out state: suppressions, contact-point consents, soft-bounce
    streaks, and the log of every event applied.

    ``soft_bounce_limit`` (1 to 1,000) and ``hard_bounce_days`` (1 to 36,500, i.e. 100
    years) are configuration (data); pass a
    :class:`~lifecycle.contactpoints.ContactPointLedger` to record one-click
    unsubscribes as contact-point opt-outs (real-time journeys).
    """

    def __init__(
        self,
        *,
        suppressions: SuppressionList | None = None,
        contact_points: ContactPointLedger | None = None,
        soft_bounce_limit: int = SOFT_BOUNCE_LIMIT,
        hard_bounce_days: int = HARD_BOUNCE_DAYS,
    ) -> None:
        if suppressions is not None and not isinstance(suppressions, SuppressionList):
            raise FieldTypeError("suppressions", "a SuppressionList or None", suppressions)
        if contact_points is not None and not isinstance(contact_points, ContactPointLedger):
            raise FieldTypeError("contact_points", "a ContactPointLedger or None", contact_points)
        self._limit = _bounded_int("soft_bounce_limit", soft_bounce_limit, MAX_SOFT_BOUNCE_LIMIT)
        self._days = _bounded_int("hard_bounce_days", hard_bounce_days, MAX_HARD_BOUNCE_DAYS)
        self._suppressions = SuppressionList() if suppressions is None else suppressions
        self._contact_points = contact_points
        self._streaks: dict[str, int] = {}
        self._applied: dict[str, OptOutEvent] = {}
        self._log: list[OptOutOutcome] = []

    # --- reading -----------------------------------------------------------------------------

    @property
    def suppressions(self) -> SuppressionList:
        """The suppression list the events feed (pass it to ``can_send``)."""
        return self._suppressions

    @property
    def contact_points(self) -> ContactPointLedger | None:
        """The contact-point consents one-click unsubscribes feed, if attached."""
        return self._contact_points

    @property
    def soft_bounce_limit(self) -> int:
        """How many soft bounces in a row count as a hard bounce."""
        return self._limit

    @property
    def hard_bounce_days(self) -> int:
        """How many days a hard bounce suppresses an address."""
        return self._days

    def streak(self, address: str) -> int:
        """The current run of soft bounces of ``address`` (0 when none)."""
        key = email_key(address)
        return 0 if key is None else self._streaks.get(key, 0)

    @property
    def streaks(self) -> Mapping[str, int]:
        """Every running soft-bounce streak by address key (a read-only copy)."""
        return MappingProxyType(dict(self._streaks))

    @property
    def applied_ids(self) -> frozenset[str]:
        """The ids of every event applied."""
        return frozenset(self._applied)

    @property
    def log(self) -> tuple[OptOutOutcome, ...]:
        """The outcome of every event applied, in the order applied (repeats are not logged)."""
        return tuple(self._log)

    # --- applying ------------------------------------------------------------------------------

    def apply(self, event: OptOutEvent, records: Mapping[str, Record]) -> OptOutOutcome:
        """Apply ``event`` once; ``records`` maps ids to the records events may name.

        Raises :class:`UnknownRecordError` (and changes nothing) when the event names a
        record that ``records`` does not hold.
        """
        _check_records(records)
        if not isinstance(event, OptOutEvent):
            raise FieldTypeError("event", "an OptOutEvent", event)
        seen = self._applied.get(event.id)
        if seen is not None:
            return OptOutOutcome(event=event, applied=False, conflict=seen != event)
        plan = self._plan(event, _resolve(event, records), self._streaks, set())
        return self._execute(event, plan)

    def apply_many(
        self, events: Iterable[OptOutEvent], records: Mapping[str, Record]
    ) -> tuple[OptOutOutcome, ...]:
        """Apply ``events`` in time order (then by id); one outcome each, in that order.

        Every event is planned first, in that order (records resolved, streaks counted,
        suppression dates computed): if any fails, nothing is applied.
        """
        _check_records(records)
        if isinstance(events, (str, bytes, Mapping)) or not isinstance(events, Iterable):
            raise FieldTypeError("events", "an iterable of OptOutEvent", events)
        batch = list(events)
        for event in batch:
            if not isinstance(event, OptOutEvent):
                raise FieldTypeError("events", "OptOutEvent items", event)
        batch.sort(key=_order)
        seen = dict(self._applied)
        streaks = dict(self._streaks)
        flagged: set[int] = set()
        steps: list[tuple[OptOutEvent, _Plan | OptOutOutcome]] = []
        for event in batch:
            earlier = seen.get(event.id)
            if earlier is not None:
                repeat = OptOutOutcome(event=event, applied=False, conflict=earlier != event)
                steps.append((event, repeat))
                continue
            seen[event.id] = event
            plan = self._plan(event, _resolve(event, records), streaks, flagged)
            if plan.streak:
                streaks[event.key] = plan.streak
            else:
                streaks.pop(event.key, None)
            steps.append((event, plan))
        return tuple(
            step if isinstance(step, OptOutOutcome) else self._execute(event, step)
            for event, step in steps
        )

    def _plan(
        self,
        event: OptOutEvent,
        record: Record | None,
        streaks: Mapping[str, int],
        flagged: set[int],
    ) -> _Plan:
        """What ``event`` will change, given the soft-bounce ``streaks`` before it and the
        records (by ``id()``) that earlier events of the batch flag; nothing changes here
        but ``flagged``."""
        kind = event.kind
        changes: list[str] = []
        set_flag = False
        if kind.sets_donotbulkemail and record is not None:
            what = f"{type(record).__name__.lower()} {record.id}"
            if record.is_deleted:
                changes.append(f"record deleted: flag not set on {what}")
            elif record.anonymized:
                changes.append(f"record anonymized: flag not set on {what}")
            elif not record.donotbulkemail and id(record) not in flagged:
                set_flag = True
                flagged.add(id(record))
                changes.append(f"donotbulkemail set on {what}")

        key = event.key
        before = streaks.get(key, 0)
        streak, limit_reached = before, False
        if kind is OptOutKind.SOFT_BOUNCE:
            streak = before + 1
            if streak >= self._limit:
                streak, limit_reached = 0, True
            else:
                changes.append(f"soft bounce {streak} of {self._limit} in a row for {key}")
        elif kind in (OptOutKind.HARD_BOUNCE, OptOutKind.DELIVERED):
            streak = 0
            if before:
                changes.append(f"soft-bounce streak of {key} reset (was {before})")

        suppression, suppression_text = self._suppression(event, limit_reached)
        consent = self._consent(event, changes)
        return _Plan(
            record, set_flag, suppression, suppression_text, consent, streak, tuple(changes)
        )

    def _suppression(
        self, event: OptOutEvent, limit_reached: bool
    ) -> tuple[Suppression | None, str | None]:
        """The suppression ``event`` calls for, and its description."""
        kind = event.kind
        until: dt.datetime | None = None
        account = None
        if kind is OptOutKind.SPAM_REPORT:
            reason, why = SuppressionReason.SPAM_COMPLAINT, "spam complaint"
        elif kind is OptOutKind.USER_OPT_OUT:
            reason, why = SuppressionReason.SENDING_ACCOUNT_OPT_OUT, "user-level opt-out"
            account = event.sending_account
        elif kind is OptOutKind.HARD_BOUNCE or limit_reached:
            reason = SuppressionReason.HARD_BOUNCE
            try:
                until = event.at + dt.timedelta(days=self._days)
            except OverflowError:
                raise InvalidFieldError(
                    "at",
                    f"at least {self._days} days (hard_bounce_days) before the latest datetime",
                    event.at,
                ) from None
            why = (
                "hard bounce"
                if kind is OptOutKind.HARD_BOUNCE
                else f"{self._limit} consecutive soft bounces count as a hard bounce"
            )
        else:
            return None, None
        entry = Suppression(
            address=event.address,
            reason=reason,
            since=event.at,
            until=until,
            sending_account=account,
        )
        scope = "" if account is None else f" for sending account {account}"
        lasting = "permanently" if until is None else f"until {until:%Y-%m-%d}"
        return entry, f"suppressed {entry.address}{scope} {lasting} ({why})"

    def _consent(self, event: OptOutEvent, changes: list[str]) -> ContactPointConsent | None:
        if event.kind is not OptOutKind.ONE_CLICK_UNSUBSCRIBE or event.purpose is None:
            return None
        what = (
            f"purpose {event.purpose!r}"
            if event.topic is None
            else f"topic {event.topic!r} of purpose {event.purpose!r}"
        )
        if self._contact_points is None:
            changes.append(f"no contact-point ledger attached: opt-out of {what} not recorded")
            return None
        return ContactPointConsent(
            contact_point=event.address,
            value=ConsentValue.OPTED_OUT,
            at=event.at,
            purpose=event.purpose,
            topic=event.topic,
            channel=Channel.EMAIL,
            source=ONE_CLICK_SOURCE,
            reason=ONE_CLICK_REASON,
        )

    def _execute(self, event: OptOutEvent, plan: _Plan) -> OptOutOutcome:
        # Everything below was checked by _plan; the record edit goes first because it
        # is the only step that runs checks of its own.
        changes = list(plan.changes)
        if plan.set_flag:
            assert plan.record is not None
            plan.record.update(donotbulkemail=True, integration=True, at=event.at)
        if plan.suppression is not None and self._suppressions.add(plan.suppression):
            assert plan.suppression_text is not None
            changes.append(plan.suppression_text)
        if plan.consent is not None:
            assert self._contact_points is not None
            what = (
                f"purpose {plan.consent.purpose!r}"
                if plan.consent.topic is None
                else f"topic {plan.consent.topic!r} of purpose {plan.consent.purpose!r}"
            )
            if self._contact_points.record(plan.consent):
                changes.append(f"{plan.consent.contact_point} opted out of {what}")
            else:
                changes.append(f"{plan.consent.contact_point}: a later answer for {what} is kept")
        if plan.streak:
            self._streaks[event.key] = plan.streak
        else:
            self._streaks.pop(event.key, None)
        self._applied[event.id] = event
        outcome = OptOutOutcome(
            event=event,
            applied=True,
            changes=tuple(changes),
            suppression=plan.suppression,
            consent=plan.consent,
            updated_record=plan.record.id if plan.set_flag and plan.record else None,
        )
        self._log.append(outcome)
        return outcome


def _check_records(records: object) -> None:
    if not isinstance(records, Mapping):
        raise FieldTypeError("records", "a mapping of record ids to records", records)


def _resolve(event: OptOutEvent, records: Mapping[str, Record]) -> Record | None:
    if event.record_id is None:
        return None
    record = records.get(event.record_id)
    if record is None:
        raise UnknownRecordError(event.record_id, event.id)
    if not isinstance(record, Record):
        raise FieldTypeError("records", "a mapping of record ids to records", record)
    if record.id != event.record_id:
        raise InvalidFieldError(
            "records",
            f"a mapping of record ids to the records with those ids (key {event.record_id!r})",
            record.id,
        )
    return record
