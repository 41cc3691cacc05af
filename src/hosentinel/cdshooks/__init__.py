"""CDS Hooks 2.0 service: HO Sentinel inside the EHR.

- `discovery.py`: the three services (patient-view, order-select, order-sign) and their prefetch.
- `security.py`: JWT checks against `HOSENTINEL_CDS_JWKS` (ES384/RS384, aud, exp, iat, jti).
- `prefetch.py`: the patient's data from prefetch or the client's FHIR server (412 otherwise).
- `orders.py`: draft orders read for drug options and radiographs.
- `cards.py`: cards from an assessment (pure); split by concept into `card_words.py`,
  `card_frame.py`, `patient_view_card.py`, `drug_cards.py`, `imaging_cards.py`.
- `feedback.py`: feedback validated and stored as alert states (`hosentinel.alerts`).
- `api.py`: the FastAPI router and CORS; `install` below mounts it on an app.

The service depends on no web app: the app that serves it calls `install(app, settings, host)`
with what the service needs from it (`Host`: base URL, clock, knowledge base, database).
"""

from __future__ import annotations

from fastapi import FastAPI

from hosentinel.cdshooks.api import CdsHooksState, Host, mount
from hosentinel.settings import Settings

__all__ = ["Host", "install"]


def install(app: FastAPI, settings: Settings, host: Host) -> CdsHooksState:
    """Serve CDS Hooks from `app` (discovery, services, feedback)."""
    return mount(app, settings, host)
