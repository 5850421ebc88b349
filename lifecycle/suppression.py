"""The organisation's suppression list: addresses the marketing engine will not send to (D13).

Entries are keyed on the normalised address, not on a record: a suppressed
address stays suppressed whichever contact or lead carries it. Hard bounces
suppress for 180 days, spam complaints for ever; a per-sending-account opt-out
suppresses only sends from that account.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Iterator, Mapping

import attrs

from lifecycle.clock import require_aware
from lifecycle.errors import FieldTypeError, InvalidFieldError
from lifecycle.fields import member_of, moment, reference

HARD_BOUNCE_DAYS = 180
"""How long a hard bounce keeps an address suppressed (CI-J suppression lists)."""


def email_key(address: object) -> str | None:
    """The lookup key of an email address: trimmed and casefolded; ``None`` when blank.

    ``matching`` builds its fuller normaliser (IDNA domains, provider keys) on this.
    """
    if address is None:
        return None
    if not isinstance(address, str):
        raise FieldTypeError("address", "a str or None", address)
    key = address.strip().casefold()
    return key or None


class SuppressionReason(enum.Enum):
    """Why an address is suppressed; the value is the decision's reason code."""

    HARD_BOUNCE = "suppressed-hard-bounce"
    SPAM_COMPLAINT = "suppressed-spam-complaint"
    SENDING_ACCOUNT_OPT_OUT = "suppressed-sending-account"


def _key(value: object) -> str:
    key = email_key(value)
    local, at, domain = (key or "").rpartition("@")
    if key is None or not at or not local or "." not in domain or " " in key:
        raise InvalidFieldError("address", "an email address like name@example.com", value)
    return key


@attrs.frozen(kw_only=True)
class Suppression:
    """One suppression of an address, from ``since`` until ``until`` (``None``: for ever)."""

    address: str = attrs.field(converter=_key)
    reason: SuppressionReason = attrs.field(validator=member_of(SuppressionReason))
    since: dt.datetime = attrs.field(validator=moment())
    until: dt.datetime | None = attrs.field(default=None, validator=moment())
    sending_account: str | None = attrs.field(default=None, validator=reference())
    """Set for a user-level opt-out, and only then: only sends from this account are suppressed."""

    def __attrs_post_init__(self) -> None:
        scoped = self.reason is SuppressionReason.SENDING_ACCOUNT_OPT_OUT
        if scoped and self.sending_account is None:
            raise InvalidFieldError(
                "sending_account", "given for a sending-account opt-out", self.sending_account
            )
        if not scoped and self.sending_account is not None:
            raise InvalidFieldError(
                "sending_account", f"None for a {self.reason.name.lower()}", self.sending_account
            )
        if self.until is not None and self.until <= self.since:
            raise InvalidFieldError("until", f"later than since ({self.since})", self.until)

    def applies(self, at: dt.datetime, sending_account: str | None = None) -> bool:
        """In force at ``at`` for a send from ``sending_account``.

        A send that names no sending account is not blocked by account-scoped opt-outs.
        """
        require_aware("at", at)
        if at < self.since or (self.until is not None and at >= self.until):
            return False
        return self.sending_account is None or self.sending_account == sending_account


class SuppressionList:
    """Suppressions by address; adding the same suppression twice keeps one."""

    def __init__(self, entries: Iterable[Suppression] = ()) -> None:
        if isinstance(entries, (str, bytes, Mapping)) or not isinstance(entries, Iterable):
            raise FieldTypeError("entries", "an iterable of Suppression", entries)
        self._by_address: dict[str, list[Suppression]] = {}
        for entry in entries:
            self.add(entry)

    def add(self, entry: Suppression) -> bool:
        """Record ``entry``; ``False`` when the very same suppression was already there."""
        if not isinstance(entry, Suppression):
            raise FieldTypeError("entry", "a Suppression", entry)
        entries = self._by_address.setdefault(entry.address, [])
        if entry in entries:
            return False
        entries.append(entry)
        return True

    def active(
        self, address: str | None, at: dt.datetime, sending_account: str | None = None
    ) -> tuple[Suppression, ...]:
        """The suppressions of ``address`` in force at ``at`` for that sending account."""
        require_aware("at", at)
        key = email_key(address)
        if key is None:
            return ()
        return tuple(e for e in self._by_address.get(key, ()) if e.applies(at, sending_account))

    def reasons_by_address(
        self, at: dt.datetime, sending_account: str | None = None
    ) -> dict[str, tuple[SuppressionReason, ...]]:
        """Every suppressed address key with its reasons in force at ``at``, each once, in
        the order :meth:`active` lists them (columnar use)."""
        require_aware("at", at)
        result: dict[str, tuple[SuppressionReason, ...]] = {}
        for address, entries in self._by_address.items():
            reasons = tuple(
                dict.fromkeys(e.reason for e in entries if e.applies(at, sending_account))
            )
            if reasons:
                result[address] = reasons
        return result

    def __iter__(self) -> Iterator[Suppression]:
        for entries in self._by_address.values():
            yield from entries

    def __len__(self) -> int:
        return sum(len(entries) for entries in self._by_address.values())
