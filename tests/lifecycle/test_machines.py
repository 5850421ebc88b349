"""The lead, contact and account machines against the domain rules (shared/domain.md §1.3, D4-D6).

The expected tables below are written from the rules, not read from the
definitions: the point is to check the definitions against the rules.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import pytest

import lifecycle.errors
from lifecycle import (
    Account,
    AccountState,
    AccountStatus,
    Contact,
    ContactState,
    ContactStatus,
    FixedClock,
    HistoryEvent,
    InvalidFieldError,
    InvalidStatusError,
    Lead,
    LeadflowError,
    LeadState,
    LeadStatus,
    Problem,
    ReadOnlyRecordError,
    Record,
    TransitionNotAllowed,
)
from lifecycle.definitions import (
    ACCOUNT_LIFECYCLE,
    ACCOUNT_MACHINE,
    CONTACT_LIFECYCLE,
    CONTACT_MACHINE,
    LEAD_LIFECYCLE,
    LEAD_MACHINE,
    MACHINES,
)
from lifecycle.errors import (
    DiagramError,
    FieldAssignmentError,
    FieldTypeError,
    InvalidDefinition,
    MergeError,
    UnknownRecordError,
    UnknownTriggerError,
)
from lifecycle.machines import (
    Guard,
    Lifecycle,
    MachineDefinition,
    TransitionSpec,
    validate_definition,
)
from lifecycle.states import CodedState, CodedStatus
from tests.strategies import CLOCK_TIME, NAIVE, STARTS, T1, T2, build, case_id, snapshot

REFUSED = "refused"
KEPT = "status kept"
"""In an expected outcome: the status stays as it was (Deleted has no status of its own)."""

OPEN, QUAL, DISQ, DELETED = (
    LeadState.OPEN,
    LeadState.QUALIFIED,
    LeadState.DISQUALIFIED,
    LeadState.DELETED,
)
NEW, CONTACTED, QUALIFIED = LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED
LOST, CANNOT, NOLONGER, CANCELED = (
    LeadStatus.LOST,
    LeadStatus.CANNOT_CONTACT,
    LeadStatus.NO_LONGER_INTERESTED,
    LeadStatus.CANCELED,
)

# Lead calls, by name: "trigger" or "trigger:parameter".
LEAD_CALLS: dict[str, Callable[[Any], object]] = {
    "mark_contacted": lambda r: r.mark_contacted(),
    "qualify": lambda r: r.qualify(),
    "disqualify:lost": lambda r: r.disqualify(LOST),
    "disqualify:cannot_contact": lambda r: r.disqualify(CANNOT),
    "disqualify:no_longer_interested": lambda r: r.disqualify(NOLONGER),
    "disqualify:canceled": lambda r: r.disqualify(CANCELED),
    "reactivate": lambda r: r.reactivate(),
    "absorb": lambda r: LEAD_LIFECYCLE.fire(r, "absorb", subordinate=Lead(id="sub-1")),
    "merge_into": lambda r: LEAD_LIFECYCLE.fire(r, "merge_into", master=Lead(id="master-1")),
    "anonymize": lambda r: r.anonymize(),
    "delete": lambda r: r.delete(),
}

_OPEN_ROW = {
    "qualify": (QUAL, QUALIFIED),
    "disqualify:lost": (DISQ, LOST),
    "disqualify:cannot_contact": (DISQ, CANNOT),
    "disqualify:no_longer_interested": (DISQ, NOLONGER),
    "disqualify:canceled": (DISQ, CANCELED),
    "reactivate": REFUSED,
    "merge_into": (DISQ, CANCELED),
    "anonymize": (DISQ, CANCELED),
    "delete": (DELETED, KEPT),
}
_CLOSED_ROW = {
    "mark_contacted": REFUSED,
    "qualify": REFUSED,
    "disqualify:lost": REFUSED,
    "disqualify:cannot_contact": REFUSED,
    "disqualify:no_longer_interested": REFUSED,
    "disqualify:canceled": REFUSED,
    "reactivate": (OPEN, NEW),
    "absorb": REFUSED,
    "merge_into": REFUSED,
    "delete": (DELETED, KEPT),
}

LEAD_TABLE: dict[str, dict[str, Any]] = {
    "open/new": {
        **_OPEN_ROW,
        "mark_contacted": (OPEN, CONTACTED),
        "absorb": (OPEN, NEW),
    },
    "open/contacted": {
        **_OPEN_ROW,
        "mark_contacted": (OPEN, CONTACTED),
        "absorb": (OPEN, CONTACTED),
    },
    "qualified": {**_CLOSED_ROW, "anonymize": (QUAL, QUALIFIED)},
    "disqualified/lost": {**_CLOSED_ROW, "anonymize": (DISQ, LOST)},
    "disqualified/cannot_contact": {**_CLOSED_ROW, "anonymize": (DISQ, CANNOT)},
    "disqualified/no_longer_interested": {**_CLOSED_ROW, "anonymize": (DISQ, NOLONGER)},
    "disqualified/canceled": {**_CLOSED_ROW, "anonymize": (DISQ, CANCELED)},
    "deleted": dict.fromkeys(LEAD_CALLS, REFUSED),
}
"""Lead: start → call → (state, status) or REFUSED (domain.md §1.1, §1.3, D4-D6)."""


def _active_inactive_calls(kind: type[Record]) -> dict[str, Callable[[Any], object]]:
    lifecycle_ = kind._lifecycle
    return {
        "deactivate": lambda r: r.deactivate(),
        "activate": lambda r: r.activate(),
        "absorb": lambda r: lifecycle_.fire(r, "absorb", subordinate=kind(id="sub-1")),
        "merge_into": lambda r: lifecycle_.fire(r, "merge_into", master=kind(id="master-1")),
        "anonymize": lambda r: r.anonymize(),
        "delete": lambda r: r.delete(),
    }


def _active_inactive_table(states: Any, statuses: Any) -> dict[str, dict[str, Any]]:
    active = (states.ACTIVE, statuses.ACTIVE)
    inactive = (states.INACTIVE, statuses.INACTIVE)
    deleted = (states.DELETED, KEPT)
    return {
        "active": {
            "deactivate": inactive,
            "activate": REFUSED,
            "absorb": active,
            "merge_into": inactive,
            "anonymize": inactive,
            "delete": deleted,
        },
        "inactive": {
            "deactivate": REFUSED,
            "activate": active,
            "absorb": REFUSED,
            "merge_into": REFUSED,
            "anonymize": inactive,
            "delete": deleted,
        },
        "deleted": {
            "deactivate": REFUSED,
            "activate": REFUSED,
            "absorb": REFUSED,
            "merge_into": REFUSED,
            "anonymize": REFUSED,
            "delete": REFUSED,
        },
    }


CALLS: dict[type[Record], dict[str, Callable[[Any], object]]] = {
    Lead: LEAD_CALLS,
    Contact: _active_inactive_calls(Contact),
    Account: _active_inactive_calls(Account),
}
TABLES: dict[type[Record], dict[str, dict[str, Any]]] = {
    Lead: LEAD_TABLE,
    Contact: _active_inactive_table(ContactState, ContactStatus),
    Account: _active_inactive_table(AccountState, AccountStatus),
}
"""Contact and account: Active ⇄ Inactive, merge, anonymize, delete (domain.md §1.2, D4)."""

ROWS = [
    (kind, start, call, outcome)
    for kind, table in TABLES.items()
    for start, row in table.items()
    for call, outcome in row.items()
]
ALLOWED = [row for row in ROWS if row[3] != REFUSED]
REFUSALS = [row for row in ROWS if row[3] == REFUSED]
LIFECYCLES = {Lead: LEAD_LIFECYCLE, Contact: CONTACT_LIFECYCLE, Account: ACCOUNT_LIFECYCLE}
DEFINITIONS = {Lead: LEAD_MACHINE, Contact: CONTACT_MACHINE, Account: ACCOUNT_MACHINE}
KINDS = list(TABLES)


def _row_id(row: Any) -> str:
    kind, start, call, _ = row
    return f"{kind.__name__}-{start}-{call}"


def _trigger(call: str) -> str:
    return call.partition(":")[0]


class TestTables:
    """The expected tables span every state and trigger of each definition."""

    @pytest.mark.parametrize("kind", KINDS, ids=case_id)
    def test_table_spans_states_and_triggers(self, kind: type[Record]) -> None:
        """Each table's starts cover every state and its calls every trigger of the machine."""
        definition = DEFINITIONS[kind]
        table = TABLES[kind]
        assert {STARTS[kind][start][0] for start in table} == set(definition.states)
        for row in table.values():
            assert row.keys() == CALLS[kind].keys()
        assert {_trigger(c) for c in CALLS[kind]} == set(definition.triggers)

    def test_machines_registry(self) -> None:
        """MACHINES names each record type's definition."""
        assert MACHINES == {
            "lead": LEAD_MACHINE,
            "contact": CONTACT_MACHINE,
            "account": ACCOUNT_MACHINE,
        }


