"""How alike two records are under a match strategy: THE per-pair scoring path.

:func:`similarity` compares two normalised values; :func:`score_pair` scores two
records field by field and explains the verdict in a :class:`MatchScore`. A form
submission is scored here, and batch dedupe scores the same pair the same way: it
calls these functions, or uses ``recordlinkage``'s ``Compare.string`` whose results
a test proves identical (the string formulas below are recordlinkage 0.16's, on
jellyfish). Nothing here imports pandas.

Missing values (``None`` or ``""``) never match: their similarity is ``None``, an
exact field that is missing fails (unless the strategy declares "missing" a shared
value for it), and in the weighted score a missing comparison counts as 0, as
recordlinkage's default ``missing_value=0.0`` does, so agreement on the fields
that are present never stands in for the fields that are not.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

import attrs
import jellyfish

from lifecycle.eligibility import FrozenMap
from lifecycle.errors import FieldTypeError

if TYPE_CHECKING:
    from matching.keys import Values


class Method(enum.Enum):
    """How a fuzzy rule compares its field's normalised values."""

    EXACT = "exact"
    """1.0 when equal, else 0.0."""
    JARO_WINKLER = "jaro_winkler"
    """Jaro-Winkler similarity (recordlinkage ``jarowinkler``)."""
    JARO = "jaro"
    """Jaro similarity (recordlinkage ``jaro``)."""
    LEVENSHTEIN = "levenshtein"
    """``1 - distance / longer length`` (recordlinkage ``levenshtein``)."""
    DAMERAU_LEVENSHTEIN = "damerau_levenshtein"
    """As Levenshtein, transpositions costing one edit (recordlinkage ``damerau_levenshtein``)."""
    PHONE = "phone"
    """E.164 numbers (``normalize.phone``) equal: 1.0, else 0.0."""
    COMPANY = "company"
    """Jaro-Winkler on company keys (``normalize.company``: legal suffixes and noise dropped)."""
    TOKEN_SET = "token_set"
    """Name tokens in any order: each token paired with its most similar token on the
    other side (Jaro-Winkler), averaged, both directions averaged; a first and last
    name written the other way round score 1.0."""

    @property
    def string_method(self) -> str | None:
        """The ``recordlinkage`` ``Compare.string(method=...)`` that computes the same
        similarity on normalised columns; ``None`` when there is none."""
        return _RECORDLINKAGE.get(self)


_RECORDLINKAGE: Mapping[Method, str] = FrozenMap(
    {
        Method.JARO_WINKLER: "jarowinkler",
        Method.JARO: "jaro",
        Method.LEVENSHTEIN: "levenshtein",
        Method.DAMERAU_LEVENSHTEIN: "damerau_levenshtein",
        Method.COMPANY: "jarowinkler",
    }
)

_TOKENS = re.compile(r"[^\s|]+")


def _edit_similarity(distance: int, a: str, b: str) -> float:
    # recordlinkage: 1 - dist / np.max([len(a), len(b)])
    return 1 - distance / max(len(a), len(b))


def _token_set(a: str, b: str) -> float | None:
    ta, tb = sorted(_TOKENS.findall(a)), sorted(_TOKENS.findall(b))
    if not ta or not tb:
        return None
    if ta == tb:
        return 1.0
    # Jaro-Winkler is symmetric, so one matrix serves both directions.
    pairs = [[jellyfish.jaro_winkler_similarity(t, o) for o in tb] for t in ta]
    forth = math.fsum(max(row) for row in pairs) / len(ta)
    back = math.fsum(max(column) for column in zip(*pairs, strict=True)) / len(tb)
    return (forth + back) / 2


def similarity(method: Method, a: str | None, b: str | None) -> float | None:
    """How alike two normalised values are under ``method``, in [0, 1].

    ``None`` when either side is missing (``None`` or empty, or without a name token
    for ``TOKEN_SET``): missing never matches and never counts as agreement.
    """
    if not isinstance(method, Method):
        raise FieldTypeError("method", "a Method", method)
    for side, value in (("a", a), ("b", b)):
        if value is not None and not isinstance(value, str):
            raise FieldTypeError(side, "a normalised str or None", value)
    if not a or not b:
        return None
    if method is Method.EXACT or method is Method.PHONE:
        return 1.0 if a == b else 0.0
    if method is Method.JARO_WINKLER or method is Method.COMPANY:
        return jellyfish.jaro_winkler_similarity(a, b)
    if method is Method.JARO:
        return jellyfish.jaro_similarity(a, b)
    if method is Method.LEVENSHTEIN:
        return _edit_similarity(jellyfish.levenshtein_distance(a, b), a, b)
    if method is Method.DAMERAU_LEVENSHTEIN:
        return _edit_similarity(jellyfish.damerau_levenshtein_distance(a, b), a, b)
    return _token_set(a, b)


