from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from shapely.geometry import shape

from cite_emploi.accounts.models import Membership
from cite_emploi.core.models import AuditEntry
from cite_emploi.partners import services
from cite_emploi.partners.data_inclusion import quality
from cite_emploi.partners.models import ServiceFacet
from cite_emploi.territory.models import QPV
from tests.accounts.factories import UserFactory
from tests.partners.factories import OrganisationFactory, ServiceFactory, saved_service


def point_in(code):
    p = shape(QPV.objects.get(code=code).geometry).representative_point()
    return p.x, p.y


def test_saving_a_service_writes_facets_qpv_and_quality(db):
    lon, lat = point_in("QN09405M")
    service = saved_service(
        thematiques=["mobilite--preparer-un-permis", "numerique--acquerir-un-equipement"],
        publics=["jeunes"],
        reception_modes=["en-presentiel"],
        eligibility_zone=["94028"],
        longitude=lon,
        latitude=lat,
    )
    assert service.qpv.code == "QN09405M"
    assert service.commune.code == "94028"
    facets = set(service.facets.values_list("facet", "value"))
    assert ("categorie", "mobilite") in facets and ("categorie", "numerique") in facets
    assert ("public", "jeunes") in facets and ("zone", "94028") in facets
    assert ("qpv", "QN09405M") in facets and ("commune", "94028") in facets
    assert 0 < service.quality_score <= 1


def test_facets_follow_edits(db):
    service = saved_service(publics=["jeunes"])
    service.publics = ["seniors"]
    services.save_service(service)
    values = set(service.facets.filter(facet=ServiceFacet.Facet.PUBLIC).values_list("value", flat=True))
    assert values == {"seniors"}


def test_moving_a_site_moves_the_facets_of_its_services(db):
    from cite_emploi.partners.models import Site

    org = OrganisationFactory()
    lon, lat = point_in("QN09405M")
    site = services.save_site(Site(organisation=org, name="Permanence", longitude=lon, latitude=lat))
    service = services.save_service(ServiceFactory.build(organisation=org), sites=[site])
    assert ("qpv", "QN09405M") in set(service.facets.values_list("facet", "value"))
    site.longitude, site.latitude = point_in("QN09404M")
    services.save_site(site)
    facets = set(service.facets.values_list("facet", "value"))
    assert ("qpv", "QN09404M") in facets and ("qpv", "QN09405M") not in facets


def test_unknown_enumeration_values_are_refused_in_french(db):
    service = ServiceFactory.build(organisation=OrganisationFactory(), thematiques=["n-importe-quoi"])
    with pytest.raises(ValidationError) as error:
        services.save_service(service)
    assert "Valeurs inconnues" in str(error.value)


def test_tous_publics_does_not_combine(db):
    service = ServiceFactory.build(organisation=OrganisationFactory(), publics=["tous-publics", "jeunes"])
    with pytest.raises(ValidationError, match="Tous publics"):
        services.save_service(service)


def test_quality_says_what_would_raise_it(db):
    service = ServiceFactory.build(
        organisation=OrganisationFactory(), description="Court.", mobilisation_modes=["telephoner"]
    )
    score, advice = quality(service)
    assert score < 1
    assert any("téléphone" in a for a in advice)
    assert any("200 à 2 000" in a for a in advice)


def test_organisation_siret_and_location(db):
    lon, lat = point_in("QN09424I")
    org = OrganisationFactory.build(siret="130 030 133 00016", longitude=lon, latitude=lat)
    org = services.save_organisation(org)
    assert org.siret == "13003013300016"
    assert org.qpv.code == "QN09424I"
    org.siret = "13003013300017"
    with pytest.raises(ValidationError):
        services.save_organisation(org)


def test_stale_services_trigger_one_email_per_organisation_once(db):
    org = OrganisationFactory()
    member = UserFactory()
    Membership.objects.create(user=member, organisation=org, role="counsellor")
    old = date.today() - timedelta(days=200)
    saved_service(organisation=org, updated_on=old)
    saved_service(organisation=org, updated_on=old)
    saved_service(organisation=org)  # fresh: not listed
    assert services.request_confirmations() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [member.email]
    assert mail.outbox[0].body.count("dernière mise à jour") == 2
    assert services.request_confirmations() == 0  # asked once


def test_confirming_a_service_dates_it_today(db):
    service = saved_service(updated_on=date.today() - timedelta(days=400))
    services.confirm_service(service, by=None)
    service.refresh_from_db()
    assert service.updated_on == date.today()
    assert AuditEntry.objects.filter(object_type="partners.service", detail__confirmed=True).exists()


def test_the_background_task_runs_the_same_rule(db):
    from cite_emploi.partners.tasks import request_service_confirmations

    org = OrganisationFactory()
    Membership.objects.create(user=UserFactory(), organisation=org, role="counsellor")
    saved_service(organisation=org, updated_on=date.today() - timedelta(days=365))
    result = request_service_confirmations.enqueue()
    assert result.return_value == 1


def test_partnership_across_territories_is_refused(db, other_territory):
    from cite_emploi.partners.models import Partnership

    p = Partnership(
        source=OrganisationFactory(), target=OrganisationFactory(territory=other_territory), kind="convention"
    )
    with pytest.raises(ValidationError):
        services.save_partnership(p, by=None)
