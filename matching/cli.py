"""The ``leadflow`` command line: ``leadflow diagram`` and ``leadflow demo``.

Errors leadflow raises (:class:`~lifecycle.errors.LeadflowError`) are shown as one
line, ``Error: <message>``, with exit code 1; usage errors exit with code 2.
Heavy modules (rich, the demo) load only when their command runs, so
``leadflow --help`` starts quickly.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from lifecycle.definitions import MACHINES
from lifecycle.diagram import EXTENSIONS, FORMATS, export
from lifecycle.errors import LeadflowError

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


def main() -> None:
    """Entry point of the ``leadflow`` console script."""
    cli.main(prog_name="leadflow")


if __name__ == "__main__":  # pragma: no cover
    main()
