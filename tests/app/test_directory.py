"""Find a physician and refer, on SQLite and PostgreSQL: loading the directory (upsert, bad rows),
searching it (distance, pagination, radius, name, validation), and referring a patient with
mature HO to a surgeon (letter PDF, FHIR ServiceRequest, timeline, audit)."""

from __future__ import annotations

import base64
import csv
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fhir.resources.R4B.servicerequest import ServiceRequest
from sqlalchemy import select

from hosentinel.directory import nppes
from hosentinel.directory.geo import haversine_miles, zip_place
from hosentinel.directory.load import load_file
from hosentinel.directory.npi import make_npi
from hosentinel.directory.synth import demo_clinicians, nppes_row
from hosentinel.directory.taxonomy import taxonomy
from hosentinel.store import models as m
from tests.support.appkit import SignedIn

MATURE = "09-tbi-hip-ho-mature-refer.json"  # mature right hip HO limiting sitting: refer now
NOT_REFERABLE = "03-sci-hip-rom-loss-probable.json"  # probable HO: no lesion to refer


def _write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=nppes.HEADER, quoting=csv.QUOTE_ALL)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in nppes.HEADER})
    return path


def test_loading_is_an_upsert_and_bad_rows_are_reported(app: FastAPI, tmp_path: Path) -> None:
    base = [nppes_row(c) for c in list(demo_clinicians())[:3]]
    moved = dict(base[0])
    moved[nppes.ADDRESS1] = "1 NEW PLACE"
    moved[nppes.POSTAL] = "10001"
    moved[nppes.taxonomy_column(1)] = "2085R0001X"  # now a radiation oncologist
    moved[nppes.taxonomy_column(2)] = ""
    moved[nppes.primary_column(2)] = ""
    new_npi = make_npi(912_345_678)
    fresh = dict(base[1], **{nppes.NPI: new_npi})
    good = make_npi(912_345_679)
    wrong = good[:9] + str((int(good[9]) + 1) % 10)  # a wrong check digit
    bad = dict(base[2], **{nppes.NPI: wrong})
    first = _write_csv(tmp_path / "first.csv", base)
    second = _write_csv(tmp_path / "second.csv", [moved, fresh, bad])
    at = datetime.now(UTC)
    with app.state.sessionmaker.begin() as session:
        before = session.scalar(select(m.Clinician).where(m.Clinician.npi == base[0][nppes.NPI]))
        assert before is not None  # the demo directory is loaded
        report = load_file(session, first, at)
        assert (report.inserted, report.updated, report.bad) == (0, 3, 0)
        report = load_file(session, second, at)
        assert (report.inserted, report.updated, report.bad, report.skipped) == (1, 1, 1, 0)
        assert [str(p) for p in report.problems] == [
            f"line 4 NPI {wrong}: NPI fails the check digit"
        ]
        assert "1 bad rows" in report.summary()
    with app.state.sessionmaker() as session:
        row = session.get(m.Clinician, base[0][nppes.NPI])
        assert row is not None and (row.address1, row.zip5) == ("1 New Place", "10001")
        codes = session.scalars(
            select(m.ClinicianTaxonomy.code).where(m.ClinicianTaxonomy.npi == row.npi)
        ).all()
        groups = session.scalars(
            select(m.ClinicianSearch.specialty_group).where(m.ClinicianSearch.npi == row.npi)
        ).all()
        assert codes == ["2085R0001X"] and groups == ["radiation-oncology"]
        assert session.get(m.Clinician, new_npi) is not None
        assert session.get(m.Clinician, wrong) is None


