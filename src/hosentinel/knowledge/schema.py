"""The schema every knowledge file is validated against.

Clinical content lives in YAML under `knowledge/data/`, one file per concept. Each file is an
`Entry` (identity, version, lifecycle, authors, review date, citations) holding the items of that
concept. Citations point into the source registry (`citations.yaml`), and each carries the
confirmation level it had in the project's clinical notes: [C] confirmed or [P] partly confirmed.
[U] items are never citable; they are listed in `unconfirmed.yaml` so tests can keep them out.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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


# --- sources -------------------------------------------------------------------------------


class Citation(Strict):
    """A source in the registry. `where` names the section of ../shared/clinical it came from."""

    id: str
    title: str
    kind: Literal[
        "guideline", "journal", "review", "label", "patient-page", "web", "book", "code-system"
    ]
    authors: str | None = None
    year: int | None = None
    journal: str | None = None
    doi: str | None = None
    pmid: str | None = None
    url: str | None = None
    level: Level
    partial: str | None = Field(
        default=None, description="For level P: which detail is from memory or unread."
    )
    where: str

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not value.startswith("cit-") or not ENTRY_ID.match(value):
            raise ValueError("citation ids look like 'cit-author-year-topic'")
        return value

    @field_validator("doi")
    @classmethod
    def _doi_shape(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^10\.\d{4,9}/\S+$", value):
            raise ValueError(f"not a DOI: {value!r}")
        return value

    @field_validator("pmid")
    @classmethod
    def _pmid_shape(cls, value: str | None) -> str | None:
        if value is not None and not value.isdigit():
            raise ValueError(f"not a PMID: {value!r}")
        return value

    @field_validator("url")
    @classmethod
    def _url_shape(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://\S+$", value):
            raise ValueError(f"not an http(s) URL: {value!r}")
        return value

    @model_validator(mode="after")
    def _locatable(self) -> Citation:
        if not (self.doi or self.pmid or self.url):
            raise ValueError(f"{self.id}: a citation needs a DOI, PMID or URL")
        if self.level == "P" and not self.partial:
            raise ValueError(f"{self.id}: a [P] citation must say which part is unconfirmed")
        return self


class CitationRef(Strict):
    """A use of a source: which citation, and exactly what it supports here."""

    id: str
    supports: str


class Unconfirmed(Strict):
    """A statement marked [U] in the notes. `patterns` are regular expressions that must not
    appear in any knowledge text, so the claim can never slip in as a fact."""

    id: str
    statement: str
    where: str
    patterns: list[str] = []


class LocalSetting(Strict):
    """A number a rule needs that no source gives. Each site sets its own; the default is a
    starting point chosen by the project, never a clinical fact."""

    id: str
    value: float
    unit: str
    description: str
    why_local: str


class SourceAttributes(Strict):
    """ONC HTI-1 (45 CFR 170.315(b)(11)) source attributes of an evidence-based intervention."""

    bibliographic_citation: list[str]
    developer: str
    funding_source: str
    release_date: date
    revision_date: date
    uses_race: bool = False
    uses_ethnicity: bool = False
    uses_language: bool = False
    uses_sexual_orientation: bool = False
    uses_gender_identity: bool = False
    uses_sex: bool = False
    uses_date_of_birth: bool = False
    uses_social_determinants: bool = False
    uses_health_status_assessment: bool = False


# --- conditions a rule checks ----------------------------------------------------------------


class Clause(Strict):
    """One test against the patient's record. Exactly one field is set.

    - concept: an entry in that value-set concept, on or before the as-of date: any condition ever
      recorded (history counts), a procedure, an active medication or allergy, or a finding whose
      latest value is positive.
    - active_concept: as `concept`, but a condition must still be active on the as-of date.
    - finding: the latest project finding with that code is true.
    - active_medication: an active medication in that concept.
    - allergy: an active allergy or intolerance recorded to something in that concept.
    - sex: the administrative sex.
    - coma_min_days: a coma (R40.2) lasting at least this many days (onset to abatement).
    - burn_tbsa_min: a burn TBSA band (T31) whose lower bound is at least this percentage.
    - pregnancy_weeks_min: pregnant, at or beyond this gestational age on the as-of date.
    - pregnant: pregnant now, at any gestational age.
    - egfr_below / egfr_below_setting: the latest eGFR (or a CKD stage whose whole range lies
      below it) is under this value (mL/min/1.73 m2), or under a named local setting.
    - lab_flag_low: the latest result in that concept is flagged low by the lab.
    - recent_concept: that concept within the local setting's number of days before as-of.
    - prior_to_index: that concept began before the latest index event (history, e.g. prior HO).
    - with_procedure: concept AND a procedure in the second concept (e.g. arm burn + graft).
    """

    concept: str | None = None
    active_concept: str | None = None
    finding: str | None = None
    active_medication: str | None = None
    allergy: str | None = None
    sex: Literal["male", "female"] | None = None
    coma_min_days: int | None = None
    burn_tbsa_min: int | None = None
    pregnancy_weeks_min: int | None = None
    pregnant: bool | None = None
    egfr_below: float | None = None
    egfr_below_setting: str | None = None
    lab_flag_low: str | None = None
    recent_concept: RecentConcept | None = None
    prior_to_index: str | None = None
    with_procedure: tuple[str, str] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Clause:
        set_fields = [name for name in type(self).model_fields if getattr(self, name) is not None]
        if len(set_fields) != 1:
            raise ValueError(f"a clause sets exactly one test, got {set_fields or 'none'}")
        return self


class RecentConcept(Strict):
    concept: str
    within_days_setting: str


class When(Strict):
    """`any_of` fires if one clause holds; `all_of` if all do. Exactly one is given."""

    any_of: list[Clause] | None = None
    all_of: list[Clause] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> When:
        if (self.any_of is None) == (self.all_of is None):
            raise ValueError("give exactly one of any_of / all_of")
        if not (self.any_of or self.all_of):
            raise ValueError("a condition needs at least one clause")
        return self

    def clauses(self) -> list[Clause]:
        return list(self.any_of or self.all_of or [])


class ExampleRecord(Strict):
    """A minimal synthetic record for a rule's must-fire / must-not-fire cases.

    Codes are written "system|code" (e.g. "icd10cm|N39.0"); findings "finding-code=true".
    `days_before` dates each entry relative to the case's as-of date (default 30).
    """

    sex: Literal["male", "female", "unknown"] = "unknown"
    conditions: list[str] = []
    procedures: list[str] = []
    medications: list[str] = []
    allergies: list[str] = []
    findings: list[str] = []
    labs: list[str] = Field(
        default=[], description='"system|code=value[ flag]" e.g. "loinc|62238-1=28" or "=7.9 L"'
    )
    condition_spans: list[str] = Field(
        default=[], description='"system|code:days" for a condition lasting that many days'
    )
    history: list[str] = Field(
        default=[], description="conditions that began a year before the case (before its index)"
    )
    resolved: list[str] = Field(default=[], description="conditions recorded but no longer active")
    pregnancy_weeks: int | None = None
    days_before: int = 30


class Examples(Strict):
    fires: list[ExampleRecord] = Field(min_length=1)
    does_not_fire: list[ExampleRecord] = Field(min_length=1)


# --- knowledge entries -------------------------------------------------------------------


class Entry(Strict):
    """Identity and lifecycle shared by every knowledge file."""

    id: str
    kind: str
    version: str
    status: Status
    title: str
    authors: list[str] = Field(min_length=1)
    reviewers: list[str] = Field(min_length=1)
    review_date: date
    citations: list[CitationRef] = []
    limitations: list[str] = []

    @field_validator("version")
    @classmethod
    def _semver(cls, value: str) -> str:
        if not SEMVER.match(value):
            raise ValueError("version must be semantic: MAJOR.MINOR.PATCH")
        return value

    @field_validator("id")
    @classmethod
    def _entry_id(cls, value: str) -> str:
        if not ENTRY_ID.match(value):
            raise ValueError("ids are lowercase words joined by '-' or '.'")
        return value


class Code(Strict):
    system: System
    code: str
    match: Literal["exact", "prefix"] = "exact"
    display: str | None = None
    exclude: bool = False


class UnitConversion(Strict):
    """Spellings of one unit (UCUM code first) and how to reach the canonical unit:
    canonical = value * factor + offset."""

    units: list[str] = Field(min_length=1)
    factor: float = 1.0
    offset: float = 0.0


class QuantitySpec(Strict):
    """How a measured concept's values are read: the canonical unit, the units converted to it,
    and the named local settings that bound a plausible value (outside them a value is set aside
    and named in the warnings, never used)."""

    canonical: str
    conversions: list[UnitConversion] = Field(min_length=1)
    plausible_min_setting: str
    plausible_max_setting: str


class Concept(Strict):
    """A clinical concept and the codes that mean it. `text` patterns (case-insensitive regular
    expressions) catch entries that carry only free text, as real EHR data often does."""

    id: str
    title: str
    codes: list[Code] = []
    text: list[str] = []
    # A text that matches `text` but also one of these is not the concept ("Glasgow coma scale"
    # is not coma; "hydrocortisone cream" is not a systemic corticosteroid).
    text_exclude: list[str] = []
    # Which record entries may belong to the concept. Default: conditions, procedures and
    # observations; a drug concept says [medication], an allergy concept [allergy], so that the
    # text of an order ("enoxaparin for DVT prophylaxis") never reads as a diagnosis.
    kinds: list[FactKindName] | None = None
    quantity: QuantitySpec | None = None


class ValueSetFile(Entry):
    kind: Literal["valueset"]
    concepts: list[Concept] = Field(min_length=1)


class Product(Strict):
    """An RxNorm product (SCD, SBD, GPCK, BPCK) and the RxNorm ingredients (IN) it contains."""

    code: str
    tty: Literal["SCD", "SBD", "GPCK", "BPCK"]
    ingredients: list[str] = Field(min_length=1)


class ProductsFile(Entry):
    """RxNorm product codes that mean their ingredients: a product code belongs to every concept
    one of its ingredient codes belongs to (orders and exports carry product codes)."""

    kind: Literal["rxnorm-products"]
    products: list[Product] = Field(min_length=1)


class SiteRule(Strict):
    """Joints to examine after an index event of this kind; `concepts` narrows it to sub-kinds
    (e.g. acetabular fracture -> hip). `local` is True when no source gives the mapping."""

    joints: list[Joint] = Field(min_length=1)
    concepts: list[str] = []
    local: bool = False
    citations: list[CitationRef] = []


class IndexEventKind(Strict):
    id: IndexKind
    title: str
    concepts: list[str] = Field(min_length=1)
    sites: list[SiteRule] = Field(min_length=1)
    citations: list[CitationRef] = Field(min_length=1)


class IndexEventsFile(Entry):
    kind: Literal["index-events"]
    window_start_days: int
    window_end_months: int
    kinds: list[IndexEventKind] = Field(min_length=1)


class Effect(Strict):
    """An effect size exactly as the source reports it, with its outcome definition."""

    measure: Literal["OR", "RR", "PR", "HR", "incidence"]
    value: float
    ci: tuple[float, float] | None = None
    outcome: str
    citation: str


class HighRiskCriterion(Strict):
    populations: list[Population] = Field(min_length=1)
    citation: CitationRef


class RiskFactor(Strict):
    id: str
    title: str
    populations: list[Population] = Field(min_length=1)
    when: When
    effects: list[Effect] = []
    citations: list[CitationRef] = Field(min_length=1)
    examples: Examples
    # A criterion that by itself defines "high risk" in the cited source for these populations
    # (e.g. the hip arthroplasty trials' definition), whatever else the patient has.
    defines_high_risk: HighRiskCriterion | None = None


class RiskFactorFile(Entry):
    kind: Literal["risk-factors"]
    factors: list[RiskFactor] = Field(min_length=1)


class RiskModel(Strict):
    """A published score. `not-computable` when its item weights were not confirmed."""

    id: str
    title: str
    populations: list[Population] = Field(min_length=1)
    status: Literal["computable", "not-computable"]
    reason: str
    performance: str
    citations: list[CitationRef] = Field(min_length=1)


class RiskModelsFile(Entry):
    kind: Literal["risk-models"]
    models: list[RiskModel] = Field(min_length=1)


class Sign(Strict):
    id: str
    title: str
    finding_suffix: str | None = None
    citations: list[CitationRef] = Field(min_length=1)


class SignsFile(Entry):
    kind: Literal["signs"]
    signs: list[Sign] = Field(min_length=1)


class DiagnosticTest(Strict):
    id: str
    title: str
    role: Literal["confirm", "supportive", "rule-out", "planning", "follow-up"]
    informative_from_days: int | None = None
    statements: list[CitationRef] = Field(min_length=1)


class TestsFile(Entry):
    kind: Literal["tests"]
    tests: list[DiagnosticTest] = Field(min_length=1)


class DrugCaution(Strict):
    id: str
    reason: str
    level: CautionLevel
    summary: str
    when: When
    citations: list[CitationRef] = Field(min_length=1)
    examples: Examples

    @field_validator("reason")
    @classmethod
    def _known_reason(cls, value: str) -> str:
        if value not in CAUTION_REASONS:
            raise ValueError(f"unknown caution reason {value!r}")
        return value


class EvidenceStatement(Strict):
    stance: Literal["supports", "against", "neutral"]
    text: str
    citation: str


class DrugUse(Strict):
    """A stage and population in which a drug option's cited evidence applies. `populations`
    holds the index-event kinds ("general" = any); `not_populations` those where the evidence is
    against it (e.g. radiation after excision of neurogenic HO). The rationale says which
    evidence it rests on and is shown with the recommendation."""

    stage: DrugStage
    populations: list[Population] = Field(min_length=1)
    not_populations: list[Population] = []
    summary: str
    rationale: str
    priority: Priority = "routine"
    # For time-bound stages (prophylaxis after surgery, after excision): offered only within
    # this local setting's number of days of the operation.
    within_days_setting: str | None = None
    citations: list[CitationRef] = Field(min_length=1)

    @field_validator("summary")
    @classmethod
    def _short_summary(cls, value: str) -> str:
        if len(value) >= 140:
            raise ValueError("summaries stay under 140 characters (CDS Hooks card limit)")
        return value


class DrugOption(Strict):
    id: str
    recommendation: str
    title: str
    cautions: list[DrugCaution] = []
    evidence: list[EvidenceStatement] = Field(min_length=1)
    conflicting_evidence: bool = False
    regimens_studied: list[EvidenceStatement] = []
    availability: str | None = None
    uses: list[DrugUse] = Field(min_length=1)
    # Bisphosphonates are alternatives: at most one is recommended (the first applicable one in
    # file order).
    bisphosphonate: bool = False


class DrugsFile(Entry):
    kind: Literal["drugs"]
    options: list[DrugOption] = Field(min_length=1)


class Recommendation(Strict):
    id: str
    category: Literal["surveillance", "work-up", "therapy", "medication", "radiation", "surgery"]
    summary: str
    rationale: str
    citations: list[CitationRef] = Field(min_length=1)
    source_attributes: SourceAttributes

    @field_validator("id")
    @classmethod
    def _contract_id(cls, value: str) -> str:
        if value not in RECOMMENDATION_IDS:
            raise ValueError(f"{value!r} is not in the recommendation vocabulary")
        return value

    @field_validator("summary")
    @classmethod
    def _short_summary(cls, value: str) -> str:
        if len(value) >= 140:
            raise ValueError("summaries stay under 140 characters (CDS Hooks card limit)")
        return value


class RecommendationsFile(Entry):
    kind: Literal["recommendations"]
    recommendations: list[Recommendation] = Field(min_length=1)


class GradeClass(Strict):
    grade: str
    definition: str


class Classification(Strict):
    id: str
    title: str
    applies_to: str
    grades: list[GradeClass] = Field(min_length=1)
    reliability: str | None = None
    citations: list[CitationRef] = Field(min_length=1)


class ClassificationsFile(Entry):
    kind: Literal["classifications"]
    classifications: list[Classification] = Field(min_length=1)


class MaturityCriterion(Strict):
    id: Literal["radiographs-stable", "alp-normal", "bone-scan-settled"]
    title: str
    citations: list[CitationRef] = Field(min_length=1)


class MaturityFile(Entry):
    kind: Literal["maturity"]
    criteria: list[MaturityCriterion] = Field(min_length=3)
    classic_rule: str
    newer_evidence: list[EvidenceStatement] = Field(min_length=1)
    referral_indications: list[CitationRef] = Field(min_length=1)


class EducationModule(Strict):
    id: str
    stage: Stage
    level: ReadingLevel
    title: str
    body: str
    local_content: bool = True


class EducationFile(Entry):
    kind: Literal["education"]
    modules: list[EducationModule] = Field(min_length=1)


class Release(Strict):
    release: str
    schema_version: Literal[1]
    description: str


class ContextTrigger(Strict):
    """An extra ConText trigger for reading notes (category and direction as in ConText)."""

    literal: str
    category: Literal[
        "NEGATED_EXISTENCE", "POSSIBLE_EXISTENCE", "HISTORICAL", "HYPOTHETICAL", "FAMILY"
    ]
    direction: Literal["FORWARD", "BACKWARD", "BIDIRECTIONAL", "TERMINATE", "PSEUDO"] = "FORWARD"


class NotesVocabularyFile(Entry):
    """The words the notes reader (`hosentinel.notes`) looks for: each a case-insensitive regular
    expression matched on word boundaries."""

    kind: Literal["notes-vocabulary"]
    joints: dict[Joint, list[str]]
    sides: dict[Literal["left", "right", "both"], list[str]]
    signs: dict[Literal["pain", "swelling", "warmth", "redness"], list[str]]
    motions: dict[str, list[str]]
    rom_words: list[str]
    unmeasured: list[str]
    extension_lacking: list[str]
    earlier_value: list[str]
    spasticity: list[str]
    ho_terms: list[str]
    imaging: dict[Literal["bone-scan-ho", "radiograph-ho"], list[str]]
    imaging_negative: list[str]
    duplex: list[str]
    dvt_terms: list[str]
    limb_sides: dict[Literal["left", "right", "both"], list[str]]
    other_sites: list[str] = []
    planning: list[str] = []
    sections: dict[Literal["historical", "family", "hypothetical", "current"], list[str]]
    context: list[ContextTrigger] = []


KnowledgeFile = Annotated[
    ValueSetFile
    | ProductsFile
    | IndexEventsFile
    | RiskFactorFile
    | RiskModelsFile
    | SignsFile
    | TestsFile
    | DrugsFile
    | RecommendationsFile
    | ClassificationsFile
    | MaturityFile
    | EducationFile
    | NotesVocabularyFile,
    Field(discriminator="kind"),
]

Clause.model_rebuild()
