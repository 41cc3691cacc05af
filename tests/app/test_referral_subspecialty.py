"""The referral search by orthopaedic subspecialty (NUCC taxonomy codes, directory/taxonomy.yaml):
a hip lesion starts from adult reconstructive surgeons, never a spine or foot-and-ankle surgeon
first; the user can pick another subspecialty or any orthopaedic surgeon."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi import FastAPI

from hosentinel.directory.store import clinician_specialties
from hosentinel.directory.taxonomy import taxonomy
from tests.support.appkit import SignedIn

MATURE = "09-tbi-hip-ho-mature-refer.json"
RECONSTRUCTIVE, SPINE, FOOT_ANKLE = "207XS0114X", "207XS0117X", "207XX0004X"


def _npis(page: str) -> list[str]:
    return re.findall(r"referral/confirm\?npi=(\d{10})", page)


def _codes(app: FastAPI, npi: str) -> set[str]:
    with app.state.sessionmaker() as session:
        return {s.code for s in clinician_specialties(session, npi)}


def test_a_hip_lesion_searches_adult_reconstructive_surgeons_first(
    app: FastAPI, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    doctor = signed_in("physiatrist")
    pid = demo_patient_ids[MATURE]
    page = doctor.client.get(f"/patients/{pid}/referral", params={"zip": "60611", "radius": "100"})
    assert page.status_code == 200 and "right hip" in page.text
    assert f'<option value="{RECONSTRUCTIVE}" selected>' in page.text
    found = _npis(page.text)
    assert found, "the demo directory has adult reconstructive surgeons around Chicago"
    for npi in found:
        assert RECONSTRUCTIVE in _codes(app, npi), npi
    # Another subspecialty on request; any orthopaedic surgeon includes both.
    spine = _npis(
        doctor.client.get(
            f"/patients/{pid}/referral",
            params={"zip": "60611", "radius": "100", "subspecialty": SPINE},
        ).text
    )
    assert spine and all(SPINE in _codes(app, n) for n in spine)
    anyone = doctor.client.get(
        f"/patients/{pid}/referral",
        params={"zip": "60611", "radius": "100", "subspecialty": "orthopaedic-surgery"},
    ).text
    assert '<option value="orthopaedic-surgery" selected>' in anyone
    assert len(_npis(anyone)) >= len(found)


def test_an_unknown_subspecialty_falls_back_to_any_orthopaedic_surgeon(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    doctor = signed_in("physiatrist")
    pid = demo_patient_ids[MATURE]
    # A physiatry code is a directory code, but not a surgeon's: never searched from here.
    page = doctor.client.get(
        f"/patients/{pid}/referral", params={"zip": "60611", "subspecialty": "208100000X"}
    )
    assert page.status_code == 200
    assert '<option value="orthopaedic-surgery" selected>' in page.text


def test_the_joint_defaults_are_listed_codes_of_the_surgeons_group() -> None:
    tax = taxonomy()
    assert tax.referral_subspecialty == {"hip": RECONSTRUCTIVE, "knee": RECONSTRUCTIVE}
    surgeons = tax.groups["orthopaedic-surgery"].codes
    assert set(tax.referral_subspecialty.values()) <= set(surgeons)
    assert {SPINE, FOOT_ANKLE} <= set(surgeons)
