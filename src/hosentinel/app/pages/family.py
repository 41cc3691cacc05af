"""The family view: plain-language education for the patient's stage, and a printable handout.

A family member sees only their own patient (any other id is a 404, as for a patient that does
not exist); clinicians may open it to see what the family reads. It is about this person: their
name, the joint the team watches, the team and its phone number (unit settings), a "when to call
911 / when to call the team" box, and text said for the event their risk comes from (a hip
replacement is not "a big injury"). No codes, no findings, no other patients.

`?lang=en|es` (default from Accept-Language) picks English or Spanish; `<html lang>` says which.
`?size=large` prints larger text. The words are in family_content.py, with their basis.
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

from hosentinel.app.deps import Config, CurrentViewer, Db, patient_for
from hosentinel.app.family_content import (
    NO_STAGE,
    SIGNS,
    SPANISH,
    STAGES,
    SWOLLEN_LIMB,
    UI,
    Lang,
    for_population,
    joint_words,
    pick_lang,
)
from hosentinel.app.pdf import html_to_pdf
from hosentinel.app.services import assess
from hosentinel.app.templating import render
from hosentinel.app.unit_settings import UnitSettings, unit_settings
from hosentinel.core.assessment import Assessment
from hosentinel.knowledge import schema as s
from hosentinel.knowledge.loader import Knowledge
from hosentinel.store import models as m
from hosentinel.store.audit import audit

router = APIRouter()

HANDOUT_HEADER: dict[Lang, str] = {
    "en": "HO Sentinel — information for patients and families",
    "es": "HO Sentinel — información para pacientes y familias",
}


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
class Person:
    """Who the view is about, and who to call."""

    name: str
    joints: tuple[str, ...]  # in words: "the right hip"
    team: str | None
    phone: str | None
    after_hours_phone: str | None = None

    @property
    def tel(self) -> str | None:
        return UnitSettings.tel(self.phone)

    @property
    def after_hours_tel(self) -> str | None:
        return UnitSettings.tel(self.after_hours_phone)


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
    lang: Lang = "en"
    person: Person | None = None

    @property
    def ui(self) -> dict[str, str]:
        return UI[self.lang]

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


def family_info(
    knowledge: Knowledge,
    stage: str | None,
    module_ids: list[str],
    lang: Lang = "en",
    population: str | None = None,
    person: Person | None = None,
) -> FamilyInfo:
    by_id = {m.id: m for m in knowledge.education}
    chosen: list[s.EducationModule] = [by_id[i] for i in module_ids if i in by_id]

    def modules(level: str) -> tuple[Module, ...]:
        if lang == "es":
            sheets = SPANISH.get(stage or "")
            if sheets is None:
                return ()
            sheet = sheets[0] if level == "basics" else sheets[1]
            ids = [m.id for m in chosen if m.level == level] or [f"{stage}-{level}"]
            return (Module(ids[0], level, sheet.title, sheet.body, text_blocks(sheet.body)),)
        return tuple(
            Module(m.id, m.level, m.title, body, text_blocks(body))
            for m in chosen
            if m.level == level
            for body in (for_population(m.body, population),)
        )

    name, summary = STAGES[lang].get(stage or "", NO_STAGE[lang])
    entry = knowledge.entries.get(f"education.{stage}") if stage else None
    # Signs to watch for only when the patient is at a stage of the HO pathway.
    words = SIGNS[lang]
    watch = [words[sign] for sign in knowledge.signs if sign in words]
    watch = [*watch, SWOLLEN_LIMB[lang]] if chosen else []
    return FamilyInfo(
        stage=stage,
        stage_name=name,
        stage_summary=summary,
        basics=modules("basics"),
        detailed=modules("detailed"),
        watch_for=tuple(watch),
        reviewed_by=tuple(entry.reviewers) if entry else (),
        review_date=entry.review_date if entry else None,
        version=entry.version if entry else None,
        release=knowledge.release,
        local_content=any(m.local_content for m in chosen),
        lang=lang,
        person=person,
    )


def _joints(a: Assessment, lang: Lang) -> tuple[str, ...]:
    """The joints the team is watching, most specific first: lesions, then suspected sites,
    then the joints the index event puts at risk."""
    found: list[tuple[str, str | None]] = []
    found += [(x.joint, x.side) for x in a.lesions if x.joint]
    found += [(x.joint, x.side) for x in a.suspicion.sites if x.joint and x.level != "none"]
    if not found:
        found += [(j, e.side) for e in a.index_events for j in e.joints]
    seen: list[str] = []
    for joint, side in found:
        words = joint_words(lang, joint, side)
        if words not in seen:
            seen.append(words)
    return tuple(seen)


def _info(
    request: Request, db: Session, config: Config, patient: m.Patient, lang: Lang
) -> FamilyInfo:
    knowledge: Knowledge = request.app.state.knowledge
    assessment = assess(
        db, knowledge, patient.id, config.current_date(), request.app.state.assessments
    )
    stage = assessment.education[0].stage if assessment.education else None
    unit = unit_settings(patient.unit, config.settings.units, demo=config.demo)
    person = Person(
        patient.display_name,
        _joints(assessment, lang),
        unit.team,
        unit.phone,
        unit.after_hours_phone,
    )
    population = assessment.index_events[0].kind if assessment.index_events else None
    return family_info(
        knowledge, stage, [e.id for e in assessment.education], lang, population, person
    )


def _lang(request: Request) -> Lang:
    return pick_lang(request.query_params.get("lang"), request.headers.get("accept-language"))


def _view_context(request: Request, info: FamilyInfo, patient_id: str) -> dict[str, object]:
    size = "large" if request.query_params.get("size") == "large" else "normal"
    return {"info": info, "patient_id": patient_id, "lang": info.lang, "size": size}


@router.get("/patients/{patient_id}/family", response_class=HTMLResponse)
def family_page(
    request: Request, db: Db, config: Config, viewer: CurrentViewer, patient_id: str
) -> Response:
    patient = patient_for(db, viewer, patient_id)
    info = _info(request, db, config, patient, _lang(request))
    audit(db, viewer.user, "read", "family view", patient.id)
    context = {"user": viewer.user, "csrf": viewer.csrf_token}
    context.update(_view_context(request, info, patient.id))
    response = render(request, "family.html", context)
    response.headers["Vary"] = "Accept-Language"
    response.headers["Content-Language"] = info.lang
    return response


def handout_html(
    templates: Jinja2Templates, info: FamilyInfo, today: date, size: str = "normal"
) -> str:
    return templates.get_template("handout.html").render(
        {"info": info, "header": HANDOUT_HEADER[info.lang], "today": today, "size": size}
    )


@router.get("/patients/{patient_id}/family/handout.pdf")
def handout_pdf(
    request: Request, db: Db, config: Config, viewer: CurrentViewer, patient_id: str
) -> Response:
    patient = patient_for(db, viewer, patient_id)
    info = _info(request, db, config, patient, _lang(request))
    size = "large" if request.query_params.get("size") == "large" else "normal"
    html = handout_html(request.app.state.templates, info, config.current_date(), size)
    pdf = html_to_pdf(html)
    audit(db, viewer.user, "read", "family handout pdf", patient.id)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="ho-sentinel-handout-{info.lang}.pdf"',
            "Content-Language": info.lang,
            "Vary": "Accept-Language",
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
    info = _info(request, db, config, patient, _lang(request))
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
