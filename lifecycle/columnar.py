"""The columnar eligibility path: one decision per row of a DataFrame, as ``can_send`` decides.

Scoring a million records one :func:`~lifecycle.eligibility.can_send` call at a
time builds a Python object per rule per record. :func:`decide_frame` evaluates
each rule once, as a numpy boolean mask over a whole column, and gives every row
exactly the ``allowed`` flag and the reason codes (in the same order) that
``can_send`` gives the record the row came from. :func:`eligibility_frame` builds
such a frame from records; data teams can also build one from a Dataverse export.
pandas is imported only when this module is.

Frame columns
-------------

One row per lead, contact or account, with Dataverse logical names where they exist:

=======================  ====================================================================
column                   meaning
=======================  ====================================================================
``id``                   record id (optional; copied to the result)
``record_type``          ``"lead"``, ``"contact"`` or ``"account"`` (str or categorical);
                         **required**
``statecode``            Dataverse ``statecode`` (lead 0 Open, 1 Qualified, 2 Disqualified;
                         contact/account 0 Active, 1 Inactive); missing (NA) for a deleted
                         record; **required**
``statuscode``           Dataverse ``statuscode`` (informative; no rule reads it)
``deleted``              bool; a record is deleted when this is true *or* ``statecode`` is NA
``anonymized``           bool
``consent_restricted``   bool, GDPR Restrict (accounts have none: false)
``emailaddress1``        str or missing; needed by email kinds
``email_key``            the address's lookup key (``lifecycle.suppression.email_key``:
                         trimmed, casefolded, missing when blank); derived from
                         ``emailaddress1`` when absent, at a cost of one string pass
``telephone1``,          str or missing; ``telephone1`` is needed by phone sends,
``mobilephone``          ``mobilephone`` is optional (accounts have none)
``address1_line1``       str or missing; needed by postal and marketing-materials sends
``donotemail``,          bool (missing counts as false); each is needed by the kinds it gates
``donotbulkemail``,
``donotsendmm``,
``donotphone``,
``donotpostalmail``
``has_consents``         bool: the record has data consents of any status. With levels
                         enforced, a lead or contact whose consents are all inactive at
                         ``at`` is GDPR Restrict; leave the column out to skip that rule
``consent_until_0``      latest ``valid_until`` among Active consents of any level; needed
                         with ``has_consents``
``consent_until_1`` …    for k = 1..5: the latest ``valid_until`` among the record's *Active*
``consent_until_5``      data consents of level ≥ k; :data:`NO_EXPIRY` when one of them never
                         expires; missing (NaT/NaN) when there is none. The record's consent
                         level at ``at`` is then ≥ k exactly when ``consent_until_k > at``.
                         Timezone-aware ``datetime64`` of any unit (``eligibility_frame``
                         writes ``datetime64[us, UTC]``, exact for every Python datetime), or
                         float epoch seconds (``+inf`` for no expiry; exact to the
                         microsecond until about 2100). ``consent_until_k`` is needed when
                         levels are enforced and the kind needs level k (commercial: 4).
=======================  ====================================================================

:func:`consent_columns` computes the five ``consent_until_k`` columns from a
table of consents (one row per data consent), ready to join on ``id``.

The bool columns (``deleted``, ``anonymized``, ``consent_restricted``, the ``donot…``
flags, ``has_consents``) are ``bool``, pandas ``boolean`` (missing counts as false) or
object columns holding only ``True``, ``False`` and missing values; anything else
(``"False"`` strings, 0/1 integers) raises :class:`~lifecycle.errors.InvalidFieldError`
naming the column, as a record refuses a flag that is not a bool.

Only the columns the kind and policy read are required; :func:`decide_frame`
names every missing one in a single :class:`~lifecycle.errors.InvalidFieldError`.

Result columns
--------------

``id`` (when the frame has one), ``allowed`` (bool), ``reason_mask`` (int64: bit
*i* set for the *i*-th :class:`~lifecycle.eligibility.ReasonCode` in enum order;
see :data:`REASON_BITS`) and ``reasons`` (a tuple of code strings, identical to
``can_send(...).codes``). ``reasons`` is decoded once per distinct mask, not
once per row, and shares one tuple between rows with the same reasons.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from lifecycle.consent import ConsentLevel, ConsentStatus
from lifecycle.contactpoints import ConsentValue, ContactPointLedger, Enforcement
from lifecycle.eligibility import (
    DEFAULT_POLICY,
    MessageKind,
    Policy,
    ReasonCode,
    check_send,
)
from lifecycle.errors import FieldTypeError, InvalidFieldError, InvalidStatusError
from lifecycle.records import TYPE_NAME, Record
from lifecycle.relations import KINDS
from lifecycle.suppression import SuppressionList, SuppressionReason, email_key

Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]

RECORD_TYPES = KINDS
"""The ``record_type`` values, in the categorical order :func:`eligibility_frame` writes."""

_LEAD, _CONTACT, _ACCOUNT = range(3)
_FLAGS = ("donotemail", "donotbulkemail", "donotsendmm", "donotphone", "donotpostalmail")
_ACTIVE = ConsentStatus.ACTIVE
_TYPE_OF = TYPE_NAME

CONSENT_COLUMNS = tuple(f"consent_until_{k}" for k in range(1, 6))
"""``consent_until_1`` … ``consent_until_5``."""
ANY_CONSENT_COLUMN = "consent_until_0"
"""The latest ``valid_until`` among Active consents of any level (0 included)."""
HAS_CONSENTS_COLUMN = "has_consents"
"""Whether the record has any data consent, whatever its status."""

_INT64_MIN = int(np.iinfo(np.int64).min)
_INT64_MAX = int(np.iinfo(np.int64).max)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_US = dt.timedelta(microseconds=1)
_NS_PER_UNIT = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}

_LATEST = dt.datetime.max.replace(tzinfo=dt.UTC)
_NO_EXPIRY_US = (_LATEST - _EPOCH) // _US
NO_EXPIRY = pd.Timestamp(_LATEST)
"""The ``consent_until_k`` value of an Active consent without ``valid_until``: the latest
Python datetime, 9999-12-31T23:59:59.999999Z. :func:`decide_frame` counts it as later
than every ``at`` (a consent valid until exactly that moment counts as never expiring)."""

REASON_BITS: Mapping[ReasonCode, int] = MappingProxyType(
    {code: 1 << position for position, code in enumerate(ReasonCode)}
)
"""The bit each reason code sets in ``reason_mask`` (bit i = i-th ReasonCode in enum order)."""

_SUPPRESSION_CODES = tuple(ReasonCode(reason.value) for reason in SuppressionReason)
_SUPPRESSION_POSITION = {reason: i for i, reason in enumerate(SuppressionReason)}
_RULE_CODES = tuple(code for code in ReasonCode if code not in _SUPPRESSION_CODES)
"""Every non-suppression code; enum order is ``can_send``'s rule order for them (at most one
code per rule family can apply to a record). Suppression codes come last, in the order the
suppression list holds the address's entries, as ``can_send`` lists them."""


