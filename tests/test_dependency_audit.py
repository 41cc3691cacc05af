"""The dependency audit (`make audit`, scripts/audit.py) without the network.

The real audit needs PyPI's JSON API or api.osv.dev; `make test` must not depend on either. Here
the lock must export with every package pinned, and the whole pipeline (export, pip-audit, the
verdict) runs against a stand-in OSV service on 127.0.0.1: a known vulnerability fails the audit
and names the package, a clean answer passes, and an unreachable service is a failure, never a
silent pass.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "audit.py"
# scripts/ is not a package: load the script as a module by its path.
_spec = importlib.util.spec_from_file_location("audit", SCRIPT)
assert _spec is not None and _spec.loader is not None
audit = importlib.util.module_from_spec(_spec)
sys.modules["audit"] = audit  # dataclasses in the script look their module up by name
_spec.loader.exec_module(audit)

VULNERABLE = "jinja2"


class JsonService(BaseHTTPRequestHandler):
    def answer(self, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


class FakeOsv(JsonService):
    vulnerable: str | None = VULNERABLE
    queries: list[str] = []  # noqa: RUF012

    def do_POST(self) -> None:
        query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        name = query["package"]["name"]
        type(self).queries.append(name)
        body: dict[str, object] = {}
        if name == type(self).vulnerable:
            body = {
                "vulns": [
                    {
                        "id": "TEST-2026-0001",
                        "summary": "a stand-in vulnerability",
                        "affected": [
                            {
                                "package": {"name": name, "ecosystem": "PyPI"},
                                "ranges": [
                                    {
                                        "type": "ECOSYSTEM",
                                        "events": [{"introduced": "0"}, {"fixed": "999.0"}],
                                    }
                                ],
                            }
                        ],
                    }
                ]
            }
        self.answer(body)


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """The handler on an ephemeral port of 127.0.0.1; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def osv() -> Iterator[str]:
    FakeOsv.queries = []
    with serving(FakeOsv) as url:
        yield f"{url}/v1/query"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300
    )


def test_the_lock_exports_with_every_package_pinned(tmp_path: Path) -> None:
    out = tmp_path / "requirements.txt"
    count = audit.export_lock(out)
    lines = [line for line in out.read_text().splitlines() if line and line[0] not in " #"]
    assert count == len(lines) > 50
    assert all("==" in line.split(";")[0] for line in lines), [
        line for line in lines if "==" not in line
    ]


def test_a_known_vulnerability_fails_the_audit(osv: str) -> None:
    FakeOsv.vulnerable = VULNERABLE
    result = _run("--service", "osv", "--osv-url", osv)
    assert result.returncode == 1, result.stderr
    assert f"  {VULNERABLE} " in result.stdout and "TEST-2026-0001" in result.stdout
    assert "fix: 999.0" in result.stdout
    assert len(FakeOsv.queries) > 50  # every locked package was asked about


def test_a_clean_answer_passes_and_counts_every_package(osv: str) -> None:
    FakeOsv.vulnerable = None
    result = _run("--service", "osv", "--osv-url", osv)
    assert result.returncode == 0, result.stderr
    assert "0 not audited; 0 with known vulnerabilities" in result.stdout


def test_an_unreachable_service_is_a_failure_not_a_pass() -> None:
    # Port 9 on loopback (discard): nothing listens there.
    result = _run("--service", "osv", "--osv-url", "http://127.0.0.1:9/v1/query", "--timeout", "2")
    assert result.returncode == 2
    assert "audit could not run" in result.stderr


class FakePypiProject(JsonService):
    """PyPI's project endpoint: `/pypi/NAME/json` describes the latest release only."""

    latest: ClassVar[dict[str, str]] = {"jinja2": "3.1.6", "numpy": "2.5.5"}
    vulnerable = "jinja2"

    def do_GET(self) -> None:
        name = self.path.split("/")[2]
        if name not in self.latest:
            self.send_error(404)
            return
        vulns = [{"id": "TEST-2026-0002", "fixed_in": ["3.1.7"]}] if name == self.vulnerable else []
        self.answer({"info": {"version": self.latest[name]}, "vulnerabilities": vulns})


@pytest.fixture
def pypi() -> Iterator[str]:
    with serving(FakePypiProject) as url:
        yield url


def _skipped(name: str, version: str) -> dict[str, object]:
    return {"name": name, "version": version, "skip_reason": "Dependency not found on PyPI"}


def test_a_pin_at_the_latest_release_is_audited_on_the_project_endpoint(pypi: str) -> None:
    found = audit.audit_at_latest(_skipped("jinja2", "3.1.6"), pypi, timeout=5)
    assert "skip_reason" not in found
    assert found["vulns"] == [{"id": "TEST-2026-0002", "fix_versions": ["3.1.7"]}]


def test_an_older_pin_stays_not_audited_with_the_reason(pypi: str) -> None:
    found = audit.audit_at_latest(_skipped("numpy", "2.4.6"), pypi, timeout=5)
    assert "pinned 2.4.6, latest release 2.5.5" in found["skip_reason"]
    missing = audit.audit_at_latest(_skipped("nonesuch", "1.0"), pypi, timeout=5)
    assert "project endpoint" in missing["skip_reason"]


def test_pins_follow_this_interpreter(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        "numpy==2.4.6 ; python_full_version < '3.12'\n"
        "numpy==2.5.5 ; python_full_version >= '3.12'\n"
        "Typing_Extensions==4.16.0\n"
        "    # via pandas\n"
    )
    expected = "2.4.6" if sys.version_info < (3, 12) else "2.5.5"
    assert audit.pins(requirements) == {"numpy": expected, "typing-extensions": "4.16.0"}
