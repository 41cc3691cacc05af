"""`hosentinel user`: accounts from the command line."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from hosentinel.cli.common import DatabaseUrl, fail

user_app = typer.Typer(no_args_is_help=True, help="Accounts: create users from the command line.")


@user_app.command("create")
def user_create(
    name: Annotated[str, typer.Argument(help="The username to sign in with.")],
    role: Annotated[str, typer.Option("--role", help="physiatrist, therapist, nurse, ...")],
    unit: Annotated[
        str | None, typer.Option("--unit", help="The unit whose patients a clinician sees.")
    ] = None,
    database: DatabaseUrl = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create an account (the first admin of an empty database, or any later one)."""
    from hosentinel.app.accounts import AccountError, create_user
    from hosentinel.store.db import default_url, make_engine, make_sessionmaker
    from hosentinel.store.migrate import upgrade

    if not password_stdin:
        fail("give the password on standard input with --password-stdin (never as an argument)")
    password = sys.stdin.readline().rstrip("\r\n")
    engine = make_engine(database or default_url())
    try:
        upgrade(engine)
        with make_sessionmaker(engine).begin() as session:
            user = create_user(session, name, role, password, unit)
            where = f" in unit {user.unit}" if user.unit else ""
    except AccountError as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    sys.stdout.write(f"created user {name} ({role}{where})\n")
