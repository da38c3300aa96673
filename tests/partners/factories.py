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
