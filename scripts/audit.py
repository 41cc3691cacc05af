"""Audit the locked dependencies for known vulnerabilities (`make audit`).

Exports `uv.lock` (every group and extra, exact versions) to a requirements file and runs
pip-audit on it without resolving or installing anything. pip-audit's PyPI service reports a
package it cannot look up as "skipped" and still exits 0; here a package that was not audited is
a failure too, so a run without the network never passes for a clean audit.

Some networks reach PyPI's project endpoint (`/pypi/NAME/json`) but not the per-release one
(`/pypi/NAME/VERSION/json`) that pip-audit asks. The project endpoint describes the latest
release, and its `vulnerabilities` are that release's
(https://docs.pypi.org/api/json/#get-a-project). So a package pip-audit skipped is looked up
there: when the pin is the latest release, its vulnerabilities are taken from there. Otherwise it
stays "not audited", with the reason.

    python scripts/audit.py                         # PyPI's JSON API (the default service)
    python scripts/audit.py --service osv           # api.osv.dev
    python scripts/audit.py --service osv --osv-url http://mirror.internal/v1/query

Exit status: 0 every locked package audited and none vulnerable; 1 known vulnerabilities (listed);
2 the audit could not be completed (packages not audited, or the service unreachable).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def export_lock(out: Path) -> int:
    """The lock as pinned requirements; returns how many packages."""
    text = subprocess.run(
        [
            str(BIN / "uv"),
            "export",
            "--frozen",
            "--format",
            "requirements-txt",
            "--no-hashes",
            "--all-groups",
            "--all-extras",
            "--no-emit-project",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    out.write_text(text)
    return sum(1 for line in text.splitlines() if line and not line.startswith((" ", "#")))


def pins(requirements: Path) -> dict[str, str]:
    """Package name -> version pinned for this interpreter and platform (markers evaluated, as
    pip-audit does: numpy, say, is pinned once per Python range)."""
    pinned: dict[str, str] = {}
    for line in requirements.read_text().splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate():
                (version,) = (spec.version for spec in requirement.specifier)
                pinned[canonicalize_name(requirement.name)] = version
    return pinned


def audit_at_latest(dep: dict[str, Any], pypi_url: str, timeout: int) -> dict[str, Any]:
    """A skipped package looked up on PyPI's project endpoint (see the module docstring)."""
    name, version = dep["name"], dep.get("version")
    try:
        with urllib.request.urlopen(f"{pypi_url}/pypi/{name}/json", timeout=timeout) as answer:
            project = json.load(answer)
    except (OSError, ValueError) as error:
        return {**dep, "skip_reason": f"{dep.get('skip_reason')}; project endpoint: {error}"}
    latest = project.get("info", {}).get("version")
    if latest != version:
        return {
            **dep,
            "skip_reason": f"pinned {version}, latest release {latest}: only the latest "
            "release's vulnerabilities are reachable from here",
        }
    vulns = [
        {"id": vuln.get("id"), "fix_versions": vuln.get("fixed_in") or []}
        for vuln in project.get("vulnerabilities") or []
    ]
    return {"name": name, "version": version, "vulns": vulns, "via": "project endpoint"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service", choices=["pypi", "osv"], default="pypi")
    parser.add_argument("--osv-url", default=None)
    parser.add_argument("--pypi-url", default="https://pypi.org")
    parser.add_argument("--timeout", type=int, default=15)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        requirements = Path(tmp) / "requirements.txt"
        locked = export_lock(requirements)
        pinned = pins(requirements)
        command = [
            str(BIN / "pip-audit"),
            "-r",
            str(requirements),
            "--no-deps",
            "--disable-pip",
            "--progress-spinner",
            "off",
            "--format",
            "json",
            "--timeout",
            str(args.timeout),
            "--vulnerability-service",
            args.service,
        ]
        if args.osv_url:
            command += ["--osv-url", args.osv_url]
        run = subprocess.run(command, capture_output=True, text=True)
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        last = (run.stderr.strip().splitlines() or ["no output"])[-1]
        sys.stderr.write(f"audit could not run ({args.service}): {last}\n")
        return 2
    # pip-audit leaves the version out of a package it skipped.
    deps = [
        {**d, "version": d.get("version") or pinned.get(canonicalize_name(d["name"]))}
        for d in report.get("dependencies", [])
    ]
    if args.service == "pypi":
        with ThreadPoolExecutor(max_workers=8) as pool:
            deps = list(
                pool.map(
                    lambda d: (
                        audit_at_latest(d, args.pypi_url, args.timeout)
                        if d.get("skip_reason")
                        else d
                    ),
                    deps,
                )
            )
    skipped = [d for d in deps if d.get("skip_reason")]
    by_project_endpoint = sum(1 for d in deps if d.get("via"))
    vulnerable = [d for d in deps if d.get("vulns")]
    audited = len(deps) - len(skipped)
    sys.stdout.write(
        f"{locked} locked packages, {len(deps)} for this platform; {audited} audited against "
        f"{args.service}"
        + (
            f" ({by_project_endpoint} of them on its project endpoint)"
            if by_project_endpoint
            else ""
        )
        + f"; {len(skipped)} not audited; {len(vulnerable)} with known vulnerabilities\n"
    )
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
            sys.stdout.write(f"  {dep['name']} {dep.get('version')}: {vuln['id']} (fix: {fixes})\n")
    if vulnerable:
        return 1
    for dep in skipped:
        sys.stderr.write(
            f"  not audited: {dep['name']} {dep.get('version')}: {dep['skip_reason']}\n"
        )
    if skipped or not deps:
        sys.stderr.write("audit incomplete\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
