"""Data consents a record holds (OBM consent levels 0-5, D11 and D12).

A consent is a frozen value: a status change makes a new one. What a record's
consents amount to at a moment (its level, latest expiry and GDPR consent) is
derived, never stored, so it cannot go stale: an Active consent past its
``valid_until`` already counts as expired before :func:`expire_consents` runs.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from typing import Any

import attrs

from lifecycle.clock import require_aware
from lifecycle.errors import FieldTypeError, InvalidFieldError, TransitionNotAllowed
from lifecycle.fields import flag, member_of, moment, new_id, text


class ConsentLevel(enum.IntEnum):
    """OBM GDPR consent levels; a higher level includes every lower one."""

    NONE = 0
    CONSENT = 1
    TRANSACTIONAL = 2
    SUBSCRIPTION = 3
    MARKETING = 4
    PROFILING = 5


class ConsentStatus(enum.Enum):
    """Lifecycle of one data consent (D12)."""

    ACTIVE = "active"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    ANONYMIZED = "anonymized"


class GdprConsent(enum.Enum):
    """A data subject's overall consent (the "Data Protection Consent" field)."""

    NONE = "none"
    EXPLICIT = "explicit"
    INHERENT = "inherent"
    RESTRICT = "restrict"


def consent_level(field: str, value: object) -> ConsentLevel:
    """``value`` as a :class:`ConsentLevel` (a whole number 0-5, not a bool), or a typed
    error naming ``field``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldTypeError(field, "a consent level 0-5", value)
    if not 0 <= value <= 5:
        raise InvalidFieldError(field, "a consent level from 0 to 5", value)
    return ConsentLevel(value)


def _level(value: object) -> ConsentLevel:
    return consent_level("level", value)


_MOVES: dict[str, tuple[frozenset[ConsentStatus], ConsentStatus]] = {
    "cancel": (frozenset({ConsentStatus.ACTIVE}), ConsentStatus.CANCELLED),
    "reactivate": (frozenset({ConsentStatus.CANCELLED}), ConsentStatus.ACTIVE),
    "expire": (frozenset({ConsentStatus.ACTIVE}), ConsentStatus.EXPIRED),
    "anonymize": (frozenset(ConsentStatus), ConsentStatus.ANONYMIZED),
}
"""Consent status moves: only Cancelled can be reactivated; Expired and Anonymized are final."""


@attrs.frozen(kw_only=True)
class DataConsent:
    """One consent given by a person, at a level, under a policy, until ``valid_until``.

    ``explicit`` is False for consent inherited from a legal basis rather than
    given by the person (it then makes the GDPR consent Inherent, not Explicit).
    """

    level: ConsentLevel = attrs.field(converter=_level)
    id: str = attrs.field(factory=new_id)
    status: ConsentStatus = attrs.field(
        default=ConsentStatus.ACTIVE, validator=member_of(ConsentStatus)
    )
    policy: str | None = attrs.field(default=None, validator=text(200))
    valid_until: dt.datetime | None = attrs.field(default=None, validator=moment())
    given_on: dt.datetime | None = attrs.field(default=None, validator=moment())
    explicit: bool = attrs.field(default=True, validator=flag())
    confidential: bool = attrs.field(default=False, validator=flag())

    def is_active_at(self, at: dt.datetime) -> bool:
        """Active and not past ``valid_until`` at ``at``."""
        return self.status is ConsentStatus.ACTIVE and (
            self.valid_until is None or self.valid_until > at
        )

    def cancel(self) -> DataConsent:
        """Active → Cancelled: the one inactive status that can be reactivated."""
        return self._move("cancel")

    def reactivate(self) -> DataConsent:
        """Cancelled → Active."""
        return self._move("reactivate")

    def expire(self) -> DataConsent:
        """Active → Expired; final."""
        return self._move("expire")

    def anonymize(self) -> DataConsent:
        """Any → Anonymized; the policy text goes too. Final."""
        return attrs.evolve(self._move("anonymize"), policy=None)

    def _move(self, trigger: str) -> DataConsent:
        sources, dest = _MOVES[trigger]
        if self.status not in sources:
            raise TransitionNotAllowed(trigger, self.status.value, self.id)
        return attrs.evolve(self, status=dest)


def consent_tuple(value: object) -> tuple[DataConsent, ...]:
    """Converter for a record's ``consents``: an iterable of :class:`DataConsent` to a
    tuple; anything else is a :class:`~lifecycle.errors.FieldTypeError` naming ``consents``."""
    if value == ():
        return ()
    if isinstance(value, tuple) and all(isinstance(c, DataConsent) for c in value):
        return value
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise FieldTypeError("consents", "a sequence of DataConsent", value)
    items = tuple(value)
    for item in items:
        if not isinstance(item, DataConsent):
            raise FieldTypeError("consents", "a sequence of DataConsent", item)
    return items


def anonymized(consents: Iterable[DataConsent]) -> tuple[DataConsent, ...]:
    """Every consent turned Anonymized (D12: what anonymising a record does to them)."""
    return tuple(c.anonymize() for c in consents)


@attrs.frozen
class ConsentSummary:
    """What a record's consents amount to at one moment."""

    level: ConsentLevel
    maximum_expiry: dt.datetime | None
    """Latest ``valid_until`` among consents active at that moment; ``None`` if none
    expires or none is active (see ``active``)."""
    active: int
    gdpr: GdprConsent


def consent_summary(record: Any, at: dt.datetime) -> ConsentSummary:
    """Consent level (highest active), maximum expiry and GDPR consent of ``record`` at ``at``.

    GDPR consent is Restrict when the person restricted processing or every
    consent they gave is inactive; Explicit with an active explicit consent;
    Inherent when only consent from a legal basis is active; None with no consent.
    """
    require_aware("at", at)
    consents = record.consents
    live = [c for c in consents if c.is_active_at(at)]
    level = max((c.level for c in live), default=ConsentLevel.NONE)
    expiries = [c.valid_until for c in live]
    maximum_expiry = None if not live or None in expiries else max(e for e in expiries if e)
    if getattr(record, "consent_restricted", False) or (consents and not live):
        gdpr = GdprConsent.RESTRICT
    elif any(c.explicit for c in live):
        gdpr = GdprConsent.EXPLICIT
    elif live or getattr(record, "consent_inherent", False):
        gdpr = GdprConsent.INHERENT
    else:
        gdpr = GdprConsent.NONE
    return ConsentSummary(level, maximum_expiry, len(live), gdpr)


@attrs.frozen
class ExpiryReport:
    """What :func:`expire_consents` did: how many consents expired, on how many records."""

    expired: int
    records: int


def expire_consents(records: Iterable[Any], at: dt.datetime) -> ExpiryReport:
    """Turn every Active consent past its ``valid_until`` at ``at`` into Expired (D12).

    Consents are values, so each touched record gets a new consent list. Running
    it twice changes nothing the second time.
    """
    require_aware("at", at)
    expired = touched = 0
    for record in records:
        consents = record.consents
        if not any(
            c.status is ConsentStatus.ACTIVE and c.valid_until is not None and c.valid_until <= at
            for c in consents
        ):
            continue
        renewed = tuple(
            c.expire()
            if c.status is ConsentStatus.ACTIVE
            and c.valid_until is not None
            and c.valid_until <= at
            else c
            for c in consents
        )
        expired += sum(a is not b for a, b in zip(consents, renewed, strict=True))
        touched += 1
        object.__setattr__(record, "consents", renewed)
    return ExpiryReport(expired, touched)