_SEQ_SHIFT = len(ReasonCode)
_MASK_BITS = (1 << _SEQ_SHIFT) - 1
# The suppression order (2 bits per reason) sits above the mask bits in one int64 key.
assert _SEQ_SHIFT + 2 * len(SuppressionReason) < 63


def reason_mask(*codes: ReasonCode) -> int:
    """The ``reason_mask`` bits of ``codes``, e.g. to select rows refused for a reason."""
    mask = 0
    for code in codes:
        if not isinstance(code, ReasonCode):
            raise FieldTypeError("codes", "ReasonCode members", code)
        mask |= REASON_BITS[code]
    return mask


# --------------------------------------------------------------------------- records → frame


def _consent_until(records: Sequence[Record]) -> Ints:
    """``(6, n)`` µs since epoch: row k holds, per record, the latest valid_until among its
    Active consents of level ≥ k (no expiry: NO_EXPIRY; none: the NaT value).

    Written into plain int lists (no container per record, so the cyclic GC stays quiet
    however many records are alive)."""
    n = len(records)
    u0, u1, u2, u3, u4, u5 = ([_INT64_MIN] * n for _ in range(6))
    for position, record in enumerate(records):
        consents = record.consents
        if not consents:
            continue
        best0 = best1 = best2 = best3 = best4 = best5 = _INT64_MIN
        for consent in consents:
            if consent.status is not _ACTIVE:
                continue
            valid_until = consent.valid_until
            until = _NO_EXPIRY_US if valid_until is None else (valid_until - _EPOCH) // _US
            level = consent.level
            if level >= 5:
                if until > best5:
                    best5 = until
            elif level == 4:
                if until > best4:
                    best4 = until
            elif level == 3:
                if until > best3:
                    best3 = until
            elif level == 2:
                if until > best2:
                    best2 = until
            elif level == 1:
                if until > best1:
                    best1 = until
            elif until > best0:
                best0 = until
        if best5 > best4:
            best4 = best5
        if best4 > best3:
            best3 = best4
        if best3 > best2:
            best2 = best3
        if best2 > best1:
            best1 = best2
        if best1 > best0:
            best0 = best1
        u0[position] = best0
        u1[position], u2[position], u3[position] = best1, best2, best3
        u4[position], u5[position] = best4, best5
    return np.array([u0, u1, u2, u3, u4, u5], dtype=np.int64).reshape(6, n)


