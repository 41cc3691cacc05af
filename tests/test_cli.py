"""The `hosentinel` command line against its contract (DESIGN.md, "Contracts").

Most checks run in process through Typer's CliRunner; a few run the installed entry point
(`.venv/bin/hosentinel`) and `python -m hosentinel.cli` as real subprocesses, the way a user runs
them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hosentinel.cli import EXIT_BAD_INPUT, app
from hosentinel.demo.catalog import DemoPatient, load_catalog
from tests.support.contract import ASSESSMENT_TOP_LEVEL

CATALOG = load_catalog()
BY_FILE = {entry.file: entry for entry in CATALOG}
# A demo patient with a dated index event: complete SCI on 2025-01-06.
WITH_INJURY = BY_FILE["03-sci-hip-rom-loss-probable.json"]
# A demo patient that is recommended something on its as_of date.
WITH_RECOMMENDATIONS = BY_FILE["04-sci-day-18-swollen-thigh.json"]

# Wide enough that Rich never folds a title or a rule id across lines.
WIDE = {"COLUMNS": "400", "NO_COLOR": "1", "TERM": "dumb"}

# --- the contract (DESIGN.md), written out here so the test does not trust the code's own lists --

RECOMMENDATION_IDS = frozenset(
    {
        "serial-joint-exam",
        "rule-out-dvt",
        "rule-out-infection",
        "rule-out-fracture",
        "triple-phase-bone-scan",
        "repeat-bone-scan",
        "plain-radiograph",
        "ultrasound-soft-tissue",
        "ct-for-surgical-planning",
        "serum-alp",
        "serum-crp",
        "serum-ck",
        "rom-therapy",
        "spasticity-management",
        "pain-management",
        "nsaid-indomethacin",
        "etidronate",
        "alendronate",
        "radiation-prophylaxis",
        "surgical-referral",
    }
)
CAUTION_REASONS = frozenset(
    {
        "gi-bleed-history",
        "peptic-ulcer",
        "anticoagulant",
        "renal-impairment",
        "pregnancy",
        "fracture-healing",
        "recent-cabg",
        "heart-failure",
        "oesophageal-disorder",
        "cannot-sit-upright",
        "hypocalcaemia",
        "allergy",
        # added 2026-12-05
        "antiplatelet",
        "ssri",
        "corticosteroid",
        "osteomalacia",
    }
)
INDEX_KINDS = frozenset({"sci", "tbi", "stroke", "burn", "fracture", "arthroplasty", "blast"})
RISK_LEVELS = frozenset({"low", "moderate", "high"})
MODEL_STATUS = frozenset({"computed", "not-computable"})
PHASES = frozenset({"not-applicable", "before-window", "in-window", "after-window"})
JOINTS = frozenset({"hip", "knee", "elbow", "shoulder"})
SIDES = frozenset({"left", "right"})
SUSPICION_LEVELS = frozenset({"none", "possible", "probable", "confirmed"})
PRIORITIES = frozenset({"routine", "soon", "urgent"})
CAUTION_LEVELS = frozenset({"contraindicated", "caution"})
MATURITY = frozenset({"active", "maturing", "mature", "unknown"})
REFERRAL = frozenset({"not-indicated", "when-mature", "now"})
EDUCATION_LEVELS = frozenset({"basics", "detailed"})

TOP_LEVEL = frozenset(ASSESSMENT_TOP_LEVEL)
# Keys each object must carry (the contract), and the extra keys the implementation is known to
# add there. An extra key that is not listed fails the test, so every addition to the published
# shape is a decision someone made, not an accident. `basis` and `findings` are open ("{...}",
# "[...]") in the contract.
SHAPES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "assessment": (TOP_LEVEL, frozenset({"import"})),
    "knowledge": (frozenset({"release", "digest"}), frozenset()),
    "index_event": (
        frozenset({"kind", "date", "days_since", "basis"}),
        frozenset({"joints", "side"}),
    ),
    "risk": (frozenset({"level", "factors", "models"}), frozenset({"basis"})),
    "factor": (frozenset({"id", "basis"}), frozenset({"title", "strong", "effects"})),
    "model": (
        frozenset({"id", "status", "value", "basis"}),
        frozenset({"title", "reason"}),
    ),
    "surveillance": (frozenset({"phase", "window", "due"}), frozenset({"basis"})),
    "window": (frozenset({"start", "end"}), frozenset()),
    "due": (
        frozenset({"joint", "side", "due"}),
        frozenset({"overdue", "last_examined", "basis"}),
    ),
    "suspicion": (frozenset({"level", "sites"}), frozenset()),
    "site": (frozenset({"joint", "side", "level", "findings"}), frozenset({"basis", "dvt"})),
    "recommendation": (
        frozenset({"id", "category", "priority", "tier", "summary", "rationale", "basis"}),
        frozenset(
            {"sites", "evidence", "conflicting_evidence", "availability", "cautions", "waits_for"}
        ),
    ),
    "caution": (
        frozenset({"about", "level", "reason", "summary", "basis"}),
        frozenset({"recommended"}),
    ),
    "lesion": (
        frozenset({"joint", "side", "maturity", "surgical_referral", "basis"}),
        frozenset({"criteria", "classic_rule", "newer_evidence"}),
    ),
    "education": (frozenset({"id", "stage", "level", "title"}), frozenset({"basis"})),
    "missing_input": (frozenset({"id", "why_it_matters"}), frozenset()),
}
BASIS_KEYS = frozenset({"rule", "entries", "citations", "inputs"})
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Anything that looks like a calendar date in any common notation.
DATE_LIKE = re.compile(r"\b[0-9]{1,4}[-/][0-9]{1,2}[-/][0-9]{1,4}\b")
DATE_KEYS = frozenset({"as_of", "date", "due", "start", "end", "last_examined"})

runner = CliRunner()


# --- helpers -----------------------------------------------------------------------------------


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args), env=WIDE, catch_exceptions=False)


def assess_json(entry: DemoPatient, as_of: date | None = None) -> dict[str, Any]:
    day = (as_of or entry.as_of).isoformat()
    result = invoke("assess", str(entry.path), "--as-of", day)
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def entry_point() -> Path:
    """The `hosentinel` script the project installs next to this interpreter."""
    script = Path(sys.executable).parent / "hosentinel"
    if not script.exists():
        found = shutil.which("hosentinel")
        assert found, "the hosentinel entry point is not installed"
        script = Path(found)
    return script


def run(command: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **WIDE}
    return subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


def check_shape(obj: Any, kind: str, where: str) -> None:
    required, extras = SHAPES[kind]
    assert isinstance(obj, dict), f"{where}: not an object"
    keys = set(obj)
    assert required <= keys, f"{where}: missing {sorted(required - keys)}"
    unknown = keys - required - extras
    assert not unknown, f"{where}: keys outside the contract {sorted(unknown)}"


def walk(node: Any, path: str = "$") -> Iterator[tuple[str, str | None, Any]]:
    """(path, key, value) for every value in a JSON tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield f"{path}.{key}", key, value
            yield from walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield f"{path}[{i}]", None, value
            yield from walk(value, f"{path}[{i}]")


