"""The conditions a rule checks against a patient's record (clauses), and the synthetic must-fire /
must-not-fire examples every rule carries."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from hosentinel.knowledge.schema.vocabulary import Strict


class RecentConcept(Strict):
    concept: str
    within_days_setting: str


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
