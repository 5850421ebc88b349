"""Who may receive which kind of message, and why not (decisions D7-D13).

:func:`can_send` is a pure function of a record, a message kind, a moment and a
:class:`Policy`, plus the organisation's suppression list and contact-point
consents when it has them. It returns a :class:`Decision` listing every reason
that blocks, so "if I deactivate this contact, will marketing still email
them?" has an answer with its reasons.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

import attrs

from lifecycle.clock import require_aware
from lifecycle.consent import ConsentLevel, consent_level
from lifecycle.contactpoints import ConsentValue, ContactPointLedger, Enforcement
from lifecycle.errors import FieldTypeError, InvalidFieldError, Problems, convert_fields
from lifecycle.fields import checked_flag
from lifecycle.records import Account, Contact, Lead, Record
from lifecycle.states import LeadState
from lifecycle.suppression import SuppressionList


class MessageKind(enum.Enum):
    """What is being sent; each kind has its own rules."""

    COMMERCIAL = "commercial"
    """Bulk, segment or journey marketing email."""
    SUBSCRIPTION = "subscription"
    """An email offering a subscription or mailing list."""
    TRANSACTIONAL = "transactional"
    """Receipts, statements, event confirmations: existing business, no promotion."""
    CONSENT_REQUEST = "consent-request"
    """An email asking for (higher) consent, e.g. a double opt-in."""
    MANUAL = "manual"
    """A one-off email a user sends from the CRM."""
    WORKFLOW = "workflow"
    """An email sent by an automated workflow step."""
    MARKETING_MATERIALS = "marketing-materials"
    """Brochures, catalogues, postal campaigns (``donotsendmm``)."""
    PHONE = "phone"
    """Phone calls distributed by a campaign."""
    POSTAL = "postal"
    """Letters distributed by a campaign."""

    @property
    def is_email(self) -> bool:
        """Sent as email."""
        return self in _EMAIL

    @property
    def is_bulk(self) -> bool:
        """Bulk email: gated by ``donotbulkemail`` (D9)."""
        return self in _BULK

    @property
    def via_marketing_engine(self) -> bool:
        """Sent by the marketing engine: suppression lists and contact-point consent apply."""
        return self in _ENGINE


_BULK = frozenset({MessageKind.COMMERCIAL, MessageKind.SUBSCRIPTION, MessageKind.CONSENT_REQUEST})
_ENGINE = _BULK | {MessageKind.TRANSACTIONAL}
_EMAIL = _ENGINE | {MessageKind.MANUAL, MessageKind.WORKFLOW}


class ConsentModel(enum.Enum):
    """Which consent gates sends: OBM consent levels, or contact-point consent (RTJ)."""

    LEVELS = "levels"
    CONTACT_POINTS = "contact-points"


class ReasonCode(enum.Enum):
    """Stable codes of the reasons a decision can carry."""

    RECORD_DELETED = "record-deleted"
    RECORD_ANONYMIZED = "record-anonymized"
    NO_EMAIL_ADDRESS = "no-email-address"
    NO_PHONE_NUMBER = "no-phone-number"
    NO_POSTAL_ADDRESS = "no-postal-address"
    CONTACT_INACTIVE = "contact-inactive"
    ACCOUNT_INACTIVE = "account-inactive"
    LEAD_DISQUALIFIED = "lead-disqualified"
    LEAD_QUALIFIED = "lead-qualified"
    GDPR_RESTRICT = "gdpr-restrict"
    DONOTEMAIL = "donotemail"
    DONOTBULKEMAIL = "donotbulkemail"
    DONOTSENDMM = "donotsendmm"
    DONOTPHONE = "donotphone"
    DONOTPOSTALMAIL = "donotpostalmail"
    CONSENT_BELOW_CONSENT = "consent-below-consent"
    CONSENT_BELOW_TRANSACTIONAL = "consent-below-transactional"
    CONSENT_BELOW_SUBSCRIPTION = "consent-below-subscription"
    CONSENT_BELOW_MARKETING = "consent-below-marketing"
    CONSENT_BELOW_PROFILING = "consent-below-profiling"
    ACCOUNT_HOLDS_NO_CONSENT = "account-holds-no-consent"
    CONTACT_POINT_OPTED_OUT = "contact-point-opted-out"
    CONTACT_POINT_NOT_OPTED_IN = "contact-point-not-opted-in"
    TOPIC_OPTED_OUT = "topic-opted-out"
    TOPIC_NOT_OPTED_IN = "topic-not-opted-in"
    SUPPRESSED_HARD_BOUNCE = "suppressed-hard-bounce"
    SUPPRESSED_SPAM_COMPLAINT = "suppressed-spam-complaint"
    SUPPRESSED_SENDING_ACCOUNT = "suppressed-sending-account"


@attrs.frozen
class Reason:
    """One reason a message is blocked: a stable ``code`` and a sentence for people."""

    code: ReasonCode
    text: str

    def __str__(self) -> str:
        return f"{self.code.value}: {self.text}"


@attrs.frozen
class Decision:
    """Whether ``kind`` may reach the record, with every reason that blocks it."""

    record_id: str
    kind: MessageKind
    allowed: bool
    reasons: tuple[Reason, ...] = ()

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def codes(self) -> tuple[str, ...]:
        """The reasons' codes, in rule order."""
        return tuple(r.code.value for r in self.reasons)

    def explain(self) -> str:
        """One line: allowed, or blocked and why."""
        if self.allowed:
            return f"{self.kind.value} to {self.record_id}: allowed"
        return (
            f"{self.kind.value} to {self.record_id}: blocked ({'; '.join(map(str, self.reasons))})"
        )


