"""The ``leadflow`` command line: ``leadflow diagram``, ``leadflow demo`` and ``leadflow db``.

Errors leadflow raises (:class:`~lifecycle.errors.LeadflowError`) are shown as one
line, ``Error: <message>``, with exit code 1; usage errors exit with code 2.
Heavy modules (rich, the demo, the record store) load only when their command
runs, so ``leadflow --help`` starts quickly.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from lifecycle.definitions import MACHINES
from lifecycle.diagram import EXTENSIONS, FORMATS, export
from lifecycle.errors import LeadflowError

if TYPE_CHECKING:
    from matching.store import Store
    from matching.store.bulk import ImportReport

REPORT_WIDTH = 120
"""Columns of a report written to a pipe or file, where there is no terminal to measure."""


class _Group(click.Group):
    """A group that turns leadflow's errors into one clean line and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LeadflowError as err:
            raise click.ClickException(str(err)) from err


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="leadflow", prog_name="leadflow")
def cli() -> None:
    """leadflow keeps a CRM's leads and contacts honest."""


def _write(path: Path, content: str | bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    except OSError as err:
        raise click.ClickException(f"cannot write {path}: {err.strerror or err}") from err


@cli.command()
@click.argument("machine", type=click.Choice([*MACHINES, "all"]))
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="mermaid",
    show_default=True,
    help="mermaid and dot are text; svg and png need Graphviz's dot program.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="File to write; a directory for 'all'. Default: standard output.",
)
def diagram(machine: str, fmt: str, output: Path | None) -> None:
    """Draw a lifecycle's state diagram: lead, contact, account, or all.

    The diagram is generated from the machine's definition. Text formats go to
    standard output unless -o is given. svg and png go to the -o file, or to
    standard output when it is a pipe or a file (never to a terminal). 'all'
    needs -o DIR and writes one <machine>.<ext> file per machine into DIR.
    """
    if machine == "all":
        if output is None:
            raise click.UsageError("'diagram all' needs -o DIR, the directory to write into.")
        for name, definition in MACHINES.items():
            path = output / f"{name}.{EXTENSIONS[fmt]}"
            _write(path, export(definition, fmt))
            click.echo(f"wrote {path}")
        return
    content = export(MACHINES[machine], fmt)
    if output is not None:
        _write(output, content)
        click.echo(f"wrote {output}", err=True)
    elif isinstance(content, str):
        click.echo(content, nl=False)
    elif sys.stdout.isatty():
        raise click.UsageError(
            f"{fmt} is an image: write it with -o FILE, or pipe standard output."
        )
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()


@cli.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("leadflow-demo"),
    show_default=True,
    help="Directory for the diagrams of the three machines.",
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="SQLite file the story is saved into, recreated on every run [default: OUT/leadflow.db].",
)
def demo(out: Path, db: Path | None) -> None:
    """Run a small CRM through its lifecycles and show what happened.

    Leads are contacted, qualified, disqualified and reactivated; duplicate
    contacts merged; a retired contact deactivated instead of being parked in a
    bucket account; a contact anonymized. What leadflow refuses is shown with its
    reason. The diagrams of all three machines are written into --out (.mmd and
    .dot, plus .svg when Graphviz is installed). The clock is fixed, so the output
    is the same on every run.
    """
    from rich.console import Console

    from matching.demo import run_demo

    try:
        run_demo(out, Console(width=None if sys.stdout.isatty() else REPORT_WIDTH), db)
    except OSError as err:
        raise click.ClickException(f"cannot write the diagrams into {out}: {err}") from err


# --------------------------------------------------------------------------- db

KINDS = ("lead", "contact", "account")
"""Record types the ``db`` commands take, as the store names them."""

FILE_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
"""File extensions and the format each means."""

SHOWN_REJECTIONS = 20
"""Rejected rows ``db import`` lists; ``--errors FILE`` writes them all."""

_db_option = click.option(
    "--db",
    "url",
    metavar="URL",
    default=None,
    help="postgresql://... or a SQLite file path. Default: leadflow.db in the current directory.",
)
_format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(set(FILE_FORMATS.values()))),
    default=None,
    help="Default: from the file's extension (.csv; .jsonl or .ndjson).",
)


@cli.group()
def db() -> None:
    """The record store: migrate it, import records into it, export them.

    Files use Dataverse logical names (leadid, statecode, statuscode,
    emailaddress1, ...), so a Dynamics export loads as it is.
    """


def _file_format(path: Path, fmt: str | None) -> str:
    if fmt is not None:
        return fmt
    found = FILE_FORMATS.get(path.suffix.lower())
    if found is None:
        raise click.UsageError(
            f"cannot tell the format of {path} from its extension: "
            "pass --format csv or --format jsonl."
        )
    return found


@contextmanager
def _database_errors(doing: str, url: str | None, hint: str = "") -> Iterator[None]:
    """Turn a database failure into one error line naming the store (password hidden)."""
    import sqlalchemy as sa

    from matching.store.engine import parse_url

    try:
        yield
    except sa.exc.SQLAlchemyError as err:
        shown = parse_url(url).render_as_string(hide_password=True)
        detail = str(getattr(err, "orig", None) or err).strip().splitlines()[0]
        raise click.ClickException(f"cannot {doing} the store at {shown}: {detail}{hint}") from err


