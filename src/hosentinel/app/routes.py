"""All routers of the web app in one place, so the app factory stays small (CDS Hooks is
installed by `create_app` through `hosentinel.cdshooks.install`)."""

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

    for module in (
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
