"""The patient page and the patient JSON API: the assessment with its basis and citations, the
charts, the access rules, the audit, and agreement with `hosentinel assess`."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from markupsafe import escape
from sqlalchemy import select

from hosentinel.app.demo import FAMILY_PATIENT_FILE, shift_dates
from hosentinel.app.knowledge_view import KnowledgeView
from hosentinel.core.engine import evaluate
from hosentinel.core.output import assessment_json
from hosentinel.core.record import ImportStats
from hosentinel.demo.catalog import load_catalog
from hosentinel.fhir.importer import read_bundle
from hosentinel.knowledge.loader import default_knowledge
from hosentinel.store import models as m
from tests.support.appkit import TODAY, SignedIn

HIP = "03-sci-hip-rom-loss-probable.json"
MATURE = "09-tbi-hip-ho-mature-refer.json"
WARFARIN = "05-sci-confirmed-active-warfarin.json"
DAY_5 = "01-sci-complete-day-5.json"


def audit_rows(app: FastAPI, patient_id: str, action: str) -> list[m.AuditEntry]:
    with app.state.sessionmaker() as session:
        return list(
            session.scalars(
                select(m.AuditEntry).where(
                    m.AuditEntry.patient_id == patient_id, m.AuditEntry.action == action
                )
            )
        )


def test_page_shows_risk_suspicion_and_recommendations_with_their_basis(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    pid = demo_patient_ids[HIP]
    page = signed_in("physiatrist").client.get(f"/patients/{pid}")
    assert page.status_code == 200
    html = page.text
    # Header: name, sex, levels in words, phase and window dates (demo shifted to today).
    assert "Complete SCI, day 61, right hip stiff, swollen and warm" in html
    assert '<span class="level high">high</span>' in html
    assert '<span class="level probable">probable</span>' in html
    assert "2026-04-15 to 2027-04-01" in html
    # Suspicion per site, with the ROM-loss finding and its inputs and local setting.
    assert "hip flexion 75° down from 105° (30° loss)" in html
    assert "<code>rom_loss_threshold_degrees</code> = <strong>10 degrees</strong>" in html
    assert "Observation/07fd22e5-61c6-59dd-a97a-92adb635abe1" in html
    # Risk factors with their effects, and the published model that cannot be computed.
    assert "Complete spinal cord injury" in html and "OR 3.61 (2.29-5.71)" in html
    assert "not computable</span> Item points and age categories were not confirmed." in html
    # Recommendations with priority in words, each expandable to its basis.
    assert '<span class="level urgent">urgent</span> Rule out deep vein thrombosis' in html
    assert html.count('<details class="basis">') >= 20
    assert "<code>recommend:suspected-no-scan</code>" in html
    # Citations: title, link (URL or doi.org) and confirmation level.
    aapmr = (
        "https://dev.aapmr.org/about-physiatry/conditions-treatments/rehabilitation-of-central-"
        "nervous-system-disorders/heterotopic-ossifications"
    )
    assert f'<a href="{aapmr}" rel="noopener noreferrer">' in html
    assert re.search(r'class="conf conf-C" title="confirmed">\[C\]', html)
    # No drug before the bone scan (issue 12): a probable hip gets the work-up first.
    assert "<code>recommend:drug-" not in html
    # Drug evidence with stance on a confirmed patient's NSAID suggestion.
    warfarin = signed_in("physiatrist").client.get(f"/patients/{demo_patient_ids[WARFARIN]}").text
    assert '<a href="https://doi.org/10.1038/sj.sc.3101166"' in warfarin
    assert '<span class="stance against">against</span> HIPAID' in warfarin
    # Surveillance: overdue joints highlighted and said in words.
    assert re.search(r'<tr class="overdue">\s*<td>left knee</td>', html)
    assert '<strong class="level high">overdue</strong>' in html
    # Missing inputs and education with the family-view link.
    assert "No current eGFR, creatinine clearance or CKD stage" in warfarin
    assert f'href="/patients/{pid}/family"' in html
    assert "Your team is checking for bone in the wrong place" in html


def test_cautions_say_level_and_when_the_drug_is_not_suggested(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    html = signed_in("nurse").client.get(f"/patients/{demo_patient_ids[DAY_5]}").text
    caution = html[html.index('id="cautions"') :]
    assert '<span class="level caution">caution</span>' in html
    assert "anticoagulant" in html
    # "not recommended" read as "do not use"; the tag now says what it means.
    assert "not recommended</span>" not in html
    assert """<span class="tag not-suggested">not among today's suggestions</span>""" in caution
    warfarin = signed_in("physiatrist").client.get(f"/patients/{demo_patient_ids[WARFARIN]}")
    assert "On warfarin; monitor the INR when giving etidronate." in warfarin.text


