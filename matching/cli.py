"""The ``leadflow`` command line: ``diagram``, ``demo``, ``db``, ``submit`` and ``dedupe``
(in :mod:`matching.cli_dedupe`).

Errors leadflow raises (:class:`~lifecycle.errors.LeadflowError`) are shown as one
line, ``Error: <message>``, with exit code 1; usage errors exit with code 2.
Heavy modules (rich, the demo, the record store) load only when their command
runs, so ``leadflow --help`` starts quickly.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from lifecycle.decisions import cite
from lifecycle.definitions import MACHINES
from lifecycle.diagram import EXTENSIONS, FORMATS, export
from lifecycle.errors import LeadflowError
from matching.cli_dedupe import dedupe

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from matching.handler import SubmissionHandler
    from matching.store import Store
    from matching.store.bulk import ImportReport
    from matching.strategies import MatchStrategy
    from matching.submissions import MatchInfo, SubmissionOutcome, SubmissionPolicy

T = TypeVar("T")

REPORT_WIDTH = 120
"""Columns of a report written to a pipe or file, where there is no terminal to measure."""


class _Group(click.Group):
    """A group that turns leadflow's errors into one clean line and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LeadflowError as err:
            raise click.ClickException(_one_line(err)) from err


def _one_line(err: LeadflowError) -> str:
    """The error's message, naming what a command-line user can pass (``--busy-timeout``,
    not ``busy_timeout``) where the error can say so."""
    describe = getattr(err, "describe", None)
    return str(describe(command_line=True)) if callable(describe) else str(err)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="leadflow", prog_name="leadflow")
def cli() -> None:
    """leadflow keeps a CRM's leads and contacts honest."""


