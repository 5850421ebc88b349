"""The ``leadflow`` command line, one module per command group: ``diagram``, ``demo``,
``db`` (upgrade, import, export, dump, restore; ``stats`` and ``find`` from
:mod:`matching.cli.inspect`), ``submit`` and ``dedupe``; what they share is in
:mod:`matching.cli.common`.

Errors leadflow raises (:class:`~lifecycle.errors.LeadflowError`) are shown as one
line, ``Error: <message>``, with exit code 1; usage errors exit with code 2.
Heavy modules (rich, the demo, the record store, pandas) load only when their command
runs, so ``leadflow --help`` starts quickly.
"""

from __future__ import annotations

import click

from matching.cli.common import LeadflowGroup
from matching.cli.db import db
from matching.cli.dedupe import dedupe
from matching.cli.demo import demo
from matching.cli.diagram import diagram
from matching.cli.inspect import db_find, db_stats
from matching.cli.submit import submit

__all__ = ["cli", "main"]


@click.group(cls=LeadflowGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="leadflow", prog_name="leadflow")
def cli() -> None:
    """leadflow keeps a CRM's leads and contacts honest."""


for _command in (diagram, demo, db, submit, dedupe):
    cli.add_command(_command)
for _command in (db_stats, db_find):
    db.add_command(_command)


def main() -> None:
    """Entry point of the ``leadflow`` console script."""
    cli.main(prog_name="leadflow")
