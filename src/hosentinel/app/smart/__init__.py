"""SMART App Launch (SMART on FHIR 2.x): HO Sentinel opened from inside the EHR on the patient in
context. `settings` (trusted EHRs), `ehr` (discovery, OAuth 2.0 with PKCE, id_token), `reader`
(the patient's record over FHIR REST), `sessions` (launches and launched sessions), `routes`."""
