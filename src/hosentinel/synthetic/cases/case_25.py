"""Case 25: Messy export: text-only codes, stray and invalid resources."""

from __future__ import annotations

import uuid
from datetime import date

from hosentinel.synthetic.builders import after, condition, med, patient, rom, sign, stamp
from hosentinel.synthetic.case import ID_NAMESPACE, Case
from hosentinel.synthetic.cases.common import NSAID_INDO
from hosentinel.synthetic.expect import caution, expect


def case_25() -> Case:
    injury = date(2025, 8, 4)
    other_patient = str(uuid.uuid5(ID_NAMESPACE, "messy/someone-else"))
    baseline = rom("hip", "flexion", "right", 110, after(injury, 20))
    baseline["effectiveDateTime"] = after(injury, 20).isoformat()  # date only, as some EHRs send
    left_baseline = rom("hip", "flexion", "left", 110, after(injury, 20))
    left_baseline["effectiveDateTime"] = after(injury, 20).isoformat()
    bogus = sign("hip", "pain", "left", after(injury, 37))
    bogus["status"] = "bogus"
    misfiled = condition(
        "Paralytic calcification and ossification of muscle, right thigh",
        after(injury, 30),
        icd10="M61.251",
        side="right",
        joint="hip",
    )
    misfiled["subject"] = {"reference": f"Patient/{other_patient}"}
    return Case(
        number=25,
        slug="messy-real-world-export",
        title="Messy export: text-only codes, stray and invalid resources",
        population="sci",
        stage="suspected",
        as_of=after(injury, 38),
        story=(
            "A 36-year-old man with complete paraplegia after a motorcycle crash; his right hip "
            "has stiffened and swollen. The export is messy, as real ones are: the injury is in "
            "free text only, warfarin is coded at product level, and the file also holds another "
            "patient's diagnosis, a resource type nobody knows, an observation with an invalid "
            "status and an entry with no resource. He must still be assessed, from his own valid "
            "data only."
        ),
        patient=patient("Rafael", "Quintero-Baptiste", "male", date(1988, 12, 1), "DEMO-0025"),
        resources=[
            condition("Complete paraplegia after T6 spinal cord injury (motorcycle crash)", injury),
            baseline,
            left_baseline,
            med(
                "855332",
                "Warfarin Sodium 5 MG Oral Tablet",
                after(injury, 25),
                dosage="5 mg daily, INR 2-3",
            ),
            misfiled,
            {
                "resourceType": "LegacyNursingNote",
                "text": "Turned every 2 hours overnight; skin intact.",
                "date": stamp(after(injury, 36), 6),
            },
            rom("hip", "flexion", "right", 85, after(injury, 37)),
            rom("hip", "flexion", "left", 110, after(injury, 37)),
            sign("hip", "swelling", "right", after(injury, 37)),
            bogus,
        ],
        expect=expect(
            "in-window",
            suspicion="probable",
            include=["rule-out-dvt", "triple-phase-bone-scan", "plain-radiograph"],
            cautions=[caution(NSAID_INDO, "anticoagulant", "caution")],
        ),
        references="relative",
        raw_entries=[{"fullUrl": f"urn:uuid:{uuid.uuid5(ID_NAMESPACE, 'messy/empty-entry')}"}],
    )
