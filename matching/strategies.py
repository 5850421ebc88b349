"""Match strategies: which records count as the same person, as data (decision D2).

A :class:`MatchStrategy` names a target (contact or lead), the fields that must all
be equal after normalisation (Dynamics' OBM strategies), optional fuzzy rules (RTJ
matching rules with a fuzzy degree) and the store keys it finds candidates by. It
is validated when built, round-trips through plain dicts and JSON, and scores a
pair through :func:`matching.scoring.score_pair`, the one scoring path batch dedupe
shares.
"""

from __future__ import annotations

import enum
import functools
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeAlias

import attrs

from lifecycle.eligibility import FrozenMap
from lifecycle.errors import Problem, Problems
from lifecycle.records import Contact, Lead, Record
from matching import normalize
from matching.errors import StrategyError as StrategyError
from matching.keys import (
    KEY_FUNCTIONS,
    KEYED_FIELDS,
    NORMALIZER_OF,
    Values,
    keyed_fields_of,
    person_key,
    value_of,
)
from matching.scoring import MatchScore, Method, compared, score_pair

Normalizer: TypeAlias = Callable[[object], str | None]
_Gate: TypeAlias = tuple[str, Callable[[Values], object], Normalizer, Method, float, bool]
"""A comparison every match passes: field, reader, normaliser, method, threshold, and
whether a value missing on both sides is shared (an exact field in ``shared_missing``)."""


class Target(enum.Enum):
    """The record type a strategy finds."""

    CONTACT = "contact"
    LEAD = "lead"

    @property
    def record_type(self) -> type[Lead] | type[Contact]:
        """The lifecycle record class."""
        return Contact if self is Target.CONTACT else Lead

    @property
    def matchable_fields(self) -> frozenset[str]:
        """The fields a strategy may compare: the record's text fields, and ``fullname``
        (first and last name together)."""
        return _MATCHABLE[self]


_FULLNAME = "fullname"
"""A strategy field made of ``firstname`` and ``lastname`` (or a ``fullname`` value)."""


def _text_fields(kind: type[Record]) -> frozenset[str]:
    text = {f.name for f in attrs.fields(kind) if f.type in ("str | None", str | None)}
    return frozenset({*text, _FULLNAME})


_MATCHABLE: Mapping[Target, frozenset[str]] = FrozenMap(
    {target: _text_fields(target.record_type) for target in Target}
)


# --- normalisers -------------------------------------------------------------------------

_NORMALIZERS: dict[str, Normalizer] = {
    "email": normalize.email,
    "email_canonical": normalize.email_canonical,
    "phone": normalize.phone,
    "name": normalize.name,
    "person_tokens": normalize.person_tokens,
    "company": normalize.company,
    "text": normalize.text,
    "identifier": normalize.identifier,
}
NORMALIZERS: Mapping[str, Normalizer] = FrozenMap(_NORMALIZERS)
"""The normalisers a strategy may use, by name (functions of :mod:`matching.normalize`)."""

DEFAULT_NORMALIZERS: Mapping[str, str] = FrozenMap(
    {
        "emailaddress1": "email",
        "telephone1": "phone",
        "mobilephone": "phone",
        "firstname": "name",
        "lastname": "name",
        _FULLNAME: "person_tokens",
        "companyname": "company",
        "name": "company",
        "msdyncrm_marketingpageid": "identifier",
        "msdyncrm_marketingformid": "identifier",
    }
)
"""The normaliser each field gets unless a strategy says otherwise; other fields get
:data:`FALLBACK_NORMALIZER`."""

FALLBACK_NORMALIZER = "text"

_METHOD_NORMALIZER: Mapping[Method, str] = FrozenMap(
    {Method.PHONE: "phone", Method.COMPANY: "company"}
)
"""Methods that compare one kind of key only, and the normaliser that makes it."""