def check_basis(basis: Any, where: str) -> None:
    assert isinstance(basis, dict), f"{where}: basis is not an object"
    assert set(basis) >= BASIS_KEYS, f"{where}: basis lacks {sorted(BASIS_KEYS - set(basis))}"
    assert isinstance(basis["rule"], str), where
    assert basis["rule"], where
    for key in ("entries", "citations", "inputs"):
        assert isinstance(basis[key], list), f"{where}.{key}"
    assert all(isinstance(x, str) and x for x in basis["entries"]), where
    assert all(isinstance(x, str) and x for x in basis["citations"]), where
    for item in basis["inputs"]:
        assert isinstance(item, dict), where
        assert {"ref", "what"} <= set(item), f"{where}: input {item}"


def is_iso_day(value: str) -> bool:
    if not ISO_DAY.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def check_contract(data: dict[str, Any]) -> None:
    check_shape(data, "assessment", "$")
    assert re.fullmatch(r"Patient/[A-Za-z0-9\-.]{1,64}", data["patient"]), data["patient"]
    as_of = date.fromisoformat(data["as_of"])
    check_shape(data["knowledge"], "knowledge", "$.knowledge")
    assert isinstance(data["knowledge"]["release"], str)
    assert data["knowledge"]["release"]
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", data["knowledge"]["digest"])

    for i, event in enumerate(data["index_events"]):
        check_shape(event, "index_event", f"$.index_events[{i}]")
        assert event["kind"] in INDEX_KINDS
        assert event["days_since"] == (as_of - date.fromisoformat(event["date"])).days

    risk = data["risk"]
    check_shape(risk, "risk", "$.risk")
    assert risk["level"] in RISK_LEVELS
    for i, factor in enumerate(risk["factors"]):
        check_shape(factor, "factor", f"$.risk.factors[{i}]")
    for i, model in enumerate(risk["models"]):
        check_shape(model, "model", f"$.risk.models[{i}]")
        assert model["status"] in MODEL_STATUS
        if model["status"] == "not-computable":
            assert model["value"] is None, "never invent a value for a model that cannot be run"

    sv = data["surveillance"]
    check_shape(sv, "surveillance", "$.surveillance")
    assert sv["phase"] in PHASES
    if sv["phase"] == "not-applicable":
        assert sv["window"] is None
        assert sv["due"] == []
    else:
        check_shape(sv["window"], "window", "$.surveillance.window")
    for i, due in enumerate(sv["due"]):
        check_shape(due, "due", f"$.surveillance.due[{i}]")
        assert due["joint"] in JOINTS
        assert due["side"] in SIDES

    suspicion = data["suspicion"]
    check_shape(suspicion, "suspicion", "$.suspicion")
    assert suspicion["level"] in SUSPICION_LEVELS
    for i, site in enumerate(suspicion["sites"]):
        check_shape(site, "site", f"$.suspicion.sites[{i}]")
        assert site["level"] in SUSPICION_LEVELS
        assert isinstance(site["findings"], list)

    for i, rec in enumerate(data["recommendations"]):
        check_shape(rec, "recommendation", f"$.recommendations[{i}]")
        assert rec["id"] in RECOMMENDATION_IDS, f"recommendation id {rec['id']!r} not in DESIGN"
        assert rec["priority"] in PRIORITIES

    for i, caution in enumerate(data["cautions"]):
        check_shape(caution, "caution", f"$.cautions[{i}]")
        assert caution["about"] in RECOMMENDATION_IDS, caution["about"]
        assert caution["level"] in CAUTION_LEVELS
        assert caution["reason"] in CAUTION_REASONS, f"caution reason {caution['reason']!r}"

    for i, lesion in enumerate(data["lesions"]):
        check_shape(lesion, "lesion", f"$.lesions[{i}]")
        assert lesion["maturity"] in MATURITY
        assert lesion["surgical_referral"] in REFERRAL

    for i, item in enumerate(data["education"]):
        check_shape(item, "education", f"$.education[{i}]")
        assert item["level"] in EDUCATION_LEVELS

    for i, gap in enumerate(data["missing_inputs"]):
        check_shape(gap, "missing_input", f"$.missing_inputs[{i}]")

    bases = 0
    for path, key, value in walk(data):
        if key == "basis":
            bases += 1
            check_basis(value, path)
        if key in DATE_KEYS and value is not None and not isinstance(value, dict | list):
            assert isinstance(value, str), f"{path}: {value!r}"
            assert is_iso_day(value), f"{path}: {value!r} is not an ISO 8601 date"
        if isinstance(value, str):
            for found in DATE_LIKE.findall(value):
                assert is_iso_day(found), f"{path}: date {found!r} is not ISO 8601"
    # Every item in these lists is shown with its basis.
    for section in ("index_events", "recommendations", "cautions", "lesions"):
        assert all("basis" in item for item in data[section]), section
    assert bases >= len(data["risk"]["factors"]) + len(data["risk"]["models"])


