"""Synthetic patients, written in FHIR: invented people only, tagged as test data (HTEST).

- `builders.py`: the small FHIR language cases are written in (`condition(icd10=...)`, `rom(...)`).
- `expect.py`: what a correct engine concludes about a case, in the core's vocabulary.
- `case.py`: a case, and the case as a FHIR Bundle with stable ids.
- `cases/`: one module per case.

Used by the demo (`hosentinel.demo.build_bundles` writes them out as the demo bundles) and by the
synthetic Bulk Data export (`hosentinel.screening.scenarios`), which depends on no demo module.
"""
