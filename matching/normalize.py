"""Normalisers that turn field values into match keys.

Each is pure and idempotent (``f(f(x)) == f(x)`` on its own output) and returns
``None`` for empty or junk input: a missing value never matches anything.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

DEFAULT_REGION = "US"
"""Region assumed for phone numbers written without a country code."""

_SPACES = re.compile(r"\s+")
_NAME_JUNK = re.compile(r"[^\w\s'-]")
_EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def email(value: object) -> str | None:
    """The match key of an email address: trimmed, casefolded, domain in IDNA (punycode).

    ``None`` when blank or not shaped like ``local@domain.tld``.
    """
    if not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFKC", value).strip().casefold()
    if not _EMAIL_SHAPE.match(text):
        return None
    local, _, domain = text.rpartition("@")
    domain = domain.rstrip(".")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    if "." not in domain:
        return None
    return f"{local}@{domain}"


def phone(value: object, region: str = DEFAULT_REGION) -> str | None:
    """The E.164 form of a phone number (``+14255550100``); ``None`` when not a possible number."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def name(value: object) -> str | None:
    """A name part as a key: NFKC, casefolded, accents folded, punctuation dropped, one space."""
    if not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", value).casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _SPACES.sub(" ", _NAME_JUNK.sub(" ", text)).strip(" '-")
    return text or None


def person(firstname: object, lastname: object) -> str | None:
    """The key of a full name, ``last|first``; ``None`` unless both parts are present."""
    first, last = name(firstname), name(lastname)
    if first is None or last is None:
        return None
    return f"{last}|{first}"