def _fullname(values: Values) -> object:
    """``firstname lastname``; missing unless both are there (as the store's full-name key
    is), and a ``fullname`` value itself when neither is."""
    parts = [value_of("firstname", values), value_of("lastname", values)]
    given = [p.strip() for p in parts if isinstance(p, str) and p.strip()]
    if not given:
        return value_of(_FULLNAME, values)
    return " ".join(given) if len(given) == 2 else None


def _reader(field: str) -> Callable[[Values], object]:
    return _fullname if field == _FULLNAME else functools.partial(value_of, field)


# --- store keys ----------------------------------------------------------------------------


def _uses(keyed: str, fields: Iterable[str]) -> bool:
    used = set(fields)
    return keyed in used or set(KEYED_FIELDS[keyed]) <= used


def _default_blocking(
    target: Target, fields: Sequence[str], rule_fields: Sequence[str]
) -> tuple[str, ...]:
    """Every candidate an exact strategy can match shares each exact field, so one
    exact keyed field finds them all (email first); a fuzzy-only strategy needs every
    keyed field its rules compare."""
    keyed = [k for k in keyed_fields_of(target.record_type) if _uses(k, fields)]
    if keyed:
        return ("emailaddress1",) if "emailaddress1" in keyed else (keyed[0],)
    return tuple(k for k in keyed_fields_of(target.record_type) if _uses(k, rule_fields))


# --- validation helpers -----------------------------------------------------------------


def _names(problems: Problems, field: str, value: object) -> tuple[str, ...] | None:
    """``value`` as a tuple of distinct names, or ``None`` after noting why it is not."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        problems.must(field, "a list of field names", value)
        return None
    names = tuple(value)
    bad = [n for n in names if not isinstance(n, str) or not n]
    if bad:
        problems.must(field, "a list of field names", value)
        return None
    if len(set(names)) != len(names):
        problems.must(field, "a list without repeated names", list(names))
        return None
    return names


def _enum_value(problems: Problems, field: str, kind: type[enum.Enum], value: object) -> Any:
    if isinstance(value, kind):
        return value
    try:
        return kind(value)
    except (ValueError, TypeError):
        choices = ", ".join(repr(m.value) for m in kind)
        problems.must(field, f"one of {choices}", value)
        return None


_RULE_KEYS = ("field", "method", "threshold", "weight")
_RULE_REQUIRED = ("field", "method")


def _number(
    problems: Problems, field: str, value: object, expected: str, ok: Callable[[float], bool]
) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        problems.must(field, expected, value)
        return None
    if not math.isfinite(value) or not ok(value):
        problems.must(field, expected, value)
        return None
    return float(value)


def _check_rule(
    problems: Problems, path: str, field: object, method: object, threshold: object, weight: object
) -> tuple[str, Method, float, float] | None:
    """A rule's parts, checked; ``None`` after noting every problem."""
    name = field if isinstance(field, str) and field else None
    if name is None:
        problems.must(f"{path}field", "a field name", field)
    checked: Method | None = _enum_value(problems, f"{path}method", Method, method)
    low = _number(problems, f"{path}threshold", threshold, "a number in [0, 1]", _unit)
    heft = _number(problems, f"{path}weight", weight, "a number above 0", _positive)
    if name is None or checked is None or low is None or heft is None:
        return None
    return name, checked, low, heft


def _unit(value: float) -> bool:
    return 0 <= value <= 1


def _positive(value: float) -> bool:
    return value > 0


@attrs.frozen
class FuzzyRule:
    """One fuzzy comparison: ``field`` compared by ``method``.

    It adds ``weight * similarity`` to the strategy's weighted score; with a
    ``threshold`` above 0 the pair also matches only if this similarity reaches it
    (a missing value never does).
    """

    field: str
    method: Method
    threshold: float = 0.0
    weight: float = 1.0

    def __attrs_post_init__(self) -> None:
        problems = Problems()
        raw: dict[str, Any] = {name: getattr(self, name) for name in _RULE_KEYS}
        checked = _check_rule(problems, "", **raw)
        problems.raise_if_any(functools.partial(StrategyError, None, subject="fuzzy rule"))
        assert checked is not None
        for name, value in zip(_RULE_KEYS, checked, strict=True):
            object.__setattr__(self, name, value)

    def to_dict(self) -> dict[str, Any]:
        """Plain data that :meth:`from_dict` reads back."""
        return {
            "field": self.field,
            "method": self.method.value,
            "threshold": self.threshold,
            "weight": self.weight,
        }

    @classmethod
    def from_dict(cls, data: object) -> FuzzyRule:
        """A rule from :meth:`to_dict` data; unknown keys, missing keys and bad values raise."""
        problems = Problems()
        rule = _rule_from(problems, "", data)
        problems.raise_if_any(functools.partial(StrategyError, None, subject="fuzzy rule"))
        assert rule is not None
        return rule


