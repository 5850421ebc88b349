"""A row's identity: what says which person or organisation it is, and repeats of it in
one file.

A row's identity is its primary key when the column is there and filled; else its email,
normalised as matching compares it (D2: trimmed, in any case; a placeholder such as
``test@test.com`` is no email); else its first and last name, both given, normalised (an
account's name). A row with none of them says nothing about who it is, and is not
imported: an empty row must not become a record.

Within one file, two rows with the same identity are one person written twice; by default
the later row is rejected, naming the line of the earlier one (:class:`Identities`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import attrs

from lifecycle.records import TYPE_NAME, Account, Record
from matching import normalize
from matching.io import targets
from matching.io.rejections import RowError

__all__ = ["Identities", "Identity", "identity_of", "no_identity"]


@attrs.frozen
class Identity:
    """Which record a row is: ``field`` names what says so (the primary key,
    ``emailaddress1``, or ``firstname``/``lastname``, an account's ``name``), ``value``
    the value as the row gives it and ``key`` the value compared (normalised)."""

    field: str
    value: str
    key: str

    @property
    def digest(self) -> bytes:
        """A fixed-size fingerprint of the identity, so that a file's identities fit in
        memory: 16 bytes each whatever the values."""
        return hashlib.blake2b(f"{self.field}\x00{self.key}".encode(), digest_size=16).digest()


def _filled(value: object) -> str | None:
    if isinstance(value, str):
        return value if value.strip() else None
    return None


def identity_of(kind: type[Record], values: Mapping[str, object]) -> Identity | None:
    """The identity of a row of ``kind`` read into ``values`` (keyed by field), or ``None``."""
    pk = targets.PRIMARY_KEY[kind]
    record_id = _filled(values.get(pk))
    if record_id is not None:
        return Identity(pk, record_id, record_id.strip())
    email = values.get("emailaddress1")
    key = normalize.email(email)
    if key is not None:
        return Identity("emailaddress1", str(email), key)
    if kind is Account:
        name = values.get("name")
        key = normalize.name(name)
        return None if key is None else Identity("name", str(name), key)
    first, last = values.get("firstname"), values.get("lastname")
    key = normalize.person(first, last)
    if key is None:
        return None
    return Identity("firstname/lastname", f"{first} {last}", key)


def no_identity(kind: type[Record], line: int) -> RowError:
    """The rejection of a row without an identity."""
    groups = [" and ".join(group) for group in targets.identity_columns(kind)]
    reason = (
        f"has no identity: no {', no '.join(groups[:-1])}, nor {groups[-1]}; a row that "
        f"does not say which {TYPE_NAME[kind]} it is is not imported."
    )
    return RowError(line, None, reason)


class Identities:
    """The identities seen in one file, and the line each was first seen on.

    Identities are kept as 16-byte digests, about a hundred bytes per row read."""

    def __init__(self, kind: type[Record]) -> None:
        self.kind_name = TYPE_NAME[kind]
        self._first: dict[bytes, int] = {}

    def first_line(self, identity: Identity, line: int) -> int | None:
        """The line an earlier row had ``identity`` on, or ``None`` (and ``line`` is
        remembered as its first)."""
        earlier = self._first.setdefault(identity.digest, line)
        return None if earlier == line else earlier

    def repeated(self, identity: Identity, line: int, earlier: int) -> RowError:
        """The rejection of the row on ``line`` for repeating the row on ``earlier``."""
        field = identity.field
        column = field if "/" not in field else "lastname"
        what = "first and last name" if "/" in field else field
        reason = (
            f"repeats the {what} of line {earlier} ({identity.value!r}): a file holds each "
            f"{self.kind_name} once; keep one of the two rows."
        )
        return RowError(
            line, column, reason, repeats=earlier, override="on_repeated", override_value="skip"
        )
