"""All routers in one place, so the app factory stays small."""

from __future__ import annotations

from fastapi import FastAPI


def register(app: FastAPI) -> None:
    from hosentinel.app.pages import (
        admin,
        alerts,
        alerts_api,
        auth,
        directory,
        exams,
        family,
        fhir_api,
        health,
        knowledge_pages,
        patients,
        referrals,
        worklist,
    )
    from hosentinel.cdshooks import api as cds_hooks

    for module in (
        cds_hooks,
        health,
        auth,
        worklist,
        fhir_api,
        patients,
        exams,
        alerts,
        alerts_api,
        family,
        directory,
        referrals,
        knowledge_pages,
        admin,
    ):
        app.include_router(module.router)
