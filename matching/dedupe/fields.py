"""The fields batch dedupe understands, read from a frame and normalised once per value.

Columns use Dataverse logical names. Each known field becomes one or more *prepared*
columns of normalised keys (``None`` where a value is missing or junk), computed once per
distinct value with the normalisers of :mod:`matching.normalize`, the same ones a form
submission uses.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
import jellyfish
import numpy as np
import numpy.typing as npt
import pandas as pd

from lifecycle.errors import FieldTypeError, InvalidFieldError
from matching import normalize
from matching.dedupe.arrays import Codes, Keys
from matching.dedupe.emails import emails
from matching.dedupe.phones import phones

KNOWN_FIELDS = (
    "firstname",
    "lastname",
    "fullname",
    "emailaddress1",
    "emailaddress2",
    "telephone1",
    "mobilephone",
    "companyname",
    "jobtitle",
    "address1_line1",
    "address1_line2",
    "address1_city",
    "address1_stateorprovince",
    "address1_postalcode",
    "birthdate",
    "governmentid",
)
"""The Dataverse logical names batch dedupe reads; other columns are carried, not compared."""

ID_COLUMNS = ("contactid", "leadid", "id")
"""The id columns looked for, in order, when ``id_column`` is not given."""

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_DIGITS = re.compile(r"\D+")


def read_frame(data: object) -> pd.DataFrame:
    """``data`` as a DataFrame: a DataFrame as it is, or a CSV or Parquet file read as text."""
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, str | os.PathLike):
        path = Path(data)
        if not path.is_file():
            raise InvalidFieldError(
                "data", "a DataFrame, or the path of a CSV or Parquet file", data
            )
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    raise FieldTypeError("data", "a DataFrame, or the path of a CSV or Parquet file", data)


def record_ids(frame: pd.DataFrame, id_column: str | None) -> npt.NDArray[np.object_]:
    """Each row's record id, as text; typed errors for a missing, incomplete or repeated id."""
    if id_column is None:
        id_column = next((c for c in ID_COLUMNS if c in frame.columns), None)
        if id_column is None:
            raise InvalidFieldError(
                "id_column",
                f"given, or one of the columns {', '.join(ID_COLUMNS)} in the data",
                sorted(map(str, frame.columns))[:20],
            )
    elif id_column not in frame.columns:
        raise InvalidFieldError("id_column", "a column of the data", id_column)
    column = frame[id_column]
    if column.isna().any():
        rows = [int(i) for i in np.flatnonzero(column.isna().to_numpy())[:5]]
        raise InvalidFieldError(id_column, "an id on every row", f"no id on rows {rows}")
    ids = column.astype(str).to_numpy(dtype=object)
    repeated = pd.Index(ids)[pd.Index(ids).duplicated()].unique()
    if len(repeated):
        raise InvalidFieldError(id_column, "a distinct id on every row", list(repeated[:5]))
    return ids


def map_coded(
    column: pd.Series | None, n: int, function: Callable[[Any], str | None]
) -> tuple[Keys, Codes, Keys]:
    """``function`` of every value of ``column``, computed once per distinct value, with
    the keys' codes and distinct keys (as :meth:`Prepared.coded` gives them)."""
    if column is None:
        return np.full(n, None, dtype=object), np.full(n, -1, dtype=np.int64), np.empty(0, object)
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[:-1] = [function(value) for value in uniques]
    mapped[-1] = None
    renumbered, keys = pd.factorize(mapped, use_na_sentinel=True)
    return mapped[codes], renumbered.astype(np.int64)[codes], np.asarray(keys, dtype=object)


def map_values(column: pd.Series | None, n: int, function: Callable[[Any], str | None]) -> Keys:
    """``function`` of every value of ``column``, computed once per distinct value."""
    return map_coded(column, n, function)[0]


def _postcode(value: object) -> str | None:
    text = normalize.text(value)
    return None if text is None else (text.replace(" ", "") or None)


def _code(value: object) -> str | None:
    """An identifier compared character by character: letters and digits only."""
    text = normalize.text(value)
    if text is None:
        return None
    return _NOT_ALNUM.sub("", text) or None


