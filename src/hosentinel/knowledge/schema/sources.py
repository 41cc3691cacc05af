"""Where knowledge comes from: the citation registry, uses of a citation, the [U] statements kept
out, the named local settings, and the ONC HTI-1 source attributes."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import Field, field_validator, model_validator

from hosentinel.knowledge.schema.vocabulary import ENTRY_ID, Level, Strict

# Sites that show a copy or a summary of a paper rather than the paper (aggregators, indexes,
# institutional mirrors). A citation read there links to the paper itself when its entry has
# a PubMed id or a DOI (both taken from the clinical notes); otherwise the link stays as read.
SECONDARY_HOSTS = (
    "qxmd.com",
    "ouci.dntb.gov.ua",
    "orthobullets.com",
    "bohrium.dp.tech",
    "vivo-dev.weill.cornell.edu",
    "pure.elsevier.com",
    "springermedizin.de",
    "scireproject.com",
    "koreamed.org",
)


_HOST = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^/?#@]*@)?([^/?#:]+)")


def _host(url: str) -> str:
    """The host of an absolute URL, lower case (the knowledge base imports no URL library)."""
    found = _HOST.match(url)
    return found.group(1).lower() if found else ""


def citation_link(url: str | None, doi: str | None, pmid: str | None) -> str | None:
    """The link a citation shows: its url, unless that is a secondary copy and the paper's own
    PubMed or DOI link is known; PubMed or DOI when there is no url."""
    own = f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else None
    own = own or (f"https://doi.org/{doi}" if doi else None)
    host = _host(url) if url else ""
    secondary = any(host == h or host.endswith("." + h) for h in SECONDARY_HOSTS)
    return own if own and (url is None or secondary) else url


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

    @property
    def link(self) -> str | None:
        """The one link every page, card and letter shows for this source."""
        return citation_link(self.url, self.doi, self.pmid)

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
