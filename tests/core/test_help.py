from django.urls import reverse
from django.utils.html import escape

from cite_emploi.core import help as help_pages


def test_every_guide_renders_and_is_listed(client, db):
    guides = help_pages.guides()
    assert guides, "docs/guide/ must hold the user guides"
    index = client.get(reverse("core:help")).content.decode()
    for guide in guides:
        assert escape(guide.title) in index
        page = client.get(reverse("core:help_page", args=[guide.slug]))
        assert page.status_code == 200
        assert "<h1" in page.content.decode()


def test_unknown_or_hostile_guide_is_a_404(client, db):
    assert client.get(reverse("core:help_page", args=["inexistant"])).status_code == 404
    assert client.get("/aide/..%2Fsettings/").status_code == 404


def test_public_pages(client, db):
    for name in ("core:accessibility", "core:personal_data", "core:sources", "accounts:home"):
        assert client.get(reverse(name)).status_code == 200
