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

import gzip
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from hosentinel.fhir.systems import (
    ACT_CODE,
    ACT_REASON,
    ALLERGY_CLINICAL,
    ALLERGY_VERIFICATION,
    CONDITION_CATEGORY,
    CONDITION_CLINICAL,
    CONDITION_VERIFICATION,
    ICD10CM,
    LOINC,
    OBS_CATEGORY,
    RXNORM,
    SNOMED,
    UCUM,
)
from hosentinel.screening import vocabulary as v
from hosentinel.screening.scenarios import Template, templates
from hosentinel.screening.synth_notes import notes_for

DEFAULT_AS_OF = date(2025, 12, 1)
DEFAULT_MAX_LINES = 50_000
LATEST_JITTER_DAYS = 120
HISTORY_YEARS = 10
VISITS = (6, 20)  # visits in the history: a census export carries years of vital signs

MRN_SYSTEM = "https://hosentinel.org/synth/mrn"

Resource = dict[str, Any]

# Version 4, RFC 4122 variant: the bits uuid.UUID(int=..., version=4) would set.
_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID_SET = (0x4000 << 64) | (0x8000 << 48)


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
class OutputFile:
    type: str
    path: Path
    count: int


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
    writers: dict[str, _TypeWriter] = {}
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
            for rtype, line in _Patient(index, options, story, jitter).lines():
                writer = writers.get(rtype)
                if writer is None:
                    writer = writers[rtype] = _TypeWriter(out, rtype, options)
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


# --- one patient ---------------------------------------------------------------------------------


