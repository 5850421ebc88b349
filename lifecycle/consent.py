"""Data consents a record holds (OBM consent levels 0-5, D11 and D12).

A consent is a frozen value: changing its status makes a new one. The record's
consent level is the highest level among its active consents.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Iterable

import attrs

from lifecycle.fields import moment, text


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


def _new_id() -> str:
    return str(uuid.uuid4())


@attrs.frozen(kw_only=True)
class DataConsent:
    """One consent given by a person, at a level, under a policy, until ``valid_until``."""

    level: ConsentLevel = attrs.field(converter=ConsentLevel)
    id: str = attrs.field(factory=_new_id)
    status: ConsentStatus = ConsentStatus.ACTIVE
    policy: str | None = attrs.field(default=None, validator=text(200))
    valid_until: dt.datetime | None = attrs.field(default=None, validator=moment())
    given_on: dt.datetime | None = attrs.field(default=None, validator=moment())
    confidential: bool = False


def active_consents(consents: Iterable[DataConsent]) -> tuple[DataConsent, ...]:
    """The consents whose status is Active."""
    return tuple(c for c in consents if c.status is ConsentStatus.ACTIVE)


def anonymized(consents: Iterable[DataConsent]) -> list[DataConsent]:
    """Every consent turned Anonymized (D12: what anonymising a record does to them)."""
    return [attrs.evolve(c, status=ConsentStatus.ANONYMIZED, policy=None) for c in consents]