def _utc_us(values: Ints) -> pd.Series:
    series = pd.Series(values.view("datetime64[us]"), copy=False)
    return series.dt.tz_localize("UTC")


def _type_code(record: object) -> int:
    code = _CODE_OF.get(type(record))
    if code is not None:
        return code
    for kind, name in _TYPE_OF.items():
        if isinstance(record, kind):
            return RECORD_TYPES.index(name)
    raise FieldTypeError("records", "an iterable of Lead, Contact or Account records", record)


def eligibility_frame(records: Iterable[Record]) -> pd.DataFrame:
    """One row per record with every column :func:`decide_frame` reads (see module docs)."""
    if isinstance(records, (str, bytes, Mapping)) or not isinstance(records, Iterable):
        raise FieldTypeError("records", "an iterable of Lead, Contact or Account records", records)
    items = list(records)
    type_codes = np.array([_type_code(r) for r in items], dtype=np.int8)
    statecodes = [r.state.code for r in items]
    emails = [r.emailaddress1 for r in items]
    until = _consent_until(items)
    columns: dict[str, Any] = {
        "id": _objects([r.id for r in items]),
        "record_type": pd.Categorical.from_codes(
            cast("Sequence[int]", type_codes), categories=pd.Index(RECORD_TYPES)
        ),
        "statecode": pd.array(statecodes, dtype="Int8"),
        "statuscode": np.array([r.status.code for r in items], dtype=np.int8),
        "deleted": np.array([c is None for c in statecodes], dtype=np.bool_),
        "anonymized": np.array([r.anonymized for r in items], dtype=np.bool_),
        "consent_restricted": np.array(
            [getattr(r, "consent_restricted", False) for r in items], dtype=np.bool_
        ),
        "emailaddress1": _objects(emails),
        "email_key": _objects([email_key(e) for e in emails]),
        "telephone1": _objects([r.telephone1 for r in items]),
        "mobilephone": _objects([getattr(r, "mobilephone", None) for r in items]),
        "address1_line1": _objects([r.address1_line1 for r in items]),
    }
    for name in _FLAGS:
        getter = operator.attrgetter(name)
        columns[name] = np.array([getter(r) for r in items], dtype=np.bool_)
    columns[ANY_CONSENT_COLUMN] = _utc_us(until[0])
    for k, name in enumerate(CONSENT_COLUMNS, start=1):
        columns[name] = _utc_us(until[k])
    columns[HAS_CONSENTS_COLUMN] = np.array([bool(r.consents) for r in items], dtype=np.bool_)
    return pd.DataFrame(columns)


