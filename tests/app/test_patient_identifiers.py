"""MRN, bed and attending on the worklist and the patient banner (imported from FHIR), and the
referring clinician's NPI on the letter and at `user create`. The migration is tested in
tests/store/test_migration_identifiers.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from hosentinel.directory.npi import make_npi
from hosentinel.fhir.identifiers import IDENTIFIER_TYPE, PARTICIPATION_TYPE, PHYSICAL_TYPE
from hosentinel.store import models as m
from tests.support.appkit import SignedIn

PID = "ids-patient-1"


def bundle(with_encounter: bool = True, mrn: str = "MRN-700123") -> dict[str, Any]:
    entries: list[dict[str, Any]] = [
        {
            "resource": {
                "resourceType": "Patient",
                "id": PID,
                "gender": "female",
                "birthDate": "1970-02-03",
                "identifier": [
                    {"type": {"coding": [{"system": IDENTIFIER_TYPE, "code": "MR"}]}, "value": mrn}
                ],
            }
        },
        {
            "resource": {
                "resourceType": "Condition",
                "id": "c1",
                "subject": {"reference": f"Patient/{PID}"},
                "code": {
                    "coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "S14.111A"}]
                },
                "onsetDateTime": "2026-04-20",
            }
        },
    ]
    if with_encounter:
        entries.append(
            {
                "resource": {
                    "resourceType": "Encounter",
                    "id": "e1",
                    "status": "in-progress",
                    "subject": {"reference": f"Patient/{PID}"},
                    "location": [
                        {
                            "location": {"display": "5E-21"},
                            "physicalType": {"coding": [{"system": PHYSICAL_TYPE, "code": "bd"}]},
                        }
                    ],
                    "participant": [
                        {
                            "type": [{"coding": [{"system": PARTICIPATION_TYPE, "code": "ATND"}]}],
                            "individual": {"display": "Dr Imani Okafor"},
                        }
                    ],
                }
            }
        )
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _import(client: SignedIn, body: dict[str, Any]) -> None:
    response: Any = client.post("/fhir", json=body)
    assert response.status_code == 200, response.text


def test_identifiers_are_imported_shown_and_searchable(
    signed_in: Callable[[str], SignedIn],
) -> None:
    nurse = signed_in("nurse")
    _import(nurse, bundle())
    page = nurse.client.get("/", params={"q": "700123"})
    assert page.status_code == 200
    row = page.text.split(f'data-patient="{PID}"')[1].split("</tr>")[0]
    assert "MRN MRN-700123" in row and "bed 5E-21" in row and "attending Dr Imani Okafor" in row
    for query in ("5e-21", "okafor", "mrn-700123"):
        found = nurse.client.get("/", params={"q": query}).text
        assert f'data-patient="{PID}"' in found, query
    assert f'data-patient="{PID}"' not in nurse.client.get("/", params={"q": "4W-99"}).text
    api = nurse.client.get("/api/worklist").json()
    mine = next(x for x in api if x["patient"] == PID)
    assert (mine["mrn"], mine["bed"], mine["attending"]) == (
        "MRN-700123",
        "5E-21",
        "Dr Imani Okafor",
    )
    summary = nurse.client.get(f"/api/patients/{PID}").json()
    assert summary["mrn"] == "MRN-700123" and summary["bed"] == "5E-21"
    banner = nurse.client.get(f"/patients/{PID}").text
    assert "<dt>MRN</dt><dd>MRN-700123</dd>" in banner
    assert "<dt>Bed</dt><dd>5E-21</dd>" in banner
    assert "<dt>Attending</dt><dd>Dr Imani Okafor</dd>" in banner


def test_a_later_import_without_an_encounter_keeps_the_bed(
    app: FastAPI, signed_in: Callable[[str], SignedIn]
) -> None:
    nurse = signed_in("nurse")
    _import(nurse, bundle())
    _import(nurse, bundle(with_encounter=False, mrn="MRN-700124"))
    with app.state.sessionmaker() as session:
        patient = session.get(m.Patient, PID)
        assert patient is not None
        assert (patient.mrn, patient.bed, patient.attending) == (
            "MRN-700124",
            "5E-21",
            "Dr Imani Okafor",
        )


def test_the_demo_worklist_shows_fictional_identifiers(
    signed_in: Callable[[str], SignedIn],
) -> None:
    page = signed_in("physiatrist").client.get("/").text
    assert "MRN DEMO0000" in page and "bed 4W-" in page


def test_an_admin_sets_a_clinicians_npi_checked_and_audited(
    app: FastAPI, signed_in: Callable[[str], SignedIn]
) -> None:
    admin = signed_in("admin")
    with app.state.sessionmaker() as session:
        nurse_id = session.scalar(select(m.User.id).where(m.User.username == "nurse"))
        family_id = session.scalar(select(m.User.id).where(m.User.username == "family"))
    good = make_npi(999_000_777)
    bad = good[:9] + str((int(good[9]) + 1) % 10)  # wrong check digit

    def put(who: SignedIn, user_id: int | None, npi: str | None) -> Any:
        url = f"/api/admin/users/{user_id}/npi"
        return who.client.put(url, json={"npi": npi}, headers={"X-CSRF-Token": who.csrf})

    refused = put(admin, nurse_id, bad)
    assert refused.status_code == 422 and "check digit" in refused.text
    refused = put(admin, family_id, good)
    assert refused.status_code == 422
    form: Any = admin.client.post(
        f"/admin/users/{nurse_id}/npi",
        data={"npi": good, "csrf_token": admin.csrf},
        follow_redirects=True,
    )
    assert form.status_code == 200 and f"NPI {good}" in form.text
    with app.state.sessionmaker() as session:
        nurse = session.get(m.User, nurse_id)
        assert nurse is not None and nurse.npi == good
        entry = session.scalars(
            select(m.AuditEntry.what).where(m.AuditEntry.what.like("NPI of nurse%"))
        ).all()
        assert entry == [f"NPI of nurse: - -> {good}"]
    assert put(admin, nurse_id, None).json() == {"username": "nurse", "npi": None}
    nurse = signed_in("nurse")
    assert put(nurse, nurse_id, good).status_code == 403


def test_the_letter_and_service_request_carry_the_referrers_npi_and_the_mrn(
    app: FastAPI, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    from hosentinel.app.demo import DEMO_PHYSIATRIST_NPI
    from tests.support.seckit import REFERABLE, surgeon_npi

    pid = demo_patient_ids[REFERABLE]
    doctor = signed_in("physiatrist")
    npi = surgeon_npi(app)
    letter = doctor.client.get(f"/patients/{pid}/referral/confirm", params={"npi": npi}).text
    assert f"NPI: {DEMO_PHYSIATRIST_NPI}" in letter
    assert "MRN DEMO" in letter
    made: Any = doctor.client.post(
        f"/patients/{pid}/referrals",
        data={"npi": npi, "csrf_token": doctor.csrf},
        follow_redirects=False,
    )
    rid = made.headers["location"].rsplit("/", 1)[-1]
    resource = doctor.client.get(f"/fhir/ServiceRequest/{rid}").json()
    assert resource["requester"]["identifier"] == {
        "system": "http://hl7.org/fhir/sid/us-npi",
        "value": DEMO_PHYSIATRIST_NPI,
    }


def test_user_create_takes_an_npi_and_refuses_a_wrong_one(tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from hosentinel.cli import app as cli
    from hosentinel.store.db import make_engine, make_sessionmaker

    url = f"sqlite:///{tmp_path / 'users.db'}"
    good = make_npi(999_000_555)

    def create(name: str, npi: str) -> Any:
        args = ["user", "create", name, "--role", "physiatrist", "--unit", "Rehab unit"]
        args += ["--npi", npi, "--database", url, "--password-stdin"]
        return CliRunner().invoke(cli, args, input="a-long-enough-password\n")

    assert create("dr-a", good).exit_code == 0
    refused = create("dr-b", good[:9] + str((int(good[9]) + 1) % 10))
    assert refused.exit_code != 0 and "is not an NPI" in refused.output
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as db:
            npis = {u.username: u.npi for u in db.scalars(select(m.User))}
        assert npis == {"dr-a": good}
    finally:
        engine.dispose()
