"""A note that cannot be read is skipped with a warning; it never stops the import."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hosentinel.fhir.importer import read_bundle
from hosentinel.knowledge.loader import Knowledge, load_knowledge
from hosentinel.notes.decode import MAX_NOTE_BYTES
from tests.support.notekit import bundle, note, report, sci

GOOD = note("good", "R knee swollen.")


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return load_knowledge()


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        (note("bad", b""), "the note is empty"),
        (note("bad", b"   \n "), "the note is empty"),
        (note("bad", b"R knee swollen." + b" " * (10 * 1024 * 1024)), "larger than"),
        (note("bad", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "binary"),
        (note("bad", b"\x01\x02\x03\x04\x05\x06\x07\x08" * 40 + b"knee"), "binary"),
        (note("bad", "Genou droit gonflé.".encode("latin-1")), "not valid utf-8 text"),
        (note("bad", b"x", raw_data="not base64!!"), "not valid base64"),
        (note("bad", b"x", content_type="text/plain; charset=klingon"), "unknown charset"),
        (note("bad", b"%PDF-1.4", content_type="application/pdf"), "no text/plain content"),
    ],
)
def test_bad_notes_are_skipped_with_a_warning(
    knowledge: Knowledge, bad: dict[str, Any], why: str
) -> None:
    rec = read_bundle(bundle(sci(), bad, GOOD), knowledge)
    assert [o.ref for o in rec.observations] == ["DocumentReference/good"]
    warnings = [w for w in rec.stats.warnings if w.startswith("DocumentReference/bad")]
    assert (warnings and why in warnings[0]) or why == "has no content"


def test_a_latin1_note_that_says_so_is_read(knowledge: Knowledge) -> None:
    text = "R knee swollen, pt says \u00abgonfl\u00e9\u00bb.".encode("latin-1")
    rec = read_bundle(
        bundle(sci(), note("n", text, content_type="text/plain; charset=ISO-8859-1")), knowledge
    )
    assert [o.codings[0].code for o in rec.observations] == ["knee-swelling"]


def test_a_note_in_a_binary_of_the_bundle_is_read(knowledge: Knowledge) -> None:
    doc = note("n", b"")
    doc["content"][0]["attachment"] = {"contentType": "text/plain", "url": "Binary/b1"}
    binary = {
        "resourceType": "Binary",
        "id": "b1",
        "contentType": "text/plain",
        "data": base64.b64encode(b"L elbow warm.").decode(),
    }
    rec = read_bundle(bundle(sci(), doc, binary), knowledge)
    assert [(o.codings[0].code, o.site.side) for o in rec.observations] == [
        ("elbow-warmth", "left")
    ]
    doc["content"][0]["attachment"]["url"] = "Binary/elsewhere"
    rec = read_bundle(bundle(sci(), doc), knowledge)
    assert rec.observations == ()
    assert any("Binary/elsewhere, which is not in the Bundle" in w for w in rec.stats.warnings)


def test_a_huge_conclusion_is_skipped(knowledge: Knowledge) -> None:
    big = report("r", "XR hip right", "x" * (MAX_NOTE_BYTES + 1))
    rec = read_bundle(bundle(sci(), big, GOOD), knowledge)
    assert [o.ref for o in rec.observations] == ["DocumentReference/good"]
    assert any("conclusion skipped" in w for w in rec.stats.warnings)


def test_assess_prints_the_warning_and_does_not_crash(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle(sci(), note("bad", b"\x00\x01\x02"), GOOD)))
    run = subprocess.run(
        [sys.executable, "-m", "hosentinel.cli", "assess", str(path), "--as-of", "2026-12-02"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert any("DocumentReference/bad: note skipped" in w for w in out["import"]["warnings"])
    assert out["suspicion"]["sites"][0]["joint"] == "knee"
