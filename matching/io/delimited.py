"""Reading a delimited text file (CSV) with a header row, as spreadsheets write them.

The text is UTF-8, with or without a byte-order mark; lines end in LF or CRLF. The
delimiter is found, not assumed: a first line ``sep=;`` (which Excel writes and reads)
says it; otherwise it is the one of ``,``, ``;`` and tab that splits the header into the
most columns (a European Excel writes ``;``), ``csv.Sniffer`` restricted to those three
breaking a tie, and ``,`` when nothing tells.

Line numbers are physical lines, the header being line 1 (2 after a ``sep=`` line); a row
whose quoted field spans lines has the number of the line it starts on. A row with more or
fewer fields than the header is a :class:`~matching.io.rejections.RowError` that still
carries what it held. Blank lines are skipped, and so are rows whose every cell is empty
(``,,,``), which spreadsheets write for rows that were formatted but never filled.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import TextIO, TypeVar

from matching.errors import ImportFileError
from matching.io.rejections import RowError

__all__ = ["DELIMITERS", "DelimitedFile", "sniff_delimiter"]

DELIMITERS = (",", ";", "\t")
"""The delimiters a file may use, the default first."""

T = TypeVar("T")

_SAMPLE = 65_536
"""Bytes read to find the delimiter."""

_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


def delimiter_name(delimiter: str) -> str:
    """``comma``, ``semicolon`` or ``tab``."""
    return _NAMES.get(delimiter, repr(delimiter))


def sniff_delimiter(sample: str) -> str:
    """The delimiter of the text that starts with ``sample`` (see the module docstring),
    not counting a ``sep=`` line."""
    counts: dict[str, int] = {}
    for delimiter in DELIMITERS:
        first = next(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter), [])
        counts[delimiter] = len(first)
    most = max(counts.values(), default=0)
    tied = [d for d in DELIMITERS if counts[d] == most]
    if most <= 1 or len(tied) == 1:
        return tied[0] if most > 1 else DELIMITERS[0]
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        return tied[0]
    return sniffed if sniffed in tied else tied[0]


def first_bad_line(path: Path) -> int:
    """The first physical line of ``path`` that is not UTF-8 text (text is decoded a block
    at a time, so the decoder cannot say)."""
    with path.open("rb") as raw:
        for number, line in enumerate(raw, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return 1


def _sep_line(line: str) -> str | None:
    """The delimiter an Excel ``sep=X`` line names, or ``None``."""
    stripped = line.rstrip("\r\n")
    if stripped.lower().startswith("sep=") and len(stripped) == 5:
        return stripped[4]
    return None


class DelimitedFile:
    """A delimited file opened for reading: :attr:`header`, :attr:`delimiter`, then its rows
    by iterating, each ``(line, row)`` (a dict of header to text) or ``(line, RowError)``.

    Opening reads the header; a header that repeats a column, text that is not UTF-8, a
    malformed file or a path that cannot be read raises
    :class:`~matching.errors.ImportFileError`. Use it as a context manager, or iterate to
    the end, to close the file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.header: tuple[str, ...] = ()
        self.delimiter = DELIMITERS[0]
        self._skipped = 0
        self._file = self._open()
        try:
            self._start()
        except BaseException:
            self._file.close()
            raise

    def _open(self) -> TextIO:
        try:
            return self.path.open(encoding="utf-8-sig", newline="")
        except OSError as err:
            raise ImportFileError(f"cannot read {self.path}: {err.strerror or err}.") from err

    def _start(self) -> None:
        try:
            with self.path.open("rb") as raw:
                sample = raw.read(_SAMPLE).decode("utf-8-sig", errors="replace")
        except OSError as err:
            raise ImportFileError(f"cannot read {self.path}: {err.strerror or err}.") from err
        first_line = sample.split("\n", 1)[0]
        named = _sep_line(first_line)
        if named is not None:
            self.delimiter = named
            self._skipped = 1
            self._guarded(self._file.readline)
            sample = sample.split("\n", 1)[1] if "\n" in sample else ""
        else:
            self.delimiter = sniff_delimiter(sample)
        self._reader = csv.reader(self._file, delimiter=self.delimiter)
        header = self._guarded(lambda: next(self._reader, None))
        if header is None:
            return
        dupes = sorted({name for name in header if header.count(name) > 1})
        if dupes:
            raise ImportFileError(f"{self.path}: the header repeats the columns {dupes}.")
        self.header = tuple(header)

    def _guarded(self, read: Callable[[], T]) -> T:
        try:
            return read()
        except csv.Error as err:
            line = self._skipped + self._reader_line()
            raise ImportFileError(f"{self.path}: line {line}: {err}.") from err
        except UnicodeDecodeError as err:
            line = first_bad_line(self.path)
            raise ImportFileError(
                f"{self.path}: not UTF-8 text at line {line} (save it as CSV UTF-8)."
            ) from err

    def _reader_line(self) -> int:
        reader = getattr(self, "_reader", None)
        return 0 if reader is None else reader.line_num

    def __iter__(self) -> Iterator[tuple[int, Mapping[str, object] | RowError]]:
        try:
            if self.header:
                yield from self._rows()
        finally:
            self.close()

    def _rows(self) -> Iterator[tuple[int, Mapping[str, object] | RowError]]:
        header, width, skipped = self.header, len(self.header), self._skipped
        reader = self._reader
        line = reader.line_num
        while True:
            fields = self._guarded(lambda: next(reader, None))
            if fields is None:
                return
            start, line = line + 1, reader.line_num
            if not any(field.strip() for field in fields):
                continue
            if len(fields) != width:
                reason = f"has {len(fields)} fields where the header has {width}."
                row = _by_position(header, fields)
                yield start + skipped, RowError(start + skipped, None, reason, row=row)
                continue
            yield start + skipped, dict(zip(header, fields, strict=True))

    def close(self) -> None:
        """Close the file."""
        self._file.close()

    def __enter__(self) -> DelimitedFile:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _by_position(header: tuple[str, ...], fields: list[str]) -> dict[str, object]:
    """A row with the wrong number of fields, its fields under the header's columns and
    the extra ones under ``(extra 1)``, ``(extra 2)``..."""
    row: dict[str, object] = dict(zip(header, fields, strict=False))
    for n, value in enumerate(fields[len(header) :], start=1):
        row[f"(extra {n})"] = value
    return row
