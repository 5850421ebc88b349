"""Normalisers that turn field values into match keys.

Each takes any object, is pure and idempotent (``f(f(x)) == f(x)`` on its own output)
and returns ``None``, "missing", for a non-string, blank or junk value: missing never
matches. Only misuse raises (:class:`NormalisationError`, such as an unknown region code).
Every text is cleaned first: lone surrogates make it missing, and invisible format and
control characters (zero-width spaces, byte-order marks, NUL) are deleted.

Decisions where real data forces a choice:

- Placeholder addresses people type into forms (``test@test.com``, ``noemail@…``) are
  missing; role addresses (``noreply@``, ``info@``) are real mailboxes and keep their key.
- :func:`email_canonical` is a second key beside :func:`email`, never a replacement.
  Yahoo is not folded: its ``base-keyword`` addresses do not name the mailbox.
- A phone number needs its area code: ``+1 555 0100`` (7 digits, possible only as a
  local number) is missing, while the fictional ``+1 206 555 0100`` is kept, as
  phonenumbers calls it valid and demo and test data use the range. Numbers phonenumbers
  cannot vouch for are kept when possible (its ranges lag new assignments) unless all
  digits are one digit or a run (``0000000000``, ``1234567890``).
- Apostrophes (straight, curly, modifier letters) are deleted inside names, so O'Brien
  and OBrien share a key; other punctuation separates words. ``O Brien`` stays apart:
  joining a lone letter to the next word would also join initials ("J R Smith") and
  break order-insensitive keys, so it is left to fuzzy comparison.
"""

from __future__ import annotations

import functools
import re
from itertools import pairwise

import phonenumbers

from matching import _normalize_tables as tables
from matching._folding import clean, folded, initials_joined
from matching._folding import words as words_of
from matching._normalize_tables import EMAIL_PROVIDERS, EmailProvider
from matching.errors import NormalisationError

__all__ = [
    "DEFAULT_REGION",
    "EMAIL_PROVIDERS",
    "EmailProvider",
    "NormalisationError",
    "company",
    "email",
    "email_canonical",
    "identifier",
    "name",
    "person",
    "person_tokens",
    "phone",
    "text",
    "transposed",
]

DEFAULT_REGION = "US"
"""Region assumed for phone numbers written without a country code."""

_CACHED_KEYS = 16_384
"""Keys remembered per normaliser: one submission normalises the same address, phones and
names several times (screening, lookup, scoring, stored keys), and a normaliser is pure."""


# --- text --------------------------------------------------------------------------------


def text(value: object) -> str | None:
    """The generic key of a field: NFKC, casefolded, whitespace collapsed."""
    cleaned = clean(value)
    if cleaned is None:
        return None
    return " ".join(folded(cleaned).split()) or None


def identifier(value: object) -> str | None:
    """The key of an id (form, page): trimmed, case kept, except that a GUID, which is
    case-insensitive, is lowercased without braces."""
    cleaned = clean(value)
    if cleaned is None:
        return None
    key = cleaned.strip()
    guid = _GUID.fullmatch(key)
    return guid[1].lower() if guid else key or None


_GUID = re.compile(r"\{?([0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})\}?")


# --- email -------------------------------------------------------------------------------


def email(value: object) -> str | None:
    """The key of an email address: trimmed, casefolded, domain in IDNA (punycode).

    ``None`` unless shaped like ``local@domain.tld``, or when a placeholder."""
    return _email(str(value)) if isinstance(value, str) else None


@functools.lru_cache(maxsize=_CACHED_KEYS)
def _email(value: str) -> str | None:
    cleaned = clean(value)
    if cleaned is None:
        return None
    address = _unwrapped(folded(cleaned))
    if not _ADDRESS.fullmatch(address):
        return None
    local, _, domain = address.partition("@")
    try:
        domain = domain.rstrip(".").encode("idna").decode("ascii")
    except UnicodeError:
        return None
    labels = domain.split(".")
    if (
        len(labels) < 2
        or labels[-1].isdigit()
        or not all(_LABEL.fullmatch(label) for label in labels)
        or len(local.encode()) > 64
        or len(domain) > 253
        or _placeholder_address(local, domain)
    ):
        return None
    return f"{local}@{domain}"


