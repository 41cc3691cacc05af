"""Local settings: each is documented as local, and each is used by a rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from hosentinel.knowledge.loader import default_knowledge

SRC = Path(__file__).parents[2] / "src" / "hosentinel"
KNOWLEDGE = default_knowledge()


@pytest.mark.parametrize("setting_id", sorted(KNOWLEDGE.settings))
def test_setting_is_documented_and_used(setting_id: str) -> None:
    setting = KNOWLEDGE.settings[setting_id]
    assert setting.why_local.strip() and setting.description.strip() and setting.unit
    code = [p for p in SRC.glob("core/*.py") if f'"{setting_id}"' in p.read_text()]
    data = [
        p
        for p in SRC.glob("knowledge/data/**/*.yaml")
        if p.name != "settings.yaml" and setting_id in p.read_text()
    ]
    assert code + data, f"{setting_id} is defined but no rule uses it"
