"""What an import read, wrote and refused, and its summary for people."""

from __future__ import annotations

import attrs

from matching.io.display_names import LOOKUP
from matching.io.rejections import RowError

__all__ = ["ImportReport"]


def _setting(name: str, value: str, command_line: bool) -> str:
    return f"--{name.replace('_', '-')} {value}" if command_line else f"{name}={value!r}"


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


@attrs.frozen
class ImportReport:
    """What an import read, wrote and refused.

    ``rows == inserted + updated + skipped + rejected_rows``. ``skipped`` rows are rows
    whose id was already stored and were left as stored (``on_existing="skip"``, or
    identical to the stored record under ``"update"``), and rows that repeated an earlier
    row's identity under ``on_repeated="skip"`` (``repeated``). Of the rows whose id was
    already stored, ``differed`` differed from the stored record and ``identical`` did not
    (under ``"error"`` they are rejected). ``rejected`` lists every problem of every bad
    row, tombstoned emails (D14) and repeated identities included, each carrying the row as
    read.

    ``ignored_columns`` lists every column not imported, in file order; of those,
    ``unresolved_columns`` meant nothing leadflow knows, and ``ignored_reasons`` says why
    each of the others was left out. ``renamed_columns`` lists the columns read under
    another name than the field's, with the field and how it was recognised;
    ``delimiter`` is a CSV file's delimiter.
    """

    kind: str
    source: str
    rows: int
    inserted: int
    updated: int
    skipped: int
    rejected: tuple[RowError, ...]
    batches: int
    ignored_columns: tuple[str, ...]
    unresolved_columns: tuple[str, ...] = ()
    ignored_reasons: tuple[tuple[str, str], ...] = ()
    renamed_columns: tuple[tuple[str, str, str], ...] = ()
    on_existing: str = "skip"
    differed: int = 0
    identical: int = 0
    repeated: int = 0
    delimiter: str | None = None

    @property
    def ok(self) -> bool:
        """Whether every row was imported or skipped, none rejected."""
        return not self.rejected

    @property
    def rejected_rows(self) -> int:
        """How many rows were rejected (a row may have several problems)."""
        return len({e.line for e in self.rejected})

    @property
    def already_stored(self) -> int:
        """How many rows had an id already stored (differed + identical)."""
        return self.differed + self.identical

    def summary(self, *, command_line: bool = False) -> str:
        """What happened, for people: the counts, what ``on_existing`` did with rows
        already stored, repeated rows, and the columns read by another name, ignored or
        not resolved. Options are named as the caller spells them (``--on-existing
        update`` with ``command_line``)."""
        plural = "" if self.batches == 1 else "es"
        parts = [
            f"Imported {self.kind} rows from {self.source}: {self.rows:,} read, "
            f"{self.inserted:,} inserted, {self.updated:,} updated, {self.skipped:,} skipped, "
            f"{self.rejected_rows:,} rejected; {self.batches:,} batch{plural} committed."
        ]
        parts.extend(self._existing(command_line))
        if self.repeated:
            setting = _setting("on_repeated", "skip", command_line)
            parts.append(
                f"{_plural(self.repeated, 'row repeated', 'rows repeated')} an earlier row's "
                f"identity and {'was' if self.repeated == 1 else 'were'} skipped ({setting})."
            )
        parts.extend(self._columns())
        return " ".join(parts)

    def _existing(self, command_line: bool) -> list[str]:
        stored = self.already_stored
        if not stored:
            return []
        rows = _plural(stored, "row was", "rows were")
        differed = _plural(self.differed, "differed", "differed")
        identical = _plural(self.identical, "was identical", "were identical")
        if self.on_existing == "update":
            return [
                f"{rows} already stored: {differed} from the stored record and "
                f"{'was' if self.differed == 1 else 'were'} updated, {identical} and "
                f"{'was' if self.identical == 1 else 'were'} left alone "
                f"({_setting('on_existing', 'update', command_line)})."
            ]
        if self.on_existing == "error":
            return [
                f"{rows} already stored and rejected "
                f"({_setting('on_existing', 'error', command_line)})."
            ]
        text = (
            f"{rows} already stored and left as stored "
            f"({_setting('on_existing', 'skip', command_line)}): "
            f"{differed} from the stored record, {identical}."
        )
        if self.differed:
            text += (
                f" {_setting('on_existing', 'update', command_line)} writes the rows that differ."
            )
        return [text]

    def _columns(self) -> list[str]:
        parts = []
        if self.delimiter not in (None, ","):
            name = {";": "semicolon", "\t": "tab"}.get(str(self.delimiter), repr(self.delimiter))
            parts.append(f"Columns separated by {name}s.")
        if self.renamed_columns:
            shown = ", ".join(f"{column!r} as {field}" for column, field, _ in self.renamed_columns)
            parts.append(f"Columns read by name: {shown}.")
        reasons = dict(self.ignored_reasons)
        lookups = [c for c in self.ignored_columns if reasons.get(c) == LOOKUP]
        unresolved = set(self.unresolved_columns)
        others = [c for c in self.ignored_columns if c not in unresolved and c not in lookups]
        if others:
            parts.append(f"Ignored columns: {', '.join(others)}.")
        if lookups:
            parts.append(
                f"Ignored lookups (Dynamics exports them by name, not id): {', '.join(lookups)}."
            )
        if self.unresolved_columns:
            parts.append(
                f"Columns not resolved (not imported): {', '.join(self.unresolved_columns)}."
            )
        return parts
