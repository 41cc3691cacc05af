"""The family view in the reader's language and about their own person: `?lang=en|es` with the
default from Accept-Language and `<html lang>` saying which; the Spanish sheets at two levels
with their reading ease measured by Spanish formulas; the view's own English words at grade 6;
a hip replacement is not "a big injury".

Reading measures. English: Flesch-Kincaid grade (as tests/knowledge/test_education.py), with
textstat's syllables from Pyphen only (no NLTK download). Spanish: textstat's Fernández-Huerta
(the Spanish adaptation of Flesch reading ease, read on Flesch's scale: 80-90 = grade 6, 70-80 =
grade 7, 60-70 = grades 8-9) and Szigriszt-Pazos (INFLESZ scale: 65-80 "fairly easy", 55-65
"normal"). Basics must be grade 6 or easier (FH >= 80, SP >= 65); detailed at most grade 8 (FH
>= 70, SP >= 55).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import textstat

from hosentinel.app.family_content import (
    SIGNS,
    SPANISH,
    STAGES,
    SWOLLEN_LIMB,
    UI,
    for_population,
    joint_words,
    pick_lang,
)
from hosentinel.knowledge.loader import default_knowledge
from tests.support.appkit import SignedIn

FAMILY_PATIENT = "03-sci-hip-rom-loss-probable.json"
HIP_REPLACEMENT = "17-tha-ankylosing-spondylitis-prior-ho.json"


def _clear_caches() -> None:
    for name, module in list(sys.modules.items()):
        if name == "textstat" or name.startswith("textstat."):
            for value in vars(module).values():
                clear = getattr(value, "cache_clear", None)
                if callable(clear):
                    clear()


@pytest.fixture
def measure() -> Iterator[Callable[[str, str], float]]:
    import nltk  # type: ignore[import-untyped]
    from textstat.backend.counts import _count_syllables

    def _no_download(*args: Any, **kwargs: Any) -> bool:
        raise AssertionError(f"textstat tried to download NLTK data: {args} {kwargs}")

    def score(lang: str, text: str) -> float:
        textstat.set_lang("es" if lang != "fk" else "en_US")
        _clear_caches()
        if lang == "fk":
            return float(textstat.flesch_kincaid_grade(text))
        if lang == "fh":
            return float(textstat.fernandez_huerta(text))
        return float(textstat.szigriszt_pazos(text))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_count_syllables, "get_cmudict", lambda lang: None)
        patch.setattr(nltk, "download", _no_download)
        yield score
        textstat.set_lang("en_US")
        _clear_caches()


@pytest.mark.parametrize("stage", sorted(SPANISH))
def test_spanish_sheets_read_at_grade_6_basics_and_8_detailed(
    stage: str, measure: Callable[[str, str], float]
) -> None:
    basics, detailed = SPANISH[stage]
    assert measure("fh", basics.body) >= 80, basics.title
    assert measure("sp", basics.body) >= 65, basics.title
    assert measure("fh", detailed.body) >= 70, detailed.title
    assert measure("sp", detailed.body) >= 55, detailed.title


def test_the_views_own_words_read_easily_in_both_languages(
    measure: Callable[[str, str], float],
) -> None:
    def text(lang: str) -> str:
        ui = UI[lang]  # type: ignore[index]
        parts = [ui["call_911_why"], ui["footer"], ui["find_text"]]
        parts += [f"{name}. {summary}" for name, summary in STAGES[lang].values()]  # type: ignore[index]
        parts += [f"{s}." for s in SIGNS[lang].values()] + [SWOLLEN_LIMB[lang]]  # type: ignore[index]
        return " ".join(parts)

    assert measure("fk", text("en")) <= 6
    assert measure("fh", text("es")) >= 80
    assert measure("sp", text("es")) >= 65


def test_language_from_the_query_then_the_browser() -> None:
    assert pick_lang("es", "en-US") == "es"
    assert pick_lang(None, "es-MX,es;q=0.9,en;q=0.8") == "es"
    assert pick_lang(None, "en;q=0.5, es;q=0.9") == "es"
    assert pick_lang(None, "fr-FR,de;q=0.9") == "en"
    assert pick_lang("xx", None) == "en"


def test_spanish_family_view_and_handout(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    family = signed_in("family")
    pid = demo_patient_ids[FAMILY_PATIENT]
    page = family.client.get(f"/patients/{pid}/family?lang=es")
    assert page.status_code == 200 and '<html lang="es">' in page.text
    assert "hueso" in page.text and "Llame al 911 ahora" in page.text
    assert "la cadera derecha" not in page.text and "cadera derecha" in page.text
    assert page.headers["content-language"] == "es"
    browser = family.client.get(
        f"/patients/{pid}/family", headers={"Accept-Language": "es-US,es;q=0.9"}
    )
    assert '<html lang="es">' in browser.text
    english = family.client.get(f"/patients/{pid}/family", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in english.text and "Call 911 now" in english.text
    pdf = family.client.get(f"/patients/{pid}/family/handout.pdf?lang=es")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert pdf.headers["content-language"] == "es"
    large = family.client.get(f"/patients/{pid}/family?lang=es&size=large")
    assert 'class="family large-print"' in large.text


def test_a_hip_replacement_is_not_a_big_injury(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    text = (
        signed_in("nurse").client.get(f"/patients/{demo_patient_ids[HIP_REPLACEMENT]}/family").text
    )
    assert "big injury" not in text and "serious injury" not in text
    generic = [m.body for m in default_knowledge().education if "big injury" in m.body]
    assert generic, "the knowledge base's at-risk sheet is generic; the view says it per event"
    assert "After a joint replacement" in for_population(generic[0], "arthroplasty")
    assert for_population(generic[0], None) == generic[0]
    assert joint_words("es", "elbow", "left") == "codo izquierdo"
    assert joint_words("en", "hip", "right") == "the right hip"
