"""Audit the locked dependencies for known vulnerabilities (`make audit`).

Exports `uv.lock` (every group and extra, exact versions) to a requirements file and runs
pip-audit on it without resolving or installing anything. pip-audit's PyPI service reports a
package it cannot look up as "skipped" and still exits 0; here a package that was not audited is
a failure too, so a run without the network never passes for a clean audit.

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
from pathlib import Path

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service", choices=["pypi", "osv"], default="pypi")
    parser.add_argument("--osv-url", default=None)
    parser.add_argument("--timeout", type=int, default=15)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        requirements = Path(tmp) / "requirements.txt"
        locked = export_lock(requirements)
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
    deps = report.get("dependencies", [])
    skipped = [d for d in deps if d.get("skip_reason")]
    vulnerable = [d for d in deps if d.get("vulns")]
    audited = len(deps) - len(skipped)
    sys.stdout.write(
        f"{locked} locked packages, {len(deps)} for this platform; {audited} audited against "
        f"{args.service}; "
        f"{len(skipped)} not audited; {len(vulnerable)} with known vulnerabilities\n"
    )
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
            sys.stdout.write(f"  {dep['name']} {dep.get('version')}: {vuln['id']} (fix: {fixes})\n")
    if vulnerable:
        return 1
    if skipped or not deps:
        sys.stderr.write(f"audit incomplete: {skipped[0]['skip_reason'] if skipped else ''}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
