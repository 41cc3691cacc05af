"""Population screening of FHIR Bulk Data exports (`hosentinel screen`, `hosentinel synth`).

One extraction definition (`extraction.py`, an Ibis expression over a table of NDJSON lines) runs
on DuckDB (`duckdb_engine.py`) or Apache Spark (`spark_engine.py`). The engine reads every line,
keeps the Patient lines and the lines that can matter to the assessment (`relevance.py`), and
groups them by patient; each patient's lines then go through the same per-resource builders as
`assess` and the same pure `evaluate` (`patients.py`). `synth.py` writes realistic synthetic
exports to screen.
"""
