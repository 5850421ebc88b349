"""Machine definitions as data, their validation, and the engine shared by every record.

A :class:`MachineDefinition` is built once per record type and validated when it
is made. :class:`Lifecycle` turns it into one ``transitions.Machine`` and compiles
that machine's events into a lookup table, so firing a trigger on a record is a
dictionary lookup plus its guards: records are never bound as ``transitions``
models (that costs a machine per object).

Firing is two-phase: every check (state, guards, parameters, the effect's own
preparation) runs before anything changes, so a refused trigger leaves the
record's state, fields and history as they were.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol

import attrs
import transitions

from lifecycle.clock import Clock, require_aware, system_clock
from lifecycle.errors import (
    FieldTypeError,
    InvalidDefinition,
    InvalidFieldError,
    InvalidStatusError,
    LeadflowError,
    Problem,
    TransitionNotAllowed,
    UnknownTriggerError,
)
from lifecycle.states import DEFAULT_STATUS, CodedState, CodedStatus


class Stateful(Protocol):
    """What the engine needs of a record."""

    id: str
    state: Any
    status: Any
    modifiedon: dt.datetime | None
    _history: tuple[HistoryEvent, ...]


Params = Mapping[str, Any]
Commit = Callable[[], Any]
Effect = Callable[[Any, Params, dt.datetime], Commit | None]
"""Prepares a trigger's side effects: checks everything, raises on bad input, and
returns the closure that applies them (or ``None`` when there is nothing to do)."""


@attrs.frozen
class Guard:
    """A named precondition; ``check`` returns ``None`` to allow, or why it refuses."""

    name: str
    text: str
    check: Callable[[Any, Params], str | None] = attrs.field(eq=False, repr=False)
    reads: tuple[str, ...] = ()
    """The record fields ``check`` looks at; a DataFrame batch needs these columns."""


@attrs.frozen
class TransitionSpec:
    """One transition of a machine definition.

    The status after the transition is ``status`` when given; otherwise, when
    ``status_choices`` is set, the ``status_reason`` parameter picks it (default: the
    destination's default status); otherwise a change of state takes the
    destination's default status and a self-loop, or a move to a state with no
    status of its own (Deleted), keeps the current one.
    """

    trigger: str
    sources: tuple[CodedState, ...]
    dest: CodedState
    status: CodedStatus | None = None
    status_choices: tuple[CodedStatus, ...] = ()
    guards: tuple[Guard, ...] = ()
    params: frozenset[str] = frozenset()
    required: frozenset[str] = frozenset()
    effect: Effect | None = attrs.field(default=None, eq=False, repr=False)
    text: str = ""


@attrs.frozen
class MachineDefinition:
    """A record type's states, statuses and transitions; validated when built."""

    name: str
    states: type[CodedState]
    statuses: type[CodedStatus]
    initial: CodedState
    finals: frozenset[CodedState]
    transitions: tuple[TransitionSpec, ...]

    def __attrs_post_init__(self) -> None:
        problems = validate_definition(self)
        if problems:
            raise InvalidDefinition(self.name, problems)

    @property
    def triggers(self) -> tuple[str, ...]:
        """Trigger names in definition order, each once."""
        return tuple(dict.fromkeys(t.trigger for t in self.transitions))


def validate_definition(definition: MachineDefinition) -> list[Problem]:
    """Every structural problem of ``definition``, each a :class:`Problem` whose path
    names the part at fault (``initial``, ``transitions[2].sources``, ...); empty when
    it is sound.

    Checks: the initial state is a state and not final; every transition uses
    declared states and statuses of its destination; no transition leaves a final
    state; every state is reachable from the initial one; every non-final state
    has a way out (no trap states); no duplicate transition.
    """
    problems: list[Problem] = []
    states = set(definition.states)
    own = f"states of {definition.name} ({', '.join(s.value for s in definition.states)})"
    initial = definition.initial
    if initial not in states:
        problems.append(Problem("initial", f"one of the {own}", initial))
    if initial in definition.finals:
        problems.append(Problem("initial", "a state that is not final", initial.value))
    for final in definition.finals - states:
        problems.append(Problem("finals", own, final))
    outgoing: dict[CodedState, set[CodedState]] = {s: set() for s in states}
    seen: set[tuple[str, CodedState, CodedState, tuple[str, ...]]] = set()
    for index, spec in enumerate(definition.transitions):
        where, trigger = f"transitions[{index}]", spec.trigger
        if not spec.sources:
            expected = f"at least one state {trigger!r} leaves"
            problems.append(Problem(f"{where}.sources", expected, spec.sources))
        if not spec.required <= spec.params:
            expected = f"parameters {trigger!r} accepts ({sorted(spec.params)})"
            problems.append(
                Problem(f"{where}.required", expected, sorted(spec.required - spec.params))
            )
        for state in spec.sources:
            if state not in states:
                problems.append(Problem(f"{where}.sources", own, state))
        if spec.dest not in states:
            problems.append(Problem(f"{where}.dest", f"one of the {own}", spec.dest))
        chosen = [("status", spec.status), *(("status_choices", s) for s in spec.status_choices)]
        for name, status in chosen:
            if status is None:
                continue
            if not isinstance(status, definition.statuses):
                expected = f"a status of {definition.name} ({definition.statuses.__name__})"
                problems.append(Problem(f"{where}.{name}", expected, status))
            elif status.state_value != spec.dest.value:
                expected = f"a status of {spec.dest.value!r}, where {trigger!r} goes"
                problems.append(Problem(f"{where}.{name}", expected, status.value))
        for source in spec.sources:
            if source in definition.finals:
                expected = "states that are not final (a final state is never left)"
                problems.append(Problem(f"{where}.sources", expected, source.value))
            if source in outgoing:
                outgoing[source].add(spec.dest)
            key = (spec.trigger, source, spec.dest, tuple(g.name for g in spec.guards))
            if key in seen:
                problems.append(
                    Problem(
                        where,
                        "a transition not defined before (trigger, source, destination, guards)",
                        trigger,
                        shown=f"{trigger!r} from {source.value!r} a second time",
                    )
                )
            seen.add(key)
    reachable = {initial}
    queue = deque([initial])
    while queue:
        for nxt in outgoing.get(queue.popleft(), ()):
            if nxt not in reachable:
                reachable.add(nxt)
                queue.append(nxt)
    for state in definition.states:
        if state not in reachable:
            problems.append(Problem("states", f"reachable from {initial.value!r}", state.value))
        if state not in definition.finals and not (outgoing.get(state, set()) - {state}):
            expected = "final, or left by a transition to another state (no trap)"
            problems.append(Problem("states", expected, state.value))
    return problems


@attrs.frozen
class HistoryEvent:
    """One transition in a record's history."""

    at: dt.datetime
    trigger: str
    from_state: CodedState
    from_status: CodedStatus
    to_state: CodedState
    to_status: CodedStatus
    actor: str | None = None
    note: str | None = None


@attrs.frozen
class Transitioned:
    """What firing a trigger did: the history event, and what its effect returned."""

    event: HistoryEvent
    outcome: Any = None


@attrs.frozen
class BatchPlan:
    """What a trigger would do to many records: ``events[i]`` moves ``records[indices[i]]``.

    ``commits`` holds the effects to apply first, by record position; ``errors``
    the refusals. Events are shared by records that make the same move.
    """

    indices: list[int]
    events: list[HistoryEvent]
    commits: dict[int, Commit]
    errors: dict[int, LeadflowError]


@attrs.frozen
class BatchResult:
    """The outcome of one trigger applied to many records.

    ``errors`` maps a record's position in the input to the error the single path
    raises for it; those records are unchanged.
    """

    applied: int
    errors: Mapping[int, LeadflowError]
    outcomes: Mapping[int, Any] = attrs.field(factory=dict)
    """What each record's effect returned, by position, where it returned something
    (a :class:`~lifecycle.records.QualifyResult` for a qualify that created records)."""

    @property
    def refused(self) -> int:
        """How many records the trigger refused."""
        return len(self.errors)


@attrs.define
class Prepared:
    """A checked transition of one record, not yet applied; :meth:`commit` applies it once,
    and only while the record is still in the state and status it was prepared from."""

    record: Stateful
    event: HistoryEvent
    effect: Commit | None = attrs.field(eq=False, repr=False)
    _committed: bool = attrs.field(default=False, init=False, repr=False)

    def commit(self) -> Transitioned:
        """Apply the effect and the state change; refused if already committed or stale."""
        record, event = self.record, self.event
        if self._committed:
            raise TransitionNotAllowed(
                event.trigger,
                event.to_state.label,
                str(record.id),
                ["this change was already committed"],
            )
        if record.state is not event.from_state or record.status is not event.from_status:
            raise TransitionNotAllowed(
                event.trigger,
                record.state.label,
                str(record.id),
                [
                    f"it was prepared from {event.from_state.label}/{event.from_status.label}, "
                    "and the record has moved since"
                ],
            )
        self._committed = True
        outcome = self.effect() if self.effect is not None else None
        _apply(record, event)
        return Transitioned(event, outcome)


@attrs.frozen
class _TriggerRules:
    """A trigger's parameters and status choices, gathered once per definition."""

    allowed: frozenset[str]
    required: frozenset[str]
    choices: tuple[CodedStatus, ...]

    @classmethod
    def of(cls, definition: MachineDefinition, trigger: str) -> _TriggerRules:
        specs = [s for s in definition.transitions if s.trigger == trigger]
        return cls(
            frozenset().union(*(s.params for s in specs)),
            frozenset().union(*(s.required for s in specs)),
            tuple(c for s in specs for c in s.status_choices),
        )


@attrs.frozen
class _Resolved:
    spec: TransitionSpec
    status: CodedStatus


class Lifecycle:
    """The one engine for a record type: a shared ``transitions.Machine``, compiled.

    Build one per definition (leadflow builds one per record type at import) and
    fire triggers on any number of records through it.
    """

    def __init__(self, definition: MachineDefinition, *, clock: Clock = system_clock) -> None:
        self.definition = definition
        self.clock = clock
        self.machine = _build_machine(definition)
        self._table = _compile(definition, self.machine)
        self._by_trigger: dict[str, dict[CodedState, tuple[TransitionSpec, ...]]] = {
            trigger: {state: specs for (t, state), specs in self._table.items() if t == trigger}
            for trigger in definition.triggers
        }
        self._rules = {
            trigger: _TriggerRules.of(definition, trigger) for trigger in definition.triggers
        }

    def __repr__(self) -> str:
        return f"Lifecycle({self.definition.name!r})"

    def allowed_triggers(self, record: Stateful) -> tuple[str, ...]:
        """The triggers whose transitions and guards allow ``record`` to move now."""
        allowed = []
        for trigger in self.definition.triggers:
            specs = self._table.get((trigger, record.state), ())
            if any(_refusals(spec, record, {}) == [] for spec in specs):
                allowed.append(trigger)
        return tuple(allowed)

    def fire(
        self,
        record: Stateful,
        trigger: str,
        *,
        at: dt.datetime | None = None,
        actor: str | None = None,
        note: str | None = None,
        **params: Any,
    ) -> Transitioned:
        """Move ``record`` by ``trigger``, or raise and leave it unchanged."""
        return self.prepare(record, trigger, at=at, actor=actor, note=note, **params).commit()

    def prepare(
        self,
        record: Stateful,
        trigger: str,
        *,
        at: dt.datetime | None = None,
        actor: str | None = None,
        note: str | None = None,
        **params: Any,
    ) -> Prepared:
        """Check everything ``trigger`` needs and return what applies it, changing nothing.

        Operations spanning records (merge) prepare each one, then commit them all.
        """
        when = require_aware("at", self.clock() if at is None else at)
        resolved = self._resolve(record, trigger, params)
        commit = None
        if resolved.spec.effect is not None:
            commit = resolved.spec.effect(record, params, when)
        event = HistoryEvent(
            when,
            trigger,
            record.state,
            record.status,
            resolved.spec.dest,
            resolved.status,
            actor,
            note,
        )
        return Prepared(record, event, commit)

    def fire_many(
        self,
        records: Sequence[Stateful],
        trigger: str,
        *,
        at: dt.datetime | None = None,
        actor: str | None = None,
        note: str | None = None,
        **params: Any,
    ) -> BatchResult:
        """Apply ``trigger`` to every record: the same results and errors as one at a time.

        A record the machine or a guard refuses gets the very error :meth:`fire`
        would raise and stays unchanged; the others move.
        """
        plan = self.plan_many(records, trigger, at=at, actor=actor, note=note, **params)
        with _gc_paused():
            outcomes = _apply_planned(records, plan)
        return BatchResult(len(plan.indices), plan.errors, outcomes)

    def plan_many(
        self,
        records: Sequence[Stateful],
        trigger: str,
        *,
        at: dt.datetime | None = None,
        actor: str | None = None,
        note: str | None = None,
        **params: Any,
    ) -> BatchPlan:
        """Check ``trigger`` against every record and return what would happen; change nothing.

        The table lookup, guard list and history event are resolved once per
        (status, transition) group and the event is shared by the group. The
        cyclic garbage collector is paused meanwhile: a batch makes no cycles, and
        with a million live records each collection would walk them all.
        """
        when = require_aware("at", self.clock() if at is None else at)
        self._check_trigger(trigger, params)
        if not isinstance(records, (list, tuple)):
            raise FieldTypeError("records", "a list or tuple of records", records)
        if len(set(map(id, records))) != len(records):
            raise InvalidFieldError("records", "distinct records", "a record listed twice")
        errors: dict[int, LeadflowError] = {}
        events: dict[Any, HistoryEvent] = {}
        indices: list[int] = []
        planned: list[HistoryEvent] = []
        commits: dict[int, Commit] = {}
        by_state = self._by_trigger[trigger]
        with _gc_paused():
            for index, record in enumerate(records):
                specs = by_state.get(record.state)
                if specs is None:
                    errors[index] = self._refusal(record, trigger, [])
                    continue
                chosen = specs[0]
                try:
                    if len(specs) > 1:
                        chosen = self._choose(record, trigger, specs, params)
                    else:
                        for guard in chosen.guards:
                            if guard.check(record, params) is not None:
                                raise self._refusal(
                                    record, trigger, _refusals(chosen, record, params)
                                )
                    if chosen.effect is not None:
                        commit = chosen.effect(record, params, when)
                        if commit is not None:
                            commits[index] = commit
                except LeadflowError as err:
                    errors[index] = err
                    continue
                key = record.status if len(specs) == 1 else (record.status, id(chosen))
                event = events.get(key)
                if event is None:
                    status = _status_after(chosen, record, params)
                    event = HistoryEvent(
                        when, trigger, record.state, record.status, chosen.dest, status, actor, note
                    )
                    events[key] = event
                indices.append(index)
                planned.append(event)
        return BatchPlan(indices, planned, commits, errors)

    def _check_trigger(self, trigger: str, params: Params) -> None:
        rules = self._rules.get(trigger) if isinstance(trigger, str) else None
        if rules is None:
            raise UnknownTriggerError(self.definition.name, trigger, self.definition.triggers)
        if not params and not rules.required:
            return
        for name in params:
            if name not in rules.allowed:
                expected = f"one of {sorted(rules.allowed)}" if rules.allowed else "no parameter"
                raise InvalidFieldError(name, f"a parameter of {trigger!r}: {expected}", name)
        for name in sorted(rules.required - params.keys()):
            raise InvalidFieldError(name, f"given: {trigger!r} needs it", None)
        if "status_reason" in params and not any(
            params["status_reason"] is c for c in rules.choices
        ):
            labels = ", ".join(sorted(c.label for c in rules.choices))
            raise InvalidStatusError(
                f"'status_reason' must be one of {labels} for {trigger!r} "
                f"(got {params['status_reason']!r})."
            )

    def _resolve(self, record: Stateful, trigger: str, params: Params) -> _Resolved:
        self._check_trigger(trigger, params)
        specs = self._table.get((trigger, record.state))
        if specs is None:
            raise self._refusal(record, trigger, [])
        spec = self._choose(record, trigger, specs, params)
        return _Resolved(spec, _status_after(spec, record, params))

    def _choose(
        self, record: Stateful, trigger: str, specs: Sequence[TransitionSpec], params: Params
    ) -> TransitionSpec:
        reasons: list[str] = []
        for spec in specs:
            refusals = _refusals(spec, record, params)
            if not refusals:
                return spec
            reasons.extend(refusals)
        raise self._refusal(record, trigger, reasons)

    def _refusal(self, record: Stateful, trigger: str, reasons: list[str]) -> TransitionNotAllowed:
        state = record.state
        label = state.label if isinstance(state, CodedState) else repr(state)
        return TransitionNotAllowed(trigger, label, str(record.id), reasons)


def _refusals(spec: TransitionSpec, record: Stateful, params: Params) -> list[str]:
    return [why for guard in spec.guards if (why := guard.check(record, params)) is not None]


def _status_after(spec: TransitionSpec, record: Stateful, params: Params) -> CodedStatus:
    if spec.status is not None:
        return spec.status
    if spec.status_choices:
        chosen = params.get("status_reason", DEFAULT_STATUS[spec.dest])
        if not any(chosen is c for c in spec.status_choices):
            labels = ", ".join(s.label for s in spec.status_choices)
            raise InvalidStatusError(
                f"'status_reason' must be one of {labels} for {spec.trigger!r} (got {chosen!r})."
            )
        return chosen  # type: ignore[no-any-return]
    if spec.dest is record.state or spec.dest not in DEFAULT_STATUS:
        return record.status  # type: ignore[no-any-return]
    return DEFAULT_STATUS[spec.dest]  # type: ignore[no-any-return]


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _apply_planned(records: Sequence[Stateful], plan: BatchPlan) -> dict[int, Any]:
    commits = plan.commits
    outcomes: dict[int, Any] = {}
    setter = object.__setattr__
    for index, event in zip(plan.indices, plan.events, strict=True):
        if commits:
            commit = commits.get(index)
            if commit is not None:
                outcome = commit()
                if outcome is not None:
                    outcomes[index] = outcome
        record = records[index]
        setter(record, "state", event.to_state)
        setter(record, "status", event.to_status)
        modified = record.modifiedon
        if modified is None or event.at > modified:
            setter(record, "modifiedon", event.at)
        setter(record, "_history", (*record._history, event) if record._history else (event,))
    return outcomes


def _apply(record: Stateful, event: HistoryEvent) -> None:
    setter = object.__setattr__
    setter(record, "state", event.to_state)
    setter(record, "status", event.to_status)
    if record.modifiedon is None or event.at > record.modifiedon:
        setter(record, "modifiedon", event.at)
    setter(record, "_history", (*record._history, event) if record._history else (event,))


def _build_machine(definition: MachineDefinition) -> transitions.Machine:
    machine = transitions.Machine(
        model=None,
        states=[s.value for s in definition.states],
        initial=definition.initial.value,
        auto_transitions=False,
        send_event=True,
        ignore_invalid_triggers=False,
        name=definition.name,
    )
    for spec in definition.transitions:
        machine.add_transition(
            spec.trigger,
            [s.value for s in spec.sources],
            spec.dest.value,
            conditions=[g.check for g in spec.guards],  # type: ignore[misc]
        )
    return machine


def _compile(
    definition: MachineDefinition, machine: transitions.Machine
) -> dict[tuple[str, CodedState], tuple[TransitionSpec, ...]]:
    """Read ``machine``'s events into ``{(trigger, source): candidate specs}``, in order."""
    by_key: dict[tuple[str, str, str, tuple[int, ...]], TransitionSpec] = {}
    for spec in definition.transitions:
        for source in spec.sources:
            key = (
                spec.trigger,
                source.value,
                spec.dest.value,
                tuple(id(g.check) for g in spec.guards),
            )
            by_key[key] = spec
    table: dict[tuple[str, CodedState], tuple[TransitionSpec, ...]] = {}
    for trigger, event in machine.events.items():
        for source_name, candidates in event.transitions.items():
            specs = tuple(
                by_key[(trigger, source_name, str(t.dest), tuple(id(c.func) for c in t.conditions))]
                for t in candidates
            )
            table[(trigger, definition.states.named(source_name))] = specs
    return table


def iter_edges(
    definition: MachineDefinition,
) -> Iterable[tuple[CodedState, CodedState, TransitionSpec]]:
    """Every (source, dest, spec) edge of ``definition``, in definition order."""
    for spec in definition.transitions:
        for source in spec.sources:
            yield source, spec.dest, spec