class _Patient:
    """Draws one patient's resources from its own random stream."""

    def __init__(self, index: int, options: SynthOptions, story: Template | None, jitter: int):
        self.index = index
        self.rng = random.Random(f"{options.seed}:{index}")
        self.as_of = options.as_of
        self.seed, self.note_share = options.seed, options.note_share
        self.story = story
        self.jitter = jitter
        self.id = self.uuid()
        self.ref = {"reference": f"Patient/{self.id}"}
        self.out: list[tuple[str, bytes]] = []

    def uuid(self) -> str:
        """A random (version 4) UUID from the patient's stream."""
        bits = self.rng.getrandbits(128) & _UUID_CLEAR | _UUID_SET
        h = f"{bits:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def stamp(self, day: date) -> str:
        minute = self.rng.randrange(7 * 60, 19 * 60)
        seconds = self.rng.randrange(60)
        return f"{day.isoformat()}T{minute // 60:02d}:{minute % 60:02d}:{seconds:02d}-05:00"

    def day_within(self, start: date, end: date) -> date:
        span = max((end - start).days, 0)
        return start + timedelta(days=self.rng.randint(0, span))

    def emit(self, resource: Resource) -> None:
        self.out.append((resource["resourceType"], orjson.dumps(resource)))

    def lines(self) -> list[tuple[str, bytes]]:
        rng = self.rng
        story = self.story
        if story is not None:
            shift = (self.as_of - timedelta(days=self.jitter)).toordinal() - story.as_of.toordinal()
            gender = story.gender
            born = story.born + timedelta(days=shift)
        else:
            shift = 0
            gender = "female" if rng.random() < 0.5 else "male"
            born = self.as_of - timedelta(days=rng.randint(18 * 365, 95 * 365))
        self.emit(self._patient(gender, born))
        self._everyday_record(born)
        if story is not None:
            ids = [self.id, *(self.uuid() for _ in range(story.ids - 1))]
            for resource in story.resources:
                self.out.append((resource.rtype, resource.render(ids, shift).encode()))
        if self.note_share:
            for note in notes_for(self.seed, self.index, self.id, self.as_of, self.note_share):
                self.emit(note)
        return self.out

    def _patient(self, gender: str, born: date) -> Resource:
        rng = self.rng
        given = rng.choice(v.GIVEN_FEMALE if gender == "female" else v.GIVEN_MALE)
        family = rng.choice(v.FAMILY)
        city, state, postal = rng.choice(v.CITIES)
        return {
            "resourceType": "Patient",
            "id": self.id,
            "meta": {
                "tag": [{"system": ACT_REASON, "code": "HTEST", "display": "test health data"}]
            },
            "identifier": [
                {
                    "type": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                                "code": "MR",
                                "display": "Medical Record Number",
                            }
                        ],
                        "text": "Medical Record Number",
                    },
                    "system": MRN_SYSTEM,
                    "value": f"SYN-{self.index:08d}",
                }
            ],
            "name": [{"use": "official", "family": family, "given": [given]}],
            "telecom": [
                {
                    "system": "phone",
                    "value": f"555-{rng.randrange(1000):03d}-{rng.randrange(10000):04d}",
                    "use": "home",
                }
            ],
            "gender": gender,
            "birthDate": born.isoformat(),
            "address": [
                {
                    "line": [f"{rng.randint(1, 999)} {rng.choice(v.FAMILY)} Street"],
                    "city": city,
                    "state": state,
                    "postalCode": postal,
                    "country": "US",
                }
            ],
        }

    def _everyday_record(self, born: date) -> None:
        rng = self.rng
        start = max(
            born + timedelta(days=18 * 365), self.as_of - timedelta(days=HISTORY_YEARS * 365)
        )
        visits = sorted(self.day_within(start, self.as_of) for _ in range(rng.randint(*VISITS)))
        style = rng.choice(("icd10", "snomed", "both"))
        chronic = [p for p in v.PROBLEMS if p.chronic]
        problems = rng.sample(chronic, rng.randint(0, 4))
        problems += rng.sample([p for p in v.PROBLEMS if not p.chronic], rng.randint(0, 2))
        for problem in problems:
            self.emit(self._condition(problem, self.day_within(start, self.as_of), style))
        for drug in rng.sample(v.DRUGS, rng.randint(0, 4)):
            self.emit(self._medication(drug, self.day_within(start, self.as_of)))
        for day in visits:
            encounter = self._encounter(day)
            self.emit(encounter)
            link = {"reference": f"Encounter/{encounter['id']}"}
            when = encounter["period"]["start"]
            context = (self.id, encounter["id"], when, when)
            for measure in v.VITALS:
                self._measurement(_VITAL_LINES[measure], measure, context)
            self._blood_pressure(context)
            if rng.random() < 0.4:
                for measure in v.LABS:
                    self._measurement(_LAB_LINES[measure], measure, context)
            for code in rng.sample(v.ROUTINE_PROCEDURES, rng.randint(0, 2)):
                self.emit(self._procedure(code, when, link))
        if rng.random() < 0.3:
            for allergen in rng.sample(v.ALLERGENS, rng.randint(1, 2)):
                self.emit(self._allergy(allergen, self.day_within(start, self.as_of)))

    def _condition(self, problem: v.Problem, onset: date, style: str) -> Resource:
        codings: list[dict[str, str]] = []
        if problem.icd10 and style in ("icd10", "both"):
            codings.append({"system": ICD10CM, "code": problem.icd10, "display": problem.display})
        if problem.snomed and (style in ("snomed", "both") or not codings):
            codings.append({"system": SNOMED, "code": problem.snomed, "display": problem.display})
        resolved = not problem.chronic and self.rng.random() < 0.8
        resource: Resource = {
            "resourceType": "Condition",
            "id": self.uuid(),
            "clinicalStatus": {
                "coding": [
                    {"system": CONDITION_CLINICAL, "code": "resolved" if resolved else "active"}
                ]
            },
            "verificationStatus": {
                "coding": [{"system": CONDITION_VERIFICATION, "code": "confirmed"}]
            },
            "category": [
                {
                    "coding": [
                        {
                            "system": CONDITION_CATEGORY,
                            "code": "problem-list-item"
                            if problem.chronic
                            else "encounter-diagnosis",
                        }
                    ]
                }
            ],
            "code": {"coding": codings, "text": problem.display},
            "subject": self.ref,
            "onsetDateTime": self.stamp(onset),
            "recordedDate": self.stamp(onset),
        }
        if resolved:
            end = min(onset + timedelta(days=self.rng.randint(5, 30)), self.as_of)
            resource["abatementDateTime"] = self.stamp(end)
        return resource

    def _medication(self, drug: v.Drug, start: date) -> Resource:
        return {
            "resourceType": "MedicationRequest",
            "id": self.uuid(),
            "status": "active" if self.rng.random() < 0.6 else "stopped",
            "intent": "order",
            "medicationCodeableConcept": {
                "coding": [{"system": RXNORM, "code": drug.rxnorm, "display": drug.display}],
                "text": drug.display,
            },
            "subject": self.ref,
            "authoredOn": self.stamp(start),
            "dosageInstruction": [
                {
                    "sequence": 1,
                    "timing": {"repeat": {"frequency": 1, "period": 1.0, "periodUnit": "d"}},
                    "asNeededBoolean": False,
                }
            ],
        }

    def _encounter(self, day: date) -> Resource:
        kind = self.rng.choice(v.VISIT_TYPES)
        start = self.stamp(day)
        return {
            "resourceType": "Encounter",
            "id": self.uuid(),
            "status": "finished",
            "class": {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"},
            "type": [
                {
                    "coding": [{"system": kind.system, "code": kind.code, "display": kind.display}],
                    "text": kind.display,
                }
            ],
            "subject": self.ref,
            "period": {"start": start, "end": start[:11] + "23:59:00-05:00"},
        }

    def _value(self, measure: v.Measure) -> str:
        value = round(self.rng.uniform(measure.low, measure.high), measure.decimals)
        return str(int(value)) if measure.decimals == 0 else repr(value)

    def _measurement(
        self, line: tuple[str, str], measure: v.Measure, context: tuple[str, str, str, str]
    ) -> None:
        """A vital sign or lab: the pre-rendered JSON of `measure_line`, filled in."""
        head, tail = line
        text = head % (self.uuid(), *context) + self._value(measure) + tail
        self.out.append(("Observation", text.encode()))

    def _blood_pressure(self, context: tuple[str, str, str, str]) -> None:
        head, middle, tail = _BLOOD_PRESSURE_LINE
        systolic, diastolic = self._value(v.SYSTOLIC), self._value(v.DIASTOLIC)
        text = head % (self.uuid(), *context) + systolic + middle + diastolic + tail
        self.out.append(("Observation", text.encode()))

    def _procedure(self, code: v.Code, when: str, link: Resource) -> Resource:
        return {
            "resourceType": "Procedure",
            "id": self.uuid(),
            "status": "completed",
            "code": {
                "coding": [{"system": code.system, "code": code.code, "display": code.display}],
                "text": code.display,
            },
            "subject": self.ref,
            "encounter": link,
            "performedPeriod": {"start": when, "end": when},
        }

    def _allergy(self, allergen: v.Code, recorded: date) -> Resource:
        medication = allergen.system == RXNORM
        return {
            "resourceType": "AllergyIntolerance",
            "id": self.uuid(),
            "clinicalStatus": {"coding": [{"system": ALLERGY_CLINICAL, "code": "active"}]},
            "verificationStatus": {
                "coding": [{"system": ALLERGY_VERIFICATION, "code": "confirmed"}]
            },
            "type": "allergy",
            "category": ["medication" if medication else "environment"],
            "criticality": "low",
            "code": {
                "coding": [
                    {"system": allergen.system, "code": allergen.code, "display": allergen.display}
                ],
                "text": allergen.display,
            },
            "patient": self.ref,
            "recordedDate": self.stamp(recorded),
        }


_CATEGORIES: dict[str, list[Resource]] = {
    category: [{"coding": [{"system": OBS_CATEGORY, "code": category, "display": display}]}]
    for category, display in (("vital-signs", "Vital signs"), ("laboratory", "Laboratory"))
}


@cache
def _concept(code: v.Code) -> Resource:
    """A CodeableConcept for the code (shared: orjson writes the same object many times)."""
    return {
        "coding": [{"system": code.system, "code": code.code, "display": code.display}],
        "text": code.display,
    }


def _observation_head(category: str, code: v.Code) -> str:
    """An Observation's JSON up to its value, with %s slots for id, patient, encounter and times
    (the static parts serialized by orjson, so escaping is orjson's)."""
    static = orjson.dumps(
        {
            "resourceType": "Observation",
            "id": "@ID@",
            "status": "final",
            "category": _CATEGORIES[category],
            "code": _concept(code),
            "subject": {"reference": "Patient/@PATIENT@"},
            "encounter": {"reference": "Encounter/@ENCOUNTER@"},
            "effectiveDateTime": "@EFFECTIVE@",
            "issued": "@ISSUED@",
        }
    ).decode()
    static = static.replace("%", "%%")
    for slot in ("@ID@", "@PATIENT@", "@ENCOUNTER@", "@EFFECTIVE@", "@ISSUED@"):
        static = static.replace(slot, "%s")
    return static[:-1]


def _quantity_json(measure: v.Measure) -> tuple[str, str]:
    """`"valueQuantity":{"value":` and what follows the number, for the measure's unit."""
    unit = orjson.dumps({"unit": measure.unit, "system": UCUM, "code": measure.unit}).decode()
    return ',"valueQuantity":{"value":', "," + unit[1:]


def measure_line(category: str, measure: v.Measure) -> tuple[str, str]:
    head = _observation_head(category, v.Code(LOINC, measure.loinc, measure.display))
    before, after = _quantity_json(measure)
    return head + before, after + "}"


def _blood_pressure_line() -> tuple[str, str, str]:
    head = _observation_head("vital-signs", v.BLOOD_PRESSURE)
    parts: list[str] = []
    for measure in (v.SYSTOLIC, v.DIASTOLIC):
        concept = orjson.dumps(_concept(v.Code(LOINC, measure.loinc, measure.display))).decode()
        before, after = _quantity_json(measure)
        parts.append('{"code":' + concept + before)
        parts.append(after + "}")
    return (
        head + ',"component":[' + parts[0],
        parts[1] + "," + parts[2],
        parts[3] + "]}",
    )


_VITAL_LINES = {m: measure_line("vital-signs", m) for m in v.VITALS}
_LAB_LINES = {m: measure_line("laboratory", m) for m in v.LABS}
_BLOOD_PRESSURE_LINE = _blood_pressure_line()


# --- files ---------------------------------------------------------------------------------------


class _TypeWriter:
    """One resource type's NDJSON files: a new file every `max_lines` lines, optionally gzipped
    (no timestamp in the gzip header, so the bytes depend only on the content)."""

    _FLUSH_BYTES = 1 << 20

    def __init__(self, out: Path, rtype: str, options: SynthOptions) -> None:
        self.out = out
        self.rtype = rtype
        self.gzip = options.gzip
        self.max_lines = max(options.max_lines, 1)
        self.files: list[OutputFile] = []
        self.count = 0
        self.raw: BinaryIO | None = None
        self.stream: BinaryIO | gzip.GzipFile | None = None
        self.buffer: list[bytes] = []
        self.buffered = 0

    def _path(self) -> Path:
        suffix = ".ndjson.gz" if self.gzip else ".ndjson"
        return self.out / f"{self.rtype}.{len(self.files):03d}{suffix}"

    def _open(self) -> None:
        self.raw = self._path().open("wb")
        if self.gzip:
            self.stream = gzip.GzipFile(
                filename="", mode="wb", fileobj=self.raw, compresslevel=1, mtime=0
            )
        else:
            self.stream = self.raw

    def write(self, line: bytes) -> None:
        if self.stream is None:
            self._open()
        self.buffer.append(line)
        self.buffered += len(line) + 1
        self.count += 1
        if self.buffered >= self._FLUSH_BYTES:
            self._flush()
        if self.count >= self.max_lines:
            self._finish()

    def _flush(self) -> None:
        if self.buffer and self.stream is not None:
            self.stream.write(b"\n".join(self.buffer) + b"\n")
        self.buffer.clear()
        self.buffered = 0

    def _finish(self) -> None:
        self._flush()
        if self.stream is not None:
            path = self._path()
            self.stream.close()
            if self.raw is not None and not self.raw.closed:
                self.raw.close()
            self.files.append(OutputFile(self.rtype, path, self.count))
        self.stream = self.raw = None
        self.count = 0

    def close(self) -> list[OutputFile]:
        self._finish()
        return self.files


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