def _rule_from(problems: Problems, path: str, data: object) -> FuzzyRule | None:
    if isinstance(data, FuzzyRule):
        return data
    if not isinstance(data, Mapping):
        problems.must(path.rstrip(".") or "rule", "a fuzzy rule (a mapping)", data)
        return None
    for key in data:
        if key not in _RULE_KEYS:
            problems.unknown(path, key, _RULE_KEYS)
    absent = [key for key in _RULE_REQUIRED if key not in data]
    for key in absent:
        problems.missing(f"{path}{key}")
    if absent:
        return None
    checked = _check_rule(
        problems,
        path,
        data["field"],
        data["method"],
        data.get("threshold", 0.0),
        data.get("weight", 1.0),
    )
    return None if checked is None else FuzzyRule(*checked)


def _check(
    problems: Problems,
    target: Target,
    fields: tuple[str, ...],
    rules: tuple[FuzzyRule, ...],
    min_score: float | None,
    blocking: tuple[str, ...],
    shared: tuple[str, ...],
    normalizers: Mapping[str, str],
) -> tuple[str, ...]:
    """Check the parts against each other and the target; the blocking to use."""
    before = len(problems.items)
    matchable = target.matchable_fields
    known = f"fields of a {target.value} ({', '.join(sorted(matchable))})"
    if not fields and not rules:
        problems.must("fields", "at least one field when there are no fuzzy rules", [])
    unknown = [f for f in fields if f not in matchable]
    if unknown:
        problems.must("fields", known, unknown)
    seen: set[str] = set()
    for i, rule in enumerate(rules):
        if rule.field not in matchable:
            problems.must(f"fuzzy[{i}].field", known.replace("fields", "a field", 1), rule.field)
        elif rule.field in fields or rule.field in seen:
            problems.must(
                f"fuzzy[{i}].field", "a field no exact field or other rule compares", rule.field
            )
        seen.add(rule.field)
    not_exact = [f for f in shared if f not in fields]
    if not_exact:
        problems.must(
            "shared_missing", f"exact fields of this strategy ({list(fields)})", not_exact
        )
    used = set(fields) | seen
    for field, chosen in normalizers.items():
        if field not in used:
            problems.must(f"normalizers.{field}", "a field this strategy compares", field)
        if chosen not in NORMALIZERS:
            problems.must(
                f"normalizers.{field}", f"one of {', '.join(sorted(NORMALIZERS))}", chosen
            )
    for i, rule in enumerate(rules):
        needs = _METHOD_NORMALIZER.get(rule.method)
        if rule.field not in matchable:
            continue
        chosen = normalizers.get(
            rule.field, DEFAULT_NORMALIZERS.get(rule.field, FALLBACK_NORMALIZER)
        )
        if needs is not None and chosen != needs:
            problems.must(
                f"fuzzy[{i}].method",
                f"used on a field normalised by {needs!r} ({rule.field!r} is normalised by {chosen!r})",
                rule.method.value,
            )
    gated = any(f not in shared for f in fields) or any(r.threshold > 0 for r in rules)
    if min_score is not None and (fields or rules) and not gated and not (rules and min_score):
        if rules:
            problems.must(
                "min_score",
                "above 0 when no rule has a threshold (two empty records would match)",
                min_score,
            )
        else:
            problems.must(
                "shared_missing",
                "a part of the exact fields only (two empty records would match)",
                list(shared),
            )
    keyed = keyed_fields_of(target.record_type)
    if not blocking:
        blocking = _default_blocking(target, fields, [r.field for r in rules])
        if not blocking and len(problems.items) == before:
            problems.must(
                "blocking",
                f"given: no compared field is a store key ({', '.join(keyed)})",
                [],
            )
    bad = [b for b in blocking if b not in keyed]
    if bad:
        problems.must("blocking", f"keyed fields of a {target.value} ({', '.join(keyed)})", bad)
    return blocking


