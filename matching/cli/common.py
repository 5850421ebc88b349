"""What the ``leadflow`` commands share: the group that turns leadflow's errors into one
line, the ``--db``, ``--busy-timeout`` and ``--format`` options, opening the store,
writing files and progress bars. Nothing heavy is imported until a command runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from lifecycle.errors import LeadflowError
from matching.io.files import is_stdio, written

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from matching.store import Store

T = TypeVar("T")

REPORT_WIDTH = 120
"""Columns of a report written to a pipe or file, where there is no terminal to measure."""


class LeadflowGroup(click.Group):
    """A group that turns leadflow's errors into one clean line and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LeadflowError as err:
            raise click.ClickException(one_line(err)) from err


def one_line(err: LeadflowError) -> str:
    """The error's message, naming what a command-line user can pass (``--busy-timeout``,
    not ``busy_timeout``) where the error can say so."""
    describe = getattr(err, "describe", None)
    return str(describe(command_line=True)) if callable(describe) else str(err)


def write_error(path: object, err: OSError) -> click.ClickException:
    """A file that cannot be written, as one error line naming it."""
    return click.ClickException(f"cannot write {path}: {err.strerror or err}")


@contextmanager
def cannot_write(path: object) -> Iterator[None]:
    """:func:`write_error` for an ``OSError`` raised inside the block."""
    try:
        yield
    except OSError as err:
        raise write_error(path, err) from err


def write_file(path: Path, content: str | bytes) -> None:
    """Write ``content`` to ``path`` whole; a failure is one error line."""
    with cannot_write(path):
        if isinstance(content, bytes):
            with written(path, binary=True) as binary:
                binary.write(content)
        else:
            with written(path) as text:
                text.write(content)


FILE_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
"""File extensions and the format each means."""


db_option = click.option(
    "--db",
    "url",
    metavar="URL",
    default=None,
    help="postgresql://... or a SQLite file path. Default: leadflow.db in the current directory.",
)
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(set(FILE_FORMATS.values()))),
    default=None,
    help="Default: from the file's extension (.csv; .jsonl or .ndjson).",
)


def file_format(path: Path, fmt: str | None) -> str:
    """``--format``, else the format ``path``'s extension says; standard input or output
    (``-``) is CSV unless ``--format`` says otherwise."""
    if fmt is not None:
        return fmt
    if is_stdio(path):
        return "csv"
    found = FILE_FORMATS.get(path.suffix.lower())
    if found is None:
        raise click.UsageError(
            f"cannot tell the format of {path} from its extension: "
            "pass --format csv or --format jsonl."
        )
    return found


def shown(path: Path, *, reading: bool) -> str:
    """``path`` as a message names it: ``-`` is standard input (``reading``) or output."""
    if is_stdio(path):
        return "standard input" if reading else "standard output"
    return str(path)


@contextmanager
def readable(path: Path, suffix: str = "") -> Iterator[Path]:
    """``path``; for ``-``, what standard input holds, saved to a temporary file named
    ``stdin<suffix>`` first (a file is read twice to be checked, or counted for a progress
    bar) and removed afterwards."""
    if not is_stdio(path):
        yield path
        return
    import shutil
    import sys
    import tempfile

    with tempfile.TemporaryDirectory(prefix="leadflow-") as folder:
        spooled = Path(folder) / f"stdin{suffix}"
        with spooled.open("wb") as out:
            shutil.copyfileobj(sys.stdin.buffer, out)
        yield spooled


busy_option = click.option(
    "--busy-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for another writer's lock before giving up.",
)


@contextmanager
def database_errors(hint: str) -> Iterator[None]:
    """Add ``hint`` (what stays stored) to a store failure's one line."""
    from matching.errors import ConflictError, StoreError

    try:
        yield
    except ConflictError:
        raise
    except StoreError as err:
        raise click.ClickException(f"{one_line(err)}{hint}") from err


def open_store_at(url: str | None, *, create: bool, busy_timeout: float) -> Store:
    """The store at ``url``; unless ``create``, a SQLite file must exist and be current."""
    from matching.store import open_store
    from matching.store.engine import DEFAULT_PATH, parse_url

    parsed = parse_url(url)
    database = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if (
        not create
        and database
        and database != ":memory:"
        and not Path(database).expanduser().exists()
    ):
        raise click.ClickException(
            f"no database at {url or DEFAULT_PATH}: import into it first, "
            "or run `leadflow db upgrade`."
        )
    return open_store(url, migrate_schema=create, busy_timeout=busy_timeout)


def count_lines(path: Path) -> int:
    """Lines in ``path``, a last one without a newline included."""
    lines = 0
    last = b"\n"
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (last != b"\n")


def progress_bars(console: Console) -> Progress:
    """The commands' progress bars: a label, a bar, done of total and the time left, on
    ``console``, gone when done."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )


def with_progress(file: Path, label: str, run: Callable[[Callable[[int], object] | None], T]) -> T:
    """``run(progress)``, with a progress bar of lines read when standard error is a terminal;
    ``progress(n)`` says that ``n`` lines of ``file`` were read."""
    from rich.console import Console

    console = Console(stderr=True)
    if not console.is_terminal:
        return run(None)
    with progress_bars(console) as bar:
        task = bar.add_task(label, total=count_lines(file))
        return run(lambda rows: bar.update(task, completed=rows))
