"""From the engine's values to the output models: built only when an assessment is serialised,
never inside `evaluate` (screening evaluates every patient and serialises few)."""

from __future__ import annotations

from typing import Any

from hosentinel.core.assessment import (
    Assessment,
    Basis,
    Caution,
    DueJoint,
    EducationItem,
    Finding,
    IndexEvent,
    Input,
    Lesion,
    Recommendation,
    SiteSuspicion,
    Surveillance,
)
from hosentinel.core.output.models import (
    AssessmentOut,
    BasisOut,
    CautionItemOut,
    CriteriaOut,
    DueJointOut,
    DvtAnsweredOut,
    EducationOut,
    EvidenceOut,
    FindingOut,
    ImportOut,
    IndexEventOut,
    InputOut,
    KnowledgeOut,
    LesionItemOut,
    MissingInputOut,
    RecommendationItemOut,
    RiskFactorOut,
    RiskModelOut,
    RiskOut,
    SiteSuspicionOut,
    SurveillanceOut,
    SuspicionOut,
    WindowOut,
)


def _input_out(i: Input) -> InputOut:
    return InputOut(ref=i.ref, what=i.what, value=i.value, date=i.date)


def basis_out(b: Basis) -> BasisOut:
    return BasisOut(
        rule=b.rule,
        entries=list(b.entries),
        citations=list(b.citations),
        inputs=[_input_out(i) for i in b.inputs],
        settings=list(b.settings) or None,
        note=b.note or None,
    )


def _index_event_out(e: IndexEvent) -> IndexEventOut:
    return IndexEventOut(
        kind=e.kind,
        date=e.date,
        days_since=e.days_since,
        joints=list(e.joints),
        basis=basis_out(e.basis),
        side=e.side or None,
    )


def _due_out(d: DueJoint) -> DueJointOut:
    return DueJointOut(
        joint=d.joint,
        side=d.side,
        due=d.due,
        overdue=d.overdue,
        last_examined=d.last_examined,
        basis=basis_out(d.basis),
    )


def _surveillance_out(s: Surveillance) -> SurveillanceOut:
    window = (
        WindowOut(start=s.window_start, end=s.window_end)
        if s.window_start and s.window_end
        else None
    )
    return SurveillanceOut(
        phase=s.phase, window=window, due=[_due_out(d) for d in s.due], basis=basis_out(s.basis)
    )


def _finding_out(f: Finding) -> FindingOut:
    return FindingOut(id=f.id, summary=f.summary, basis=basis_out(f.basis))


def _site_out(s: SiteSuspicion) -> SiteSuspicionOut:
    dvt = s.dvt
    return SiteSuspicionOut(
        joint=s.joint,
        side=s.side,
        level=s.level,
        findings=[_finding_out(f) for f in s.findings],
        basis=basis_out(s.basis),
        dvt=None
        if dvt is None
        else DvtAnsweredOut(answer=dvt.answer, summary=dvt.summary, basis=basis_out(dvt.basis)),
    )


def _evidence(items: tuple[dict[str, str], ...]) -> list[EvidenceOut]:
    return [EvidenceOut.model_validate(e) for e in items]


def _recommendation_out(r: Recommendation) -> RecommendationItemOut:
    return RecommendationItemOut(
        id=r.id,
        category=r.category,
        priority=r.priority,
        tier=r.tier,
        summary=r.summary,
        rationale=r.rationale,
        basis=basis_out(r.basis),
        cautions=list(r.cautions) if r.is_drug else None,
        waits_for=list(r.waits_for) or None,
        sites=list(r.sites) or None,
        evidence=_evidence(r.evidence) or None,
        conflicting_evidence=r.conflicting_evidence if r.evidence else None,
        availability=r.availability or None,
    )


def _caution_out(c: Caution) -> CautionItemOut:
    return CautionItemOut(
        about=c.about,
        level=c.level,
        reason=c.reason,
        summary=c.summary,
        recommended=c.recommended,
        basis=basis_out(c.basis),
    )


def _lesion_out(lesion: Lesion) -> LesionItemOut:
    return LesionItemOut(
        joint=lesion.joint,
        side=lesion.side,
        maturity=lesion.maturity,
        surgical_referral=lesion.surgical_referral,
        # Keyed by criterion id; a criterion the model does not know is refused.
        criteria=CriteriaOut.model_validate(dict(lesion.criteria)),
        classic_rule=lesion.classic_rule,
        newer_evidence=_evidence(lesion.newer_evidence),
        basis=basis_out(lesion.basis),
    )


def _education_out(e: EducationItem) -> EducationOut:
    return EducationOut(
        id=e.id, stage=e.stage, level=e.level, title=e.title, basis=basis_out(e.basis)
    )


def assessment_out(a: Assessment) -> AssessmentOut:
    """The output model of an assessment (the contract shape)."""
    risk = a.risk
    return AssessmentOut(
        patient=a.patient,
        patient_status=a.patient_status,
        as_of=a.as_of,
        knowledge=KnowledgeOut(release=a.knowledge_release, digest=a.knowledge_digest),
        index_events=[_index_event_out(e) for e in a.index_events],
        risk=RiskOut(
            level=risk.level,
            factors=[
                RiskFactorOut(
                    id=f.id,
                    title=f.title,
                    strong=f.strong,
                    effects=list(f.effects),
                    basis=basis_out(f.basis),
                )
                for f in risk.factors
            ],
            models=[
                RiskModelOut(
                    id=m.id,
                    title=m.title,
                    status=m.status,
                    value=m.value,
                    reason=m.reason,
                    basis=basis_out(m.basis),
                )
                for m in risk.models
            ],
            basis=basis_out(risk.basis),
        ),
        surveillance=_surveillance_out(a.surveillance),
        suspicion=SuspicionOut(
            level=a.suspicion.level, sites=[_site_out(s) for s in a.suspicion.sites]
        ),
        recommendations=[_recommendation_out(r) for r in a.recommendations],
        cautions=[_caution_out(c) for c in a.cautions],
        lesions=[_lesion_out(x) for x in a.lesions],
        education=[_education_out(e) for e in a.education],
        missing_inputs=[
            MissingInputOut(id=m.id, why_it_matters=m.why_it_matters) for m in a.missing_inputs
        ],
        import_=ImportOut(warnings=list(a.import_warnings), unknown_codes=a.unknown_codes),
    )


def assessment_json(a: Assessment) -> dict[str, Any]:
    """The contract JSON of an assessment as plain values (dates as ISO 8601 strings)."""
    return assessment_out(a).model_dump(mode="json")
