"""`/` is each role's home (DESIGN.md, Pages): the worklist for clinical roles, the family view
for a family account; error pages lead there, and to signing out."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.appkit import SignedIn


def test_home_of_a_family_account_is_their_patients_family_view(
    signed_in: Callable[[str], SignedIn],
) -> None:
    family = signed_in("family")
    home = family.client.get("/", follow_redirects=False)
    assert home.status_code == 303
    assert home.headers["location"].endswith("/family")
    page = family.client.get("/")
    assert page.status_code == 200 and "Not allowed" not in page.text


def test_home_of_a_clinician_is_the_worklist(signed_in: Callable[[str], SignedIn]) -> None:
    page = signed_in("nurse").client.get("/")
    assert page.status_code == 200 and 'class="worklist' in page.text


def test_an_error_page_leads_home_and_to_signing_out(
    signed_in: Callable[[str], SignedIn],
) -> None:
    family = signed_in("family")
    refused = family.client.get("/knowledge")
    assert refused.status_code in (403, 404)
    assert 'href="/">Go to your home page</a>' in refused.text
    assert 'href="/logout">Sign out</a>' in refused.text
    out = family.client.get("/logout")
    assert out.status_code == 200 and 'action="/logout"' in out.text
    assert 'name="csrf_token" value="' in out.text


def test_worklist_search_identifiers_urgent_action_and_paging(
    signed_in: Callable[[str], SignedIn], monkeypatch: pytest.MonkeyPatch
) -> None:
    from hosentinel.app.pages import worklist

    client = signed_in("physiatrist").client
    everyone = client.get("/api/worklist").json()
    page = client.get("/").text
    assert 'id="q"' in page and "Urgent: Rule out deep vein thrombosis" in page
    assert ">urgent action<" not in page  # says what the action is
    assert " day " in page and "id " in page  # event day and id under each name
    target = everyone[3]
    found = client.get("/", params={"q": target["name"][:12].upper()}).text
    assert f'data-patient="{target["patient"]}"' in found
    assert found.count("<tr data-patient=") < len(everyone)
    monkeypatch.setattr(worklist, "PAGE_SIZE", 10)
    first = client.get("/").text
    assert first.count("<tr data-patient=") == 10 and "Page 1 of 3" in first
    last = client.get("/", params={"page": 3}).text
    assert last.count("<tr data-patient=") == len(everyone) - 20
    assert f'data-patient="{everyone[-1]["patient"]}"' in last


def test_patient_banner_names_allergies_and_the_medications_read(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    page = signed_in("nurse").client.get(
        f"/patients/{demo_patient_ids['05-sci-confirmed-active-warfarin.json']}"
    )
    banner = page.text[: page.text.index("</section>")]
    assert "<dt>Medications the assessment read</dt>" in banner
    assert "warfarin" in banner.split("Medications the assessment read")[1].lower()
    assert "<dt>Allergies</dt>" in banner and "<dt>Id</dt>" in banner
    assert "day " in banner