_CODE_OF: dict[type, int] = {kind: RECORD_TYPES.index(name) for kind, name in _TYPE_OF.items()}


def _objects(values: Sequence[Any]) -> pd.Series:
    return pd.Series(values, dtype=object)


def consent_columns(
    consents: pd.DataFrame,
    *,
    id_column: str = "record_id",
    level_column: str = "level",
    status_column: str = "status",
    valid_until_column: str = "valid_until",
) -> pd.DataFrame:
    """The five ``consent_until_k`` columns per record, from a table of data consents.

    ``consents`` has one row per data consent: the record it belongs to, its level
    (0-5), its status (a :class:`~lifecycle.consent.ConsentStatus` value such as
    ``"active"``) and its ``valid_until`` (timezone-aware datetimes; missing means no
    expiry). The result is indexed by record id, holding only records with an
    consent of any status, with ``has_consents`` true; join it on the frame's ``id``
    (records without a row get NaT, i.e. no consent, and should get ``has_consents``
    false). A level that is not an integer from 0 to 5, or a status that is not a
    :class:`~lifecycle.consent.ConsentStatus`, raises :class:`InvalidFieldError`
    naming its column.
    """
    if not isinstance(consents, pd.DataFrame):
        raise FieldTypeError("consents", "a pandas DataFrame", consents)
    wanted = (id_column, level_column, status_column, valid_until_column)
    missing = [c for c in wanted if c not in consents.columns]
    if missing:
        raise InvalidFieldError("consents", f"a DataFrame with the columns {missing}", missing)
    status = consents[status_column].map(lambda v: v.value if isinstance(v, ConsentStatus) else v)
    known = [s.value for s in ConsentStatus]
    unknown = ~status.isin(known).to_numpy(dtype=np.bool_)
    if unknown.any():
        bad = consents[status_column].iloc[int(np.flatnonzero(unknown)[0])]
        raise InvalidFieldError(status_column, f"consent statuses, one of {known}", bad)
    all_levels = _levels(consents[level_column], level_column)
    every = pd.Index(
        pd.unique(consents[id_column].to_numpy()), name=id_column, dtype=consents[id_column].dtype
    )
    is_active = (status == ConsentStatus.ACTIVE.value).to_numpy(dtype=np.bool_)
    active = consents[is_active]
    until = active[valid_until_column]
    if not isinstance(until.dtype, pd.DatetimeTZDtype):
        if until.notna().any():
            raise InvalidFieldError(
                valid_until_column, "timezone-aware datetimes (missing: no expiry)", until.dtype
            )
        until = pd.Series(pd.NaT, index=until.index, dtype="datetime64[us, UTC]")
    # Rounding up to the microsecond keeps "until > at" exact for any microsecond ``at``.
    micros = until.dt.ceil("us").dt.as_unit("us").to_numpy(dtype="datetime64[us]")
    ints = micros.view(np.int64).copy()
    ints[until.isna().to_numpy()] = _NO_EXPIRY_US
    levels = all_levels[is_active]
    ids = active[id_column].to_numpy()
    index = every
    columns: dict[str, pd.Series] = {}
    for k, name in enumerate((ANY_CONSENT_COLUMN, *CONSENT_COLUMNS)):
        keep = levels >= k
        best = pd.Series(ints[keep]).groupby(ids[keep]).max()
        latest = best.reindex(index, fill_value=_INT64_MIN).to_numpy(dtype=np.int64)
        columns[name] = _utc_us(latest).set_axis(index)
    frame = pd.DataFrame(columns, index=index)
    frame[HAS_CONSENTS_COLUMN] = True
    return frame


