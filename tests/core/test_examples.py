"""`core.examples.record_from_example`: the records the rule examples are checked on.

Every rule's `fires` / `does_not_fire` cases run through this builder, so a builder that drops a
field would make a rule example pass or fail for the wrong reason. The format is the one
`schema.ExampleRecord` documents: "system|code", "text|free text", "finding-code=true",
"system|code=value[ flag]", "system|code:days".
"""

from __future__ import annotations

from datetime import date, timedelta

from hosentinel.core.examples import HISTORY_DAYS, record_from_example
from hosentinel.core.record import Allergy, Coding, Condition, Medication, Observation, Procedure
from hosentinel.knowledge.schema import ExampleRecord

AS_OF = date(2026, 6, 1)


def test_each_kind_of_entry_becomes_its_record_entry() -> None:
    example = ExampleRecord(
        sex="female",
        days_before=10,
        conditions=["icd10cm|N39.0", "text|Split thickness skin graft"],
        history=["icd10cm|M61.251"],
        resolved=["icd10cm|K27.9"],
        condition_spans=["icd10cm|R40.20:15"],
        procedures=["text|Total hip arthroplasty, left hip", "snomed|52734007"],
        medications=["rxnorm|5640"],
        allergies=["text|indomethacin"],
        findings=["hip-swelling=true", "hip-warmth=False"],
        labs=["loinc|62238-1=28 L", "text|calcium=7.9"],
        pregnancy_weeks=21,
    )
    rec = record_from_example(example, AS_OF, patient_id="case-1")
    day = AS_OF - timedelta(days=10)
    assert (rec.patient.id, rec.patient.sex) == ("case-1", "female")

    coded, text_only, history, resolved, span, pregnancy = rec.conditions
    assert (coded.codings, coded.text, coded.onset, coded.active) == (
        (Coding("icd10cm", "N39.0"),),
        None,
        day,
        True,
    )
    assert (text_only.codings, text_only.text) == ((), "Split thickness skin graft")
    assert history.onset == AS_OF - timedelta(days=HISTORY_DAYS) and history.active
    assert (resolved.active, resolved.abatement) == (False, day)
    assert resolved.onset is not None and resolved.onset < day
    assert span.onset == day - timedelta(days=15) and span.abatement == day and not span.active
    assert pregnancy.codings == (Coding("icd10cm", "Z3A.21"),) and pregnancy.onset == AS_OF

    tha, coded_proc = rec.procedures
    assert (tha.text, tha.site.side, tha.performed) == (
        "Total hip arthroplasty, left hip",
        "left",
        day,
    )
    assert coded_proc.codings == (Coding("snomed", "52734007"),) and coded_proc.site.side is None
    (medication,) = rec.medications
    assert medication.codings == (Coding("rxnorm", "5640"),) and medication.start == day
    (allergy,) = rec.allergies
    assert (allergy.codings, allergy.text) == ((), "indomethacin")

    swelling, warmth, egfr, calcium = rec.observations
    assert swelling.codings == (Coding("finding", "hip-swelling"),) and swelling.value_bool is True
    assert warmth.value_bool is False and swelling.effective == day
    assert (egfr.codings, egfr.value_quantity, egfr.interpretation) == (
        (Coding("loinc", "62238-1"),),
        28.0,
        "L",
    )
    assert (calcium.text, calcium.value_quantity, calcium.interpretation) == ("calcium", 7.9, None)
    # Inputs name their entry by FHIR reference ("ResourceType/id"), one per entry.
    kinds: dict[str, tuple[Condition | Procedure | Medication | Allergy | Observation, ...]] = {
        "Condition": rec.conditions,
        "Procedure": rec.procedures,
        "MedicationRequest": rec.medications,
        "AllergyIntolerance": rec.allergies,
        "Observation": rec.observations,
    }
    refs = [x.ref for entries in kinds.values() for x in entries]
    assert len(set(refs)) == len(refs)
    for kind, entries in kinds.items():
        assert all(x.ref.split("/")[0] == kind for x in entries), kind


def test_defaults_unknown_sex_and_the_example_patient() -> None:
    rec = record_from_example(ExampleRecord(conditions=["icd10cm|N39.0"]), AS_OF)
    assert (rec.patient.id, rec.patient.sex) == ("example", "unknown")
    assert rec.conditions[0].onset == AS_OF - timedelta(days=30)
