"""The family view: plain-language education for the patient's stage, and a printable handout.

A family member sees only their own patient (any other id is a 404, as for a patient that does
not exist); clinicians may open it to see what the family reads. Nothing from the clinician view
is shown here: no codes, no findings, no other patients, not even the patient's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel
from sqlalchemy.orm import Session

from hosentinel.app.audit import audit
from hosentinel.app.deps import Config, CurrentViewer, Db, patient_for
from hosentinel.app.pdf import html_to_pdf
from hosentinel.app.services import assess
from hosentinel.app.templating import render
from hosentinel.knowledge import schema as s
from hosentinel.knowledge.loader import Knowledge

router = APIRouter()

HANDOUT_HEADER = "HO Sentinel — information for patients and families"

# Each stage in plain words: (name, one sentence). The stages are the engine's (core/education).
STAGES: dict[str, tuple[str, str]] = {
    "at-risk": (
        "Watching closely",
        "No extra bone has been found. The team checks the joints regularly during the months "
        "when it can start.",
    ),
    "suspected": (
        "Being checked",
        "The team has seen signs that extra bone may be forming and is doing tests to find out.",
    ),
    "active": (
        "Extra bone is forming",
        "Extra bone has been found near a joint, and it may still be growing.",
    ),
    "maturing": (
        "The extra bone is settling",
        "The extra bone is growing more slowly or has stopped growing.",
    ),
    "before-surgery": (
        "Getting ready for surgery",
        "The team is thinking about an operation to remove the extra bone.",
    ),
    "after-surgery": (
        "After surgery",
        "The extra bone has been removed. Healing and exercise come next.",
    ),
}

# The bedside signs of the knowledge base (signs.yaml), in plain words. Only signs the knowledge
# base lists are shown, so nothing is said here that the cited sources do not say.
SIGNS_IN_PLAIN_WORDS: dict[str, str] = {
    "rom-loss": "A joint that gets stiffer or harder to move",
    "pain": "New pain or tenderness near a joint",
    "swelling": "Swelling around a joint",
    "warmth": "A joint that feels warm",
    "redness": "Redness over a joint",
    "fever": "A fever",
}
SWOLLEN_LIMB = (
    "A leg or arm that is newly swollen: tell the team right away, because it must be checked "
    "for a blood clot."
)


@dataclass(frozen=True, slots=True)
class Block:
    kind: Literal["p", "h", "ul"]
    text: str = ""
    items: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Module:
    id: str
    level: str
    title: str
    body: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class FamilyInfo:
    stage: str | None
    stage_name: str
    stage_summary: str
    basics: tuple[Module, ...]
    detailed: tuple[Module, ...]
    watch_for: tuple[str, ...]
    reviewed_by: tuple[str, ...] = ()
    review_date: date | None = None
    version: str | None = None
    release: str = ""
    local_content: bool = True

    @property
    def modules(self) -> tuple[Module, ...]:
        return self.basics + self.detailed


def text_blocks(body: str) -> tuple[Block, ...]:
    """An education text as paragraphs, headings and lists. The knowledge files write them as
    plain text: blank lines between blocks, a list item per "- " line (continued on indented
    lines), a heading as a one-line block without a full stop."""
    blocks: list[Block] = []
    for chunk in body.strip().split("\n\n"):
        lines = [line.rstrip() for line in chunk.strip("\n").split("\n") if line.strip()]
        if not lines:
            continue
        if len(lines) == 1 and not lines[0].startswith("- ") and lines[0][-1] not in ".:":
            blocks.append(Block("h", lines[0].strip()))
            continue
        paragraph: list[str] = []
        items: list[str] = []
        for line in lines:
            if line.startswith("- "):
                if paragraph:
                    blocks.append(Block("p", " ".join(paragraph)))
                    paragraph = []
                items.append(line[2:].strip())
            elif line.startswith(" ") and items:
                items[-1] = f"{items[-1]} {line.strip()}"
            else:
                if items:
                    blocks.append(Block("ul", items=tuple(items)))
                    items = []
                paragraph.append(line.strip())
        if paragraph:
            blocks.append(Block("p", " ".join(paragraph)))
        if items:
            blocks.append(Block("ul", items=tuple(items)))
    return tuple(blocks)


def family_info(knowledge: Knowledge, stage: str | None, module_ids: list[str]) -> FamilyInfo:
    by_id = {m.id: m for m in knowledge.education}
    chosen: list[s.EducationModule] = [by_id[i] for i in module_ids if i in by_id]

    def modules(level: str) -> tuple[Module, ...]:
        return tuple(
            Module(m.id, m.level, m.title, m.body, text_blocks(m.body))
            for m in chosen
            if m.level == level
        )

    name, summary = STAGES.get(stage or "", ("No information sheet yet", ""))
    entry = knowledge.entries.get(f"education.{stage}") if stage else None
    # Signs to watch for only when the patient is at a stage of the HO pathway.
    watch = [SIGNS_IN_PLAIN_WORDS[sign] for sign in knowledge.signs if sign in SIGNS_IN_PLAIN_WORDS]
    watch = [*watch, SWOLLEN_LIMB] if chosen else []
    return FamilyInfo(
        stage=stage,
        stage_name=name,
        stage_summary=summary
        or "There is no information sheet for this stage. Please ask the care team.",
        basics=modules("basics"),
        detailed=modules("detailed"),
        watch_for=tuple(watch),
        reviewed_by=tuple(entry.reviewers) if entry else (),
        review_date=entry.review_date if entry else None,
        version=entry.version if entry else None,
        release=knowledge.release,
        local_content=any(m.local_content for m in chosen),
    )


def _info(request: Request, db: Session, config: Config, patient_id: str) -> FamilyInfo:
    knowledge: Knowledge = request.app.state.knowledge
    assessment = assess(
        db, knowledge, patient_id, config.current_date(), request.app.state.assessments
    )
    stage = assessment.education[0].stage if assessment.education else None
    return family_info(knowledge, stage, [e.id for e in assessment.education])


@router.get("/patients/{patient_id}/family", response_class=HTMLResponse)
def family_page(
    request: Request, db: Db, config: Config, viewer: CurrentViewer, patient_id: str
) -> Response:
    patient = patient_for(db, viewer, patient_id)
    info = _info(request, db, config, patient.id)
    audit(db, viewer.user, "read", "family view", patient.id)
    return render(
        request,
        "family.html",
        {"user": viewer.user, "csrf": viewer.csrf_token, "patient_id": patient.id, "info": info},
    )


def handout_html(templates: Jinja2Templates, info: FamilyInfo, today: date) -> str:
    return templates.get_template("handout.html").render(
        {"info": info, "header": HANDOUT_HEADER, "today": today}
    )


@router.get("/patients/{patient_id}/family/handout.pdf")
def handout_pdf(
    request: Request, db: Db, config: Config, viewer: CurrentViewer, patient_id: str
) -> Response:
    patient = patient_for(db, viewer, patient_id)
    info = _info(request, db, config, patient.id)
    pdf = html_to_pdf(handout_html(request.app.state.templates, info, config.current_date()))
    audit(db, viewer.user, "read", "family handout pdf", patient.id)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": 'inline; filename="ho-sentinel-handout.pdf"',
            "Cache-Control": "no-store",
        },
    )


class ModuleOut(BaseModel):
    id: str
    level: str
    title: str
    body: str


class EducationOut(BaseModel):
    stage: str | None
    stage_name: str
    stage_summary: str
    modules: list[ModuleOut]
    watch_for: list[str]
    reviewed_by: list[str]
    review_date: date | None
    knowledge_release: str


@router.get("/api/patients/{patient_id}/education", response_model=EducationOut)
def education_api(
    request: Request, db: Db, config: Config, viewer: CurrentViewer, patient_id: str
) -> EducationOut:
    patient = patient_for(db, viewer, patient_id)
    info = _info(request, db, config, patient.id)
    audit(db, viewer.user, "read", "education api", patient.id)
    return EducationOut(
        stage=info.stage,
        stage_name=info.stage_name,
        stage_summary=info.stage_summary,
        modules=[
            ModuleOut(id=m.id, level=m.level, title=m.title, body=m.body) for m in info.modules
        ],
        watch_for=list(info.watch_for),
        reviewed_by=list(info.reviewed_by),
        review_date=info.review_date,
        knowledge_release=info.release,
    )
