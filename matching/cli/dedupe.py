"""``leadflow dedupe``: which records of a file, or of the store, are the same person.

It imports nothing heavy until it runs (pandas, the dedupe engine, rich, the store).

Errors follow the rest of the command line: a bad argument is a usage error (exit code
2) naming its flag, also when the dedupe engine is the one that refuses it (its
``threshold`` is ``--threshold``); unusable records are one ``Error:`` line and exit
code 1. Either way nothing is written: the ``--pairs``, ``--clusters`` and ``--report``
files are written only once the run has succeeded (and the report rendered), each through
a temporary file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from matching.cli.common import busy_option, open_store_at, progress_bars, write_error
from matching.io.files import STDIO, written

if TYPE_CHECKING:
    import pandas as pd

    from lifecycle.errors import InvalidFieldError
    from matching.dedupe import DedupeModel, DedupeResult
    from matching.dedupe.progress import Progress

DEDUPE_KINDS = ("contact", "lead")
"""Record types ``--db`` reads, as the store names them."""

DATA_SUFFIXES = {".csv": "CSV", ".parquet": "Parquet", ".pq": "Parquet"}
"""File extensions FILE may have, and the format each means."""

FLAGS = {"threshold": "--threshold", "id_column": "--id-column", "model": "--model"}
"""``find_duplicates``' parameters and the flags that set them: an error the engine
raises for one of them is a usage error naming the flag."""


def _load_model(path: Path | None) -> DedupeModel | None:
    """``--model FILE.json`` as a :class:`~matching.DedupeModel`; a bad file is a usage error."""
    from lifecycle.errors import LeadflowError
    from matching.dedupe import DedupeModel

    if path is None:
        return None

    def refuse(problem: str) -> click.BadParameter:
        return click.BadParameter(problem, param_hint="'--model'")

    try:
        return DedupeModel.load(path)
    except OSError as err:
        raise refuse(f"cannot read {path}: {err.strerror or err}.") from err
    except (LeadflowError, ValueError, TypeError) as err:
        raise refuse(f"{path}: {_line(err)}") from err


def _data_file(ctx: click.Context, param: click.Parameter, path: Path | None) -> Path | None:
    if path is not None and path.suffix.lower() not in DATA_SUFFIXES:
        raise click.BadParameter(
            f"cannot tell the format of {path} from its extension: use .csv, .parquet or .pq."
        )
    return path


def _check_sources(file: Path | None, url: str | None, kind: str | None) -> None:
    """Exactly one source: FILE, or ``--db URL --kind KIND``."""
    if file is not None and url is not None:
        raise click.UsageError("give FILE or --db URL, not both.")
    if file is None and url is None:
        raise click.UsageError("give the records to dedupe: FILE, or --db URL --kind contact|lead.")
    if url is not None and kind is None:
        raise click.UsageError("--db needs --kind contact or --kind lead.")
    if url is None and kind is not None:
        raise click.UsageError("--kind chooses the records of --db URL; FILE has its own.")


def _check_outputs(pairs: str | None, clusters: str | None, report: Path | None) -> None:
    """The outputs can be written as asked: one standard output, distinct files."""
    if pairs == STDIO and clusters == STDIO:
        raise click.UsageError("only one of --pairs and --clusters can be standard output (-).")
    if pairs is not None and pairs != STDIO and pairs == clusters:
        raise click.UsageError("--pairs and --clusters must be different files.")
    for flag, path in (("--pairs", pairs), ("--clusters", clusters)):
        if report is not None and path is not None and path != STDIO and Path(path) == report:
            raise click.UsageError(f"{flag} and --report must be different files.")


def _read_store(url: str, kind: str, busy_timeout: float) -> tuple[pd.DataFrame, str]:
    """Every stored ``kind`` record, as ``leadflow db export`` reads them (Dataverse names,
    the record id in ``contactid`` or ``leadid``), and where they came from."""
    from lifecycle.records import RECORD_TYPES
    from matching.store.bulk import to_frame

    with open_store_at(url, create=False, busy_timeout=busy_timeout) as store:
        return to_frame(store, RECORD_TYPES[kind]), f"the {kind}s of {store.url}"


def _with_phases(run: Callable[[Progress | None], DedupeResult]) -> DedupeResult:
    """``run(progress)``, with one progress bar per phase of the run when standard error is
    a terminal (:data:`matching.dedupe.progress.PHASES`)."""
    from rich.console import Console
    from rich.progress import TaskID

    console = Console(stderr=True)
    if not console.is_terminal:
        return run(None)
    with progress_bars(console) as bars:
        tasks: dict[str, TaskID] = {}

        def progress(phase: str, done: int, total: int) -> None:
            task = tasks.get(phase)
            if task is None:
                task = tasks[phase] = bars.add_task(phase, total=total)
            bars.update(task, completed=done, total=total)

        return run(progress)


def _line(err: BaseException) -> str:
    """``err``'s message on one line."""
    return " ".join(str(err).split())