def single_error_line(stdout: str, stderr: str) -> str:
    assert "Traceback" not in stdout
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, f"stderr is not one line: {stderr!r}"
    assert lines[0].startswith("hosentinel: error: "), lines[0]
    assert stderr.endswith("\n")
    return lines[0]


# --- JSON output -------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", CATALOG, ids=[e.file for e in CATALOG])
def test_assess_json_meets_the_contract(entry: DemoPatient) -> None:
    data = assess_json(entry)
    check_contract(data)
    assert data["as_of"] == entry.as_of.isoformat()
    if entry.patient:
        assert data["patient"] == entry.patient


def test_extra_keys_found_in_the_demo_output_are_all_documented() -> None:
    """The allow-list of extras in SHAPES is not stale: each listed extra really occurs."""
    seen: set[str] = set()
    for entry in CATALOG:
        data = assess_json(entry)
        seen |= {key for _, key, _ in walk(data) if key}
    declared = set().union(*(extras for _, extras in SHAPES.values()))
    assert declared <= seen, f"declared extras never produced: {sorted(declared - seen)}"


def test_json_import_section_reports_the_messy_export() -> None:
    data = assess_json(BY_FILE["25-messy-real-world-export.json"])
    assert set(data["import"]) == {"warnings", "unknown_codes"}
    assert data["import"]["warnings"], "the messy export has skipped resources to report"
    assert all("\n" not in w for w in data["import"]["warnings"])


