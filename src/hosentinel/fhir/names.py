"""A person's name for display, from a FHIR R4 Patient (or Practitioner) resource."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# HumanName.use values in the order a list of people should prefer them; old and temp last.
_PREFERRED_USES = ("official", "usual", None, "nickname", "anonymous", "maiden", "temp", "old")


def display_name(resource: Mapping[str, Any]) -> str | None:
    """ "Given Family" from the best HumanName (`text` when it has no parts); None when the
    resource has no usable name."""
    names = [n for n in resource.get("name") or () if isinstance(n, Mapping)]

    def rank(name: Mapping[str, Any]) -> int:
        use = name.get("use")
        return _PREFERRED_USES.index(use) if use in _PREFERRED_USES else len(_PREFERRED_USES)

    for name in sorted(names, key=rank):
        given = [g for g in name.get("given") or () if isinstance(g, str) and g.strip()]
        family = name.get("family")
        parts = [*given, family] if isinstance(family, str) and family.strip() else given
        text = " ".join(p.strip() for p in parts) or name.get("text")
        if isinstance(text, str) and text.strip():
            return text.strip()[:200]
    return None