class TestAllowedTransitions:
    """Every transition the rules allow lands on the expected state and status."""

    @pytest.mark.parametrize("row", ALLOWED, ids=_row_id)
    def test_allowed(self, row: Any) -> None:
        """The record moves to the expected state/status and one history event records it."""
        kind, start, call, (state, status) = row
        record = build(kind, start, id="rec-1")
        before = (record.state, record.status)
        CALLS[kind][call](record)
        assert record.state is state
        assert record.status is (before[1] if status is KEPT else status)
        (event,) = record.history
        assert (event.trigger, event.from_state, event.from_status) == (_trigger(call), *before)
        assert (event.to_state, event.to_status) == (record.state, record.status)
        assert event.at == record.modifiedon == CLOCK_TIME


class TestRefusedTransitions:
    """Every transition the rules refuse raises TransitionNotAllowed and changes nothing."""

    @pytest.mark.parametrize("row", REFUSALS, ids=_row_id)
    def test_refused(self, row: Any) -> None:
        """The refusal names trigger, state and record; fields and history are unchanged."""
        kind, start, call, _ = row
        record = build(kind, start, id="rec-1", modifiedon=T1)
        before = snapshot(record)
        with pytest.raises(TransitionNotAllowed) as info:
            CALLS[kind][call](record)
        assert snapshot(record) == before
        assert len(record.history) == 0
        error = info.value
        assert (error.trigger, error.state, error.record_id) == (
            _trigger(call),
            record.state.label,
            "rec-1",
        )
        assert error.reasons == ()
        assert str(error) == f"Can't {_trigger(call)} when in {record.state.label} (record rec-1)."