def test_assess_json_is_deterministic() -> None:
    first = invoke("assess", str(WITH_INJURY.path), "--as-of", WITH_INJURY.as_of.isoformat())
    second = invoke("assess", str(WITH_INJURY.path), "--as-of", WITH_INJURY.as_of.isoformat())
    assert first.stdout == second.stdout


def test_explicit_json_format_is_the_default() -> None:
    day = WITH_INJURY.as_of.isoformat()
    default = invoke("assess", str(WITH_INJURY.path), "--as-of", day)
    explicit = invoke("assess", str(WITH_INJURY.path), "--as-of", day, "--format", "json")
    assert default.exit_code == explicit.exit_code == 0
    assert default.stdout == explicit.stdout


# --- text output -------------------------------------------------------------------------------


def test_text_format_is_a_readable_summary() -> None:
    entry = WITH_RECOMMENDATIONS
    data = assess_json(entry)
    assert data["recommendations"], "pick a demo patient with recommendations"
    result = invoke(
        "assess", str(entry.path), "--as-of", entry.as_of.isoformat(), "--format", "text"
    )
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert data["patient"] in text
    assert f"risk {data['risk']['level']}" in text
    assert any(rec["id"] in text for rec in data["recommendations"])
    # Rule ids are printed in brackets; Rich must show them, not swallow them as markup.
    assert "[recommend:" in text
    assert "[risk-level]" in text or "[risk-factor:" in text
    assert "\x1b[" not in text, "no ANSI escapes when the output is not a terminal"
    for markup in ("[bold", "[/", "[red]", "[dim]", "[yellow]", "[green]", "[cyan]"):
        assert markup not in text, f"Rich markup leaked: {markup}"
    assert not text.lstrip().startswith("{"), "text output is not JSON"


# --- bad input ---------------------------------------------------------------------------------


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": f"urn:uuid:{i}", "resource": r} for i, r in enumerate(resources)],
    }


def _demo_with(mutate: str) -> dict[str, Any]:
    """A copy of a demo bundle with one date broken."""
    bundle: dict[str, Any] = json.loads(WITH_INJURY.path.read_text(encoding="utf-8"))
    for item in bundle["entry"]:
        res = item.get("resource", {})
        if (
            mutate == "condition-onset"
            and res.get("resourceType") == "Condition"
            and "onsetDateTime" in res
        ):
            res["onsetDateTime"] = "2025-02-30"
            return bundle
        if mutate == "birth-date" and res.get("resourceType") == "Patient":
            res["birthDate"] = "last spring"
            return bundle
    raise AssertionError(f"nothing to mutate for {mutate}")


