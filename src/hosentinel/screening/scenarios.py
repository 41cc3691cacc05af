"""The HO stories a synthetic export tells: the demo patients plus a few for coverage.

Each story (a demo case from `hosentinel.synthetic.cases`, or one below that covers what the
demo cases do not: the remaining concepts of the knowledge base and the osteomalacia and
cannot-sit-upright cautions) is compiled once into a `Template`: every resource as JSON text with
slots for its ids and dates. Writing a scenario patient is then string assembly: fresh ids, and
every date moved by the same number of days so that the story's own "as of" day falls where the
generator wants it. References become relative (`Patient/<id>`, `Encounter/<id>`) as in a Bulk
Data export. Resources that are not valid FHIR R4B, or of a type FHIR does not define, are left
out (the messy demo case keeps its other quirks: text-only codes, another patient's resource).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any, Literal

import orjson

from hosentinel.fhir.systems import FINDING, OBS_CATEGORY
from hosentinel.synthetic.builders import (
    after,
    allergy,
    coding,
    concept,
    condition,
    finding,
    lab,
    med,
    procedure,
    rom,
    sign,
    stamp,
    temperature,
)
from hosentinel.synthetic.case import Case
from hosentinel.synthetic.cases import CASES

Resource = dict[str, Any]
Gender = Literal["male", "female"]

# Slots in a compiled resource: "@@<n>@@" is id number n (0 = the patient); dates are found in
# the JSON text itself.
_SLOT = re.compile(r"@@(\d+)@@|(?<![0-9])([0-9]{4})-([0-9]{2})-([0-9]{2})(?![0-9])")
_WRITTEN_TYPES = frozenset(
    {
        "Condition",
        "Procedure",
        "Observation",
        "MedicationRequest",
        "MedicationStatement",
        "AllergyIntolerance",
        "DiagnosticReport",
        "Encounter",
    }
)


@dataclass(frozen=True, slots=True)
class Segment:
    """Literal JSON text, then (optionally) an id slot or a date slot (a proleptic ordinal)."""

    text: str
    id_slot: int = -1
    day: int = 0


@dataclass(frozen=True, slots=True)
class CompiledResource:
    rtype: str
    segments: tuple[Segment, ...]

    def render(self, ids: Sequence[str], shift: int) -> str:
        out: list[str] = []
        for seg in self.segments:
            out.append(seg.text)
            if seg.id_slot >= 0:
                out.append(ids[seg.id_slot])
            elif seg.day:
                out.append(date.fromordinal(seg.day + shift).isoformat())
        return "".join(out)


@dataclass(frozen=True, slots=True)
class Template:
    slug: str
    as_of: date
    gender: Gender
    born: date
    ids: int  # id slots used (the patient is slot 0)
    resources: tuple[CompiledResource, ...]


@dataclass(frozen=True, slots=True)
class Story:
    slug: str
    as_of: date
    gender: Gender
    born: date
    resources: list[Resource]


# --- compiling -----------------------------------------------------------------------------------


def _segments(text: str) -> tuple[Segment, ...]:
    segments: list[Segment] = []
    start = 0
    for match in _SLOT.finditer(text):
        literal = text[start : match.start()]
        if match.group(1) is not None:
            segments.append(Segment(literal, id_slot=int(match.group(1))))
        else:
            day = date(int(match.group(2)), int(match.group(3)), int(match.group(4)))
            segments.append(Segment(literal, day=day.toordinal()))
        start = match.end()
    segments.append(Segment(text[start:]))
    return tuple(segments)


def _is_valid_fhir(resource: Resource) -> bool:
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    filled = orjson.loads(re.sub(r"@@\d+@@", "x1", orjson.dumps(resource).decode()))
    try:
        get_fhir_model_class(resource["resourceType"]).model_validate(filled)
    except (ValidationError, ValueError, TypeError, KeyError):
        return False
    return True


def compile_story(story: Story) -> Template:
    """The story's resources as JSON text with id and date slots, relative references."""
    resources = [r for r in story.resources if r["resourceType"] in _WRITTEN_TYPES]
    slot = {id(res): n for n, res in enumerate(resources, start=1)}
    foreign: dict[str, int] = {}

    def ref(res: Resource) -> dict[str, str]:
        return {"reference": f"{res['resourceType']}/@@{slot[id(res)]}@@"}

    compiled: list[CompiledResource] = []
    for res in resources:
        out: Resource = {"resourceType": res["resourceType"], "id": f"@@{slot[id(res)]}@@"}
        for key, value in res.items():
            if key == "resourceType":
                continue
            if key.startswith("_link:"):
                target = key.removeprefix("_link:")
                out[target] = [ref(v) for v in value] if isinstance(value, list) else ref(value)
            else:
                out[key] = value
        owner = "patient" if res["resourceType"] == "AllergyIntolerance" else "subject"
        about = out.get(owner, {}).get("reference")
        if about is None:
            out[owner] = {"reference": "Patient/@@0@@"}
        else:  # another patient's resource, filed with this one: a fresh id that has no Patient
            number = foreign.setdefault(about, len(resources) + 1 + len(foreign))
            out[owner] = {"reference": f"Patient/@@{number}@@"}
        if _is_valid_fhir(out):
            compiled.append(
                CompiledResource(out["resourceType"], _segments(orjson.dumps(out).decode()))
            )
    return Template(
        slug=story.slug,
        as_of=story.as_of,
        gender=story.gender,
        born=story.born,
        ids=len(resources) + 1 + len(foreign),
        resources=tuple(compiled),
    )


