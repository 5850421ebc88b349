"""Why a row was not imported, and the errors file that gives rejected rows back to be fixed.

A :class:`RowError` names the row's line (or 1-based row number), the column at fault and
the reason, and carries the row as it was read, under its own column names, so that
:func:`write_rejections` can write a CSV file of the rejected rows: ``line``, ``field`` and
``reason`` first, then the row's own columns. Fixed in a spreadsheet, that file imports
again as it is (the three first columns are ignored).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from matching.io.files import written

__all__ = ["ERRORS_FILE_COLUMNS", "RowError", "rejected_rows", "write_rejections"]

ERRORS_FILE_COLUMNS = ("line", "field", "reason")
"""The columns an errors file starts with, before each rejected row's own."""


@attrs.frozen
class RowError:
    """Why a row was not imported: its line (or 1-based row number) and the column at fault.

    ``override`` names the import's keyword argument that would accept the row anyway
    (``allow_tombstoned``), or, with ``override_value``, the setting that would keep the
    earlier of two repeated rows and skip this one (``on_repeated="skip"``), so that each
    interface can name it as its caller spells it: the keyword in Python, the option on
    the command line (:meth:`message`). ``row`` is the
    row as it was read, under its own column names (``None`` when the line could not be
    read as a row at all); ``repeats`` is the line of the earlier row whose identity this
    row repeats. Neither takes part in comparing two errors.
    """

    line: int
    field: str | None
    reason: str
    override: str | None = attrs.field(default=None, kw_only=True)
    override_value: str | None = attrs.field(default=None, kw_only=True)
    row: Mapping[Any, object] | None = attrs.field(default=None, kw_only=True, eq=False, repr=False)
    repeats: int | None = attrs.field(default=None, kw_only=True, eq=False)

    def message(self, *, command_line: bool = False) -> str:
        """The reason, and the option that would take the row: ``allow_tombstoned=True``
        (``--allow-tombstoned`` with ``command_line``) to accept it anyway,
        ``on_repeated='skip'`` (``--on-repeated skip``) to skip it."""
        if self.override is None:
            return self.reason
        value = self.override_value
        if command_line:
            option = f"--{self.override.replace('_', '-')}"
            spelled = option if value is None else f"{option} {value}"
        else:
            spelled = f"{self.override}={'True' if value is None else repr(value)}"
        effect = "accept it anyway" if value is None else "keep the earlier row and skip this one"
        return f"{self.reason} Import it with {spelled} to {effect}."

    def describe(self, *, command_line: bool = False) -> str:
        """The line, the column and :meth:`message`."""
        where = f"line {self.line}" + (f", {self.field}" if self.field else "")
        return f"{where}: {self.message(command_line=command_line)}"

    def with_row(self, row: Mapping[Any, object]) -> RowError:
        """This error, carrying ``row`` (unless it carries one already)."""
        return self if self.row is not None else attrs.evolve(self, row=row)

    def __str__(self) -> str:
        return self.describe()


def rejected_rows(rejected: Iterable[RowError]) -> list[list[RowError]]:
    """``rejected`` grouped by row (by line, in order): every problem of each row."""
    rows: dict[int, list[RowError]] = {}
    for error in rejected:
        rows.setdefault(error.line, []).append(error)
    return [rows[line] for line in sorted(rows)]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def write_rejections(
    rejected: Sequence[RowError], path: str | os.PathLike[str], *, command_line: bool = False
) -> int:
    """Write every rejected row to a CSV file; returns how many rows it holds.

    One line per row: ``line``, ``field`` (the columns at fault, ``;``-separated),
    ``reason`` (every problem's message, naming ``--allow-tombstoned`` rather than
    ``allow_tombstoned=True`` with ``command_line``), then the row's own columns, in the
    order the file had them. The file is written whole (``-``: standard output); an
    ``OSError`` is the caller's to report."""
    grouped = rejected_rows(rejected)
    columns: dict[str, None] = {}
    for problems in grouped:
        row = next((e.row for e in problems if e.row is not None), None)
        for column in row or ():
            if str(column) not in ERRORS_FILE_COLUMNS:
                columns.setdefault(str(column), None)
    with written(path, newline="") as file:
        writer = csv.writer(file)
        writer.writerow((*ERRORS_FILE_COLUMNS, *columns))
        for problems in grouped:
            row = next((e.row for e in problems if e.row is not None), None) or {}
            values = {str(column): value for column, value in row.items()}
            fields = "; ".join(dict.fromkeys(e.field for e in problems if e.field))
            reasons = " ".join(e.message(command_line=command_line) for e in problems)
            cells = [_cell(values.get(column)) for column in columns]
            writer.writerow((problems[0].line, fields, reasons, *cells))
    return len(grouped)
