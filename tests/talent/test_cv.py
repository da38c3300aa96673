"""The CV as PDF: for the person, downloaded by a member of their follow-up only; with their name and
contact details, or anonymous (reference only); never their address or their QPV."""

import pytest
from django.urls import reverse

from cite_emploi.core.models import AuditEntry
from cite_emploi.core.pdf import PdfUnavailable
from cite_emploi.talent import views
from cite_emploi.territory.models import QPV
from tests.accounts.factories import member
from tests.followup.factories import followed_by
from tests.talent.factories import profile_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def referent():
    return member("counsellor")


@pytest.fixture
def person(referent):
    return followed_by(
        referent,
        first_name="Ximena",
        last_name="Zawadzka",
        phone="06 12 34 56 78",
        email="xz@exemple.net",
        address="17 rue des Glycines",
        qpv=QPV.objects.get(code="QN09405M", geography_year=2024),
    )


@pytest.fixture
def profile(person):
    return profile_of(person, skills=["Préparation de commandes", "CACES 1"], languages=["Polonais"])


@pytest.fixture
def rendered(monkeypatch):
    """The HTML WeasyPrint would receive, instead of the PDF: its text can be read."""
    from django.template.loader import render_to_string

    pages = []

    def fake(template, context):
        pages.append(render_to_string(template, context))
        return b"%PDF-1.7 fake"

    monkeypatch.setattr(views, "render_pdf", fake)
    return pages


def test_a_member_downloads_a_real_pdf(client, referent, profile, person):
    client.force_login(referent)
    response = client.get(reverse("talent:profile_cv", args=[profile.reference]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f'filename="cv-{profile.reference}.pdf"' in response["Content-Disposition"]
    assert AuditEntry.objects.filter(
        action="export", object_id=str(person.pk), detail__what="CV (PDF)", actor=referent
    ).exists()


def test_the_persons_cv_carries_name_and_contact_but_never_address_or_qpv(
    client, referent, profile, rendered
):
    client.force_login(referent)
    client.get(reverse("talent:profile_cv", args=[profile.reference]))
    [html] = rendered
    assert "Ximena Zawadzka" in html and "06 12 34 56 78" in html and "xz@exemple.net" in html
    assert "Préparateur / Préparatrice de commandes" in html and "CACES 1" in html and "Polonais" in html
    assert "Glycines" not in html and "QN09405M" not in html and "Mont-Mesly" not in html


def test_the_anonymous_cv_has_the_reference_only(client, referent, profile, rendered):
    client.force_login(referent)
    response = client.get(reverse("talent:profile_cv", args=[profile.reference]) + "?version=anonyme")
    assert f'filename="cv-{profile.reference}-anonyme.pdf"' in response["Content-Disposition"]
    [html] = rendered
    assert profile.reference in html and "CACES 1" in html
    for detail in ("Ximena", "Zawadzka", "06 12 34 56 78", "xz@exemple.net", "Glycines", "Mont-Mesly"):
        assert detail not in html


def test_only_members_of_the_follow_up_download_the_cv(client, profile):
    url = reverse("talent:profile_cv", args=[profile.reference])
    for role, expected in (("counsellor", 404), ("coordinator", 404), ("employer", 403)):
        client.force_login(member(role))
        assert client.get(url).status_code == expected, role


def test_without_weasyprint_the_page_says_so(client, referent, profile, monkeypatch):
    def unavailable(template, context):
        raise PdfUnavailable("La génération de PDF n'est pas disponible sur ce serveur.")

    monkeypatch.setattr(views, "render_pdf", unavailable)
    client.force_login(referent)
    response = client.get(reverse("talent:profile_cv", args=[profile.reference]), follow=True)
    assert "La génération de PDF n&#x27;est pas disponible" in response.content.decode()