cli.add_command(dedupe)


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
    reason. Then web-form submissions land in the store: a new person, the same
    person again, a second page, a disqualified lead's owner, a deleted person's
    address and a malformed post, each with what it did. The diagrams of all three machines are written into --out (.mmd and
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


_busy_option = click.option(
    "--busy-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for another writer's lock before giving up.",
)


@contextmanager
def _database_errors(hint: str) -> Iterator[None]:
    """Add ``hint`` (what stays stored) to a store failure's one line."""
    from matching.errors import ConflictError, StoreError

    try:
        yield
    except ConflictError:
        raise
    except StoreError as err:
        raise click.ClickException(f"{_one_line(err)}{hint}") from err


def _open_store(url: str | None, *, create: bool, busy_timeout: float) -> Store:
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


@db.command(name="upgrade")
@_db_option
@_busy_option
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


def _count_lines(path: Path) -> int:
    """Lines in ``path``, a last one without a newline included."""
    lines = 0
    last = b"\n"
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (last != b"\n")


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
    import csv

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(("line", "field", "reason"))
            writer.writerows(
                (e.line, e.field or "", e.message(command_line=True)) for e in report.rejected
            )
    except OSError as err:
        raise click.ClickException(f"cannot write {path}: {err.strerror or err}") from err


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


def _with_progress(file: Path, label: str, run: Callable[[Callable[[int], object] | None], T]) -> T:
    """``run(progress)``, with a progress bar of lines read when standard error is a terminal;
    ``progress(n)`` says that ``n`` lines of ``file`` were read."""
    from rich.console import Console

    console = Console(stderr=True)
    if not console.is_terminal:
        return run(None)
    with progress_bars(console) as bar:
        task = bar.add_task(label, total=_count_lines(file))
        return run(lambda rows: bar.update(task, completed=rows))


@db.command(name="import")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_db_option
@_busy_option
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
    help="Recreate records whose email belongs to a deleted record; refused by default "
    + cite("D14")
    + ".",
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
    busy_timeout: float,
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
    from lifecycle.records import RECORD_TYPES
    from matching.store.bulk import import_csv, import_jsonl

    reader = import_csv if _file_format(file, fmt) == "csv" else import_jsonl
    options: dict[str, Any] = {
        "batch_size": batch_size,
        "on_existing": on_existing,
        "allow_tombstoned": allow_tombstoned,
    }
    stopped = "; the batches committed before stay stored: run the import again to finish it"
    store = _open_store(url, create=True, busy_timeout=busy_timeout)
    try:
        with _database_errors(stopped):
            report = _with_progress(
                file,
                f"{kind} rows",
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
@_busy_option
@_format_option
def db_export(kind: str, file: Path, url: str | None, busy_timeout: float, fmt: str | None) -> None:
    """Export every stored KIND record to a CSV or JSON Lines FILE.

    One row per record, by id, with Dataverse logical names; `leadflow db import`
    reads it back to the same records. Data consents and history are not exported.
    """
    from lifecycle.records import RECORD_TYPES
    from matching.store.bulk import export_csv, export_jsonl

    writer = export_csv if _file_format(file, fmt) == "csv" else export_jsonl
    store = _open_store(url, create=False, busy_timeout=busy_timeout)
    try:
        count = writer(store, file, RECORD_TYPES[kind])
    except OSError as err:
        raise click.ClickException(f"cannot write {file}: {err.strerror or err}") from err
    finally:
        store.close()
    click.echo(f"wrote {count:,} {kind} records to {file}")


# --------------------------------------------------------------------------- submit

MODES = ("contacts-and-leads", "only-leads", "only-contacts")
"""The values of :class:`matching.Mode` (spelled out so ``--help`` imports nothing heavy)."""

SHOWN_SUBMIT_REJECTIONS = 20
"""Rejected lines ``submit`` lists; ``--outcomes FILE`` has them all."""

OUTCOME_COLUMNS = (
    "line",
    "status",
    "contact_action",
    "lead_action",
    "contact_id",
    "lead_id",
    "interaction_id",
    "contact_match",
    "lead_match",
    "duplicates",
    "warnings",
    "rejections",
)
"""The columns of a ``--outcomes`` CSV file (and the keys of a JSON Lines one)."""

WARNING_MEANINGS = {
    "tombstoned": f"address of a deleted record: no record created for it {cite('D14')}",
    "tombstone-overridden": "address of a deleted record, recreated as the policy asks",
    "suppressed": "address on the suppression list: stored, but not emailed",
    "suppressed-for-account": "address opted out of one sending account: stored",
    "lead-relinked": "matched a lead linked to another contact: linked to this one",
    "contact-closed": "matched an inactive contact: linked (or a new one), never edited",
    "contact-reactivated": "matched an inactive contact, reactivated as the policy asks",
    "lead-closed": "matched a qualified or disqualified lead: left as it is",
    "lead-reactivated": f"matched a closed lead, reactivated as the policy asks {cite('D5')}",
    "merged": f"matched a merged-away record: its master was used instead {cite('D4')}",
    "no-match-key": "none of the fields the strategy matches on: a new record was created",
}
"""A few words on each warning code the handler gives, for the summary table."""


class _StrategyParam(click.ParamType):  # type: ignore[type-arg]  # generic in newer click only
    """A preset's name (``matching.PRESETS``) or the path of a JSON strategy file."""

    name = "NAME|FILE"

    def __init__(self, target: str) -> None:
        self.target = target

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> MatchStrategy:
        from matching.errors import StrategyError
        from matching.strategies import PRESETS, MatchStrategy

        if isinstance(value, MatchStrategy):
            return value
        strategy = PRESETS.get(str(value))
        if strategy is None:
            path = Path(value)
            if not path.is_file():
                self.fail(
                    f"{value!r} is neither a preset ({', '.join(PRESETS)}) nor a strategy file.",
                    param,
                    ctx,
                )
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as err:
                reason = err.strerror if isinstance(err, OSError) else "not UTF-8 text"
                self.fail(f"cannot read {path}: {reason or err}.", param, ctx)
            try:
                strategy = MatchStrategy.from_json(text)
            except StrategyError as err:
                self.fail(f"{path}: {err}", param, ctx)
        if strategy.target.value != self.target:
            self.fail(
                f"{strategy.name!r} finds {strategy.target.value}s; "
                f"a {self.target} strategy is needed here.",
                param,
                ctx,
            )
        return strategy


def _load_policy(
    ctx: click.Context, param: click.Parameter, path: Path | None
) -> SubmissionPolicy | None:
    """``--policy FILE.json`` as a :class:`~matching.SubmissionPolicy`; a bad file is a usage error."""
    import json

    from matching.submissions import SubmissionPolicy

    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise click.BadParameter(f"cannot read {path}: {err.strerror or err}.") from err
    except (UnicodeDecodeError, ValueError) as err:
        raise click.BadParameter(f"{path} is not JSON: {err}.") from err
    if not isinstance(data, dict):
        raise click.BadParameter(f"{path} must hold a JSON object (got {type(data).__name__}).")
    try:
        return SubmissionPolicy.from_dict(data)
    except (LeadflowError, TypeError) as err:
        raise click.BadParameter(f"{path}: {err}") from err


def _outcomes_format(ctx: click.Context, param: click.Parameter, path: Path | None) -> Path | None:
    if path is not None and path.suffix.lower() not in FILE_FORMATS:
        raise click.BadParameter(
            f"cannot tell the format of {path} from its extension: use .csv, .jsonl or .ndjson."
        )
    return path


class _Rejection:
    """One refused field of one line."""

    __slots__ = ("field", "line", "reason")

    def __init__(self, line: int, field: str, reason: str) -> None:
        self.line, self.field, self.reason = line, field, reason

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "reason": self.reason}


class _Tally:
    """What a replay did, counted as it goes; the first rejections kept for the summary."""

    def __init__(self, file: Path, store: str, handler: SubmissionHandler) -> None:
        from collections import Counter

        from matching.submissions import ContactAction, LeadAction

        self.file, self.store = file, store
        self.mode = handler.policy.mode.value
        self.strategies = (handler.contact_strategy.name, handler.lead_strategy.name)
        self.lines = self.handled = self.rejected = 0
        self.linked = self.duplicates = self.interactions = 0
        self.contacts: Counter[str] = Counter({a.value: 0 for a in ContactAction})
        self.leads: Counter[str] = Counter({a.value: 0 for a in LeadAction})
        self.warnings: Counter[str] = Counter()
        self.rejected_fields: Counter[str] = Counter()
        self.shown: list[_Rejection] = []

    def handle(self, outcome: SubmissionOutcome) -> None:
        self.handled += 1
        self.contacts[outcome.contact_action.value] += 1
        self.leads[outcome.lead_action.value] += 1
        self.linked += outcome.contact_id is not None and outcome.lead_id is not None
        self.duplicates += len(outcome.duplicates)
        self.interactions += outcome.interaction_id is not None
        self.warnings.update(outcome.codes)

    def reject(self, problems: list[_Rejection]) -> None:
        self.rejected += 1
        self.rejected_fields.update(p.field for p in problems)
        if self.rejected <= SHOWN_SUBMIT_REJECTIONS:
            self.shown.extend(problems)

    def to_dict(self) -> dict[str, Any]:
        """The summary as plain JSON values (``--json``)."""
        return {
            "file": str(self.file),
            "store": self.store,
            "mode": self.mode,
            "contact_strategy": self.strategies[0],
            "lead_strategy": self.strategies[1],
            "lines": self.lines,
            "handled": self.handled,
            "rejected": self.rejected,
            "contacts": dict(self.contacts),
            "leads": dict(self.leads),
            "linked": self.linked,
            "probable_duplicates": self.duplicates,
            "interactions": self.interactions,
            "warnings": dict(sorted(self.warnings.items())),
            "rejected_fields": dict(sorted(self.rejected_fields.items())),
            "rejections": [r.to_dict() for r in self.shown],
        }


def _match_text(match: MatchInfo | None) -> str:
    """A :class:`~matching.MatchInfo` in a few words: ``contact-fuzzy (lookup, score 0.83)``."""
    if match is None:
        return ""
    score = "" if match.score is None else f", score {match.score:.3f}"
    return f"{match.strategy} ({match.via}{score})"


def _match_dict(match: MatchInfo | None) -> dict[str, Any] | None:
    if match is None:
        return None
    return {
        "strategy": match.strategy,
        "fields": list(match.fields),
        "via": match.via,
        "score": match.score,
        "similarities": dict(match.similarities),
    }


class _OutcomeSink:
    """Writes one line per submission to ``--outcomes`` (CSV or JSON Lines), as it goes."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._file: Any = None
        self._csv: Any = None

    def __enter__(self) -> _OutcomeSink:
        import csv

        if self.path is None:
            return self
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("w", encoding="utf-8", newline="")
        except OSError as err:
            raise click.ClickException(f"cannot write {self.path}: {err.strerror or err}") from err
        if FILE_FORMATS[self.path.suffix.lower()] == "csv":
            self._csv = csv.writer(self._file)
            self._csv.writerow(OUTCOME_COLUMNS)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()

    def write(
        self,
        line: int,
        outcome: SubmissionOutcome | None = None,
        problems: Sequence[_Rejection] = (),
    ) -> None:
        if self._file is None:
            return
        if self._csv is not None:
            self._csv.writerow(self._csv_row(line, outcome, problems))
        else:
            import json

            row = self._json_row(line, outcome, problems)
            self._file.write(json.dumps(row, ensure_ascii=False) + "\n")

    @staticmethod
    def _csv_row(
        line: int, outcome: SubmissionOutcome | None, problems: Sequence[_Rejection]
    ) -> tuple[object, ...]:
        if outcome is None:
            reasons = "; ".join(f"{p.field}: {p.reason.rstrip('.')}" for p in problems)
            return (line, "rejected", "", "", "", "", "", "", "", "", "", reasons)
        return (
            line,
            "handled",
            outcome.contact_action.value,
            outcome.lead_action.value,
            outcome.contact_id or "",
            outcome.lead_id or "",
            outcome.interaction_id or "",
            _match_text(outcome.contact_match),
            _match_text(outcome.lead_match),
            ";".join(f"{d.record_type}:{d.record_id}" for d in outcome.duplicates),
            ";".join(outcome.codes),
            "",
        )

    @staticmethod
    def _json_row(
        line: int, outcome: SubmissionOutcome | None, problems: Sequence[_Rejection]
    ) -> dict[str, Any]:
        if outcome is None:
            empty: dict[str, Any] = dict.fromkeys(OUTCOME_COLUMNS[2:-3])
            rejections = [{"field": p.field, "reason": p.reason} for p in problems]
            return {
                "line": line,
                "status": "rejected",
                **empty,
                "duplicates": [],
                "warnings": [],
                "rejections": rejections,
            }
        return {
            "line": line,
            "status": "handled",
            "contact_action": outcome.contact_action.value,
            "lead_action": outcome.lead_action.value,
            "contact_id": outcome.contact_id,
            "lead_id": outcome.lead_id,
            "interaction_id": outcome.interaction_id,
            "contact_match": _match_dict(outcome.contact_match),
            "lead_match": _match_dict(outcome.lead_match),
            "duplicates": [
                {
                    "record_type": d.record_type,
                    "record_id": d.record_id,
                    "modifiedon": None if d.modifiedon is None else d.modifiedon.isoformat(),
                }
                for d in outcome.duplicates
            ],
            "warnings": [{"code": w.code, "text": w.text} for w in outcome.warnings],
            "rejections": [],
        }


def _read_submission(number: int, raw: bytes) -> dict[str, Any] | _Rejection | None:
    """One line of the file as a JSON value; a :class:`_Rejection` when it cannot be one.
    Blank lines are ``None``."""
    import json

    try:
        text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError:
        return _Rejection(number, "submission", "is not UTF-8 text.")
    if not text.strip():
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        return _Rejection(number, "submission", f"is not JSON: {err.msg} (column {err.colno}).")
    except (ValueError, RecursionError) as err:
        return _Rejection(number, "submission", f"is not usable JSON: {err}.")
    if not isinstance(value, dict):
        return _Rejection(
            number, "submission", f"must be a JSON object (got {type(value).__name__})."
        )
    return value


def _replay(
    file: Path,
    handler: SubmissionHandler,
    tally: _Tally,
    sink: _OutcomeSink,
    progress: Callable[[int], object] | None,
) -> _Tally:
    """Hand every line of ``file`` to ``handler``; a bad line is counted, never fatal."""
    from matching.errors import SubmissionRejected

    with file.open("rb") as lines:
        for number, raw in enumerate(lines, start=1):
            if progress is not None:
                progress(number)
            data = _read_submission(number, raw)
            if data is None:
                continue
            tally.lines += 1
            problems: list[_Rejection] = []
            if isinstance(data, _Rejection):
                problems = [data]
            else:
                stopped = (
                    f" (at line {number}; the submissions before it were handled and stay "
                    "stored, each in its own transaction)"
                )
                try:
                    with _database_errors(stopped):
                        outcome = handler.submit(data)
                except SubmissionRejected as err:
                    problems = [_Rejection(number, p.path, p.reason) for p in err.problems]
                except LeadflowError as err:
                    problems = [_Rejection(number, "submission", str(err))]
                else:
                    tally.handle(outcome)
                    sink.write(number, outcome)
                    continue
            tally.reject(problems)
            sink.write(number, None, problems)
    return tally


def _print_summary(tally: _Tally, outcomes: Path | None) -> None:
    from rich import box
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else REPORT_WIDTH, highlight=False)
    console.print(
        f"Submitted {escape(str(tally.file))} into {escape(tally.store)}: "
        f"{tally.lines:,} submissions read, {tally.handled:,} handled, "
        f"{tally.rejected:,} rejected."
    )
    console.print(
        f"Mode {tally.mode}; contact strategy {escape(tally.strategies[0])}, "
        f"lead strategy {escape(tally.strategies[1])}."
    )
    table = Table(box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("Records", no_wrap=True)
    for name in ("created", "updated", "matched-closed", "blocked"):
        table.add_column(name, justify="right")
    table.add_column("linked", justify="right")

    def count(counter: Any, key: str) -> str:
        return f"{counter[key]:,}" if key in counter else "-"

    table.add_row(
        "contacts",
        *(count(tally.contacts, k) for k in ("created", "updated", "matched-closed", "blocked")),
        "-",
    )
    table.add_row(
        "leads",
        *(count(tally.leads, k) for k in ("created", "updated", "matched-closed", "blocked")),
        f"{tally.linked:,}",
    )
    console.print(table)
    console.print(
        f"Probable duplicates reported: {tally.duplicates:,} {cite('D3')}. "
        f"Interactions stored: {tally.interactions:,}."
    )
    if tally.warnings:
        warnings = Table("Warning", "Submissions", "Meaning", box=box.SIMPLE_HEAD)
        for code, n in sorted(tally.warnings.items()):
            warnings.add_row(escape(code), f"{n:,}", escape(WARNING_MEANINGS.get(code, "")))
        console.print(warnings)
    if tally.rejected:
        click.echo(f"Rejected lines ({tally.rejected:,}), nothing written for them:")
        for rejection in tally.shown:
            click.echo(f"  {rejection}")
        hidden = tally.rejected - min(tally.rejected, SHOWN_SUBMIT_REJECTIONS)
        if hidden:
            hint = "" if outcomes else " (--outcomes FILE.csv lists them all)"
            click.echo(f"  ... and {hidden:,} more lines{hint}")
    if outcomes is not None:
        click.echo(f"wrote one line per submission to {outcomes}")


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_db_option
@_busy_option
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default=None,
    help="Which records the form updates [default: the policy's, else contacts-and-leads].",
)
@click.option(
    "--contact-strategy",
    type=_StrategyParam("contact"),
    default="contact-by-email",
    show_default=True,
    help="A preset's name (see matching.PRESETS) or a JSON strategy file.",
)
@click.option(
    "--lead-strategy",
    type=_StrategyParam("lead"),
    default="lead-by-email-and-page",
    show_default=True,
    help="A preset's name (see matching.PRESETS) or a JSON strategy file.",
)
@click.option(
    "--policy",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    callback=_load_policy,
    help="A JSON SubmissionPolicy (mode, generate_leads_without_matching, on_closed_contact, "
    "on_closed_lead, on_tombstoned); --mode and --generate-leads-without-matching override it.",
)
@click.option(
    "--generate-leads-without-matching",
    is_flag=True,
    help="Always create a new lead, without looking for one (Dynamics' form setting).",
)
@click.option(
    "--outcomes",
    type=click.Path(dir_okay=False, path_type=Path),
    callback=_outcomes_format,
    help="Write what happened to every line here: .csv, or .jsonl / .ndjson.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option("--strict", is_flag=True, help="Exit with 1 when any line was rejected.")
def submit(
    file: Path,
    url: str | None,
    busy_timeout: float,
    mode: str | None,
    contact_strategy: MatchStrategy,
    lead_strategy: MatchStrategy,
    policy: SubmissionPolicy | None,
    generate_leads_without_matching: bool,
    outcomes: Path | None,
    as_json: bool,
    strict: bool,
) -> None:
    """Replay a JSON Lines FILE of form submissions, one object per line.

    Each line goes through one SubmissionHandler, in its own transaction, exactly
    as a form handler would hand it over: the contact is found or created, then the
    lead, the lead is linked to the contact and the submission kept as an
    interaction. The summary counts what was created, updated, linked and blocked,
    the warnings by code, and lists rejected lines with their line number, field
    and reason. A line that is not JSON, or not an object, is rejected like an
    invalid submission; it never stops the run. Blank lines are skipped.

    Exits with 0 once the file has been replayed, rejected lines or not (form posts
    are often junk; --strict exits with 1 instead, as `db import` does). An unusable
    FILE, strategy or policy is a usage error (exit code 2) and nothing is written.
    """
    import json

    from matching.handler import SubmissionHandler
    from matching.submissions import SubmissionPolicy

    settings = (policy or SubmissionPolicy()).to_dict()
    if mode is not None:
        settings["mode"] = mode
    if generate_leads_without_matching:
        settings["generate_leads_without_matching"] = True
    store = _open_store(url, create=True, busy_timeout=busy_timeout)
    try:
        handler = SubmissionHandler(
            store, contact_strategy, lead_strategy, policy=SubmissionPolicy.from_dict(settings)
        )
        tally = _Tally(file, store.url, handler)
        with _OutcomeSink(outcomes) as sink:
            _with_progress(
                file,
                "submissions",
                lambda progress: _replay(file, handler, tally, sink, progress),
            )
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(tally.to_dict(), indent=2, ensure_ascii=False))
    else:
        _print_summary(tally, outcomes)
    if strict and tally.rejected:
        raise SystemExit(1)


def main() -> None:
    """Entry point of the ``leadflow`` console script."""
    cli.main(prog_name="leadflow")


if __name__ == "__main__":  # pragma: no cover
    main()
