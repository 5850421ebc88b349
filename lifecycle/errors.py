"""The one error root of leadflow and the lifecycle errors.

Every error either package raises derives from :class:`LeadflowError` and from
the builtin it means, so ``except ValueError`` keeps working for callers who do
not know leadflow::

    LeadflowError
    ├── InvalidFieldError (ValueError)        a field got a value it cannot hold
    │   └── FieldTypeError (TypeError)        ... of the wrong type
    ├── InvalidStatusError (ValueError)       statecode/statuscode pair that does not exist
    ├── InvalidDefinition (ValueError)        a machine definition that breaks the rules
    ├── UnknownTriggerError (KeyError)        a trigger the record type does not have
    ├── UnknownRecordError (KeyError)         an event names a record that was not given
    ├── TransitionNotAllowed (RuntimeError)   a legal trigger refused in this state
    ├── ReadOnlyRecordError (PermissionError) an edit of a closed, deleted or anonymized record
    ├── FieldAssignmentError (AttributeError) a field assigned directly instead of via update()
    ├── MergeError (ValueError)               a merge D4 refuses
    └── DiagramError (RuntimeError)           a diagram format the machine cannot render

Every problem an error collects is a :class:`Problem` (a path, what it must be, what it
got), read in the one validation shape ``'<field>' must be <expected> (got <value>).``
``transitions.MachineError`` never reaches a caller: refusals are raised as
:class:`TransitionNotAllowed`. ``matching``'s errors, under the same root, are in
:mod:`matching.errors`; ``docs/reference/errors.md`` lists both (a test compares it with
the code).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import attrs


class LeadflowError(Exception):
    """Root of every error leadflow raises."""


@attrs.frozen
class Problem:
    """One problem found in a value: ``path`` names the field (``fuzzy[1].threshold``,
    ``transitions[0].sources``), ``expected`` what it must be, ``got`` what it was.

    Every error that collects problems holds these (:class:`InvalidFieldError`,
    :class:`Problems`, :class:`InvalidDefinition`, ``matching``'s ``StrategyError`` and
    ``SubmissionRejected``), and each reads as :attr:`message`, the one shape
    ``'<path>' must be <expected> (got <value>).`` The value is ``repr(got)``, or
    ``shown`` when the value is better described than printed (``an unknown key``,
    ``nothing``, ``a list``)."""

    path: str
    expected: str
    got: object = attrs.field(hash=False)
    shown: str | None = attrs.field(default=None, kw_only=True)

    @property
    def message(self) -> str:
        """``'<path>' must be <expected> (got <value>).``"""
        return f"{self.path!r} {self.reason}"

    @property
    def reason(self) -> str:
        """The message without its path, ``must be <expected> (got <value>).``, for a
        listing that shows the path beside it."""
        shown = repr(self.got) if self.shown is None else self.shown
        return f"must be {self.expected} (got {shown})."

    @property
    def field(self) -> str:
        """:attr:`path`, under the name ``FieldProblem`` gave it."""
        return self.path


def type_named(value: object) -> str:
    """``value`` shown by its type, ``a list`` or ``an int``: for a ``shown`` value that
    should not be printed whole."""
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def describe(problems: Iterable[Problem]) -> str:
    """The message of an error that holds ``problems``: each one's, in order."""
    return " ".join(problem.message for problem in problems)


class InvalidFieldError(LeadflowError, ValueError):
    """A field was given a value it cannot hold.

    The message has one shape: ``'<field>' must be <expected> (got <value>).`` When a
    configuration has several bad fields, one error reports them all: it is the first
    one's, and ``problems`` holds every :class:`Problem`, its own first.
    """

    def __init__(
        self,
        field: str,
        expected: str,
        got: Any,
        also: Sequence[Problem] = (),
        shown: str | None = None,
    ) -> None:
        self.field = field
        self.expected = expected
        self.got = got
        self._shown = shown
        self.problems: tuple[Problem, ...] = (self._problem(), *also)
        super().__init__(describe(self.problems))

    @property
    def problem(self) -> Problem:
        """This field's own problem (the first of :attr:`problems`)."""
        return self.problems[0]

    def _problem(self) -> Problem:
        return Problem(self.field, self.expected, self.got, shown=self._shown)

    def __reduce__(self) -> tuple[Any, ...]:
        args = (self.field, self.expected, self.got, self.problems[1:], self._shown)
        return (type(self), args)


class FieldTypeError(InvalidFieldError, TypeError):
    """A field was given a value of the wrong type; the message shows the value and its
    type: ``(got 'no' that is a str)``."""

    def _problem(self) -> Problem:
        got = self.got
        shown = f"{got!r} that is a {type(got).__name__}" if self._shown is None else self._shown
        return Problem(self.field, self.expected, got, shown=shown)


T = TypeVar("T")


