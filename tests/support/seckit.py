"""Shared pieces of the security and fuzzing tests: the roles, every route of the app, how many
examples to fuzz, what counts as a clear error message, and the figures the tests measure.

`HOSENTINEL_FUZZ_EXAMPLES` sets how many examples each fuzzed operation or input strategy gets:
small (and derandomised, so a run is repeatable) in `make test`, large and random in `make fuzz`.
The figures (requests fuzzed, attacks refused, ...) are added up per run and printed at the end
of the pytest run (`pytest_terminal_summary` in conftest.py).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass

import orjson
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from sqlalchemy import select

from hosentinel.store import models as m
from tests.support.appkit import sign_in

# Demo username -> the role it has (see hosentinel.app.demo); "anonymous" is not signed in.
USERS = {
    "physiatrist": "physiatrist",
    "therapist": "therapist",
    "nurse": "nurse",
    "lead": "unit-lead",
    "admin": "admin",
    "family": "family",
}
ACCOUNTS = (*USERS, "anonymous")
OWN = "03-sci-hip-rom-loss-probable.json"  # the family account's patient
OTHER = "04-sci-day-18-swollen-thigh.json"
# Mature right hip HO limiting sitting: a surgical referral is recommended, so a physiatrist may
# refer this patient (OWN and OTHER have no lesion to refer: 422).
REFERABLE = "09-tbi-hip-ho-mature-refer.json"

DEFAULT_EXAMPLES = 3
FIGURES: Counter[str] = Counter()


def fuzz_examples(default: int = DEFAULT_EXAMPLES) -> int:
    """`default` in `make test`; scaled by HOSENTINEL_FUZZ_EXAMPLES / DEFAULT_EXAMPLES when that
    is set (so FUZZ_EXAMPLES=25 gives 25 per API operation and 8x the inputs elsewhere)."""
    wanted = os.environ.get("HOSENTINEL_FUZZ_EXAMPLES")
    if wanted is None:
        return default
    return max(1, round(default * int(wanted) / DEFAULT_EXAMPLES))


def deep() -> bool:
    """A long run (`make fuzz`): random seeds instead of the repeatable ones."""
    return "HOSENTINEL_FUZZ_EXAMPLES" in os.environ


def fuzz_settings(examples: int | None = None) -> settings:
    return settings(
        max_examples=examples or fuzz_examples(),
        deadline=None,
        database=None,
        derandomize=not deep(),
        suppress_health_check=list(HealthCheck),
    )


def record(name: str, count: int = 1) -> None:
    FIGURES[name] += count


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str


def endpoints(app: FastAPI) -> list[Endpoint]:
    """Every (method, path) the app answers, from its routing table (HEAD, the built-in docs and
    the static mount aside)."""
    found: list[Endpoint] = []
    for route in iter_route_contexts(app.routes):
        if route.path is None or route.path.startswith("/static"):
            continue
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                found.append(Endpoint(method, route.path))
    return found


@dataclass
class Account:
    """A test client signed in as one demo account (or anonymous) with its CSRF token."""

    name: str
    client: TestClient
    csrf: str | None

    @property
    def headers(self) -> dict[str, str]:
        return {"X-CSRF-Token": self.csrf} if self.csrf else {}


def account(app: FastAPI, name: str) -> Account:
    if name == "anonymous":
        return Account(name, TestClient(app, base_url="http://testserver"), None)
    signed = sign_in(app, name)
    return Account(name, signed.client, signed.csrf)


_ALERT = re.compile(r'role="alert"[^>]*>\s*(?:<[^>]+>\s*)*([^<\s][^<]*)')


def unclear(status: int, content_type: str, body: bytes) -> str | None:
    """Why a 4xx response does not tell the caller what went wrong, or None when it does: JSON
    with an `error` or `detail` string, a `detail` list whose items have a `msg`, or a FHIR
    OperationOutcome whose issues have diagnostics; an HTML page with a role="alert" message; a
    redirect to the sign-in page."""
    if not 400 <= status < 500:
        return None
    if "json" in content_type:
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return "JSON content type but the body is not JSON"
        if isinstance(data, dict):
            error, detail = data.get("error"), data.get("detail")
            if isinstance(error, str) and error.strip():
                return None
            if isinstance(detail, str) and detail.strip():
                return None
            if isinstance(detail, list) and _all_have(detail, "msg"):
                return None
            issues = data.get("issue")
            outcome = data.get("resourceType") == "OperationOutcome"
            if outcome and isinstance(issues, list) and _all_have(issues, "diagnostics"):
                return None
        return f"JSON {status} without a message: {body[:200]!r}"
    if "text/html" in content_type:
        if _ALERT.search(body.decode("utf-8", "replace")):
            return None
        return f"HTML {status} without a role=alert message"
    return f"{status} with content type {content_type!r} and no message: {body[:200]!r}"


def _all_have(items: list[object], key: str) -> bool:
    return bool(items) and all(isinstance(i, dict) and str(i.get(key) or "").strip() for i in items)


def surgeon_npi(app: FastAPI) -> str:
    """An orthopaedic surgeon's NPI from the demo directory."""
    with app.state.sessionmaker() as session:
        npi = session.scalar(
            select(m.ClinicianSearch.npi)
            .where(m.ClinicianSearch.specialty_group == "orthopaedic-surgery")
            .order_by(m.ClinicianSearch.npi)
            .limit(1)
        )
    assert npi, "the demo directory has orthopaedic surgeons"
    return npi


def make_referral(app: FastAPI, patient_id: str) -> int:
    """A referral of `patient_id` (a referable patient) made by the physiatrist through the app;
    its id."""
    doctor = sign_in(app, "physiatrist")
    response = doctor.client.post(
        f"/patients/{patient_id}/referrals",
        data={"npi": surgeon_npi(app), "zip": "60611", "csrf_token": doctor.csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:300]
    return int(response.headers["location"].rsplit("/", 1)[1])
