"""`hosentinel assess` (one patient's Bundle, the CLI contract) and `hosentinel demo`."""

from __future__ import annotations

import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import orjson
import typer

from hosentinel.cli.common import fail, parse_as_of

assess_app = typer.Typer()


class OutputFormat(StrEnum):
    json = "json"
    text = "text"


@assess_app.command()
def assess(
    bundle: Annotated[Path, typer.Argument(help="A FHIR R4 Bundle (JSON) for one patient.")],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Assess as of this date (YYYY-MM-DD); default today."),
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="json for machines, text for people.")
    ] = OutputFormat.json,
) -> None:
    """Assess one patient's Bundle and print the assessment."""
    # Imported here so `hosentinel --help` starts without loading the engine and its models.
    from hosentinel.core.engine import evaluate
    from hosentinel.core.output import assessment_json
    from hosentinel.fhir.importer import BundleError, read_bundle
    from hosentinel.knowledge.loader import KnowledgeError, default_knowledge

    day = date.today() if as_of is None else parse_as_of(as_of)
    try:
        raw = bundle.read_bytes()
    except OSError as exc:
        fail(f"cannot read {bundle}: {exc.strerror or exc}")
    try:
        knowledge = default_knowledge()
        record = read_bundle(raw, knowledge)
    except BundleError as exc:
        fail(f"{bundle}: {exc}")
    except KnowledgeError as exc:
        fail(f"the knowledge base is invalid: {exc}")
    # Dates are bounded (years 1800-2199) on the way in, so the engine's arithmetic stays in range.
    assessment = evaluate(record, knowledge, day)
    if output is OutputFormat.json:
        sys.stdout.buffer.write(
            orjson.dumps(assessment_json(assessment), option=orjson.OPT_INDENT_2)
        )
        sys.stdout.write("\n")
    else:
        from hosentinel.report import print_assessment

        print_assessment(assessment)


@assess_app.command()
def demo(
    full: Annotated[bool, typer.Option("--full", help="Print every patient's assessment.")] = False,
) -> None:
    """Assess the bundled synthetic demo patients and print the results."""
    from hosentinel.core.engine import evaluate
    from hosentinel.demo.catalog import load_catalog
    from hosentinel.fhir.importer import read_bundle
    from hosentinel.knowledge.loader import default_knowledge
    from hosentinel.report import print_assessment, print_demo_summary

    knowledge = default_knowledge()
    rows = []
    for entry in load_catalog():
        record = read_bundle(entry.path.read_bytes(), knowledge)
        assessment = evaluate(record, knowledge, entry.as_of)
        rows.append((entry, assessment))
        if full:
            print_assessment(assessment, title=entry.title)
    print_demo_summary(rows, knowledge.release, knowledge.digest)
