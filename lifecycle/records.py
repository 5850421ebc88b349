"""Lead, Contact and Account records with Dataverse logical field names.

Records are what users hold and act on. Their fields cannot be assigned
directly: a record changes through its triggers (``lead.disqualify()``,
``contact.deactivate()``) and through :meth:`Record.update`, which refuses edits
of closed records unless the caller says the edit is an integration (API/sync)
edit, which Dynamics allows.

Every record type shares one :class:`~lifecycle.machines.Lifecycle`, wired by
:mod:`lifecycle.definitions`; a record carries no machine of its own.
"""

from __future__ import annotations

import datetime as dt
import itertools
import operator
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Self

import attrs

from lifecycle.clock import require_aware
from lifecycle.consent import DataConsent, consent_tuple
from lifecycle.errors import (
    FieldAssignmentError,
    FieldTypeError,
    InvalidFieldError,
    InvalidStatusError,
    ReadOnlyRecordError,
)
from lifecycle.fields import (
    email,
    flag,
    moment,
    new_id,
    reference,
    required_reference,
    text,
)
from lifecycle.relations import ACCOUNT, CONTACT, LEAD, SYSTEM_REFERENCES
from lifecycle.states import (
    DEFAULT_STATUS,
    AccountState,
    AccountStatus,
    CodedState,
    CodedStatus,
    ContactState,
    ContactStatus,
    LeadState,
    LeadStatus,
)

if TYPE_CHECKING:
    from lifecycle.machines import HistoryEvent, Lifecycle


def _loosens(name: str, value: object) -> bool:
    return (name in _PREFERENCES and value is False) or (name == "followemail" and value is True)


def _defer_validators(cls: type, fields: list[attrs.Attribute[Any]]) -> list[attrs.Attribute[Any]]:
    """Move each field's validator into its metadata, so construction checks only the
    values that differ from their defaults (most fields of most records are blank)."""
    moved = []
    for field in fields:
        if field.validator is not None:
            metadata = {**field.metadata, "check": field.validator}
            field = field.evolve(validator=None, metadata=metadata)
        moved.append(field)
    return moved


@attrs.frozen
class _FieldChecks:
    """A record type's field checks, arranged so finding the non-default values is C-level."""

    values: Callable[[Any], tuple[Any, ...]]
    defaults: tuple[Any, ...]
    entries: tuple[tuple[str, Any, attrs.Attribute[Any]], ...]
    positions: range

    @classmethod
    def of(cls, kind: type[Record]) -> _FieldChecks:
        fields = [f for f in attrs.fields(kind) if "check" in f.metadata and f.init]
        getter = operator.attrgetter(*(f.name for f in fields))
        return cls(
            getter,
            tuple(f.default for f in fields),
            tuple((f.name, f.metadata["check"], f) for f in fields),
            range(len(fields)),
        )

    def run(self, record: Record) -> None:
        values = self.values(record)
        for i in itertools.compress(self.positions, map(operator.is_not, values, self.defaults)):
            _, check, field = self.entries[i]
            check(record, field, values[i])


def _checks(kind: type[Record]) -> _FieldChecks:
    cached = kind.__dict__.get("_field_checks")
    if cached is None:
        cached = _FieldChecks.of(kind)
        type.__setattr__(kind, "_field_checks", cached)
    return cached


def _refuse_assignment(inst: object, attribute: attrs.Attribute[Any], value: object) -> Any:
    raise FieldAssignmentError(attribute.name)


def _default_status(inst: Record) -> Any:
    return DEFAULT_STATUS.get(inst.state)


SYSTEM_FIELDS = frozenset(
    {
        "id",
        "state",
        "status",
        "merged",
        "anonymized",
        "createdon",
        "modifiedon",
        "consents",
        "consent_restricted",
        *SYSTEM_REFERENCES,
    }
)
"""Fields only triggers and the store may set; :meth:`Record.update` refuses them (the
history references among them: :data:`lifecycle.relations.SYSTEM_REFERENCES`)."""