BAD_FILES: dict[str, bytes | None] = {
    "missing": None,
    "empty": b"",
    "not-json": b"this is not JSON {",
    "not-utf8": b"\xff\xfe\x00",
    "json-list": b"[1, 2, 3]",
    "json-string": b'"Bundle"',
    "not-a-bundle": json.dumps({"resourceType": "Patient", "id": "p1"}).encode(),
    "no-resource-type": json.dumps({"type": "collection", "entry": []}).encode(),
    "bundle-entry-not-list": json.dumps(
        {"resourceType": "Bundle", "type": "collection", "entry": {"resource": {}}}
    ).encode(),
    "bundle-without-patient": json.dumps(
        _bundle(
            {
                "resourceType": "Condition",
                "id": "c1",
                "subject": {"reference": "Patient/p1"},
                "code": {
                    "coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "S06"}]
                },
            }
        )
    ).encode(),
    "empty-bundle": json.dumps({"resourceType": "Bundle", "type": "collection"}).encode(),
    "malformed-onset-date": json.dumps(_demo_with("condition-onset")).encode(),
    "malformed-birth-date": json.dumps(_demo_with("birth-date")).encode(),
    "deeply-nested": b"[" * 5000 + b"]" * 5000,
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_bundle_is_one_error_line(case: str, tmp_path: Path) -> None:
    path = tmp_path / f"{case}.json"
    content = BAD_FILES[case]
    if content is not None:
        path.write_bytes(content)
    result = invoke("assess", str(path), "--as-of", "2025-05-01")
    assert result.exit_code == EXIT_BAD_INPUT
    assert result.exit_code != 0
    assert result.stdout == ""
    line = single_error_line(result.stdout, result.stderr)
    assert path.name in line, "the message names the file"


def test_messages_name_the_problem(tmp_path: Path) -> None:
    expected = {
        "missing": "No such file",
        "not-json": "not JSON",
        "not-a-bundle": "not a FHIR Bundle",
        "bundle-without-patient": "no Patient",
        "malformed-onset-date": "2025-02-30",
        "malformed-birth-date": "last spring",
    }
    for case, words in expected.items():
        path = tmp_path / f"{case}.json"
        content = BAD_FILES[case]
        if content is not None:
            path.write_bytes(content)
        result = invoke("assess", str(path), "--as-of", "2025-05-01")
        assert words in result.stderr, (case, result.stderr)


def test_a_directory_is_not_a_bundle(tmp_path: Path) -> None:
    result = invoke("assess", str(tmp_path), "--as-of", "2025-05-01")
    assert result.exit_code != 0
    single_error_line(result.stdout, result.stderr)


@pytest.mark.parametrize(
    "as_of",
    ["2025-13-40", "yesterday", "2025-02-29", "2025-1-1", "20250101", "2025-W01-1", "", " "],
)
def test_malformed_as_of_is_one_error_line(as_of: str) -> None:
    result = invoke("assess", str(WITH_INJURY.path), "--as-of", as_of)
    assert result.exit_code == EXIT_BAD_INPUT
    assert result.stdout == ""
    line = single_error_line(result.stdout, result.stderr)
    assert "--as-of" in line
    assert "YYYY-MM-DD" in line


@pytest.mark.parametrize("as_of", ["0001-01-01", "9999-12-31"])
def test_dates_at_the_ends_of_the_calendar_never_crash(as_of: str) -> None:
    """Window arithmetic can leave datetime's range: that is an error line, not a traceback."""
    result = invoke("assess", str(WITH_INJURY.path), "--as-of", as_of)
    if result.exit_code == 0:
        check_contract(json.loads(result.stdout))
    else:
        single_error_line(result.stdout, result.stderr)


def test_injury_dated_at_the_end_of_the_calendar_never_crashes(tmp_path: Path) -> None:
    bundle: dict[str, Any] = json.loads(WITH_INJURY.path.read_text(encoding="utf-8"))
    for item in bundle["entry"]:
        res = item.get("resource", {})
        for key in ("onsetDateTime", "recordedDate", "effectiveDateTime", "performedDateTime"):
            if key in res:
                res[key] = "9999-06-01"
    path = tmp_path / "far-future.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    result = invoke("assess", str(path), "--as-of", "2025-05-01")
    if result.exit_code == 0:
        check_contract(json.loads(result.stdout))
    else:
        single_error_line(result.stdout, result.stderr)


def test_bad_input_through_the_installed_entry_point(tmp_path: Path) -> None:
    """The real script, as a user runs it: exit status, one stderr line, no traceback."""
    not_json = tmp_path / "not.json"
    not_json.write_text("nope", encoding="utf-8")
    no_patient = tmp_path / "no-patient.json"
    no_patient.write_bytes(BAD_FILES["bundle-without-patient"] or b"")
    bad_date = tmp_path / "bad-date.json"
    bad_date.write_bytes(BAD_FILES["malformed-onset-date"] or b"")
    script = str(entry_point())
    cases = [
        [script, "assess", str(tmp_path / "absent.json"), "--as-of", "2025-05-01"],
        [script, "assess", str(not_json), "--as-of", "2025-05-01"],
        [script, "assess", str(no_patient), "--as-of", "2025-05-01"],
        [script, "assess", str(bad_date), "--as-of", "2025-05-01"],
        [script, "assess", str(WITH_INJURY.path), "--as-of", "2025-13-40"],
        [script, "assess", str(WITH_INJURY.path), "--as-of", "yesterday"],
    ]
    for command in cases:
        proc = run(command)
        assert proc.returncode == EXIT_BAD_INPUT, (command, proc.stderr)
        single_error_line(proc.stdout, proc.stderr)


# --- the installed entry point and `python -m` ------------------------------------------------


def test_installed_entry_point_assesses_a_bundle() -> None:
    entry = WITH_INJURY
    proc = run([str(entry_point()), "assess", str(entry.path), "--as-of", entry.as_of.isoformat()])
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    data = json.loads(proc.stdout)
    check_contract(data)
    assert data == assess_json(entry), "the script and the in-process app agree"


def test_installed_entry_point_text_format() -> None:
    entry = WITH_RECOMMENDATIONS
    command = [str(entry_point()), "assess", str(entry.path), "--as-of", entry.as_of.isoformat()]
    proc = run([*command, "--format", "text"])
    assert proc.returncode == 0, proc.stderr
    assert entry.patient in proc.stdout
    assert "[recommend:" in proc.stdout
    assert "\x1b[" not in proc.stdout


def test_python_dash_m_runs_the_cli() -> None:
    proc = run([sys.executable, "-m", "hosentinel.cli", "--help"])
    assert proc.returncode == 0, proc.stderr
    assert "assess" in proc.stdout
    assert "demo" in proc.stdout


# --- demo --------------------------------------------------------------------------------------


def test_demo_prints_every_patient() -> None:
    result = invoke("demo")
    assert result.exit_code == 0, result.stderr
    missing = [e.title for e in CATALOG if e.title not in result.stdout]
    assert not missing, f"titles not printed: {missing}"
    assert "Traceback" not in result.stdout


def test_demo_through_the_installed_entry_point() -> None:
    proc = run([str(entry_point()), "demo"])
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert all(e.title in proc.stdout for e in CATALOG)


# --- time: the clock is the --as-of argument ---------------------------------------------------


def test_as_of_before_the_injury_is_before_the_window() -> None:
    entry = WITH_INJURY
    at_catalog_date = assess_json(entry)
    assert at_catalog_date["index_events"], "pick a demo patient with an index event"
    injury = date.fromisoformat(at_catalog_date["index_events"][0]["date"])

    before = assess_json(entry, injury - timedelta(days=1))
    check_contract(before)
    assert before["surveillance"]["phase"] == "before-window"
    window_start = date.fromisoformat(before["surveillance"]["window"]["start"])
    assert window_start > injury
    assert before["index_events"] == [], "an injury after the as-of date has not happened yet"
    ids = {r["id"] for r in before["recommendations"]}
    assert not ids & {"triple-phase-bone-scan", "plain-radiograph", "surgical-referral"}


def test_days_after_the_injury_are_still_before_the_window() -> None:
    entry = WITH_INJURY
    injury = date.fromisoformat(assess_json(entry)["index_events"][0]["date"])
    data = assess_json(entry, injury + timedelta(days=3))
    assert data["surveillance"]["phase"] == "before-window"
    assert [e["days_since"] for e in data["index_events"]] == [3]
    assert date.fromisoformat(data["surveillance"]["window"]["start"]) > injury + timedelta(3)


def test_text_at_80_columns_wraps_at_words_with_units_in_words() -> None:
    """`--format text` is read in a terminal: no word broken in two at 80 columns, unit codes
    said in words, and --as-of defaults to today."""
    from hosentinel.report import in_words

    entry = WITH_RECOMMENDATIONS
    proc = subprocess.run(
        [str(entry_point()), "assess", str(entry.path), "--format", "text"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "80"},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    words = set(re.findall(r"[A-Za-z]{4,}", " ".join(a.strip() for a in lines)))
    assert "suspicio" not in words and "suspicion" in " ".join(lines)
    assert f"as of {date.today().isoformat()}" in proc.stdout
    assert in_words("38 Cel") == "38 degrees Celsius" and in_words("105 deg") == "105 degrees"