def _refused(err: InvalidFieldError, source: str) -> click.ClickException:
    """The engine's refusal as the command line says it: a usage error naming the flag of
    a parameter (``--threshold``), else one line about the records."""
    flag = FLAGS.get(err.field)
    if flag is None:
        return click.ClickException(f"cannot dedupe {source}: {_line(err)}")
    problem = _line(err).removeprefix(f"{err.field!r} ")
    return click.BadParameter(problem, param_hint=f"'{flag}'")


def _find(
    data: object,
    source: str,
    *,
    model: DedupeModel | None,
    threshold: float | None,
    id_column: str | None,
) -> DedupeResult:
    import pandas as pd

    from lifecycle.errors import InvalidFieldError
    from matching.dedupe import find_duplicates

    def run(progress: Progress | None) -> DedupeResult:
        return find_duplicates(
            data,
            model=model,
            id_column=id_column,
            threshold=threshold,
            progress=progress or False,
        )

    try:
        return _with_phases(run)
    except InvalidFieldError as err:
        raise _refused(err, source) from err
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as err:
        raise click.ClickException(f"cannot read {source}: {_line(err)}") from err
    except ImportError as err:
        parquet = isinstance(data, Path) and DATA_SUFFIXES[data.suffix.lower()] == "Parquet"
        if not parquet:
            raise
        # pandas reads Parquet with pyarrow or fastparquet, optional dependencies.
        raise click.ClickException(
            f"cannot read {source}: reading Parquet needs pyarrow or fastparquet, "
            "and neither is installed."
        ) from err


def _save(files: Sequence[tuple[Path, Callable[[TextIO], object]]]) -> None:
    """Write every file whole, and all of them or none: each through a temporary file
    (:func:`~matching.io.files.written`), put in place only once every one is written."""
    target: Path | None = None
    try:
        with ExitStack() as stack:
            for target, write in files:
                write(stack.enter_context(written(target, newline="")))
    except OSError as err:
        raise write_error(target, err) from err


def _print_summary(
    result: DedupeResult,
    source: str,
    model_file: Path | None,
    wrote: Sequence[str],
    *,
    err: bool,
) -> None:
    trained = (
        f"the model in {model_file}"
        if model_file is not None
        else "the default model, trained on these records"
    )
    click.echo(f"Deduplicated {source} with {trained}.", err=err)
    click.echo(result.summary(), err=err)
    for line in wrote:
        click.echo(line, err=err)
    if not wrote and not err:
        click.echo("(--pairs FILE.csv and --clusters FILE.csv write what was found)")


