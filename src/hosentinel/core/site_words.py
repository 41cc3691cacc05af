"""How a site reads: the one wording of a joint and side, in running text and standing alone."""

from __future__ import annotations


def site_label(joint: str | None, side: str | None) -> str:
    """A site in running text: "right hip"; "hip" when the side is not recorded; "left limb"
    when the joint is not; "limb" when neither is."""
    return " ".join(p for p in (side, joint or "limb") if p)


def site_heading(joint: str | None, side: str | None) -> str:
    """A site standing alone (a heading, a table cell, a card): says so when nothing is
    recorded rather than showing a bare "limb"."""
    return site_label(joint, side) if joint or side else "site not recorded"
