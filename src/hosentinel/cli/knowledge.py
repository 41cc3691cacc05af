"""`hosentinel knowledge`: the knowledge release, its digest and the local settings."""

from __future__ import annotations

import typer

from hosentinel.cli.common import fail

knowledge_app = typer.Typer()


@knowledge_app.command()
def knowledge() -> None:
    """Show the knowledge release, its digest, what it holds and the local settings."""
    from hosentinel.knowledge.loader import KnowledgeError, default_knowledge
    from hosentinel.report import print_knowledge

    try:
        loaded = default_knowledge()
    except KnowledgeError as exc:
        fail(f"the knowledge base is invalid: {exc}")
    print_knowledge(loaded)