def _levels(column: pd.Series, name: str) -> Ints:
    """The consent-level column as int64, every value an integer from 0 to 5."""
    expected = "consent levels, integers from 0 to 5"
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        raise InvalidFieldError(name, expected, dtype)
    if pd.api.types.is_numeric_dtype(dtype):
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    elif pd.api.types.is_object_dtype(dtype):
        raw = column.to_numpy(dtype=object)
        for value in raw:
            if isinstance(value, (bool, np.bool_)) or not isinstance(
                value, (int, float, np.integer, np.floating)
            ):
                raise InvalidFieldError(name, expected, value)
        values = raw.astype(np.float64)
    else:
        raise InvalidFieldError(name, expected, dtype)
    with np.errstate(invalid="ignore"):
        good = (values >= 0) & (values <= 5) & (values == np.floor(values))
    if not good.all():
        bad = column.iloc[int(np.flatnonzero(~good)[0])]
        raise InvalidFieldError(name, expected, bad.item() if isinstance(bad, np.generic) else bad)
    return values.astype(np.int64)


# --------------------------------------------------------------------------- frame → decisions


def _required(kind: MessageKind, policy: Policy) -> list[str]:
    needed = ["record_type", "statecode"]
    if kind.is_email:
        needed.append("emailaddress1")
    elif kind is MessageKind.PHONE:
        needed.append("telephone1")
    elif kind in (MessageKind.POSTAL, MessageKind.MARKETING_MATERIALS):
        needed.append("address1_line1")
    skips = kind.via_marketing_engine and not policy.check_contact_flags
    if kind.is_email and not skips:
        needed.append("donotemail")
    if kind.is_bulk and not skips:
        needed.append("donotbulkemail")
    gates = {
        MessageKind.MARKETING_MATERIALS: "donotsendmm",
        MessageKind.PHONE: "donotphone",
        MessageKind.POSTAL: "donotpostalmail",
    }
    if kind in gates:
        needed.append(gates[kind])
    level = _needed_level(kind, policy)
    if level is not None:
        needed.append(CONSENT_COLUMNS[int(level) - 1])
    return needed


def _needed_level(kind: MessageKind, policy: Policy) -> ConsentLevel | None:
    if not policy.levels_enforced:
        return None
    level = policy.minimum_level(kind)
    if level is None or level is ConsentLevel.NONE:
        return None
    return level


