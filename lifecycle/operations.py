"""Effects of the triggers that do more than change state: qualify, anonymize, merge.

Each effect follows the engine's two phases: it validates everything and raises
before returning, then the closure it returns applies the changes, which can no
longer fail. A refused qualify or merge therefore changes no record at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import attrs

from lifecycle.consent import anonymized
from lifecycle.errors import (
    FieldTypeError,
    InvalidFieldError,
    MergeError,
    Problem,
    ReadOnlyRecordError,
    type_named,
)
from lifecycle.fields import new_id
from lifecycle.machines import Commit, Params, Transitioned
from lifecycle.records import (
    PERSONAL_FIELDS,
    SYSTEM_FIELDS,
    Account,
    Contact,
    Lead,
    QualifyResult,
    Record,
)
from lifecycle.relations import MERGE_REPOINTED

_ERASED_TOO = ("companyname", "subject", "name")


def _set(record: Record, **values: Any) -> None:
    for name, value in values.items():
        object.__setattr__(record, name, value)


def _linkable(role: str, value: object, kind: type[Record]) -> Any:
    if not isinstance(value, kind):
        raise FieldTypeError(role, f"a {kind.__name__}", value)
    if not value.is_active:
        raise ReadOnlyRecordError(
            value.id,
            value.state.label,
            f"an inactive {kind.__name__.lower()} cannot take new relationships",
        )
    return value


def prepare_qualify(lead: Lead, params: Params, at: dt.datetime) -> Commit | None:
    """Check a qualify's options and build the records it creates; return what links them."""
    if not params:
        return None
    for option in ("create_contact", "create_account", "create_opportunity"):
        if option in params and not isinstance(params[option], bool):
            raise FieldTypeError(option, "a bool", params[option])
    contact = params.get("contact")
    account = params.get("account")
    if contact is not None:
        _linkable("contact", contact, Contact)
    if account is not None:
        _linkable("account", account, Account)
    if contact is not None and params.get("create_contact"):
        raise InvalidFieldError("contact", "given or created, not both", contact.id)
    if account is not None and params.get("create_account"):
        raise InvalidFieldError("account", "given or created, not both", account.id)
    created: list[str] = []
    if params.get("create_contact"):
        contact = Contact(
            firstname=lead.firstname,
            lastname=lead.lastname,
            emailaddress1=lead.emailaddress1,
            telephone1=lead.telephone1,
            mobilephone=lead.mobilephone,
            jobtitle=lead.jobtitle,
            address1_line1=lead.address1_line1,
            address1_city=lead.address1_city,
            address1_stateorprovince=lead.address1_stateorprovince,
            address1_postalcode=lead.address1_postalcode,
            address1_country=lead.address1_country,
            donotemail=lead.donotemail,
            donotbulkemail=lead.donotbulkemail,
            donotsendmm=lead.donotsendmm,
            donotphone=lead.donotphone,
            donotpostalmail=lead.donotpostalmail,
            followemail=lead.followemail,
            originatingleadid=lead.id,
            createdon=at,
            modifiedon=at,
        )
        created.append("contact")
    if params.get("create_account"):
        if not lead.companyname:
            raise InvalidFieldError("companyname", "set to create an account", lead.companyname)
        account = Account(
            name=lead.companyname,
            telephone1=lead.telephone1,
            address1_line1=lead.address1_line1,
            address1_city=lead.address1_city,
            address1_stateorprovince=lead.address1_stateorprovince,
            address1_postalcode=lead.address1_postalcode,
            address1_country=lead.address1_country,
            originatingleadid=lead.id,
            createdon=at,
            modifiedon=at,
        )
        created.append("account")
    if params.get("create_opportunity") and lead.qualifyingopportunityid is not None:
        raise InvalidFieldError(
            "create_opportunity",
            f"False while opportunity {lead.qualifyingopportunityid} is linked to the lead",
            True,
        )
    opportunity_id = new_id() if params.get("create_opportunity") else None
    if opportunity_id:
        created.append("opportunity")
    if contact is None and account is None and opportunity_id is None:
        return None

    def commit() -> QualifyResult:
        if contact is not None:
            known = {c.id for c in contact.consents}
            carried = [c for c in lead.consents if c.is_active_at(at) and c.id not in known]
            _set(contact, marketingonly=False, consents=(*contact.consents, *carried))
            if lead.consent_restricted and not contact.consent_restricted:
                contact.restrict_consent(at=at)
            if lead.consent_inherent and not contact.consent_inherent:
                _set(contact, consent_inherent=True)
            if contact.modifiedon is None or at > contact.modifiedon:
                _set(contact, modifiedon=at)
            if account is not None and contact.parentcustomerid is None:
                _set(contact, parentcustomerid=account.id)
            if lead.parentcontactid is None:
                _set(lead, parentcontactid=contact.id)
        if account is not None:
            if contact is not None and account.primarycontactid is None:
                _set(account, primarycontactid=contact.id)
            if lead.parentaccountid is None:
                _set(lead, parentaccountid=account.id)
        customer = account if account is not None else contact
        if customer is not None and lead.customerid is None:
            _set(lead, customerid=customer.id)
        if opportunity_id is not None:
            _set(lead, qualifyingopportunityid=opportunity_id)
        return QualifyResult(lead, contact, account, opportunity_id, tuple(created))

    return commit


