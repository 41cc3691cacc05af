"""Alert tiers on the patient page: only safety items (the DVT work-up, a contraindicated drug)
carry their own buttons; the rest are passive, answered together by "acknowledge all"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support.appkit import SignedIn

SWOLLEN = "04-sci-day-18-swollen-thigh.json"  # fires the DVT work-up and routine suggestions


def test_only_safety_alerts_interrupt_and_the_rest_are_acknowledged_together(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    pid = demo_patient_ids[SWOLLEN]
    physiatrist = signed_in("physiatrist")
    client = physiatrist.client
    summary = client.get(f"/api/patients/{pid}").json()
    ids = [r["id"] for r in summary["recommendations"]]
    assert "rule-out-dvt" in ids and len(ids) > 1
    page = client.get(f"/patients/{pid}").text
    assert page.count('class="alert-actions"') == 1 + sum(
        c["level"] == "contraindicated" for c in summary["cautions"]
    )
    assert 'id="alert-rec--rule-out-dvt"' in page
    assert "Do next</h3>" in page
    assert f'action="/patients/{pid}/alerts/acknowledge-all"' in page

    done: Any = physiatrist.post(
        f"/patients/{pid}/alerts/acknowledge-all", data={"next": f"/patients/{pid}"}
    )
    assert done.status_code == 200
    alerts = {a["key"]: a for a in client.get(f"/api/patients/{pid}/alerts").json()}
    assert alerts["rec:rule-out-dvt"]["state"] is None  # safety: never swept up
    others = [a for k, a in alerts.items() if k.startswith("rec:") and k != "rec:rule-out-dvt"]
    assert others and all(a["state"]["status"] == "acknowledged" for a in others)
    assert "acknowledged as reviewed" in done.text
    assert "acknowledge-all" not in client.get(f"/patients/{pid}").text  # nothing left open


def test_a_therapist_cannot_acknowledge_all(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    pid = demo_patient_ids[SWOLLEN]
    refused: Any = signed_in("therapist").post(f"/patients/{pid}/alerts/acknowledge-all")
    assert refused.status_code == 403
