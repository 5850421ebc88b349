"""The demo's diagrams and report: the story's records, steps and answers printed with
rich, the store it was saved into (:mod:`matching.demo.store`) and the form submissions
that landed in it (:mod:`matching.demo.submissions`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from lifecycle import Account, Contact, Lead, Record
from lifecycle.decisions import cite
from lifecycle.definitions import MACHINES
from lifecycle.diagram import EXTENSIONS, render, to_dot, to_mermaid
from lifecycle.errors import DiagramError
from matching.demo.store import StoreTour, fresh_store, tour_store
from matching.demo.story import (
    CHECKED_AT,
    START,
    SUBMITTED_AT,
    DemoRun,
    DiagramFiles,
    run_scenario,
    state_and_status,
)
from matching.demo.submissions import SubmissionTour, tour_submissions

# --- diagrams ------------------------------------------------------------------------------


def write_diagrams(out: Path) -> DiagramFiles:
    """Write every machine as ``<name>.mmd`` and ``<name>.dot``, and ``<name>.svg`` when
    Graphviz's ``dot`` is installed; ``skipped`` says why SVGs were not written."""
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for name, definition in MACHINES.items():
        for fmt, text in (("mermaid", to_mermaid(definition)), ("dot", to_dot(definition))):
            path = out / f"{name}.{EXTENSIONS[fmt]}"
            path.write_text(text, encoding="utf-8")
            paths.append(path)
    skipped = None
    try:
        svgs = [(out / f"{name}.svg", render(d, "svg")) for name, d in MACHINES.items()]
    except DiagramError as err:
        skipped = str(err)
    else:
        for path, data in svgs:
            path.write_bytes(data)
            paths.append(path)
    return DiagramFiles(tuple(paths), skipped)


# --- report --------------------------------------------------------------------------------

_TYPE_ORDER = (Lead, Contact, Account)


def _when(at: dt.datetime) -> str:
    return at.strftime("%b %d")


def _coded(label: str, code: int | None) -> str:
    return f"{label} {'-' if code is None else code}"


def _notes(run: DemoRun, record: Record) -> str:
    notes: list[str] = []
    if isinstance(record, Lead):
        if record.parentcontactid:
            notes.append(f"contact {run.name(record.parentcontactid)}")
        if record.parentaccountid:
            notes.append(f"account {run.name(record.parentaccountid)}")
        if record.qualifyingopportunityid:
            notes.append(f"opportunity {run.name(record.qualifyingopportunityid)}")
    if isinstance(record, Contact) and record.parentcustomerid:
        notes.append(f"at {run.name(record.parentcustomerid)}")
    if isinstance(record, Account) and record.primarycontactid:
        notes.append(f"primary contact {run.name(record.primarycontactid)}")
    if isinstance(record, Contact | Account) and record.originatingleadid:
        notes.append("from a lead")
    if record.merged:
        notes.append(f"merged into {run.name(record.masterid)}")
    if record.anonymized:
        notes.append("anonymized")
    return ", ".join(notes)


def _table(title: str, *columns: str, wrap: tuple[str, ...] = ()) -> Table:
    """A table whose columns do not wrap, except those named in ``wrap``."""
    table = Table(title=title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD)
    for column in columns:
        table.add_column(column, no_wrap=column not in wrap)
    return table


