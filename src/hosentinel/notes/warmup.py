"""Load spaCy and medspaCy before the first note arrives (a server, not a one-off command).

The first note a process reads pays for importing spaCy and building the ConText pipeline
(seconds: bench/bench_notes.py); in a server that would land on one unlucky request, a CDS
Hooks call with a deadline among them. `start` does it on a daemon thread at start-up.
"""

from __future__ import annotations

import logging
import threading

from hosentinel.knowledge.loader import Knowledge

_log = logging.getLogger(__name__)


def warm_up(knowledge: Knowledge) -> None:
    from hosentinel.notes.context import context_for
    from hosentinel.notes.extract import read_text
    from hosentinel.notes.vocab import vocabulary

    try:
        vocab = vocabulary(knowledge)
    except LookupError:  # a knowledge base without the notes vocabulary: notes are not read
        _log.info("no notes vocabulary: notes will not be read")
        return
    # Build the ConText pipeline itself: reading a sentence may be answered from the text cache
    # (the same sentence read before), or need no ConText (reach.py), without building it.
    context_for(vocab.context).load()
    read_text("No swelling of the right knee.", vocab)


def start(knowledge: Knowledge) -> threading.Thread:
    thread = threading.Thread(target=warm_up, args=(knowledge,), name="notes-warm-up", daemon=True)
    thread.start()
    return thread
