"""The FastAPI application: storage, templates, routers and error mapping wired together."""

from __future__ import annotations

import gc
import json
from functools import cache
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from hosentinel import cdshooks
from hosentinel.alerts.reasons import plain_reason
from hosentinel.app.admission import install_admission
from hosentinel.app.config import AppConfig
from hosentinel.app.errors import install_handlers
from hosentinel.app.headers import install_security_headers
from hosentinel.app.navigation import nav_links
from hosentinel.app.services import AssessmentCache
from hosentinel.app.smart.settings import clients_from_settings
from hosentinel.knowledge.loader import default_knowledge
from hosentinel.notes.warmup import start as notes_warm_up
from hosentinel.settings import Settings
from hosentinel.store.db import make_engine, make_sessionmaker
from hosentinel.store.migrate import upgrade

HERE = Path(__file__).parent


@cache
def shared_templates() -> Jinja2Templates:
    """One Jinja environment per process: its compiled-template cache then serves every app
    instance (tests build many apps; compiling the templates again for each is slow)."""
    return Jinja2Templates(directory=HERE / "templates")


YOUNG_COLLECTION_ALLOCATIONS = 20_000


def create_app(config: AppConfig) -> FastAPI:
    engine = make_engine(config.database_url, pool_size=config.max_concurrent_requests)
    upgrade(engine)
    app = FastAPI(
        title="HO Sentinel", version="0.1.0", docs_url="/api/docs", openapi_url="/api/openapi.json"
    )
    app.state.config = config
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.knowledge = default_knowledge()
    app.state.assessments = AssessmentCache()
    app.state.smart_clients = clients_from_settings(config.settings)
    templates = shared_templates()
    templates.env.globals["release"] = app.state.knowledge.release
    templates.env.globals["plain_reason"] = plain_reason
    templates.env.globals["nav_links"] = nav_links
    app.state.templates = templates
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    install_handlers(app)
    install_security_headers(app)
    install_admission(app, config)

    from hosentinel.app.routes import register

    host = cdshooks.Host(
        config.base_url,
        config.current_date,
        app.state.knowledge,
        app.state.sessionmaker,
        config.max_string_chars,
    )
    cdshooks.install(app, config.settings, host)
    register(app)
    # Start-up objects (knowledge base, templates, models) live for the whole process: freezing
    # them keeps the collector's full passes short, which otherwise showed as 100-300 ms pauses.
    gc.collect()
    gc.freeze()
    # A request's parsed JSON (a 500-Observation prefetch is ~15,000 objects) has no cycles and is
    # freed when the request ends; at the default 700 allocations per young collection the
    # collector ran ~20 times per such call and took a third of the server's CPU for it
    # (bench_cdshooks, `500 obs`: 9.2 -> 5.7 ms of CPU per call).
    gc.set_threshold(YOUNG_COLLECTION_ALLOCATIONS, *gc.get_threshold()[1:])
    if config.demo:
        from hosentinel.app.demo import load_demo

        with app.state.sessionmaker.begin() as session:
            app.state.demo_users = load_demo(session, config)
    return app


WORKER_SETTING = "HOSENTINEL_WORKER_CONFIG"


def worker_app() -> FastAPI:
    """The app of one worker process of `hosentinel serve --workers N` (uvicorn's factory): the
    database and base URL come from the serving process, which has migrated the database."""
    environment = Settings()
    if environment.worker_config is None:
        raise RuntimeError(f"{WORKER_SETTING} is not set: run `hosentinel serve --workers N`")
    worker = json.loads(environment.worker_config)
    app = create_app(
        AppConfig.from_env(
            worker["database_url"],
            settings=environment,
            base_url=worker["base_url"],
            secure_cookies=worker.get("secure_cookies", False),
        )
    )
    notes_warm_up(app.state.knowledge)  # spaCy loads now, not on the first note's request
    return app
