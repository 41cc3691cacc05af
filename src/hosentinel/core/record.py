"""One patient's clinical record, as the engine sees it.

These are plain, immutable value objects. Adapters (the FHIR importer, the app's database) build
them; the engine reads them. Nothing here knows about FHIR JSON, HTTP or SQL. Codes are kept as
they arrived (system + code + display); the knowledge base's value sets give them meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

Side = Literal["left", "right"]
Joint = Literal["hip", "knee", "elbow", "shoulder"]
Sex = Literal["male", "female", "other", "unknown"]

JOINTS: tuple[Joint, ...] = ("hip", "knee", "elbow", "shoulder")
SIDES: tuple[Side, ...] = ("left", "right")

# The alias of the project's own code system: findings at the bedside (joint exams, signs).
FINDING = "finding"
# Canonical code-system URIs. Value sets in the knowledge base use the short aliases.
SYSTEMS: dict[str, str] = {
    "icd10cm": "http://hl7.org/fhir/sid/icd-10-cm",
    "snomed": "http://snomed.info/sct",
    "loinc": "http://loinc.org",
    "rxnorm": "http://www.nlm.nih.gov/research/umls/rxnorm",
    FINDING: "https://hosentinel.org/fhir/CodeSystem/finding",
}
SYSTEM_ALIASES: dict[str, str] = {uri: alias for alias, uri in SYSTEMS.items()}


@dataclass(frozen=True, slots=True)
class Coding:
    """A code as it arrived. `system` is the short alias (icd10cm, snomed, loinc, rxnorm, finding)
    when the URI is known, otherwise the URI (or "" when the source gave none)."""

    system: str
    code: str
    display: str | None = None


@dataclass(frozen=True, slots=True)
class BodySite:
    """Where a finding or lesion is. Either part may be unknown."""

    joint: Joint | None = None
    side: Side | None = None


@dataclass(frozen=True, slots=True)
class Patient:
    """`deceased` is Patient.deceasedBoolean (or a deceasedDateTime was given); `deceased_on` the
    date of death when known. A patient who died after the as-of date is assessed as alive."""

    id: str
    sex: Sex = "unknown"
    birth_date: date | None = None
    deceased: bool = False
    deceased_on: date | None = None


@dataclass(frozen=True, slots=True)
class Condition:
    """A problem-list entry or diagnosis.

    `onset` is when it started (FHIR onsetDateTime / onsetPeriod.start); `abatement` when it ended;
    `recorded` the recordedDate. `active` is False for resolved, inactive or refuted entries
    (clinicalStatus / verificationStatus); the engine still reads history (e.g. prior HO).
    `unconfirmed` is True for a provisional, differential or unconfirmed verificationStatus: such
    an entry never settles a safety question (a suspected DVT is not a diagnosed one).
    """

    ref: str
    codings: tuple[Coding, ...]
    text: str | None = None
    onset: date | None = None
    abatement: date | None = None
    recorded: date | None = None
    active: bool = True
    refuted: bool = False
    site: BodySite = field(default_factory=BodySite)
    unconfirmed: bool = False


@dataclass(frozen=True, slots=True)
class Procedure:
    ref: str
    codings: tuple[Coding, ...]
    text: str | None = None
    performed: date | None = None
    completed: bool = True
    site: BodySite = field(default_factory=BodySite)


@dataclass(frozen=True, slots=True)
class Observation:
    """A measurement, bedside finding or imaging conclusion.

    Exactly one of the value fields is normally set. `value_code` holds a coded answer's code
    (e.g. "positive", "increasing"). `interpretation` is the lab's own flag (H, L, N, HH, LL ...),
    `reference_high` / `reference_low` its reference range: the engine uses these, never a
    threshold of its own, to call a lab value normal or abnormal.
    """

    ref: str
    codings: tuple[Coding, ...]
    text: str | None = None
    effective: date | None = None
    value_quantity: float | None = None
    unit: str | None = None
    value_bool: bool | None = None
    value_code: str | None = None
    interpretation: str | None = None
    reference_low: float | None = None
    reference_high: float | None = None
    site: BodySite = field(default_factory=BodySite)
    cancelled: bool = False
    # A finding read from a note's text (`hosentinel.notes`): the sentence it was read from. The
    # basis then shows "<finding> (from note)" with this sentence as its value.
    evidence: str | None = None


@dataclass(frozen=True, slots=True)
class Medication:
    """A MedicationRequest or MedicationStatement. `active` covers active/on-hold/draft orders."""

    ref: str
    codings: tuple[Coding, ...]
    text: str | None = None
    start: date | None = None
    end: date | None = None
    active: bool = True


@dataclass(frozen=True, slots=True)
class Allergy:
    ref: str
    codings: tuple[Coding, ...]
    text: str | None = None
    recorded: date | None = None
    active: bool = True


@dataclass(frozen=True, slots=True)
class ImportStats:
    """What the importer saw but could not use. Reported, never fatal."""

    resources: int = 0
    ignored_resources: int = 0
    unknown_codes: int = 0
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PatientRecord:
    patient: Patient
    conditions: tuple[Condition, ...] = ()
    procedures: tuple[Procedure, ...] = ()
    observations: tuple[Observation, ...] = ()
    medications: tuple[Medication, ...] = ()
    allergies: tuple[Allergy, ...] = ()
    stats: ImportStats = field(default_factory=ImportStats)
