"""Only for `make mutate` (docs/mutation-testing.md); does nothing in a normal test run.

The knowledge base remembers each code and text lookup. Under mutmut that hides mutants: its
per-test coverage credits a lookup only to the first test that made it, and each mutant's tests
run in a process forked from one that already ran the suite, so a remembered answer is returned
and a mutated lookup never runs. Emptying the two lookup caches before each test lets every test
that looks a code up run the (possibly mutated) lookup itself.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _lookups_not_remembered_under_mutmut() -> Iterator[None]:
    if os.environ.get("MUTANT_UNDER_TEST"):
        from hosentinel.knowledge.loader import default_knowledge

        knowledge = default_knowledge()
        knowledge._code_cache.clear()
        knowledge._text_cache.clear()
    yield
