from datetime import date

import factory

from cite_emploi.partners.models import Organisation, OrganisationKind, Service
from cite_emploi.territory.models import Territory


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    territory = factory.LazyFunction(lambda: Territory.objects.get(slug="gpsea"))
    name = factory.Sequence(lambda n: f"Structure {n}")
    kind = OrganisationKind.ASSOCIATION


class ServiceFactory(factory.django.DjangoModelFactory):
    """A valid data·inclusion service; saved through the model (call services.save_service for facets)."""

    class Meta:
        model = Service

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Atelier numéro {n}")
    description = (
        "Un atelier collectif pour préparer sa candidature et rencontrer des employeurs du territoire."
    )
    updated_on = factory.LazyFunction(date.today)
    thematiques = factory.LazyFunction(
        lambda: ["preparer-sa-candidature--realiser-un-cv-et-ou-une-lettre-de-motivation"]
    )
    publics = factory.LazyFunction(lambda: ["tous-publics"])


def saved_service(**fields) -> Service:
    """A service written the way the application writes it (facets, QPV, quality score)."""
    from cite_emploi.partners.services import save_service

    service = ServiceFactory.build(**fields)
    if service.organisation.pk is None:
        service.organisation.save()
    return save_service(service, touch="updated_on" not in fields)


class SiteFactory(factory.django.DjangoModelFactory):
    """A place of an organisation; saved through the model (call services.save_site for the QPV)."""

    class Meta:
        model = "partners.Site"

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Lieu {n}")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "partners.Contact"

    organisation = factory.SubFactory(OrganisationFactory)
    function = "Accueil"
    email = factory.Sequence(lambda n: f"accueil{n}@structure.example")


class PartnershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "partners.Partnership"

    source = factory.SubFactory(OrganisationFactory)
    target = factory.SubFactory(OrganisationFactory)
    territory = factory.LazyAttribute(lambda p: p.source.territory)
    kind = "convention"


def located_site(organisation, lon: float, lat: float, **fields):
    """A site at (lon, lat), located by the application (commune and QPV from the coordinates)."""
    from cite_emploi.partners.services import save_site

    return save_site(SiteFactory.build(organisation=organisation, longitude=lon, latitude=lat, **fields))


def saved_service_at(sites, **fields):
    """``saved_service`` delivered at ``sites`` too (their commune and QPV become facets)."""
    from cite_emploi.partners.services import save_service

    service = ServiceFactory.build(**fields)
    if service.organisation.pk is None:
        service.organisation.save()
    return save_service(service, sites=sites, touch="updated_on" not in fields)