def prepare_anonymize(record: Record, params: Params, at: dt.datetime) -> Commit:
    """Erase personal fields and anonymize consents; ``anonymized`` blocks reactivation."""
    names = [n for n in (*PERSONAL_FIELDS, *_ERASED_TOO) if hasattr(record, n)]

    def commit() -> None:
        _set(record, **dict.fromkeys(names), anonymized=True, consents=anonymized(record.consents))

    return commit


def prepare_merge_into(record: Record, params: Params, at: dt.datetime) -> Commit:
    """Mark the subordinate of a merge: ``merged`` and ``masterid`` (D4)."""
    _merge_partner("master", record, params["master"])
    master = params["master"]

    def commit() -> None:
        _set(record, merged=True, masterid=master.id, consents=())

    return commit


def prepare_absorb(record: Record, params: Params, at: dt.datetime) -> Commit:
    """Fill the master's blanks from the subordinate, take named fields, move consents."""
    subordinate = params["subordinate"]
    _merge_partner("subordinate", record, subordinate)
    take = _editable_names(type(record), params.get("take", ()))
    values: dict[str, Any] = {}
    for field in attrs.fields(type(record)):
        name = field.name
        if name in SYSTEM_FIELDS or name.startswith("_") or not field.init:
            continue
        ours, theirs = getattr(record, name), getattr(subordinate, name)
        if name in take:
            values[name] = theirs
        elif name in _STRICTER_WHEN_TRUE:
            if theirs and not ours:
                values[name] = True
        elif name == "followemail":
            if ours and not theirs:
                values[name] = False
        elif _blank(ours) and not _blank(theirs):
            values[name] = theirs
    if getattr(subordinate, "consent_restricted", False) and not getattr(
        record, "consent_restricted", False
    ):
        values["consent_restricted"] = True
    known = {c.id for c in record.consents}
    moved = [c for c in subordinate.consents if c.id not in known]

    def commit() -> tuple[str, ...]:
        _set(record, **values, consents=(*record.consents, *moved))
        return tuple(values)

    return commit


_STRICTER_WHEN_TRUE = frozenset(
    {"donotemail", "donotbulkemail", "donotsendmm", "donotphone", "donotpostalmail"}
)
"""Opt-outs a merge keeps from either record: a person who opted out on the duplicate
stays opted out (unless the caller names the field in ``take``)."""


