"""A note imported with a Bundle: its findings are stored with their sentence, and the patient
page shows the sentence, highlighted, under the finding's basis (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import html
from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import select

from hosentinel.store import models as m
from tests.support.appkit import SignedIn

SENTENCE = "O: R hip warm and swollen, TTP over greater trochanter."
NOTE = f"PT note\nS: Pt reports pain with transfers.\n{SENTENCE}\nL hip: no swelling.\n"


def _bundle() -> dict[str, Any]:
    def entry(resource: dict[str, Any]) -> dict[str, Any]:
        return {"resource": {"subject": {"reference": "Patient/notes-p1"}, **resource}}

    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": {"resourceType": "Patient", "id": "notes-p1", "gender": "male"}},
            entry(
                {
                    "resourceType": "Condition",
                    "id": "sci",
                    "code": {
                        "coding": [
                            {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "S24.111A"}
                        ]
                    },
                    "onsetDateTime": "2026-04-15",
                }
            ),
            entry(
                {
                    "resourceType": "DocumentReference",
                    "id": "pt-note-1",
                    "status": "current",
                    "date": "2026-05-29T10:00:00Z",
                    "content": [
                        {
                            "attachment": {
                                "contentType": "text/plain",
                                "data": base64.b64encode(NOTE.encode()).decode(),
                            }
                        }
                    ],
                }
            ),
        ],
    }


def test_a_note_in_a_bundle_shows_its_sentence_on_the_patient_page(
    app: Any, signed_in: Callable[[str], SignedIn]
) -> None:
    user = signed_in("physiatrist")
    response = user.post(
        "/fhir", content=orjson.dumps(_bundle()), headers={"Content-Type": "application/fhir+json"}
    )
    assert response.status_code == 200, response.text  # type: ignore[attr-defined]
    with app.state.sessionmaker() as session:
        stored = session.scalars(
            select(m.Observation).where(m.Observation.patient_id == "notes-p1")
        ).all()
        assert {(o.ref, o.codings[0]["code"], o.site_side, o.evidence) for o in stored} == {
            ("DocumentReference/pt-note-1", "hip-warmth", "right", SENTENCE),
            ("DocumentReference/pt-note-1", "hip-swelling", "right", SENTENCE),
            ("DocumentReference/pt-note-1", "hip-pain", "right", SENTENCE),
        }
    page = user.client.get("/patients/notes-p1")
    assert page.status_code == 200
    assert f'<q class="note-evidence"><mark>{html.escape(SENTENCE)}</mark></q>' in page.text
    assert "hip-swelling (from note)" in page.text