class TestTransitionsOracle:
    """The compiled engine agrees with the ``transitions`` machine it was built from."""

    @pytest.mark.parametrize("kind", KINDS, ids=case_id)
    def test_machine_shape(self, kind: type[Record]) -> None:
        """The shared machine has the definition's states (by value), initial state and events."""
        definition = DEFINITIONS[kind]
        machine = LIFECYCLES[kind].machine
        assert set(machine.states) == {s.value for s in definition.states}
        assert machine.initial == definition.initial.value
        assert set(machine.events) == set(definition.triggers)

    @pytest.mark.parametrize("kind", KINDS, ids=case_id)
    def test_machine_matches_rules(self, kind: type[Record]) -> None:
        """machine.events[trigger].transitions has a source iff the rules allow it, same dest."""
        machine = LIFECYCLES[kind].machine
        for start, row in TABLES[kind].items():
            state = STARTS[kind][start][0]
            for trigger in DEFINITIONS[kind].triggers:
                expected = {
                    outcome[0].value
                    for call, outcome in row.items()
                    if _trigger(call) == trigger and outcome != REFUSED
                }
                found = machine.events[trigger].transitions.get(state.value, [])
                assert {t.dest for t in found} == expected, (start, trigger)

    @pytest.mark.parametrize(
        ("kind", "start"), [(k, s) for k in KINDS for s in STARTS[k]], ids=case_id
    )
    def test_fire_matches_machine(self, kind: type[Record], start: str) -> None:
        """Lifecycle.fire accepts a trigger iff the machine has it from the state, to its dest."""
        machine = LIFECYCLES[kind].machine
        for call, action in CALLS[kind].items():
            record = build(kind, start, id="rec-1")
            state = record.state
            found = machine.events[_trigger(call)].transitions.get(state.value, [])
            try:
                action(record)
            except TransitionNotAllowed:
                assert found == [], (start, call)
            else:
                assert record.state.value in {t.dest for t in found}, (start, call)


