"""The exam's vocabulary: the motions HO takes away, per joint, and the four local signs.

Each motion is written with the project's finding code `<joint>-<motion>-rom` (DESIGN.md). Forearm
pronation and supination happen at the elbow and are lost with elbow HO, so they are coded on the
elbow (`elbow-pronation-rom`) and labelled "forearm" on the form.

Degrees are "higher is better" for every motion (DESIGN.md, additions of 2026-12-05): for an
extension, 0 is full extension, a negative value the extension lacking (elbow -30 = lacks 30
degrees), a positive value hyperextension. The accepted ranges below are plausibility limits for
typing errors, not clinical thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass

from hosentinel.core.record import JOINTS, SIDES

SIGNS: tuple[str, ...] = ("pain", "swelling", "warmth", "redness")
ROM_MIN, ROM_MAX = 0.0, 200.0
SIGNED_MIN, SIGNED_MAX = -180.0, 90.0


@dataclass(frozen=True, slots=True)
class Motion:
    joint: str
    motion: str  # as in the finding code: flexion, internal-rotation, pronation
    label: str  # as a clinician reads it: "flexion", "internal rotation", "forearm pronation"

    @property
    def code(self) -> str:
        return f"{self.joint}-{self.motion}-rom"

    @property
    def signed(self) -> bool:
        """Extensions: 0 is full, a minus number is the extension lacking."""
        return self.motion == "extension"

    @property
    def limits(self) -> tuple[float, float]:
        return (SIGNED_MIN, SIGNED_MAX) if self.signed else (ROM_MIN, ROM_MAX)

    @property
    def hint(self) -> str:
        """The convention shown beside the field."""
        if self.signed:
            return "0 = full extension; minus = lacking (−30 = lacks 30°)"
        low, high = self.limits
        return f"degrees, {low:g} to {high:g}"


def _motions(joint: str, *names: str) -> tuple[Motion, ...]:
    return tuple(
        Motion(
            joint,
            name,
            ("forearm " if name in ("pronation", "supination") else "") + name.replace("-", " "),
        )
        for name in names
    )


MOTIONS: dict[str, tuple[Motion, ...]] = {
    "hip": _motions(
        "hip", "flexion", "extension", "abduction", "internal-rotation", "external-rotation"
    ),
    "knee": _motions("knee", "flexion", "extension"),
    "elbow": _motions("elbow", "flexion", "extension", "pronation", "supination"),
    "shoulder": _motions("shoulder", "flexion", "abduction", "external-rotation"),
}
assert set(MOTIONS) == set(JOINTS)


def motion(joint: str, name: str) -> Motion | None:
    return next((m for m in MOTIONS.get(joint, ()) if m.motion == name), None)


def sites() -> list[tuple[str, str]]:
    """Every joint and side, in the form's order."""
    return [(joint, side) for joint in JOINTS for side in SIDES]
