"""Alert actions sit next to each recommendation and caution on the patient page, for the roles
that may act on alerts, and an override made there shows as the alert's state."""

from __future__ import annotations

from collections.abc import Callable

from tests.support.appkit import SignedIn


def test_physiatrist_sees_alert_actions_therapist_does_not(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    pid = demo_patient_ids["03-sci-hip-rom-loss-probable.json"]
    page = signed_in("physiatrist").client.get(f"/patients/{pid}").text
    assert 'data-alert-key="rec:rule-out-dvt"' in page
    assert f"/patients/{pid}/alerts/rec%3Arule-out-dvt/override" in page
    therapist_page = signed_in("therapist").client.get(f"/patients/{pid}").text
    assert 'data-alert-key="rec:rule-out-dvt"' not in therapist_page


def test_override_from_the_page_is_shown_on_the_page(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    pid = demo_patient_ids["19-pregnant-24-weeks-tibia-fracture.json"]
    nurse = signed_in("nurse")
    key = "caution:nsaid-indomethacin:pregnancy"
    page = nurse.client.get(f"/patients/{pid}").text
    assert f'data-alert-key="{key}"' in page
    response = nurse.post(
        f"/patients/{pid}/alerts/{key}/override",
        data={"reason": "cds-not-applicable", "csrf_token": nurse.csrf},
        follow_redirects=False,
    )
    assert response.status_code in (200, 303), response.text[:300]  # type: ignore[attr-defined]
    after = nurse.client.get(f"/patients/{pid}").text
    assert "overridden" in after.lower()