_STRATEGY_KEYS = (
    "name",
    "target",
    "fields",
    "fuzzy",
    "min_score",
    "blocking",
    "shared_missing",
    "normalizers",
    "max_candidates",
)
_STRATEGY_REQUIRED = ("name", "target")
MAX_CANDIDATES = 25
"""Default of :attr:`MatchStrategy.max_candidates`."""


@attrs.frozen
class MatchStrategy:
    """Which records count as the same person, and how to find candidates.

    Two records match when every one of ``fields`` is present on both and equal
    after normalisation, every fuzzy rule with a threshold reaches it, and the
    weighted score of the fuzzy rules reaches ``min_score`` (see
    :mod:`matching.scoring`). ``blocking`` names the store's keyed fields to look
    candidates up by; left empty, it is derived (``emailaddress1`` when it is an exact
    field, else the first keyed exact field, else every keyed field the rules use).

    A missing value never matches, except for the exact fields in ``shared_missing``,
    where "no value" is itself a value both records can share (Dynamics treats the
    missing page id of an embedded form that way). ``normalizers`` overrides the
    normaliser of some fields (names from :data:`NORMALIZERS`), e.g.
    ``{"emailaddress1": "email_canonical"}``.

    ``max_candidates`` bounds the records a fuzzy blocking key brings in: a full-name
    block of a common name or a switchboard's phone number can hold thousands, and a
    submission must not read and score them all (the store samples a larger block). A key
    on one of the exact ``fields`` is read whole (:meth:`candidate_limit`): every
    record under it shares that value and may match on the others, so a cap could only
    lose a match (the lead of an address from its first page, behind newer pages).

    Every field accepts plain values as well (``target="lead"``, rules as mappings),
    and bad values raise one :class:`StrategyError` listing every problem.
    """

    name: str
    target: Target
    fields: tuple[str, ...] = ()
    fuzzy: tuple[FuzzyRule, ...] = ()
    min_score: float = 1.0
    blocking: tuple[str, ...] = ()
    shared_missing: tuple[str, ...] = ()
    normalizers: Mapping[str, str] = FrozenMap()
    max_candidates: int = MAX_CANDIDATES
    _normalise: tuple[tuple[str, Callable[[Values], object], Normalizer], ...] = attrs.field(
        init=False, repr=False, eq=False
    )
    _store_keys: tuple[tuple[str, Callable[[Values], str | None]], ...] = attrs.field(
        init=False, repr=False, eq=False
    )
    _gates: tuple[_Gate, ...] = attrs.field(init=False, repr=False, eq=False)
    _keys_find_claim_holders: bool = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        problems = Problems()
        raw: dict[str, Any] = {key: getattr(self, key) for key in _STRATEGY_KEYS}
        name = raw["name"]
        if not isinstance(name, str) or not name.strip():
            problems.must("name", "a non-empty str", name)
        target = _enum_value(problems, "target", Target, raw["target"])
        fields = _names(problems, "fields", raw["fields"])
        rules = self._rules(problems, raw["fuzzy"])
        min_score = _number(problems, "min_score", raw["min_score"], "a number in [0, 1]", _unit)
        blocking = _names(problems, "blocking", raw["blocking"])
        shared = _names(problems, "shared_missing", raw["shared_missing"])
        normalizers = raw["normalizers"]
        if not isinstance(normalizers, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in normalizers.items()
        ):
            problems.must(
                "normalizers", "a mapping of field names to normaliser names", normalizers
            )
            normalizers = None
        cap = raw["max_candidates"]
        if type(cap) is not int or cap < 1:
            problems.must("max_candidates", "a whole number of at least 1", cap)
        label = name if isinstance(name, str) and name.strip() else None
        if (
            target is not None
            and fields is not None
            and rules is not None
            and blocking is not None
            and shared is not None
            and normalizers is not None
        ):
            blocking = _check(
                problems, target, fields, rules, min_score, blocking, shared, normalizers
            )
        problems.raise_if_any(functools.partial(StrategyError, label))
        if (
            target is None
            or fields is None
            or rules is None
            or min_score is None
            or blocking is None
            or shared is None
            or normalizers is None
        ):  # pragma: no cover - each None noted a problem, raised above
            raise AssertionError

        object.__setattr__(self, "target", target)
        object.__setattr__(self, "fields", fields)
        object.__setattr__(self, "fuzzy", rules)
        object.__setattr__(self, "min_score", min_score)
        object.__setattr__(self, "blocking", blocking)
        object.__setattr__(self, "shared_missing", shared)
        object.__setattr__(self, "normalizers", FrozenMap(normalizers))
        used = dict.fromkeys([*fields, *(r.field for r in rules)])
        object.__setattr__(
            self,
            "_normalise",
            tuple((f, _reader(f), NORMALIZERS[self._normalizer_name(f)]) for f in used),
        )
        object.__setattr__(self, "_store_keys", tuple((k, KEY_FUNCTIONS[k]) for k in blocking))
        readers = {field: (read, norm) for field, read, norm in self._normalise}
        gates = [(f, *readers[f], Method.EXACT, 1.0, f in shared) for f in fields]
        gates += [
            (r.field, *readers[r.field], r.method, r.threshold, False)
            for r in rules
            if r.threshold > 0
        ]
        object.__setattr__(self, "_gates", tuple(gates))
        object.__setattr__(
            self,
            "_keys_find_claim_holders",
            any(
                b in fields and NORMALIZERS[self._normalizer_name(b)] is NORMALIZER_OF.get(b)
                for b in blocking
            ),
        )

    @staticmethod
    def _rules(problems: Problems, value: object) -> tuple[FuzzyRule, ...] | None:
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
            problems.must("fuzzy", "a list of fuzzy rules", value)
            return None
        rules = [_rule_from(problems, f"fuzzy[{i}].", item) for i, item in enumerate(value)]
        valid = tuple(r for r in rules if r is not None)
        return valid if len(valid) == len(rules) else None

    def _normalizer_name(self, field: str) -> str:
        return self.normalizers.get(field, DEFAULT_NORMALIZERS.get(field, FALLBACK_NORMALIZER))

    # --- use ---------------------------------------------------------------------------

    @property
    def source_fields(self) -> tuple[str, ...]:
        """The record fields the strategy reads (``fullname`` is read from ``firstname``
        and ``lastname``): what a store must load of a candidate to score it."""
        read = [f for f, _, _ in self._normalise]
        if _FULLNAME in read:
            at = read.index(_FULLNAME)
            read[at : at + 1] = ["firstname", "lastname"]
        return tuple(dict.fromkeys(read))

    @property
    def is_fuzzy(self) -> bool:
        """Whether the strategy has fuzzy rules (else it is exact, like Dynamics' OBM ones)."""
        return bool(self.fuzzy)

    def normalised(self, values: Values) -> dict[str, str | None]:
        """The normalised value of every field the strategy compares (``None``: missing)."""
        return {field: norm(read(values)) for field, read, norm in self._normalise}

    def passes_gates(self, mine: Mapping[str, str | None], other: Values) -> bool:
        """Whether ``other`` passes every comparison a match requires against ``mine``
        (values from :meth:`normalised`): the exact fields, and the fuzzy rules with a
        threshold. ``False`` means :meth:`match` cannot match; it is found normalising only
        those fields of ``other``, so most candidates are turned away cheaply."""
        return all(
            compared(method, threshold, mine[field], norm(read(other)), shared=shared)[1]
            for field, read, norm, method, threshold, shared in self._gates
        )

    def exact_key(self, values: Values) -> str | None:
        """The exact fields' normalised values as one key (a JSON list), for the store's
        ``claim(strategy.name, key, record)``; ``None`` when one is missing (a shared
        missing value is ``null`` in the key) or the strategy has no exact fields."""
        if not self.fields:
            return None
        normalised = self.normalised(values)
        parts = [normalised[f] for f in self.fields]
        shared = self.shared_missing
        if any(p is None and f not in shared for f, p in zip(self.fields, parts, strict=True)):
            return None
        return json.dumps(parts, ensure_ascii=False, separators=(",", ":"))

    def claim_key(self, values: Values) -> str | None:
        """The key a new record claims (the store's ``claim(strategy.name, key, record)``)
        so that concurrent creators of one person agree on one record: the
        :meth:`exact_key`, else the first blocking key as a JSON pair; ``None`` when
        there is neither."""
        key = self.exact_key(values)
        if key is not None:
            return key
        keys = self.blocking_keys(values)
        return json.dumps(list(keys[0]), ensure_ascii=False) if keys else None

    @property
    def keys_find_claim_holders(self) -> bool:
        """Whether the blocking keys always find a record that holds a submission's
        :meth:`claim_key` and matches it: true when a blocking field is an exact field
        normalised as the store keys it (the Dynamics presets). Otherwise (a fuzzy
        strategy comparing canonical emails, say) the holder may match while no key
        finds it, and the handler looks the claim up as well."""
        return self._keys_find_claim_holders

    def blocking_keys(self, values: Values) -> list[tuple[str, str]]:
        """``(keyed field, key)`` pairs to look candidates up by in the store, as the store
        computes its keys; missing values give none. With a ``token_set`` rule, the full
        name is looked up both ways round, so transposed names are found."""
        keys: list[tuple[str, str]] = []
        for field, compute in self._store_keys:
            key = compute(values)
            if key is not None:
                keys.append((field, key))
            if field == _FULLNAME and self._transposes:
                swapped = person_key(values, swapped=True)
                if swapped is not None:
                    keys.append((field, swapped))
        return list(dict.fromkeys(keys))

    def candidate_limit(self, field: str) -> int | None:
        """How many records the blocking key on ``field`` brings in: all of them
        (``None``) for an exact field, else ``max_candidates``."""
        return None if field in self.fields else self.max_candidates

    @property
    def _transposes(self) -> bool:
        return any(r.method is Method.TOKEN_SET for r in self.fuzzy)

    def match(self, a: Values, b: Values) -> MatchScore:
        """Score two records under this strategy (:func:`matching.scoring.score_pair`)."""
        return score_pair(self, a, b)

    # --- data --------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values (enums as their values) that :meth:`from_dict` reads back."""
        return {
            "name": self.name,
            "target": self.target.value,
            "fields": list(self.fields),
            "fuzzy": [rule.to_dict() for rule in self.fuzzy],
            "min_score": self.min_score,
            "blocking": list(self.blocking),
            "shared_missing": list(self.shared_missing),
            "normalizers": dict(self.normalizers),
            "max_candidates": self.max_candidates,
        }

    @classmethod
    def from_dict(cls, data: object) -> MatchStrategy:
        """A strategy from :meth:`to_dict` data; unknown keys (at every level), missing
        keys and bad values raise one :class:`StrategyError` naming each."""
        problems = Problems()
        if not isinstance(data, Mapping):
            problems.must("strategy", "a mapping", data)
            raise StrategyError(None, problems.items)
        for key in data:
            if key not in _STRATEGY_KEYS:
                problems.unknown("", key, _STRATEGY_KEYS)
        for key in _STRATEGY_REQUIRED:
            if key not in data:
                problems.missing(key)
        name = data.get("name")
        label = name if isinstance(name, str) and name.strip() else None
        if all(key in data for key in _STRATEGY_REQUIRED):
            try:
                strategy = cls(**{k: v for k, v in data.items() if k in _STRATEGY_KEYS})
            except StrategyError as err:
                raise StrategyError(label, [*problems.items, *err.problems]) from None
            if not problems:
                return strategy
        raise StrategyError(label, problems.items)

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str | bytes) -> MatchStrategy:
        """A strategy from :meth:`to_json` text; malformed JSON raises :class:`StrategyError`."""
        try:
            data = json.loads(text)
        except (ValueError, TypeError) as err:
            raise StrategyError(
                None, [Problem("json", "valid JSON", text, shown=str(err))]
            ) from None
        return cls.from_dict(data)


