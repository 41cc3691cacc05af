"""API fuzzing: Schemathesis generates requests from the app's own OpenAPI schema, valid ones and
invalid ones, and sends them as each demo account (signed in, with its CSRF token) and anonymous.
No request may get a 5xx, and every 4xx must say what went wrong.

Path parameters are drawn from the schema's generator and from the real ids (the family
account's own patient, another patient, a patient with a lesion to refer, a firing alert, a real
user, a real referral) so that the handlers behind
the access checks are reached too. `HOSENTINEL_FUZZ_EXAMPLES` sets the examples per operation
and mode (small in `make test`, large in `make fuzz`).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from sqlalchemy import select

from hosentinel.store import models as m
from tests.support.seckit import (
    ACCOUNTS,
    OTHER,
    OWN,
    REFERABLE,
    Account,
    account,
    fuzz_settings,
    make_referral,
    record,
    unclear,
)

PARAM = re.compile(r"{([^}]+)}")
# Signing out ends the session the rest of the run needs: /logout is fuzzed anonymously only.
SIGNED_IN_SKIP = {("POST", "/logout")}
TRANSPORT_KEYS = ("method", "url", "headers", "params", "json", "content", "data", "files")


def _real_ids(app: FastAPI, patient_ids: dict[str, str]) -> dict[str, list[Any]]:
    with app.state.sessionmaker() as session:
        users = list(session.scalars(select(m.User.id).order_by(m.User.id)))
    return {
        "patient_id": [patient_ids[OWN], patient_ids[OTHER], patient_ids[REFERABLE]],
        "key": ["rec:rule-out-dvt", "rec:serial-joint-exam", "caution:nsaid-indomethacin:x"],
        "user_id": users[-2:],
        "referral_id": [make_referral(app, patient_ids[REFERABLE])],
    }


def _only_strings(schema: dict[str, Any]) -> bool:
    options = schema.get("anyOf", [schema])
    return all(o.get("type") in ("string", "null") for o in options)


def _can_be_invalid(operation: Any) -> bool:
    """Whether negative generation has anything to break: a body, or a parameter that is not a
    free-form string (every string is a valid string, so those only make Hypothesis give up)."""
    params = [*operation.query, *operation.path_parameters, *operation.headers]
    return bool(len(operation.body)) or not all(
        _only_strings(p.definition.get("schema", {})) for p in params
    )


def _send(acct: Account, case: Case) -> tuple[int, str, bytes]:
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    request = {k: v for k, v in kwargs.items() if k in TRANSPORT_KEYS and v is not None}
    headers = {k: v for k, v in dict(request.pop("headers", {})).items() if k != "Connection"}
    headers.update(acct.headers)
    if isinstance(request.get("data"), str | bytes):  # a raw body, not form fields
        request["content"] = request.pop("data")
    response = acct.client.request(**request, headers=headers, follow_redirects=False)
    return response.status_code, response.headers.get("content-type", ""), response.content


@pytest.mark.parametrize("name", ACCOUNTS)
def test_fuzzed_requests_get_no_5xx_and_every_4xx_says_why(
    app: FastAPI, demo_patient_ids: dict[str, str], name: str
) -> None:
    acct = account(app, name)
    schema = schemathesis.openapi.from_dict(app.openapi())
    real = _real_ids(app, demo_patient_ids)
    failures: list[str] = []
    sent = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        method = operation.method.upper()
        if name != "anonymous" and (method, operation.path) in SIGNED_IN_SKIP:
            continue
        names = PARAM.findall(operation.path)
        fixed = st.fixed_dictionaries({p: st.sampled_from(real[p]) for p in names if p in real})
        modes = [GenerationMode.POSITIVE]
        if _can_be_invalid(operation):
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:
            generated = operation.as_strategy(mode)
            with_real = fixed.flatmap(
                lambda params, op=operation, mode=mode: op.as_strategy(mode, path_parameters=params)
            )
            strategy = st.one_of(generated, with_real) if names else generated

            @fuzz_settings()
            @given(case=strategy)
            def check(case: Case) -> None:
                nonlocal sent
                status, content_type, body = _send(acct, case)
                sent += 1
                assert status < 500, f"{status}: {body[:300]!r}"
                problem = unclear(status, content_type, body)
                assert problem is None, problem

            try:
                check()
            except Unsatisfiable:
                continue  # nothing to make invalid (no parameters, or free-form strings only)
            except AssertionError as exc:
                failures.append(f"{name} {method} {operation.path} ({mode.value}): {exc}")
    record("API requests fuzzed (Schemathesis)", sent)
    assert sent > 0
    assert not failures, "\n".join(failures)


def test_ids_and_numbers_past_64_bits_are_a_4xx(app: FastAPI) -> None:
    """Found by the fuzzing: a user id past 64 bits made SQLite raise OverflowError (a 500)."""
    admin = account(app, "admin")
    for big in ("99999999999999999999", "-99999999999999999999", "0"):
        responses = [
            admin.client.patch(f"/api/admin/users/{big}", json={}, headers=admin.headers),
            admin.client.post(f"/admin/users/{big}", data={"csrf_token": admin.csrf or ""}),
            admin.client.get(f"/api/admin/audit?page={big}"),
            admin.client.get(f"/admin/audit?page={big}"),
        ]
        for response in responses:
            assert response.status_code < 500, (big, response.request.url)
            assert (
                unclear(response.status_code, response.headers["content-type"], response.content)
                is None
            )
