"""Fixtures for the screening tests (the helpers they use are in tests/support/screenkit.py)."""

from __future__ import annotations

import pytest

from hosentinel.knowledge.loader import Knowledge, default_knowledge
from hosentinel.screening.synth import SynthOptions, synthesize
from tests.support.screenkit import SMALL, ExportRun


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return default_knowledge()


@pytest.fixture(scope="session")
def small_export(tmp_path_factory: pytest.TempPathFactory) -> ExportRun:
    """200 patients, several files per resource type."""
    out = tmp_path_factory.mktemp("small-export")
    synthesize(out, SynthOptions(patients=SMALL, seed=11, max_lines=2500))
    return ExportRun(out, SMALL)
