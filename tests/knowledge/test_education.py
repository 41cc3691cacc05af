"""Patient and family education: one file per pathway stage, two reading levels each.

DESIGN.md (pathway step 8, quality bars): basics at or below US grade 6 and detailed at or below
grade 8, measured in tests. The files are validated here with `schema.EducationFile` directly, not
through the full knowledge loader, so this test does not depend on the other data files.

The reading-level measure is `textstat.flesch_kincaid_grade` (Flesch-Kincaid grade level). It is a
single, well-known formula (0.39 x words per sentence + 11.8 x syllables per word - 15.59) that
maps directly onto the AMA grade-6 / NIH grade-8 targets. `textstat.text_standard` was not used:
it is a consensus of several formulas, rounds to whole grades, and changes when any one of them
changes, which makes a failure harder to explain to a content author.

Determinism and offline use: textstat 0.7.x counts syllables with the NLTK CMU Pronouncing
Dictionary when it can, and calls `nltk.download("cmudict")` at run time when the corpus is missing.
That reaches the network, and it makes the grade depend on whether the corpus happens to be
installed. The `_textstat` fixture therefore turns the CMU lookup off, so syllables always come
from Pyphen's bundled hyphenation dictionary (en_US), blocks `nltk.download` outright, and clears
textstat's caches on the way in and out. Pyphen counts slightly fewer syllables than the CMU
dictionary does, which is why the texts are written well below the limits.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, get_args

import pytest
import textstat
import yaml

import hosentinel.knowledge
from hosentinel.knowledge import schema

EDUCATION_DIR = Path(hosentinel.knowledge.__file__).parent / "data" / "education"
STAGES: tuple[str, ...] = get_args(schema.Stage)
LEVELS: tuple[str, ...] = get_args(schema.ReadingLevel)
MAX_GRADE = {"basics": 6.0, "detailed": 8.0}
MIN_WORDS = 80
DOSE = re.compile(r"\d+\s?(mg|gy|cgy)\b", re.IGNORECASE)

# Sources the education files may cite (the brief's list; the registry is being written).
ALLOWED_CITATIONS = frozenset(
    {
        "cit-aapmr-patient-page",
        "cit-aapmr-older-page",
        "cit-colachis-1993-dvt",
        "cit-beilby-mulligan-2008",
        "cit-orthoinfo-hip",
        "cit-ebsco-patient-page",
        "cit-clinicalgate-resect",
        "cit-genet-2011",
        "cit-almangour-2016",
        "cit-rooney-2021-readability",
        "cit-badarudeen-2010-readability",
        "cit-medscape-treatment",
        "cit-honore-2020",
        "cit-pakos-2004",
        "cit-meiners-1997",
    }
)

# Claims marked [U] in the clinical notes that patient text must never state. A local guard until
# `unconfirmed.yaml` exists; the loader checks its patterns against all knowledge text.
UNCONFIRMED = {
    "a named DVT test": re.compile(r"duplex|ultrasound|doppler", re.IGNORECASE),
    "a fixed wait before surgery": re.compile(
        r"wait[^.]*\b\d+\s*(?:weeks?|months?|years?)", re.IGNORECASE
    ),
    "an ALP normalisation time": re.compile(
        r"(?:normal|settle)[^.]*\b\d+\s*(?:weeks?|months?)", re.IGNORECASE
    ),
}


def _load(stage: str) -> schema.EducationFile:
    raw = yaml.safe_load((EDUCATION_DIR / f"{stage}.yaml").read_text(encoding="utf-8"))
    return schema.EducationFile.model_validate(raw)


def _modules() -> list[schema.EducationModule]:
    return [module for stage in STAGES for module in _load(stage).modules]


def _clear_textstat_caches() -> None:
    for name, module in list(sys.modules.items()):
        if name == "textstat" or name.startswith("textstat."):
            for value in vars(module).values():
                clear = getattr(value, "cache_clear", None)
                if callable(clear):
                    clear()


@pytest.fixture(scope="module")
def _textstat() -> Iterator[None]:
    """textstat with Pyphen syllables only, no network, en_US, fresh caches."""
    import nltk  # type: ignore[import-untyped]

    try:
        from textstat.backend.counts import _count_syllables
    except ImportError as error:  # pragma: no cover - only on a textstat layout change
        raise AssertionError(
            "textstat's internals changed; update the _textstat fixture so syllable counts "
            "stay deterministic and offline"
        ) from error

    def _no_download(*args: Any, **kwargs: Any) -> bool:
        raise AssertionError(f"textstat tried to download NLTK data: {args} {kwargs}")

    def _no_cmudict(lang: str) -> None:
        return None

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_count_syllables, "get_cmudict", _no_cmudict)
        patch.setattr(nltk, "download", _no_download)
        textstat.set_lang("en_US")
        _clear_textstat_caches()
        yield
        _clear_textstat_caches()


@pytest.fixture
def grade(_textstat: None) -> Callable[[str], float]:
    def measure(text: str) -> float:
        return float(textstat.flesch_kincaid_grade(text))

    return measure


# --- files and structure ---------------------------------------------------------------------


def test_one_file_per_stage_and_nothing_else() -> None:
    assert sorted(p.stem for p in EDUCATION_DIR.glob("*.yaml")) == sorted(STAGES)


@pytest.mark.parametrize("stage", STAGES)
def test_file_validates_and_is_identified(stage: str) -> None:
    entry = _load(stage)
    assert entry.id == f"education.{stage}"
    assert entry.kind == "education"
    assert entry.status == "active"
    assert entry.citations, "education content must name its sources"
    assert entry.limitations, "education content must state its limitations"
    limitations = " ".join(entry.limitations).lower()
    assert "local" in limitations and "review" in limitations, (
        "limitations must say this is local content that the local clinical team must review"
    )


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_has_one_basics_and_one_detailed_module(stage: str) -> None:
    modules = _load(stage).modules
    assert sorted(m.level for m in modules) == sorted(LEVELS)
    for module in modules:
        assert module.stage == stage
        assert module.id == f"edu-{stage}-{module.level}"
        assert module.local_content is True


def test_module_ids_are_unique() -> None:
    ids = [m.id for m in _modules()]
    assert len(ids) == len(set(ids)) == len(STAGES) * len(LEVELS)


@pytest.mark.parametrize("stage", STAGES)
def test_citations_come_from_the_allowed_sources(stage: str) -> None:
    ids = [c.id for c in _load(stage).citations]
    assert len(ids) == len(set(ids)), f"duplicate citation in {stage}"
    assert set(ids) <= ALLOWED_CITATIONS, sorted(set(ids) - ALLOWED_CITATIONS)
    assert all(c.supports.strip() for c in _load(stage).citations)


# --- content and reading level ---------------------------------------------------------------


MODULES = _modules()


@pytest.mark.parametrize("module", MODULES, ids=[m.id for m in MODULES])
def test_reading_level(module: schema.EducationModule, grade: Callable[[str], float]) -> None:
    measured = grade(module.body)
    limit = MAX_GRADE[module.level]
    assert measured <= limit, (
        f"{module.id}: Flesch-Kincaid grade {measured:.2f} is above the {module.level} "
        f"limit of {limit}"
    )


@pytest.mark.parametrize("module", MODULES, ids=[m.id for m in MODULES])
def test_body_is_substantial(module: schema.EducationModule) -> None:
    words = len(module.body.split())
    assert words >= MIN_WORDS, f"{module.id}: only {words} words"


@pytest.mark.parametrize("module", MODULES, ids=[m.id for m in MODULES])
def test_no_doses(module: schema.EducationModule) -> None:
    for text in (module.title, module.body):
        found = DOSE.search(text)
        assert found is None, f"{module.id}: dose-like text {found.group(0)!r}"


@pytest.mark.parametrize("module", MODULES, ids=[m.id for m in MODULES])
def test_no_unconfirmed_claims(module: schema.EducationModule) -> None:
    for claim, pattern in UNCONFIRMED.items():
        found = pattern.search(module.body)
        assert found is None, f"{module.id}: states {claim} ({found.group(0)!r})"


# --- the measure itself ----------------------------------------------------------------------


def test_grade_measure_can_fail(grade: Callable[[str], float]) -> None:
    complex_paragraph = (
        "Heterotopic ossification, characterised histopathologically by the metaplastic "
        "differentiation of mesenchymal progenitor cells into osteoblastic lineages within "
        "periarticular soft tissues, necessitates comprehensive multidisciplinary evaluation "
        "incorporating triple-phase radionuclide scintigraphy, serial radiographic "
        "documentation and biochemical surveillance of alkaline phosphatase concentrations "
        "before definitive operative intervention is contemplated."
    )
    assert grade(complex_paragraph) > MAX_GRADE["detailed"]


def test_grade_measure_is_deterministic_and_offline(grade: Callable[[str], float]) -> None:
    simple = "Tell your team if your leg is swollen. A swollen leg must be checked right away."
    first = grade(simple)
    _clear_textstat_caches()
    assert grade(simple) == first
    assert first <= MAX_GRADE["basics"]
