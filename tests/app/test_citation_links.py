"""Citations read on a secondary site (an aggregator, an index, a mirror) link to the paper
itself, PubMed or DOI, when the clinical notes give one; titles and everything else unchanged."""

from __future__ import annotations

import re

from hosentinel.app.knowledge_view import KnowledgeView
from hosentinel.cdshooks.card_words import sources
from hosentinel.knowledge.loader import default_knowledge
from hosentinel.knowledge.schema.sources import SECONDARY_HOSTS, citation_link

KB = default_knowledge()


def test_a_secondary_copy_gives_way_to_pubmed_or_doi() -> None:
    qxmd = "https://www.qxmd.com/r/26155968"
    assert citation_link(qxmd, None, "26155968") == "https://pubmed.ncbi.nlm.nih.gov/26155968/"
    ouci = "https://ouci.dntb.gov.ua/en/works/4MARxGb4"
    assert citation_link(ouci, "10.1016/x", None) == "https://doi.org/10.1016/x"
    # A publisher's page stays; so does a secondary link without an identifier to replace it.
    lww = "https://journals.lww.com/spinejournal/Abstract/2018/x.aspx"
    assert citation_link(lww, "10.1097/BRS.0000000000002680", "1") == lww
    assert citation_link("https://clinicalgate.com/x", None, None) == "https://clinicalgate.com/x"
    assert citation_link(None, "10.1/y", None) == "https://doi.org/10.1/y"
    assert citation_link(None, None, None) is None


def test_the_knowledge_bases_citations_link_to_the_papers() -> None:
    view = KnowledgeView(KB)
    assert view.citation("cit-zhu-2015-tha-meta").url == (
        "https://pubmed.ncbi.nlm.nih.gov/26155968/"
    )
    assert view.citation("cit-cunha-2019").url == (
        "https://doi.org/10.1016/j.jstrokecerebrovasdis.2018.10.032"
    )
    for cid, c in KB.citations.items():
        url = view.citation(cid).url or ""
        host = re.sub(r"^https?://([^/]+).*$", r"\1", url)
        if any(host.endswith(h) for h in SECONDARY_HOSTS):
            assert not (c.pmid or c.doi), f"{cid} still links to {url}"
        assert view.citation(cid).title == c.title


# Checked against ../shared/clinical/*.md on 2026-12-05: each identifier below is written
# there for that source. A new replacement must be checked the same way and added here.
REPLACED = {
    "cit-citak-2012": "https://doi.org/10.1097/brs.0b013e31825ee81b",
    "cit-cunha-2019": "https://doi.org/10.1016/j.jstrokecerebrovasdis.2018.10.032",
    "cit-zhu-2015-tha-meta": "https://pubmed.ncbi.nlm.nih.gov/26155968/",
    "cit-singh-2022-tha": "https://doi.org/10.1210/clinem/dgac249",
    "cit-pellegrini-1992-rt": "https://pubmed.ncbi.nlm.nih.gov/1541613/",
    "cit-zhang-2019-elbow": "https://doi.org/10.1177/0300060519877324",
    "cit-yeung-2022-acetabular": "https://doi.org/10.2106/jbjs.rvw.20.00263",
    "cit-korean-case-2015": "https://doi.org/10.13004/kjnt.2015.11.2.158",
    "cit-mimic-infection-2015": "https://pubmed.ncbi.nlm.nih.gov/26409557/",
    "cit-singh-2003-ck": "https://pubmed.ncbi.nlm.nih.gov/14639555/",
    "cit-della-valle-2002": "https://pubmed.ncbi.nlm.nih.gov/12375245/",
    "cit-italian-survey-2012": "https://doi.org/10.1007/s10195-012-0180-4",
    "cit-ploumis-2015-alendronate": "https://doi.org/10.1179/2045772314Y.0000000213",
    "cit-banovac-1997-etidronate": "https://doi.org/10.1080/10790268.1997.11719457",
}


def test_the_replaced_links_are_the_checked_ones() -> None:
    view = KnowledgeView(KB)
    replaced = {
        cid: view.citation(cid).url
        for cid, c in KB.citations.items()
        if c.url is not None and view.citation(cid).url != c.url
    }
    assert replaced == REPLACED


def test_cards_link_a_source_where_the_pages_do() -> None:
    """One link per source: a CDS card's "Sources:" tail used to take the url as read (a copy on
    qxmd.com) while the pages linked PubMed."""
    for cid in KB.citations:
        link = KnowledgeView(KB).citation(cid).url
        tail = sources(KB, [cid])
        assert (link is None) == ("](" not in tail), cid
        if link:
            assert f"]({link.replace(')', '%29').replace(' ', '%20')})" in tail, cid
