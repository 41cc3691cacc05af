"""SMART App Launch, end to end against the stand-in EHR on loopback
(`hosentinel.testing.smart_ehr`): the app under TestClient, the EHR a real HTTP server the app
talks to with httpx; the "browser" carries the redirects between them. Every test runs on SQLite
and PostgreSQL (`app_db_url`)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from hosentinel.app.config import AppConfig
from hosentinel.app.main import create_app
from hosentinel.app.security import now
from hosentinel.app.smart.settings import parse_clients
from hosentinel.store import models as m
from hosentinel.testing.smart_ehr import EhrPatient, StandInEHR
from tests.support.appkit import CSRF, TODAY

APP = "http://testserver"


@pytest.fixture
def ehr() -> Iterator[StandInEHR]:
    server = StandInEHR(
        today=TODAY,
        patients={
            "ehr-p1": EhrPatient("ehr-p1", "Quillfeather", swelling=True, n_labs=6),
            "ehr-p2": EhrPatient("ehr-p2", "Ashgrove", swelling=False, n_labs=2),
        },
        launches={"L1": "ehr-p1", "L2": "ehr-p2"},
        standalone_patient="ehr-p1",
        page_size=3,
    ).start()
    yield server
    server.stop()


AppFactory = Callable[..., FastAPI]


@pytest.fixture
def make_app(app_db_url: str) -> Iterator[AppFactory]:
    made: list[FastAPI] = []

    def make(clients: dict[str, Any], base_url: str = APP) -> FastAPI:
        application = create_app(AppConfig(database_url=app_db_url, today=TODAY, base_url=base_url))
        application.state.smart_clients = parse_clients(json.dumps(clients))
        made.append(application)
        return application

    yield make
    for application in made:
        application.state.engine.dispose()


@pytest.fixture
def smart_app(make_app: AppFactory, ehr: StandInEHR) -> FastAPI:
    return make_app({ehr.fhir_base: {"client_id": ehr.client_id}})


def authorize(client: TestClient, ehr: StandInEHR, launch: str | None = "L1") -> str:
    """Launch and let the stand-in approve: the callback path and query it sends back."""
    params = {"iss": ehr.fhir_base, **({"launch": launch} if launch else {})}
    r = client.get("/smart/launch", params=params, follow_redirects=False)
    assert r.status_code == 302, r.text[:300]
    az = httpx.get(r.headers["location"], follow_redirects=False, trust_env=False)
    assert az.status_code in (302, 307), az.text
    back = urlsplit(az.headers["location"])
    assert f"{back.scheme}://{back.netloc}" == APP and back.path == "/smart/callback"
    return f"{back.path}?{back.query}"


def launch(client: TestClient, ehr: StandInEHR, launch_id: str | None = "L1") -> httpx.Response:
    return client.get(authorize(client, ehr, launch_id))


def text(response: httpx.Response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.text).split())


def stored(app: FastAPI, model: Any, patient_id: str) -> int:
    with app.state.sessionmaker() as s:
        return int(
            s.scalar(select(func.count()).select_from(model).where(model.patient_id == patient_id))
            or 0
        )


def test_ehr_launch_opens_the_assessment_of_the_patient_in_context(
    smart_app: FastAPI, ehr: StandInEHR
) -> None:
    client = TestClient(smart_app, base_url=APP)
    page = launch(client, ehr)
    assert page.status_code == 200 and str(page.url).endswith("/patients/ehr-p1")
    assert "Quillfeather" in page.text and "Ashgrove" not in page.text
    # The right-hip swelling came on the last of three Observation pages.
    assert re.search(r"\b(possible|probable)\b", text(page))
    assert not ehr.token_errors
    sent = ehr.requests_for("authorize")[-1]["params"]
    assert sent["response_type"] == "code" and sent["client_id"] == ehr.client_id
    assert sent["redirect_uri"] == f"{APP}/smart/callback" and sent["aud"] == ehr.fhir_base
    assert sent["launch"] == "L1" and sent["code_challenge_method"] == "S256"
    scopes = sent["scope"].split()
    assert {"launch", "openid", "fhirUser", "patient/Observation.rs"} <= set(scopes)
    exchange = ehr.requests_for("token")[-1]["form"]
    assert exchange["grant_type"] == "authorization_code" and exchange["code_verifier"]
    assert exchange["redirect_uri"] == f"{APP}/smart/callback"
    searched = {e["type"] for e in ehr.requests_for("search") if e["query"].get("patient")}
    assert searched == {
        "Condition",
        "Procedure",
        "Observation",
        "MedicationRequest",
        "MedicationStatement",
        "AllergyIntolerance",
        "DiagnosticReport",
    }
    assert len([e for e in ehr.requests_for("search") if "_page" in e["query"]]) >= 2
    assert all(e["ok"] for e in ehr.log if e["kind"] in ("read", "search"))
    assert stored(smart_app, m.Observation, "ehr-p1") == 7
    with smart_app.state.sessionmaker() as s:
        entry = s.scalars(
            select(m.AuditEntry).where(
                m.AuditEntry.patient_id == "ehr-p1", m.AuditEntry.action == "write"
            )
        ).one()
        user = s.get(m.User, entry.user_id)
    assert user is not None and user.role == "therapist"
    assert (
        "Practitioner/dr-marrowby" in entry.what and "Practitioner/dr-marrowby" in user.display_name
    )


def test_launching_again_stores_nothing_twice(smart_app: FastAPI, ehr: StandInEHR) -> None:
    launch(TestClient(smart_app, base_url=APP), ehr)
    again = launch(TestClient(smart_app, base_url=APP), ehr)
    assert again.status_code == 200
    assert stored(smart_app, m.Observation, "ehr-p1") == 7
    assert stored(smart_app, m.Condition, "ehr-p1") == 1
    with smart_app.state.sessionmaker() as s:
        users = s.scalar(
            select(func.count()).select_from(m.User).where(m.User.username.like("ehr-%"))
        )
    assert users == 1


def test_standalone_launch_asks_for_a_patient(smart_app: FastAPI, ehr: StandInEHR) -> None:
    client = TestClient(smart_app, base_url=APP)
    page = launch(client, ehr, None)
    assert page.status_code == 200 and "Quillfeather" in page.text
    sent = ehr.requests_for("authorize")[-1]["params"]
    assert "launch" not in sent and "launch/patient" in sent["scope"].split()


def test_two_launches_never_share_state_or_challenge(smart_app: FastAPI, ehr: StandInEHR) -> None:
    for _ in range(2):
        TestClient(smart_app, base_url=APP).get(
            "/smart/launch", params={"iss": ehr.fhir_base, "launch": "L1"}, follow_redirects=False
        )
    sent = [e["params"] for e in ehr.requests_for("authorize")]
    assert sent == []  # the browser never went on; both launches wait in the database
    with smart_app.state.sessionmaker() as s:
        launches = list(s.scalars(select(m.SmartLaunch)))
    assert len({x.state_hash for x in launches}) == 2
    assert len({x.code_verifier for x in launches}) == 2


def test_untrusted_iss_is_refused_with_a_page_that_says_so(
    smart_app: FastAPI, ehr: StandInEHR
) -> None:
    client = TestClient(smart_app, base_url=APP)
    for iss in (f"{ehr.base}/other-fhir", f"{ehr.fhir_base}-evil"):
        r = client.get("/smart/launch", params={"iss": iss, "launch": "L1"}, follow_redirects=False)
        assert r.status_code == 403
        assert "not trusted" in r.text and iss in r.text
    assert not ehr.requests_for("config")  # nothing was asked of the untrusted server


def test_wrong_or_missing_state_is_refused_and_the_code_never_exchanged(
    smart_app: FastAPI, ehr: StandInEHR
) -> None:
    client = TestClient(smart_app, base_url=APP)
    callback = authorize(client, ehr)
    code = parse_qs(urlsplit(callback).query)["code"][0]
    for query in (f"code={code}&state=x{'y' * 30}", f"code={code}"):
        r = client.get(f"/smart/callback?{query}")
        assert r.status_code == 400 and "does not match a launch" in r.text
    assert not ehr.requests_for("token")


def test_state_from_another_browser_is_refused(smart_app: FastAPI, ehr: StandInEHR) -> None:
    callback = authorize(TestClient(smart_app, base_url=APP), ehr)
    r = TestClient(smart_app, base_url=APP).get(callback)  # no launch cookie
    assert r.status_code == 400 and "different browser" in r.text
    assert not ehr.requests_for("token")


def test_expired_state_is_explained(smart_app: FastAPI, ehr: StandInEHR) -> None:
    client = TestClient(smart_app, base_url=APP)
    callback = authorize(client, ehr)
    with smart_app.state.sessionmaker.begin() as s:
        s.execute(update(m.SmartLaunch).values(created_at=now() - timedelta(minutes=11)))
    r = client.get(callback)
    assert r.status_code == 400 and "More than 10 minutes" in r.text


def test_pkce_mismatch_is_refused_by_the_ehr_and_nothing_is_stored(
    smart_app: FastAPI, ehr: StandInEHR
) -> None:
    client = TestClient(smart_app, base_url=APP)
    callback = authorize(client, ehr)
    with smart_app.state.sessionmaker.begin() as s:  # as if an attacker swapped the verifier
        s.execute(update(m.SmartLaunch).values(code_verifier="A" * 64))
    r = client.get(callback)
    assert r.status_code == 502 and "refused to give HO Sentinel access" in r.text
    assert ehr.token_errors == ["PKCE verification failed"]
    assert stored(smart_app, m.Observation, "ehr-p1") == 0


def test_denied_authorization_is_explained(smart_app: FastAPI, ehr: StandInEHR) -> None:
    ehr.deny = True
    r = launch(TestClient(smart_app, base_url=APP), ehr)
    assert r.status_code == 403 and "did not authorize" in r.text and "access_denied" in r.text


def test_token_naming_another_patient_reads_and_stores_nothing_of_them(
    smart_app: FastAPI, ehr: StandInEHR
) -> None:
    ehr.lie_about_patient = "ehr-p2"  # the token is for ehr-p1 but says ehr-p2
    r = launch(TestClient(smart_app, base_url=APP), ehr)
    assert r.status_code == 502 and "answered 403" in r.text
    assert stored(smart_app, m.Observation, "ehr-p2") == 0
    with smart_app.state.sessionmaker() as s:
        assert s.get(m.Patient, "ehr-p2") is None and s.get(m.SmartSession, "x") is None


def test_other_patients_resources_in_a_search_answer_are_not_stored(
    smart_app: FastAPI, ehr: StandInEHR
) -> None:
    ehr.foreign_results = True
    page = launch(TestClient(smart_app, base_url=APP), ehr)
    assert page.status_code == 200 and "Ashgrove" not in page.text
    assert stored(smart_app, m.Observation, "ehr-p1") == 7
    with smart_app.state.sessionmaker() as s:
        assert s.get(m.Patient, "ehr-p2") is None


def test_the_launched_session_reaches_only_the_launched_patient(
    smart_app: FastAPI, ehr: StandInEHR
) -> None:
    client = TestClient(smart_app, base_url=APP)
    launch(client, ehr)
    launch(TestClient(smart_app, base_url=APP), ehr, "L2")  # ehr-p2 is stored, by another session
    with smart_app.state.sessionmaker() as s:
        demo = s.scalars(select(m.Patient.id).where(m.Patient.id.not_like("ehr-%"))).first()
    assert demo is not None
    for path in (
        f"/patients/{demo}",
        f"/api/patients/{demo}",
        "/patients/ehr-p2",
        "/api/patients/ehr-p2",
        "/api/patients",
        "/api/worklist",
        "/directory",
        f"/fhir/Patient/{demo}/$ho-assessment",
    ):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 403, (path, r.status_code)
        assert "Ashgrove" not in r.text
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == "/patients/ehr-p1"
    assert client.get("/api/patients/ehr-p1").status_code == 200
    assert client.get("/patients/ehr-p1/exam").status_code == 200


def test_exam_entered_in_the_launched_session_is_audited_with_the_ehr_user(
    smart_app: FastAPI, ehr: StandInEHR
) -> None:
    client = TestClient(smart_app, base_url=APP)
    page = launch(client, ehr)
    csrf = CSRF.search(page.text)
    assert csrf
    before = stored(smart_app, m.Observation, "ehr-p1")
    r = client.post(
        "/patients/ehr-p1/exam",
        data={
            "csrf_token": csrf.group(1),
            "exam_date": TODAY.isoformat(),
            "knee-left-flexion": "120",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:300]
    assert stored(smart_app, m.Observation, "ehr-p1") > before
    with smart_app.state.sessionmaker() as s:
        writes = list(
            s.scalars(
                select(m.AuditEntry).where(
                    m.AuditEntry.patient_id == "ehr-p1", m.AuditEntry.action == "write"
                )
            )
        )
    assert len(writes) == 2 and writes[0].username == writes[1].username
    assert writes[1].username.startswith("ehr-")


def test_session_ends_with_the_access_token_unless_refreshed(
    smart_app: FastAPI, ehr: StandInEHR
) -> None:
    client = TestClient(smart_app, base_url=APP)
    launch(client, ehr)
    with smart_app.state.sessionmaker.begin() as s:
        s.execute(update(m.SmartSession).values(expires_at=now() - timedelta(seconds=5)))
    assert client.get("/patients/ehr-p1").status_code == 200  # refreshed
    assert ehr.requests_for("token")[-1]["form"]["grant_type"] == "refresh_token"
    with smart_app.state.sessionmaker() as s:
        smart = s.scalars(select(m.SmartSession)).one()
        assert smart.expires_at.replace(tzinfo=None) > now().replace(tzinfo=None)
    ehr.refresh_tokens.clear()  # the EHR no longer honours it
    with smart_app.state.sessionmaker.begin() as s:
        s.execute(update(m.SmartSession).values(expires_at=now() - timedelta(seconds=5)))
    ended = client.get("/patients/ehr-p1", follow_redirects=False)
    assert ended.status_code == 401 and "has ended" in ended.text
    assert client.get("/patients/ehr-p1", follow_redirects=False).status_code in (303, 401)


def test_the_ehr_being_down_is_explained(make_app: AppFactory) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/fhir"
    app = make_app({dead: {"client_id": "x"}})
    r = TestClient(app, base_url=APP).get("/smart/launch", params={"iss": dead, "launch": "L"})
    assert r.status_code == 502 and "could not be reached" in r.text


def test_partial_record_is_named_on_the_page(smart_app: FastAPI, ehr: StandInEHR) -> None:
    ehr.failing = ("MedicationRequest",)
    ehr.searchable = tuple(t for t in ehr.searchable if t != "DiagnosticReport")
    page = launch(TestClient(smart_app, base_url=APP), ehr)
    assert page.status_code == 200 and "Quillfeather" in page.text
    shown = text(page)
    assert "Part of the EHR record could not be read" in shown
    assert "MedicationRequest: the EHR answered 500" in shown
    assert "DiagnosticReport: the EHR does not offer this search" in shown
    assert not [e for e in ehr.requests_for("search") if e["type"] == "DiagnosticReport"]


def test_epic_observation_rule_searches_by_category(smart_app: FastAPI, ehr: StandInEHR) -> None:
    ehr.epic = True
    page = launch(TestClient(smart_app, base_url=APP), ehr)
    assert page.status_code == 200 and re.search(r"\b(possible|probable)\b", text(page))
    assert stored(smart_app, m.Observation, "ehr-p1") == 7
    categories = {
        e["query"].get("category") for e in ehr.requests_for("search") if e["type"] == "Observation"
    }
    assert {"laboratory", "exam"} <= categories
    assert "Part of the EHR record" not in page.text


def test_configured_observation_categories_are_the_only_ones_asked(
    make_app: AppFactory, ehr: StandInEHR
) -> None:
    ehr.epic = True
    app = make_app(
        {ehr.fhir_base: {"client_id": ehr.client_id, "observation_categories": ["laboratory"]}}
    )
    page = launch(TestClient(app, base_url=APP), ehr)
    assert page.status_code == 200
    asked = [
        e["query"].get("category") for e in ehr.requests_for("search") if e["type"] == "Observation"
    ]
    assert asked == ["laboratory"]
    assert stored(app, m.Observation, "ehr-p1") == 6  # the exam finding was not asked for


def test_framing_headers_name_the_ehr_origin_only_in_the_smart_session(
    smart_app: FastAPI, ehr: StandInEHR
) -> None:
    client = TestClient(smart_app, base_url=APP)
    page = launch(client, ehr)
    csp = page.headers["content-security-policy"]
    assert f"frame-ancestors {ehr.base}" in csp and "frame-ancestors 'none'" not in csp
    assert "x-frame-options" not in page.headers
    plain = TestClient(smart_app, base_url=APP).get("/login")
    assert "frame-ancestors 'none'" in plain.headers["content-security-policy"]
    assert plain.headers["x-frame-options"] == "DENY"


def test_cookies_are_samesite_none_and_secure_on_an_https_base_url(
    make_app: AppFactory, ehr: StandInEHR
) -> None:
    app = make_app({ehr.fhir_base: {"client_id": ehr.client_id}}, base_url="https://ho.example.org")
    r = TestClient(app, base_url=APP).get(
        "/smart/launch", params={"iss": ehr.fhir_base, "launch": "L1"}, follow_redirects=False
    )
    cookie = r.headers["set-cookie"].lower()
    assert "samesite=none" in cookie and "secure" in cookie
    assert parse_qs(urlsplit(r.headers["location"]).query)["redirect_uri"] == [
        "https://ho.example.org/smart/callback"
    ]


def test_app_context_from_a_cds_card_leads_to_the_site_it_names(
    smart_app: FastAPI, ehr: StandInEHR
) -> None:
    ehr.app_context = '{"view":"patient","joint":"hip","side":"right"}'
    client = TestClient(smart_app, base_url=APP)
    r = client.get(authorize(client, ehr), follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/patients/ehr-p1#hip-right"
