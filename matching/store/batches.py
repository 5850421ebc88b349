"""Writing an import's parsed records, a batch per transaction, and counting what each row did.

A batch is stored whole or not at all. A row whose id is already stored meets the import's
``on_existing``: ``"skip"`` leaves the stored record alone, ``"update"`` overwrites it
when it differs (bumping its version, keeping its consents and history), ``"error"``
rejects the row; either way the row is counted as differing from the stored record or
identical to it. A row carrying the email of a deleted record is rejected unless the
import allows it (D14).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping

import attrs

from lifecycle import Record
from matching.errors import TombstonedError
from matching.io.rejections import RowError
from matching.store import codec
from matching.store.rows import RowParser
from matching.store.store import OnExisting, Store, Transaction

__all__ = ["BatchWriter", "Progress"]

Progress = Callable[[int], object]
"""Called after each committed batch with the number of rows read so far."""


class BatchWriter:
    """Collects parsed records and writes them, a batch per transaction; counts what each
    row did."""

    def __init__(
        self,
        store: Store,
        parser: RowParser,
        batch_size: int,
        on_existing: OnExisting,
        allow_tombstoned: bool,
        progress: Progress | None,
    ) -> None:
        self.store, self.parser = store, parser
        self.batch_size, self.on_existing = batch_size, on_existing
        self.allow_tombstoned, self.progress = allow_tombstoned, progress
        self.pending: dict[str, tuple[int, Record]] = {}
        self.originals: dict[int, Mapping[Hashable, object]] = {}
        self.rows = self.inserted = self.updated = self.skipped = self.batches = 0
        self.differed = self.identical = 0
        self.rejected: list[RowError] = []

    def add(
        self, line: int, record: Record, original: Mapping[Hashable, object]
    ) -> RowError | None:
        """Queue ``record``, read from ``line`` as ``original``; a record whose id an
        earlier row of the batch has is refused (the rows' identities normally catch it
        first)."""
        earlier = self.pending.get(record.id)
        if earlier is not None:
            reason = f"repeats the {self.parser.pk} of line {earlier[0]}."
            return RowError(line, self.parser.pk, reason, repeats=earlier[0], row=original)
        self.pending[record.id] = (line, record)
        self.originals[line] = original
        if len(self.pending) >= self.batch_size:
            self.flush()
        return None

    def flush(self) -> None:
        """Write the queued records in one transaction."""
        if not self.pending:
            return
        batch = list(self.pending.values())
        rejected: list[RowError] = []
        with self.store.transaction() as tx:
            records = [record for _, record in batch]
            if not self.allow_tombstoned:
                refused = self._resurrections(tx, batch, rejected)
                records = [r for r in records if r.id not in refused]
            counts = self._write(tx, batch, records, rejected)
        self.pending.clear()
        rejected = [error.with_row(self.originals[error.line]) for error in rejected]
        self.originals.clear()
        inserted, updated, skipped, differed, identical = counts
        self.inserted += inserted
        self.updated += updated
        self.skipped += skipped
        self.differed += differed
        self.identical += identical
        self.rejected.extend(rejected)
        self.batches += 1
        if self.progress is not None:
            self.progress(self.rows)

    def _resurrections(
        self, tx: Transaction, batch: list[tuple[int, Record]], rejected: list[RowError]
    ) -> set[str]:
        """Ids of the rows that would recreate a deleted record (D14), each reported.

        A stored record whose email a deleted one shared is not a resurrection: it is
        left to ``on_existing``.
        """
        stones = tx.tombstoned(record for _, record in batch)
        refused = set()
        for line, record in batch:
            stone = stones.get(record.id)
            if stone is None or tx.exists(self.parser.kind, record.id):
                continue
            refusal = TombstonedError(str(record.emailaddress1), stone.record_type, stone.record_id)
            rejected.append(
                RowError(line, "emailaddress1", str(refusal), override="allow_tombstoned")
            )
            refused.add(record.id)
        return refused

    def _write(
        self,
        tx: Transaction,
        batch: list[tuple[int, Record]],
        records: list[Record],
        rejected: list[RowError],
    ) -> tuple[int, int, int, int, int]:
        """Write ``records`` under ``on_existing``; returns inserted, updated, skipped,
        differed and identical. Tombstones were checked row by row, so ``add_many`` need
        not check them again."""
        kind, pk = self.parser.kind, self.parser.pk
        if self.on_existing == "skip":
            written = tx.add_many(records, on_existing="skip", allow_tombstoned=True)
            ids = {record.id for record in written}
            kept = [record for record in records if record.id not in ids]
            differed = self._differing(tx, kept)
            return len(written), 0, len(kept), differed, len(kept) - differed
        lines = {record.id: line for line, record in batch}
        stored = {r.id: r for r in tx.get_many(kind, [r.id for r in records])}
        fresh: list[Record] = []
        changed: list[Record] = []
        differed = identical = 0
        for record in records:
            old = stored.get(record.id)
            if old is None:
                fresh.append(record)
                continue
            same = codec.record_row(old, 0) == codec.record_row(record, 0)
            differed += not same
            identical += same
            if self.on_existing == "error":
                reason = f"a {self.parser.name} with this id is already stored."
                rejected.append(RowError(lines[record.id], pk, reason))
            elif not same:
                changed.append(attrs.evolve(record, consents=old.consents))
        if fresh or changed:
            tx.add_many(fresh + changed, on_existing="update", allow_tombstoned=True)
        return (
            len(fresh),
            len(changed),
            identical if self.on_existing == "update" else 0,
            differed,
            identical,
        )

    def _differing(self, tx: Transaction, kept: list[Record]) -> int:
        """How many of the records left as stored differ from the stored ones."""
        if not kept:
            return 0
        stored = {r.id: r for r in tx.get_many(self.parser.kind, [r.id for r in kept])}
        return sum(
            record.id in stored
            and codec.record_row(stored[record.id], 0) != codec.record_row(record, 0)
            for record in kept
        )
