"""Helpers for the exam-entry tests: the values a rendered form holds, the Observations stored."""

from __future__ import annotations

from html.parser import HTMLParser

from fastapi import FastAPI
from sqlalchemy import func, select

from hosentinel.store import models as m


class FormValues(HTMLParser):
    """What a browser would submit from the exam form as rendered."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self.in_form = False
        self.select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and a.get("id") == "exam-form":
            self.in_form = True
        if tag == "select" and self.in_form:
            self.select = a.get("name")
        if tag == "option" and self.select and "selected" in a:
            self.values[self.select] = a.get("value") or ""
        if tag != "input" or not self.in_form or not a.get("name"):
            return
        name = a["name"] or ""
        if a.get("type") == "checkbox":
            if "checked" in a:
                self.values[name] = a.get("value") or "on"
        else:
            self.values[name] = a.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.in_form = False
        if tag == "select":
            self.select = None


def form_values(html: str) -> dict[str, str]:
    parser = FormValues()
    parser.feed(html)
    return parser.values


def count_observations(app: FastAPI, patient_id: str | None = None) -> int:
    with app.state.sessionmaker() as session:
        query = select(func.count()).select_from(m.Observation)
        if patient_id:
            query = query.where(m.Observation.patient_id == patient_id)
        return int(session.scalar(query) or 0)