_K = TypeVar("_K")
_V = TypeVar("_V")


class FrozenMap(Mapping[_K, _V]):
    """An immutable, hashable mapping: a dict's items, read-only, in their order.

    Equal to any mapping with the same items (as a dict is); its hash is that of the
    frozenset of its items, so the keys and values must be hashable. :class:`Policy`
    holds its mappings as these, so a policy is hashable.
    """

    __slots__ = ("_data", "_hash")

    _data: dict[_K, _V]
    _hash: int | None

    def __init__(self, data: Mapping[_K, _V] | Iterable[tuple[_K, _V]] = ()) -> None:
        object.__setattr__(self, "_data", dict(data))
        object.__setattr__(self, "_hash", None)

    def __getitem__(self, key: _K) -> _V:
        return self._data[key]

    def __iter__(self) -> Iterator[_K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenMap):
            return self._data == other._data
        if isinstance(other, Mapping):
            return self._data == dict(other.items())
        return NotImplemented

    def __hash__(self) -> int:
        if self._hash is None:
            object.__setattr__(self, "_hash", hash(frozenset(self._data.items())))
        assert self._hash is not None
        return self._hash

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __repr__(self) -> str:
        return repr(self._data)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._data,))


DEFAULT_MINIMUM_LEVELS: Mapping[MessageKind, ConsentLevel] = FrozenMap(
    {
        MessageKind.COMMERCIAL: ConsentLevel.MARKETING,
        MessageKind.MARKETING_MATERIALS: ConsentLevel.MARKETING,
        MessageKind.SUBSCRIPTION: ConsentLevel.SUBSCRIPTION,
        MessageKind.TRANSACTIONAL: ConsentLevel.TRANSACTIONAL,
        MessageKind.CONSENT_REQUEST: ConsentLevel.CONSENT,
        MessageKind.PHONE: ConsentLevel.MARKETING,
        MessageKind.POSTAL: ConsentLevel.MARKETING,
    }
)
"""D11: the consent level each unsolicited kind needs when levels are enforced; campaign
calls and letters are marketing (D10), so a level-0 person gets nothing unsolicited."""

DEFAULT_PURPOSES: Mapping[str, Enforcement] = FrozenMap(
    {
        "commercial": Enforcement.NON_RESTRICTIVE,
        "transactional": Enforcement.DISABLED,
        "tracking": Enforcement.NON_RESTRICTIVE,
    }
)
"""Real-time journeys' default purposes and their enforcement models."""

DEFAULT_KIND_PURPOSES: Mapping[MessageKind, str] = FrozenMap(
    {
        MessageKind.COMMERCIAL: "commercial",
        MessageKind.SUBSCRIPTION: "commercial",
        MessageKind.CONSENT_REQUEST: "commercial",
        MessageKind.TRANSACTIONAL: "transactional",
    }
)
"""The purpose each marketing-engine kind is sent under, for contact-point consent."""

CLOSED_RECORD_BLOCKS = frozenset(
    {
        MessageKind.COMMERCIAL,
        MessageKind.SUBSCRIPTION,
        MessageKind.CONSENT_REQUEST,
        MessageKind.MARKETING_MATERIALS,
        MessageKind.PHONE,
        MessageKind.POSTAL,
    }
)
"""D7: kinds a closed record (inactive, qualified or disqualified) no longer receives;
transactional, manual and workflow email still reach it unless ``donotemail``."""


