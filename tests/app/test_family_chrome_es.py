"""The page chrome of the Spanish family view is Spanish too: sign out, skip link, the role."""

from __future__ import annotations

from collections.abc import Callable

from conftest import SignedIn


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