# Parameters a caller might pass to any trigger, valid or not.
PARAM_VARIANTS: list[Callable[[type[Record]], dict[str, Any]]] = [
    lambda k: {},
    lambda k: {"status_reason": LOST},
    lambda k: {"status_reason": NEW},
    lambda k: {"status_reason": 4},
    lambda k: {"status_reason": "lost"},
    lambda k: {"status_reason": None},
    lambda k: {"status_reason": []},
    lambda k: {"subordinate": k(id="other-1")},
    lambda k: {"subordinate": k(id="other-1"), "take": ["emailaddress1"]},
    lambda k: {"subordinate": k(id="other-1"), "take": 5},
    lambda k: {"subordinate": Contact() if k is not Contact else Account()},
    lambda k: {"subordinate": None},
    lambda k: {"master": k(id="other-1")},
    lambda k: {"master": "other-1"},
    lambda k: {"master": None},
    lambda k: {"contact": Contact(id="c-1")},
    lambda k: {"contact": "c-1"},
    lambda k: {"account": Account(id="a-1")},
    lambda k: {"create_contact": True},
    lambda k: {"create_account": True},
    lambda k: {"create_opportunity": True},
    lambda k: {"contact": Contact(id="c-1"), "create_contact": True},
    lambda k: {"bogus": 1},
    lambda k: {"at": NAIVE},
    lambda k: {"at": "yesterday"},
]


class TestNoForeignErrors:
    """Only LeadflowError subclasses reach callers; transitions.MachineError never does."""

    @pytest.mark.parametrize(
        ("kind", "start"), [(k, s) for k in KINDS for s in STARTS[k]], ids=case_id
    )
    def test_every_trigger_every_state(self, kind: type[Record], start: str) -> None:
        """Every trigger (and unknown ones) with any parameters raises nothing but LeadflowError."""
        lifecycle_ = LIFECYCLES[kind]
        triggers = [*DEFINITIONS[kind].triggers, "nope", "", "QUALIFY", "deactivate", "qualify"]
        escaped = []
        for trigger in triggers:
            for variant in PARAM_VARIANTS:
                record = build(kind, start, id="rec-1")
                params = variant(kind)
                try:
                    lifecycle_.fire(record, trigger, **params)
                except LeadflowError:
                    pass
                except Exception as err:  # collect every leak, then fail once
                    shown = {name: case_id(value) for name, value in params.items()}
                    escaped.append((trigger, shown, f"{type(err).__name__}: {err}"))
        assert escaped == []

    @pytest.mark.parametrize("kind", KINDS, ids=case_id)
    @pytest.mark.parametrize("trigger", ["nope", "", "Qualify", "disqualify "], ids=repr)
    def test_unknown_trigger(self, kind: type[Record], trigger: str) -> None:
        """A trigger the machine lacks raises UnknownTriggerError (a KeyError) listing the known."""
        record = kind(id="rec-1")
        if trigger in DEFINITIONS[kind].triggers:
            pytest.skip("a real trigger of this record type")
        before = snapshot(record)
        with pytest.raises(UnknownTriggerError) as info:
            LIFECYCLES[kind].fire(record, trigger)
        assert isinstance(info.value, KeyError)
        assert snapshot(record) == before
        message = str(info.value)
        assert repr(trigger) in message
        assert all(t in message for t in DEFINITIONS[kind].triggers)

    @pytest.mark.parametrize(
        ("trigger", "params"),
        [
            ("mark_contacted", {"status_reason": LOST}),
            ("qualify", {"bogus": True}),
            ("absorb", {}),
            ("merge_into", {}),
            ("merge_into", {"subordinate": Lead()}),
        ],
        ids=case_id,
    )
    def test_bad_parameters(self, trigger: str, params: dict[str, Any]) -> None:
        """Unknown or missing trigger parameters raise InvalidFieldError naming the parameter."""
        lead = Lead(id="rec-1")
        before = snapshot(lead)
        with pytest.raises(InvalidFieldError) as info:
            LEAD_LIFECYCLE.fire(lead, trigger, **params)
        assert snapshot(lead) == before
        assert str(info.value).startswith("'")


