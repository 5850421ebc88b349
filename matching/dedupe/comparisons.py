"""Comparisons: how alike two records are on one field, as a level, computed for many pairs.

Each :class:`Comparison` turns a pair of records into a level: ``0`` is the strongest
agreement (an exact match), higher levels agree less, the last level is "different", and
``-1`` means a value is missing on either side (missing never counts as agreement or
disagreement). Similarities are the ones :func:`matching.scoring.similarity` computes
(Jaro-Winkler, Levenshtein), here from rapidfuzz's vectorised kernels; a test proves the
two equal.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler, Levenshtein

from matching.dedupe.fields import Keys, Prepared

Levels = npt.NDArray[np.int8]
Indices = npt.NDArray[np.int64]
MISSING = -1


class Kind(enum.Enum):
    """What a comparison compares, which decides its levels."""

    NAME = "name"
    """A name part: exact, Jaro-Winkler >= 0.92, >= 0.80, different; first and last name
    swapped count as exact."""
    TEXT = "text"
    """Free text (a street, a city, a company): exact, >= 0.92, >= 0.80, different."""
    EMAIL = "email"
    """Exact, the same mailbox (Gmail dots and ``+tags``), the same user name, different."""
    PHONE = "phone"
    """A phone of one equal to a phone of the other (E.164), or different."""
    DATE = "date"
    """Exact, one typo or day and month swapped, the same year, different."""
    IDENTIFIER = "identifier"
    """Exact, one typo (one edit), different."""
    EXACT = "exact"
    """Exact, or different (a postcode, a state)."""
    PLACE = "place"
    """Where a record can be reached, as one piece of evidence: a shared phone and
    street, a shared phone, the same street, postcode, city or state, or none of them.
    Colleagues share an office's phone and address and relatives a home's, so these
    fields agree together between different people: counted one by one, they would
    count one shared place five times."""


LEVELS: Mapping[Kind, tuple[str, ...]] = {
    Kind.NAME: ("exact", "close", "similar", "different"),
    Kind.TEXT: ("exact", "close", "similar", "different"),
    Kind.EMAIL: ("exact", "same mailbox", "same user", "different"),
    Kind.PHONE: ("exact", "different"),
    Kind.DATE: ("exact", "typo", "same year", "different"),
    Kind.IDENTIFIER: ("exact", "typo", "different"),
    Kind.EXACT: ("exact", "different"),
    Kind.PLACE: (
        "phone and street",
        "phone",
        "street",
        "postcode",
        "city",
        "state",
        "different",
    ),
}
"""Each kind's level labels, strongest agreement first; level ``i`` is ``labels[i]``."""

CLOSE, SIMILAR = 0.92, 0.80
"""Jaro-Winkler thresholds of the ``close`` and ``similar`` levels."""


@attrs.frozen
class Comparison:
    """One comparison: its ``name`` (a level column of the pairs), its kind and the
    prepared columns it reads."""

    name: str
    kind: Kind
    columns: tuple[str, ...]

    @property
    def labels(self) -> tuple[str, ...]:
        return LEVELS[self.kind]

    def levels(
        self,
        prepared: Prepared,
        left: Indices,
        right: Indices,
        memo: dict[tuple[str, str], Levels] | None = None,
    ) -> Levels:
        """The level of every pair ``(left[i], right[i])``. ``memo`` keeps the name
        similarities of these pairs, which the first and the last name's comparisons
        share: pass one dict to every comparison of the same pairs."""
        cols = [prepared.columns[c] for c in self.columns]
        if self.kind is Kind.NAME:
            shared = {} if memo is None else memo

            def similar(a: str, b: str) -> Levels:
                if (a, b) not in shared:
                    shared[(a, b)] = _similarity_levels(
                        prepared.columns[a][left], prepared.columns[b][right]
                    )
                return shared[(a, b)]

            first, last = self.columns
            return _name_levels(
                similar(first, first),
                similar(last, last),
                similar(first, last),
                similar(last, first),
            )
        if self.kind is Kind.TEXT:
            return _similarity_levels(cols[0][left], cols[0][right])
        if self.kind is Kind.EMAIL:
            return _email_levels([c[left] for c in cols], [c[right] for c in cols])
        if self.kind is Kind.PHONE:
            return _phone_levels([c[left] for c in cols], [c[right] for c in cols])
        if self.kind is Kind.DATE:
            return _date_levels([c[left] for c in cols], [c[right] for c in cols])
        if self.kind is Kind.PLACE:
            return _place_levels([c[left] for c in cols], [c[right] for c in cols])
        if self.kind is Kind.IDENTIFIER:
            return _identifier_levels(cols[0][left], cols[0][right])
        return _exact_levels(cols[0][left], cols[0][right])


