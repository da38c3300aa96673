import factory

from cite_emploi.partners.models import Organisation, OrganisationKind
from cite_emploi.territory.models import Territory


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    territory = factory.LazyFunction(lambda: Territory.objects.get(slug="gpsea"))
    name = factory.Sequence(lambda n: f"Structure {n}")
    kind = OrganisationKind.ASSOCIATION