def print_report(
    run: DemoRun,
    files: DiagramFiles,
    console: Console,
    tour: StoreTour | None = None,
    submissions: SubmissionTour | None = None,
) -> None:
    """Show the steps, the records, one lead's history, the refusals, the store, the form
    submissions and the diagrams."""
    console.rule("[bold]leadflow demo[/bold]")
    console.print(
        "A healthcare company's CRM, changed only through its lifecycles' triggers, "
        f"on a fixed clock starting {START:%Y-%m-%d %H:%M} UTC.",
        highlight=False,
    )
    console.print()

    steps = _table("What happened", "When", "Record", "Action", "Result", wrap=("Action", "Result"))
    for step in run.steps:
        result = "[red]refused[/red] (see below)" if step.refused else escape(step.outcome)
        steps.add_row(_when(step.at), escape(step.record), escape(step.action), result)
    console.print(steps)

    records = _table(
        "Records (links and flags in grey)",
        "Type",
        "Record",
        "State, code",
        "Status, code",
        wrap=("Record",),
    )
    for record in sorted(run.records, key=lambda r: _TYPE_ORDER.index(type(r))):
        notes = _notes(run, record)
        records.add_row(
            type(record).__name__,
            escape(run.name(record.id)) + (f"\n[dim]{escape(notes)}[/dim]" if notes else ""),
            _coded(record.state.label, record.statecode),
            _coded(record.status.label, record.statuscode),
        )
    console.print(records)

    lead = run.featured
    title = f"History of lead {run.name(lead.id)}"
    history = _table(title, "When", "Trigger", "From → to", "By", wrap=("By",))
    for event in lead.history:
        before = state_and_status(event.from_state.label, event.from_status.label)
        after = state_and_status(event.to_state.label, event.to_status.label)
        by = (event.actor or "") + (f': "{event.note}"' if event.note else "")
        history.add_row(_when(event.at), event.trigger, f"{before} → {after}", escape(by))
    console.print(history)

    title = "Refused, and why (each record was left unchanged)"
    refused = _table(title, "Record", "Tried", "Why", wrap=("Tried", "Why"))
    for step in run.refusals:
        refused.add_row(escape(step.record), escape(step.action), escape(step.outcome))
    console.print(refused)

    title = f"Will marketing still email them? (asked {CHECKED_AT:%Y-%m-%d %H:%M} UTC)"
    answers = _table(title, "Record", "State", "Message", "Sent?", "Why not", wrap=("Why not",))
    for entry in run.eligibility:
        for index, decision in enumerate(entry.decisions):
            first = index == 0
            answers.add_row(
                escape(entry.record) if first else "",
                escape(entry.situation) if first else "",
                decision.kind.value,
                "[green]yes[/green]" if decision else "[red]no[/red]",
                escape(", ".join(decision.codes)),
                end_section=index == len(entry.decisions) - 1,
            )
    console.print(answers)
    console.print(
        "Deactivating a contact or disqualifying a lead stops marketing (commercial) email and "
        "materials; transactional and manual email still reach them unless Email is set to "
        f"Do Not Allow {cite('D7')} {cite('D8')}. Marketing Materials gates brochures, never "
        f"email {cite('D10')}.",
        highlight=False,
    )
    console.print()

    if tour is not None:
        _print_tour(tour, console)
    if submissions is not None:
        _print_submissions(submissions, console)

    console.print("[bold]Diagrams[/bold], generated from the machine definitions:")
    for path in files.paths:
        console.print(f"  {path}", highlight=False, soft_wrap=True)
    if files.skipped is not None:
        console.print(f"SVG diagrams skipped: {files.skipped}", highlight=False, soft_wrap=True)


def _print_tour(tour: StoreTour, console: Console) -> None:
    title = f"In the store ({tour.url})"
    table = _table(title, "Asked", "Answer", wrap=("Asked", "Answer"))
    for step in tour.steps:
        answer = (
            f"[red]refused:[/red] {escape(step.outcome)}" if step.refused else escape(step.outcome)
        )
        table.add_row(escape(step.action), answer)
    console.print(table)
    held = ", ".join(f"{count} {kind.lower()}s" for kind, count in tour.counts.items())
    console.print(
        f"The store now holds {held}. Saves check the version a record was loaded at, so "
        "a stale copy is refused instead of overwriting; a deleted record's email stays "
        f"tombstoned so a sync cannot resurrect it {cite('D14')}.",
        highlight=False,
    )
    console.print()


def _print_submissions(tour: SubmissionTour, console: Console) -> None:
    console.print(
        f"[bold]Form submissions landing[/bold] through one SubmissionHandler "
        f"({tour.contact_strategy}, {tour.lead_strategy}) {cite('D2')}",
        highlight=False,
    )
    for number, landing in enumerate(tour.landings, start=1):
        colour = "red" if landing.rejected else "yellow" if landing.codes else "green"
        console.print(f"{number}. {escape(landing.told)}", highlight=False)
        outcome = Text.from_markup(f"[{colour}]→[/{colour}] {escape(landing.outcome)}")
        console.print(Padding(outcome, (0, 0, 0, 3), expand=False), highlight=False)
    for line in tour.afterwards:
        console.print(line, highlight=False)
    console.print(
        "Each submission is one transaction: contact first, then lead, the lead linked to the "
        "contact and the submission kept as an interaction credited to both. A rejected one "
        "writes nothing. `leadflow submit FILE.jsonl` replays a file of them.",
        highlight=False,
    )
    console.print()


def run_demo(out: Path, console: Console | None = None, db: Path | None = None) -> DemoRun:
    """Run the story, save it into a fresh SQLite store (``db``, by default
    ``out/leadflow.db``), let form submissions land in it, write the diagrams into
    ``out`` and print the report."""
    run = run_scenario()
    files = write_diagrams(out)
    with fresh_store(db or out / "leadflow.db") as store:
        tour = tour_store(run.records, run.names, store, CHECKED_AT)
        landed = tour_submissions(store, run.names, SUBMITTED_AT)
    print_report(run, files, console or Console(), tour, landed)
    return run