def _present(a: Keys, b: Keys) -> npt.NDArray[np.bool_]:
    return np.asarray(pd.notna(a) & pd.notna(b), dtype=bool)


def _text(values: Keys) -> list[str]:
    return ["" if v is None else v for v in values]


def jaro_winkler(a: Keys, b: Keys) -> npt.NDArray[np.float64]:
    """Jaro-Winkler similarity of each pair (0 where a side is missing)."""
    if not len(a):
        return np.zeros(0)
    return np.asarray(
        process.cpdist(
            _text(a),
            _text(b),
            scorer=JaroWinkler.normalized_similarity,
            dtype=np.float64,
            workers=-1,
        ),
        dtype=np.float64,
    )


def edit_distance(a: Keys, b: Keys) -> npt.NDArray[np.int64]:
    """Levenshtein distance of each pair."""
    if not len(a):
        return np.zeros(0, dtype=np.int64)
    return np.asarray(
        process.cpdist(_text(a), _text(b), scorer=Levenshtein.distance, workers=-1), dtype=np.int64
    )


def _equal(a: Keys, b: Keys) -> npt.NDArray[np.bool_]:
    return np.asarray(a == b, dtype=bool)


def _finish(levels: Levels, present: npt.NDArray[np.bool_]) -> Levels:
    levels[~present] = MISSING
    return levels


def _similarity_levels(a: Keys, b: Keys) -> Levels:
    present = _present(a, b)
    score = jaro_winkler(a, b)
    levels = np.full(len(a), 3, dtype=np.int8)
    levels[score >= SIMILAR] = 2
    levels[score >= CLOSE] = 1
    levels[_equal(a, b)] = 0
    return _finish(levels, present)


def _name_levels(straight: Levels, other: Levels, crossed: Levels, crossed_other: Levels) -> Levels:
    """The first name's levels from the four name similarities (called with the names the
    other way round, the last name's). When the names read better crossed (first against
    last, last against first) than straight, as a first and last name entered the other
    way round do, even with a typo, the weaker crossed level counts for both."""

    def cost(levels: Levels) -> npt.NDArray[np.int64]:
        return np.where(levels < 0, 4, levels).astype(np.int64)

    better = cost(crossed) + cost(crossed_other) < cost(straight) + cost(other)
    # Both crossed comparisons at their weaker level, so either record may be on the left.
    weaker = np.where(cost(crossed) >= cost(crossed_other), crossed, crossed_other)
    return np.where(better, weaker, straight).astype(np.int8)


def _email_levels(a: list[Keys], b: list[Keys]) -> Levels:
    email_a, canonical_a, user_a = a
    email_b, canonical_b, user_b = b
    present = _present(email_a, email_b)
    levels = np.full(len(email_a), 3, dtype=np.int8)
    levels[_equal(user_a, user_b)] = 2
    levels[_equal(canonical_a, canonical_b)] = 1
    levels[_equal(email_a, email_b)] = 0
    return _finish(levels, present)