class ScoringRule(Protocol):
    """What scoring reads of a fuzzy rule (:class:`matching.strategies.FuzzyRule` is one):
    the field it compares, how, the similarity it must reach (0: none) and its weight."""

    @property
    def field(self) -> str: ...
    @property
    def method(self) -> Method: ...
    @property
    def threshold(self) -> float: ...
    @property
    def weight(self) -> float: ...


class ScoringStrategy(Protocol):
    """What scoring reads of a strategy (:class:`matching.strategies.MatchStrategy` is one).

    Scoring defines the shape it needs rather than importing strategies, which build on
    scoring: the dependency runs one way (an import-linter contract keeps it so).
    """

    @property
    def fields(self) -> Sequence[str]:
        """Fields that must be equal after normalisation."""
        ...

    @property
    def fuzzy(self) -> Sequence[ScoringRule]:
        """Fuzzy rules, each adding ``weight * similarity`` to the score."""
        ...

    @property
    def min_score(self) -> float:
        """The score a match must reach."""
        ...

    @property
    def shared_missing(self) -> Collection[str]:
        """Exact fields whose value missing on both sides counts as equal."""
        ...

    def normalised(self, values: Values) -> Mapping[str, str | None]:
        """Each compared field's normalised value."""
        ...


@attrs.frozen
class FieldScore:
    """One field's comparison: the normalised values, their similarity and whether it passed.

    An exact field (``weight`` 0) gates the match: it must pass. A fuzzy rule adds
    ``weight * similarity`` to the score, and gates too when its ``threshold`` is above 0.
    """

    field: str
    method: Method
    a: str | None
    b: str | None
    similarity: float | None
    """``None`` when a side is missing."""
    threshold: float
    passed: bool
    """Both sides present (or a shared missing value) and ``similarity >= threshold``."""
    weight: float = 0.0
    """Its weight in the score; 0 for an exact field, which gates rather than scores."""

    @property
    def required(self) -> bool:
        """Whether the pair can match only if this comparison passed."""
        return self.weight == 0 or self.threshold > 0


@attrs.frozen
class MatchScore:
    """Whether two records match under a strategy, how well, and why."""

    matched: bool
    score: float
    """The weighted mean of the fuzzy rules' similarities (missing counts as 0); for a
    strategy of exact fields only, 1.0 when they all agree, else 0.0."""
    fields: tuple[FieldScore, ...]
    reasons: tuple[str, ...]

    def __bool__(self) -> bool:
        return self.matched

    @property
    def similarities(self) -> Mapping[str, float | None]:
        """Each compared field's similarity (``None`` when missing), in strategy order."""
        return FrozenMap((f.field, f.similarity) for f in self.fields)

    def explain(self) -> str:
        """One line: matched or not, and every reason."""
        verdict = "match" if self.matched else "no match"
        return f"{verdict} ({'; '.join(self.reasons)})"


def _number(value: float) -> str:
    return f"{value:.3f}"


def _missing(a: str | None, b: str | None) -> str:
    return "both sides" if not a and not b else "one side"


def _rule_reason(score: FieldScore) -> str:
    name = score.method.value
    if score.similarity is None:
        counts = "fails its threshold" if score.threshold > 0 else "counts as 0"
        return f"{score.field}: missing on {_missing(score.a, score.b)}, {counts}"
    text = f"{score.field}: {name} {_number(score.similarity)}"
    if score.threshold > 0:
        sign = ">=" if score.passed else "<"
        text += f" {sign} threshold {_number(score.threshold)}"
    return text


