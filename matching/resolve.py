"""Resolution: which stored record some values are, the way Dynamics decides it.

A :class:`Probe` is one match strategy asked about one set of values (a form
submission's, a lead's). A :class:`Resolution` works inside one transaction through
:class:`~matching.protocols.ResolveTransaction`: it finds the candidates the probe's
blocking keys (and claim) reach, ranks the matches (active before closed, newest first; a
merged-away record stands for its master, D3/D4), loads the winner and locks it, and
claims the key for a record about to be created, so that concurrent creators of one
person agree. The form handler, orphan linking and merge plans resolve records through it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

import attrs

from lifecycle.records import Record
from lifecycle.relations import MASTER_FIELD
from matching.errors import ConflictError, RecordNotFound
from matching.protocols import ResolveTransaction
from matching.scoring import MatchScore, matches_normalised, score_normalised
from matching.strategies import MatchStrategy
from matching.values import TYPE_NAME, Candidate, Notice, ProbableDuplicate, newest_first

__all__ = ["Match", "Probe", "RecordValues", "Resolution"]

R = TypeVar("R", bound=Record)

Match = tuple[Candidate, MatchScore]
"""A candidate the probe matches, with its score."""


class RecordValues(Mapping[str, Any]):
    """A record read as a mapping of its fields, for scoring against a submission."""

    __slots__ = ("_record",)

    def __init__(self, record: Record) -> None:
        self._record = record

    def __getitem__(self, name: str) -> Any:
        try:
            return getattr(self._record, name)
        except AttributeError:
            raise KeyError(name) from None

    def __iter__(self) -> Iterator[str]:
        return (f.name for f in attrs.fields(type(self._record)) if f.init)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class Probe:
    """One strategy asked about one set of values: the values, normalised once, and the
    store keys that find the candidates."""

    __slots__ = ("claim_key", "keys", "normalised", "strategy", "values")

    def __init__(self, strategy: MatchStrategy, values: Mapping[str, Any]) -> None:
        self.strategy = strategy
        self.values = values
        self.normalised = strategy.normalised(values)
        self.keys = strategy.blocking_keys(values)
        self.claim_key = strategy.claim_key(values)

    def score(self, other: Mapping[str, Any] | Record) -> MatchScore:
        """The values scored against ``other`` (a candidate's values or a record)."""
        return score_normalised(self.strategy, self.normalised, self.strategy.normalised(other))

    def match(self, other: Mapping[str, Any]) -> MatchScore | None:
        """The score of a match with ``other``; ``None`` when they do not match, found
        without explaining why (most candidates do not match)."""
        strategy = self.strategy
        if not strategy.passes_gates(self.normalised, other):
            return None
        theirs = strategy.normalised(other)
        if not matches_normalised(strategy, self.normalised, theirs):
            return None
        return score_normalised(strategy, self.normalised, theirs)


class Resolution:
    """Resolution inside one transaction; collects what it noticed on the way.

    ``notices`` and ``duplicates`` grow as the steps run: a merged-away match that stood
    for its master, the matches that lost to the winner (D3)."""

    def __init__(self, tx: ResolveTransaction) -> None:
        self.tx = tx
        self.notices: list[Notice] = []
        self.duplicates: list[ProbableDuplicate] = []

    def find(self, kind: type[Record], probe: Probe) -> list[Match]:
        """The records the probe matches, in the order D3 reads them."""
        return self.ranked(kind, probe, self.candidates(kind, probe))

    def candidates(self, kind: type[Record], probe: Probe) -> list[Candidate]:
        """The stored records the probe's blocking keys reach (each key at most its
        strategy's candidate limit), and the holder of its claim, newest first."""
        by_limit: dict[int | None, list[tuple[str, str]]] = {}
        for key in probe.keys:
            by_limit.setdefault(probe.strategy.candidate_limit(key[0]), []).append(key)
        found = [
            candidate
            for limit, keys in by_limit.items()
            for candidate in self.tx.candidates(
                kind, keys, limit=limit, fields=probe.strategy.source_fields
            )
        ]
        holder = self._claim_holder(kind, probe, {c.id for c in found})
        if len(by_limit) > 1 or holder:
            found = newest_first({c.id: c for c in [*found, *holder]}.values())
        return found

    def _claim_holder(self, kind: type[Record], probe: Probe, found: set[str]) -> list[Candidate]:
        """The record holding the probe's claim, when the blocking keys may not find it.

        A strategy that compares what the store does not key (canonical Gmail addresses)
        can match the record that claimed the address while no key finds it (its address
        moved to a ``+tag``): the submission would then create a record, find the claim
        taken by a match and retry for ever. Reading the holder as a candidate makes it
        match instead."""
        strategy = probe.strategy
        if probe.claim_key is None or strategy.keys_find_claim_holders:
            return []
        held = self.tx.claimed(strategy.name, probe.claim_key)
        if held is None or held[1] in found:
            return []
        return [self.candidate(record) for record in self.tx.get_many(kind, [held[1]])]

    def candidate(self, record: Record) -> Candidate:
        """``record``, loaded in this transaction, read as a candidate."""
        return Candidate(
            TYPE_NAME[type(record)],
            record.id,
            record.modifiedon,
            RecordValues(record),
            self.tx.version(record) or 0,
        )

    def ranked(self, kind: type[Record], probe: Probe, candidates: list[Candidate]) -> list[Match]:
        """The candidates the probe matches, active records before closed ones, each
        newest first (D3). A merged-away record stands for its master (D4): the master
        takes its place, with its score."""
        matched = [(c, s) for c in candidates if (s := probe.match(c.values)) is not None]
        merged = [(c, s) for c, s in matched if c.values.get("merged")]
        if merged:
            matched = [(c, s) for c, s in matched if not c.values.get("merged")]
            matched += self._masters(kind, {c.id for c, _ in matched}, merged)
            order = {c.id: i for i, c in enumerate(newest_first(c for c, _ in matched))}
            matched.sort(key=lambda pair: order[pair[0].id])
        return sorted(matched, key=lambda pair: not _is_active(pair[0]))

    def _masters(self, kind: type[Record], have: set[str], merged: list[Match]) -> list[Match]:
        """The masters of merged-away matches that are not among the matches themselves."""
        by_master: dict[str, MatchScore] = {}
        for candidate, score in merged:
            master = candidate.values.get(MASTER_FIELD)
            if master and master not in have:
                by_master.setdefault(master, score)
                self.notices.append(
                    Notice(
                        "merged",
                        f"the matching {candidate.record_type} {candidate.id} was merged into "
                        f"{master}; the master was used",
                        candidate.id,
                    )
                )
        return [
            (self.candidate(record), by_master[record.id])
            for record in self.tx.get_many(kind, list(by_master))
        ]

    def winner(self, kind: type[R], probe: Probe, matches: list[Match]) -> tuple[R, MatchScore]:
        """The first match, loaded and locked; the others are probable duplicates (D3).

        If another writer changed it since it was read (PostgreSQL: the lock waited for
        that writer), it is scored again; a record that no longer matches raises
        :class:`~matching.errors.ConflictError`, so that the caller retries on fresh data."""
        for candidate, _ in matches[1:]:
            self.duplicates.append(
                ProbableDuplicate(candidate.record_type, candidate.id, candidate.modifiedon)
            )
        winner, score = matches[0]
        try:
            record = self.tx.get(kind, winner.id, lock=True)
        except RecordNotFound:
            raise ConflictError(winner.record_type, winner.id, winner.version, None) from None
        if self.tx.version(record) != winner.version:
            score = probe.score(record)
            if not score.matched:
                raise ConflictError(
                    winner.record_type, winner.id, winner.version, self.tx.version(record)
                )
        return record, score

    def claim(self, probe: Probe, record: Record) -> None:
        """Claim the strategy's key for ``record``, about to be created, so that concurrent
        creators of the same person agree on one.

        A claim held by a record that still matches means another writer created the
        person after this resolution looked: :class:`~matching.errors.ConflictError`, and
        the caller retries on fresh data, where it finds that record. A claim held by a
        record that no longer matches (its address changed) or is gone is stale: it moves
        to ``record``."""
        strategy, key = probe.strategy, probe.claim_key
        if key is None:
            return
        holder = self.tx.claim(strategy.name, key, record)
        if holder == record.id:
            return
        kind = type(record)
        name = TYPE_NAME[kind]
        existing = self.tx.get_many(kind, [holder])
        if existing and probe.score(existing[0]).matched:
            raise ConflictError(
                name, holder, None, None, "another writer created a matching record first"
            )
        if not self.tx.reclaim(strategy.name, key, record, holder):
            raise ConflictError(name, record.id, None, None, "another writer took the claim first")


def _is_active(candidate: Candidate) -> bool:
    return bool(candidate.values.get("statecode") == 0)