# --- presets -------------------------------------------------------------------------------

CONTACT_BY_EMAIL = MatchStrategy("contact-by-email", Target.CONTACT, fields=("emailaddress1",))
"""Dynamics' default contact strategy (D2): the same email address."""

LEAD_BY_EMAIL_AND_PAGE = MatchStrategy(
    "lead-by-email-and-page",
    Target.LEAD,
    fields=("emailaddress1", "msdyncrm_marketingpageid"),
    shared_missing=("msdyncrm_marketingpageid",),
)
"""Dynamics' outbound default lead strategy (D2): the same email address from the same
marketing page. Embedded and captured forms have no page id, and Dynamics treats "no
page id" as one shared value, so two submissions of an address through embedded forms
find the same lead; a page id never matches "no page id"."""

LEAD_BY_EMAIL = MatchStrategy("lead-by-email", Target.LEAD, fields=("emailaddress1",))
"""A real-time journeys style lead matching rule: the same email address, whatever the form."""

_NAMES = FuzzyRule(_FULLNAME, Method.TOKEN_SET, threshold=0.9, weight=2.0)
_EMAIL = FuzzyRule("emailaddress1", Method.EXACT, weight=3.0)
_PHONE = FuzzyRule("telephone1", Method.PHONE, weight=2.0)
_FUZZY_BLOCKING = ("emailaddress1", "telephone1", "fullname")
_CANONICAL_EMAIL: Mapping[str, str] = FrozenMap({"emailaddress1": "email_canonical"})

