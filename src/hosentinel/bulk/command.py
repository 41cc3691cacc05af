"""The `hosentinel bulk` commands (registered in hosentinel.cli)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated

import typer

bulk_app = typer.Typer(no_args_is_help=True, help="FHIR Bulk Data: fetch an export from an EHR.")

_TYPE = re.compile(r"[A-Z][A-Za-z]{0,63}")
# FHIR instant: a date and time with seconds and a time zone.
_INSTANT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})"
)
EXIT_FAILED = 2
EXIT_ERROR_ENTRIES = 1


def _fail(message: str) -> typer.Exit:
    sys.stderr.write(f"hosentinel: error: {' '.join(message.split())}\n")
    return typer.Exit(EXIT_FAILED)


@bulk_app.command("fetch")
def fetch_command(
    base: Annotated[
        str, typer.Argument(help="The FHIR server's base URL (https; http on loopback).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder for the files and manifest.json.")],
    group: Annotated[
        str | None, typer.Option("--group", help="Export Group/ID (default: Patient/$export).")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only resources changed after this FHIR instant (_since)."),
    ] = None,
    types: Annotated[
        str | None, typer.Option("--type", help="Resource types, comma-separated (_type).")
    ] = None,
    client_id: Annotated[
        str | None, typer.Option("--client-id", help="SMART Backend Services client id.")
    ] = None,
    key: Annotated[
        Path | None,
        typer.Option("--key", help="The client's private key: PEM, or a JWK Set (RS384/ES384)."),
    ] = None,
    token_url: Annotated[
        str | None,
        typer.Option("--token-url", help="Token endpoint (default: from smart-configuration)."),
    ] = None,
    scope: Annotated[str, typer.Option("--scope", help="Scope asked for.")] = "system/*.read",
    parallel: Annotated[int, typer.Option("--parallel", min=1, max=32)] = 4,
    timeout: Annotated[
        float, typer.Option("--timeout", min=1, help="Seconds to wait for the export.")
    ] = 6 * 3600.0,
) -> None:
    """Fetch a Bulk Data export ($export) into a folder that `screen` reads; resumes a stopped
    fetch into the same folder."""
    from rich.console import Console

    from hosentinel.bulk.errors import BulkError
    from hosentinel.bulk.fetch import FetchRequest, default_types, fetch
    from hosentinel.bulk.report import FetchBar, QuietBar, print_result

    wanted = tuple(t.strip() for t in types.split(",") if t.strip()) if types else default_types()
    bad = [t for t in wanted if not _TYPE.fullmatch(t)]
    if bad or not wanted:
        raise _fail(f"--type {types!r}: resource type names, comma-separated")
    if since is not None and not _INSTANT.fullmatch(since):
        raise _fail(f"--since {since!r} is not a FHIR instant (e.g. 2026-12-04T00:00:00Z)")
    request = FetchRequest(
        base=base,
        out=out,
        group=group,
        since=since,
        types=wanted,
        client_id=client_id,
        key=key,
        token_url=token_url,
        scope=scope,
        parallel=parallel,
        timeout_s=timeout,
    )
    err = Console(stderr=True)
    bar = FetchBar(err) if err.is_terminal else QuietBar(err)
    try:
        with bar:
            result = fetch(request, bar)
    except BulkError as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"cannot write {out}: {exc.strerror or exc}") from None
    print_result(result, Console())
    if result.errors:
        raise typer.Exit(EXIT_ERROR_ENTRIES)