def test_load_reads_a_fhir_bundle(app: FastAPI, tmp_path: Path) -> None:
    npi = make_npi(923_456_789)
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "resource": {
                    "resourceType": "Practitioner",
                    "id": "p",
                    "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": npi}],
                    "name": [{"family": "Quinn", "given": ["Dana"]}],
                }
            },
            {
                "resource": {
                    "resourceType": "Location",
                    "id": "l",
                    "address": {"line": ["9 Example Road"], "postalCode": "60611"},
                }
            },
            {
                "resource": {
                    "resourceType": "PractitionerRole",
                    "id": "r",
                    "practitioner": {"reference": "Practitioner/p"},
                    "location": [{"reference": "Location/l"}],
                    "specialty": [
                        {
                            "coding": [
                                {
                                    "system": "http://nucc.org/provider-taxonomy",
                                    "code": "207X00000X",
                                }
                            ]
                        }
                    ],
                }
            },
        ],
    }
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(bundle))
    with app.state.sessionmaker.begin() as session:
        report = load_file(session, path, datetime.now(UTC))
        assert (report.inserted, report.bad) == (1, 0)
    with app.state.sessionmaker() as session:
        row = session.get(m.Clinician, npi)
        assert row is not None and (row.last_name, row.city, row.source) == (
            "Quinn",
            "Chicago",
            "fhir",
        )