class Problems:
    """Every problem found while checking a configuration (a policy, a strategy, a
    handler's options), so that one error reports them all instead of the first.

    Each problem is a :class:`Problem`; :meth:`raise_if_any` raises them together."""

    def __init__(self) -> None:
        self._errors: list[InvalidFieldError] = []

    @property
    def items(self) -> list[Problem]:
        """Every :class:`Problem` noted, in order."""
        return [problem for error in self._errors for problem in error.problems]

    def __bool__(self) -> bool:
        return bool(self._errors)

    def add(self, error: InvalidFieldError) -> None:
        """Note ``error`` (and every problem it carries)."""
        self._errors.append(error)

    def must(self, field: str, expected: str, got: object, *, wrong_type: bool = False) -> None:
        """Note that ``field`` must be ``expected``; ``wrong_type``: ``got`` is of the
        wrong type (a :class:`FieldTypeError`)."""
        self.add((FieldTypeError if wrong_type else InvalidFieldError)(field, expected, got))

    def unknown(self, path: str, key: object, allowed: Iterable[str]) -> None:
        """Note a key that is not among ``allowed`` (``path`` prefixes its name)."""
        keys = ", ".join(sorted(allowed))
        field = f"{path}{key}"
        self.add(InvalidFieldError(field, f"one of the keys {keys}", key, shown="an unknown key"))

    def missing(self, field: str) -> None:
        """Note a required key that was not given."""
        self.add(InvalidFieldError(field, "given", None, shown="nothing"))

    def check(self, convert: Callable[[], T]) -> T | None:
        """``convert()``, or ``None`` after noting the :class:`InvalidFieldError` it raised."""
        try:
            return convert()
        except InvalidFieldError as error:
            self.add(error)
            return None

    def raise_if_any(self, build: Callable[[list[Problem]], Exception] | None = None) -> None:
        """Raise every problem noted, if any: as ``build(items)``, or else as the first
        field error noted, carrying the others (a single error is raised as it is)."""
        if not self._errors:
            return
        if build is not None:
            raise build(list(self.items))
        head = self._errors[0]
        if len(self._errors) == 1:
            raise head
        also = [problem for error in self._errors[1:] for problem in error.problems]
        raise type(head)(
            head.field, head.expected, head.got, [*head.problems[1:], *also], head._shown
        )


def convert_fields(instance: object, converters: Mapping[str, Callable[[Any], Any]]) -> None:
    """Check and convert the fields of a frozen attrs ``instance`` (a policy built from
    plain values), each with its converter; one error names every bad field."""
    problems = Problems()
    converted = {
        name: problems.check(functools.partial(convert, getattr(instance, name)))
        for name, convert in converters.items()
    }
    problems.raise_if_any()
    for name, value in converted.items():
        object.__setattr__(instance, name, value)


class InvalidStatusError(LeadflowError, ValueError):
    """A statecode/statuscode pair, or a status reason, that the record type does not have."""


class InvalidDefinition(LeadflowError, ValueError):
    """A machine definition breaks a structural rule; ``problems`` holds a
    :class:`Problem` for every one, and ``name`` is the machine's."""

    def __init__(self, name: str, problems: Sequence[Problem]) -> None:
        self.name = name
        self.problems = tuple(problems)
        super().__init__(describe(self.problems))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.name, self.problems))


class UnknownTriggerError(LeadflowError, KeyError):
    """A trigger that the record type's machine does not define."""

    def __init__(self, record_type: str, trigger: str, known: Sequence[str]) -> None:
        self.record_type = record_type
        self.trigger = trigger
        self.known = tuple(known)
        super().__init__(record_type, trigger)

    def __str__(self) -> str:
        known = ", ".join(self.known)
        expected = f"a trigger of the {self.record_type} machine ({known})"
        return Problem("trigger", expected, self.trigger).message

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.record_type, self.trigger, self.known))


class UnknownRecordError(LeadflowError, KeyError):
    """An opt-out event names a record that is not among the records given; nothing changed."""

    def __init__(self, record_id: str, event_id: str) -> None:
        self.record_id = record_id
        self.event_id = event_id
        super().__init__(record_id, event_id)

    def __str__(self) -> str:
        shown = f"{self.record_id!r}, in opt-out event {self.event_id!r}"
        return Problem("record_id", "the id of a known record", self.record_id, shown=shown).message

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.record_id, self.event_id))


class TransitionNotAllowed(LeadflowError, RuntimeError):
    """A trigger refused for a record in its current state; the record is unchanged.

    ``reasons`` holds the guard refusals, empty when the state has no such transition.
    """

    def __init__(
        self,
        trigger: str,
        state: str,
        record_id: str,
        reasons: Sequence[str] = (),
    ) -> None:
        self.trigger = trigger
        self.state = state
        self.record_id = record_id
        self.reasons = tuple(reasons)
        message = f"Can't {trigger} when in {state} (record {record_id})"
        if self.reasons:
            message += ": " + "; ".join(self.reasons)
        super().__init__(message + ".")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.trigger, self.state, self.record_id, self.reasons))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TransitionNotAllowed):
            return NotImplemented
        return self.__reduce__() == other.__reduce__()

    def __hash__(self) -> int:
        return hash(self.__reduce__())


class ReadOnlyRecordError(LeadflowError, PermissionError):
    """An ordinary edit of a record that is closed, deleted or anonymized."""

    def __init__(self, record_id: str, state: str, why: str) -> None:
        self.record_id = record_id
        self.state = state
        self.why = why
        super().__init__(f"record {record_id} is read-only in {state}: {why}.")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.record_id, self.state, self.why))


class FieldAssignmentError(LeadflowError, AttributeError):
    """A record field assigned directly; records change through triggers and ``update()``."""

    def __init__(self, field: str) -> None:
        self.field = field
        super().__init__(
            f"{field!r} cannot be assigned directly: use record.update({field}=...) "
            "or one of the record's triggers."
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.field,))


class MergeError(LeadflowError, ValueError):
    """A merge that D4 refuses: records of different types, one record twice, or a record
    that is not active. ``problem`` names the record at fault (``master`` or
    ``subordinate``) and what it must be."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(problem.message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.problem,))


class DiagramError(LeadflowError, RuntimeError):
    """A diagram cannot be rendered, typically because graphviz is not installed."""
