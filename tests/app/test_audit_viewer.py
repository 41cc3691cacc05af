"""The audit-log viewer: patients by name, a date range, and the same entries as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from tests.support.appkit import SignedIn

WARFARIN = "05-sci-confirmed-active-warfarin.json"


def test_audit_log_names_patients_filters_by_name_and_dates_and_exports_csv(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    pid = demo_patient_ids[WARFARIN]
    nurse = signed_in("nurse")
    name = nurse.client.get(f"/api/patients/{pid}").json()["name"]
    assert nurse.client.get(f"/patients/{pid}").status_code == 200  # audited read
    admin = signed_in("admin").client
    page = admin.get("/admin/audit", params={"patient": name[:14].lower()}).text
    assert f">{name}</a>" in page and 'name="since"' in page and 'name="until"' in page
    assert "Export these entries (CSV)" in page
    export = admin.get("/admin/audit.csv", params={"patient": pid})
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert rows and {r["patient_id"] for r in rows} == {pid}
    assert {r["patient_name"] for r in rows} == {name}
    assert any(r["username"] == "nurse" and r["action"] == "read" for r in rows)
    future = admin.get("/admin/audit.csv", params={"since": "2099-01-01"})
    assert list(csv.DictReader(io.StringIO(future.text))) == []
    today = rows[0]["at_utc"][:10]
    same_day = admin.get("/admin/audit.csv", params={"since": today, "until": today}).text
    assert len(list(csv.DictReader(io.StringIO(same_day)))) >= len(rows)
    assert signed_in("nurse").client.get("/admin/audit.csv").status_code == 403