def _from_demo(case: Case) -> Story:
    gender: Gender = "female" if case.patient["gender"] == "female" else "male"
    born = date.fromisoformat(case.patient["birthDate"])
    return Story(case.slug, case.as_of, gender, born, list(case.resources))


@cache
def templates() -> tuple[Template, ...]:
    """Every story, compiled: the demo cases in their order, then the coverage stories."""
    stories = [_from_demo(make()) for make in CASES]
    stories.extend(make() for make in COVERAGE_STORIES)
    return tuple(compile_story(story) for story in stories)


# --- stories for coverage ------------------------------------------------------------------------


def _text_only_medication(display: str, start: date, status: str) -> Resource:
    """A medicine recorded in free text only, as older systems send it."""
    return {
        "resourceType": "MedicationStatement",
        "status": status,
        "medicationCodeableConcept": {"text": display},
        "effectivePeriod": {"start": stamp(start, 12)},
    }


def _unable_to_sit_upright(day: date) -> Resource:
    """The project finding `cannot-sit-upright` (the demo helpers have no display for it)."""
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [coding(OBS_CATEGORY, "exam", "Exam")]}],
        "code": concept(
            FINDING, "cannot-sit-upright", "Unable to sit or stand upright for 30 minutes"
        ),
        "effectiveDateTime": stamp(day, 14),
        "valueBoolean": True,
    }


def sci_tracheostomy_bed_rest() -> Story:
    """Complete C4 SCI on a ventilator: tracheostomy, sepsis, smoker, strict bed rest, an old
    osteomalacia and an alendronate allergy; on day 31 a febrile, painful right hip and knee."""
    injury = date(2025, 4, 1)
    return Story(
        "sci-tracheostomy-sepsis-bed-rest",
        after(injury, 34),
        "male",
        date(1979, 2, 11),
        [
            condition(
                "Complete lesion at C4 level of cervical spinal cord, initial encounter",
                injury,
                icd10="S14.114A",
            ),
            condition("Tracheostomy status", after(injury, 3), icd10="Z93.0"),
            condition(
                "Sepsis, unspecified organism",
                after(injury, 9),
                icd10="A41.9",
                abatement=after(injury, 19),
                status="resolved",
            ),
            condition(
                "Nicotine dependence, cigarettes, uncomplicated", date(2012, 5, 1), icd10="F17.210"
            ),
            condition("Adult osteomalacia, unspecified", date(2023, 5, 2), icd10="M83.9"),
            _unable_to_sit_upright(after(injury, 12)),
            rom("hip", "flexion", "right", 110, after(injury, 16)),
            rom("hip", "flexion", "left", 110, after(injury, 16)),
            rom("knee", "flexion", "right", 135, after(injury, 16)),
            rom("knee", "flexion", "left", 135, after(injury, 16)),
            lab(
                "2157-6",
                "Creatine kinase [Enzymatic activity/volume] in Serum or Plasma",
                410,
                "U/L",
                after(injury, 30),
                "H",
                39,
                308,
            ),
            lab(
                "4537-7",
                "Erythrocyte sedimentation rate by Westergren method",
                48,
                "mm/h",
                after(injury, 30),
                "H",
                0,
                20,
                ucum="mm/h",
            ),
            condition("Fever, unspecified", after(injury, 30), icd10="R50.9"),
            condition("Pain in right hip", after(injury, 31), icd10="M25.551"),
            condition("Effusion, right knee", after(injury, 31), icd10="M25.461"),
            condition(
                "Stiffness of right knee, not elsewhere classified",
                after(injury, 31),
                icd10="M25.661",
            ),
            allergy("46041", "alendronate", date(2019, 3, 4), "Severe heartburn and chest pain"),
            _text_only_medication(
                "Etidronate disodium 400 MG Oral Tablet", date(2021, 6, 1), "completed"
            ),
        ],
    )


def tha_bilateral_dish_osteoporosis() -> Story:
    """Second hip replaced (now bilateral) in a woman with DISH, osteoporosis on alendronate and
    an ankylosed left hip; a daily smoker."""
    surgery = date(2025, 5, 12)
    return Story(
        "tha-bilateral-dish-osteoporosis",
        after(surgery, 20),
        "female",
        date(1953, 8, 30),
        [
            condition(
                "Ankylosing hyperostosis [Forestier], multiple sites in spine",
                date(2016, 3, 9),
                icd10="M48.19",
            ),
            condition(
                "Age-related osteoporosis without current pathological fracture",
                date(2019, 10, 1),
                icd10="M81.0",
            ),
            condition("Ankylosis, left hip", date(2024, 2, 14), icd10="M24.652"),
            condition("Smokes tobacco daily (finding)", date(2010, 1, 5), snomed="449868002"),
            med("904419", "Alendronic acid 10 MG Oral Tablet", date(2019, 10, 1)),
            procedure(
                "Total replacement of right hip joint",
                surgery,
                snomed="52734007",
                side="right",
                joint="hip",
            ),
            condition(
                "Presence of artificial hip joint, bilateral", after(surgery, 1), icd10="Z96.643"
            ),
            rom("hip", "flexion", "right", 85, after(surgery, 15)),
            rom("hip", "flexion", "left", 40, after(surgery, 15)),
        ],
    )


def tka_synthea_coded() -> Story:
    """A total knee replacement coded the Synthea way (SNOMED CT), with normal vital signs."""
    surgery = date(2025, 3, 18)
    return Story(
        "tka-synthea-snomed",
        after(surgery, 50),
        "male",
        date(1958, 12, 2),
        [
            condition("Osteoarthritis of knee (disorder)", date(2019, 4, 3), snomed="239873007"),
            procedure(
                "Total knee replacement", surgery, snomed="609588000", side="right", joint="knee"
            ),
            rom("knee", "flexion", "right", 95, after(surgery, 21)),
            rom("knee", "flexion", "right", 105, after(surgery, 42)),
            temperature(36.8, after(surgery, 42), "N"),
        ],
    )


def stroke_cognitive_deficit() -> Story:
    """Ischaemic stroke coded in ICD-10-CM and SNOMED CT on one entry, a memory deficit after it
    and new spasticity."""
    stroke = date(2025, 2, 24)
    entry = condition("Cerebral infarction, unspecified", stroke, icd10="I63.9", snomed="230690007")
    return Story(
        "stroke-cognitive-deficit-dual-coded",
        after(stroke, 60),
        "male",
        date(1959, 7, 21),
        [
            entry,
            condition(
                "Memory deficit following cerebral infarction", after(stroke, 30), icd10="I69.311"
            ),
            finding("spasticity", True, after(stroke, 40)),
            rom("elbow", "extension", "left", 170, after(stroke, 40)),
            rom("elbow", "extension", "left", 165, after(stroke, 55)),
        ],
    )


def tbi_coma_sepsis_snomed() -> Story:
    """Traumatic brain injury (SNOMED CT) with three weeks of coma and sepsis."""
    injury = date(2025, 1, 30)
    return Story(
        "tbi-coma-sepsis-snomed",
        after(injury, 45),
        "female",
        date(1994, 9, 14),
        [
            condition("Traumatic brain injury (disorder)", injury, snomed="127295002"),
            condition(
                "Coma",
                injury,
                icd10="R40.20",
                abatement=after(injury, 21),
                status="resolved",
            ),
            condition(
                "Sepsis (disorder)",
                after(injury, 12),
                snomed="91302008",
                abatement=after(injury, 24),
                status="resolved",
            ),
            sign("elbow", "pain", "right", after(injury, 44), present=False),
        ],
    )


def synthea_hip_and_ankle_fractures() -> Story:
    """A fall: closed hip and ankle fractures, SNOMED-coded, in a woman with osteoporosis."""
    fall = date(2025, 6, 3)
    return Story(
        "synthea-hip-ankle-fracture-osteoporosis",
        after(fall, 25),
        "female",
        date(1942, 1, 17),
        [
            condition("Osteoporosis (disorder)", date(2016, 6, 20), snomed="64859006"),
            condition("Closed fracture of hip", fall, snomed="359817006", side="left"),
            condition("Fracture of ankle", fall, snomed="16114001", side="left"),
            procedure("Bone immobilization", fall, snomed="274474001"),
            temperature(37.0, after(fall, 20), "N"),
        ],
    )


def sci_active_hip_ho_on_radiograph() -> Story:
    """Incomplete T10 SCI; on day 75 the right hip HO is already on the radiograph and still
    growing: past etidronate's stage (scan positive, X-ray negative), so the alternative
    bisphosphonate after SCI, alendronate, is the one offered."""
    injury = date(2025, 2, 10)
    scan = finding("bone-scan-ho", "positive", after(injury, 40), side="right", joint="hip")
    return Story(
        "sci-active-hip-ho-on-radiograph",
        after(injury, 76),
        "male",
        date(1990, 6, 5),
        [
            condition(
                "Other incomplete lesion at T10 level of thoracic spinal cord, initial encounter",
                injury,
                icd10="S24.154A",
            ),
            scan,
            finding("radiograph-ho", "present", after(injury, 70), side="right", joint="hip"),
            finding("ho-growth", "growing", after(injury, 74), side="right", joint="hip"),
            finding("function-limited", False, after(injury, 74), side="right", joint="hip"),
        ],
    )


COVERAGE_STORIES: tuple[Callable[[], Story], ...] = (
    sci_active_hip_ho_on_radiograph,
    sci_tracheostomy_bed_rest,
    tha_bilateral_dish_osteoporosis,
    tka_synthea_coded,
    stroke_cognitive_deficit,
    tbi_coma_sepsis_snomed,
    synthea_hip_and_ankle_fractures,
)