def _phone_levels(a: list[Keys], b: list[Keys]) -> Levels:
    n = len(a[0])
    any_a = np.zeros(n, dtype=bool)
    any_b = np.zeros(n, dtype=bool)
    same = np.zeros(n, dtype=bool)
    for x in a:
        any_a |= np.asarray(pd.notna(x), dtype=bool)
        for y in b:
            same |= _present(x, y) & _equal(x, y)
    for y in b:
        any_b |= np.asarray(pd.notna(y), dtype=bool)
    levels = np.where(same, 0, 1).astype(np.int8)
    return _finish(levels, any_a & any_b)


def _place_levels(a: list[Keys], b: list[Keys]) -> Levels:
    phone1_a, phone2_a, street_a, postcode_a, city_a, state_a = a
    phone1_b, phone2_b, street_b, postcode_b, city_b, state_b = b
    phone = _phone_levels([phone1_a, phone2_a], [phone1_b, phone2_b])
    street = _similarity_levels(street_a, street_b)
    postcode = _exact_levels(postcode_a, postcode_b)
    city = _similarity_levels(city_a, city_b)
    state = _exact_levels(state_a, state_b)
    # A street agrees only where the postcode and city do not say it is another town's.
    elsewhere = (postcode == 1) | (city == 3)
    same_street = (street >= 0) & (street <= 1) & ~elsewhere
    levels = np.full(len(phone), 6, dtype=np.int8)
    levels[state == 0] = 5
    levels[(city >= 0) & (city <= 1)] = 4
    levels[postcode == 0] = 3
    levels[same_street] = 2
    levels[phone == 0] = 1
    levels[(phone == 0) & same_street] = 0
    present = (phone >= 0) | (street >= 0) | (postcode >= 0) | (city >= 0) | (state >= 0)
    return _finish(levels, present)


def _date_levels(a: list[Keys], b: list[Keys]) -> Levels:
    date_a, year_a, swapped_a = a
    date_b, year_b, _ = b
    present = _present(date_a, date_b)
    levels = np.full(len(date_a), 3, dtype=np.int8)
    levels[_equal(year_a, year_b)] = 2
    typo = (edit_distance(date_a, date_b) <= 1) | _equal(swapped_a, date_b)
    levels[typo] = 1
    levels[_equal(date_a, date_b)] = 0
    return _finish(levels, present)


def _identifier_levels(a: Keys, b: Keys) -> Levels:
    present = _present(a, b)
    levels = np.full(len(a), 2, dtype=np.int8)
    levels[edit_distance(a, b) <= 1] = 1
    levels[_equal(a, b)] = 0
    return _finish(levels, present)


def _exact_levels(a: Keys, b: Keys) -> Levels:
    present = _present(a, b)
    levels = np.where(_equal(a, b), 0, 1).astype(np.int8)
    return _finish(levels, present)


COMPARISONS: Mapping[str, tuple[Comparison, tuple[str, ...]]] = {
    c.name: (c, fields)
    for c, fields in (
        (Comparison("firstname", Kind.NAME, ("first", "last")), ("firstname", "fullname")),
        (Comparison("lastname", Kind.NAME, ("last", "first")), ("lastname", "fullname")),
        (
            Comparison("email", Kind.EMAIL, ("email", "email_canonical", "email_user")),
            ("emailaddress1",),
        ),
        (
            Comparison(
                "place",
                Kind.PLACE,
                ("phone1", "phone2", "address", "postcode", "city", "state"),
            ),
            (
                "telephone1",
                "mobilephone",
                "address1_line1",
                "address1_postalcode",
                "address1_city",
                "address1_stateorprovince",
            ),
        ),
        (Comparison("company", Kind.TEXT, ("company",)), ("companyname",)),
        (Comparison("address2", Kind.TEXT, ("address2",)), ("address1_line2",)),
        (
            Comparison("birthdate", Kind.DATE, ("birthdate", "birth_year", "birthdate_swapped")),
            ("birthdate",),
        ),
        (Comparison("governmentid", Kind.IDENTIFIER, ("governmentid",)), ("governmentid",)),
    )
}
"""The comparisons dedupe knows, by name, with the input fields that enable each."""