def email_canonical(value: object) -> str | None:
    """The mailbox key of an address: :func:`email` with the provider's sub-address tags
    and ignored dots dropped (:data:`EMAIL_PROVIDERS`); other domains keep ``email``."""
    key = email(value)
    if key is None:
        return None
    local, _, domain = key.partition("@")
    provider = EMAIL_PROVIDERS.get(domain)
    if provider is None:
        return key
    if provider.tag_separator:
        local = local.partition(provider.tag_separator)[0]
    if provider.ignores_dots:
        local = local.replace(".", "")
    return f"{local}@{provider.domain}" if local else None


_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+")
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


def _unwrapped(address: str) -> str:
    """Without surrounding space, ``<…>`` and ``mailto:``."""
    while True:
        inner = address.strip().removeprefix("mailto:")
        if inner.startswith("<") and inner.endswith(">"):
            inner = inner[1:-1]
        if inner == address:
            return address
        address = inner


def _mailbox(local: str) -> str:
    """A local part as placeholders are compared: no ``+tag``, dots, hyphens or underscores."""
    return re.sub(r"[._-]", "", local.partition("+")[0])


def _placeholder_address(local: str, domain: str) -> bool:
    mailbox = _mailbox(local)
    return (
        not mailbox
        or mailbox in _PLACEHOLDER_LOCAL_PARTS
        or f"{mailbox}@{domain}" in _PLACEHOLDER_EMAILS
        or domain in tables.PLACEHOLDER_DOMAINS
        or domain.endswith(".invalid")
    )


_PLACEHOLDER_LOCAL_PARTS = frozenset(map(_mailbox, tables.PLACEHOLDER_LOCAL_PARTS))
_PLACEHOLDER_EMAILS = frozenset(
    f"{_mailbox(local)}@{domain}"
    for local, _, domain in (a.partition("@") for a in tables.PLACEHOLDER_EMAILS)
)


# --- phone -------------------------------------------------------------------------------


def phone(value: object, region: str = DEFAULT_REGION) -> str | None:
    """The E.164 form of a phone number (``+14255550100``), extension dropped.

    ``region`` (ISO 3166 code, any case) applies to numbers without a country code; a
    leading ``00`` also reads as ``+`` where the region dials abroad otherwise. ``None``
    unless a complete possible number, or when its digits are a placeholder."""
    known = _region(region)
    return _phone(str(value), known) if isinstance(value, str) else None


@functools.lru_cache(maxsize=_CACHED_KEYS)
def _phone(value: str, known: str) -> str | None:
    cleaned = clean(value)
    if cleaned is None:
        return None
    cleaned = cleaned.strip()
    parsed = _parsed(cleaned, known)
    if parsed is None and cleaned.startswith("00"):
        parsed = _parsed(f"+{cleaned[2:]}", known)
    if parsed is None or _placeholder_digits(phonenumbers.national_significant_number(parsed)):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _region(region: object) -> str:
    if isinstance(region, str) and region.upper() in phonenumbers.SUPPORTED_REGIONS:
        return region.upper()
    raise NormalisationError("region", "a region code phonenumbers knows, like 'US'", region)


