"""The audit log as CSV (admin only), with the viewer's filters: user, patient (id or name),
action, date range.

GET /admin/audit.csv?user=&patient=&action=&since=YYYY-MM-DD&until=YYYY-MM-DD

Written out in batches; the export itself is audited.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from hosentinel.app.deps import CurrentViewer, Db, require
from hosentinel.app.pages.admin import audit_query, patient_names
from hosentinel.store import models as m
from hosentinel.store.audit import audit

router = APIRouter()

BATCH = 500
COLUMNS = ("id", "at_utc", "username", "action", "patient_id", "patient_name", "what")


@router.get("/admin/audit.csv")
def audit_csv(
    db: Db,
    viewer: CurrentViewer,
    user: str | None = None,
    patient: str | None = None,
    action: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> StreamingResponse:
    require(viewer, "admin")
    query = audit_query(user, patient, action, since, until).order_by(m.AuditEntry.id.desc())
    entries: list[m.AuditEntry] = list(db.scalars(query))
    names = patient_names(db, (e.patient_id for e in entries))
    # Plain tuples, read now: the session is closed by the time the body is sent.
    rows = [
        (e.id, e.at.isoformat(), e.username, e.action, e.patient_id or "",
         names.get(e.patient_id or "", ""), e.what)
        for e in entries
    ]  # fmt: skip
    audit(db, viewer.user, "read", f"audit log csv ({len(rows)} entries)")

    def body() -> Iterator[str]:
        batches = [[COLUMNS]] + [rows[i : i + BATCH] for i in range(0, len(rows), BATCH)]
        for batch in batches:
            out = io.StringIO()
            csv.writer(out).writerows(batch)
            yield out.getvalue()

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )
