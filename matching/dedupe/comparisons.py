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

from matching.dedupe.arrays import Codes, Keys
from matching.dedupe.fields import Prepared

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
    """Exact, the same mailbox (Gmail dots and ``+tags``), or different. The same user
    name at two domains is no level of its own: ``jason.graham@`` is what every Jason
    Graham writes, so it says no more than the names already do."""
    PHONE = "phone"
    """A phone of one equal to a phone of the other (E.164), or different."""
    DATE = "date"
    """Exact, one typo or day and month swapped, the same year, different."""
    IDENTIFIER = "identifier"
    """Exact, one typo (one edit), different."""
    EXACT = "exact"
    """Exact, or different (a postcode, a state)."""
    PLACE = "place"
    """Where a record works or lives, as one piece of evidence: a shared phone and
    street, a shared phone, the same street, company, postcode, city or state, or none
    of them. Colleagues share a company and its office's phone and address, relatives a
    home's, so these fields agree together between different people: counted one by
    one, they would count one shared place six times."""


LEVELS: Mapping[Kind, tuple[str, ...]] = {
    Kind.NAME: ("exact", "close", "similar", "different"),
    Kind.TEXT: ("exact", "close", "similar", "different"),
    Kind.EMAIL: ("exact", "same mailbox", "different"),
    Kind.PHONE: ("exact", "different"),
    Kind.DATE: ("exact", "typo", "same year", "different"),
    Kind.IDENTIFIER: ("exact", "typo", "different"),
    Kind.EXACT: ("exact", "different"),
    Kind.PLACE: (
        "phone and street",
        "phone",
        "street",
        "company",
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
        if self.kind is Kind.NAME:
            shared = {} if memo is None else memo
            first, last = self.columns
            (first_codes, last_codes), uniques = prepared.coded(first, last)
            by_name = {first: first_codes, last: last_codes}

            def similar(a: str, b: str, where: npt.NDArray[np.bool_] | None = None) -> Levels:
                if (a, b) not in shared:
                    if where is None:
                        found = _similarity_levels(by_name[a][left], by_name[b][right], uniques)
                    else:
                        # Only where it can matter; elsewhere "missing", which never wins.
                        found = np.full(len(left), MISSING, dtype=np.int8)
                        found[where] = _similarity_levels(
                            by_name[a][left[where]], by_name[b][right[where]], uniques
                        )
                    shared[(a, b)] = found
                return shared[(a, b)]

            straight, other = similar(first, first), similar(last, last)
            # Names read crossed only when they do not already agree exactly as written.
            loose = (straight != 0) | (other != 0)
            return _name_levels(
                straight, other, similar(first, last, loose), similar(last, first, loose)
            )
        if self.kind is Kind.TEXT:
            (codes,), uniques = prepared.coded(self.columns[0])
            return _similarity_levels(codes[left], codes[right], uniques)
        if self.kind is Kind.EMAIL:
            return _email_levels(*(_sides(prepared, c, left, right) for c in self.columns))
        if self.kind is Kind.PHONE:
            return _phone_levels(prepared, self.columns, left, right)
        if self.kind is Kind.DATE:
            return _date_levels(prepared, self.columns, left, right)
        if self.kind is Kind.PLACE:
            return _place_levels(prepared, self.columns, left, right)
        (codes,), uniques = prepared.coded(self.columns[0])
        if self.kind is Kind.IDENTIFIER:
            return _identifier_levels(codes[left], codes[right], uniques)
        return _exact_levels(codes[left], codes[right])


Sides = tuple[Codes, Codes]
"""One column's codes for the left and the right record of each pair."""


def _sides(prepared: Prepared, column: str, left: Indices, right: Indices) -> Sides:
    (codes,), _ = prepared.coded(column)
    return codes[left], codes[right]


def _text(values: Keys) -> list[str]:
    return ["" if v is None else v for v in values]


def jaro_winkler(a: Keys, b: Keys) -> npt.NDArray[np.float64]:
    """Jaro-Winkler similarity of each pair (0 where a side is missing)."""
    return _jaro_winkler(np.array(_text(a), dtype=object), np.array(_text(b), dtype=object))


def _jaro_winkler(a: Keys, b: Keys) -> npt.NDArray[np.float64]:
    """Jaro-Winkler similarity of each pair of present values (``str`` on both sides)."""
    if not len(a):
        return np.zeros(0)
    return np.asarray(
        process.cpdist(
            a.tolist(),
            b.tolist(),
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


SAMPLE = 10_000
"""Pairs looked at to tell whether pairs of values repeat enough to find the distinct ones."""


def _distinct(
    a: Codes, b: Codes
) -> tuple[npt.NDArray[np.bool_], Codes, Codes, npt.NDArray[np.intp]]:
    """Where both values are present and differ, and the distinct ``(a, b)`` code pairs
    there with the index of each pair's distinct pair: a similarity is computed once per
    distinct pair of values however many record pairs share it. When a sample of the
    pairs shows them mostly distinct (streets, surnames), finding the distinct pairs
    would cost more than it saves, and every pair stands for itself."""
    differ = (a >= 0) & (b >= 0) & (a != b)
    base = int(max(a.max(initial=0), b.max(initial=0))) + 1
    keys = a[differ] * base + b[differ]
    sample = keys[:: max(1, len(keys) // SAMPLE)]
    if len(pd.unique(sample)) > len(sample) // 2:
        return differ, a[differ], b[differ], np.arange(len(keys), dtype=np.intp)
    inverse, pairs = pd.factorize(keys)
    return differ, pairs // base, pairs % base, inverse


def _present(a: Codes, b: Codes) -> npt.NDArray[np.bool_]:
    return np.asarray((a >= 0) & (b >= 0), dtype=bool)


def _same(a: Codes, b: Codes) -> npt.NDArray[np.bool_]:
    return np.asarray((a >= 0) & (a == b), dtype=bool)


def _similarity_levels(a: Codes, b: Codes, uniques: Keys) -> Levels:
    levels = np.full(len(a), MISSING, dtype=np.int8)
    differ, ka, kb, inverse = _distinct(a, b)
    score = _jaro_winkler(uniques[ka], uniques[kb])[inverse]
    levels[differ] = np.where(score >= CLOSE, 1, np.where(score >= SIMILAR, 2, 3))
    levels[_same(a, b)] = 0
    return levels


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


def _email_levels(email: Sides, canonical: Sides) -> Levels:
    levels = np.full(len(email[0]), 2, dtype=np.int8)
    levels[_same(*canonical)] = 1
    levels[_same(*email)] = 0
    levels[~_present(*email)] = MISSING
    return levels


def _shared_phone(
    prepared: Prepared, columns: tuple[str, ...], left: Indices, right: Indices
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Whether each pair shares a phone (any of one's equal to any of the other's), and
    whether each has a phone on both sides."""
    codes, _ = prepared.coded(*columns)
    lefts, rights = [c[left] for c in codes], [c[right] for c in codes]
    same = np.zeros(len(left), dtype=bool)
    for x in lefts:
        for y in rights:
            same |= _same(x, y)
    has_left = np.logical_or.reduce([x >= 0 for x in lefts])
    has_right = np.logical_or.reduce([y >= 0 for y in rights])
    return same, has_left & has_right


def _phone_levels(
    prepared: Prepared, columns: tuple[str, ...], left: Indices, right: Indices
) -> Levels:
    same, present = _shared_phone(prepared, columns, left, right)
    levels = np.where(same, 0, 1).astype(np.int8)
    levels[~present] = MISSING
    return levels


def _similarity_where(
    prepared: Prepared, column: str, left: Indices, right: Indices, where: npt.NDArray[np.bool_]
) -> Levels:
    """:func:`_similarity_levels` of ``column`` where ``where`` holds; elsewhere missing
    or, with both values present, "different"."""
    (codes,), uniques = prepared.coded(column)
    a, b = codes[left], codes[right]
    levels = np.where(_present(a, b), 3, MISSING).astype(np.int8)
    levels[where] = _similarity_levels(a[where], b[where], uniques)
    return levels


def _place_levels(
    prepared: Prepared, columns: tuple[str, ...], left: Indices, right: Indices
) -> Levels:
    phone1, phone2, street, postcode, city, state, company = columns
    phone, has_phone = _shared_phone(prepared, (phone1, phone2), left, right)
    (city_codes,), cities = prepared.coded(city)
    city_levels = _similarity_levels(city_codes[left], city_codes[right], cities)
    postcodes, states = (
        _sides(prepared, postcode, left, right),
        _sides(prepared, state, left, right),
    )
    # A street agrees only where the postcode and city do not say it is another town's,
    # so it is compared only there.
    elsewhere = (_present(*postcodes) & ~_same(*postcodes)) | (city_levels == 3)
    street_levels = _similarity_where(prepared, street, left, right, ~elsewhere)
    same_street = (street_levels >= 0) & (street_levels <= 1)
    # A company counts only where no phone or street is shared (a stronger level).
    company_levels = _similarity_where(prepared, company, left, right, ~(phone | same_street))
    levels = np.full(len(left), 7, dtype=np.int8)
    levels[_same(*states)] = 6
    levels[(city_levels >= 0) & (city_levels <= 1)] = 5
    levels[_same(*postcodes)] = 4
    levels[(company_levels >= 0) & (company_levels <= 1)] = 3
    levels[same_street] = 2
    levels[phone] = 1
    levels[phone & same_street] = 0
    present = (
        has_phone
        | (street_levels >= 0)
        | _present(*postcodes)
        | (city_levels >= 0)
        | _present(*states)
        | (company_levels >= 0)
    )
    levels[~present] = MISSING
    return levels


def _date_levels(
    prepared: Prepared, columns: tuple[str, ...], left: Indices, right: Indices
) -> Levels:
    date, year, swapped = columns
    (dates, swaps), uniques = prepared.coded(date, swapped)
    a, b = dates[left], dates[right]
    levels = np.full(len(left), 3, dtype=np.int8)
    levels[_same(*_sides(prepared, year, left, right))] = 2
    differ, ka, kb, inverse = _distinct(a, b)
    typo = np.zeros(len(left), dtype=bool)
    typo[differ] = (edit_distance(uniques[ka], uniques[kb]) <= 1)[inverse]
    levels[typo | _same(swaps[left], b)] = 1
    levels[_same(a, b)] = 0
    levels[~_present(a, b)] = MISSING
    return levels


def _identifier_levels(a: Codes, b: Codes, uniques: Keys) -> Levels:
    levels = np.full(len(a), MISSING, dtype=np.int8)
    differ, ka, kb, inverse = _distinct(a, b)
    levels[differ] = np.where((edit_distance(uniques[ka], uniques[kb]) <= 1)[inverse], 1, 2)
    levels[_same(a, b)] = 0
    return levels


def _exact_levels(a: Codes, b: Codes) -> Levels:
    levels = np.where(_same(a, b), 0, 1).astype(np.int8)
    levels[~_present(a, b)] = MISSING
    return levels


COMPARISONS: Mapping[str, tuple[Comparison, tuple[str, ...]]] = {
    c.name: (c, fields)
    for c, fields in (
        (Comparison("firstname", Kind.NAME, ("first", "last")), ("firstname", "fullname")),
        (Comparison("lastname", Kind.NAME, ("last", "first")), ("lastname", "fullname")),
        (
            Comparison("email", Kind.EMAIL, ("email", "email_canonical")),
            ("emailaddress1",),
        ),
        (
            Comparison(
                "place",
                Kind.PLACE,
                ("phone1", "phone2", "address", "postcode", "city", "state", "company"),
            ),
            (
                "telephone1",
                "mobilephone",
                "address1_line1",
                "address1_postalcode",
                "address1_city",
                "address1_stateorprovince",
                "companyname",
            ),
        ),
        (Comparison("address2", Kind.TEXT, ("address2",)), ("address1_line2",)),
        (
            Comparison("birthdate", Kind.DATE, ("birthdate", "birth_year", "birthdate_swapped")),
            ("birthdate",),
        ),
        (Comparison("governmentid", Kind.IDENTIFIER, ("governmentid",)), ("governmentid",)),
    )
}
"""The comparisons dedupe knows, by name, with the input fields that enable each."""
