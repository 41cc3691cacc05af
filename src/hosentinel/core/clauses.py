"""Evaluate the knowledge base's rule conditions (`When` / `Clause`) against one patient.

Each clause answers whether it holds and which record entries made it hold, so every fired rule
can show the patient's own inputs. See `knowledge.schema.Clause` for what each test means.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from hosentinel.core.assessment import Input
from hosentinel.core.facts import Fact, Facts
from hosentinel.core.record import FINDING, Observation, Sex
from hosentinel.knowledge import schema as s
from hosentinel.knowledge.loader import Knowledge

# CKD stage -> highest eGFR (mL/min/1.73 m2) the stage allows (KDIGO stage bands).
_CKD_STAGE_MAX_EGFR: dict[str, float] = {"1": 1e9, "2": 89, "3": 59, "4": 29, "5": 14, "6": 14}
_CKD_SNOMED_STAGE = {
    "431855005": "1",
    "431856006": "2",
    "433144002": "3",
    "431857002": "4",
    "46177005": "6",
}
# A pregnancy is taken as over this many weeks after its dated gestational age.
_MAX_GESTATION_WEEKS = 44
_LOW_FLAGS = frozenset({"L", "LL", "LU", "<"})
LAB_CURRENT_SETTING = "lab_current_days"


@dataclass(frozen=True, slots=True)
class Context:
    """Everything a rule may look at."""

    knowledge: Knowledge
    facts: Facts
    sex: Sex
    as_of: date
    # Start of the current episode: the earliest index event whose surveillance window is still
    # open (or about to open), else the latest one. HO before it is prior HO.
    index_date: date | None


@dataclass(frozen=True, slots=True)
class Outcome:
    holds: bool
    inputs: tuple[Input, ...] = ()
    settings: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()


NO = Outcome(False)


def fact_input(fact: Fact, what: str | None = None) -> Input:
    value: str | float | bool | None = fact.code
    obs = fact.observation
    if obs is not None:
        if obs.evidence is not None:
            return note_input(obs)
        value = _obs_value(obs)
    return Input(ref=fact.ref, what=what or fact.label, value=value, date=fact.start)


def obs_input(obs: Observation, what: str) -> Input:
    if obs.evidence is not None:
        return note_input(obs)
    return Input(ref=obs.ref, what=what, value=_obs_value(obs), date=obs.effective)


def note_input(obs: Observation) -> Input:
    """A finding read from a note: the finding code, and the sentence as its value (contract)."""
    code = next((c.code for c in obs.codings if c.system == FINDING), obs.text or "finding")
    return Input(ref=obs.ref, what=f"{code} (from note)", value=obs.evidence, date=obs.effective)


def _obs_value(obs: Observation) -> str | float | bool | None:
    if obs.value_quantity is not None:
        return obs.value_quantity
    if obs.value_bool is not None:
        return obs.value_bool
    return obs.value_code


def evaluate_when(when: s.When, ctx: Context) -> Outcome:
    outcomes = [evaluate_clause(clause, ctx) for clause in when.clauses()]
    held = [o for o in outcomes if o.holds]
    missing = tuple(m for o in outcomes for m in o.missing)
    holds = bool(held) if when.any_of is not None else len(held) == len(outcomes)
    if not holds:
        return Outcome(False, missing=missing)
    return Outcome(
        True,
        inputs=tuple(i for o in held for i in o.inputs),
        settings=tuple(dict.fromkeys(x for o in held for x in o.settings)),
        missing=missing,
    )


def present(ctx: Context, concept: str, *, must_be_active: bool = False) -> list[Fact]:
    """Entries in a concept that count now: conditions (history too unless must_be_active),
    procedures, active medications and allergies, and findings whose latest value is positive."""
    found: list[Fact] = []
    observations: list[Fact] = []
    for fact in ctx.facts.of(concept):
        if fact.kind == "observation":
            observations.append(fact)
        elif fact.kind in ("medication", "allergy") or (
            fact.kind == "condition" and must_be_active
        ):
            if fact.active:
                found.append(fact)
        else:
            found.append(fact)
    if observations and observations[-1].positive():
        found.append(observations[-1])
    return found


def evaluate_clause(clause: s.Clause, ctx: Context) -> Outcome:
    if clause.concept is not None:
        return _facts_outcome(present(ctx, clause.concept))
    if clause.active_concept is not None:
        return _facts_outcome(present(ctx, clause.active_concept, must_be_active=True))
    if clause.finding is not None:
        latest = ctx.facts.finding(clause.finding)
        if latest and _positive(latest[-1]):
            return Outcome(True, (obs_input(latest[-1], clause.finding),))
        return NO
    if clause.active_medication is not None:
        meds = [f for f in ctx.facts.of(clause.active_medication) if f.kind == "medication"]
        return _facts_outcome([f for f in meds if f.active])
    if clause.allergy is not None:
        allergies = [f for f in ctx.facts.of(clause.allergy) if f.kind == "allergy"]
        return _facts_outcome([f for f in allergies if f.active])
    if clause.sex is not None:
        if ctx.sex == clause.sex:
            return Outcome(True, (Input(ref="Patient", what="administrative sex", value=ctx.sex),))
        missing = ("sex",) if ctx.sex == "unknown" else ()
        return Outcome(False, missing=missing)
    if clause.coma_min_days is not None:
        return _coma(ctx, clause.coma_min_days)
    if clause.burn_tbsa_min is not None:
        return _burn_tbsa(ctx, clause.burn_tbsa_min)
    if clause.pregnancy_weeks_min is not None:
        return _pregnancy(ctx, clause.pregnancy_weeks_min)
    if clause.pregnant is not None:
        outcome = _pregnancy(ctx, None)
        return outcome if clause.pregnant else Outcome(not outcome.holds)
    if clause.egfr_below is not None:
        return _egfr_below(ctx, clause.egfr_below, ())
    if clause.egfr_below_setting is not None:
        limit = ctx.knowledge.setting(clause.egfr_below_setting)
        return _egfr_below(ctx, limit, (clause.egfr_below_setting,))
    if clause.lab_flag_low is not None:
        return _lab_low(ctx, clause.lab_flag_low)
    if clause.recent_concept is not None:
        return _recent(ctx, clause.recent_concept)
    if clause.prior_to_index is not None:
        return _prior(ctx, clause.prior_to_index)
    if clause.with_procedure is not None:
        first, procedure_concept = clause.with_procedure
        base = present(ctx, first)
        procedures = [f for f in ctx.facts.of(procedure_concept) if f.kind == "procedure"]
        if base and procedures:
            return _facts_outcome(base + procedures)
        return NO
    raise ValueError(f"clause with no test: {clause!r}")  # the schema makes this unreachable


def _positive(obs: Observation) -> bool:
    if obs.value_bool is not None:
        return obs.value_bool
    return obs.value_code is not None and obs.value_code.lower() in {"positive", "present", "true"}


def _facts_outcome(facts: list[Fact]) -> Outcome:
    if not facts:
        return NO
    return Outcome(True, tuple(fact_input(f) for f in facts))


def _coma(ctx: Context, min_days: int) -> Outcome:
    missing: list[str] = []
    for fact in ctx.facts.of("coma"):
        if fact.kind != "condition":
            continue
        if fact.start is None:
            missing.append("coma-duration")
            continue
        end = fact.end if fact.end is not None and fact.end <= ctx.as_of else None
        if end is None and not fact.active:
            missing.append("coma-duration")
            continue
        days = ((end or ctx.as_of) - fact.start).days
        if days >= min_days:
            what = f"coma lasting {days} days" + ("" if end else " (ongoing)")
            return Outcome(True, (fact_input(fact, what),))
    return Outcome(False, missing=tuple(missing))


def tbsa_band_lower(code: str) -> int | None:
    """T31.x: burns by extent; x is the TBSA band in tens of percent (T31.0 < 10%)."""
    compact = code.upper().replace(".", "")
    if compact.startswith("T31") and len(compact) >= 4 and compact[3].isdigit():
        return int(compact[3]) * 10
    return None


def _burn_tbsa(ctx: Context, min_percent: int) -> Outcome:
    for fact in ctx.facts.of("burn"):
        lower = tbsa_band_lower(fact.code) if fact.code and fact.system == "icd10cm" else None
        if lower is not None and lower >= min_percent:
            return Outcome(True, (fact_input(fact, f"burn over {lower}% TBSA or more"),))
    return NO


def gestational_weeks(fact: Fact, as_of: date) -> int | None:
    """Weeks of gestation on the as-of date from a Z3A code (Z3A.08-Z3A.42 give the weeks)."""
    if fact.system != "icd10cm" or not fact.code or fact.start is None:
        return None
    compact = fact.code.upper().replace(".", "")
    if not compact.startswith("Z3A") or len(compact) < 5 or not compact[3:5].isdigit():
        return None
    weeks_then = int(compact[3:5])
    if weeks_then == 0:
        return None
    if weeks_then == 1:  # Z3A.01: less than 8 weeks
        weeks_then = 0
    if weeks_then == 49:  # Z3A.49: more than 42 weeks
        weeks_then = 42
    return weeks_then + (as_of - fact.start).days // 7


def _pregnancy(ctx: Context, min_weeks: int | None) -> Outcome:
    current = []
    for fact in present(ctx, "pregnancy", must_be_active=True):
        weeks = gestational_weeks(fact, ctx.as_of)
        if weeks is None or weeks <= _MAX_GESTATION_WEEKS:
            current.append((fact, weeks))
    if not current:
        return NO
    if min_weeks is None:
        return Outcome(True, (fact_input(current[0][0], "pregnant"),))
    dated = [(fact, weeks) for fact, weeks in current if weeks is not None]
    for fact, weeks_now in dated:
        if weeks_now >= min_weeks:
            return Outcome(True, (fact_input(fact, f"pregnant, {weeks_now} weeks"),))
    if dated:
        return NO
    # A pregnancy with no dated gestational age: "from 20 weeks" cannot be ruled out, so the rule
    # holds (a drug it contraindicates is not suggested) and the gestational age is asked for.
    what = f"pregnant, weeks not recorded: {min_weeks} weeks or more cannot be excluded"
    return Outcome(True, (fact_input(current[0][0], what),), missing=("gestational-age",))


def current_labs(ctx: Context, concept: str) -> list[Fact]:
    """Results in a lab concept recent enough to stand for today (local setting
    `lab_current_days`), oldest first."""
    days = int(ctx.knowledge.setting(LAB_CURRENT_SETTING))
    since = ctx.as_of - timedelta(days=days)
    return [
        f
        for f in ctx.facts.of(concept)
        if f.observation is not None and f.start is not None and f.start >= since
    ]


def _egfr_below(ctx: Context, limit: float, settings: tuple[str, ...]) -> Outcome:
    labs = [
        f
        for f in current_labs(ctx, "egfr")
        if f.observation and f.observation.value_quantity is not None
    ]
    if labs:
        latest = labs[-1]
        assert latest.observation is not None and latest.observation.value_quantity is not None
        if latest.observation.value_quantity < limit:
            return Outcome(
                True,
                (fact_input(latest, "latest kidney function"),),
                (*settings, LAB_CURRENT_SETTING),
            )
        return NO
    for fact in present(ctx, "ckd", must_be_active=True):
        stage = _ckd_stage(fact)
        if stage is not None and _CKD_STAGE_MAX_EGFR[stage] < limit:
            return Outcome(
                True, (fact_input(fact, f"chronic kidney disease stage {stage}"),), settings
            )
    return Outcome(False, missing=("egfr",))


def _ckd_stage(fact: Fact) -> str | None:
    if fact.system == "snomed" and fact.code:
        return _CKD_SNOMED_STAGE.get(fact.code)
    if fact.system == "icd10cm" and fact.code:
        compact = fact.code.upper().replace(".", "")
        if compact.startswith("N18") and len(compact) >= 4 and compact[3] in _CKD_STAGE_MAX_EGFR:
            return compact[3]
    return None


def _lab_low(ctx: Context, concept: str) -> Outcome:
    labs = current_labs(ctx, concept)
    if not labs:
        return NO
    latest = labs[-1]
    obs = latest.observation
    assert obs is not None
    flagged = obs.interpretation is not None and obs.interpretation.upper() in _LOW_FLAGS
    below = (
        obs.value_quantity is not None
        and obs.reference_low is not None
        and obs.value_quantity < obs.reference_low
    )
    if flagged or below:
        return Outcome(
            True,
            (fact_input(latest, "latest result, below the lab's range"),),
            (LAB_CURRENT_SETTING,),
        )
    return NO


def _recent(ctx: Context, recent: s.RecentConcept) -> Outcome:
    days = int(ctx.knowledge.setting(recent.within_days_setting))
    since = ctx.as_of - timedelta(days=days)
    hits = [f for f in present(ctx, recent.concept) if f.start is not None and f.start >= since]
    if hits:
        return Outcome(True, tuple(fact_input(f) for f in hits), (recent.within_days_setting,))
    return NO


def _prior(ctx: Context, concept: str) -> Outcome:
    if ctx.index_date is None:
        return NO
    index_date = ctx.index_date
    hits = [f for f in ctx.facts.of(concept) if f.start is not None and f.start < index_date]
    return _facts_outcome(hits)
