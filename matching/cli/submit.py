"""``leadflow submit``: replay a JSON Lines file of form submissions through one handler,
with a progress bar, a summary and, on request, every line's outcome."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
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
from matching.io.files import is_stdio

if TYPE_CHECKING:
    from matching.handler import SubmissionHandler
    from matching.strategies import MatchStrategy
    from matching.submissions import MatchInfo, SubmissionOutcome, SubmissionPolicy

MODES = ("contacts-and-leads", "only-leads", "only-contacts")
"""The values of :class:`matching.Mode` (spelled out so ``--help`` imports nothing heavy)."""

SHOWN_SUBMIT_REJECTIONS = 20
"""Rejected lines ``submit`` lists; ``--outcomes FILE`` has them all."""

INPUT_COLUMNS = ("submittedon", "emailaddress1", "firstname", "lastname")
"""The input's identifying fields an outcome repeats, so that it reads without joining it
back to the file by line number."""

OUTCOME_COLUMNS = (
    "line",
    *INPUT_COLUMNS,
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
    "payload_only",
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

        self.file = "standard input" if is_stdio(file) else str(file)
        self.store = store
        self.mode = handler.policy.mode.value
        self.strategies = (handler.contact_strategy.name, handler.lead_strategy.name)
        self.lines = self.handled = self.rejected = 0
        self.linked = self.duplicates = self.interactions = 0
        self.contacts: Counter[str] = Counter({a.value: 0 for a in ContactAction})
        self.leads: Counter[str] = Counter({a.value: 0 for a in LeadAction})
        self.warnings: Counter[str] = Counter()
        self.rejected_fields: Counter[str] = Counter()
        self.payload_only: Counter[str] = Counter()
        self.shown: list[_Rejection] = []

    def handle(self, outcome: SubmissionOutcome) -> None:
        self.handled += 1
        self.contacts[outcome.contact_action.value] += 1
        self.leads[outcome.lead_action.value] += 1
        self.linked += outcome.contact_id is not None and outcome.lead_id is not None
        self.duplicates += len(outcome.duplicates)
        self.interactions += outcome.interaction_id is not None
        self.warnings.update(outcome.codes)
        self.payload_only.update(outcome.payload_only)

    def reject(self, problems: list[_Rejection]) -> None:
        self.rejected += 1
        self.rejected_fields.update(p.field for p in problems)
        if self.rejected <= SHOWN_SUBMIT_REJECTIONS:
            self.shown.extend(problems)

    def to_dict(self) -> dict[str, Any]:
        """The summary as plain JSON values (``--json``)."""
        return {
            "file": self.file,
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
            "payload_only": dict(sorted(self.payload_only.items())),
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
        data: object,
        outcome: SubmissionOutcome | None = None,
        problems: Sequence[_Rejection] = (),
    ) -> None:
        if self._file is None:
            return
        given = _input_values(data)
        if self._csv is not None:
            row = self._csv_row(line, outcome, problems)
            self._csv.writerow((row[0], *(given[c] or "" for c in INPUT_COLUMNS), *row[1:]))
        else:
            import json

            record = {"line": line, **given, **self._json_row(outcome, problems)}
            self._file.write(json.dumps(record, ensure_ascii=False) + "\n")

    @staticmethod
    def _csv_row(
        line: int, outcome: SubmissionOutcome | None, problems: Sequence[_Rejection]
    ) -> tuple[object, ...]:
        if outcome is None:
            reasons = "; ".join(f"{p.field}: {p.reason.rstrip('.')}" for p in problems)
            return (line, "rejected", "", "", "", "", "", "", "", "", "", "", reasons)
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
            ";".join(outcome.payload_only),
            "",
        )

    @staticmethod
    def _json_row(
        outcome: SubmissionOutcome | None, problems: Sequence[_Rejection]
    ) -> dict[str, Any]:
        if outcome is None:
            empty: dict[str, Any] = dict.fromkeys(OUTCOME_COLUMNS[2 + len(INPUT_COLUMNS) : -4])
            rejections = [{"field": p.field, "reason": p.reason} for p in problems]
            return {
                "status": "rejected",
                **empty,
                "duplicates": [],
                "warnings": [],
                "payload_only": [],
                "rejections": rejections,
            }
        return {
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
            "payload_only": list(outcome.payload_only),
            "rejections": [],
        }


def _input_values(data: object) -> dict[str, str | None]:
    """The input's identifying fields (:data:`INPUT_COLUMNS`) as text, ``None`` where the
    line has none (or is not a JSON object)."""
    given = data if isinstance(data, dict) else {}
    values: dict[str, str | None] = {}
    for column in INPUT_COLUMNS:
        value = given.get(column)
        values[column] = None if value is None else str(value)
    return values


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
                    with database_errors(stopped):
                        outcome = handler.submit(data)
                except SubmissionRejected as err:
                    problems = [_Rejection(number, p.path, p.reason) for p in err.problems]
                except LeadflowError as err:
                    problems = [_Rejection(number, "submission", str(err))]
                else:
                    tally.handle(outcome)
                    sink.write(number, data, outcome)
                    continue
            tally.reject(problems)
            sink.write(number, data, None, problems)
    return tally


def _print_summary(tally: _Tally, outcomes: Path | None) -> None:
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
    store = open_store_at(url, create=True, busy_timeout=busy_timeout)
    try:
        handler = SubmissionHandler(
            store, contact_strategy, lead_strategy, policy=SubmissionPolicy.from_dict(settings)
        )
        tally = _Tally(file, store.url, handler)
        with _OutcomeSink(outcomes) as sink, readable(file, ".jsonl") as source:
            with_progress(
                source,
                "submissions",
                lambda progress: _replay(source, handler, tally, sink, progress),
            )
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(tally.to_dict(), indent=2, ensure_ascii=False))
    else:
        _print_summary(tally, outcomes)
    if strict and tally.rejected:
        raise SystemExit(1)
