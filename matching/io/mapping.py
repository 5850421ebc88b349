"""A user's mapping of a file's columns to leadflow's, for headers nothing else resolves.

A mapping file is CSV, two columns per line, ``column,field`` (a first line
``column,field`` is a header and skipped; ``;`` and tab work too), or a JSON object
``{"column": "field"}`` (a ``.json`` file). ``field`` is a column of the record type
imported, by logical name in any case (``emailaddress1``, ``statecode``, ``leadid``); an
empty field (``null`` in JSON) leaves the column out. A field the record type does not
have is refused with every such entry named, before anything is imported.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from lifecycle.errors import Problem, type_named
from lifecycle.records import TYPE_NAME, Record
from matching.errors import ColumnMappingError
from matching.io import targets
from matching.io.delimited import sniff_delimiter

__all__ = ["MappingSource", "load_mapping"]

MappingSource = Mapping[str, str | None] | str | os.PathLike[str]
"""A mapping as given: a dict of column to field (or ``None``), or a file's path."""


def load_mapping(source: MappingSource, kind: type[Record]) -> Mapping[str, str | None]:
    """The mapping ``source`` gives, each field checked against ``kind``'s columns.

    A :class:`~matching.errors.ColumnMappingError` names every entry whose field ``kind``
    does not have, and a file that cannot be read as CSV or a JSON object."""
    if isinstance(source, Mapping):
        return _checked("the mapping", list(source.items()), kind)
    path = Path(source)
    name = os.fspath(source)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise _unreadable(name, "UTF-8 text", "text in another encoding") from None
    except OSError as err:
        raise _unreadable(name, "a file that can be read", err.strerror or str(err)) from None
    if path.suffix.lower() == ".json":
        return _checked(name, _json_entries(name, text), kind)
    return _checked(name, _csv_entries(name, text), kind)


def _unreadable(path: str, expected: str, shown: str) -> ColumnMappingError:
    return ColumnMappingError(path, [Problem("mapping", expected, None, shown=shown)])


def _json_entries(path: str, text: str) -> list[tuple[object, object]]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise _unreadable(path, "a JSON object of column: field", f"not JSON: {err.msg}") from None
    if not isinstance(value, dict):
        raise _unreadable(path, "a JSON object of column: field", type_named(value))
    return list(value.items())


def _csv_entries(path: str, text: str) -> list[tuple[object, object]]:
    delimiter = sniff_delimiter(text[:65_536])
    entries: list[tuple[object, object]] = []
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for fields in reader:
        if not fields or not any(field.strip() for field in fields):
            continue
        if len(fields) == 1:
            fields = [fields[0], ""]
        if len(fields) != 2:
            where = f"line {reader.line_num}"
            problems.append(Problem(where, "two fields: column,field", fields))
            continue
        if not entries and [f.strip().casefold() for f in fields] == ["column", "field"]:
            continue
        entries.append((fields[0], fields[1]))
    if problems:
        raise ColumnMappingError(path, problems)
    return entries


def _checked(
    path: str, entries: list[tuple[object, object]], kind: type[Record]
) -> Mapping[str, str | None]:
    known = {column.casefold(): column for column in targets.columns(kind)}
    expected = f"a {TYPE_NAME[kind]} column, or nothing to leave the column out"
    mapping: dict[str, str | None] = {}
    problems: list[Problem] = []
    for column, field in entries:
        if not isinstance(column, str) or not column.strip():
            problems.append(Problem("column", "a column name (str)", column))
            continue
        if column in mapping:
            problems.append(Problem(column, "mapped once", field, shown="a second entry"))
            continue
        if field is None or (isinstance(field, str) and not field.strip()):
            mapping[column] = None
            continue
        found = known.get(field.strip().casefold()) if isinstance(field, str) else None
        if found is None:
            problems.append(Problem(column, expected, field))
            continue
        mapping[column] = found
    if problems:
        unknown = any(problem.expected == expected for problem in problems)
        raise ColumnMappingError(path, problems, targets.columns(kind) if unknown else ())
    return MappingProxyType(mapping)