def _date(value: object) -> str | None:
    """A date as ``YYYYMMDD``; ``None`` when it is not one."""
    if isinstance(value, pd.Timestamp | np.datetime64) or hasattr(value, "strftime"):
        try:
            return pd.Timestamp(value).strftime("%Y%m%d")  # type: ignore[arg-type]
        except (ValueError, TypeError):
            return None
    text = normalize.text(value)
    if text is None:
        return None
    digits = _DIGITS.sub("", text)
    return digits if len(digits) == 8 and digits[:2] in ("18", "19", "20") else None


def derived(
    function: Callable[..., str | None], *columns: tuple[list[Codes], Keys]
) -> tuple[Keys, Codes, Keys]:
    """``function`` of each row's values of ``columns`` (each as :meth:`Prepared.coded`
    gives it), computed once per distinct combination of them, ``None`` where any of
    them is missing; with the result's codes and distinct values, as
    :meth:`Prepared.coded` gives them."""
    combined = np.zeros(len(columns[0][0][0]), dtype=np.int64)
    missing = np.zeros(len(combined), dtype=bool)
    for (codes,), values in columns:
        combined = combined * (len(values) + 1) + codes
        missing |= codes < 0
    combined[missing] = -1
    keys, distinct = pd.factorize(combined)
    # One row of each distinct combination, to read its values from.
    first = np.zeros(len(distinct), dtype=np.int64)
    first[keys[::-1]] = np.arange(len(keys) - 1, -1, -1)
    present = distinct >= 0
    arguments = [values[codes[first[present]]].tolist() for (codes,), values in columns]
    out = np.full(len(distinct), None, dtype=object)
    out[present] = [function(*values) for values in zip(*arguments, strict=True)]
    renumbered, uniques = pd.factorize(out, use_na_sentinel=True)
    return (
        np.asarray(out[keys], dtype=object),
        renumbered.astype(np.int64)[keys],
        np.asarray(uniques, dtype=object),
    )


def _tokens(first: str, last: str) -> str:
    return " ".join(sorted(f"{first} {last}".split()))


def _swapped(date: str) -> str:
    return date[:4] + date[6:] + date[4:6]


def _year(date: str) -> str:
    return date[:4]


def _soundex(value: str | None) -> str | None:
    return None if value is None else jellyfish.soundex(value.replace(" ", ""))


def _sounds(first: str | None, last: str | None) -> str | None:
    """The sounds of both names in either order, so swapped names share the key."""
    if first is None or last is None:
        return None
    return " ".join(sorted((str(_soundex(first)), str(_soundex(last)))))


@attrs.frozen
class Prepared:
    """The normalised columns of one frame, row-aligned with ``ids``."""

    ids: npt.NDArray[np.object_]
    columns: Mapping[str, Keys]
    fields: tuple[str, ...]
    """The known fields the frame has."""
    _coded: dict[tuple[str, ...], tuple[dict[str, Codes], Keys]] = attrs.field(
        factory=dict, eq=False, repr=False
    )

    _rank: list[npt.NDArray[np.int64]] = attrs.field(factory=list, eq=False, repr=False)

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def rank(self) -> npt.NDArray[np.int64]:
        """Each record's position among the ids sorted: ids compared as integers."""
        if not self._rank:
            order = np.argsort(_sortable(self.ids), kind="stable")
            rank = np.empty(self.n, dtype=np.int64)
            rank[order] = np.arange(self.n)
            self._rank.append(rank)
        return self._rank[0]

    def coded(self, *names: str) -> tuple[list[Codes], Keys]:
        """Columns ``names`` as integer codes (``-1`` where missing) of one set of
        distinct values: equality and presence become integer comparisons, also across
        the columns (a first name against a last name), and a similarity is computed
        once per distinct pair of values."""
        key = tuple(sorted(set(names)))
        if key not in self._coded and len(key) == 1:
            codes, uniques = pd.factorize(self.columns[key[0]], use_na_sentinel=True)
            self._coded[key] = ({key[0]: codes.astype(np.int64)}, np.asarray(uniques, object))
        elif key not in self._coded:
            # The columns' own codes, renumbered into the distinct values of all of them.
            singles = [self.coded(name) for name in key]
            joint, uniques = pd.factorize(np.concatenate([values for _, values in singles]))
            offsets = np.cumsum([0] + [len(values) for _, values in singles])
            coded = {}
            for name, (single, values), offset in zip(key, singles, offsets[:-1], strict=True):
                table = np.append(joint[offset : offset + len(values)], -1).astype(np.int64)
                coded[name] = table[single[0]]
            self._coded[key] = (coded, np.asarray(uniques, dtype=object))
        columns, uniques = self._coded[key]
        return [columns[name] for name in names], uniques

    def has(self, name: str) -> bool:
        """Whether the prepared column ``name`` has any value."""
        column = self.columns.get(name)
        return column is not None and any(v is not None for v in column)


