"""`hosentinel serve`: the web app and all services, in one process or several workers."""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated

import typer

from hosentinel.cli.common import fail

serve_app = typer.Typer()


@serve_app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    database: Annotated[
        str | None,
        typer.Option(help="SQLAlchemy URL (default: an SQLite file in the working directory)."),
    ] = None,
    demo_data: Annotated[
        bool, typer.Option("--demo", help="Load the synthetic demo patients and demo users.")
    ] = False,
    workers: Annotated[
        int,
        typer.Option(help="Server processes (one per core serves the most calls).", min=1),
    ] = 1,
    base_url_option: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            envvar="HOSENTINEL_BASE_URL",
            help="Public URL the service is reached at, e.g. behind a TLS proxy "
            "(default http://HOST:PORT).",
        ),
    ] = None,
    secure_cookies: Annotated[
        bool, typer.Option("--secure-cookies", help="Secure session cookies on an http base URL.")
    ] = False,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(help="Proxies whose X-Forwarded-For is believed (default: none)."),
    ] = None,
) -> None:
    """Run the web app and all services."""
    import uvicorn

    from hosentinel.app.config import AppConfig, public_base_url
    from hosentinel.app.demo import DemoRefused
    from hosentinel.app.exposure import exposure_warning, proxy_options
    from hosentinel.app.main import WORKER_SETTING, create_app
    from hosentinel.notes.warmup import start as notes_warm_up
    from hosentinel.store.db import default_url

    url = database or default_url()
    try:
        base_url = public_base_url(base_url_option, host, port)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--base-url") from None
    config = AppConfig.from_env(
        url, demo=demo_data, base_url=base_url, secure_cookies=secure_cookies
    )
    # This process migrates the database and loads the demo data once, before any worker starts.
    from hosentinel.app.smart.settings import SmartSettingsError

    try:
        application = create_app(config)
    except (SmartSettingsError, DemoRefused) as exc:
        fail(str(exc))
    warning = exposure_warning(host, base_url)
    if warning:
        sys.stderr.write(f"hosentinel: warning: {warning}\n")
    if demo_data:
        sys.stdout.write("Demo users (synthetic, local use only):\n")
        for username, password, role in application.state.demo_users:
            sys.stdout.write(f"  {username:<12} {password:<16} {role}\n")
    processes = f" ({workers} processes)" if workers > 1 else ""
    local = f"http://{host}:{port}"
    listening = f" (listening on {local})" if base_url != local else ""
    sys.stdout.write(f"HO Sentinel on {base_url}/{processes}{listening}\n")
    sys.stdout.flush()
    if workers == 1:
        notes_warm_up(application.state.knowledge)
        uvicorn.run(
            application,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            **proxy_options(forwarded_allow_ips),  # type: ignore[arg-type]
        )
        return
    application.state.engine.dispose()
    os.environ[WORKER_SETTING] = json.dumps(
        {"database_url": url, "base_url": base_url, "secure_cookies": secure_cookies}
    )
    uvicorn.run(
        "hosentinel.app.main:worker_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        **proxy_options(forwarded_allow_ips),  # type: ignore[arg-type]
    )