class TestGuards:
    """Guarded transitions explain their refusals and allowed_triggers honours guards."""

    def test_disqualify_refused_with_opportunity(self) -> None:
        """An Open lead with an opportunity can't be disqualified; the reason names it (D6)."""
        lead = Lead(id="rec-1", qualifyingopportunityid="opp-9")
        before = snapshot(lead)
        with pytest.raises(TransitionNotAllowed) as info:
            lead.disqualify(LOST)
        assert snapshot(lead) == before
        assert len(info.value.reasons) == 1
        assert "opportunity" in info.value.reasons[0]
        assert "opp-9" in str(info.value)

    @pytest.mark.parametrize("kind", KINDS, ids=case_id)
    def test_reopen_refused_after_anonymize(self, kind: type[Record]) -> None:
        """An anonymized record can't be reactivated/activated; the reason says why."""
        record = kind(id="rec-1")
        record.anonymize()
        trigger = "reactivate" if kind is Lead else "activate"
        before = snapshot(record)
        with pytest.raises(TransitionNotAllowed) as info:
            getattr(record, trigger)()
        assert snapshot(record) == before
        assert any("anonymized" in reason for reason in info.value.reasons)

    @pytest.mark.parametrize(
        ("record", "expected"),
        [
            (
                Lead(),
                {
                    "mark_contacted",
                    "qualify",
                    "disqualify",
                    "absorb",
                    "merge_into",
                    "anonymize",
                    "delete",
                },
            ),
            (
                Lead(qualifyingopportunityid="opp-1"),
                {"mark_contacted", "qualify", "absorb", "anonymize", "delete"},
            ),
            (Lead(state=LeadState.QUALIFIED), {"reactivate", "anonymize", "delete"}),
            (Lead(state=LeadState.DISQUALIFIED, anonymized=True), {"delete"}),
            (Lead(state=LeadState.DELETED, status=NEW), set()),
            (Contact(), {"deactivate", "absorb", "merge_into", "anonymize", "delete"}),
            (Contact(state=ContactState.INACTIVE), {"activate", "anonymize", "delete"}),
            (Account(state=AccountState.INACTIVE, anonymized=True), {"delete"}),
        ],
        ids=[
            "lead-open",
            "lead-open-with-opportunity",
            "lead-qualified",
            "lead-disqualified-anonymized",
            "lead-deleted",
            "contact-active",
            "contact-inactive",
            "account-inactive-anonymized",
        ],
    )
    def test_allowed_triggers(self, record: Record, expected: set[str]) -> None:
        """allowed_triggers lists the triggers whose transitions and guards allow them now."""
        assert set(record.allowed_triggers) == expected