_PREFERENCES = ("donotemail", "donotbulkemail", "donotsendmm", "donotphone", "donotpostalmail")

PERSONAL_FIELDS = (
    "firstname",
    "lastname",
    "emailaddress1",
    "telephone1",
    "mobilephone",
    "jobtitle",
    "address1_line1",
    "address1_city",
    "address1_stateorprovince",
    "address1_postalcode",
    "address1_country",
)
"""Fields that identify a person; anonymising erases them."""


@attrs.define(kw_only=True, on_setattr=_refuse_assignment, field_transformer=_defer_validators)
class Record:
    """Fields every record type shares."""

    _lifecycle: ClassVar[Lifecycle]
    state_type: ClassVar[type[CodedState]]
    status_type: ClassVar[type[CodedStatus]]
    open_state: ClassVar[CodedState]
    if TYPE_CHECKING:
        state: CodedState
        status: CodedStatus

    id: str = attrs.field(factory=new_id, validator=required_reference())
    emailaddress1: str | None = attrs.field(default=None, validator=email())
    telephone1: str | None = attrs.field(default=None, validator=text(50))
    address1_line1: str | None = attrs.field(default=None, validator=text(250))
    address1_city: str | None = attrs.field(default=None, validator=text(80))
    address1_stateorprovince: str | None = attrs.field(default=None, validator=text(50))
    address1_postalcode: str | None = attrs.field(default=None, validator=text(20))
    address1_country: str | None = attrs.field(default=None, validator=text(80))
    donotemail: bool = attrs.field(default=False, validator=flag())
    donotbulkemail: bool = attrs.field(default=False, validator=flag())
    donotsendmm: bool = attrs.field(default=False, validator=flag())
    donotphone: bool = attrs.field(default=False, validator=flag())
    donotpostalmail: bool = attrs.field(default=False, validator=flag())
    followemail: bool = attrs.field(default=True, validator=flag())
    merged: bool = attrs.field(default=False, validator=flag())
    masterid: str | None = attrs.field(default=None, validator=reference())
    anonymized: bool = attrs.field(default=False, validator=flag())
    createdon: dt.datetime | None = attrs.field(default=None, validator=moment())
    modifiedon: dt.datetime | None = attrs.field(default=None, validator=moment())
    consents: tuple[DataConsent, ...] = attrs.field(default=(), converter=consent_tuple)
    _history: tuple[HistoryEvent, ...] = attrs.field(default=(), init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if getattr(type(self), "state_type", None) is None:
            raise FieldTypeError("record", "a Lead, Contact or Account", type(self).__name__)
        _checks(type(self)).run(self)
        state, status = self.state, self.status
        if not isinstance(state, self.state_type):
            raise FieldTypeError("state", f"a {self.state_type.__name__}", state)
        if not isinstance(status, self.status_type):
            raise FieldTypeError("status", f"a {self.status_type.__name__}", status)
        if state.code is not None and status.state_value != state.value:
            raise InvalidStatusError(
                f"'status' must be a status reason of {state.label} (got {status.label}, "
                f"statuscode {status.code}, which belongs to another state)."
            )

    # --- codes ---------------------------------------------------------------------------

    @property
    def statecode(self) -> int | None:
        """Dataverse ``statecode``; ``None`` once deleted."""
        return self.state.code

    @property
    def statuscode(self) -> int:
        """Dataverse ``statuscode``."""
        return self.status.code

    @classmethod
    def from_codes(
        cls,
        statecode: int,
        statuscode: int | None = None,
        *,
        history: Iterable[HistoryEvent] = (),
        **fields: Any,
    ) -> Self:
        """A record in the state and status Dataverse codes name; the pair is validated.

        ``history`` restores the transitions a stored record went through (a store
        loading what it saved); it is not checked against the state, because an
        import can set a state without a transition.
        """
        state = cls.state_type.from_code(statecode)
        if statuscode is None:
            status = DEFAULT_STATUS[state]
        else:
            status = cls.status_type.from_code(statuscode)
            if status.state_value != state.value:
                raise InvalidStatusError(
                    f"'statuscode' must be a status of statecode {statecode} ({state.label}) "
                    f"(got {statuscode}, {status.label})."
                )
        record = cls(state=state, status=status, **fields)  # type: ignore[call-arg]
        if history:
            from lifecycle.machines import HistoryEvent

            events = tuple(history)
            for event in events:
                if not isinstance(event, HistoryEvent):
                    raise FieldTypeError("history", "a sequence of HistoryEvent", event)
            object.__setattr__(record, "_history", events)
        return record

    # --- reading ---------------------------------------------------------------------------

    @property
    def history(self) -> tuple[HistoryEvent, ...]:
        """Every transition this record went through, oldest first."""
        return self._history

    @property
    def is_active(self) -> bool:
        """Open (lead) or Active (contact, account): the state new relationships need."""
        return self.state is self.open_state

    @property
    def is_deleted(self) -> bool:
        """Whether the record was deleted."""
        return self.state.code is None

    @property
    def allowed_triggers(self) -> tuple[str, ...]:
        """The triggers that would be accepted now."""
        return self._lifecycle.allowed_triggers(self)

    # --- changing ----------------------------------------------------------------------------

    def update(
        self,
        changes: Mapping[str, Any] | None = None,
        /,
        *,
        integration: bool = False,
        at: dt.datetime | None = None,
        **fields: Any,
    ) -> tuple[str, ...]:
        """Set data fields, all or none; return the names of the fields that changed.

        Closed records (inactive contact/account, qualified or disqualified lead)
        are read-only: pass ``integration=True`` for an API/sync edit, which
        Dynamics allows on them. Deleted and anonymized records accept no edit.
        """
        if changes is not None and not isinstance(changes, Mapping):
            raise FieldTypeError("changes", "a mapping of field names to values", changes)
        wanted = {**(changes or {}), **fields}
        self.check_editable(integration=integration)
        by_name = attrs.fields_dict(type(self))
        for name, value in wanted.items():
            field = by_name.get(name)
            if field is None or name in SYSTEM_FIELDS or name.startswith("_"):
                editable = sorted(n for n in by_name if n not in SYSTEM_FIELDS and n[0] != "_")
                raise InvalidFieldError(name, f"an editable field: one of {editable}", name)
            check = field.metadata.get("check")
            if check is not None:
                check(self, field, value)
            if getattr(self, "consent_restricted", False) and _loosens(name, value):
                raise InvalidFieldError(
                    name,
                    "Do Not Allow while the person restricts processing (lift_restriction() first)",
                    value,
                )
        changed = tuple(n for n, v in wanted.items() if getattr(self, n) != v)
        when = require_aware("at", self._lifecycle.clock() if at is None else at)
        if changed:
            for name in changed:
                object.__setattr__(self, name, wanted[name])
            if self.modifiedon is None or when > self.modifiedon:
                object.__setattr__(self, "modifiedon", when)
        return changed

    def check_editable(self, *, integration: bool = False) -> None:
        """Raise :class:`ReadOnlyRecordError` unless an edit is allowed now."""
        state = self.state
        if self.is_deleted:
            raise ReadOnlyRecordError(self.id, state.label, "deleted records cannot be edited")
        if self.anonymized:
            raise ReadOnlyRecordError(self.id, state.label, "anonymized records cannot be edited")
        if not integration and not self.is_active:
            raise ReadOnlyRecordError(
                self.id,
                state.label,
                f"{state.label} records are read-only until reactivated "
                "(pass integration=True for an API/sync edit)",
            )

    def _system_edit(
        self, values: Mapping[str, Any], at: dt.datetime | None, *, narrows: bool = False
    ) -> tuple[str, ...]:
        """Set fields no ordinary update may touch, on any record that still exists
        (anonymized ones too when the change only ``narrows`` what may be sent)."""
        state = self.state
        if self.is_deleted or (self.anonymized and not narrows):
            why = "deleted" if self.is_deleted else "anonymized"
            raise ReadOnlyRecordError(self.id, state.label, f"{why} records cannot be edited")
        when = require_aware("at", self._lifecycle.clock() if at is None else at)
        changed = tuple(n for n, v in values.items() if getattr(self, n) != v)
        for name in changed:
            object.__setattr__(self, name, values[name])
        if changed and (self.modifiedon is None or when > self.modifiedon):
            object.__setattr__(self, "modifiedon", when)
        return changed

    def delete(
        self, *, at: dt.datetime | None = None, actor: str | None = None, note: str | None = None
    ) -> HistoryEvent:
        """Delete the record; it can never come back (D5)."""
        return self._lifecycle.fire(self, "delete", at=at, actor=actor, note=note).event

    def anonymize(
        self, *, at: dt.datetime | None = None, actor: str | None = None, note: str | None = None
    ) -> HistoryEvent:
        """Erase personal fields, close the record and anonymize its consents; irreversible."""
        return self._lifecycle.fire(self, "anonymize", at=at, actor=actor, note=note).event


@attrs.define(kw_only=True, on_setattr=_refuse_assignment, field_transformer=_defer_validators)
class _Person(Record):
    """Fields that leads and contacts share."""

    firstname: str | None = attrs.field(default=None, validator=text(50))
    lastname: str | None = attrs.field(default=None, validator=text(50))
    mobilephone: str | None = attrs.field(default=None, validator=text(50))
    jobtitle: str | None = attrs.field(default=None, validator=text(100))

    consent_restricted: bool = attrs.field(default=False, validator=flag())
    """GDPR Restrict: the person restricted processing (see :meth:`restrict_consent`)."""
    consent_inherent: bool = attrs.field(default=False, validator=flag())
    """GDPR Inherent: the DPO recorded a legal basis other than consent."""

    def restrict_consent(self, *, at: dt.datetime | None = None) -> tuple[str, ...]:
        """GDPR Restrict: set every contact preference to Do Not Allow and remember why.

        Allowed on closed records too (it only narrows what may be sent); refused on
        deleted ones. Returns the fields that changed.
        """
        return self._system_edit(
            {**dict.fromkeys(_PREFERENCES, True), "followemail": False, "consent_restricted": True},
            at,
            narrows=True,
        )

    def lift_restriction(self, *, at: dt.datetime | None = None) -> tuple[str, ...]:
        """End a GDPR restriction. Preferences stay Do Not Allow until updated one by one."""
        return self._system_edit({"consent_restricted": False}, at)

    def give_consent(self, consent: DataConsent, *, at: dt.datetime | None = None) -> DataConsent:
        """Record a data consent the person gave; allowed on closed records (D12)."""
        if not isinstance(consent, DataConsent):
            raise FieldTypeError("consent", "a DataConsent", consent)
        if any(c.id == consent.id for c in self.consents):
            raise InvalidFieldError("consent", "a consent the record does not hold yet", consent.id)
        self._system_edit({"consents": (*self.consents, consent)}, at)
        return consent

    def cancel_consent(self, consent_id: str, *, at: dt.datetime | None = None) -> DataConsent:
        """Active → Cancelled: the person withdrew this consent."""
        return self._replace_consent(consent_id, "cancel", at)

    def reactivate_consent(self, consent_id: str, *, at: dt.datetime | None = None) -> DataConsent:
        """Cancelled → Active; expired and anonymized consents cannot come back (D12)."""
        return self._replace_consent(consent_id, "reactivate", at)

    def _replace_consent(self, consent_id: str, move: str, at: dt.datetime | None) -> DataConsent:
        for position, consent in enumerate(self.consents):
            if consent.id == consent_id:
                changed = getattr(consent, move)()
                consents = (*self.consents[:position], changed, *self.consents[position + 1 :])
                self._system_edit({"consents": consents}, at)
                return changed  # type: ignore[no-any-return]
        known = [c.id for c in self.consents]
        raise InvalidFieldError(
            "consent_id", f"the id of one of this record's consents {known}", consent_id
        )

    @property
    def fullname(self) -> str | None:
        """``firstname lastname``, as Dataverse composes it; ``None`` when both are blank."""
        parts = [p.strip() for p in (self.firstname, self.lastname) if p and p.strip()]
        return " ".join(parts) or None


@attrs.define(kw_only=True, on_setattr=_refuse_assignment, field_transformer=_defer_validators)
class Lead(_Person):
    """A lead: one expression of interest, Open until qualified or disqualified."""

    state_type: ClassVar[type[CodedState]] = LeadState
    status_type: ClassVar[type[CodedStatus]] = LeadStatus
    open_state: ClassVar[CodedState] = LeadState.OPEN

    state: LeadState = attrs.field(default=LeadState.OPEN)
    status: LeadStatus = attrs.field(default=attrs.Factory(_default_status, takes_self=True))
    companyname: str | None = attrs.field(default=None, validator=text(100))
    subject: str | None = attrs.field(default=None, validator=text(300))
    parentcontactid: str | None = attrs.field(default=None, validator=reference())
    parentaccountid: str | None = attrs.field(default=None, validator=reference())
    customerid: str | None = attrs.field(default=None, validator=reference())
    qualifyingopportunityid: str | None = attrs.field(default=None, validator=reference())
    campaignid: str | None = attrs.field(default=None, validator=reference())
    msdyncrm_marketingformid: str | None = attrs.field(default=None, validator=reference())
    msdyncrm_marketingpageid: str | None = attrs.field(default=None, validator=reference())

    def mark_contacted(
        self, *, at: dt.datetime | None = None, actor: str | None = None, note: str | None = None
    ) -> HistoryEvent:
        """Open/New → Open/Contacted."""
        return self._lifecycle.fire(self, "mark_contacted", at=at, actor=actor, note=note).event

    def disqualify(
        self,
        reason: LeadStatus = LeadStatus.LOST,
        *,
        at: dt.datetime | None = None,
        actor: str | None = None,
        note: str | None = None,
    ) -> HistoryEvent:
        """Open → Disqualified with ``reason`` (Lost, Cannot Contact, No Longer Interested,
        Canceled); refused while an opportunity is linked (D6)."""
        return self._lifecycle.fire(
            self, "disqualify", at=at, actor=actor, note=note, status_reason=reason
        ).event

    def reactivate(
        self, *, at: dt.datetime | None = None, actor: str | None = None, note: str | None = None
    ) -> HistoryEvent:
        """Qualified or Disqualified → Open/New (D5)."""
        return self._lifecycle.fire(self, "reactivate", at=at, actor=actor, note=note).event

    def qualify(
        self,
        *,
        contact: Contact | None = None,
        account: Account | None = None,
        create_contact: bool = False,
        create_account: bool = False,
        create_opportunity: bool = False,
        at: dt.datetime | None = None,
        actor: str | None = None,
        note: str | None = None,
    ) -> QualifyResult:
        """Open → Qualified, linking or creating a contact, an account and an opportunity.

        Mirrors ``QualifyLead``: created records point back through
        ``originatingleadid``; a created account becomes the contact's parent and
        the contact its primary contact; active consents move to the contact; the
        contact stops being marketing-only (D1, D12).
        """
        params: dict[str, Any] = {}
        for name, value in (
            ("contact", contact),
            ("account", account),
            ("create_contact", create_contact),
            ("create_account", create_account),
            ("create_opportunity", create_opportunity),
        ):
            if value:
                params[name] = value
        outcome = self._lifecycle.fire(self, "qualify", at=at, actor=actor, note=note, **params)
        result: QualifyResult = outcome.outcome or QualifyResult(lead=self)
        return result


@attrs.define(kw_only=True, on_setattr=_refuse_assignment, field_transformer=_defer_validators)
class Contact(_Person):
    """A contact: a person, Active or Inactive."""

    state_type: ClassVar[type[CodedState]] = ContactState
    status_type: ClassVar[type[CodedStatus]] = ContactStatus
    open_state: ClassVar[CodedState] = ContactState.ACTIVE

    state: ContactState = attrs.field(default=ContactState.ACTIVE)
    status: ContactStatus = attrs.field(default=attrs.Factory(_default_status, takes_self=True))
    parentcustomerid: str | None = attrs.field(default=None, validator=reference())
    originatingleadid: str | None = attrs.field(default=None, validator=reference())
    marketingonly: bool = attrs.field(default=False, validator=flag())

    def deactivate(
        self, *, at: dt.datetime | None = None, actor: str | None = None, note: str | None = None
    ) -> HistoryEvent:
        """Active → Inactive: read-only, out of dynamic segments and bulk email (D7)."""
        return self._lifecycle.fire(self, "deactivate", at=at, actor=actor, note=note).event

    def activate(
        self, *, at: dt.datetime | None = None, actor: str | None = None, note: str | None = None
    ) -> HistoryEvent:
        """Inactive → Active."""
        return self._lifecycle.fire(self, "activate", at=at, actor=actor, note=note).event


@attrs.define(kw_only=True, on_setattr=_refuse_assignment, field_transformer=_defer_validators)
class Account(Record):
    """An account (organisation), Active or Inactive."""

    state_type: ClassVar[type[CodedState]] = AccountState
    status_type: ClassVar[type[CodedStatus]] = AccountStatus
    open_state: ClassVar[CodedState] = AccountState.ACTIVE

    state: AccountState = attrs.field(default=AccountState.ACTIVE)
    status: AccountStatus = attrs.field(default=attrs.Factory(_default_status, takes_self=True))
    name: str | None = attrs.field(default=None, validator=text(160))
    primarycontactid: str | None = attrs.field(default=None, validator=reference())
    parentaccountid: str | None = attrs.field(default=None, validator=reference())
    originatingleadid: str | None = attrs.field(default=None, validator=reference())
    marketingonly: bool = attrs.field(default=False, validator=flag())

    def deactivate(
        self, *, at: dt.datetime | None = None, actor: str | None = None, note: str | None = None
    ) -> HistoryEvent:
        """Active → Inactive."""
        return self._lifecycle.fire(self, "deactivate", at=at, actor=actor, note=note).event

    def activate(
        self, *, at: dt.datetime | None = None, actor: str | None = None, note: str | None = None
    ) -> HistoryEvent:
        """Inactive → Active."""
        return self._lifecycle.fire(self, "activate", at=at, actor=actor, note=note).event


RECORD_TYPES: dict[str, type[Record]] = {LEAD: Lead, CONTACT: Contact, ACCOUNT: Account}
"""Each kind of record leadflow keeps by its name, as the store writes it in ``record_type``
columns and the columnar and batch functions read it (the names are
:data:`lifecycle.relations.KINDS`, in that order)."""

TYPE_NAME: dict[type[Record], str] = {kind: name for name, kind in RECORD_TYPES.items()}
"""Each record class's name: ``TYPE_NAME[Lead] == "lead"``."""

PRIMARY_KEY: dict[type[Record], str] = {kind: f"{name}id" for name, kind in RECORD_TYPES.items()}
"""Each record class's primary-key column, as Dataverse names it: ``leadid``, ``contactid``,
``accountid`` (the store's tables and import files both use it)."""

_NOT_DATA = frozenset({"id", "state", "status", "consents"})


def data_fields(kind: type[Record]) -> tuple[str, ...]:
    """The fields of ``kind`` a row holds beside its key and its state and status codes, in
    declaration order: the store's plain columns, and what a file can fill."""
    return tuple(f.name for f in attrs.fields(kind) if f.init and f.name not in _NOT_DATA)


@attrs.frozen
class QualifyResult:
    """What qualifying a lead created or linked."""

    lead: Lead
    contact: Contact | None = None
    account: Account | None = None
    opportunity_id: str | None = None
    created: tuple[str, ...] = ()
    """Which of ``contact``, ``account``, ``opportunity`` were created (the rest were linked)."""
