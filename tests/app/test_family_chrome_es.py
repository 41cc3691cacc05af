"""The page chrome of the Spanish family view is Spanish too: sign out, skip link, the role."""

from __future__ import annotations

from collections.abc import Callable

from tests.support.appkit import SignedIn


def test_the_spanish_family_view_has_no_english_chrome(
    signed_in: Callable[[str], SignedIn],
) -> None:
    family = signed_in("family")
    home = family.client.get("/", follow_redirects=False).headers["location"]
    es = family.client.get(home, params={"lang": "es"}).text
    assert '<html lang="es">' in es
    assert ">Cerrar sesión</button>" in es and ">Saltar al contenido</a>" in es
    assert "· familia</span>" in es and 'aria-label="Principal"' in es
    for english in (">Sign out<", ">Skip to content<", "· family</span>", 'aria-label="Main"'):
        assert english not in es, english
    en = family.client.get(home, params={"lang": "en"}).text
    assert ">Sign out</button>" in en and ">Skip to content</a>" in en


def test_the_physiatrist_search_from_the_spanish_view_stays_spanish(
    signed_in: Callable[[str], SignedIn],
) -> None:
    family = signed_in("family")
    home = family.client.get("/", follow_redirects=False).headers["location"]
    view = family.client.get(home, params={"lang": "es"}).text
    assert '<input type="hidden" name="lang" value="es">' in view
    page = family.client.get(
        f"{home}/physiatrists", params={"lang": "es", "zip": "60611", "radius": "50"}
    ).text
    assert '<html lang="es">' in page and "<h1>Buscar un fisiatra cerca de usted</h1>" in page
    assert "encontrados a menos de 50 millas" in page and ">Qué hace</th>" in page
    assert "lang=es" in page.split('rel="next"')[0].rsplit("href=", 1)[1]
    for english in ("Find a physiatrist", "found within", ">Name</th>", "Next page", "Sign out"):
        assert english not in page, english
    en = family.client.get(f"{home}/physiatrists", params={"lang": "en", "zip": "60611"}).text
    assert "<h1>Find a physiatrist near you</h1>" in en and "found within" in en
