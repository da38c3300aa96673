import pytest
from django.urls import reverse

from cite_emploi.accounts.models import Membership
from cite_emploi.partners.models import Organisation, Service
from tests.accounts.factories import member
from tests.partners.factories import OrganisationFactory, located_site, saved_service, saved_service_at


@pytest.fixture
def org(db):
    return OrganisationFactory(name="Association Tremplin")


def login_member_of(client, org, role="counsellor"):
    user = member(role)
    Membership.objects.create(user=user, organisation=org, role=role)
    client.force_login(user)
    return user


def test_list_and_detail_for_readers(client, org):
    saved_service(organisation=org, name="Permanence emploi")
    client.force_login(member("elected"))
    assert "Association Tremplin" in client.get(reverse("partners:organisations")).content.decode()
    page = client.get(reverse("partners:organisation", args=[org.pk])).content.decode()
    assert "Permanence emploi" in page
    assert "Modifier" not in page


def test_employer_does_not_reach_the_census(client, org):
    client.force_login(member("employer"))
    assert client.get(reverse("partners:organisations")).status_code == 403


def test_coordinator_creates_an_organisation(client, db):
    client.force_login(member("coordinator"))
    response = client.post(
        reverse("partners:organisation_create"),
        {"name": "Régie de quartier", "kind": "association", "networks": ["chantier-ecole"], "siret": ""},
    )
    assert response.status_code == 302
    assert Organisation.objects.get(name="Régie de quartier").networks == ["chantier-ecole"]


def test_counsellor_cannot_create_organisations(client, db):
    client.force_login(member("counsellor"))
    assert client.get(reverse("partners:organisation_create")).status_code == 403


def test_bad_siret_is_a_french_form_error(client, db):
    client.force_login(member("coordinator"))
    response = client.post(
        reverse("partners:organisation_create"),
        {"name": "X", "kind": "association", "siret": "12345678901234"},
    )
    assert response.status_code == 200
    assert "clé de contrôle" in response.content.decode()


def test_members_edit_their_organisation_only(client, org):
    other = OrganisationFactory()
    login_member_of(client, org)
    assert client.get(reverse("partners:organisation_edit", args=[org.pk])).status_code == 200
    assert client.get(reverse("partners:organisation_edit", args=[other.pk])).status_code == 403
    assert client.get(reverse("partners:service_create", args=[other.pk])).status_code == 403


