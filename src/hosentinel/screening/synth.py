"""`hosentinel synth`: a fast, deterministic synthetic FHIR Bulk Data export.

    result = synthesize(Path("export"), SynthOptions(patients=10_000, seed=7))

Writes one NDJSON file per resource type (`Observation.000.ndjson`, `Observation.001.ndjson`, ...
once a file reaches `max_lines`; `.ndjson.gz` with `gzip=True`) and a `manifest.json` shaped like
the FHIR Bulk Data `$export` manifest. Every patient has an everyday record (visits with vital
signs and labs, a problem list coded in ICD-10-CM, SNOMED CT or both, medicines, routine
procedures, sometimes allergies: `vocabulary.py`). A share of the patients (`scenario_share`,
spread evenly) also carry an HO story (`scenarios.py`), in turn, so that a few hundred patients
already hold every story; the first round of stories sits on the story's own day relative to the
export date (`as_of`), later rounds up to 120 days after it.

Deterministic: each patient is drawn from its own random stream seeded by (seed, patient number),
so the same seed gives the same bytes, and patient n is the same whatever the export's size. gzip
output carries no timestamp. Nothing is dated after `as_of`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import orjson

from hosentinel.screening.scenarios import Template, templates
from hosentinel.screening.synth_files import OutputFile, TypeWriter
from hosentinel.screening.synth_patient import SynthPatient

DEFAULT_AS_OF = date(2025, 12, 1)
DEFAULT_MAX_LINES = 50_000
LATEST_JITTER_DAYS = 120


@dataclass(frozen=True, slots=True)
class SynthOptions:
    patients: int
    seed: int
    as_of: date = DEFAULT_AS_OF
    gzip: bool = False
    max_lines: int = DEFAULT_MAX_LINES
    scenario_share: float = 0.2
    note_share: float = 0.0  # patients with clinical notes (synth_notes.py)


@dataclass(frozen=True, slots=True)
class SynthResult:
    out: Path
    files: tuple[OutputFile, ...]
    patients: int
    scenario_patients: int

    @property
    def resources(self) -> int:
        return sum(f.count for f in self.files)


def is_scenario(index: int, share: float) -> bool:
    """Patients 0, 1, 2 ... carry a story when the running share crosses a whole number."""
    return int((index + 1) * share) > int(index * share)


def synthesize(
    out: Path, options: SynthOptions, progress: Callable[[int], None] | None = None
) -> SynthResult:
    """Write the export into `out` (created if needed). `progress(n)` after every n patients."""
    out.mkdir(parents=True, exist_ok=True)
    stories = templates()
    writers: dict[str, TypeWriter] = {}
    scenario_count = 0
    step = 0
    try:
        for index in range(options.patients):
            story: Template | None = None
            jitter = 0
            if is_scenario(index, options.scenario_share):
                story = stories[scenario_count % len(stories)]
                round_ = scenario_count // len(stories)
                scenario_count += 1
                rng_story = random.Random(f"{options.seed}:story:{index}")
                jitter = 0 if round_ == 0 else rng_story.randint(0, LATEST_JITTER_DAYS)
            patient = SynthPatient(
                index, options.seed, options.as_of, options.note_share, story, jitter
            )
            for rtype, line in patient.lines():
                writer = writers.get(rtype)
                if writer is None:
                    writer = writers[rtype] = TypeWriter(
                        out, rtype, options.gzip, options.max_lines
                    )
                writer.write(line)
            step += 1
            if progress is not None and step == 1000:
                progress(step)
                step = 0
    finally:
        files = [f for rtype in sorted(writers) for f in writers[rtype].close()]
    if progress is not None and step:
        progress(step)
    _write_manifest(out, options, files)
    return SynthResult(out, tuple(files), options.patients, scenario_count)


def _write_manifest(out: Path, options: SynthOptions, files: list[OutputFile]) -> None:
    types = sorted({f.type for f in files})
    manifest = {
        "transactionTime": f"{options.as_of.isoformat()}T00:00:00Z",
        "request": f"https://hosentinel.example/fhir/$export?_type={','.join(types)}",
        "requiresAccessToken": False,
        "output": [{"type": f.type, "url": f.path.name, "count": f.count} for f in files],
        "error": [],
        "extension": {
            "https://hosentinel.org/fhir/StructureDefinition/synth": {
                "generator": "hosentinel synth",
                "patients": options.patients,
                "seed": options.seed,
                "scenarioShare": options.scenario_share,
            }
        },
    }
    (out / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n")