class TestHistory:
    """Each transition appends one HistoryEvent; time comes from ``at`` or the clock."""

    def test_event_fields(self) -> None:
        """The event records when, trigger, from/to state and status, actor and note."""
        lead = Lead(id="rec-1")
        event = lead.disqualify(CANNOT, at=T2, actor="ops@example.com", note="no answer")
        assert event == HistoryEvent(
            T2, "disqualify", OPEN, NEW, DISQ, CANNOT, "ops@example.com", "no answer"
        )
        assert lead.history == (event,)
        assert lead.modifiedon == T2

    def test_time_comes_from_the_lifecycle_clock(self) -> None:
        """Without ``at``, the event time is what the lifecycle's clock says."""
        LEAD_LIFECYCLE.clock = FixedClock(T1)
        lead = Lead()
        lead.mark_contacted()
        assert lead.history[0].at == lead.modifiedon == T1

    def test_events_accumulate_in_order(self) -> None:
        """Successive transitions append their events oldest first, chained state to state."""
        lead = Lead()
        lead.mark_contacted(at=T1)
        lead.disqualify(LOST, at=T2)
        lead.reactivate()
        assert [e.trigger for e in lead.history] == ["mark_contacted", "disqualify", "reactivate"]
        assert [e.at for e in lead.history] == [T1, T2, CLOCK_TIME]
        for earlier, later in zip(lead.history, lead.history[1:], strict=False):
            assert (earlier.to_state, earlier.to_status) == (later.from_state, later.from_status)
        assert (lead.state, lead.status) == (OPEN, NEW)

    @pytest.mark.parametrize("at", [NAIVE, "2026-01-01", 0], ids=repr)
    def test_bad_at_changes_nothing(self, at: Any) -> None:
        """A naive or non-datetime ``at`` raises InvalidFieldError and the record is unchanged."""
        lead = Lead(id="rec-1")
        before = snapshot(lead)
        with pytest.raises(InvalidFieldError, match="'at' must be"):
            lead.disqualify(LOST, at=at)
        assert snapshot(lead) == before

    @pytest.mark.parametrize("now", [NAIVE, "2026-01-01"], ids=repr)
    def test_bad_clock_time_changes_nothing(self, now: Any) -> None:
        """A clock that gives a naive or non-datetime time is refused like a bad ``at``."""
        LEAD_LIFECYCLE.clock = lambda: now
        lead = Lead(id="rec-1", modifiedon=T1)
        before = snapshot(lead)
        with pytest.raises(InvalidFieldError):
            lead.mark_contacted()
        assert snapshot(lead) == before

    def test_refused_trigger_adds_no_event(self) -> None:
        """A refused trigger leaves the history as it was."""
        lead = Lead()
        lead.qualify()
        with pytest.raises(TransitionNotAllowed):
            lead.qualify()
        assert [e.trigger for e in lead.history] == ["qualify"]

    def test_history_is_read_only(self) -> None:
        """The history is a tuple view; the record's list can't be swapped out."""
        lead = Lead()
        lead.mark_contacted()
        assert isinstance(lead.history, tuple)
        with pytest.raises(FieldAssignmentError):
            lead._history = []


ERROR_BUILTINS = {
    InvalidFieldError: ValueError,
    FieldTypeError: TypeError,
    InvalidStatusError: ValueError,
    InvalidDefinition: ValueError,
    UnknownTriggerError: KeyError,
    TransitionNotAllowed: RuntimeError,
    ReadOnlyRecordError: PermissionError,
    FieldAssignmentError: AttributeError,
    MergeError: ValueError,
    DiagramError: RuntimeError,
    UnknownRecordError: KeyError,
}
ERROR_SAMPLES = [
    UnknownRecordError("c-404", "e-1"),
    LeadflowError("boom"),
    InvalidFieldError("firstname", "a str or None", 42),
    FieldTypeError("firstname", "a str or None", 42),
    InvalidStatusError("'statuscode' must be one of [1] (got 9)."),
    InvalidDefinition(
        "toy",
        [
            Problem("initial", "a state that is not final", "end"),
            Problem("states", "reachable from 'start'", "middle"),
        ],
    ),
    UnknownTriggerError("lead", "nope", ["qualify", "delete"]),
    TransitionNotAllowed("qualify", "Qualified", "rec-1", ["a reason"]),
    ReadOnlyRecordError("rec-1", "Inactive", "read-only"),
    FieldAssignmentError("firstname"),
    MergeError(Problem("subordinate", "a Lead, as the master is", "c-1", shown="a Contact")),
    DiagramError("no graphviz"),
]