CONTACT_FUZZY = MatchStrategy(
    "contact-fuzzy",
    Target.CONTACT,
    fuzzy=(_NAMES, _EMAIL, _PHONE, FuzzyRule("mobilephone", Method.PHONE, weight=1.0)),
    min_score=0.6,
    blocking=_FUZZY_BLOCKING,
    normalizers=_CANONICAL_EMAIL,
)
"""The same person despite typos: names alike in any order, and enough else agreeing.

The full name is a gate (``token_set`` >= 0.9: a typo in each name, a middle name on one
side or first and last name swapped pass; John/Jane Smith, 0.83, does not). Weights
name 2, email 3 (Gmail dots and ``+tags`` ignored), phone 2, mobile 1, missing counting
0, and ``min_score`` 0.6 make the arithmetic: a name past the gate and the same email
always match ((2 * 0.9 + 3) / 8 = 0.6); without the email, a name and both phones do
(0.625) but a name and one phone do not (0.5). Tuned on the scenario table in
``tests/matching/test_strategies.py``."""

LEAD_FUZZY = MatchStrategy(
    "lead-fuzzy",
    Target.LEAD,
    fuzzy=(_NAMES, _EMAIL, _PHONE, FuzzyRule("companyname", Method.COMPANY, weight=1.0)),
    min_score=0.6,
    blocking=_FUZZY_BLOCKING,
    normalizers=_CANONICAL_EMAIL,
)
"""As :data:`CONTACT_FUZZY` for leads, with the company (weight 1) instead of the mobile: a
name and an email match, and so do a name, a phone and a company; a name with a phone or
a company alone does not."""

PRESETS: Mapping[str, MatchStrategy] = FrozenMap(
    (s.name, s)
    for s in (CONTACT_BY_EMAIL, LEAD_BY_EMAIL_AND_PAGE, LEAD_BY_EMAIL, CONTACT_FUZZY, LEAD_FUZZY)
)
"""The preset strategies by name."""
