"""The Fellegi-Sunter model: how much each comparison level says for or against a match.

For each comparison level, ``m`` is the probability of that level among pairs of the same
person and ``u`` among pairs of different people; the level's weight is ``log2(m / u)``.
A pair's match weight is the prior's weight plus the weight of each of its levels (a
missing value weighs 0), and its match probability is ``2**w / (1 + 2**w)``. The prior is
the chance that two records drawn at random are one person, ``match_rate / (n - 1)``
for ``n`` records: ``u`` is measured on random pairs too, so a pair's agreements count
once, not once for being a candidate and again for the agreement itself. Until a
model is trained, each kind of comparison has default ``m`` and ``u``, set from how often
each level occurs in CRM and census-like data.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import attrs
import numpy as np
import numpy.typing as npt

from lifecycle.errors import InvalidFieldError
from matching.dedupe.arrays import Codes
from matching.dedupe.blocking import DEFAULT_RULES, BlockingRule
from matching.dedupe.comparisons import COMPARISONS, LEVELS, Comparison, Indices, Kind
from matching.dedupe.fields import Prepared

DEFAULT_M_U: Mapping[Kind, tuple[tuple[float, float], ...]] = {
    Kind.NAME: ((0.85, 0.01), (0.08, 0.01), (0.04, 0.05), (0.03, 0.93)),
    Kind.TEXT: ((0.80, 0.01), (0.10, 0.01), (0.04, 0.04), (0.06, 0.94)),
    Kind.EMAIL: ((0.70, 0.0005), (0.10, 0.0001), (0.20, 0.9994)),
    Kind.PHONE: ((0.70, 0.002), (0.30, 0.998)),
    Kind.DATE: ((0.85, 0.003), (0.12, 0.02), (0.02, 0.05), (0.01, 0.927)),
    Kind.IDENTIFIER: ((0.85, 0.0001), (0.10, 0.001), (0.05, 0.9989)),
    Kind.EXACT: ((0.85, 0.05), (0.15, 0.95)),
    Kind.PLACE: (
        (0.40, 0.00001),
        (0.15, 0.0001),
        (0.15, 0.0002),
        (0.08, 0.0005),
        (0.08, 0.001),
        (0.05, 0.02),
        (0.03, 0.05),
        (0.06, 0.92819),
    ),
}
"""Default ``(m, u)`` of each level of each kind of comparison, strongest agreement first."""

DEFAULT_M: Mapping[Kind, tuple[float, ...]] = {
    kind: tuple(m for m, _ in levels) for kind, levels in DEFAULT_M_U.items()
}

DEFAULT_U: Mapping[Kind, tuple[float, ...]] = {
    kind: tuple(u for _, u in levels) for kind, levels in DEFAULT_M_U.items()
}

DEFAULT_MATCH_RATE = 0.5
"""Default number of other records of the same person a record has, on average."""

DEFAULT_MAX_BLOCK_SIZE = 25
"""A key shared by more records than this is generic and generates no pairs alone: at a
million records a birthdate or a pair of name sounds is shared by dozens of people and
identifies none of them, and pairing it costs time and memory for no precision or recall
(``benchmarks/bench_dedupe.py`` prints the time and peak memory it gives)."""


@attrs.frozen
class TrainingReport:
    """How a model was trained: random pairs for ``u``, candidate pairs and distinct level
    patterns for ``m``, and the match rate EM settled on."""

    random_pairs: int
    candidate_pairs: int
    patterns: int
    match_rate: float


@attrs.frozen
class DedupeModel:
    """Comparisons, blocking rules and their parameters: everything that decides a match.

    ``m`` and ``u`` map each comparison's name to one probability per level (strongest
    agreement first); :attr:`match_rate` sets the prior."""

    comparisons: tuple[Comparison, ...]
    m: Mapping[str, tuple[float, ...]]
    u: Mapping[str, tuple[float, ...]]
    blocking: tuple[BlockingRule, ...] = DEFAULT_RULES
    match_rate: float = DEFAULT_MATCH_RATE
    """How many other records of the same person a record has, on average: with ``n``
    records, two drawn at random are one person with probability ``match_rate / (n - 1)``."""
    max_block_size: int = DEFAULT_MAX_BLOCK_SIZE
    term_frequencies: bool = True
    """Weigh an exact agreement on a name, email or phone by the value's own frequency."""
    training: TrainingReport | None = None
    """What :meth:`train` used; ``None`` for an untrained model (default ``m`` and ``u``)."""

    def __attrs_post_init__(self) -> None:
        for comparison in self.comparisons:
            count = len(LEVELS[comparison.kind])
            for name, table in (("m", self.m), ("u", self.u)):
                values = table.get(comparison.name)
                if values is None or len(values) != count or not all(0 < v < 1 for v in values):
                    raise InvalidFieldError(
                        f"{name}.{comparison.name}",
                        f"{count} probabilities in (0, 1), one per level",
                        values,
                    )
        if not 0 < self.match_rate < 1_000:
            raise InvalidFieldError("match_rate", "a number in (0, 1000)", self.match_rate)
        if type(self.max_block_size) is not int or self.max_block_size < 2:
            raise InvalidFieldError(
                "max_block_size", "a whole number of at least 2", self.max_block_size
            )

    @classmethod
    def default_for(cls, prepared: Prepared) -> DedupeModel:
        """The default model for data with ``prepared``'s fields: every known comparison
        whose fields the data has, with the default ``m`` and ``u``."""
        comparisons = tuple(
            comparison
            for comparison, fields in COMPARISONS.values()
            if any(f in prepared.fields for f in fields)
            and any(prepared.has(c) for c in comparison.columns)
        )
        m = {c.name: tuple(p[0] for p in DEFAULT_M_U[c.kind]) for c in comparisons}
        u = {c.name: tuple(p[1] for p in DEFAULT_M_U[c.kind]) for c in comparisons}
        return cls(comparisons, m, u)

    @property
    def trained(self) -> bool:
        """Whether ``m``, ``u`` and the match rate were estimated from data (:meth:`train`)."""
        return self.training is not None

    def train(
        self,
        data: object,
        *,
        id_column: str | None = None,
        seed: int = 0,
        labels: object = None,
    ) -> DedupeModel:
        """This model with ``u`` estimated from random pairs of ``data``'s records and
        ``m`` and the match rate by EM over its candidate pairs (see :mod:`.training`);
        unsupervised, and the same for the same data and ``seed``.

        ``labels`` (a DataFrame, or the path of a CSV file, with ``left_id``,
        ``right_id`` and a boolean ``match``; see :mod:`.labels`) replaces EM's ``m``
        with the level frequencies of the labelled matches, the default ``m`` a light
        prior. ``u`` and the match rate stay those of unsupervised training: labels are
        a chosen sample (often as many non-matches as matches, the non-matches near
        misses), so neither their share of matches nor their non-matches' agreements
        say how often records are one person or how often different people agree."""
        from matching.dedupe.engine import load

        return self.trained_on(load(data, id_column), seed=seed, labels=labels)

    def trained_on(
        self,
        prepared: Prepared,
        *,
        seed: int = 0,
        candidates: tuple[Indices, Indices, npt.NDArray[np.int8]] | None = None,
        labels: object = None,
    ) -> DedupeModel:
        """:meth:`train` on already prepared records; ``candidates`` (the pairs' left and
        right records and their :func:`comparison_levels`) replaces blocking them."""
        if labels is not None:
            from matching.dedupe.labels import labelled_matches, with_labelled_m

            matches = labelled_matches(labels, prepared.ids)
            unlabelled = self.trained_on(prepared, seed=seed, candidates=candidates)
            return with_labelled_m(unlabelled, prepared, *matches)
        from matching.dedupe.blocking import candidate_pairs
        from matching.dedupe.training import U_SAMPLE, fit_m, level_frequencies, random_pairs

        sample_left, sample_right = random_pairs(prepared.ids, U_SAMPLE, seed)
        sample = comparison_levels(self.comparisons, prepared, sample_left, sample_right)
        u = {
            c.name: tuple(
                float(v) for v in level_frequencies(sample[:, j], np.asarray(DEFAULT_U[c.kind]))
            )
            for j, c in enumerate(self.comparisons)
        }
        if candidates is None:
            pairs, _ = candidate_pairs(prepared, self.blocking, self.max_block_size)
            left, right = oriented(prepared, pairs // prepared.n, pairs % prepared.n)
            levels = comparison_levels(self.comparisons, prepared, left, right)
        else:
            left, right, levels = candidates
        if not len(left) or not self.comparisons:
            return attrs.evolve(
                self, u=u, training=TrainingReport(len(sample_left), 0, 0, self.match_rate)
            )
        n = prepared.n
        tf = frequencies(self, prepared)
        names = np.zeros(len(left))
        for j, c in enumerate(self.comparisons):
            if c.kind is Kind.NAME:
                names += level_weights(self, c, prepared, left, right, levels[:, j], tf)
        fit = fit_m(
            levels,
            names,
            [c.kind for c in self.comparisons],
            [np.asarray(DEFAULT_M[c.kind]) for c in self.comparisons],
            [np.asarray(u[c.name]) for c in self.comparisons],
            records=n,
            rate=self.match_rate,
            present=[float((sample[:, j] >= 0).mean()) for j in range(len(self.comparisons))],
        )
        m, rate = fit.m, fit.rate
        u = {c.name: tuple(float(v) for v in fit.u[j]) for j, c in enumerate(self.comparisons)}
        return attrs.evolve(
            self,
            m={c.name: tuple(float(v) for v in m[i]) for i, c in enumerate(self.comparisons)},
            u=u,
            match_rate=rate,
            training=TrainingReport(len(sample_left), len(left), fit.patterns, rate),
        )

    def prior_weight(self, others: int) -> float:
        """The match weight of two records before any comparison, when each record has
        ``others`` records it could be: ``log2(p / (1 - p))`` with ``p`` the chance two
        records drawn at random are one person."""
        p = min(self.match_rate / max(others, 1), 0.5)
        return math.log2(p / (1 - p))

    def weights(self, comparison: str) -> npt.NDArray[np.float64]:
        """Each level's weight ``log2(m / u)``, and 0 for a missing value (the last entry,
        so that level ``-1`` indexes it)."""
        m, u = np.asarray(self.m[comparison]), np.asarray(self.u[comparison])
        return np.append(np.log2(m / u), 0.0)

    def to_dict(self) -> dict[str, object]:
        """This model as plain JSON values (see :mod:`.serial` for the shape), so it can
        be kept, reviewed and versioned with a project's configuration."""
        from matching.dedupe.serial import model_to_dict

        return model_to_dict(self)

    @classmethod
    def from_dict(cls, data: object) -> DedupeModel:
        """The model :meth:`to_dict` gave; unknown or missing keys and bad values raise
        one error listing every problem, and nothing is built."""
        from matching.dedupe.serial import model_from_dict

        return model_from_dict(data)

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text."""
        from matching.dedupe.serial import model_to_json

        return model_to_json(self, indent)

    @classmethod
    def from_json(cls, text: str | bytes) -> DedupeModel:
        """The model :meth:`to_json` gave; malformed JSON raises an
        :class:`~lifecycle.errors.InvalidFieldError` naming the line."""
        from matching.dedupe.serial import model_from_json

        return model_from_json(text)

    def save(self, path: object) -> None:
        """Write this model to the JSON file ``path`` (a ``str`` or path)."""
        from matching.dedupe.serial import save_model

        save_model(self, path)

    @classmethod
    def load(cls, path: object) -> DedupeModel:
        """The model :meth:`save` wrote to ``path``."""
        from matching.dedupe.serial import load_model

        return load_model(path)


CHUNK = 500_000
"""Pairs compared at a time: the similarities' working memory stays bounded."""

TF_PRIOR = 1_000.0
"""Records the average agreement counts for in a value's term frequency."""

Frequencies = Mapping[str, npt.NDArray[np.float64]]
"""Per comparison that weighs by term frequency: how many records hold each value, by
the value's code (:meth:`Prepared.coded` of the comparison's columns)."""


def oriented(prepared: Prepared, left: Indices, right: Indices) -> tuple[Indices, Indices]:
    """The pairs with the record of the smaller id on the left: every pair is compared
    the same way whatever the input's order."""
    swap = prepared.rank[left] > prepared.rank[right]
    return np.where(swap, right, left), np.where(swap, left, right)


def frequencies(model: DedupeModel, prepared: Prepared) -> Frequencies:
    """The value counts ``model``'s term-frequency comparisons use on ``prepared``: a
    person's two phones count once each."""
    from matching.dedupe.training import TF_KINDS

    if not model.term_frequencies:
        return {}
    counts = {}
    for c in model.comparisons:
        if c.kind in TF_KINDS:
            codes, uniques = prepared.coded(*c.columns)
            held = np.concatenate(codes if c.kind is Kind.PHONE else codes[:1])
            counts[c.name] = np.bincount(held[held >= 0], minlength=len(uniques)).astype(float)
    return counts


def _agreed(comparison: Comparison, prepared: Prepared, left: Indices, right: Indices) -> Codes:
    """The code of the value each pair agreed on (the left record's; for phones, the
    phone they share)."""
    codes, _ = prepared.coded(*comparison.columns)
    first = codes[0][left]
    if comparison.kind is not Kind.PHONE:
        return first
    shared = np.zeros(len(left), dtype=bool)
    for column in codes:
        shared |= (first >= 0) & (first == column[right])
    return np.where(shared, first, codes[1][left])


def level_weights(
    model: DedupeModel,
    comparison: Comparison,
    prepared: Prepared,
    left: Indices,
    right: Indices,
    level: npt.NDArray[np.int8],
    tf: Frequencies,
) -> npt.NDArray[np.float64]:
    """The weight of each pair's ``level`` on ``comparison``: ``log2(m / u)``, with the
    agreed value's own frequency in place of ``u`` at an exact level weighed by term
    frequency."""
    weight = model.weights(comparison.name)[level]
    counts = tf.get(comparison.name)
    if counts is not None:
        exact = np.flatnonzero(level == 0)
        if len(exact):
            # A value's share of the records, with the average agreement counting for
            # TF_PRIOR records (a small table's counts say little about a name), and
            # never below the average: a common value is weaker evidence than the
            # average agreement, a rare one is not made stronger.
            average = model.u[comparison.name][0]
            seen = counts[_agreed(comparison, prepared, left[exact], right[exact])]
            share = np.maximum((seen + TF_PRIOR * average) / (prepared.n + TF_PRIOR), average)
            weight[exact] = np.log2(model.m[comparison.name][0] / share)
    return weight


def comparison_levels(
    comparisons: tuple[Comparison, ...],
    prepared: Prepared,
    left: Indices,
    right: Indices,
    done: Callable[[int], None] | None = None,
) -> npt.NDArray[np.int8]:
    """Each pair's level on each comparison: one row per pair, one column per comparison,
    computed :data:`CHUNK` pairs at a time (``done`` is told how many pairs are done
    after each)."""
    levels = np.empty((len(left), len(comparisons)), dtype=np.int8)
    for start in range(0, len(left), CHUNK):
        chunk = slice(start, start + CHUNK)
        memo: dict[tuple[str, str], npt.NDArray[np.int8]] = {}
        for j, comparison in enumerate(comparisons):
            levels[chunk, j] = comparison.levels(prepared, left[chunk], right[chunk], memo)
        if done is not None:
            done(min(start + CHUNK, len(left)))
    return levels


def weigh(
    model: DedupeModel,
    prepared: Prepared,
    left: Indices,
    right: Indices,
    levels: npt.NDArray[np.int8],
    tf: Frequencies,
) -> npt.NDArray[np.float64]:
    """Each pair's match weight from its ``levels`` (as :func:`comparison_levels` gives)."""
    total = np.full(len(left), model.prior_weight(prepared.n - 1))
    for j, comparison in enumerate(model.comparisons):
        total += level_weights(model, comparison, prepared, left, right, levels[:, j], tf)
    return total


def score(
    model: DedupeModel,
    prepared: Prepared,
    left: Indices,
    right: Indices,
    tf: Frequencies,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int8]]:
    """Each pair's match weight, and its levels (one column per comparison)."""
    levels = comparison_levels(model.comparisons, prepared, left, right)
    return weigh(model, prepared, left, right, levels, tf), levels


def probability(weight: npt.NDArray[np.float64] | float) -> npt.NDArray[np.float64]:
    """The match probability of a match weight."""
    return np.asarray(1.0 / (1.0 + np.exp2(-np.asarray(weight, dtype=np.float64))))


def weight_of(probability_: float) -> float:
    """The match weight of a match probability."""
    return math.log2(probability_ / (1 - probability_))
