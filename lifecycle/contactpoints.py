"""Contact-point consent: consent per address, channel, purpose and topic (real-time journeys).

Consent here belongs to an email address or phone number, not to a record, so
it works for contacts, leads and anyone else with that address. Each purpose has
an enforcement model: Restrictive sends only to opted-in points, Non-restrictive
sends unless opted out, Disabled never checks. A message with a topic needs
consent for both its purpose and its topic.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping

import attrs

from lifecycle.errors import FieldTypeError, InvalidFieldError
from lifecycle.fields import member_of, moment, text
from lifecycle.suppression import email_key


class Channel(enum.Enum):
    """Where a contact point receives messages."""

    EMAIL = "email"
    SMS = "sms"
    VOICE = "voice"
    CUSTOM = "custom"


class ConsentValue(enum.Enum):
    """A contact point's answer for one purpose or topic; no record means not set."""

    OPTED_IN = "opted-in"
    OPTED_OUT = "opted-out"


class Enforcement(enum.Enum):
    """How a purpose gates sends, as Customer Insights - Journeys' purposes do: restrictive
    (an opt-in is needed), non-restrictive (only an opt-out blocks) or disabled."""

    RESTRICTIVE = "restrictive"
    NON_RESTRICTIVE = "non-restrictive"
    DISABLED = "disabled"


def _point(value: object) -> str:
    if not isinstance(value, str):
        raise FieldTypeError("contact_point", "an email address or phone number", value)
    key = email_key(value) if "@" in value else value.strip()
    if not key:
        raise InvalidFieldError("contact_point", "a non-empty address or number", value)
    return key


def _name(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidFieldError("purpose", "a non-empty name", value)
    return value.strip().casefold()


def _topic(value: object) -> str | None:
    return None if value is None else _name(value)


@attrs.frozen(kw_only=True)
class ContactPointConsent:
    """One consent answer of one contact point, for a purpose or one of its topics."""

    contact_point: str = attrs.field(converter=_point)
    value: ConsentValue = attrs.field(validator=member_of(ConsentValue))
    at: dt.datetime = attrs.field(validator=moment())
    purpose: str = attrs.field(default="commercial", converter=_name)
    topic: str | None = attrs.field(default=None, converter=_topic)
    channel: Channel = attrs.field(default=Channel.EMAIL, validator=member_of(Channel))
    source: str | None = attrs.field(default=None, validator=text(200))
    reason: str | None = attrs.field(default=None, validator=text(200))


ConsentKey = tuple[str, Channel, str, str | None]


class ContactPointLedger:
    """The latest answer per (contact point, channel, purpose, topic)."""

    def __init__(self, consents: Iterable[ContactPointConsent] = ()) -> None:
        if isinstance(consents, (str, bytes, Mapping)) or not isinstance(consents, Iterable):
            raise FieldTypeError("consents", "an iterable of ContactPointConsent", consents)
        self._latest: dict[ConsentKey, ContactPointConsent] = {}
        for consent in consents:
            self.record(consent)

    def record(self, consent: ContactPointConsent) -> bool:
        """Keep ``consent`` unless a later answer for the same key is known; ``True`` if kept."""
        if not isinstance(consent, ContactPointConsent):
            raise FieldTypeError("consent", "a ContactPointConsent", consent)
        key = (consent.contact_point, consent.channel, consent.purpose, consent.topic)
        current = self._latest.get(key)
        if current is not None and (current.at > consent.at or current == consent):
            return False
        self._latest[key] = consent
        return True

    def value(
        self,
        contact_point: str | None,
        purpose: str,
        *,
        topic: str | None = None,
        channel: Channel = Channel.EMAIL,
    ) -> ConsentValue | None:
        """The latest answer for that key; ``None`` when it was never set."""
        if contact_point is None:
            return None
        consent = self._latest.get((_point(contact_point), channel, _name(purpose), _topic(topic)))
        return None if consent is None else consent.value

    def values(
        self, purpose: str, *, topic: str | None = None, channel: Channel = Channel.EMAIL
    ) -> dict[str, ConsentValue]:
        """Every contact point's latest answer for a purpose or topic (columnar use)."""
        wanted = (channel, _name(purpose), _topic(topic))
        return {k[0]: c.value for k, c in self._latest.items() if k[1:] == wanted}

    def __len__(self) -> int:
        return len(self._latest)