def test_each_drug_suggestion_shows_its_own_cautions_under_it(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    client = signed_in("physiatrist").client
    pid = demo_patient_ids[WARFARIN]
    summary = client.get(f"/api/patients/{pid}").json()
    html = client.get(f"/patients/{pid}").text
    suggested = {r["id"] for r in summary["recommendations"]}
    checked = 0
    for c in summary["cautions"]:
        if c["about"] not in suggested:
            continue
        start = html.index(f'id="rec-{c["about"]}"')
        block = html[start : html.index("</article>", start)]
        assert 'class="drug-cautions"' in block
        assert escape(c["summary"]) in block, c
        checked += 1
    assert checked >= 1, "the warfarin patient has a suggested drug with a caution"


def test_lesions_show_maturity_criteria_referral_and_evidence(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    html = signed_in("physiatrist").client.get(f"/patients/{demo_patient_ids[MATURE]}").text
    lesions = html[html.index('id="lesions"') :]
    assert '<span class="level maturity-mature">mature</span>' in lesions
    assert '<span class="level referral-now">now</span>' in lesions
    assert lesions.count('<span class="crit met">met</span>') == 3
    assert "Classic teaching (Level V)" in lesions
    assert "In TBI, the interval to surgery did not affect recurrence" in lesions
    # Imaging findings in the timeline.
    assert "ho-radiographic-maturity" in html and "Radiographic maturity" in html


def test_charts_are_inline_svg_with_text_and_table(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    client = signed_in("therapist").client
    html = client.get(f"/patients/{demo_patient_ids[HIP]}").text
    svg = re.search(r'<svg class="chart" id="rom-chart"[^>]*>.*?</svg>', html, re.S)
    assert svg, "ROM chart present"
    assert 'role="img"' in svg.group(0)
    label = re.search(r'aria-label="([^"]+)"', svg.group(0))
    assert label and (
        "Right hip flexion from 100° on 2026-04-26 to 75° on 2026-05-31" in label.group(1)
    )
    # One line per joint, motion and side: left/right hip flexion, left/right knee flexion.
    assert svg.group(0).count("<polyline") == 4
    assert 'data-series="hip-flexion-right"' in svg.group(0)
    table = html[html.index("Data table: range of motion") :]
    assert "<td>2026-05-31</td><td>Right hip flexion</td><td>75</td>" in table
    assert "<script" not in svg.group(0)

    # ALP over time with the laboratory's reference range.
    alp_html = client.get(f"/patients/{demo_patient_ids[MATURE]}").text
    alp = re.search(r'<svg class="chart" id="alp-chart"[^>]*>.*?</svg>', alp_html, re.S)
    assert alp, "ALP chart present"
    assert '<rect class="band"' in alp.group(0)
    assert "reference range" in alp.group(0)
    assert "Data table: alkaline phosphatase" in alp_html


def test_every_view_is_audited(
    app: FastAPI, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    pid = demo_patient_ids[HIP]
    client = signed_in("nurse").client
    before = len(audit_rows(app, pid, "read"))
    for path in (
        f"/patients/{pid}",
        f"/api/patients/{pid}",
        f"/api/patients/{pid}/assessment",
        f"/api/patients/{pid}/observations",
    ):
        assert client.get(path).status_code == 200
    rows = audit_rows(app, pid, "read")
    assert len(rows) == before + 4
    assert {r.username for r in rows[-4:]} == {"nurse"}
    assert [r.what for r in rows[-4:]] == [
        "patient page",
        "patient summary api",
        "assessment api",
        "observations api",
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/patients/{pid}",
        "/api/patients/{pid}",
        "/api/patients/{pid}/assessment",
        "/api/patients/{pid}/observations",
        "/patients/{pid}/exam",
    ],
)
def test_family_member_gets_404_on_clinical_pages(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str], path: str
) -> None:
    family = signed_in("family").client
    other = demo_patient_ids[MATURE]
    own = demo_patient_ids[FAMILY_PATIENT_FILE]
    for pid in (other, own, "no-such-patient"):
        assert family.get(path.format(pid=pid)).status_code == 404
    # A clinician reaches the same page.
    assert signed_in("physiatrist").client.get(path.format(pid=other)).status_code == 200


def test_family_member_gets_404_on_the_patient_list(
    signed_in: Callable[[str], SignedIn],
) -> None:
    family = signed_in("family").client
    assert family.get("/api/patients").status_code == 404
    listing = signed_in("lead").client.get("/api/patients")
    assert listing.status_code == 200 and len(listing.json()) == len(load_catalog())


def test_summary_and_observations_api(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    client = signed_in("physiatrist").client
    pid = demo_patient_ids[HIP]
    summary = client.get(f"/api/patients/{pid}").json()
    assert summary["suspicion"] == "probable" and summary["risk_level"] == "high"
    assert summary["sites"][0] == {
        "joint": "hip",
        "side": "right",
        "level": "probable",
        "findings": ["rom-loss", "swelling", "warmth", "fever"],
    }
    assert "rule-out-dvt" in [r["id"] for r in summary["recommendations"]]
    hips = client.get(f"/api/patients/{pid}/observations?code=hip-flexion-rom").json()
    assert [(o["side"], o["value_quantity"]) for o in hips][-2:] == [
        ("right", 75.0),
        ("left", 105.0),
    ]
    assert all(o["unit"] == "deg" for o in hips)


def test_openapi_lists_the_patient_routes_and_models(app: FastAPI) -> None:
    schema = app.openapi()
    for path in (
        "/api/patients",
        "/api/patients/{patient_id}",
        "/api/patients/{patient_id}/assessment",
        "/api/patients/{patient_id}/observations",
        "/api/patients/{patient_id}/exams",
    ):
        assert path in schema["paths"], path
    for model in ("PatientSummary", "AssessmentOut", "ObservationOut", "ExamIn", "ExamErrors"):
        assert model in schema["components"]["schemas"], model


def test_app_and_assess_agree_on_every_demo_patient(
    signed_in: Callable[[str], SignedIn],
) -> None:
    """The app's assessment of a demo patient is the engine's assessment of the same bundle,
    dates shifted as the demo loader does. Only the `import` block differs: it describes the
    FHIR import (unknown codes, warnings), which happened when the demo was loaded, and the
    database keeps the record, not the import statistics."""
    knowledge = default_knowledge()
    client = signed_in("physiatrist").client
    checked = 0
    for entry in load_catalog():
        record = read_bundle(entry.path.read_bytes(), knowledge)
        shifted = shift_dates(record, TODAY - entry.as_of)
        expected = assessment_json(evaluate(shifted, knowledge, TODAY))
        pid = record.patient.id
        got = client.get(f"/api/patients/{pid}/assessment").json()
        assert got["as_of"] == TODAY.isoformat()
        assert {k: v for k, v in got.items() if k != "import"} == {
            k: v for k, v in expected.items() if k != "import"
        }, entry.file
        # Without import statistics, the engine's output is the app's, byte for byte.
        bare = dataclasses.replace(shifted, stats=ImportStats())
        assert got == assessment_json(evaluate(bare, knowledge, TODAY)), entry.file
        checked += 1
    assert checked == len(load_catalog()) >= 20


def test_citation_links_fall_back_to_doi_then_pubmed() -> None:
    kb = KnowledgeView(default_knowledge())
    assert kb.citation("cit-banovac-2001-indomethacin").url == (
        "https://doi.org/10.1038/sj.sc.3101166"
    )
    assert kb.citation("cit-sherman-2003-ck").url == "https://pubmed.ncbi.nlm.nih.gov/14997963/"
    unknown = kb.citation("cit-not-there")
    assert unknown.url is None and unknown.level_words == "not in registry"


def test_page_for_unknown_patient_is_404(signed_in: Callable[[str], SignedIn]) -> None:
    client = signed_in("physiatrist").client
    assert client.get("/patients/nobody").status_code == 404
    assert client.get("/api/patients/nobody/assessment").json() == {"error": "No such patient."}


def test_a_swollen_leg_whose_dvt_is_excluded_says_which_duplex_excluded_it(
    app: FastAPI, signed_in: Callable[[str], SignedIn]
) -> None:
    """The brief: "Every clinical output carries its basis". Demo patient 03's right hip is
    swollen; once a duplex of the right leg excludes DVT (DESIGN.md: finding `dvt`, "false =
    excluded"), the page no longer asks for the DVT work-up and says which duplex answered it."""
    user = signed_in("physiatrist")
    entry = next(e for e in load_catalog() if e.file == HIP)
    pid = entry.patient.removeprefix("Patient/")
    before = user.client.get(f"/patients/{pid}").text
    assert "DVT excluded by duplex ultrasound" not in before
    duplex = {
        "resourceType": "Observation",
        "id": "duplex-right-leg",
        "status": "final",
        "code": {
            "coding": [{"system": "https://hosentinel.org/fhir/CodeSystem/finding", "code": "dvt"}]
        },
        "subject": {"reference": f"Patient/{pid}"},
        "effectiveDateTime": TODAY.isoformat(),
        "valueBoolean": False,
        "bodySite": {"coding": [{"system": "http://snomed.info/sct", "code": "24028007"}]},
    }
    patient = next(
        e["resource"]
        for e in json.loads(entry.path.read_bytes())["entry"]
        if e["resource"]["resourceType"] == "Patient"
    )
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": patient}, {"resource": duplex}],
    }
    posted = user.post(
        "/fhir", content=json.dumps(bundle), headers={"Content-Type": "application/fhir+json"}
    )
    assert posted.status_code == 200, posted.text
    page = user.client.get(f"/patients/{pid}").text
    assert 'data-dvt="excluded"' in page
    assert f"DVT excluded by duplex ultrasound ({TODAY.isoformat()})" in page
    assert "Observation/duplex-right-leg" in page
    recs = user.client.get(f"/api/patients/{pid}/assessment").json()["recommendations"]
    assert "rule-out-dvt" not in [r["id"] for r in recs]
