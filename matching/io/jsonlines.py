"""Reading a JSON Lines file: one JSON object per line, UTF-8 (a byte-order mark is fine).

Line numbers are physical lines; blank lines are skipped, and a line that is not a JSON
object is a :class:`~matching.io.rejections.RowError` with the parser's reason.
:func:`jsonl_keys` reads the file once beforehand for the keys its objects use, so that
the columns of the whole file are checked before any row of it is imported.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TextIO

from matching.errors import ImportFileError
from matching.io.delimited import first_bad_line
from matching.io.rejections import RowError

__all__ = ["jsonl_keys", "jsonl_rows"]


def _open(path: Path) -> TextIO:
    try:
        return path.open(encoding="utf-8-sig")
    except OSError as err:
        raise ImportFileError(f"cannot read {path}: {err.strerror or err}.") from err


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with _open(path) as file:
        try:
            for line, text in enumerate(file, start=1):
                if text.strip():
                    yield line, text
        except UnicodeDecodeError as err:
            bad = first_bad_line(path)
            raise ImportFileError(f"{path}: not UTF-8 text at line {bad}.") from err


def jsonl_keys(path: str | os.PathLike[str]) -> tuple[str, ...]:
    """Every key the file's objects use, in the order they first appear (lines that are
    not JSON objects are passed over here, and rejected when the rows are read)."""
    keys: dict[str, None] = {}
    for _, text in _lines(Path(path)):
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            keys.update(dict.fromkeys(value))
    return tuple(keys)


def jsonl_rows(
    path: str | os.PathLike[str],
) -> Iterator[tuple[int, Mapping[str, object] | RowError]]:
    """``(line, object)`` for each line, or ``(line, RowError)`` for a line that is not a
    JSON object."""
    for line, text in _lines(Path(path)):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as err:
            reason = f"is not JSON: {err.msg} (column {err.colno})."
            yield line, RowError(line, None, reason, row={"(line text)": text.rstrip("\r\n")})
            continue
        if not isinstance(value, dict):
            reason = f"must be a JSON object (got {type(value).__name__})."
            yield line, RowError(line, None, reason, row={"(line text)": text.rstrip("\r\n")})
            continue
        yield line, value