def _merge_partner(role: str, record: Record, other: object) -> None:
    if type(other) is not type(record):
        raise FieldTypeError(role, f"a {type(record).__name__}", other)
    assert isinstance(other, Record)
    if other is record or other.id == record.id:
        raise MergeError(_itself(role, other))
    if not other.is_active:
        raise MergeError(_inactive(role, other))


def _itself(role: str, record: Record) -> Problem:
    """The merge partner named ``role`` is the record the merge was fired on."""
    this = "subordinate" if role == "master" else "master"
    shown = f"record {record.id}, the {this} itself"
    return Problem(role, f"another record than the {this}", record.id, shown=shown)


def _not_alike(master: object, subordinate: object) -> Problem:
    """The merge partner that is not a record of the other's type."""
    if not isinstance(master, Record):
        return Problem("master", "a Lead, Contact or Account", master, shown=type_named(master))
    expected = f"{type_named(master)}, as the master is"
    return Problem("subordinate", expected, subordinate, shown=type_named(subordinate))


def _inactive(role: str, record: Record) -> Problem:
    shown = f"record {record.id}, which is {record.state.label}"
    return Problem(role, "an active record", record.id, shown=shown)


def _editable_names(kind: type[Record], names: object) -> frozenset[str]:
    if isinstance(names, str) or not isinstance(names, Iterable):
        raise FieldTypeError("take", "a collection of field names", names)
    names = tuple(names)
    fields = attrs.fields_dict(kind)
    for name in names:
        if (
            not isinstance(name, str)
            or name not in fields
            or name in SYSTEM_FIELDS
            or name[:1] == "_"
        ):
            raise InvalidFieldError("take", f"names of editable {kind.__name__} fields", name)
    return frozenset(names)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@attrs.frozen
class MergeResult:
    """What a merge did: the fields the master took and the children that moved to it."""

    master: Record
    subordinate: Record
    fields_taken: tuple[str, ...]
    children_moved: tuple[str, ...]


def merge(
    master: Record,
    subordinate: Record,
    *,
    take: Iterable[str] = (),
    children: Iterable[Record] = (),
    at: dt.datetime | None = None,
    actor: str | None = None,
    note: str | None = None,
) -> MergeResult:
    """Merge ``subordinate`` into ``master`` per D4, all or nothing.

    The master keeps its non-empty values and fills its blanks from the
    subordinate, except for the fields named in ``take``, which it takes from the
    subordinate. ``children`` (leads, contacts) that point at the subordinate are
    re-pointed at the master; consents move too. The subordinate is closed with
    ``merged=True`` and ``masterid`` set. Both records must be active and distinct.
    """
    if type(master) is not type(subordinate) or not isinstance(master, Record):
        raise MergeError(_not_alike(master, subordinate))
    if master is subordinate or master.id == subordinate.id:
        raise MergeError(_itself("subordinate", subordinate))
    if not isinstance(children, Iterable):
        raise FieldTypeError("children", "a collection of records", children)
    children = tuple(children)
    for child in children:
        if not isinstance(child, Record):
            raise FieldTypeError("children", "records", child)
    lifecycle = type(master)._lifecycle
    absorbing = lifecycle.prepare(
        master, "absorb", at=at, actor=actor, note=note, subordinate=subordinate, take=take
    )
    merging = lifecycle.prepare(
        subordinate, "merge_into", at=absorbing.event.at, actor=actor, note=note, master=master
    )
    moved = []
    for child in children:
        if child.is_deleted:
            continue
        repoint = {
            n: master.id for n in MERGE_REPOINTED if getattr(child, n, None) == subordinate.id
        }
        if repoint:
            moved.append((child, repoint))
    taken: Transitioned = absorbing.commit()
    merging.commit()
    for child, repoint in moved:
        _set(child, **repoint)
        if child.modifiedon is None or absorbing.event.at > child.modifiedon:
            _set(child, modifiedon=absorbing.event.at)
    return MergeResult(master, subordinate, taken.outcome, tuple(c.id for c, _ in moved))
