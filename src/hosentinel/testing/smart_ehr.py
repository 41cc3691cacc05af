"""A stand-in EHR on loopback for the SMART launch tests and bench: SMART configuration, an
authorization server that binds each code to its PKCE challenge (S256) and checks the verifier at
the token endpoint (RFC 7636 4.6), refresh tokens, an id_token signed with a key published at
`jwks_uri`, and a FHIR R4 API that wants the bearer token, keeps each token to its patient and
pages every search through `next` links. `epic=True` refuses an Observation search without a
category or code, as Epic does. Knobs for the negative tests: `deny`, `searchable`, `failing`,
`lie_about_patient`, `foreign_results`.

Synthetic data only: a complete C5 spinal cord injury 20 days before `today`, enoxaparin, a
penicillin allergy, `n_labs` laboratory Observations, and (for `swelling`) a right-hip swelling
finding in the project's own code system, filed last so that it comes on the last page.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

FINDING = "https://hosentinel.org/fhir/CodeSystem/finding"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
OBS_CAT = "http://terminology.hl7.org/CodeSystem/observation-category"
SEARCHABLE = (
    "Condition",
    "Procedure",
    "Observation",
    "MedicationRequest",
    "MedicationStatement",
    "AllergyIntolerance",
    "DiagnosticReport",
)


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass
class EhrPatient:
    id: str
    family: str
    given: str = "Oriel"
    swelling: bool = True
    n_labs: int = 6


def patient_resources(p: EhrPatient, today: date) -> dict[str, list[dict[str, Any]]]:
    subj = {"reference": f"Patient/{p.id}"}

    def day(n: int) -> str:
        return (today - timedelta(days=n)).isoformat()

    def cat(code: str) -> list[dict[str, Any]]:
        return [{"coding": [{"system": OBS_CAT, "code": code}]}]

    labs = [
        {
            "resourceType": "Observation",
            "id": f"{p.id}-lab{i}",
            "status": "final",
            "category": cat("laboratory"),
            "subject": subj,
            "code": {"coding": [{"system": LOINC, "code": "1988-5", "display": "CRP"}]},
            "effectiveDateTime": day(3 + i % 15),
            "valueQuantity": {"value": 3 + i % 5, "unit": "mg/L"},
        }
        for i in range(p.n_labs)
    ]
    findings = []
    if p.swelling:
        findings.append(
            {
                "resourceType": "Observation",
                "id": f"{p.id}-hip-swelling",
                "status": "final",
                "category": cat("exam"),
                "subject": subj,
                "code": {"coding": [{"system": FINDING, "code": "hip-swelling"}]},
                "bodySite": {"coding": [{"system": "http://snomed.info/sct", "code": "24028007"}]},
                "effectiveDateTime": day(1),
                "valueBoolean": True,
            }
        )
    return {
        "Patient": [
            {
                "resourceType": "Patient",
                "id": p.id,
                "gender": "male",
                "birthDate": "1988-04-12",
                "name": [{"family": p.family, "given": [p.given]}],
            }
        ],
        "Condition": [
            {
                "resourceType": "Condition",
                "id": f"{p.id}-sci",
                "subject": subj,
                "clinicalStatus": {"coding": [{"code": "active"}]},
                "verificationStatus": {"coding": [{"code": "confirmed"}]},
                "code": {"coding": [{"system": ICD10, "code": "S14.115A"}], "text": "C5 SCI"},
                "onsetDateTime": day(20),
            }
        ],
        "Observation": labs + findings,
        "MedicationRequest": [
            {
                "resourceType": "MedicationRequest",
                "id": f"{p.id}-enox",
                "status": "active",
                "intent": "order",
                "subject": subj,
                "authoredOn": day(19),
                "medicationCodeableConcept": {
                    "coding": [
                        {
                            "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                            "code": "67108",
                            "display": "enoxaparin",
                        }
                    ]
                },
            }
        ],
        "AllergyIntolerance": [
            {
                "resourceType": "AllergyIntolerance",
                "id": f"{p.id}-pen",
                "patient": subj,
                "code": {"text": "Penicillin"},
            }
        ],
        "Procedure": [],
        "MedicationStatement": [],
        "DiagnosticReport": [],
    }


@dataclass
class StandInEHR:
    client_id: str = "ho-sentinel-test"
    today: date = field(default_factory=date.today)
    patients: dict[str, EhrPatient] = field(default_factory=dict)
    launches: dict[str, str] = field(default_factory=dict)  # launch -> patient id
    standalone_patient: str | None = None
    page_size: int = 50
    epic: bool = False
    expires_in: int = 3600
    issue_refresh: bool = True
    deny: bool = False
    searchable: tuple[str, ...] = SEARCHABLE
    failing: tuple[str, ...] = ()  # resource types whose searches answer 500
    lie_about_patient: str | None = None  # the token response names this patient instead
    foreign_results: bool = False  # searches also return another patient's resources
    user: str = "Practitioner/dr-marrowby"
    app_context: str | None = None  # handed back in the token response (a CDS card's smart link)
    log: list[dict[str, Any]] = field(default_factory=list)
    token_errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": "standin-1", "alg": "RS256", "use": "sig"})
        self.jwks = {"keys": [jwk]}
        self.codes: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, dict[str, Any]] = {}
        self.refresh_tokens: dict[str, str] = {}
        self.searches: dict[str, list[dict[str, Any]]] = {}
        self.lock = threading.Lock()
        self.app = self._build()

    # -- lifecycle
    def start(self) -> StandInEHR:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.fhir_base = f"{self.base}/fhir"
        self.data = {pid: patient_resources(p, self.today) for pid, p in self.patients.items()}
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]})
        self.thread.daemon = True
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    def requests_for(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.log if e["kind"] == kind]

    # -- the app
    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.get("/fhir/.well-known/smart-configuration")
        def smart_configuration() -> dict[str, Any]:
            self.log.append({"kind": "config"})
            return {
                "issuer": self.fhir_base,
                "authorization_endpoint": f"{self.base}/auth/authorize",
                "token_endpoint": f"{self.base}/auth/token",
                "jwks_uri": f"{self.base}/auth/jwks",
                "code_challenge_methods_supported": ["S256"],
                "grant_types_supported": ["authorization_code", "refresh_token"],
                "capabilities": [
                    "launch-ehr",
                    "launch-standalone",
                    "context-ehr-patient",
                    "client-public",
                    "sso-openid-connect",
                    "permission-v2",
                ],
            }

        @app.get("/ehr/chart")
        def chart(src: str) -> Response:
            # The EHR's own page with the app embedded, as an EHR shows a SMART app.
            html = (
                "<!doctype html><title>Stand-in EHR chart</title><h1>EHR chart</h1>"
                f'<iframe id="app" src="{src}" width="1100" height="700"></iframe>'
            )
            return Response(html, media_type="text/html")

        @app.get("/auth/jwks")
        def jwks() -> dict[str, Any]:
            return self.jwks

        @app.get("/fhir/metadata")
        def metadata() -> Response:
            resources = [
                {"type": t, "interaction": [{"code": "read"}, {"code": "search-type"}]}
                for t in self.searchable
            ]
            body = {
                "resourceType": "CapabilityStatement",
                "status": "active",
                "kind": "instance",
                "fhirVersion": "4.0.1",
                "format": ["json"],
                "rest": [
                    {
                        "mode": "server",
                        "resource": [
                            {"type": "Patient", "interaction": [{"code": "read"}]},
                            *resources,
                        ],
                    }
                ],
            }
            return JSONResponse(body, media_type="application/fhir+json")

        @app.get("/auth/authorize")
        def authorize(request: Request) -> Response:
            p = dict(request.query_params)
            self.log.append({"kind": "authorize", "params": p})
            if p.get("client_id") != self.client_id or p.get("response_type") != "code":
                return Response("unknown client or response_type", status_code=400)
            if p.get("aud") != self.fhir_base:
                return Response("aud is not this FHIR server", status_code=400)
            redirect = p.get("redirect_uri", "")
            if self.deny:
                back = {"error": "access_denied", "error_description": "The user declined"}
                return RedirectResponse(f"{redirect}?{urlencode({**back, 'state': p['state']})}")
            if p.get("code_challenge_method") != "S256" or not p.get("code_challenge"):
                return Response("PKCE S256 required", status_code=400)
            launch = p.get("launch")
            patient = self.launches.get(launch) if launch else self.standalone_patient
            if patient is None:
                return Response("unknown launch", status_code=400)
            code = secrets.token_urlsafe(24)
            self.codes[code] = {
                "challenge": p["code_challenge"],
                "redirect_uri": redirect,
                "patient": patient,
                "scope": p.get("scope", ""),
                "used": False,
            }
            return RedirectResponse(
                f"{redirect}?{urlencode({'code': code, 'state': p.get('state', '')})}"
            )

        @app.post("/auth/token")
        async def token(request: Request) -> Response:
            form = dict(await request.form())
            self.log.append({"kind": "token", "form": form})

            def fail(why: str) -> Response:
                self.token_errors.append(why)
                return JSONResponse({"error": "invalid_grant", "error_description": why}, 400)

            if form.get("client_id") != self.client_id:
                return fail("unknown client_id")
            if form.get("grant_type") == "refresh_token":
                patient = self.refresh_tokens.get(str(form.get("refresh_token")))
                if patient is None:
                    return fail("unknown refresh token")
                return JSONResponse(self._issue(patient, "refreshed", with_id_token=False))
            if form.get("grant_type") != "authorization_code":
                return fail("unsupported grant_type")
            with self.lock:
                rec = self.codes.get(str(form.get("code")))
                if rec is None or rec["used"]:
                    return fail("unknown or used code")
                rec["used"] = True
            if form.get("redirect_uri") != rec["redirect_uri"]:
                return fail("redirect_uri differs")
            verifier = str(form.get("code_verifier") or "")
            if not (43 <= len(verifier) <= 128) or s256(verifier) != rec["challenge"]:
                return fail("PKCE verification failed")
            return JSONResponse(self._issue(rec["patient"], rec["scope"], with_id_token=True))

        @app.get("/fhir/{rtype}/{rid}")
        def read(rtype: str, rid: str, request: Request) -> Response:
            grant = self._grant(request)
            self.log.append({"kind": "read", "type": rtype, "id": rid, "ok": grant is not None})
            if grant is None:
                return _outcome(401, "bearer token required")
            for pid, record in self.data.items():
                for r in record.get(rtype, []):
                    if r["id"] == rid:
                        if pid != grant["patient"]:
                            return _outcome(403, "outside the token's patient")
                        return JSONResponse(r, media_type="application/fhir+json")
            return _outcome(404, "not found")

        @app.get("/fhir/{rtype}")
        def search(rtype: str, request: Request) -> Response:
            grant = self._grant(request)
            q = dict(request.query_params)
            self.log.append({"kind": "search", "type": rtype, "query": q, "ok": grant is not None})
            if grant is None:
                return _outcome(401, "bearer token required")
            if "_page" in q:
                return self._page(q["_page"], int(q.get("_offset", "0")), grant)
            if rtype not in self.searchable:
                return _outcome(400, f"{rtype} search is not supported")
            if rtype in self.failing:
                return _outcome(500, "internal error")
            pid = q.get("patient", "").split("/")[-1]
            if pid != grant["patient"]:
                return _outcome(403, "the token is for another patient")
            if self.epic and rtype == "Observation" and not (q.get("category") or q.get("code")):
                return _outcome(400, "Observation searches need a category or code")
            items = list(self.data[pid].get(rtype, []))
            if "category" in q:
                items = [
                    r
                    for r in items
                    if any(
                        c.get("code") == q["category"]
                        for cc in r.get("category", [])
                        for c in cc.get("coding", [])
                    )
                ]
            if self.foreign_results:
                other = [o for o in self.data if o != pid]
                items += [dict(r) for o in other for r in self.data[o].get(rtype, [])]
            sid = secrets.token_hex(8)
            self.searches[sid] = items
            return self._page(sid, 0, grant, int(q.get("_count", self.page_size)))

        return app

    def _issue(self, patient: str, scope: str, with_id_token: bool) -> dict[str, Any]:
        access = secrets.token_urlsafe(32)
        self.tokens[access] = {"patient": patient, "expires": time.time() + self.expires_in}
        answer: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": scope,
            "patient": self.lie_about_patient or patient,
        }
        if self.app_context is not None:
            answer["appContext"] = self.app_context
        if self.issue_refresh:
            refresh = secrets.token_urlsafe(32)
            self.refresh_tokens[refresh] = patient
            answer["refresh_token"] = refresh
        if with_id_token:
            now = int(time.time())
            claims = {
                "iss": self.fhir_base,
                "sub": "dr-marrowby",
                "aud": self.client_id,
                "iat": now,
                "exp": now + 300,
                "fhirUser": f"{self.fhir_base}/{self.user}",
                "name": "Dr Tamsin Marrowby",
            }
            answer["id_token"] = jwt.encode(
                claims, self.key, algorithm="RS256", headers={"kid": "standin-1"}
            )
        return answer

    def _grant(self, request: Request) -> dict[str, Any] | None:
        auth = request.headers.get("authorization", "")
        grant = self.tokens.get(auth[7:]) if auth.lower().startswith("bearer ") else None
        if grant is None or grant["expires"] < time.time():
            return None
        return grant

    def _page(
        self,
        sid: str,
        offset: int,
        grant: dict[str, Any],  # noqa: ARG002 - the caller's grant, checked before paging
        size: int | None = None,
    ) -> Response:
        items = self.searches.get(sid)
        if items is None:
            return _outcome(404, "no such page")
        size = min(size or self.page_size, self.page_size)
        chunk = items[offset : offset + size]
        links = [{"relation": "self", "url": f"{self.fhir_base}/Observation?_page={sid}"}]
        if offset + size < len(items):
            nxt = urlencode({"_page": sid, "_offset": offset + size})
            links.append({"relation": "next", "url": f"{self.fhir_base}/Page?{nxt}"})
        body = {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(items),
            "link": links,
            "entry": [
                {
                    "fullUrl": f"{self.fhir_base}/{r['resourceType']}/{r['id']}",
                    "resource": r,
                    "search": {"mode": "match"},
                }
                for r in chunk
            ],
        }
        return JSONResponse(body, media_type="application/fhir+json")


def _outcome(status: int, text: str) -> Response:
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "processing", "diagnostics": text}],
    }
    return JSONResponse(body, status_code=status, media_type="application/fhir+json")
