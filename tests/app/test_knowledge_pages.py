"""Knowledge pages: the clinician topic summary, intervention source attributes (ONC HTI-1) and
the citation registry, all rendered from the knowledge base."""

from __future__ import annotations

import html
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient

from hosentinel.knowledge.loader import default_knowledge
from tests.support.appkit import SignedIn


def page(client: SignedIn, url: str) -> str:
    response = client.client.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.text)


def test_topic_summary_renders_every_part_of_the_knowledge_base(
    signed_in: Callable[[str], SignedIn],
) -> None:
    k = default_knowledge()
    text = page(signed_in("physiatrist"), "/knowledge")
    assert k.release in text and k.digest in text
    for section in ("index-events", "risk-factors", "models", "tests", "drugs", "maturity"):
        assert f'id="{section}"' in text
    for kind in k.index_events.kinds:
        assert kind.title in text
    assert f"<strong>{k.index_events.window_start_days} days</strong>" in text
    for factor in k.risk_factors:
        assert factor.title in text
        for effect in factor.effects:
            assert f"{effect.measure} {effect.value}" in text
    for model in k.risk_models:
        assert model.reason in text and model.performance in text
    assert text.count("Not computable") >= sum(m.status == "not-computable" for m in k.risk_models)
    for test in k.tests.values():
        assert test.title in text
        for statement in test.statements:
            assert statement.supports.strip() in text
    assert "Shows HO only from about day 21" in text  # the radiograph's timing
    for drug in k.drugs:
        assert drug.title in text
        for caution in drug.cautions:
            assert caution.summary in text and caution.id in text
        for evidence in drug.evidence:
            assert evidence.text in text
    assert "Brooker classification" in text and "Modified Brooker (Della Valle) grades" in text
    assert k.maturity.classic_rule in text
    for evidence in k.maturity.newer_evidence:
        assert evidence.text in text
    for setting in k.settings.values():
        assert setting.id in text and setting.why_local in text
    for entry in k.entries.values():
        assert entry.id in text and entry.title in text
    assert "[C] confirmed" in text and "[P] partly confirmed" in text
    assert "review by 2026-11-25" in text and "version 1.0.0" in text
    assert "reviewers: HO Sentinel clinical reviewer (pending local sign-off)" in text


def test_citations_carry_title_link_and_level(signed_in: Callable[[str], SignedIn]) -> None:
    k = default_knowledge()
    text = page(signed_in("nurse"), "/knowledge")
    cited = k.citations["cit-yolcu-2020-sci-meta"]
    assert cited.level == "P" and cited.url
    assert f'<a href="{cited.url}" rel="noopener noreferrer">{cited.title}</a>' in text


def test_interventions_page_lists_hti1_source_attributes(
    signed_in: Callable[[str], SignedIn],
) -> None:
    k = default_knowledge()
    text = page(signed_in("therapist"), "/knowledge/interventions")
    assert text.count('<tr id="rec-') == len(k.recommendations)
    for rec in k.recommendations.values():
        attributes = rec.source_attributes
        row = text[text.index(f'<tr id="rec-{rec.id}">') :]
        row = row[: row.index("</tr>")]
        assert rec.summary in row and attributes.developer in row
        assert attributes.funding_source in row
        assert attributes.release_date.isoformat() in row
        assert attributes.revision_date.isoformat() in row
        for cid in attributes.bibliographic_citation:
            assert k.citations[cid].title in row
        assert ("Uses: <strong>Sex</strong>" in row) == attributes.uses_sex
        assert "Race: no" in row


def test_citation_registry_lists_every_source(signed_in: Callable[[str], SignedIn]) -> None:
    k = default_knowledge()
    text = page(signed_in("lead"), "/knowledge/citations")
    assert text.count('<tr id="cit-') == len(k.citations)
    partial = sum(1 for c in k.citations.values() if c.level == "P")
    assert f'{partial} <span class="cite-level level-p">[P] partly confirmed</span>' in text
    for citation in k.citations.values():
        assert citation.title in text and citation.where in text
    yolcu = text[text.index('<tr id="cit-yolcu-2020-sci-meta">') :]
    assert '<span class="tag">risk-factors.sci</span>' in yolcu[: yolcu.index("</tr>")]


def test_knowledge_api_reports_release_digest_and_counts(
    signed_in: Callable[[str], SignedIn],
) -> None:
    k = default_knowledge()
    body = signed_in("physiatrist").client.get("/api/knowledge").json()
    assert body["release"] == k.release and body["digest"] == k.digest
    counts = body["counts"]
    assert counts["citations"] == len(k.citations) > 50
    assert counts["recommendations"] == 20
    assert counts["drug_cautions"] == sum(len(d.cautions) for d in k.drugs)
    assert counts["citations_confirmed"] + counts["citations_partly_confirmed"] == len(k.citations)
    assert {e["id"] for e in body["entries"]} == set(k.entries)


def test_knowledge_pages_are_for_clinicians(
    app: FastAPI, signed_in: Callable[[str], SignedIn]
) -> None:
    family = signed_in("family")
    for url in ("/knowledge", "/knowledge/interventions", "/knowledge/citations", "/api/knowledge"):
        assert family.client.get(url).status_code == 403, url
    anonymous = TestClient(app)
    assert anonymous.get("/api/knowledge").status_code == 401
    assert anonymous.get("/knowledge", follow_redirects=False).status_code == 303
