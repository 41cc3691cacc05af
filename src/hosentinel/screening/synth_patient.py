"""One synthetic patient of `hosentinel synth`: an everyday record (visits with vital signs and
labs, problems, medicines, procedures, allergies) and, for some, an HO story and notes, all drawn
from the patient's own random stream."""

from __future__ import annotations

import random
from datetime import date, timedelta

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
    RXNORM,
    SNOMED,
)
from hosentinel.screening import vocabulary as v
from hosentinel.screening.scenarios import Template
from hosentinel.screening.synth_notes import notes_for
from hosentinel.screening.synth_observations import (
    BLOOD_PRESSURE_LINE,
    LAB_LINES,
    VITAL_LINES,
    Resource,
)

HISTORY_YEARS = 10
VISITS = (6, 20)  # visits in the history: a census export carries years of vital signs
MRN_SYSTEM = "https://hosentinel.org/synth/mrn"
# Version 4, RFC 4122 variant: the bits uuid.UUID(int=..., version=4) would set.
_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID_SET = (0x4000 << 64) | (0x8000 << 48)


class SynthPatient:
    """Draws one patient's resources from its own random stream."""

    def __init__(
        self,
        index: int,
        seed: int,
        as_of: date,
        note_share: float,
        story: Template | None,
        jitter: int,
    ) -> None:
        self.index = index
        self.rng = random.Random(f"{seed}:{index}")
        self.as_of = as_of
        self.seed, self.note_share = seed, note_share
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
                self._measurement(VITAL_LINES[measure], measure, context)
            self._blood_pressure(context)
            if rng.random() < 0.4:
                for measure in v.LABS:
                    self._measurement(LAB_LINES[measure], measure, context)
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
        head, middle, tail = BLOOD_PRESSURE_LINE
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