def _sortable(ids: npt.NDArray[np.object_]) -> npt.NDArray[Any]:
    """``ids`` as fixed-width text when that sorts them the same way (no id ends in a NUL,
    which fixed width drops) and is small: numpy then compares in C, not through Python."""
    longest = max((len(i) for i in ids), default=0)
    if longest > 64 or any(i.endswith("\x00") for i in ids):
        return ids
    return ids.astype(f"U{max(longest, 1)}")


def prepare(frame: pd.DataFrame, ids: npt.NDArray[np.object_]) -> Prepared:
    """The normalised columns dedupe compares and blocks on."""
    fields = tuple(f for f in KNOWN_FIELDS if f in frame.columns)
    if not fields:
        raise InvalidFieldError(
            "data",
            f"a frame with some of the fields {', '.join(KNOWN_FIELDS)}",
            sorted(map(str, frame.columns))[:20],
        )
    n = len(frame)

    def get(name: str) -> pd.Series | None:
        return frame[name] if name in frame.columns else None

    first = map_values(get("firstname"), n, normalize.name)
    last = map_values(get("lastname"), n, normalize.name)
    if "fullname" in frame.columns:
        whole = map_values(get("fullname"), n, normalize.name)
        for i in np.flatnonzero(
            [f is None and s is None and w for f, s, w in zip(first, last, whole, strict=True)]
        ):
            words = str(whole[i]).split()
            if len(words) >= 2:
                first[i], last[i] = words[0], " ".join(words[1:])
    email, canonical = emails(get("emailaddress1"), n)
    columns: dict[str, Keys] = {
        "first": first,
        "last": last,
        "email": email,
        "email_canonical": canonical,
        "email2_canonical": emails(get("emailaddress2"), n)[1],
        "phone1": phones(get("telephone1"), n),
        "phone2": phones(get("mobilephone"), n),
    }
    precoded: dict[tuple[str, ...], tuple[dict[str, Codes], Keys]] = {}
    normalisers: tuple[tuple[str, str, Callable[[Any], str | None]], ...] = (
        ("company", "companyname", normalize.company),
        ("address", "address1_line1", normalize.text),
        ("address2", "address1_line2", normalize.text),
        ("city", "address1_city", normalize.text),
        ("state", "address1_stateorprovince", normalize.text),
        ("postcode", "address1_postalcode", _postcode),
        ("birthdate", "birthdate", _date),
        ("governmentid", "governmentid", _code),
    )
    for name, field, function in normalisers:
        columns[name], codes, uniques = map_coded(get(field), n, function)
        precoded[(name,)] = ({name: codes}, uniques)
    prepared = Prepared(ids, columns, fields, precoded)
    keyed: tuple[tuple[str, Callable[..., str | None], tuple[str, ...]], ...] = (
        ("last_soundex", _soundex, ("last",)),
        ("name_tokens", _tokens, ("first", "last")),
        ("name_sounds", _sounds, ("first", "last")),
        ("birthdate_swapped", _swapped, ("birthdate",)),
        ("birth_year", _year, ("birthdate",)),
    )
    for name, derive, sources in keyed:
        columns[name], codes, uniques = derived(
            derive, *(prepared.coded(source) for source in sources)
        )
        precoded[(name,)] = ({name: codes}, uniques)
    return prepared
