"""The catalog of bundled synthetic demo patients (`demo/catalog.yaml`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True, slots=True)
class DemoPatient:
    file: str
    path: Path
    patient: str
    title: str
    population: str
    stage: str
    as_of: date
    story: str
    expect: dict[str, Any] = field(default_factory=dict)


def demo_dir() -> Path:
    return Path(str(resources.files("hosentinel.demo")))


def load_catalog() -> list[DemoPatient]:
    base = demo_dir()
    raw = yaml.safe_load((base / "catalog.yaml").read_text(encoding="utf-8"))
    return [
        DemoPatient(
            file=item["file"],
            path=base / "bundles" / item["file"],
            patient=item.get("patient", ""),
            title=item["title"],
            population=item["population"],
            stage=item["stage"],
            as_of=date.fromisoformat(str(item["as_of"])),
            story=item.get("story", ""),
            expect=item.get("expect") or {},
        )
        for item in raw
    ]
