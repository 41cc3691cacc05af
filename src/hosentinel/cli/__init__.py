"""The `hosentinel` command line.

`hosentinel assess BUNDLE --as-of DATE [--format json|text]` assesses one patient's FHIR Bundle.
`hosentinel demo` assesses the bundled synthetic demo patients. Bad input exits with status 2 and
one line on stderr, never a traceback. Each group of commands is a Typer app in its own module;
the unnamed ones add their commands at the top level, in the order `hosentinel --help` lists them.
"""

from __future__ import annotations

import typer

from hosentinel.bulk.command import bulk_app
from hosentinel.cli.assess import assess_app
from hosentinel.cli.common import EXIT_BAD_INPUT, fail, parse_as_of
from hosentinel.cli.database import database_app
from hosentinel.cli.directory import directory_app
from hosentinel.cli.export import export_app
from hosentinel.cli.knowledge import knowledge_app
from hosentinel.cli.screening import screening_app
from hosentinel.cli.serve import serve_app
from hosentinel.cli.users import user_app

__all__ = ["EXIT_BAD_INPUT", "app", "fail", "main", "parse_as_of"]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="HO Sentinel: clinical decision support for heterotopic ossification.",
)
app.add_typer(assess_app)
app.add_typer(serve_app)
app.add_typer(database_app)
app.add_typer(export_app)
app.add_typer(knowledge_app)
app.add_typer(screening_app)
app.add_typer(directory_app, name="directory")
app.add_typer(bulk_app, name="bulk")
app.add_typer(user_app, name="user")


def main() -> None:
    app()