def test_member_creates_a_service_with_enumerations(client, org):
    login_member_of(client, org)
    response = client.post(
        reverse("partners:service_create", args=[org.pk]),
        {
            "name": "Atelier CV",
            "description": "Réaliser son CV avec une conseillère, sur rendez-vous, dans les locaux de l'association.",
            "type": "atelier",
            "thematiques": ["preparer-sa-candidature--realiser-un-cv-et-ou-une-lettre-de-motivation"],
            "fees": "gratuit",
            "publics": ["tous-publics"],
            "reception_modes": ["en-presentiel"],
            "mobilisation_modes": ["telephoner"],
            "mobilisable_by": ["usagers", "professionnels"],
            "phone": "0145000000",
            "eligibility_zone": "94028, 94",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    service = Service.objects.get(name="Atelier CV")
    assert service.eligibility_zone == ["94028", "94"]
    assert service.quality_score is not None
    detail = client.get(response.url).content.decode()
    assert "Comment mobiliser ce service" in detail and "Téléphoner" in detail


def test_service_form_errors_are_french(client, org):
    login_member_of(client, org)
    response = client.post(
        reverse("partners:service_create", args=[org.pk]),
        {
            "name": "Ok.",
            "description": "x",
            "publics": ["tous-publics", "jeunes"],
            "eligibility_zone": "pas un code",
        },
    )
    html = response.content.decode()
    assert "ne se termine pas par un point" in html
    assert "ne se combine pas" in html
    assert "n&#x27;est pas un code" in html


def test_coordinator_edits_any_organisation_of_the_territory(client, org):
    client.force_login(member("coordinator"))
    assert client.get(reverse("partners:organisation_edit", args=[org.pk])).status_code == 200


def test_another_territory_gets_404(client, org, other_territory):
    service = saved_service(organisation=org)
    client.force_login(member("coordinator", territory=other_territory))
    assert client.get(reverse("partners:organisation", args=[org.pk])).status_code == 404
    assert client.get(reverse("partners:service", args=[service.pk])).status_code == 404
    assert "Association Tremplin" not in client.get(reverse("partners:organisations")).content.decode()


def test_confirm_and_delete_a_service(client, org):
    service = saved_service(organisation=org)
    login_member_of(client, org)
    assert client.post(reverse("partners:service_confirm", args=[service.pk])).status_code == 302
    assert client.post(reverse("partners:service_delete", args=[service.pk])).status_code == 302
    assert not Service.objects.filter(pk=service.pk).exists()


def test_list_queries_do_not_grow(client, db, django_assert_max_num_queries):
    for _ in range(3):
        saved_service(organisation=OrganisationFactory())
    client.force_login(member("coordinator"))
    with django_assert_max_num_queries(10):
        client.get(reverse("partners:organisations"))
    for _ in range(20):
        saved_service(organisation=OrganisationFactory())
    with django_assert_max_num_queries(10):
        client.get(reverse("partners:organisations"))


def test_add_site_contact_and_partnership(client, org):
    other = OrganisationFactory(name="Mission locale test")
    login_member_of(client, org)
    assert (
        client.post(
            reverse("partners:site_create", args=[org.pk]),
            {"name": "Permanence Mont-Mesly", "is_permanence": "on", "longitude": "", "latitude": ""},
        ).status_code
        == 302
    )
    assert (
        client.post(
            reverse("partners:contact_create", args=[org.pk]),
            {"function": "Accueil", "email": "accueil@exemple.fr"},
        ).status_code
        == 302
    )
    assert (
        client.post(
            reverse("partners:partnership_create", args=[org.pk]), {"target": other.pk, "kind": "convention"}
        ).status_code
        == 302
    )
    page = client.get(reverse("partners:organisation", args=[org.pk])).content.decode()
    assert "Permanence Mont-Mesly" in page and "Accueil" in page and "Mission locale test" in page


def test_only_coordinators_see_the_link_to_the_import_and_export_of_the_offer(client, org):
    link = reverse("partners:offer_io")
    client.force_login(member("coordinator"))
    assert link in client.get(reverse("partners:organisations")).content.decode()
    client.force_login(member("counsellor"))
    assert link not in client.get(reverse("partners:organisations")).content.decode()


def test_counsellors_orient_someone_from_the_service_page(client, org):
    service = saved_service(organisation=org, name="Atelier CV")
    orient = f"{reverse('followup:referral_create')}?service={service.pk}"
    client.force_login(member("counsellor"))
    page = client.get(reverse("partners:service", args=[service.pk]) + "?beneficiary=42").content.decode()
    assert f'href="{orient}&amp;beneficiary=42"' in page
    client.force_login(member("elected"))
    assert orient not in client.get(reverse("partners:service", args=[service.pk])).content.decode()


def test_the_catalogue_carries_the_person_to_the_service_page(client, org):
    service = saved_service(organisation=org, name="Atelier CV")
    client.force_login(member("counsellor"))
    page = client.get(reverse("partners:catalogue") + "?beneficiary=42&q=atelier").content.decode()
    assert f"{reverse('partners:service', args=[service.pk])}?beneficiary=42" in page
    assert '<input type="hidden" name="beneficiary" value="42">' in page


def test_the_service_page_reads_its_sites_in_one_query(client, org, django_assert_num_queries):
    sites = [located_site(org, 2.4571 + i / 1000, 48.8033, name=f"Lieu {i}") for i in range(3)]
    one, three = saved_service_at(sites[:1], organisation=org), saved_service_at(sites, organisation=org)
    client.force_login(member("counsellor"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        client.get(reverse("partners:service", args=[one.pk]))
    with django_assert_num_queries(len(first)):
        page = client.get(reverse("partners:service", args=[three.pk])).content.decode()
    assert all(f"Lieu {i} :" in page for i in range(3))
