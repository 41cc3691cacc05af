"""The words the schema shares: id shapes, the contract's vocabularies (recommendation ids,
caution reasons), the enumerations, and the strict base of every model."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict

SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
ENTRY_ID = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")

Level = Literal["C", "P"]
Status = Literal["draft", "active", "retired"]
Joint = Literal["hip", "knee", "elbow", "shoulder"]
System = Literal["icd10cm", "snomed", "loinc", "rxnorm", "finding", "text"]
IndexKind = Literal["sci", "tbi", "stroke", "burn", "fracture", "arthroplasty", "blast"]
Population = Literal["sci", "tbi", "stroke", "burn", "fracture", "arthroplasty", "blast", "general"]
CautionLevel = Literal["contraindicated", "caution"]
Priority = Literal["routine", "soon", "urgent"]
Stage = Literal["at-risk", "suspected", "active", "maturing", "before-surgery", "after-surgery"]
ReadingLevel = Literal["basics", "detailed"]

RECOMMENDATION_IDS = (
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
)
CAUTION_REASONS = (
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
    "osteomalacia",
    "antiplatelet",
    "ssri",
    "corticosteroid",
)
# Where a drug option stands on the pathway; its cited evidence says in which stages it applies.
DrugStage = Literal["prophylaxis-hip-surgery", "early-ho", "active-ho", "post-excision"]
FactKindName = Literal["condition", "procedure", "medication", "allergy", "observation"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
