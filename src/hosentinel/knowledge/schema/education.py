"""Education modules by stage and reading level."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from hosentinel.knowledge.schema.entry import Entry
from hosentinel.knowledge.schema.vocabulary import ReadingLevel, Stage, Strict


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
