"""`hosentinel export`: the assessment as FHIR R4 resources in a Bundle."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import orjson
import typer

from hosentinel.cli.common import fail, parse_as_of

export_app = typer.Typer()


@export_app.command()
def export(
    bundle: Annotated[
        Path | None, typer.Argument(help="Assess this Bundle (or use --patient and --database).")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="YYYY-MM-DD (default today).")
    ] = None,
    patient: Annotated[str | None, typer.Option(help="A patient id in the database.")] = None,
    database: Annotated[str | None, typer.Option(help="SQLAlchemy URL.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write here instead of stdout.")] = None,
) -> None:
    """Write the assessment as FHIR R4 resources in a Bundle."""
    from hosentinel.core.engine import evaluate
    from hosentinel.fhir.export import assessment_bundle
    from hosentinel.fhir.importer import BundleError, read_bundle
    from hosentinel.knowledge.loader import default_knowledge

    day = parse_as_of(as_of) if as_of else date.today()
    knowledge = default_knowledge()
    if bundle is not None:
        try:
            record = read_bundle(bundle.read_bytes(), knowledge)
        except OSError as exc:
            fail(f"cannot read {bundle}: {exc.strerror or exc}")
        except BundleError as exc:
            fail(f"{bundle}: {exc}")
    elif patient is not None:
        from hosentinel.store.db import default_url, make_engine, make_sessionmaker
        from hosentinel.store.records import load_record

        engine = make_engine(database or default_url())
        with make_sessionmaker(engine)() as session:
            found = load_record(session, patient)
        if found is None:
            fail(f"no patient {patient!r} in the database")
        record = found
    else:
        fail("give a BUNDLE file, or --patient ID (with --database)")
    payload = orjson.dumps(
        assessment_bundle(evaluate(record, knowledge, day), knowledge), option=orjson.OPT_INDENT_2
    )
    if out is not None:
        out.write_bytes(payload + b"\n")
    else:
        sys.stdout.buffer.write(payload + b"\n")
