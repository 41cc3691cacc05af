"""CDS Hooks 2.0 service: HO Sentinel inside the EHR (issue 4).

- `discovery.py`: the three services (patient-view, order-select, order-sign) and their prefetch.
- `security.py`: JWT checks against `HOSENTINEL_CDS_JWKS` (ES384/RS384, aud, exp, iat, jti).
- `prefetch.py`: the patient's data from prefetch or the client's FHIR server (412 otherwise).
- `orders.py`: draft orders read for drug options and radiographs.
- `cards.py`: cards from an assessment (pure).
- `feedback.py`: feedback validated and stored as alert states.
- `api.py`: the FastAPI router (registered in `hosentinel.app.routes`) and CORS.
"""
