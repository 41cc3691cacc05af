"""The CDS Hooks card link that opens HO Sentinel on the patient through a SMART launch
(CDS Hooks 2.0 `Link` of `type: smart`): the EHR launches `url` with its `iss` and a `launch`
token, and hands `appContext` back to the app in the token response (read by the callback)."""

from __future__ import annotations

import json
from typing import Any

from hosentinel.core.assessment import Assessment

JOINTS = ("hip", "knee", "elbow", "shoulder")
SIDES = ("left", "right")


def focus(a: Assessment) -> dict[str, str]:
    """What the card is about: the most suspicious site when there is one."""
    order = {"confirmed": 3, "probable": 2, "possible": 1, "none": 0}
    sites = sorted(a.suspicion.sites, key=lambda s: order.get(s.level, 0), reverse=True)
    context = {"view": "patient"}
    if sites and sites[0].joint and sites[0].level != "none":
        context.update(joint=sites[0].joint, side=sites[0].side or "")
    return context


def smart_link(base_url: str, app_context: dict[str, str]) -> dict[str, Any]:
    return {
        "label": "Open HO Sentinel (SMART app)",
        "url": f"{base_url}/smart/launch",
        "type": "smart",
        "appContext": json.dumps(app_context, separators=(",", ":")),
    }


def landing(patient_id: str, app_context: object) -> str:
    """Where the callback leads: the patient's page, at the site the card named (a fragment)."""
    page = f"/patients/{patient_id}"
    if not isinstance(app_context, str):
        return page
    try:
        context = json.loads(app_context)
    except ValueError:
        return page
    if isinstance(context, dict) and context.get("joint") in JOINTS:
        side = context.get("side")
        return f"{page}#{context['joint']}" + (f"-{side}" if side in SIDES else "")
    return page