class _Frame:
    """Column readers with the defaults and checks the module docs describe."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.n = len(frame)

    def has(self, name: str) -> bool:
        return name in self.frame.columns

    def flag(self, name: str) -> Bools:
        """A boolean column, missing values false: ``bool``, pandas ``boolean``, or objects
        that are only ``True``, ``False`` and missing values (anything else is refused, as
        a record refuses a flag that is not a bool)."""
        if not self.has(name):
            return np.zeros(self.n, dtype=np.bool_)
        column = self.frame[name]
        dtype = column.dtype
        if dtype == np.bool_:
            return column.to_numpy(dtype=np.bool_)
        expected = "a column of booleans (bool, boolean, or True/False/missing objects)"
        if isinstance(dtype, pd.BooleanDtype):
            return column.to_numpy(dtype=np.bool_, na_value=False)
        if not pd.api.types.is_object_dtype(dtype):
            raise InvalidFieldError(name, expected, dtype)
        values = column.to_numpy(dtype=object)
        if pd.api.types.infer_dtype(values, skipna=True) not in ("boolean", "empty"):
            missing = column.isna().to_numpy(dtype=np.bool_)
            bad = next(
                v
                for v, gone in zip(values, missing, strict=True)
                if not gone and not isinstance(v, (bool, np.bool_))
            )
            raise InvalidFieldError(name, expected, bad)
        return column.to_numpy(dtype=np.bool_, na_value=False)

    def present(self, name: str) -> Bools:
        """Rows whose text column holds a non-empty value (``not record.<name>``)."""
        if not self.has(name):
            return np.zeros(self.n, dtype=np.bool_)
        column = self.frame[name]
        present = column.notna().to_numpy(dtype=np.bool_)
        if column.dtype == object or isinstance(column.dtype, pd.StringDtype):
            values = column.to_numpy(dtype=object)
            present &= np.asarray(values != "", dtype=np.bool_)
        return present

    def email_keys(self) -> npt.NDArray[np.object_]:
        if self.has("email_key"):
            return _text_values(self.frame["email_key"])
        if not self.has("emailaddress1"):
            raise InvalidFieldError(
                "frame", "a DataFrame with an 'email_key' or 'emailaddress1' column", None
            )
        keys = self.frame["emailaddress1"].astype(object).str.strip().str.casefold()
        values = _text_values(keys)
        values[values == ""] = None
        return values

    def record_types(self) -> npt.NDArray[np.int8]:
        column = self.frame["record_type"]
        if isinstance(column.dtype, pd.CategoricalDtype):
            categories = [str(c) for c in column.cat.categories]
            lookup = np.array([_type_index(c) for c in categories] + [-1], dtype=np.int8)
            codes = lookup[column.cat.codes.to_numpy()]
        else:
            categorical = pd.Categorical(column, categories=list(RECORD_TYPES))
            codes = np.asarray(categorical.codes, dtype=np.int8)
        if (codes < 0).any():
            bad = pd.unique(column[codes < 0].astype(object))[:5]
            raise InvalidFieldError("record_type", f"one of {list(RECORD_TYPES)}", list(bad))
        return codes

    def statecodes(self, types: npt.NDArray[np.int8]) -> npt.NDArray[np.float64]:
        column = self.frame["statecode"]
        try:
            codes = column.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError) as err:
            raise InvalidStatusError(
                f"'statecode' must be integer codes or missing (got dtype {column.dtype})."
            ) from err
        lead = types == _LEAD
        valid = np.isnan(codes) | (codes == 0) | (codes == 1) | (lead & (codes == 2))
        if not valid.all():
            row = int(np.flatnonzero(~valid)[0])
            raise InvalidStatusError(
                f"'statecode' must be 0, 1 (and 2 for leads) or missing for deleted records "
                f"(got {column.iloc[row]!r} for a {RECORD_TYPES[types[row]]} at row {row})."
            )
        return codes

    def after(self, name: str, at: dt.datetime) -> Bools:
        """``column > at``, exactly, for tz-aware datetime64 or float epoch-second columns."""
        column = self.frame[name]
        dtype = column.dtype
        if isinstance(dtype, pd.DatetimeTZDtype):
            unit = str(dtype.unit)
            values = column.to_numpy(dtype=f"datetime64[{unit}]").view(np.int64)
            at_ns = ((at - _EPOCH) // _US) * 1000
            bound = min(max(at_ns // _NS_PER_UNIT[unit], _INT64_MIN), _INT64_MAX - 1)
            reached = np.asarray(values > bound, dtype=np.bool_)
            if unit != "ns":  # NO_EXPIRY is representable: it beats every ``at``
                reached |= values == _NO_EXPIRY_US * 1000 // _NS_PER_UNIT[unit]
            return reached
        if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
            seconds = column.to_numpy(dtype=np.float64, na_value=np.nan)
            return np.asarray(seconds > at.timestamp(), dtype=np.bool_)
        raise InvalidFieldError(
            name,
            "timezone-aware datetimes (e.g. datetime64[us, UTC]) or float epoch seconds",
            dtype,
        )


def _text_values(column: pd.Series) -> npt.NDArray[np.object_]:
    """The column as an object array of its values, ``None`` where missing (a copy)."""
    values: npt.NDArray[np.object_] = np.array(column.to_numpy(dtype=object), dtype=object)
    values[column.isna().to_numpy(dtype=np.bool_)] = None
    return values


def _type_index(name: str) -> int:
    return RECORD_TYPES.index(name) if name in RECORD_TYPES else -1


def _lookup(keys: npt.NDArray[np.object_], table: Iterable[str]) -> Ints:
    """Position in ``table`` of each row's key, -1 when absent or missing."""
    index = pd.Index(list(table), dtype=object)
    if not len(index):
        return np.full(len(keys), -1, dtype=np.int64)
    return np.asarray(index.get_indexer(pd.Index(keys, dtype=object, copy=False)), dtype=np.int64)


