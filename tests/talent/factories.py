"""Factories of the talent app: profiles, job offers and contact requests.

``profile_of(beneficiary)`` gives a published profile of a followed person (see
``tests.followup.factories.followed_by``); ``JobOfferFactory`` an open offer of a new employer.
"""

import factory
from django.utils import timezone

from cite_emploi.partners.models import OrganisationKind
from cite_emploi.talent.models import ContactRequest, JobOffer, ProfileJob, TalentProfile
from cite_emploi.territory.models import Commune, RomeAppellation, Territory
from tests.partners.factories import OrganisationFactory


def appellation(code: str = "17993") -> RomeAppellation:
    """An appellation of the ROME referential loaded for the tests (default: « Préparateur / Préparatrice de commandes », N1103)."""
    return RomeAppellation.objects.select_related("occupation").get(code=code)


def commune(code: str = "94028") -> Commune:
    return Commune.objects.get(code=code)


class TalentProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TalentProfile

    follow_up = factory.SubFactory("tests.followup.factories.FollowUpFactory")
    territory = factory.LazyAttribute(lambda p: p.follow_up.beneficiary.territory)
    status = TalentProfile.Status.PUBLISHED
    initial = factory.LazyAttribute(lambda p: p.follow_up.beneficiary.first_name[:1].upper())
    headline = "Préparatrice de commandes, trois ans d'expérience"
    skills = factory.LazyFunction(lambda: ["préparation de commandes", "CACES 1"])
    experience_summary = "Trois ans en entrepôt, en intérim puis en CDD."
    commune = factory.LazyFunction(commune)
    latitude = 48.7904
    longitude = 2.4556
    consent_given_on = factory.LazyFunction(timezone.localdate)
    published_at = factory.LazyFunction(timezone.now)


class ProfileJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProfileJob

    profile = factory.SubFactory(TalentProfileFactory)
    appellation = factory.LazyFunction(appellation)
    rome_code = factory.LazyAttribute(lambda j: j.appellation.occupation.code)
    domain = factory.LazyAttribute(lambda j: j.appellation.occupation.code[:3])


class JobOfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JobOffer

    territory = factory.LazyFunction(lambda: Territory.objects.get(slug="gpsea"))
    organisation = factory.SubFactory(
        OrganisationFactory, territory=factory.SelfAttribute("..territory"), kind=OrganisationKind.EMPLOYER
    )
    title = "Préparateur de commandes (H/F)"
    appellation = factory.LazyFunction(appellation)
    rome_code = factory.LazyAttribute(lambda o: o.appellation.occupation.code)
    contract = "cdi"
    hours_per_week = 35
    commune = factory.LazyFunction(commune)
    latitude = 48.7904
    longitude = 2.4556


class ContactRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactRequest

    profile = factory.SubFactory(TalentProfileFactory)
    organisation = factory.SubFactory(OrganisationFactory, kind=OrganisationKind.EMPLOYER)
    message = "Bonjour, ce profil nous intéresse pour un poste en CDI."


def profile_of(beneficiary, appellations=("17993",), **fields) -> TalentProfile:
    """A published profile of a followed person, with its target jobs."""
    profile = TalentProfileFactory(follow_up=beneficiary.follow_up, **fields)
    for code in appellations:
        ProfileJobFactory(profile=profile, appellation=appellation(code))
    return profile
