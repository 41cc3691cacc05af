"""The server loads the notes pipeline at start-up, on a thread, not on the first note."""

from __future__ import annotations

from hosentinel.knowledge.loader import load_knowledge
from hosentinel.notes import context
from hosentinel.notes.vocab import vocabulary
from hosentinel.notes.warmup import start


def test_warm_up_builds_the_pipeline() -> None:
    knowledge = load_knowledge()
    context._PIPELINES.clear()
    start(knowledge).join(timeout=300)
    assert id(vocabulary(knowledge).context) in context._PIPELINES
    # spaCy itself, not only the gate that decides whether a sentence needs it (reach.py)
    assert context.context_for(vocabulary(knowledge).context).loaded