def compared(
    method: Method, threshold: float, a: str | None, b: str | None, *, shared: bool = False
) -> tuple[float | None, bool]:
    """One comparison: the similarity, and whether it passed (present on both sides and
    reaching ``threshold``; for an exact field that ``shared``, also missing on both).
    The one definition of a passing comparison, for scores and for the gates a search
    turns candidates away at (:meth:`matching.strategies.MatchStrategy.passes_gates`)."""
    if shared and not a and not b:
        return 1.0, True
    value = similarity(method, a, b)
    return value, value is not None and value >= threshold


def _compare(
    strategy: ScoringStrategy, a: Mapping[str, str | None], b: Mapping[str, str | None]
) -> tuple[list[tuple[str | None, str | None, float | None, bool]], float, bool]:
    """The numbers behind a verdict: per exact field, then per fuzzy rule, ``(a, b,
    similarity, passed)``; the score; whether the pair matched. Both
    :func:`score_normalised` and :func:`matches_normalised` decide here."""
    results: list[tuple[str | None, str | None, float | None, bool]] = []
    shared = strategy.shared_missing
    for field in strategy.fields:
        va, vb = a.get(field), b.get(field)
        results.append((va, vb, *compared(Method.EXACT, 1.0, va, vb, shared=field in shared)))
    exact_ok = all(r[3] for r in results)
    rules_ok = True
    weighted: list[float] = []
    for rule in strategy.fuzzy:
        va, vb = a.get(rule.field), b.get(rule.field)
        value, passed = compared(rule.method, rule.threshold, va, vb)
        results.append((va, vb, value, passed))
        weighted.append(rule.weight * (value or 0.0))
        if not passed and rule.threshold > 0:
            rules_ok = False
    if strategy.fuzzy:
        score = math.fsum(weighted) / math.fsum(r.weight for r in strategy.fuzzy)
    else:
        score = 1.0 if exact_ok else 0.0
    return results, score, exact_ok and rules_ok and score >= strategy.min_score


def matches_normalised(
    strategy: ScoringStrategy, a: Mapping[str, str | None], b: Mapping[str, str | None]
) -> bool:
    """``score_normalised(strategy, a, b).matched``, without building its explanation:
    what a search through many candidates asks of each."""
    return _compare(strategy, a, b)[2]


def score_normalised(
    strategy: ScoringStrategy, a: Mapping[str, str | None], b: Mapping[str, str | None]
) -> MatchScore:
    """Score two records already normalised by ``strategy.normalised``.

    Batch dedupe normalises each record once and scores its pairs here; a form
    submission goes through :func:`score_pair`, which normalises and calls this.
    """
    compared, score, matched = _compare(strategy, a, b)
    fields: list[FieldScore] = []
    reasons: list[str] = []
    exact = len(strategy.fields)
    shared = strategy.shared_missing
    for field, (va, vb, value, passed) in zip(strategy.fields, compared[:exact], strict=True):
        both_missing = not va and not vb and field in shared
        fields.append(FieldScore(field, Method.EXACT, va, vb, value, 1.0, passed))
        if both_missing:
            reasons.append(f"{field}: missing on both sides, a shared value for this strategy")
        elif value is None:
            reasons.append(f"{field}: missing on {_missing(va, vb)}, so it cannot match")
        else:
            reasons.append(f"{field}: {'equal' if passed else 'different'}")
    for rule, (va, vb, value, passed) in zip(strategy.fuzzy, compared[exact:], strict=True):
        compared_rule = FieldScore(
            rule.field, rule.method, va, vb, value, rule.threshold, passed, rule.weight
        )
        fields.append(compared_rule)
        reasons.append(_rule_reason(compared_rule))
    if strategy.fuzzy:
        sign = ">=" if score >= strategy.min_score else "<"
        reasons.append(f"score {_number(score)} {sign} min_score {_number(strategy.min_score)}")
    return MatchScore(matched, score, tuple(fields), tuple(reasons))


def score_pair(strategy: ScoringStrategy, a: Values, b: Values) -> MatchScore:
    """Score two records (mappings of field values, or lifecycle records) under ``strategy``.

    Matched iff every exact field is present on both sides and equal after
    normalisation, every fuzzy rule with a threshold reaches it, and the weighted
    score reaches ``strategy.min_score``.
    """
    return score_normalised(strategy, strategy.normalised(a), strategy.normalised(b))
