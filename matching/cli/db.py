"""``leadflow db``: migrate the record store, import records into it, export them, dump it
whole and restore it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from lifecycle.decisions import cite
from lifecycle.records import RECORD_TYPES
from matching.cli.common import (
    busy_option,
    cannot_write,
    database_errors,
    db_option,
    file_format,
    format_option,
    one_line,
    open_store_at,
    readable,
    shown,
    with_progress,
)
from matching.io.files import is_stdio

if TYPE_CHECKING:
    from matching.store.bulk import ImportReport

KINDS = tuple(RECORD_TYPES)
"""Record types the ``db`` commands take, as the store names them."""

SHOWN_REJECTIONS = 20
"""Rejected rows ``db import`` lists; ``--errors FILE`` writes them all."""


@click.group()
def db() -> None:
    """The record store: migrate it, import records into it, export them, dump it
    whole and restore it into another store.

    Import and export files use Dataverse logical names (leadid, statecode,
    statuscode, emailaddress1, ...), so a Dynamics export loads as it is; an import
    also reads schema names, Dynamics display names and a --mapping file's names.
    """


@db.command(name="upgrade")
@db_option
@busy_option
def db_upgrade(url: str | None, busy_timeout: float) -> None:
    """Create the store's schema, or migrate it to this leadflow's revision."""
    from matching.store import failures
    from matching.store.engine import (
        READ_ONLY,
        close_engine,
        create_engine,
        current_revision,
        migrate,
        parse_url,
    )

    parsed = parse_url(url)
    engine = create_engine(parsed, busy_timeout=busy_timeout)
    try:
        with failures.mapped(failures.where_of(engine), doing="migrate"):
            with engine.connect() as connection:
                reading = connection.execution_options(**{READ_ONLY: True})
                with reading.begin():
                    before = current_revision(reading)
            after = migrate(engine)
    finally:
        close_engine(engine)
    shown = parsed.render_as_string(hide_password=True)
    if before == after:
        click.echo(f"{shown}: schema at revision {after} (already current)")
    else:
        click.echo(f"{shown}: schema migrated from {before or 'nothing'} to revision {after}")


def _print_rejections(report: ImportReport, errors_path: Path | None) -> None:
    shown = report.rejected[:SHOWN_REJECTIONS]
    click.echo(f"Rejected rows ({report.rejected_rows:,}):")
    for error in shown:
        click.echo(f"  {error.describe(command_line=True)}")
    hidden = len(report.rejected) - len(shown)
    if hidden:
        hint = "" if errors_path else " (--errors FILE.csv writes them all)"
        click.echo(f"  ... and {hidden:,} more{hint}")


def _write_rejections(report: ImportReport, path: Path) -> None:
    from matching.io.rejections import write_rejections

    with cannot_write(path):
        write_rejections(report.rejected, path, command_line=True)


@db.command(name="import")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument(
    "file", type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path)
)
@db_option
@busy_option
@format_option
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=5_000,
    show_default=True,
    help="Rows per transaction; a batch is stored whole or not at all.",
)
@click.option(
    "--mapping",
    "mapping_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A CSV (column,field) or JSON ({column: field}) file naming the leadflow field "
    "of each column the import does not recognise; an empty field leaves the column out.",
)
@click.option(
    "--on-existing",
    type=click.Choice(["skip", "update", "error"]),
    default="skip",
    show_default=True,
    help="What a row whose id is already stored does: skip it, update the stored "
    "record, or count as an error. The summary says how many differed from the stored "
    "record and how many were identical.",
)
@click.option(
    "--on-repeated",
    type=click.Choice(["error", "skip"]),
    default="error",
    show_default=True,
    help="What a row repeating the identity (id, else email, else name) of an earlier "
    "row of the file does: count as an error naming both lines, or be skipped (the "
    "earlier row is kept).",
)
@click.option(
    "--allow-tombstoned",
    is_flag=True,
    help="Recreate records whose email belongs to a deleted record; refused by default "
    + cite("D14")
    + ".",
)
@click.option(
    "--errors",
    "errors_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write every rejected row to this CSV file: line, field, reason, then the row's "
    "own columns, so that it can be fixed and imported again.",
)
def db_import(
    kind: str,
    file: Path,
    url: str | None,
    busy_timeout: float,
    fmt: str | None,
    mapping_path: Path | None,
    batch_size: int,
    on_existing: str,
    on_repeated: str,
    allow_tombstoned: bool,
    errors_path: Path | None,
) -> None:
    """Import KIND records (lead, contact or account) from a CSV or JSON Lines FILE.

    Columns are read by Dataverse logical name, schema name or Dynamics display name
    (an Excel template saved as CSV), or as a --mapping file names them; a CSV file may
    be separated by commas, semicolons or tabs. A file is refused whole, with nothing
    stored, when its columns cannot be imported or no row says which record it is (an
    id, an email, or a first and last name). Good rows are stored in batches; a bad row
    is reported with its line number and reason, and nothing of it is stored. Running
    the same file again stores nothing twice. Exits with 1 when any row was rejected.
    FILE - reads standard input (CSV unless --format jsonl).
    """
    from matching.errors import ColumnMappingError, ImportRefused
    from matching.store.bulk import import_csv, import_jsonl

    chosen = file_format(file, fmt)
    reader = import_csv if chosen == "csv" else import_jsonl
    options: dict[str, Any] = {
        "mapping": mapping_path,
        "batch_size": batch_size,
        "on_existing": on_existing,
        "on_repeated": on_repeated,
        "allow_tombstoned": allow_tombstoned,
    }
    stopped = "; the batches committed before stay stored: run the import again to finish it"
    with (
        open_store_at(url, create=True, busy_timeout=busy_timeout) as store,
        database_errors(stopped),
        readable(file, f".{chosen}") as source,
    ):
        try:
            report = with_progress(
                source,
                f"{kind} rows",
                lambda progress: reader(
                    store, source, RECORD_TYPES[kind], progress=progress, **options
                ),
            )
        except (ImportRefused, ColumnMappingError) as err:
            raise click.ClickException(one_line(err)) from err
    click.echo(report.summary(command_line=True))
    if errors_path is not None:
        _write_rejections(report, errors_path)
    if not report.ok:
        _print_rejections(report, errors_path)
        if errors_path is not None:
            click.echo(f"wrote every rejected row to {errors_path}")
        raise SystemExit(1)


@db.command(name="export")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@db_option
@busy_option
@format_option
def db_export(kind: str, file: Path, url: str | None, busy_timeout: float, fmt: str | None) -> None:
    """Export every stored KIND record to a CSV or JSON Lines FILE.

    One row per record, by id, with Dataverse logical names; `leadflow db import`
    reads it back to the same records. Data consents and history are not exported
    (`leadflow db dump` carries them). FILE - writes to standard output (CSV unless
    --format jsonl), and the count goes to standard error.
    """
    from matching.store.bulk import export_csv, export_jsonl

    writer = export_csv if file_format(file, fmt) == "csv" else export_jsonl
    with open_store_at(url, create=False, busy_timeout=busy_timeout) as store, cannot_write(file):
        count = writer(store, file, RECORD_TYPES[kind])
    where = shown(file, reading=False)
    click.echo(f"wrote {count:,} {kind} records to {where}", err=is_stdio(file))


@db.command(name="dump")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@db_option
@busy_option
def db_dump(file: Path, url: str | None, busy_timeout: float) -> None:
    """Write every table of the store to FILE, to restore it elsewhere.

    Records, history, data consents, contact-point consents, tombstones,
    suppressions, interactions and claims, from one consistent state of the store,
    in one JSON Lines file (gzip-compressed when FILE ends in .gz) with a checksum.
    `leadflow db restore` reads it into another store, SQLite or PostgreSQL.
    FILE - writes to standard output (not compressed), and the summary goes to
    standard error.
    """
    from matching.store.move import dump

    with open_store_at(url, create=False, busy_timeout=busy_timeout) as store, cannot_write(file):
        report = dump(store, file)
    where = shown(file, reading=False)
    click.echo(f"wrote {report.summary()} to {where}", err=is_stdio(file))
    for line in report.lines():
        click.echo(f"  {line}", err=is_stdio(file))


@db.command(name="restore")
@click.argument(
    "file", type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path)
)
@db_option
@busy_option
@click.option(
    "--replace",
    is_flag=True,
    help="Empty a store that already holds data before restoring into it (in the same "
    "transaction); without it such a store is refused.",
)
def db_restore(file: Path, url: str | None, busy_timeout: float, replace: bool) -> None:
    """Restore a FILE written by `leadflow db dump` into the store, in one transaction.

    The file is checked whole before anything is written: a truncated or edited
    file, or one from a newer leadflow, is refused, and so is a store that already
    holds data unless --replace. Match keys are rebuilt from the restored records.
    FILE - reads standard input (not compressed).
    """
    from matching.errors import DumpError
    from matching.store.move import restore

    with (
        open_store_at(url, create=True, busy_timeout=busy_timeout) as store,
        database_errors("; nothing was written"),
    ):
        try:
            with readable(file, ".jsonl") as source:
                report = restore(source, store, replace=replace)
        except DumpError as err:
            raise click.ClickException(one_line(err)) from err
    where = shown(file, reading=True)
    click.echo(f"restored {report.summary()} from {where} into {store.url}")
    for line in report.lines():
        click.echo(f"  {line}")