@click.command()
@click.argument(
    "file",
    required=False,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    callback=_data_file,
)
@click.option(
    "--db",
    "url",
    metavar="URL",
    default=None,
    help="Dedupe the store's records instead of a FILE: postgresql://... or a SQLite file path.",
)
@click.option(
    "--kind",
    type=click.Choice(DEDUPE_KINDS),
    default=None,
    help="The records of --db to dedupe.",
)
@busy_option
@click.option(
    "--model",
    "model_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A JSON DedupeModel. Default: trained on the records themselves (no labels).",
)
@click.option(
    "--threshold",
    type=float,
    default=None,
    metavar="P",
    help="The match probability, in (0, 1), a pair needs to link. Default: chosen by the model.",
)
@click.option(
    "--id-column",
    metavar="NAME",
    default=None,
    help="The column of record ids. Default: contactid, leadid or id, the first there.",
)
@click.option(
    "--pairs",
    "pairs_path",
    type=click.Path(dir_okay=False, allow_dash=True),
    default=None,
    help="Write the linked pairs to this CSV file (- for standard output).",
)
@click.option(
    "--clusters",
    "clusters_path",
    type=click.Path(dir_okay=False, allow_dash=True),
    default=None,
    help="Write every record's cluster (record_id, cluster_id) to this CSV file "
    "(- for standard output).",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write an HTML report of the run to this file: the summary, charts of the match "
    "weights, comparison levels and cluster sizes, and a sample of clusters with why each "
    "pair scored what it did. One self-contained page.",
)
def dedupe(
    file: Path | None,
    url: str | None,
    kind: str | None,
    busy_timeout: float,
    model_file: Path | None,
    threshold: float | None,
    id_column: str | None,
    pairs_path: str | None,
    clusters_path: str | None,
    report_path: Path | None,
) -> None:
    """Find the records that are one person: in a CSV or Parquet FILE, or in the store.

    FILE has Dataverse logical names (firstname, lastname, emailaddress1, telephone1,
    birthdate, ...) and a record id column; --db URL --kind contact|lead reads the
    store's records as `leadflow db export` would. Pairs of records at or above the
    threshold link, and linked records form clusters. The summary says what blocking
    compared, which keys were too generic to pair records, how the threshold was chosen
    and the clusters by size; --report FILE.html shows the same as one page, with charts
    and a sample of clusters whose pairs it explains.

    Unusable records (repeated or missing ids, an empty file, none of the fields dedupe
    reads) exit with 1; bad arguments (a threshold outside (0, 1), an id column the records
    do not have) exit with 2. Either way nothing is written.
    """
    _check_sources(file, url, kind)
    _check_outputs(pairs_path, clusters_path, report_path)
    model = _load_model(model_file)
    if file is not None:
        data: object = file
        source = str(file)
    else:
        assert url is not None  # _check_sources
        assert kind is not None
        data, source = _read_store(url, kind, busy_timeout)
    result = _find(data, source, model=model, threshold=threshold, id_column=id_column)

    pairs, clusters = result.pairs, result.clusters
    files: list[tuple[Path, Callable[[TextIO], object]]] = []
    wrote: list[str] = []
    shown: list[str] = []
    if pairs_path is not None:
        if pairs_path == STDIO:
            shown.append(pairs.to_csv(index=False))
        else:
            files.append((Path(pairs_path), lambda out: pairs.to_csv(out, index=False)))
            wrote.append(f"wrote {len(pairs):,} pairs to {pairs_path}")
    if clusters_path is not None:
        if clusters_path == STDIO:
            shown.append(clusters.to_csv())
        else:
            files.append((Path(clusters_path), lambda out: clusters.to_csv(out)))
            count = clusters["cluster_id"].nunique()
            wrote.append(
                f"wrote the clusters of {len(clusters):,} records ({count:,} clusters) "
                f"to {clusters_path}"
            )
    if report_path is not None:
        from matching.dedupe.report import render

        html = render(result)
        files.append((report_path, lambda out: out.write(html)))
        wrote.append(f"wrote the report to {report_path}")
    _save(files)
    for text in shown:
        click.echo(text, nl=False)
    _print_summary(result, source, model_file, wrote, err=bool(shown))