def _enum(kind: type[Any], field: str, value: object) -> Any:
    if isinstance(value, kind):
        return value
    try:
        return kind(value)
    except (ValueError, TypeError):
        choices = ", ".join(repr(m.value) for m in kind)
        raise InvalidFieldError(field, f"one of {choices}", value) from None


def _mapping(field: str, value: object) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise FieldTypeError(field, "a mapping", value)
    return value


def _purpose(field: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidFieldError(field, "a non-empty purpose name", value)
    return value.strip().casefold()


def _minimum_levels(value: object) -> Mapping[MessageKind, ConsentLevel]:
    given = {
        _enum(MessageKind, "minimum_levels", k): consent_level("minimum_levels", v)
        for k, v in _mapping("minimum_levels", value).items()
    }
    return FrozenMap({**DEFAULT_MINIMUM_LEVELS, **given})


def _journey_minimum(value: object) -> ConsentLevel | None:
    return None if value is None else consent_level("journey_minimum", value)


def _purposes(value: object) -> Mapping[str, Enforcement]:
    given = {
        _purpose("purposes", k): _enum(Enforcement, "purposes", v)
        for k, v in _mapping("purposes", value).items()
    }
    return FrozenMap({**DEFAULT_PURPOSES, **given})


def _kind_purposes(value: object) -> Mapping[MessageKind, str]:
    given = {
        _enum(MessageKind, "kind_purposes", k): _purpose("kind_purposes", v)
        for k, v in _mapping("kind_purposes", value).items()
    }
    return FrozenMap({**DEFAULT_KIND_PURPOSES, **given})


def _kinds(value: object) -> frozenset[MessageKind]:
    if isinstance(value, (str, Mapping)) or not isinstance(value, Iterable):
        raise FieldTypeError("closed_record_blocks", "a set of message kinds", value)
    return frozenset(_enum(MessageKind, "closed_record_blocks", k) for k in value)


def _model(value: object) -> ConsentModel:
    return _enum(ConsentModel, "consent_model", value)  # type: ignore[no-any-return]


_POLICY_FIELDS: dict[str, Callable[[Any], Any]] = {
    "enforce_consent_levels": functools.partial(checked_flag, "enforce_consent_levels"),
    "consent_model": _model,
    "minimum_levels": _minimum_levels,
    "journey_minimum": _journey_minimum,
    "purposes": _purposes,
    "kind_purposes": _kind_purposes,
    "check_contact_flags": functools.partial(checked_flag, "check_contact_flags"),
    "closed_record_blocks": _kinds,
    "honour_suppressions": functools.partial(checked_flag, "honour_suppressions"),
}
"""How each field of :class:`Policy` is checked and read from its plain value."""


@attrs.frozen(kw_only=True)
class Policy:
    """What an organisation chooses about sending; data, so it can live in a config file.

    ``Policy()`` answers as Dynamics does out of the box (D11): consent levels are not
    enforced, so a record with no consent records is not blocked for want of consent, and
    Customer Insights' purposes keep their defaults. :meth:`data_protection` is the preset
    that enforces consent levels. Under either, the state rules, ``donotemail`` and
    ``donotbulkemail``, contact-point and topic opt-outs and suppressions hold.

    Every field accepts its enum members or their plain values (``"levels"``,
    ``{"commercial": 4}``), so a policy read from JSON or TOML builds the same way.

    The three mappings are laid over their defaults: only the keys given change, the
    others keep their default values. So ``Policy(minimum_levels={"commercial": 5})``
    raises commercial email to Profiling and keeps every other kind's minimum; map a
    kind to level 0 (:attr:`ConsentLevel.NONE <lifecycle.consent.ConsentLevel.NONE>`)
    to remove its minimum. Purposes given join the default ones (Commercial
    non-restrictive, Transactional disabled, Tracking non-restrictive); to stop
    checking contact-point consent for a kind, map it in ``kind_purposes`` to a
    purpose whose enforcement is ``"disabled"``. The mappings are
    :class:`FrozenMap` instances, so a policy is frozen and hashable.
    """

    enforce_consent_levels: bool = False
    """Enforce consent levels (D11) when ``consent_model`` is ``LEVELS``: the minimum level
    of each kind, and GDPR Restrict once every consent has lapsed. Off by default, as
    Dynamics ships; :meth:`data_protection` turns it on. Opt-outs (the preference flags,
    contact-point and topic opt-outs, suppressions) do not depend on it."""
    consent_model: ConsentModel = ConsentModel.LEVELS
    minimum_levels: Mapping[MessageKind, ConsentLevel] = DEFAULT_MINIMUM_LEVELS
    journey_minimum: ConsentLevel | None = None
    """A journey's own minimum consent; commercial sends need the higher of it and Marketing."""
    purposes: Mapping[str, Enforcement] = DEFAULT_PURPOSES
    kind_purposes: Mapping[MessageKind, str] = DEFAULT_KIND_PURPOSES
    check_contact_flags: bool = True
    """RTJ's contact-level checks: when off, the marketing engine ignores ``donotemail`` and
    ``donotbulkemail`` (manual and workflow email still honour ``donotemail``)."""
    closed_record_blocks: frozenset[MessageKind] = CLOSED_RECORD_BLOCKS
    honour_suppressions: bool = True

    def __attrs_post_init__(self) -> None:
        """Every field checked and converted from its plain value; every bad one is
        reported in one error (:class:`~lifecycle.errors.InvalidFieldError`)."""
        convert_fields(self, _POLICY_FIELDS)

    @classmethod
    def data_protection(cls, **changes: Any) -> Policy:
        """The data-protection preset (D11): consent levels enforced. Commercial email and
        campaign calls, letters and marketing materials need Marketing (4), subscription
        offers 3, transactional email 2, consent requests 1; a person whose every consent
        has lapsed is GDPR Restrict. ``changes`` are laid over it
        (``Policy.data_protection(journey_minimum=5)``)."""
        return cls(**{"enforce_consent_levels": True, **changes})

    @property
    def levels_enforced(self) -> bool:
        """Whether consent levels gate sends: enforced, under the ``LEVELS`` model."""
        return self.enforce_consent_levels and self.consent_model is ConsentModel.LEVELS

    def minimum_level(self, kind: MessageKind) -> ConsentLevel | None:
        """The consent level ``kind`` needs under this policy, or ``None`` when it needs
        none (no entry, or level 0)."""
        level = self.minimum_levels.get(kind)
        if kind is MessageKind.COMMERCIAL and self.journey_minimum is not None:
            level = max(level or ConsentLevel.NONE, self.journey_minimum)
        return None if level is None or level is ConsentLevel.NONE else level

    def to_dict(self) -> dict[str, Any]:
        """Plain data (enum values, lists) that :meth:`from_dict` reads back."""
        return {
            "enforce_consent_levels": self.enforce_consent_levels,
            "consent_model": self.consent_model.value,
            "minimum_levels": {k.value: int(v) for k, v in self.minimum_levels.items()},
            "journey_minimum": None if self.journey_minimum is None else int(self.journey_minimum),
            "purposes": {k: v.value for k, v in self.purposes.items()},
            "kind_purposes": {k.value: v for k, v in self.kind_purposes.items()},
            "check_contact_flags": self.check_contact_flags,
            "closed_record_blocks": sorted(k.value for k in self.closed_record_blocks),
            "honour_suppressions": self.honour_suppressions,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Policy:
        """A policy from :meth:`to_dict` data; unknown keys and bad values raise one
        error naming every one."""
        known = {f.name for f in attrs.fields(cls)}
        problems = Problems()
        unknown = sorted(set(_mapping("policy", data)) - known)
        if unknown:
            problems.must("policy", f"keys among {sorted(known)}", unknown)
        policy = problems.check(lambda: cls(**{k: v for k, v in data.items() if k in known}))
        problems.raise_if_any()
        assert policy is not None
        return policy


DEFAULT_POLICY = Policy()

_BELOW = {
    ConsentLevel.CONSENT: ReasonCode.CONSENT_BELOW_CONSENT,
    ConsentLevel.TRANSACTIONAL: ReasonCode.CONSENT_BELOW_TRANSACTIONAL,
    ConsentLevel.SUBSCRIPTION: ReasonCode.CONSENT_BELOW_SUBSCRIPTION,
    ConsentLevel.MARKETING: ReasonCode.CONSENT_BELOW_MARKETING,
    ConsentLevel.PROFILING: ReasonCode.CONSENT_BELOW_PROFILING,
}


def closed_reason(record: Record) -> Reason | None:
    """Why a record counts as closed for D7, or ``None`` while it is open/active."""
    if isinstance(record, Lead):
        if record.state is LeadState.DISQUALIFIED:
            return Reason(
                ReasonCode.LEAD_DISQUALIFIED, f"the lead is disqualified ({record.status.label})"
            )
        if record.state is LeadState.QUALIFIED:
            return Reason(ReasonCode.LEAD_QUALIFIED, "the lead is qualified (closed)")
        return None
    if record.is_active or record.is_deleted:
        return None
    if isinstance(record, Account):
        return Reason(ReasonCode.ACCOUNT_INACTIVE, "the account is inactive")
    return Reason(ReasonCode.CONTACT_INACTIVE, "the contact is inactive")


def consent_level_at(record: Record, at: dt.datetime) -> ConsentLevel:
    """The highest level among the record's consents active at ``at``."""
    return max((c.level for c in record.consents if c.is_active_at(at)), default=ConsentLevel.NONE)


def check_send(
    kind: object,
    at: object,
    policy: object,
    suppressions: object = None,
    contact_points: object = None,
) -> None:
    """Raise a typed error for any argument of a send that is not of its kind.

    Shared by :func:`can_send`, :func:`~lifecycle.audiences.audience` and the
    columnar ``decide_frame``, so all three refuse the same bad input the same way.
    """
    if not isinstance(kind, MessageKind):
        raise FieldTypeError("kind", "a MessageKind", kind)
    if not isinstance(policy, Policy):
        raise FieldTypeError("policy", "a Policy", policy)
    require_aware("at", at)
    if suppressions is not None and not isinstance(suppressions, SuppressionList):
        raise FieldTypeError("suppressions", "a SuppressionList or None", suppressions)
    if contact_points is not None and not isinstance(contact_points, ContactPointLedger):
        raise FieldTypeError("contact_points", "a ContactPointLedger or None", contact_points)


def can_send(
    record: Record,
    kind: MessageKind,
    *,
    at: dt.datetime,
    policy: Policy = DEFAULT_POLICY,
    suppressions: SuppressionList | None = None,
    contact_points: ContactPointLedger | None = None,
    topic: str | None = None,
    sending_account: str | None = None,
) -> Decision:
    """May a message of ``kind`` reach ``record`` at ``at``? Every blocking reason is listed."""
    if not isinstance(record, (Lead, Contact, Account)):
        raise FieldTypeError("record", "a Lead, Contact or Account", record)
    check_send(kind, at, policy, suppressions, contact_points)
    reasons = _reasons(
        record, kind, at, policy, suppressions, contact_points, topic, sending_account
    )
    return Decision(record.id, kind, not reasons, tuple(reasons))


def _reasons(
    record: Record,
    kind: MessageKind,
    at: dt.datetime,
    policy: Policy,
    suppressions: SuppressionList | None,
    contact_points: ContactPointLedger | None,
    topic: str | None,
    sending_account: str | None,
) -> list[Reason]:
    reasons: list[Reason] = []
    add = reasons.append
    if record.is_deleted:
        add(Reason(ReasonCode.RECORD_DELETED, "the record was deleted"))
    if record.anonymized:
        add(Reason(ReasonCode.RECORD_ANONYMIZED, "the record was anonymized"))
    _channel_reasons(record, kind, add)
    if kind in policy.closed_record_blocks:
        closed = closed_reason(record)
        if closed is not None:
            add(closed)
    if getattr(record, "consent_restricted", False):
        add(
            Reason(
                ReasonCode.GDPR_RESTRICT,
                "the person restricted processing: every preference is Do Not Allow",
            )
        )
    elif _consents_lapsed(record, at, policy):
        add(
            Reason(
                ReasonCode.GDPR_RESTRICT,
                "every data consent the person gave is inactive: GDPR consent is Restrict",
            )
        )
    _flag_reasons(record, kind, policy, add)
    if policy.levels_enforced:
        _level_reasons(record, kind, at, policy, add)
    if kind.via_marketing_engine:
        _contact_point_reasons(record, kind, policy, contact_points, topic, add)
    if suppressions is not None and policy.honour_suppressions and kind.via_marketing_engine:
        seen = set()
        for entry in suppressions.active(record.emailaddress1, at, sending_account):
            if entry.reason not in seen:
                seen.add(entry.reason)
                until = "permanently" if entry.until is None else f"until {entry.until:%Y-%m-%d}"
                add(
                    Reason(
                        ReasonCode(entry.reason.value),
                        f"{entry.address} is suppressed {until} ({entry.reason.name.lower()})",
                    )
                )
    return reasons


def _consents_lapsed(record: Record, at: dt.datetime, policy: Policy) -> bool:
    return (
        policy.levels_enforced
        and not isinstance(record, Account)
        and not record.anonymized
        and bool(record.consents)
        and not any(c.is_active_at(at) for c in record.consents)
    )


def _channel_reasons(record: Record, kind: MessageKind, add: Any) -> None:
    if kind.is_email and not record.emailaddress1:
        add(Reason(ReasonCode.NO_EMAIL_ADDRESS, "the record has no email address"))
    elif kind is MessageKind.PHONE and not (
        record.telephone1 or getattr(record, "mobilephone", None)
    ):
        add(Reason(ReasonCode.NO_PHONE_NUMBER, "the record has no phone number"))
    elif kind in (MessageKind.POSTAL, MessageKind.MARKETING_MATERIALS) and not (
        record.address1_line1
    ):
        add(Reason(ReasonCode.NO_POSTAL_ADDRESS, "the record has no postal address"))


def _flag_reasons(record: Record, kind: MessageKind, policy: Policy, add: Any) -> None:
    engine_skips_flags = kind.via_marketing_engine and not policy.check_contact_flags
    if kind.is_email and record.donotemail and not engine_skips_flags:
        add(Reason(ReasonCode.DONOTEMAIL, "Email is set to Do Not Allow (blocks every email)"))
    if kind.is_bulk and record.donotbulkemail and not engine_skips_flags:
        add(Reason(ReasonCode.DONOTBULKEMAIL, "Bulk Email is set to Do Not Allow"))
    if kind is MessageKind.MARKETING_MATERIALS and record.donotsendmm:
        add(Reason(ReasonCode.DONOTSENDMM, "Marketing Materials is set to Do Not Send"))
    if kind is MessageKind.PHONE and record.donotphone:
        add(Reason(ReasonCode.DONOTPHONE, "Phone Calls is set to Do Not Allow"))
    if kind is MessageKind.POSTAL and record.donotpostalmail:
        add(Reason(ReasonCode.DONOTPOSTALMAIL, "Mails is set to Do Not Allow"))


def _level_reasons(
    record: Record, kind: MessageKind, at: dt.datetime, policy: Policy, add: Any
) -> None:
    needed = policy.minimum_level(kind)
    if needed is None or needed is ConsentLevel.NONE:
        return
    if isinstance(record, Account):
        add(
            Reason(
                ReasonCode.ACCOUNT_HOLDS_NO_CONSENT,
                f"accounts hold no consent; {kind.value} needs {needed.name.title()} ({needed})",
            )
        )
        return
    level = consent_level_at(record, at)
    if level < needed:
        add(
            Reason(
                _BELOW[needed],
                f"consent level {level.name.title()} ({level}) is below "
                f"{needed.name.title()} ({needed})",
            )
        )


def _contact_point_reasons(
    record: Record,
    kind: MessageKind,
    policy: Policy,
    ledger: ContactPointLedger | None,
    topic: str | None,
    add: Any,
) -> None:
    purpose = policy.kind_purposes.get(kind)
    if purpose is None:
        return
    enforcement = policy.purposes.get(purpose, Enforcement.RESTRICTIVE)
    if enforcement is Enforcement.DISABLED:
        return
    address = record.emailaddress1
    checks: list[tuple[str, str | None, ReasonCode, ReasonCode]] = [
        (purpose, None, ReasonCode.CONTACT_POINT_OPTED_OUT, ReasonCode.CONTACT_POINT_NOT_OPTED_IN)
    ]
    if topic is not None:
        checks.append((purpose, topic, ReasonCode.TOPIC_OPTED_OUT, ReasonCode.TOPIC_NOT_OPTED_IN))
    for name, subject, opted_out, not_in in checks:
        value = None if ledger is None else ledger.value(address, name, topic=subject)
        what = f"topic {subject!r}" if subject else f"purpose {name!r}"
        if value is ConsentValue.OPTED_OUT:
            add(Reason(opted_out, f"{address} opted out of {what}"))
        elif value is None and enforcement is Enforcement.RESTRICTIVE:
            add(Reason(not_in, f"{address} never opted in to {what} ({enforcement.value})"))
