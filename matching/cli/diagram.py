"""``leadflow diagram``: a lifecycle's state diagram, generated from its machine."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from lifecycle.definitions import MACHINES
from lifecycle.diagram import EXTENSIONS, FORMATS, export
from matching.cli.common import write_file


@click.command()
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
            write_file(path, export(definition, fmt))
            click.echo(f"wrote {path}")
        return
    content = export(MACHINES[machine], fmt)
    if output is not None:
        write_file(output, content)
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
