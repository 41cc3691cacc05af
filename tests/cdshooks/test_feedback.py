"""Feedback: validated per CDS Hooks 2.0, stored as alert states from "cds-hooks", counted in the
unit lead's alert statistics."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hosentinel.store import models as m
from tests.support.cdskit import (
    ISSUER,
    OSIGN,
    PV,
    Cds,
    Keys,
    demo,
    draft_orders,
    hook_request,
    medication_request,
    prefetch_for,
)

PREGNANT = demo("19-pregnant-24-weeks-tibia-fracture")
NON_ADHERENCE = "http://terminology.hl7.org/CodeSystem/non-adherence-reason-codes"


@pytest.fixture
def warned(make_cds: Callable[..., Cds]) -> tuple[Cds, str, dict[str, Any]]:
    """An order-sign warning for an NSAID ordered for the pregnant demo patient."""
    cds = make_cds(PREGNANT.as_of)
    patient_id, prefetch = prefetch_for(PREGNANT)
    nsaid = medication_request(patient_id, "rx-1", code="5640", text="Ibuprofen 400 MG")
    body = hook_request("order-sign", patient_id, prefetch, draftOrders=draft_orders(nsaid))
    (card,) = cds.post(OSIGN, body).json()["cards"]
    return cds, patient_id, card


def _states(cds: Cds, patient_id: str) -> list[m.AlertState]:
    with cds.app.state.sessionmaker() as session:
        return list(
            session.scalars(
                select(m.AlertState)
                .where(m.AlertState.patient_id == patient_id)
                .order_by(m.AlertState.id)
            )
        )


def _kept(cds: Cds) -> list[m.CdsFeedback]:
    with cds.app.state.sessionmaker() as session:
        return list(session.scalars(select(m.CdsFeedback).order_by(m.CdsFeedback.id)))


def _override(card: dict[str, Any], when: str) -> dict[str, Any]:
    return {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "overridden",
                "overrideReason": {"userComment": "discussed"},
                "outcomeTimestamp": when,
            }
        ]
    }


def _send(cds: Cds, feedback: dict[str, Any], **sign_args: Any) -> int:
    return cds.post(OSIGN, feedback, feedback=True, **sign_args).status_code


def test_a_timestamp_from_the_future_is_refused(warned: tuple[Cds, str, dict[str, Any]]) -> None:
    cds, patient_id, card = warned
    response = cds.post(OSIGN, _override(card, "9999-12-31T23:59:59Z"), feedback=True)
    assert response.status_code == 400 and "future" in response.text
    assert _states(cds, patient_id) == [] and _kept(cds) == []
    soon = (datetime.now(UTC) + timedelta(seconds=10)).isoformat()  # within the clock skew
    assert cds.post(OSIGN, _override(card, soon), feedback=True).status_code == 200
    assert len(_states(cds, patient_id)) == 1


def test_decisions_are_ordered_as_they_arrive(warned: tuple[Cds, str, dict[str, Any]]) -> None:
    """A later decision sent with an earlier outcomeTimestamp is still the latest."""
    cds, patient_id, card = warned
    assert (
        cds.post(OSIGN, _override(card, "2025-06-26T10:00:00Z"), feedback=True).status_code == 200
    )
    accepted = {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": card["suggestions"][0]["uuid"]}],
                "outcomeTimestamp": "2020-01-01T00:00:00Z",
            }
        ]
    }
    assert cds.post(OSIGN, accepted, feedback=True).status_code == 200
    first, second = _states(cds, patient_id)
    assert (first.status, second.status) == ("overridden", "acknowledged")
    assert second.at >= first.at


def test_feedback_from_another_issuer_is_not_stored(
    make_cds: Callable[..., Cds], keys: Keys
) -> None:
    other = "https://other-ehr.example.org/"
    cds = make_cds(PREGNANT.as_of, trusted={ISSUER: keys.jwks(), other: keys.jwks()})
    patient_id, prefetch = prefetch_for(PREGNANT)
    nsaid = medication_request(patient_id, "rx-1", code="5640", text="Ibuprofen 400 MG")
    body = hook_request("order-sign", patient_id, prefetch, draftOrders=draft_orders(nsaid))
    (card,) = cds.post(OSIGN, body).json()["cards"]
    sent = cds.post(OSIGN, _override(card, "2025-06-26T10:00:00Z"), feedback=True, iss=other)
    assert sent.status_code == 200
    assert _states(cds, patient_id) == [] and _kept(cds) == []
    assert (
        cds.post(OSIGN, _override(card, "2025-06-26T10:00:00Z"), feedback=True).status_code == 200
    )
    assert len(_kept(cds)) == 1


def test_feedback_about_a_patient_not_in_the_database_is_kept(
    make_cds: Callable[..., Cds],
) -> None:
    cds = make_cds(PREGNANT.as_of)
    known, prefetch = prefetch_for(PREGNANT)
    prefetch = json.loads(json.dumps(prefetch).replace(known, "cds-only-patient"))
    nsaid = medication_request("cds-only-patient", "rx-1", code="5640", text="Ibuprofen 400 MG")
    orders = draft_orders(nsaid)
    body = hook_request("order-sign", "cds-only-patient", prefetch, draftOrders=orders)
    (card,) = cds.post(OSIGN, body).json()["cards"]
    assert (
        cds.post(OSIGN, _override(card, "2025-06-26T10:00:00Z"), feedback=True).status_code == 200
    )
    (kept,) = _kept(cds)
    assert kept.patient_id == "cds-only-patient" and kept.outcome == "overridden"
    assert kept.alert_key == "caution:nsaid-indomethacin:pregnancy"
    assert _states(cds, "cds-only-patient") == []


def test_override_with_reason_is_stored_as_an_alert_state(
    warned: tuple[Cds, str, dict[str, Any]],
) -> None:
    cds, patient_id, card = warned
    feedback = {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "overridden",
                "overrideReason": {
                    "reason": {"code": "recipient-concerns-outcomes", "system": NON_ADHERENCE},
                    "userComment": "Short course agreed with obstetrics.",
                },
                "outcomeTimestamp": "2025-06-26T10:05:31Z",
            }
        ]
    }
    response = cds.post(OSIGN, feedback, feedback=True)
    assert response.status_code == 200 and response.content == b""
    (state,) = _states(cds, patient_id)
    assert state.alert_key == "caution:nsaid-indomethacin:pregnancy"
    assert state.status == "overridden"
    assert state.reason_code == "recipient-concerns-outcomes"
    assert state.comment == "Short course agreed with obstetrics."
    assert state.source == "cds-hooks" and state.user_id is None
    # Stored at the server's receive time, not the caller's outcomeTimestamp.
    at = state.at if state.at.tzinfo else state.at.replace(tzinfo=UTC)
    assert abs((at - datetime.now(UTC)).total_seconds()) < 60
    (kept,) = _kept(cds)
    assert (kept.reason_system, kept.reason_code) == (NON_ADHERENCE, "recipient-concerns-outcomes")
    assert kept.outcome_at.replace(tzinfo=None).isoformat() == "2025-06-26T10:05:31"
    assert kept.issuer == ISSUER and kept.patient_id == patient_id
    # The same feedback again (clients may resend): still one row.
    assert cds.post(OSIGN, feedback, feedback=True).status_code == 200
    assert len(_states(cds, patient_id)) == 1
    with cds.app.state.sessionmaker() as session:
        audited = session.scalars(
            select(m.AuditEntry.what).where(
                m.AuditEntry.patient_id == patient_id, m.AuditEntry.action == "write"
            )
        ).all()
    assert audited == [
        "cds-hooks feedback overridden on caution:nsaid-indomethacin:pregnancy from "
        "https://ehr.example.com/"
    ]


def test_accepted_suggestion_is_acknowledged(warned: tuple[Cds, str, dict[str, Any]]) -> None:
    cds, patient_id, card = warned
    feedback = {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": card["suggestions"][0]["uuid"]}],
                "outcomeTimestamp": "2025-06-26T10:06:00.52Z",
            }
        ]
    }
    assert cds.post(OSIGN, feedback, feedback=True).status_code == 200
    (state,) = _states(cds, patient_id)
    assert (state.status, state.reason_code, state.source) == ("acknowledged", None, "cds-hooks")


def test_feedback_counts_in_the_unit_leads_alert_statistics(
    warned: tuple[Cds, str, dict[str, Any]],
) -> None:
    cds, _, card = warned
    feedback = {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "overridden",
                "overrideReason": {
                    "reason": {"code": "cds-not-applicable", "system": NON_ADHERENCE}
                },
                "outcomeTimestamp": "2025-06-26T10:05:31Z",
            }
        ]
    }
    assert cds.post(OSIGN, feedback, feedback=True).status_code == 200
    lead = TestClient(cds.app, base_url="https://ho.example.org")
    signed_in = lead.post(
        "/login", data={"username": "lead", "password": "demo-password"}, follow_redirects=True
    )
    assert signed_in.status_code == 200
    stats = lead.get("/api/alerts/stats").json()
    row = next(a for a in stats["alerts"] if a["key"] == "caution:nsaid-indomethacin:pregnancy")
    assert row["by_source"]["cds-hooks"] == {"overridden": 1}
    assert {"code": "cds-not-applicable", "count": 1}.items() <= row["override_reasons"][0].items()
    lead.close()


def test_feedback_on_unknown_cards_is_accepted_but_not_stored(
    warned: tuple[Cds, str, dict[str, Any]],
) -> None:
    cds, patient_id, card = warned
    unknown = {
        "feedback": [
            {
                "card": "f6b95768-b1c8-40dc-8385-bf3504b82ffb",
                "outcome": "overridden",
                "outcomeTimestamp": "2020-12-11T00:00:00Z",
            }
        ]
    }
    assert cds.post(OSIGN, unknown, feedback=True).status_code == 200
    # A known card, but reported to another service's feedback endpoint: not stored either.
    wrong_service = {
        "feedback": [
            {"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": "2025-06-26T10:00Z"}
        ]
    }
    assert cds.post(PV, wrong_service, feedback=True).status_code == 200
    assert _states(cds, patient_id) == []


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"outcome": "overridden", "outcomeTimestamp": "2020-12-11T00:00:00Z"}, "card"),
        (
            {"card": "x", "outcome": "ignored", "outcomeTimestamp": "2020-12-11T00:00:00Z"},
            "outcome",
        ),
        ({"card": "x", "outcome": "overridden"}, "outcomeTimestamp"),
        ({"card": "x", "outcome": "overridden", "outcomeTimestamp": "2020-12-11"}, "RFC 3339"),
        (
            {"card": "x", "outcome": "overridden", "outcomeTimestamp": "2020-12-11T00:00:00"},
            "time zone",
        ),
        (
            {"card": "x", "outcome": "accepted", "outcomeTimestamp": "2020-12-11T00:00:00Z"},
            "acceptedSuggestions is required",
        ),
        (
            {
                "card": "x",
                "outcome": "overridden",
                "overrideReason": {"reason": {"code": "cds-not-applicable"}},
                "outcomeTimestamp": "2020-12-11T00:00:00Z",
            },
            "reason.system",
        ),
    ],
)
def test_malformed_feedback_is_400(
    make_cds: Callable[..., Cds], item: dict[str, Any], message: str
) -> None:
    cds = make_cds(PREGNANT.as_of)
    response = cds.post(OSIGN, {"feedback": [item]}, feedback=True)
    assert response.status_code == 400
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert message in outcome["issue"][0]["diagnostics"]
    assert cds.post(OSIGN, {"cards": []}, feedback=True).status_code == 400
