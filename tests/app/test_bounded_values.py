"""Integers past 64 bits in a URL are a 422, never a 500 (issue 15: ids past 64 bits were 500s
on /fhir/ServiceRequest/{rid}, /patients/{id}/referrals/{rid} and /api/directory/search?page=);
untrusted values are shortened in log lines (a refused JWT's `iss` was logged whole)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from hosentinel.cdshooks import security
from hosentinel.cdshooks.errors import Unauthorized
from hosentinel.logsafe import clip
from tests.support.appkit import SignedIn

HUGE = str(2**64 + 1)


@pytest.mark.parametrize(
    "url",
    [
        f"/fhir/ServiceRequest/{HUGE}",
        "/patients/{pid}/referrals/" + HUGE,
        "/patients/{pid}/referrals/" + HUGE + "/letter.pdf",
        f"/api/directory/search?specialty=physiatry&zip=60611&page={HUGE}",
        f"/directory?specialty=physiatry&zip=60611&page={HUGE}",
        f"/admin/audit?page={HUGE}",
        f"/api/admin/audit?page={HUGE}",
    ],
)
def test_an_integer_past_64_bits_is_refused_not_a_server_error(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str], url: str
) -> None:
    user = signed_in("admin" if "/admin/" in url else "physiatrist")
    pid = next(iter(demo_patient_ids.values()))
    response = user.client.get(url.replace("{pid}", pid))
    assert response.status_code in (404, 422), (url, response.status_code)


def test_a_user_id_past_64_bits_is_refused(signed_in: Callable[[str], SignedIn]) -> None:
    admin = signed_in("admin")
    r = admin.client.patch(
        f"/api/admin/users/{HUGE}", json={"active": True}, headers={"X-CSRF-Token": admin.csrf}
    )
    assert r.status_code == 422


def test_a_refused_jwts_issuer_is_shortened_in_the_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=security.log.name)
    huge = "x" * 1_000_000
    with pytest.raises(Unauthorized):
        raise security._refuse("unknown issuer", iss=huge, jti=huge)
    (record,) = caplog.records
    assert len(record.getMessage()) < 1000
    assert "1,000,002 characters" in record.getMessage()


def test_clip() -> None:
    assert clip("short") == "'short'"
    assert clip("y" * 300, 10) == "'yyyyyyyyy... (302 characters)"