def _parsed(number: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None
    possible = phonenumbers.is_possible_number_with_reason(parsed)
    return parsed if possible == phonenumbers.ValidationResult.IS_POSSIBLE else None


def _placeholder_digits(digits: str) -> bool:
    """One digit throughout, or a run up or down (``1234567890``, ``9876543210``)."""
    steps = {(int(b) - int(a)) % 10 for a, b in pairwise(digits)}
    return len(steps) <= 1 and steps <= {0, 1, 9}


# --- names -------------------------------------------------------------------------------


def name(value: object) -> str | None:
    """A name part as a key: NFKC, casefolded, accents folded, apostrophes deleted, other
    punctuation a space, ``&`` as ``and``, one space between words; placeholders missing."""
    return _name(str(value)) if isinstance(value, str) else None


@functools.lru_cache(maxsize=_CACHED_KEYS)
def _name(value: str) -> str | None:
    key = " ".join(words_of(value))
    return None if _placeholder(key, _PLACEHOLDER_NAMES, _REPEATED_LETTER) else key


def person(firstname: object, lastname: object) -> str | None:
    """The key of a full name, ``last|first``; ``None`` unless both parts are present."""
    first, last = name(firstname), name(lastname)
    if first is None or last is None:
        return None
    return f"{last}|{first}"


def person_tokens(*parts: object) -> str | None:
    """An order-insensitive key of a full name: the words of every part, sorted.

    Takes ``(first, last)`` or a whole name; ``None`` when a part is missing or there
    are fewer than two words, so "Dana Reyes" and "Reyes Dana" share a key."""
    if all(type(part) is str for part in parts):
        return _person_tokens(parts)
    return _person_tokens_of(parts)


@functools.lru_cache(maxsize=_CACHED_KEYS)
def _person_tokens(parts: tuple[str, ...]) -> str | None:
    return _person_tokens_of(parts)


def _person_tokens_of(parts: tuple[object, ...]) -> str | None:
    keys = [key for key in map(name, parts) if key is not None]
    words = sorted(" ".join(keys).split())
    if len(keys) < len(parts) or len(words) < 2:
        return None
    key = " ".join(words)
    return key if name(key) == key else None


def transposed(first_a: object, last_a: object, first_b: object, last_b: object) -> bool:
    """Whether name B is name A with first and last name swapped (not the same name)."""
    key = person(first_a, last_a)
    return key is not None and key == person(last_b, first_b) != person(first_b, last_b)


def company(value: object) -> str | None:
    """A company name as a key: :func:`name` rules, dotted or spaced initials joined
    (``L.L.C.``), a leading "The" and trailing legal forms dropped; ``None`` when
    nothing else is left or a placeholder (``Self-employed``)."""
    return _company(str(value)) if isinstance(value, str) else None


@functools.lru_cache(maxsize=_CACHED_KEYS)
def _company(value: str) -> str | None:
    key = " ".join(_company_words(value))
    return None if _placeholder(key, _PLACEHOLDER_COMPANIES, _REPEATED_X) else key


def _company_words(value: object) -> list[str]:
    words = initials_joined(words_of(value))
    while len(words) > 1 and words[0] == "the":
        del words[0]
    stripped = True
    while stripped:
        stripped = False
        for suffix in _LEGAL_SUFFIXES:
            if tuple(words[-len(suffix) :]) == suffix:
                del words[-len(suffix) :]
                stripped = True
                break
    return words


def _placeholder(key: str, placeholders: frozenset[str], repeated: re.Pattern[str]) -> bool:
    return (
        not key
        or key in placeholders
        or repeated.fullmatch(key) is not None
        or key.replace(" ", "").isdigit()
    )


_REPEATED_LETTER = re.compile(r"([a-z])\1{2,}")
_REPEATED_X = re.compile(r"x{3,}")
_PLACEHOLDER_NAMES = frozenset(" ".join(words_of(raw)) for raw in tables.PLACEHOLDER_NAMES)
_LEGAL_SUFFIXES = sorted(
    {tuple(initials_joined(words_of(raw))) for raw in tables.LEGAL_SUFFIXES}, key=len, reverse=True
)
_PLACEHOLDER_COMPANIES = frozenset(
    " ".join(_company_words(raw)) for raw in tables.PLACEHOLDER_COMPANIES
)
