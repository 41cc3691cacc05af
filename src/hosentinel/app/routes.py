"""All routers in one place, so the app factory stays small."""

from __future__ import annotations

from fastapi import FastAPI


def register(app: FastAPI) -> None:
    from hosentinel.app.pages import auth, fhir_api, health, worklist

    for module in (health, auth, worklist, fhir_api):
        app.include_router(module.router)
