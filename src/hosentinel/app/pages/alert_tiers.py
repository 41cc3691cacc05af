"""Alert tiers: interruptive only for safety, the rest passive (DESIGN.md, quality bars: `warning`
only for a contraindicated drug or a swollen leg without a DVT rule-out).

Interruptive: the DVT work-up and a contraindicated drug. They keep their own Acknowledge /
Override buttons beside them. Every other recommendation and caution is passive: shown in place,
no buttons, and one "acknowledge all" records that the clinician reviewed the patient's list.

POST /patients/{id}/alerts/acknowledge-all   acknowledges every passive alert that has no decision
                                             yet (interruptive ones are never swept up here)
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from hosentinel.alerts.decisions import current_states
from hosentinel.alerts.keys import Alert
from hosentinel.app.alert_actions import firing, record_decision
from hosentinel.app.deps import ALERT_ROLES, Config, CurrentViewer, Db, patient_for, require
from hosentinel.app.pages.alerts import _safe_next
from hosentinel.app.recommendation_view import interruptive

router = APIRouter()

ACK_ALL_COMMENT = "reviewed (acknowledge all)"


def is_interruptive(alert: Alert) -> bool:
    return interruptive(alert.kind, alert.about, alert.level)


@router.post("/patients/{patient_id}/alerts/acknowledge-all")
def acknowledge_all(
    request: Request,
    db: Db,
    config: Config,
    viewer: CurrentViewer,
    patient_id: str,
    next: Annotated[str | None, Form()] = None,
) -> Response:
    patient = patient_for(db, viewer, patient_id)
    require(viewer, *ALERT_ROLES)
    decided = current_states(db, patient.id)
    count = 0
    for alert in firing(request, db, config, patient.id):
        if is_interruptive(alert) or alert.key in decided:
            continue
        record_decision(db, viewer, patient, alert.key, "acknowledged", comment=ACK_ALL_COMMENT)
        count += 1
    target = _safe_next(next, f"/patients/{patient.id}")
    sep = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{sep}acknowledged={count}#recs", status_code=303)
