"""Writing a file whole: through a temporary file beside it, moved into place once written,
so a failed write leaves no half file. The file gets the permissions any new file of the
process gets (its umask), not the private 0600 of :func:`tempfile.mkstemp`: an export is
meant to be read. ``-`` is standard output, as command-line tools read it."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import IO, Any, BinaryIO, Literal, TextIO, overload

__all__ = ["STDIO", "is_stdio", "written"]

STDIO = "-"
"""The path that means standard output (or standard input, where a file is read)."""


def is_stdio(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is ``-``."""
    return os.fspath(path) == STDIO


@overload
def written(
    path: str | os.PathLike[str], *, binary: Literal[False] = False, newline: str | None = None
) -> AbstractContextManager[TextIO]: ...


@overload
def written(
    path: str | os.PathLike[str], *, binary: Literal[True], newline: None = None
) -> AbstractContextManager[BinaryIO]: ...


def written(
    path: str | os.PathLike[str], *, binary: bool = False, newline: str | None = None
) -> AbstractContextManager[IO[Any]]:
    """A file to write ``path`` with, in place only when the block ends without raising
    (text is UTF-8; ``newline`` as :func:`open` takes it). ``-`` writes to standard output,
    which is flushed, never closed."""
    return _written(path, binary, newline)


@contextmanager
def _written(path: str | os.PathLike[str], binary: bool, newline: str | None) -> Iterator[IO[Any]]:
    if is_stdio(path):
        stream: IO[Any] = sys.stdout.buffer if binary else sys.stdout
        yield stream
        stream.flush()
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        if binary:
            with temporary.open("xb") as file:
                yield file
        else:
            with temporary.open("x", encoding="utf-8", newline=newline) as file:
                yield file
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
