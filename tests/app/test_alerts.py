"""Alerts: acknowledge or override (with a CDS Hooks reason code) a recommendation or caution of
the patient's current assessment; the decisions feed the unit's alert statistics."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from hosentinel.alerts.reasons import OVERRIDE_REASONS, SYSTEM
from hosentinel.store import models as m
from tests.support.appkit import SignedIn

PROBABLE = "03-sci-hip-rom-loss-probable.json"  # fires rec:rule-out-dvt; the family's patient
SWOLLEN_THIGH = "04-sci-day-18-swollen-thigh.json"  # fires rec:rule-out-dvt too
PREGNANT = "19-pregnant-24-weeks-tibia-fracture.json"
DVT = "rec:rule-out-dvt"


def states(app: FastAPI, patient_id: str) -> list[m.AlertState]:
    with app.state.sessionmaker() as session:
        return list(
            session.scalars(
                select(m.AlertState)
                .where(m.AlertState.patient_id == patient_id)
                .order_by(m.AlertState.id)
            )
        )


def stats_for(client: SignedIn, key: str) -> dict[str, Any]:
    response = client.client.get("/api/alerts/stats")
    assert response.status_code == 200
    found = [a for a in response.json()["alerts"] if a["key"] == key]
    assert len(found) == 1, key
    return found[0]


def test_alert_list_has_recommendations_and_cautions_with_keys(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    doctor = signed_in("physiatrist")
    alerts = doctor.client.get(f"/api/patients/{demo_patient_ids[PROBABLE]}/alerts").json()
    keys = [a["key"] for a in alerts]
    assert DVT in keys and "rec:serial-joint-exam" in keys
    dvt = alerts[keys.index(DVT)]
    assert dvt["label"] == "Rule out DVT" and dvt["level"] == "urgent"
    assert dvt["state"] is None and dvt["basis"]["rule"]

    pregnant = doctor.client.get(f"/api/patients/{demo_patient_ids[PREGNANT]}/alerts").json()
    keys = [a["key"] for a in pregnant]
    assert len(keys) == len(set(keys))
    nsaid = [a for a in pregnant if a["key"] == "caution:nsaid-indomethacin:pregnancy"]
    # Two rules give the reason "pregnancy"; the alert carries the most severe level.
    assert len(nsaid) == 1 and nsaid[0]["level"] == "contraindicated"
    assert nsaid[0]["kind"] == "caution" and nsaid[0]["about"] == "nsaid-indomethacin"


def test_override_with_a_coded_reason_is_stored_and_shown(
    app: FastAPI, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    patient = demo_patient_ids[PROBABLE]
    doctor = signed_in("physiatrist")
    response = doctor.post(  # type: ignore[attr-defined]
        f"/api/patients/{patient}/alerts/{DVT}/override",
        json={"reason": "action-completed", "comment": "Duplex scan done this morning"},
    )
    assert response.status_code == 200, response.text
    state = response.json()["state"]
    assert state["status"] == "overridden" and state["reason"] == "action-completed"
    assert state["reason_display"] == "Recommended action was already completed"
    assert state["by"] == "Dr Demo Physiatrist" and state["source"] == "app"

    rows = states(app, patient)
    assert [(r.alert_key, r.status, r.reason_code, r.source) for r in rows] == [
        (DVT, "overridden", "action-completed", "app")
    ]
    assert rows[0].comment == "Duplex scan done this morning" and rows[0].user_id is not None

    page = doctor.client.get(f"/patients/{patient}/alerts")
    assert page.status_code == 200
    assert "Overridden" in page.text and "Duplex scan done this morning" in page.text
    listed = doctor.client.get(f"/api/patients/{patient}/alerts").json()
    assert next(a for a in listed if a["key"] == DVT)["state"]["status"] == "overridden"


def test_override_without_a_reason_is_refused_and_stores_nothing(
    app: FastAPI, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    patient = demo_patient_ids[PROBABLE]
    nurse = signed_in("nurse")
    url = f"/api/patients/{patient}/alerts/{DVT}/override"
    no_reason = nurse.post(url, json={"comment": "no reason"})  # type: ignore[attr-defined]
    assert no_reason.status_code == 422
    assert no_reason.json() == {"error": "Choose a reason for the override."}
    unknown = nurse.post(url, json={"reason": "because"})  # type: ignore[attr-defined]
    assert unknown.status_code == 422 and "Unknown override reason" in unknown.json()["error"]
    form = nurse.post(  # type: ignore[attr-defined]
        f"/patients/{patient}/alerts/{DVT}/override", data={"reason": "", "comment": "x"}
    )
    assert form.status_code == 422 and "Choose a reason" in form.text
    # With HTMX the problem is shown in place (HTMX swaps only 2xx answers).
    htmx = nurse.post(  # type: ignore[attr-defined]
        f"/patients/{patient}/alerts/{DVT}/override",
        data={"reason": ""},
        headers={"HX-Request": "true"},
    )
    assert htmx.status_code == 200 and 'role="alert">Choose a reason' in htmx.text
    assert states(app, patient) == []


def test_acknowledge_by_form_and_by_htmx(
    app: FastAPI, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    patient = demo_patient_ids[PROBABLE]
    nurse = signed_in("nurse")
    plain = nurse.post(  # type: ignore[attr-defined]
        f"/patients/{patient}/alerts/rec:serial-joint-exam/acknowledge",
        data={"next": f"/patients/{patient}"},
        follow_redirects=False,
    )
    assert plain.status_code == 303
    assert plain.headers["location"] == f"/patients/{patient}#alert-rec--serial-joint-exam"
    offsite = nurse.post(  # type: ignore[attr-defined]
        f"/patients/{patient}/alerts/rec:serial-joint-exam/acknowledge",
        data={"next": "//evil.example/"},
        follow_redirects=False,
    )
    assert offsite.headers["location"].startswith(f"/patients/{patient}/alerts#")
    htmx = nurse.post(  # type: ignore[attr-defined]
        f"/patients/{patient}/alerts/{DVT}/override",
        data={"reason": "patient-refuses"},
        headers={"HX-Request": "true"},
    )
    assert htmx.status_code == 200
    assert htmx.text.lstrip().startswith('<div class="alert-actions" id="alert-rec--rule-out-dvt"')
    assert "Overridden" in htmx.text and "Patient refuses/declines" in htmx.text
    assert "<html" not in htmx.text  # a fragment, not a page
    assert [(r.alert_key, r.status) for r in states(app, patient)] == [
        ("rec:serial-joint-exam", "acknowledged"),
        ("rec:serial-joint-exam", "acknowledged"),
        (DVT, "overridden"),
    ]


def test_alert_page_offers_the_partial_with_every_reason(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    patient = demo_patient_ids[PROBABLE]
    page = signed_in("physiatrist").client.get(f"/patients/{patient}/alerts").text
    assert 'id="alert-rec--rule-out-dvt"' in page
    assert f'hx-post="/patients/{patient}/alerts/rec%3Arule-out-dvt/override"' in page
    assert 'name="reason" required' in page
    for reason in OVERRIDE_REASONS:
        # Plain words to read, the HL7 code and display kept underneath.
        assert f'<option value="{reason.code}" title="HL7 {reason.code}: ' in page
    assert ">Does not apply to this patient</option>" in page
    assert ">PC CDS does not apply to patient</option>" not in page
    assert '<label for="alert-rec--rule-out-dvt-reason">' in page
    # A therapist reads the alerts but gets no buttons (and the server refuses them anyway).
    therapist = signed_in("therapist").client.get(f"/patients/{patient}/alerts")
    assert therapist.status_code == 200 and "rule-out-dvt" in therapist.text
    assert "/acknowledge" not in therapist.text


def test_an_alert_that_does_not_fire_cannot_be_answered(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    patient = demo_patient_ids[PROBABLE]
    doctor = signed_in("physiatrist")
    for key in ("rec:surgical-referral", "caution:etidronate:pregnancy", "nonsense"):
        response = doctor.post(  # type: ignore[attr-defined]
            f"/api/patients/{patient}/alerts/{key}/acknowledge"
        )
        assert response.status_code == 404, key


def test_override_reasons_are_the_cds_hooks_codes(signed_in: Callable[[str], SignedIn]) -> None:
    reasons = signed_in("nurse").client.get("/api/alerts/override-reasons").json()
    codes = [r["code"] for r in reasons]
    assert len(codes) == 12 == len(set(codes))
    assert {"cds-not-applicable", "patient-contraindication", "patient-refuses"} <= set(codes)
    assert all(r["system"] == SYSTEM and r["display"] for r in reasons)


def test_statistics_reflect_overrides_and_acknowledgements(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    lead = signed_in("lead")
    before = stats_for(lead, DVT)
    assert before["firing"] >= 2 and before["responded"] == 0
    assert before["override_rate"] is None and before["acceptance_rate"] is None
    assert before["unanswered_now"] == before["firing"]

    doctor = signed_in("physiatrist")
    doctor.post(  # type: ignore[attr-defined]
        f"/api/patients/{demo_patient_ids[PROBABLE]}/alerts/{DVT}/override",
        json={"reason": "action-completed"},
    )
    after = stats_for(lead, DVT)
    assert after["firing"] == before["firing"]
    assert (after["overridden"], after["acknowledged"], after["responded"]) == (1, 0, 1)
    assert after["override_rate"] == 1.0 and after["acceptance_rate"] == 0.0
    assert after["unanswered_now"] == before["firing"] - 1
    assert after["override_reasons"] == [
        {
            "code": "action-completed",
            "display": "Recommended action was already completed",
            "count": 1,
        }
    ]

    lead.post(  # type: ignore[attr-defined]
        f"/api/patients/{demo_patient_ids[SWOLLEN_THIGH]}/alerts/{DVT}/acknowledge", json={}
    )
    mixed = stats_for(lead, DVT)
    assert mixed["override_rate"] == 0.5 and mixed["acceptance_rate"] == 0.5
    assert mixed["by_source"] == {"app": {"acknowledged": 1, "overridden": 1}}

    # The latest decision per patient counts: a second override replaces the first.
    doctor.post(  # type: ignore[attr-defined]
        f"/api/patients/{demo_patient_ids[PROBABLE]}/alerts/{DVT}/override",
        json={"reason": "patient-contraindication"},
    )
    again = stats_for(lead, DVT)
    assert again["overridden"] == 1
    assert [r["code"] for r in again["override_reasons"]] == ["patient-contraindication"]

    page = lead.client.get("/alerts/stats")
    assert page.status_code == 200
    assert f'data-key="{DVT}"' in page.text and "Recommendation: Rule out DVT" in page.text
    assert "50 %" in page.text and "Patient has contraindication" in page.text


def test_cds_hooks_feedback_rows_count_the_same_way(
    app: FastAPI, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    with app.state.sessionmaker.begin() as session:
        for patient_file, status, reason in (
            (PROBABLE, "overridden", "recipient-disagrees-evidence"),
            (SWOLLEN_THIGH, "accepted", None),
        ):
            session.add(
                m.AlertState(
                    patient_id=demo_patient_ids[patient_file],
                    alert_key=DVT,
                    status=status,
                    reason_code=reason,
                    source="cds-hooks",
                    at=datetime.now(UTC),
                )
            )
    stats = stats_for(signed_in("admin"), DVT)
    assert (stats["acknowledged"], stats["overridden"]) == (1, 1)
    assert stats["by_source"] == {"cds-hooks": {"acknowledged": 1, "overridden": 1}}
    assert stats["override_reasons"][0]["code"] == "recipient-disagrees-evidence"
    shown = signed_in("physiatrist").client.get(
        f"/api/patients/{demo_patient_ids[PROBABLE]}/alerts"
    )
    dvt = next(a for a in shown.json() if a["key"] == DVT)
    assert dvt["state"]["source"] == "cds-hooks" and dvt["state"]["by"] == "EHR (CDS Hooks)"


def test_only_the_unit_lead_and_admin_see_statistics(
    signed_in: Callable[[str], SignedIn],
) -> None:
    for username, expected in (
        ("lead", 200),
        ("admin", 200),
        ("physiatrist", 403),
        ("nurse", 403),
        ("therapist", 403),
        ("family", 403),
    ):
        user = signed_in(username)
        assert user.client.get("/api/alerts/stats").status_code == expected, username
        assert user.client.get("/alerts/stats").status_code == expected, username