def decide_frame(
    frame: pd.DataFrame,
    kind: MessageKind,
    *,
    at: dt.datetime,
    policy: Policy = DEFAULT_POLICY,
    suppressions: SuppressionList | None = None,
    contact_points: ContactPointLedger | None = None,
    topic: str | None = None,
    sending_account: str | None = None,
) -> pd.DataFrame:
    """May a message of ``kind`` reach each row's record at ``at``? One mask per rule.

    Same arguments and the same answers as :func:`~lifecycle.eligibility.can_send`:
    every row gets ``can_send``'s ``allowed`` and its reason codes, in its order.
    Returns a new frame with the input's index (see the module docs for columns).
    """
    if not isinstance(frame, pd.DataFrame):
        raise FieldTypeError("frame", "a pandas DataFrame", frame)
    check_send(kind, at, policy, suppressions, contact_points)
    required = _required(kind, policy)
    if HAS_CONSENTS_COLUMN in frame.columns and policy.levels_enforced:
        required.append(ANY_CONSENT_COLUMN)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InvalidFieldError(
            "frame", f"a DataFrame with the columns {kind.value} sends read", missing
        )

    cols = _Frame(frame)
    n = cols.n
    mask = np.zeros(n, dtype=np.int64)

    def add(rows: Bools, code: ReasonCode) -> None:
        np.bitwise_or(mask, REASON_BITS[code], out=mask, where=rows)

    types = cols.record_types()
    states = cols.statecodes(types)
    deleted = cols.flag("deleted") | np.isnan(states)
    lead, account = types == _LEAD, types == _ACCOUNT
    person = ~account

    add(deleted, ReasonCode.RECORD_DELETED)
    add(cols.flag("anonymized"), ReasonCode.RECORD_ANONYMIZED)
    # channel
    if kind.is_email:
        add(~cols.present("emailaddress1"), ReasonCode.NO_EMAIL_ADDRESS)
    elif kind is MessageKind.PHONE:
        phone = cols.present("telephone1") | cols.present("mobilephone")
        add(~phone, ReasonCode.NO_PHONE_NUMBER)
    elif kind in (MessageKind.POSTAL, MessageKind.MARKETING_MATERIALS):
        add(~cols.present("address1_line1"), ReasonCode.NO_POSTAL_ADDRESS)
    # closed records (D7)
    if kind in policy.closed_record_blocks:
        live = ~deleted
        add(lead & live & (states == 2), ReasonCode.LEAD_DISQUALIFIED)
        add(lead & live & (states == 1), ReasonCode.LEAD_QUALIFIED)
        add((types == _CONTACT) & live & (states == 1), ReasonCode.CONTACT_INACTIVE)
        add(account & live & (states == 1), ReasonCode.ACCOUNT_INACTIVE)
    restricted = cols.flag("consent_restricted")
    if policy.levels_enforced and cols.has(HAS_CONSENTS_COLUMN):
        lapsed = cols.flag(HAS_CONSENTS_COLUMN) & ~cols.after(ANY_CONSENT_COLUMN, at)
        restricted = restricted | (person & lapsed & ~cols.flag("anonymized"))
    add(restricted, ReasonCode.GDPR_RESTRICT)
    # preference flags
    skips = kind.via_marketing_engine and not policy.check_contact_flags
    if kind.is_email and not skips:
        add(cols.flag("donotemail"), ReasonCode.DONOTEMAIL)
    if kind.is_bulk and not skips:
        add(cols.flag("donotbulkemail"), ReasonCode.DONOTBULKEMAIL)
    if kind is MessageKind.MARKETING_MATERIALS:
        add(cols.flag("donotsendmm"), ReasonCode.DONOTSENDMM)
    if kind is MessageKind.PHONE:
        add(cols.flag("donotphone"), ReasonCode.DONOTPHONE)
    if kind is MessageKind.POSTAL:
        add(cols.flag("donotpostalmail"), ReasonCode.DONOTPOSTALMAIL)
    # consent
    keys: npt.NDArray[np.object_] | None = None
    needed = _needed_level(kind, policy)
    if needed is not None:
        add(account, ReasonCode.ACCOUNT_HOLDS_NO_CONSENT)
        reached = cols.after(CONSENT_COLUMNS[int(needed) - 1], at)
        add(person & ~reached, ReasonCode[f"CONSENT_BELOW_{needed.name}"])
    if kind.via_marketing_engine:
        purpose = policy.kind_purposes.get(kind)
        enforcement = (
            None if purpose is None else policy.purposes.get(purpose, Enforcement.RESTRICTIVE)
        )
        if purpose is not None and enforcement is not Enforcement.DISABLED:
            keys = cols.email_keys()
            checks: list[tuple[str | None, ReasonCode, ReasonCode]] = [
                (None, ReasonCode.CONTACT_POINT_OPTED_OUT, ReasonCode.CONTACT_POINT_NOT_OPTED_IN)
            ]
            if topic is not None:
                checks.append((topic, ReasonCode.TOPIC_OPTED_OUT, ReasonCode.TOPIC_NOT_OPTED_IN))
            for subject, opted_out, not_in in checks:
                values = (
                    {} if contact_points is None else contact_points.values(purpose, topic=subject)
                )
                points = list(values)
                outs = np.array(
                    [values[p] is ConsentValue.OPTED_OUT for p in points] + [False], dtype=np.bool_
                )
                found = _lookup(keys, points)
                add(outs[found], opted_out)  # found == -1 reads the trailing False
                if enforcement is Enforcement.RESTRICTIVE:
                    add(found < 0, not_in)
    # suppression list
    seq = np.zeros(n, dtype=np.int64)
    if suppressions is not None and policy.honour_suppressions and kind.via_marketing_engine:
        by_address = suppressions.reasons_by_address(at, sending_account)
        if by_address:
            if keys is None:
                keys = cols.email_keys()
            addresses = list(by_address)
            bits = np.zeros(len(addresses) + 1, dtype=np.int64)
            orders = np.zeros(len(addresses) + 1, dtype=np.int64)
            for i, address in enumerate(addresses):
                # reasons_by_address lists them in can_send's order (first in force first).
                for j, reason in enumerate(by_address[address]):
                    bits[i] |= REASON_BITS[ReasonCode(reason.value)]
                    orders[i] |= (_SUPPRESSION_POSITION[reason] + 1) << (2 * j)
            found = _lookup(keys, addresses)
            mask |= bits[found]
            seq = orders[found]

    result: dict[str, Any] = {}
    if cols.has("id"):
        result["id"] = frame["id"].to_numpy()
    result["allowed"] = mask == 0
    result["reason_mask"] = mask
    result["reasons"] = _decode(mask, seq)
    return pd.DataFrame(result, index=frame.index)


def _decode(mask: Ints, seq: Ints) -> npt.NDArray[np.object_]:
    """The ``reasons`` column: one tuple per distinct (mask, suppression order), shared."""
    if not len(mask):
        return np.empty(0, dtype=object)
    key = mask | (seq << _SEQ_SHIFT)
    codes, uniques = pd.factorize(key)
    decoded = np.empty(len(uniques), dtype=object)
    for i, value in enumerate(uniques.tolist()):
        decoded[i] = _codes_of(value & _MASK_BITS, value >> _SEQ_SHIFT)
    return np.asarray(decoded[codes], dtype=object)


def _codes_of(mask: int, seq: int) -> tuple[str, ...]:
    names = [code.value for code in _RULE_CODES if mask & REASON_BITS[code]]
    while seq:
        names.append(_SUPPRESSION_CODES[(seq & 3) - 1].value)
        seq >>= 2
    return tuple(names)
