"""Alerts, below the shells: what the web app and CDS Hooks both mean by an alert.

- `keys.py`: the alert-key grammar (`rec:<id>`, `caution:<option>:<reason>`, `cds:<service>`),
  the alerts of an assessment and their labels.
- `reasons.py`: the coded override reasons (CDS Hooks non-adherence reason codes).
- `decisions.py`: decisions on alerts (`alert_states` rows), numbered, with the version check
  that refuses a decision based on one nobody saw; feedback from an EHR stored the same way.
- `stats.py`: per alert kind, how often it fires and what was decided.

No web framework here: the app's pages and the CDS Hooks service turn these into HTML or JSON.
"""