class TestErrors:
    """Every error derives from LeadflowError and from the builtin it means, and pickles."""

    def test_every_error_class_is_listed(self) -> None:
        """ERROR_BUILTINS covers every exception class lifecycle.errors defines."""
        defined = {
            obj
            for obj in vars(lifecycle.errors).values()
            if isinstance(obj, type) and issubclass(obj, BaseException)
        }
        assert defined == {LeadflowError, *ERROR_BUILTINS}

    @pytest.mark.parametrize(("cls", "builtin"), ERROR_BUILTINS.items(), ids=case_id)
    def test_hierarchy(self, cls: type[Exception], builtin: type[Exception]) -> None:
        """The class derives from LeadflowError and from its builtin."""
        assert issubclass(cls, LeadflowError)
        assert issubclass(cls, builtin)

    def test_field_type_error_is_an_invalid_field_error(self) -> None:
        """FieldTypeError is also an InvalidFieldError and a ValueError."""
        assert issubclass(FieldTypeError, InvalidFieldError)
        assert issubclass(FieldTypeError, ValueError)

    @pytest.mark.parametrize("error", ERROR_SAMPLES, ids=lambda e: type(e).__name__)
    def test_pickle_round_trip(self, error: Exception) -> None:
        """An error pickles to one of the same type, message, args and attributes."""
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert str(copy) == str(error)
        assert copy.args == error.args
        assert vars(copy) == vars(error)

    def test_raised_refusal_pickles(self) -> None:
        """A TransitionNotAllowed raised by a real refusal survives pickling, equal."""
        lead = Lead(qualifyingopportunityid="opp-1")
        with pytest.raises(TransitionNotAllowed) as info:
            lead.disqualify()
        assert pickle.loads(pickle.dumps(info.value)) == info.value

    @pytest.mark.parametrize(
        ("error", "message"),
        [
            (InvalidFieldError("firstname", "a str", 1), "'firstname' must be a str (got 1)."),
            (
                FieldTypeError("firstname", "a str or None", 1),
                "'firstname' must be a str or None (got 1 that is a int).",
            ),
            (
                UnknownTriggerError("lead", "nope", ["qualify", "delete"]),
                "'trigger' must be a trigger of the lead machine (qualify, delete) (got 'nope').",
            ),
            (
                InvalidDefinition(
                    "toy",
                    [
                        Problem("initial", "a state that is not final", "end"),
                        Problem("states", "reachable from 'start'", "middle"),
                    ],
                ),
                "'initial' must be a state that is not final (got 'end'). "
                "'states' must be reachable from 'start' (got 'middle').",
            ),
            (
                MergeError(Problem("subordinate", "a Lead, as the master is", 1, shown="an int")),
                "'subordinate' must be a Lead, as the master is (got an int).",
            ),
            (
                TransitionNotAllowed("qualify", "Qualified", "rec-1"),
                "Can't qualify when in Qualified (record rec-1).",
            ),
            (
                TransitionNotAllowed("disqualify", "Open", "rec-1", ["x", "y"]),
                "Can't disqualify when in Open (record rec-1): x; y.",
            ),
        ],
        ids=lambda v: v if isinstance(v, str) else type(v).__name__,
    )
    def test_message_shapes(self, error: Exception, message: str) -> None:
        """Validation and transition messages follow the one documented shape."""
        assert str(error) == message


class ToyState(CodedState):
    """States of a toy machine for definition checks."""

    START = ("start", 0, "Start")
    MIDDLE = ("middle", 1, "Middle")
    END = ("end", None, "End")


class ToyStatus(CodedStatus):
    """Statuses of the toy machine."""

    STARTED = ("started", 1, "Started", "start")
    HALFWAY = ("halfway", 2, "Halfway", "middle")


def _toy(*transitions: TransitionSpec, **overrides: Any) -> dict[str, Any]:
    return {
        "name": "toy",
        "states": ToyState,
        "statuses": ToyStatus,
        "initial": ToyState.START,
        "finals": frozenset({ToyState.END}),
        "transitions": transitions,
        **overrides,
    }


GO = TransitionSpec("go", (ToyState.START,), ToyState.MIDDLE, status=ToyStatus.HALFWAY)
FINISH = TransitionSpec("finish", (ToyState.MIDDLE,), ToyState.END)


