"""Knowledge pages for clinicians: the topic summary rendered from the knowledge base, each
intervention's ONC HTI-1 source attributes, and the citation registry. No patient data here."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from hosentinel.app.deps import CLINICAL_ROLES, CurrentViewer, require
from hosentinel.app.templating import render
from hosentinel.knowledge import schema as s
from hosentinel.knowledge.loader import Knowledge, citation_ids

router = APIRouter()

POPULATIONS: dict[str, str] = {
    "sci": "Spinal cord injury",
    "tbi": "Traumatic brain injury",
    "stroke": "Stroke",
    "burn": "Burns",
    "fracture": "Fractures and elbow trauma",
    "arthroplasty": "Joint replacement (hip first)",
    "blast": "Blast and combat trauma",
    "general": "Any population (general factors)",
}

# HTI-1 source attributes (45 CFR 170.315(b)(11)(iv)(A)) in words, for the yes/no items.
USES: dict[str, str] = {
    "uses_race": "Race",
    "uses_ethnicity": "Ethnicity",
    "uses_language": "Language",
    "uses_sexual_orientation": "Sexual orientation",
    "uses_gender_identity": "Gender identity",
    "uses_sex": "Sex",
    "uses_date_of_birth": "Date of birth",
    "uses_social_determinants": "Social determinants of health",
    "uses_health_status_assessment": "Health status assessments",
}


def _knowledge(request: Request) -> Knowledge:
    knowledge: Knowledge = request.app.state.knowledge
    return knowledge


def cited_by(knowledge: Knowledge) -> dict[str, list[str]]:
    """Citation id -> ids of the knowledge entries that cite it."""
    users: dict[str, list[str]] = {}
    for entry in knowledge.entries.values():
        for cid in dict.fromkeys(citation_ids(entry)):
            users.setdefault(cid, []).append(entry.id)
    return users


def _entries_of(knowledge: Knowledge, cls: type[s.Entry]) -> list[s.Entry]:
    return sorted((e for e in knowledge.entries.values() if isinstance(e, cls)), key=lambda e: e.id)


def _base(request: Request, viewer: CurrentViewer) -> dict[str, Any]:
    require(viewer, *CLINICAL_ROLES)
    k = _knowledge(request)
    return {"user": viewer.user, "csrf": viewer.csrf_token, "k": k, "citations": k.citations}


@router.get("/knowledge", response_class=HTMLResponse)
def knowledge_page(request: Request, viewer: CurrentViewer) -> Response:
    context = _base(request, viewer)
    k: Knowledge = context["k"]
    factors_by_population = {
        pop: [f for f in k.risk_factors if pop in f.populations] for pop in POPULATIONS
    }
    models_by_population = {
        pop: [m for m in k.risk_models if pop in m.populations] for pop in POPULATIONS
    }
    context.update(
        {
            "populations": POPULATIONS,
            "factors_by_population": factors_by_population,
            "models_by_population": models_by_population,
            "risk_factor_entries": _entries_of(k, s.RiskFactorFile),
            "risk_model_entries": _entries_of(k, s.RiskModelsFile),
            "sign_entries": _entries_of(k, s.SignsFile),
            "test_entries": _entries_of(k, s.TestsFile),
            "drug_entries": _entries_of(k, s.DrugsFile),
            "classification_entries": _entries_of(k, s.ClassificationsFile),
            "education_entries": _entries_of(k, s.EducationFile),
            "valueset_entries": _entries_of(k, s.ValueSetFile),
            "all_entries": sorted(k.entries.values(), key=lambda e: (e.kind, e.id)),
        }
    )
    return render(request, "knowledge.html", context)


@router.get("/knowledge/interventions", response_class=HTMLResponse)
def interventions_page(request: Request, viewer: CurrentViewer) -> Response:
    context = _base(request, viewer)
    k: Knowledge = context["k"]
    context.update(
        {
            "recommendation_entries": _entries_of(k, s.RecommendationsFile),
            "recommendations": [
                r for rid in s.RECOMMENDATION_IDS if (r := k.recommendations.get(rid)) is not None
            ],
            "uses": USES,
        }
    )
    return render(request, "knowledge_interventions.html", context)


@router.get("/knowledge/citations", response_class=HTMLResponse)
def citations_page(request: Request, viewer: CurrentViewer) -> Response:
    context = _base(request, viewer)
    k: Knowledge = context["k"]
    registry = sorted(k.citations.values(), key=lambda c: c.id)
    context.update(
        {
            "registry": registry,
            "cited_by": cited_by(k),
            "confirmed": sum(1 for c in registry if c.level == "C"),
            "partial": sum(1 for c in registry if c.level == "P"),
        }
    )
    return render(request, "knowledge_citations.html", context)


class KnowledgeOut(BaseModel):
    release: str
    digest: str
    counts: dict[str, int]
    entries: list[dict[str, str]]


@router.get("/api/knowledge", response_model=KnowledgeOut)
def knowledge_api(request: Request, viewer: CurrentViewer) -> KnowledgeOut:
    require(viewer, *CLINICAL_ROLES)
    k = _knowledge(request)
    counts = {
        "entries": len(k.entries),
        "citations": len(k.citations),
        "citations_confirmed": sum(1 for c in k.citations.values() if c.level == "C"),
        "citations_partly_confirmed": sum(1 for c in k.citations.values() if c.level == "P"),
        "concepts": len(k.concepts),
        "index_event_kinds": len(k.index_events.kinds),
        "risk_factors": len(k.risk_factors),
        "risk_models": len(k.risk_models),
        "signs": len(k.signs),
        "tests": len(k.tests),
        "drug_options": len(k.drugs),
        "drug_cautions": sum(len(d.cautions) for d in k.drugs),
        "recommendations": len(k.recommendations),
        "classifications": len(k.classifications),
        "maturity_criteria": len(k.maturity.criteria),
        "education_modules": len(k.education),
        "local_settings": len(k.settings),
        "unconfirmed_statements": len(k.unconfirmed),
    }
    entries = [
        {
            "id": e.id,
            "kind": e.kind,
            "version": e.version,
            "status": e.status,
            "review_date": e.review_date.isoformat(),
        }
        for e in sorted(k.entries.values(), key=lambda e: e.id)
    ]
    return KnowledgeOut(release=k.release, digest=k.digest, counts=counts, entries=entries)
