"""``leadflow submit``: replay a JSON Lines file of form submissions through one handler,
with a progress bar, a summary and, on request, every line's outcome."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from lifecycle.decisions import cite
from lifecycle.errors import LeadflowError
from matching.cli.common import (
    FILE_FORMATS,
    REPORT_WIDTH,
    busy_option,
    database_errors,
    db_option,
    open_store_at,
    readable,
    with_progress,
)
from matching.cli.outcomes import (
    SHOWN_SUBMIT_REJECTIONS,
    OutcomeSink,
    Rejection,
    Tally,
)

if TYPE_CHECKING:
    from matching.handler import SubmissionHandler
    from matching.strategies import MatchStrategy
    from matching.submissions import SubmissionPolicy

MODES = ("contacts-and-leads", "only-leads", "only-contacts")
"""The values of :class:`matching.Mode` (spelled out so ``--help`` imports nothing heavy)."""


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
    "older-than-record": "made before the matched record's last change: its values not applied",
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


def _read_submission(number: int, raw: bytes) -> dict[str, Any] | Rejection | None:
    """One line of the file as a JSON value; a :class:`Rejection` when it cannot be one.
    Blank lines are ``None``."""
    import json

    try:
        text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError:
        return Rejection(number, "submission", "is not UTF-8 text.")
    if not text.strip():
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        return Rejection(number, "submission", f"is not JSON: {err.msg} (column {err.colno}).")
    except (ValueError, RecursionError) as err:
        return Rejection(number, "submission", f"is not usable JSON: {err}.")
    if not isinstance(value, dict):
        return Rejection(
            number, "submission", f"must be a JSON object (got {type(value).__name__})."
        )
    return value


def _replay(
    file: Path,
    handler: SubmissionHandler,
    tally: Tally,
    sink: OutcomeSink,
    progress: Callable[[int], object] | None,
) -> Tally:
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
            problems: list[Rejection] = []
            if isinstance(data, Rejection):
                problems = [data]
            else:
                stopped = (
                    f" (at line {number}; the submissions before it were handled and stay "
                    "stored, each in its own transaction)"
                )
                try:
                    with database_errors(stopped):
                        outcome = handler.submit(data)
                except SubmissionRejected as err:
                    problems = [Rejection(number, p.path, p.reason) for p in err.problems]
                except LeadflowError as err:
                    problems = [Rejection(number, "submission", str(err))]
                else:
                    tally.handle(outcome)
                    sink.write(number, data, outcome)
                    continue
            tally.reject(problems)
            sink.write(number, data, None, problems)
    return tally


def _print_summary(tally: Tally, outcomes: Path | None) -> None:
    from rich import box
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else REPORT_WIDTH, highlight=False)
    console.print(
        f"Submitted {escape(tally.file)} into {escape(tally.store)}: "
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
    if tally.payload_only:
        kept = ", ".join(
            f"{escape(name)} ({n:,})" for name, n in sorted(tally.payload_only.items())
        )
        console.print(
            f"Fields no record takes, kept only in the interactions' payload (submissions): {kept}."
        )
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


@click.command()
@click.argument(
    "file", type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path)
)
@db_option
@busy_option
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

    A line's `submittedon` (ISO 8601, e.g. 2026-03-02T10:30:00Z) is when it was
    submitted, and its records and interaction are dated so; a line without one is
    dated now. Fields no record takes are kept in the interaction's payload only,
    and the summary names them. --outcomes repeats each line's submittedon, email
    and name beside what happened to it. FILE - reads standard input.

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
    with open_store_at(url, create=True, busy_timeout=busy_timeout) as store:
        handler = SubmissionHandler(
            store, contact_strategy, lead_strategy, policy=SubmissionPolicy.from_dict(settings)
        )
        tally = Tally(file, store.url, handler)
        with OutcomeSink(outcomes) as sink, readable(file, ".jsonl") as source:
            with_progress(
                source,
                "submissions",
                lambda progress: _replay(source, handler, tally, sink, progress),
            )
    if as_json:
        click.echo(json.dumps(tally.to_dict(), indent=2, ensure_ascii=False))
    else:
        _print_summary(tally, outcomes)
    if strict and tally.rejected:
        raise SystemExit(1)