class TestDefinitionValidation:
    """Machine definitions are checked when built; every problem is reported at once."""

    @pytest.mark.parametrize(
        "definition", [LEAD_MACHINE, CONTACT_MACHINE, ACCOUNT_MACHINE], ids=str
    )
    def test_shipped_definitions_are_sound(self, definition: MachineDefinition) -> None:
        """The shipped definitions have no structural problem."""
        assert validate_definition(definition) == []

    def test_sound_toy(self) -> None:
        """A start → middle → end machine is valid and fires."""
        definition = MachineDefinition(**_toy(GO, FINISH))
        assert definition.triggers == ("go", "finish")

    @pytest.mark.parametrize(
        ("fields", "problem"),
        [
            (_toy(GO), "'states' must be final, or left by a transition to another state"),
            (_toy(FINISH), "'states' must be reachable from 'start' (got 'middle')."),
            (
                _toy(GO, FINISH, TransitionSpec("back", (ToyState.END,), ToyState.START)),
                "'transitions[2].sources' must be states that are not final",
            ),
            (
                _toy(GO, FINISH, initial=ToyState.END),
                "'initial' must be a state that is not final (got 'end').",
            ),
            (
                _toy(
                    TransitionSpec(
                        "go", (ToyState.START,), ToyState.MIDDLE, status=ToyStatus.STARTED
                    ),
                    FINISH,
                ),
                "'transitions[0].status' must be a status of 'middle', where 'go' goes "
                "(got 'started').",
            ),
            (
                _toy(GO, GO, FINISH),
                "'transitions[1]' must be a transition not defined before (trigger, source, "
                "destination, guards) (got 'go' from 'start' a second time).",
            ),
            (
                _toy(TransitionSpec("go", (), ToyState.MIDDLE), FINISH),
                "'transitions[0].sources' must be at least one state 'go' leaves (got ()).",
            ),
            (
                _toy(
                    TransitionSpec(
                        "go", (ToyState.START,), ToyState.MIDDLE, required=frozenset({"x"})
                    ),
                    FINISH,
                ),
                "'transitions[0].required' must be parameters 'go' accepts ([]) (got ['x']).",
            ),
        ],
        ids=lambda v: v if isinstance(v, str) else "toy",
    )
    def test_broken_definition(self, fields: dict[str, Any], problem: str) -> None:
        """A broken definition raises InvalidDefinition naming the problem (a Problem whose
        path names the part at fault), its message in the one shape."""
        with pytest.raises(InvalidDefinition) as info:
            MachineDefinition(**fields)
        assert any(problem in p.message for p in info.value.problems), info.value.problems
        assert problem in str(info.value)
        assert info.value.name == "toy"

    def test_all_problems_reported(self) -> None:
        """Several problems are listed together in one InvalidDefinition."""
        with pytest.raises(InvalidDefinition) as info:
            MachineDefinition(**_toy(FINISH, initial=ToyState.END))
        assert len(info.value.problems) >= 2

    def test_toy_lifecycle_fires(self) -> None:
        """A Lifecycle over a custom definition fires its guarded triggers."""
        closed = Guard(
            "open", "the gate is open", lambda record, params: "closed" if record.closed else None
        )
        definition = MachineDefinition(
            **_toy(
                TransitionSpec(
                    "go",
                    (ToyState.START,),
                    ToyState.MIDDLE,
                    status=ToyStatus.HALFWAY,
                    guards=(closed,),
                ),
                FINISH,
            )
        )
        engine = Lifecycle(definition, clock=FixedClock(T1))

        class Thing:
            """A minimal stateful object."""

            def __init__(self, closed: bool) -> None:
                self.id = "thing-1"
                self.state = ToyState.START
                self.status = ToyStatus.STARTED
                self.modifiedon = None
                self._history = ()
                self.closed = closed

        thing = Thing(closed=False)
        engine.fire(thing, "go")
        assert (thing.state, thing.status, thing.modifiedon) == (
            ToyState.MIDDLE,
            ToyStatus.HALFWAY,
            T1,
        )
        shut = Thing(closed=True)
        with pytest.raises(TransitionNotAllowed, match="closed"):
            engine.fire(shut, "go")
        assert shut.state is ToyState.START
