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

``transitions.MachineError`` never reaches a caller: refusals are raised as
:class:`TransitionNotAllowed`. ``matching``'s errors, under the same root, are in
:mod:`matching.errors`; ``docs/reference/errors.md`` lists both (a test compares it with
the code).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar


class LeadflowError(Exception):
    """Root of every error leadflow raises."""


class InvalidFieldError(LeadflowError, ValueError):
    """A field was given a value it cannot hold.

    The message has one shape: ``'<field>' must be <expected> (got <value>).`` When a
    configuration has several bad fields, one error reports them all: it is the first
    one's, and ``problems`` holds every ``(field, message)``, its own first.
    """

    def __init__(
        self,
        field: str,
        expected: str,
        got: Any,
        also: Sequence[tuple[str, str]] = (),
        shown: str | None = None,
    ) -> None:
        self.field = field
        self.expected = expected
        self.got = got
        self._shown = shown
        self.problems: tuple[tuple[str, str], ...] = ((field, self._message()), *also)
        super().__init__(" ".join(text for _, text in self.problems))

    def _message(self) -> str:
        shown = repr(self.got) if self._shown is None else self._shown
        return f"{self.field!r} must be {self.expected} (got {shown})."

    def __reduce__(self) -> tuple[Any, ...]:
        args = (self.field, self.expected, self.got, self.problems[1:], self._shown)
        return (type(self), args)


class FieldTypeError(InvalidFieldError, TypeError):
    """A field was given a value of the wrong type."""

    def _message(self) -> str:
        if self._shown is not None:
            return super()._message()
        got = self.got
        return (
            f"{self.field!r} must be {self.expected} (got {got!r} that is a {type(got).__name__})."
        )


T = TypeVar("T")


class Problems:
    """Every problem found while checking a configuration (a policy, a strategy, a
    handler's options), so that one error reports them all instead of the first.

    Each problem is a ``(field, message)`` pair in the shape ``'<field>' must be
    <expected> (got <value>).``; :meth:`raise_if_any` raises them together."""

    def __init__(self) -> None:
        self._errors: list[InvalidFieldError] = []

    @property
    def items(self) -> list[tuple[str, str]]:
        """Every ``(field, message)`` noted, in order."""
        return [item for error in self._errors for item in error.problems]

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

    def raise_if_any(
        self, build: Callable[[list[tuple[str, str]]], Exception] | None = None
    ) -> None:
        """Raise every problem noted, if any: as ``build(items)``, or else as the first
        field error noted, carrying the others (a single error is raised as it is)."""
        if not self._errors:
            return
        if build is not None:
            raise build(list(self.items))
        head = self._errors[0]
        if len(self._errors) == 1:
            raise head
        also = [item for error in self._errors[1:] for item in error.problems]
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
    """A machine definition breaks a structural rule; ``problems`` lists every one."""

    def __init__(self, name: str, problems: Sequence[str]) -> None:
        self.name = name
        self.problems = tuple(problems)
        listing = "; ".join(self.problems)
        super().__init__(f"machine {name!r} is invalid: {listing}")

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
        return (
            f"{self.record_type} has no trigger {self.trigger!r} (known: {', '.join(self.known)})."
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.record_type, self.trigger, self.known))


class UnknownRecordError(LeadflowError, KeyError):
    """An opt-out event names a record that is not among the records given; nothing changed."""

    def __init__(self, record_id: str, event_id: str) -> None:
        self.record_id = record_id
        self.event_id = event_id
        super().__init__(record_id, event_id)

    def __str__(self) -> str:
        return (
            f"'record_id' must be the id of a known record (got {self.record_id!r}, "
            f"in opt-out event {self.event_id!r})."
        )

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
    that is not active."""


class DiagramError(LeadflowError, RuntimeError):
    """A diagram cannot be rendered, typically because graphviz is not installed."""
