"""The source registry (`citations.yaml`) is valid, locatable and traceable to the clinical notes.

Most checks read citations.yaml on its own, so they run while other knowledge files are still
being written. The last check loads the whole knowledge base and needs all of it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from hosentinel.knowledge import loader
from hosentinel.knowledge.schema import Citation

DATA = Path(__file__).parents[2] / "src" / "hosentinel" / "knowledge" / "data"
SHARED = Path(__file__).parents[3] / "shared"
NOTES = SHARED / "clinical"

DOI = re.compile(r"^10\.\d{4,9}/[^\s]+[^\s.,;]$")
PMID = re.compile(r"^[1-9]\d{0,8}$")

# Ids that rules written elsewhere reference. Never rename one; add new ids at the end of the file.
REQUIRED_IDS = (
    "cit-aapmr-patient-page",
    "cit-aapmr-older-page",
    "cit-knowledgenow-ho",
    "cit-yolcu-2020-sci-meta",
    "cit-yolcu-2020-nsaid-meta",
    "cit-zakrasek-2019",
    "cit-citak-2012",
    "cit-scire-risk-factors",
    "cit-scire-introduction",
    "cit-scire-diagnosis",
    "cit-scire-treatment",
    "cit-hendricks-2007",
    "cit-van-kampen-2011",
    "cit-simonsen-2007",
    "cit-cunha-2019",
    "cit-zhu-2015-tha-meta",
    "cit-singh-2022-tha",
    "cit-pellegrini-1992-rt",
    "cit-yang-2016-elbow-meta",
    "cit-sun-2022-stehop",
    "cit-zhang-2019-elbow",
    "cit-levi-2015-burns",
    "cit-schneider-2017-burn-score",
    "cit-suero-2018-sci-rule",
    "cit-alfieri-2015-combat",
    "cit-forsberg-potter-2010",
    "cit-potter-2007-amputation",
    "cit-daniels-2018-amputation",
    "cit-baschera-2015-acetabular",
    "cit-yeung-2022-acetabular",
    "cit-griffin-2013-acetabular",
    "cit-orzel-rudd-1985",
    "cit-medscape-differential",
    "cit-medscape-treatment",
    "cit-wood-medscape-workup",
    "cit-kedlaya-medscape-sci",
    "cit-colachis-1993-dvt",
    "cit-riklin-2003",
    "cit-korean-case-2015",
    "cit-pangilinan-medscape",
    "cit-estores-2004-crp",
    "cit-sherman-2003-ck",
    "cit-singh-2003-ck",
    "cit-mimic-infection-2015",
    "cit-freed-1982-tpbs",
    "cit-svircev-2008-repeat-scan",
    "cit-banovac-gonzalez-1997",
    "cit-rosteius-2017",
    "cit-meriggi-weppner-2019",
    "cit-insights-imaging-2013",
    "cit-orthoinfo-hip",
    "cit-della-valle-2002",
    "cit-mavrogenis-2012",
    "cit-hastings-graham-celli",
    "cit-stover-1975-rom",
    "cit-banovac-2001-indomethacin",
    "cit-banovac-2004-algorithm",
    "cit-fransen-2006-hipaid",
    "cit-neal-2000-nsaid-survey",
    "cit-indomethacin-label",
    "cit-nsaid-label-interactions",
    "cit-nsaid-label-warnings",
    "cit-fda-2020-nsaid-pregnancy",
    "cit-burd-2003-nonunion",
    "cit-sagi-2014-acetabular",
    "cit-hamid-2010-elbow-rt",
    "cit-alendronate-label",
    "cit-etidronate-mpr",
    "cit-ploumis-2015-alendronate",
    "cit-curr-pmr-rep-review",
    "cit-banovac-1997-etidronate",
    "cit-erabi-etidronate",
    "cit-degro-2015",
    "cit-pakos-2004",
    "cit-seegenschmiedt-hop",
    "cit-honore-2020",
    "cit-italian-survey-2012",
    "cit-jaaos-2023-tha",
    "cit-clinicalgate-resect",
    "cit-garland-orwin-1989",
    "cit-chalidis-2007",
    "cit-genet-2011",
    "cit-almangour-2016",
    "cit-meiners-1997",
    "cit-otchere-2015",
    "cit-ajpmr-2019-teaching",
    "cit-celli-isakos-2020",
    "cit-van-kuijk-2002",
    "cit-rooney-2021-readability",
    "cit-badarudeen-2010-readability",
    "cit-ebsco-patient-page",
    "cit-beilby-mulligan-2008",
    "cit-icd10cm",
    "cit-icd10cm-m61",
    "cit-snomed-ct",
    "cit-snomed-444748003",
    "cit-loinc",
    "cit-loinc-ho-labs",
    "cit-rxnorm",
    "cit-synthea",
)


def load_raw() -> list[dict[str, Any]]:
    raw = yaml.safe_load((DATA / "citations.yaml").read_text(encoding="utf-8"))
    assert isinstance(raw, list), "citations.yaml is a YAML list of citations"
    return raw


RAW = load_raw()
CITATIONS = [Citation.model_validate(item) for item in RAW]


def by_id(citation: Citation) -> str:
    return citation.id


@pytest.mark.parametrize("raw", RAW, ids=lambda raw: str(raw.get("id")))
def test_each_citation_validates(raw: dict[str, Any]) -> None:
    Citation.model_validate(raw)


def test_ids_are_unique() -> None:
    ids = [c.id for c in CITATIONS]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"duplicate citation ids: {duplicates}"


def test_every_requested_id_is_present() -> None:
    missing = sorted(set(REQUIRED_IDS) - {c.id for c in CITATIONS})
    assert not missing, f"ids other files rely on are missing: {missing}"


@pytest.mark.parametrize("citation", CITATIONS, ids=by_id)
def test_partly_confirmed_says_what_is_missing(citation: Citation) -> None:
    if citation.level == "P":
        assert citation.partial and len(citation.partial.split()) >= 5, (
            f"{citation.id}: a [P] citation says which detail is from memory or unread"
        )


@pytest.mark.parametrize("citation", CITATIONS, ids=by_id)
def test_identifiers_are_well_formed(citation: Citation) -> None:
    assert citation.doi or citation.pmid or citation.url, f"{citation.id}: no DOI, PMID or URL"
    if citation.doi is not None:
        assert DOI.match(citation.doi), f"{citation.id}: malformed DOI {citation.doi!r}"
    if citation.pmid is not None:
        assert PMID.match(citation.pmid), f"{citation.id}: malformed PMID {citation.pmid!r}"
    if citation.url is not None:
        parts = urlsplit(citation.url)
        assert parts.scheme in {"http", "https"}, f"{citation.id}: URL scheme {parts.scheme!r}"
        assert "." in parts.netloc, f"{citation.id}: URL host {parts.netloc!r}"
        assert not re.search(r"\s", citation.url), f"{citation.id}: whitespace in URL"


FOUND_OUTSIDE = "found outside the notes: "


@pytest.mark.parametrize("citation", CITATIONS, ids=by_id)
def test_where_names_an_existing_source_file(citation: Citation) -> None:
    """`where` names the notes file (../shared/clinical/*.md) the source came from.

    Two sources are not from the notes: RxNorm codes come from ../shared/DESIGN.md and the
    Synthea sample lives in ../shared/data/; those name that file or folder instead. A source
    found beyond the notes says so ("found outside the notes: ...") and must carry its URL.
    """
    if citation.where.startswith(FOUND_OUTSIDE):
        assert citation.url, f"{citation.id}: a source found outside the notes needs its URL"
        return
    notes = re.findall(r"[\w-]+\.md\b", citation.where)
    paths = re.findall(r"\bshared/(\S+)", citation.where)
    assert notes or paths, f"{citation.id}: `where` names no notes file: {citation.where!r}"
    for name in notes:
        assert (NOTES / name).is_file() or (SHARED / name).is_file(), (
            f"{citation.id}: {name} is not in {NOTES}"
        )
    for relative in paths:
        assert (SHARED / relative).exists(), f"{citation.id}: {SHARED / relative} does not exist"


def test_every_citation_is_used_by_a_knowledge_file() -> None:
    knowledge = loader.load_knowledge()
    used = {cid for entry in knowledge.entries.values() for cid in loader.citation_ids(entry)}
    unused = sorted(set(knowledge.citations) - used)
    assert not unused, f"citations no knowledge file cites: {unused}"
