"""The main menu: only the pages the signed-in role may use (a link that answers 403 is a dead
end). The role rules themselves are enforced by each route (`deps.require`); this follows them."""

from __future__ import annotations

from fastapi import Request

from hosentinel.app.alert_actions import STATS_ROLES
from hosentinel.app.deps import CLINICAL_ROLES
from hosentinel.app.smart.access import SMART_STATE
from hosentinel.store import models as m


def nav_links(user: m.User | None, request: Request | None = None) -> list[tuple[str, str]]:
    """(href, label) of each main-menu link for this user and session."""
    if user is None or user.role == "family":
        return []
    if request is not None and getattr(request.state, SMART_STATE, None) is not None:
        # A session opened from the EHR reaches its patient ("/" leads there) and knowledge only.
        return [("/", "Patient"), ("/knowledge", "Knowledge")]
    links: list[tuple[str, str]] = []
    if user.role in CLINICAL_ROLES:
        links += [("/", "Worklist"), ("/knowledge", "Knowledge")]
        links.append(("/directory", "Find a physician"))
    if user.role in STATS_ROLES:
        links.append(("/alerts/stats", "Alert statistics"))
    if user.role == "admin":
        links += [("/admin/users", "Users"), ("/admin/audit", "Audit log")]
    return links
