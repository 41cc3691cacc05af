"""Exam entry: one form for all joints and sides, saved in one submit as Observations with the
project's finding codes; errors keep every value and save nothing; the patient's assessment and
place on the worklist follow."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from hosentinel.store import models as m
from tests.support.appkit import SignedIn
from tests.support.examkit import count_observations, form_values

HIP = "03-sci-hip-rom-loss-probable.json"
TBI = "07-tbi-coma-autonomic-high-risk.json"


def audit_rows(app: FastAPI, patient_id: str, action: str) -> list[m.AuditEntry]:
    with app.state.sessionmaker() as session:
        query = select(m.AuditEntry).where(
            m.AuditEntry.patient_id == patient_id, m.AuditEntry.action == action
        )
        return list(session.scalars(query))


def best_rom(client: Any, pid: str, code: str, side: str) -> float:
    rows = client.get(f"/api/patients/{pid}/observations?code={code}").json()
    return max(o["value_quantity"] for o in rows if o["side"] == side)


def position(client: Any, pid: str) -> int:
    rows = client.get("/api/worklist").json()
    return [r["patient"] for r in rows].index(pid)


MOTIONS = {
    "hip": ("flexion", "extension", "abduction", "internal-rotation", "external-rotation"),
    "knee": ("flexion", "extension"),
    "elbow": ("flexion", "extension", "pronation", "supination"),
    "shoulder": ("flexion", "abduction", "external-rotation"),
}


def exam_saved(client: Any, pid: str) -> list[dict[str, Any]]:
    return [
        o
        for o in client.get(f"/api/patients/{pid}/observations").json()
        if o["ref"].startswith("Observation/exam-")
    ]


def test_form_is_a_flowsheet_with_every_motion_and_the_last_values(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    page = signed_in("therapist").client.get(f"/patients/{demo_patient_ids[HIP]}/exam")
    assert page.status_code == 200
    values = form_values(page.text)
    assert values["exam_date"] == "2026-06-01"
    # Fields start empty (only what is typed is recorded); the last value stands beside each.
    assert values["hip-left-flexion"] == "" and values["hip-right-swelling"] == ""
    assert 'data-last="105"' in page.text and "Last: 105° on 2026-05-31" in page.text
    assert "last: yes on 2026-05-31" in page.text  # the right hip was swollen last time
    for joint, motions in MOTIONS.items():
        for side in ("left", "right"):
            for motion in motions:
                name = f"{joint}-{side}-{motion}"
                assert f'<label for="{name}">' in page.text
                # Text with a numeric keyboard: the browser cannot drop a typo unseen.
                assert 'type="text" inputmode="' in page.text.split(f'id="{name}"')[0][-200:]
            for sign in ("pain", "swelling", "warmth", "redness"):
                assert f'<select id="{joint}-{side}-{sign}"' in page.text
    assert '<option value="" selected>not assessed</option>' in page.text
    assert "0 = full extension; minus = lacking (−30 = lacks 30°)" in page.text
    assert "Forearm pronation" in page.text and "Internal rotation" in page.text
    assert "last examined 2026-05-31" in page.text
    assert "data-no-enter-submit" in page.text and "/static/exam.js" in page.text


def test_exam_with_rom_loss_and_swelling_raises_suspicion_and_moves_patient_up(
    app: FastAPI, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    pid = demo_patient_ids[TBI]
    therapist = signed_in("therapist")
    client = therapist.client
    before = client.get(f"/api/patients/{pid}").json()
    assert before["suspicion"] == "none"
    place_before = position(client, pid)
    baseline = best_rom(client, pid, "hip-flexion-rom", "right")
    observations_before = count_observations(app, pid)

    response = therapist.post(
        f"/patients/{pid}/exam",
        data={
            "exam_date": "2026-06-01",
            "hip-right-flexion": str(baseline - 30),
            "hip-right-swelling": "yes",
            "hip-right-pain": "",  # not assessed
        },
        follow_redirects=False,
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == f"/patients/{pid}?saved=2"  # type: ignore[attr-defined]

    # The ROM and the one sign assessed; nothing for what was not assessed.
    assert count_observations(app, pid) == observations_before + 2
    saved = exam_saved(client, pid)
    assert {(o["codes"][0]["code"], o["side"]) for o in saved} == {
        ("hip-flexion-rom", "right"),
        ("hip-swelling", "right"),
    }
    rom = next(o for o in saved if o["codes"][0]["code"] == "hip-flexion-rom")
    assert (rom["value_quantity"], rom["unit"], rom["effective"]) == (
        baseline - 30,
        "deg",
        "2026-06-01",
    )
    assert rom["codes"][0]["system"] == "finding" and rom["joint"] == "hip"
    assert {o["entered_by"] for o in saved} == {"therapist"}

    after = client.get(f"/api/patients/{pid}").json()
    assert after["version"] == before["version"] + 1
    assert after["suspicion"] == "probable"
    assert after["sites"][0]["joint"] == "hip" and after["sites"][0]["side"] == "right"
    assert "rom-loss" in after["sites"][0]["findings"]
    assert position(client, pid) < place_before

    writes = audit_rows(app, pid, "write")
    assert len(writes) == 1 and writes[0].username == "therapist"
    assert writes[0].what == "exam 2026-06-01: right hip"

    page = client.get(f"/patients/{pid}?saved=2").text
    assert "Exam saved (2 observations)" in page
    assert f"hip flexion {baseline - 30:g}° down from {baseline:g}°" in page


def test_ticking_pain_records_pain_only_not_the_other_signs_as_no(
    app: FastAPI, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    pid = demo_patient_ids[TBI]
    therapist = signed_in("therapist")
    response = therapist.post(
        f"/patients/{pid}/exam",
        data={"exam_date": "2026-06-01", "knee-left-pain": "yes", "knee-left-redness": "no"},
        follow_redirects=False,
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    saved = exam_saved(therapist.client, pid)
    assert {o["codes"][0]["code"]: o["value_bool"] for o in saved} == {
        "knee-pain": True,
        "knee-redness": False,  # "no" is a finding
    }  # swelling and warmth were not assessed: nothing claims they were absent


def test_signed_extension_minus_30_is_saved_and_shown_as_lacking(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    pid = demo_patient_ids[TBI]
    therapist = signed_in("therapist")
    response = therapist.post(
        f"/patients/{pid}/exam",
        data={"exam_date": "2026-06-01", "elbow-left-extension": "-30"},
        follow_redirects=False,
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    (rom,) = exam_saved(therapist.client, pid)
    assert (rom["codes"][0]["code"], rom["value_quantity"]) == ("elbow-extension-rom", -30.0)
    page = therapist.client.get(f"/patients/{pid}").text
    assert "extension -30° (lacks 30°)" in page
    form = therapist.client.get(f"/patients/{pid}/exam").text
    assert "Last: -30° (lacks 30°) on 2026-06-01" in form
    # Flexion keeps its 0 to 200 limits: a minus flexion is a typing error.
    bad = therapist.post(
        f"/patients/{pid}/exam", data={"exam_date": "2026-06-01", "elbow-left-flexion": "-30"}
    )
    assert bad.status_code == 422  # type: ignore[attr-defined]
    assert "Left elbow flexion: -30° is out of range; enter 0 to 200." in bad.text  # type: ignore[attr-defined]


def test_examined_no_change_repeats_the_last_values(
    app: FastAPI, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    pid = demo_patient_ids[HIP]
    therapist = signed_in("therapist")
    values = form_values(therapist.client.get(f"/patients/{pid}/exam").text)
    before = count_observations(app, pid)

    untouched = therapist.post(f"/patients/{pid}/exam", data=values, follow_redirects=False)
    assert untouched.status_code == 422  # type: ignore[attr-defined]
    assert "Nothing to save" in untouched.text  # type: ignore[attr-defined]
    assert count_observations(app, pid) == before

    values["knee-left-flexion"] = "100"
    values["hip-left-examined"] = "yes"  # examined, no change
    saved = therapist.post(f"/patients/{pid}/exam", data=values, follow_redirects=False)
    assert saved.status_code == 303  # type: ignore[attr-defined]
    new = [
        (o["codes"][0]["code"], o["side"], o["value_quantity"], o["value_bool"])
        for o in exam_saved(therapist.client, pid)
    ]
    assert ("knee-flexion-rom", "left", 100.0, None) in new
    assert ("hip-flexion-rom", "left", 105.0, None) in new  # the last value, repeated
    assert not [n for n in new if n[1] == "right"]
    assert not [n for n in new if n[0].startswith("knee-") and n[0] != "knee-flexion-rom"]


def test_errors_keep_every_typed_value_and_save_nothing(
    app: FastAPI, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    pid = demo_patient_ids[HIP]
    therapist = signed_in("therapist")
    before = count_observations(app)
    writes_before = len(audit_rows(app, pid, "write"))
    data = {
        "exam_date": "2026-05-30",
        "hip-right-flexion": "250",
        "hip-right-swelling": "yes",
        "hip-left-flexion": "90e",
        "knee-left-flexion": "ninety",
        "knee-right-flexion": "120",
        "elbow-right-extension": "-5",
        "elbow-right-pain": "no",
        "shoulder-left-abduction": "90",
    }
    response = therapist.post(f"/patients/{pid}/exam", data=data)
    assert response.status_code == 422  # type: ignore[attr-defined]
    html: str = response.text  # type: ignore[attr-defined]
    assert "Right hip flexion: 250° is out of range; enter 0 to 200." in html
    assert "Left hip flexion: “90e” is not a number; enter degrees (0 to 200)." in html
    assert "Left knee flexion: “ninety” is not a number" in html
    assert '<p class="error field-error" id="err-hip-left-flexion">' in html
    assert 'aria-invalid="true" aria-describedby="err-knee-left-flexion hint-' in html
    kept = form_values(html)
    for name, value in data.items():
        assert kept[name] == value, name
    assert count_observations(app) == before
    assert len(audit_rows(app, pid, "write")) == writes_before


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("2026-06-02", "The exam date cannot be in the future (today is 2026-06-01)."),
        ("1999-12-31", "The exam date is before the injury or surgery on"),
        ("1899-12-31", "The exam date is before the patient&#39;s birth"),
        ("01/06/2026", "Enter the exam date as YYYY-MM-DD."),
        ("", "Enter the exam date."),
    ],
)
def test_exam_date_is_checked(
    app: FastAPI,
    signed_in: Callable[[str], SignedIn],
    demo_patient_ids: dict[str, str],
    day: str,
    message: str,
) -> None:
    pid = demo_patient_ids[HIP]
    therapist = signed_in("therapist")
    before = count_observations(app, pid)
    response = therapist.post(
        f"/patients/{pid}/exam", data={"exam_date": day, "knee-right-flexion": "120"}
    )
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert message in response.text  # type: ignore[attr-defined]
    assert form_values(response.text)["knee-right-flexion"] == "120"  # type: ignore[attr-defined]
    assert count_observations(app, pid) == before


def test_a_date_outside_the_window_needs_confirming(
    app: FastAPI, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    pid = demo_patient_ids[HIP]
    therapist = signed_in("therapist")
    summary = therapist.client.get(f"/api/patients/{pid}").json()
    start = date.fromisoformat(summary["window_start"])
    early = (start - timedelta(days=1)).isoformat()  # after the injury, before the window
    data = {"exam_date": early, "knee-right-flexion": "120"}
    refused = therapist.post(f"/patients/{pid}/exam", data=data)
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert "is outside the surveillance window" in refused.text  # type: ignore[attr-defined]
    assert 'name="confirm_date"' in refused.text  # type: ignore[attr-defined]
    confirmed = therapist.post(
        f"/patients/{pid}/exam", data={**data, "confirm_date": "yes"}, follow_redirects=False
    )
    assert confirmed.status_code == 303  # type: ignore[attr-defined]


def test_htmx_submit_redirects_with_header_and_errors_swap_the_form(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    pid = demo_patient_ids[HIP]
    therapist = signed_in("therapist")
    hx = {"HX-Request": "true"}
    bad = therapist.post(
        f"/patients/{pid}/exam",
        data={"exam_date": "2026-06-01", "hip-left-flexion": "-5"},
        headers=hx,
    )
    assert bad.status_code == 422  # type: ignore[attr-defined]
    assert "<html" not in bad.text and 'id="exam-form"' in bad.text  # type: ignore[attr-defined]
    good = therapist.post(
        f"/patients/{pid}/exam",
        data={"exam_date": "2026-06-01", "hip-left-flexion": "100"},
        headers=hx,
    )
    assert good.status_code == 200  # type: ignore[attr-defined]
    assert good.headers["HX-Redirect"] == f"/patients/{pid}?saved=1"  # type: ignore[attr-defined]


def test_json_api_saves_an_exam_and_returns_the_new_summary(
    app: FastAPI, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    pid = demo_patient_ids[TBI]
    therapist = signed_in("therapist")
    baseline = best_rom(therapist.client, pid, "hip-flexion-rom", "left")
    before = count_observations(app, pid)
    response = therapist.post(
        f"/api/patients/{pid}/exams",
        json={
            "exam_date": "2026-06-01",
            "joints": [
                {
                    "joint": "hip",
                    "side": "left",
                    "rom": {"flexion": baseline - 30},
                    "swelling": True,
                },
                {
                    "joint": "elbow",
                    "side": "right",
                    "rom": {"extension": -30},
                    "pain": False,
                    "warmth": False,
                },
            ],
        },
    )
    assert response.status_code == 201, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["suspicion"] == "probable"
    assert body["sites"][0]["side"] == "left" and "rom-loss" in body["sites"][0]["findings"]
    # hip left: ROM + swelling; elbow right: extension + two signs assessed as absent.
    assert len(body["saved"]) == 5 and count_observations(app, pid) == before + 5
    assert all(ref.startswith("Observation/exam-") for ref in body["saved"])
    assert audit_rows(app, pid, "write")[-1].what == "exam 2026-06-01: left hip, right elbow"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {
                "exam_date": "2026-06-01",
                "joints": [{"joint": "knee", "side": "left", "rom": {"flexion": 201}}],
            },
            "knee-left-flexion",
            "Left knee flexion: 201° is out of range; enter 0 to 200.",
        ),
        (
            {
                "exam_date": "2026-07-01",
                "joints": [{"joint": "knee", "side": "left", "rom": {"flexion": 90}}],
            },
            "exam_date",
            "The exam date cannot be in the future (today is 2026-06-01).",
        ),
        (
            {"joints": [{"joint": "knee", "side": "left", "rom": {"abduction": 5}}]},
            "knee-left-abduction",
            "knee has no motion 'abduction' here; use flexion, extension.",
        ),
        (
            {"joints": [{"joint": "hip", "side": "right", "rom": {"flexion": "lots"}}]},
            "hip-right-flexion",
            "Right hip flexion: “lots” is not a number; enter degrees (0 to 200).",
        ),
        (
            {"joints": [{"joint": "elbow", "side": "right", "rom": {"extension": -190}}]},
            "elbow-right-extension",
            "Right elbow extension: -190° is out of range; enter -180 to 90.",
        ),
        (
            {"joints": [{"joint": "hip", "side": "right"}]},
            "form",
            "Nothing to save: enter a measurement or a sign, or tick “examined, no change” for"
            " the joints you examined.",
        ),
    ],
)
def test_json_api_validation_names_the_field_and_saves_nothing(
    app: FastAPI,
    signed_in: Callable[[str], SignedIn],
    demo_patient_ids: dict[str, str],
    body: dict[str, Any],
    field: str,
    message: str,
) -> None:
    pid = demo_patient_ids[HIP]
    before = count_observations(app, pid)
    response = signed_in("nurse").post(f"/api/patients/{pid}/exams", json=body)
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert response.json()["fields"][field] == message  # type: ignore[attr-defined]
    assert count_observations(app, pid) == before


def test_exam_entry_roles(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    pid = demo_patient_ids[HIP]
    for username in ("therapist", "physiatrist", "nurse"):
        assert signed_in(username).client.get(f"/patients/{pid}/exam").status_code == 200
    lead = signed_in("lead")
    assert lead.client.get(f"/patients/{pid}/exam").status_code == 403
    exam = {"joints": [{"joint": "hip", "side": "left", "pain": False}]}
    assert lead.post(f"/api/patients/{pid}/exams", json=exam).status_code == 403  # type: ignore[attr-defined]
    family = signed_in("family")
    assert family.post(f"/api/patients/{pid}/exams", json=exam).status_code == 404  # type: ignore[attr-defined]
    assert (
        family.post(
            f"/patients/{pid}/exam", data={"exam_date": "2026-06-01", "hip-left-flexion": "90"}
        ).status_code
        == 404
    )  # type: ignore[attr-defined]


def test_exam_without_csrf_token_is_refused(
    app: FastAPI, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    pid = demo_patient_ids[HIP]
    client = signed_in("therapist").client
    before = count_observations(app, pid)
    response = client.post(
        f"/patients/{pid}/exam", data={"exam_date": "2026-06-01", "hip-left-flexion": "90"}
    )
    assert response.status_code == 403
    assert count_observations(app, pid) == before
