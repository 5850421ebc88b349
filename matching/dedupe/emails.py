"""Email keys for batch dedupe, vectorised: :func:`emails` equals ``map_values(column, n,
normalize.email)`` and ``map_values(column, n, normalize.email_canonical)`` at a fraction
of the cost.

:func:`matching.normalize.email` and ``email_canonical`` (which runs it again) work one
value at a time in Python, too slow for a million records. Most addresses are
plain ASCII (``Jane.Doe+news@Gmail.com``), whose key is ``value.strip().lower()``:
``clean`` keeps printable ASCII, NFKC and casefolding only lowercase it, a local part of
RFC 5322 atoms and dots has no ``<``, ``>`` or ``mailto:`` to unwrap, IDNA leaves an ASCII
domain as it is, and the label, length and numeric-TLD checks are written into
:data:`PLAIN`. Placeholders are then looked up as ``normalize._placeholder_address`` does.
Every other value (Unicode, IDN domains, wrapping, trailing dots, tabs, non-strings) goes
through :func:`matching.normalize.email`, once per distinct value. The canonical key is a
function of the email key alone, so it is derived from the keys with
:data:`~matching.normalize.EMAIL_PROVIDERS`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import compress

import numpy as np
import numpy.typing as npt
import pandas as pd

from matching import normalize
from matching._normalize_tables import PLACEHOLDER_DOMAINS
from matching.dedupe.arrays import Keys

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
PLAIN = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}"
    rf"@(?=[A-Za-z0-9.-]{{1,253}}\Z)(?:{_LABEL}\.)+(?![0-9]+\Z){_LABEL}"
)
"""The addresses keyed without :func:`matching.normalize.email` once stripped of spaces:
ASCII atoms and dots (at most 64), ``@``, then at least two DNS labels (at most 63
letters, digits and inner hyphens each, 253 characters in all), the last not all digits.
Explicit ASCII classes and no ``re.IGNORECASE``, which would let the Kelvin sign or the
long s match ``[a-z]``."""

_PLACEHOLDER_LOCAL_PARTS = list(normalize._PLACEHOLDER_LOCAL_PARTS)
_PLACEHOLDER_EMAILS = normalize._PLACEHOLDER_EMAILS
_PLACEHOLDER_EMAIL_MAILBOXES = [email.partition("@")[0] for email in _PLACEHOLDER_EMAILS]
_PLACEHOLDER_ENDINGS = (*(f"@{domain}" for domain in PLACEHOLDER_DOMAINS), ".invalid")
"""Placeholder domains as key endings: a key has one ``@``, so its domain is the tail."""
_PROVIDER_ENDINGS = tuple(f"@{domain}" for domain in normalize.EMAIL_PROVIDERS)
_PROVIDER_RULES = {
    domain: (provider.tag_separator, provider.ignores_dots, f"@{provider.domain}")
    for domain, provider in normalize.EMAIL_PROVIDERS.items()
}


def emails(column: pd.Series | None, n: int) -> tuple[Keys, Keys]:
    """:func:`matching.normalize.email` and :func:`~matching.normalize.email_canonical` of
    every value of ``column``, ``None`` for missing values; equal to ``map_values`` of each."""
    if column is None:
        return np.full(n, None, dtype=object), np.full(n, None, dtype=object)
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    values = np.asarray(uniques, dtype=object)
    keys = np.full(len(values) + 1, None, dtype=object)
    plain, plain_keys = _plain(values)
    keys[np.flatnonzero(plain)] = plain_keys
    other = np.flatnonzero(~plain)
    keys[other] = _objects(normalize.email(value) for value in values[other])
    return keys[codes], _canonical(keys)[codes]


def _plain(values: npt.NDArray[np.object_]) -> tuple[npt.NDArray[np.bool_], Keys]:
    """Which ``values`` match :data:`PLAIN` once stripped of spaces, and their keys, in
    order: lowercased, ``None`` for placeholders."""
    plain = np.zeros(len(values), dtype=bool)
    exact = np.flatnonzero([type(value) is str for value in values])
    stripped = [value.strip(" ") for value in values[exact]]
    matched = np.array([PLAIN.fullmatch(value) is not None for value in stripped], dtype=bool)
    plain[exact[matched]] = True
    keys = _objects(value.lower() for value in compress(stripped, matched.tolist()))
    # normalize._mailbox: the local part without +tag, dots, hyphens and underscores.
    locals_ = (key.partition("+")[0].partition("@")[0] for key in keys)
    mailboxes = pd.Series(
        _objects(local.replace(".", "").replace("-", "").replace("_", "") for local in locals_)
    )
    placeholder = ((mailboxes == "") | mailboxes.isin(_PLACEHOLDER_LOCAL_PARTS)).to_numpy(bool)
    placeholder |= np.array([key.endswith(_PLACEHOLDER_ENDINGS) for key in keys], dtype=bool)
    for i in np.flatnonzero(mailboxes.isin(_PLACEHOLDER_EMAIL_MAILBOXES)):
        domain = str(keys[i]).partition("@")[2]
        placeholder[i] |= f"{mailboxes[i]}@{domain}" in _PLACEHOLDER_EMAILS
    keys[placeholder] = None
    return plain, keys


def _canonical(keys: Keys) -> Keys:
    """:func:`matching.normalize.email_canonical` of every email key (``None`` or one ``@``)."""
    canonical = keys.copy()
    rows = np.flatnonzero([key is not None and key.endswith(_PROVIDER_ENDINGS) for key in keys])
    canonical[rows] = _objects(_mailbox_key(key) for key in keys[rows])
    return canonical


def _mailbox_key(key: str) -> str | None:
    """A key at a provider's domain with its tag and ignored dots dropped and the canonical
    domain; ``None`` when no local part is left."""
    local, _, domain = key.partition("@")
    separator, ignores_dots, at = _PROVIDER_RULES[domain]
    if separator:
        local = local.partition(separator)[0]
    if ignores_dots:
        local = local.replace(".", "")
    return local + at if local else None


def _objects(items: Iterable[str | None]) -> Keys:
    """``items`` as an object array (a list would go through a fixed-width string array)."""
    return np.fromiter(items, dtype=object)
