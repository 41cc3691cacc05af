from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from hosentinel.app.deps import Db

router = APIRouter()


@router.get("/healthz", include_in_schema=False)
def healthz(db: Db) -> dict[str, str]:
    db.execute(text("SELECT 1"))
    return {"status": "ok"}
