"""Browser tests: the real app (`hosentinel serve --demo`) driven by Debian's Chromium.

Each test module gets its own server (a subprocess on a free port, in a temporary working
directory so its SQLite file is thrown away, with HOSENTINEL_TODAY fixed), so a module that
writes (an exam, an override) cannot change what another module sees. One Chromium runs for the
whole session (Playwright's `executable_path`: Playwright never downloads a browser here); each
test gets a fresh browser context, so no cookies carry over between tests.

Chromium comes from Debian's `chromium` package, which `scripts/install-system-deps.sh`
installs when missing (`make test` runs it first). Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from tests.support.browserkit import CHROMIUM, CHROMIUM_ARGS, AppServer, start_server


@pytest.fixture(scope="module")
def server() -> Iterator[AppServer]:
    app_server = start_server()
    yield app_server
    app_server.stop()
    shutil.rmtree(app_server.workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run `bash scripts/install-system-deps.sh` "
            "(or `make test`, which runs it first)"
        )
    chromium = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    # The first page of a new Chromium install builds its font cache: do it here, untimed.
    warm = chromium.new_page()
    warm.set_content("<p>HO Sentinel</p>")
    warm.screenshot()
    warm.close()
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # A tablet in landscape: the size the unit's staff read the app on.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(30_000)
    expect.set_options(timeout=30_000)
    tab = context.new_page()
    yield tab
    context.close()