def _open_store(url: str | None, *, create: bool) -> Store:
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
    with _database_errors("open", url):
        return open_store(url, migrate_schema=create)


@db.command(name="upgrade")
@_db_option
def db_upgrade(url: str | None) -> None:
    """Create the store's schema, or migrate it to this leadflow's revision."""
    from matching.store.engine import create_engine, current_revision, migrate, parse_url

    parsed = parse_url(url)
    engine = create_engine(parsed)
    try:
        with _database_errors("migrate", url), engine.connect() as connection:
            before = current_revision(connection)
        with _database_errors("migrate", url):
            after = migrate(engine)
    finally:
        engine.dispose()
    shown = parsed.render_as_string(hide_password=True)
    if before == after:
        click.echo(f"{shown}: schema at revision {after} (already current)")
    else:
        click.echo(f"{shown}: schema migrated from {before or 'nothing'} to revision {after}")


def _count_lines(path: Path) -> int:
    lines = 0
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            lines += chunk.count(b"\n")
    return lines


def _print_rejections(report: ImportReport, errors_path: Path | None) -> None:
    shown = report.rejected[:SHOWN_REJECTIONS]
    click.echo(f"Rejected rows ({report.rejected_rows:,}):")
    for error in shown:
        click.echo(f"  {error}")
    hidden = len(report.rejected) - len(shown)
    if hidden:
        hint = "" if errors_path else " (--errors FILE.csv writes them all)"
        click.echo(f"  ... and {hidden:,} more{hint}")


def _write_rejections(report: ImportReport, path: Path) -> None:
    import csv

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(("line", "field", "reason"))
            writer.writerows((e.line, e.field or "", e.reason) for e in report.rejected)
    except OSError as err:
        raise click.ClickException(f"cannot write {path}: {err.strerror or err}") from err


def _with_progress(
    file: Path, kind: str, run: Callable[[Callable[[int], object] | None], ImportReport]
) -> ImportReport:
    """``run(progress)``, with a progress bar of rows read when standard error is a terminal."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        return run(None)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(f"{kind} rows", total=_count_lines(file))
        return run(lambda rows: bar.update(task, completed=rows))


@db.command(name="import")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_db_option
@_format_option
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=5_000,
    show_default=True,
    help="Rows per transaction; a batch is stored whole or not at all.",
)
@click.option(
    "--on-existing",
    type=click.Choice(["skip", "update", "error"]),
    default="skip",
    show_default=True,
    help="What a row whose id is already stored does: skip it, update the stored "
    "record, or count as an error.",
)
@click.option(
    "--allow-tombstoned",
    is_flag=True,
    help="Recreate records whose email belongs to a deleted record (refused by default, D14).",
)
@click.option(
    "--errors",
    "errors_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write every rejected row (line, field, reason) to this CSV file.",
)
def db_import(
    kind: str,
    file: Path,
    url: str | None,
    fmt: str | None,
    batch_size: int,
    on_existing: str,
    allow_tombstoned: bool,
    errors_path: Path | None,
) -> None:
    """Import KIND records (lead, contact or account) from a CSV or JSON Lines FILE.

    Good rows are stored in batches; a bad row is reported with its line number and
    reason, and nothing of it is stored. Running the same file again stores nothing
    twice. Exits with 1 when any row was rejected.
    """
    from matching.store.bulk import import_csv, import_jsonl
    from matching.store.schema import RECORD_TYPES

    reader = import_csv if _file_format(file, fmt) == "csv" else import_jsonl
    options: dict[str, Any] = {
        "batch_size": batch_size,
        "on_existing": on_existing,
        "allow_tombstoned": allow_tombstoned,
    }
    stopped = "; the batches committed before stay stored: run the import again to finish it"
    store = _open_store(url, create=True)
    try:
        with _database_errors("import into", url, stopped):
            report = _with_progress(
                file,
                kind,
                lambda progress: reader(
                    store, file, RECORD_TYPES[kind], progress=progress, **options
                ),
            )
    finally:
        store.close()
    click.echo(report.summary())
    if errors_path is not None:
        _write_rejections(report, errors_path)
    if not report.ok:
        _print_rejections(report, errors_path)
        if errors_path is not None:
            click.echo(f"wrote every rejected row to {errors_path}")
        raise SystemExit(1)


@db.command(name="export")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_db_option
@_format_option
def db_export(kind: str, file: Path, url: str | None, fmt: str | None) -> None:
    """Export every stored KIND record to a CSV or JSON Lines FILE.

    One row per record, by id, with Dataverse logical names; `leadflow db import`
    reads it back to the same records. Data consents and history are not exported.
    """
    from matching.store.bulk import export_csv, export_jsonl
    from matching.store.schema import RECORD_TYPES

    writer = export_csv if _file_format(file, fmt) == "csv" else export_jsonl
    store = _open_store(url, create=False)
    try:
        with _database_errors("export from", url):
            count = writer(store, file, RECORD_TYPES[kind])
    except OSError as err:
        raise click.ClickException(f"cannot write {file}: {err.strerror or err}") from err
    finally:
        store.close()
    click.echo(f"wrote {count:,} {kind} records to {file}")


def main() -> None:
    """Entry point of the ``leadflow`` console script."""
    cli.main(prog_name="leadflow")


if __name__ == "__main__":  # pragma: no cover
    main()