def _all_pages(client: SignedIn, query: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        body = client.client.get(f"/api/directory/search?{query}&page={page}").json()
        items += body["items"]
        if page >= body["pages"]:
            assert len(items) == body["total"]
            return items
        page += 1


def test_search_is_exact_sorted_by_distance_and_paginated(
    app: FastAPI, signed_in: Callable[[str], SignedIn]
) -> None:
    nurse = signed_in("nurse")
    body = nurse.client.get(
        "/api/directory/search?specialty=orthopaedic-surgery&zip=60611&radius=30&per_page=7"
    ).json()
    assert body["place"] == "60611 (Chicago, IL)" and body["per_page"] == 7
    assert body["total"] > 14 and body["pages"] == -(-body["total"] // 7)
    items = _all_pages(nurse, "specialty=orthopaedic-surgery&zip=60611&radius=30&per_page=7")
    distances = [i["distance_miles"] for i in items]
    assert distances == sorted(distances) and max(distances) <= 30
    assert len({i["npi"] for i in items}) == len(items)
    assert all(any(s["group"] == "orthopaedic-surgery" for s in i["specialties"]) for i in items)
    # Exactly the clinicians a brute-force great-circle check finds.
    origin = zip_place("60611")
    with app.state.sessionmaker() as session:
        expected = {
            c.npi
            for c, s in session.execute(
                select(m.Clinician, m.ClinicianSearch).join(
                    m.ClinicianSearch, m.ClinicianSearch.npi == m.Clinician.npi
                )
            )
            if s.specialty_group == "orthopaedic-surgery"
            and haversine_miles(origin.lat, origin.lon, c.lat, c.lon) <= 30
        }
    assert {i["npi"] for i in items} == expected
    # A wider radius finds more; a single NUCC code finds a subset.
    wider = nurse.client.get(
        "/api/directory/search?specialty=orthopaedic-surgery&zip=60611&radius=60"
    )
    assert wider.json()["total"] > body["total"]
    spine = _all_pages(nurse, "specialty=207XS0117X&zip=60611&radius=30")
    assert spine and {i["npi"] for i in spine} < expected
    assert all(any(s["code"] == "207XS0117X" for s in i["specialties"]) for i in spine)


def test_search_by_name(signed_in: Callable[[str], SignedIn]) -> None:
    nurse = signed_in("nurse")
    everyone = _all_pages(nurse, "specialty=physiatry&zip=77030&radius=50&per_page=100")
    last = everyone[0]["name"].split(",")[0].split()[-1]
    named = _all_pages(nurse, f"specialty=physiatry&zip=77030&radius=50&name={last.lower()}")
    assert named and all(last in i["name"] for i in named)
    assert {i["npi"] for i in named} == {i["npi"] for i in everyone if last in i["name"]}


def test_search_says_what_is_wrong(signed_in: Callable[[str], SignedIn]) -> None:
    client = signed_in("physiatrist").client
    cases = {
        "specialty=physiatry&zip=00000": "ZIP code 00000 does not exist",
        "specialty=physiatry&zip=ABCDE": "'ABCDE' is not a US ZIP code",
        "specialty=physiatry": "Enter a US ZIP code",
        "specialty=207Q00000X&zip=60611": "Unknown specialty '207Q00000X'",
        "specialty=physiatry&zip=60611&radius=5000": "radius must be between 1 and 300",
        "specialty=physiatry&zip=60611&radius=far": "The radius must be a number",
        "specialty=physiatry&zip=60611&page=0": "page number starts at 1",
        "specialty=physiatry&zip=60611&name=Smi%00th": "cannot contain a NUL character",
    }
    for query, message in cases.items():
        response = client.get(f"/api/directory/search?{query}")
        assert response.status_code == 422, query
        assert message in response.json()["error"], (query, response.json())
    empty = client.get("/api/directory/search?specialty=radiation-oncology&zip=59001&radius=10")
    assert empty.status_code == 200
    assert empty.json()["items"] == [] and empty.json()["total"] == 0
    assert empty.json()["message"].startswith("No clinician in Radiation oncology within 10 miles")
    past = client.get("/api/directory/search?specialty=physiatry&zip=60611&page=999")
    assert past.status_code == 200 and past.json()["items"] == []
    assert "past the last page" in past.json()["message"]
    # The page shows the same messages.
    page = client.get("/directory?specialty=physiatry&zip=00000")
    assert page.status_code == 422 and "ZIP code 00000 does not exist" in page.text
    page = client.get("/directory?specialty=radiation-oncology&zip=59001&radius=10")
    assert page.status_code == 200 and "No clinician in Radiation oncology" in page.text


def test_directory_page_and_family_search(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    therapist = signed_in("therapist")
    page = therapist.client.get("/directory")
    assert page.status_code == 200 and "Find a physician" in page.text
    assert "<table" not in page.text  # nothing searched yet
    page = therapist.client.get("/directory?specialty=physiatry&zip=98104&radius=25")
    assert page.status_code == 200 and page.text.count("<tr>") > 1
    assert 'rel="next"' in page.text and "page=2" in page.text

    family = signed_in("family")
    patient = demo_patient_ids[NOT_REFERABLE]
    view = family.client.get(f"/patients/{patient}/family")
    assert "Find a physiatrist near you" in view.text
    found = family.client.get(f"/patients/{patient}/family/physiatrists?zip=60611&radius=25")
    assert found.status_code == 200 and found.text.count("<tr>") > 1
    assert "Physical Medicine &amp; Rehabilitation" in found.text
    assert "NPI" not in found.text  # plain words for families
    bad = family.client.get(f"/patients/{patient}/family/physiatrists?zip=00000")
    assert bad.status_code == 422 and "ZIP code 00000 does not exist" in bad.text
    api = family.client.get("/api/directory/search?specialty=physiatry&zip=60611")
    assert api.status_code == 200 and api.json()["total"] > 0
    refused = family.client.get("/api/directory/search?specialty=orthopaedic-surgery&zip=60611")
    assert refused.status_code == 403
    assert family.client.get("/directory").status_code == 404
    other = demo_patient_ids[MATURE]
    assert family.client.get(f"/patients/{other}/family/physiatrists?zip=60611").status_code == 404


def _pdf_text_streams(pdf: bytes) -> bytes:
    import zlib

    out = b""
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out += zlib.decompress(raw)
        except zlib.error:
            continue
    return out


def test_refer_a_patient_with_mature_ho_to_a_surgeon(
    app: FastAPI, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    doctor = signed_in("physiatrist")
    patient = demo_patient_ids[MATURE]
    page = doctor.client.get(f"/patients/{patient}")
    assert f'href="/patients/{patient}/referral"' in page.text
    search = doctor.client.get(f"/patients/{patient}/referral?zip=60611&radius=25")
    assert search.status_code == 200 and "right hip" in search.text
    npi = re.search(r"referral/confirm\?npi=(\d{10})", search.text)
    assert npi is not None
    confirm = doctor.client.get(f"/patients/{patient}/referral/confirm?npi={npi[1]}&zip=60611")
    assert confirm.status_code == 200 and "Confirm the referral" in confirm.text
    # A letter: salutation, prose with the codes in words, a signature block; no raw codes or
    # FHIR references in its text.
    body = confirm.text[confirm.text.index("Dear ") :]
    # The demo physiatrist's NPI is on their account (the line is blank for one without).
    assert "Signature: ____" in body and "NPI: 9990000" in body and "referring physician" in body
    for raw in ("bone-scan-ho:", "radiograph-ho", "Observation/", "Condition/", "<code>"):
        assert raw not in body, raw
    assert "positive for heterotopic ossification" in body or "radiograph" in body
    created = doctor.post(
        f"/patients/{patient}/referrals",
        data={"npi": npi[1], "zip": "60611", "csrf_token": doctor.csrf},
        follow_redirects=False,
    )
    assert created.status_code == 303
    location = created.headers["location"]
    referral_id = int(location.rsplit("/", 1)[1])

    with app.state.sessionmaker() as session:
        referral = session.get(m.Referral, referral_id)
        assert referral is not None and referral.npi == npi[1]
        letter = referral.letter
        audit = session.scalars(
            select(m.AuditEntry).where(
                m.AuditEntry.patient_id == patient, m.AuditEntry.action == "write"
            )
        ).all()
        assert [a.what for a in audit] == [f"referral {referral_id} to NPI {npi[1]}"]
        assert audit[0].username == "physiatrist"
    # The letter carries the assessment's lesion, evidence, function, cautions and basis.
    (lesion,) = letter["lesions"]
    assert (lesion["site"], lesion["maturity"], lesion["surgical_referral"]) == (
        "right hip",
        "mature",
        "now",
    )
    assert {c["status"] for c in lesion["criteria"]} == {"met"}
    assert {e["what"] for e in lesion["evidence"]} >= {"ho-radiographic-maturity", "ho-growth"}
    assert [e["value"] for e in lesion["function_limited"]] == ["yes"]
    assert lesion["rom"] and lesion["rom"][0]["what"].startswith("right hip")
    assert lesion["basis"]["rule"] == "lesion-maturity" and lesion["basis"]["citations"]
    assert letter["recommendation"]["basis"]["rule"] == "recommend:function-limited-mature"
    assert letter["surgeon"]["npi"] == npi[1]

    shown = doctor.client.get(location)
    assert shown.status_code == 200 and "Download the referral letter (PDF)" in shown.text
    pdf = doctor.client.get(f"{location}/letter.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and pdf.content.rstrip().endswith(b"%%EOF")
    assert len(pdf.content) > 5_000

    fhir = doctor.client.get(f"/fhir/ServiceRequest/{referral_id}")
    assert fhir.status_code == 200
    assert fhir.headers["content-type"].startswith("application/fhir+json")
    resource = fhir.json()
    ServiceRequest.model_validate(resource)
    assert resource["id"] == str(referral_id)  # the id it was read by
    local = {f"#{r['id']}" for r in resource["contained"]}
    references = [r["reference"] for r in resource["supportingInfo"] + resource["performer"]]
    assert all("#" not in ref or ref in local for ref in references)
    assert resource["subject"] == {"reference": f"Patient/{patient}"}
    contained = {r["id"]: r for r in resource["contained"]}
    assert contained["surgeon"]["identifier"] == [
        {"system": "http://hl7.org/fhir/sid/us-npi", "value": npi[1]}
    ]
    assert resource["performer"][0]["reference"] == "#surgeon"
    assert resource["performerType"]["coding"][0]["system"] == "http://nucc.org/provider-taxonomy"
    assert {"reference": "#assessment"} in resource["supportingInfo"]
    attached = json.loads(
        base64.b64decode(contained["assessment"]["content"][0]["attachment"]["data"])
    )
    assert (
        attached["patient"] == f"Patient/{patient}"
        and attached["lesions"][0]["maturity"] == "mature"
    )
    assert resource["reasonReference"][0]["reference"].startswith("Condition/")
    assert any("function" in n["text"] for n in resource["note"])
    assert resource["bodySite"] == [{"text": "right hip"}]
    # US Core ServiceRequest, coded SNOMED CT "Referral to surgeon" (VSAC Referral value set);
    # the assessment attached is a US Core-typed document (type unknown, clinical-note).
    assert resource["meta"]["profile"] == [
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-servicerequest"
    ]
    assert resource["code"]["coding"][0] == {
        "system": "http://snomed.info/sct",
        "code": "183541002",
        "display": "Referral to surgeon (procedure)",
    }
    assert contained["assessment"]["category"][0]["coding"][0]["code"] == "clinical-note"
    assert contained["assessment"]["type"]["coding"][0]["code"] == "UNK"

    # On the timeline and the patient page; in the JSON API.
    page = doctor.client.get(f"/patients/{patient}")
    assert "kind-referral" in page.text and f"referred to {letter['surgeon']['name']}" in page.text
    listed = doctor.client.get(f"/api/patients/{patient}/referrals").json()
    assert [r["id"] for r in listed] == [referral_id]
    assert listed[0]["service_request"] == f"/fhir/ServiceRequest/{referral_id}"


def test_referral_is_refused_without_a_surgical_referral_recommendation(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    doctor = signed_in("physiatrist")
    patient = demo_patient_ids[NOT_REFERABLE]
    page = doctor.client.get(f"/patients/{patient}")
    assert f"/patients/{patient}/referral" not in page.text
    refused = doctor.client.get(f"/patients/{patient}/referral?zip=60611")
    assert refused.status_code == 422
    assert "No lesion of this patient has a surgical referral recommendation" in refused.text
    surgeon = next(
        c.npi
        for c in demo_clinicians()
        if taxonomy().by_code[c.taxonomies[0][0]].group == "orthopaedic-surgery"
    )
    posted = doctor.post(
        f"/patients/{patient}/referrals", data={"npi": surgeon, "csrf_token": doctor.csrf}
    )
    assert posted.status_code == 422
    assert doctor.client.get(f"/api/patients/{patient}/referrals").json() == []


def test_who_may_refer(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    patient = demo_patient_ids[MATURE]
    nurse = signed_in("nurse")
    assert nurse.client.get(f"/patients/{patient}/referral").status_code == 403
    assert f'/patients/{patient}/referral"' not in nurse.client.get(f"/patients/{patient}").text
    family = signed_in("family")
    assert family.client.get(f"/patients/{patient}/referral").status_code == 404
    doctor = signed_in("physiatrist")
    physiatrist_npi = next(
        c.npi
        for c in demo_clinicians()
        if taxonomy().by_code[c.taxonomies[0][0]].group == "physiatry"
    )
    not_surgeon = doctor.client.get(f"/patients/{patient}/referral/confirm?npi={physiatrist_npi}")
    assert not_surgeon.status_code == 422 and "is not an orthopaedic surgeon" in not_surgeon.text
    unknown = doctor.client.get(f"/patients/{patient}/referral/confirm?npi=9999999999")
    assert unknown.status_code == 404
    missing = doctor.client.get("/fhir/ServiceRequest/999999")
    assert missing.status_code == 404 and missing.json()["resourceType"] == "OperationOutcome"
    assert family.client.get("/fhir/ServiceRequest/1").status_code == 404
    # A state change without the CSRF token is refused before anything is stored.
    forged = doctor.client.post(f"/patients/{patient}/referrals", data={"npi": physiatrist_npi})
    assert forged.status_code == 403


def test_a_lesion_referred_when_mature_says_so_in_the_letter(
    app: FastAPI, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    doctor = signed_in("physiatrist")
    patient = demo_patient_ids["08-tbi-elbow-ho-active-growing.json"]
    surgeon = next(
        c.npi
        for c in demo_clinicians()
        if taxonomy().by_code[c.taxonomies[0][0]].group == "orthopaedic-surgery"
    )
    created = doctor.post(
        f"/patients/{patient}/referrals",
        data={"npi": surgeon, "csrf_token": doctor.csrf},
        follow_redirects=False,
    )
    assert created.status_code == 303
    with app.state.sessionmaker() as session:
        referral = session.scalars(select(m.Referral).where(m.Referral.patient_id == patient)).one()
    (lesion,) = referral.letter["lesions"]
    assert lesion["surgical_referral"] == "when-mature" and lesion["maturity"] != "mature"
    assert lesion["timing"].startswith("Referral for planning")
    assert "not met" in {c["status"] for c in lesion["criteria"]}
    assert referral.letter["surgeon"]["distance_miles"] is None  # no ZIP code was given
