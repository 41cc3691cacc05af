"""All routers of the web app in one place, so the app factory stays small (CDS Hooks is
installed by `create_app` through `hosentinel.cdshooks.install`)."""

from __future__ import annotations

from fastapi import FastAPI


def register(app: FastAPI) -> None:
    from hosentinel.app.pages import (
        admin,
        admin_audit,
        alert_tiers,
        alerts,
        alerts_api,
        audit_export,
        auth,
        break_glass,
        directory,
        exams,
        family,
        fhir_api,
        fhir_meta,
        health,
        knowledge_pages,
        patients,
        referrals,
        token,
        user_npi,
        worklist,
    )
    from hosentinel.app.smart import routes as smart

    for module in (
        health,
        auth,
        worklist,
        fhir_api,
        fhir_meta,
        patients,
        exams,
        alert_tiers,
        alerts,
        alerts_api,
        family,
        directory,
        referrals,
        knowledge_pages,
        admin,
        admin_audit,
        token,
        smart,
        break_glass,
        audit_export,
        user_npi,
    ):
        app.include_router(module.router)
