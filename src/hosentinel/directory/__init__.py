"""The clinician directory: physiatrists and surgeons near a patient, and referral to them.

- `taxonomy`: the NUCC taxonomy codes supported, grouped (physiatry, orthopaedic surgery, ...).
- `geo`: US ZIP code -> coordinates (offline, the `zipcodes` package), distances, search cells.
- `npi`: the NPI check digit (Luhn over the 80840 prefix).
- `nppes`, `fhir_bundle`: readers for the NPPES downloadable file and FHIR directory Bundles;
  each yields clinicians and reports bad or out-of-scope rows without stopping.
- `synth`: a deterministic synthetic directory in the NPPES file format (no real people).
- `store`: upsert into the database and search by specialty, name and distance.
"""
