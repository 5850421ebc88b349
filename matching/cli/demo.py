"""``leadflow demo``: the story of a small CRM, saved into the embedded store."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from matching.cli.common import REPORT_WIDTH


@click.command()
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
