"""Factories of the outreach app: actions of aller-vers and recruitment events."""

from datetime import timedelta

import factory
from django.utils import timezone

from cite_emploi.outreach.models import (
    EventCandidate,
    EventEmployer,
    Interview,
    OutreachAction,
    OutreachKind,
    OutreachSeries,
    ReachedCount,
    RecruitmentEvent,
    RecruitmentKind,
)
from cite_emploi.territory.models import QPV, Territory


def qpv(code: str = "QN09405M") -> QPV:
    """A 2024 QPV of GPSEA (default: Mont-Mesly – La Habette – Coteaux du Sud, Créteil)."""
    return QPV.objects.get(code=code, geography_year=2024)


class OutreachSeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutreachSeries

    territory = factory.LazyFunction(lambda: Territory.objects.get(slug="gpsea"))
    kind = OutreachKind.PERMANENCE
    title = "Permanence emploi du Mont-Mesly"
    qpv = factory.LazyFunction(qpv)
    weekday = 1
    start_time = "09:30"
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=60))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=60))


class OutreachActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutreachAction

    territory = factory.LazyFunction(lambda: Territory.objects.get(slug="gpsea"))
    kind = OutreachKind.MARKET_STAND
    title = "Stand emploi au marché du Mont-Mesly"
    qpv = factory.LazyFunction(qpv)
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=7))
    status = OutreachAction.Status.DONE


class ReachedCountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReachedCount

    action = factory.SubFactory(OutreachActionFactory)
    age_group = "jeunes"
    sex = "F"
    count = 12


class RecruitmentEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RecruitmentEvent

    territory = factory.LazyFunction(lambda: Territory.objects.get(slug="gpsea"))
    kind = RecruitmentKind.JOB_DATING
    title = "Job dating logistique"
    place_label = "Maison de l'emploi, Créteil"
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))


class EventEmployerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EventEmployer

    event = factory.SubFactory(RecruitmentEventFactory)
    organisation = factory.SubFactory(
        "tests.partners.factories.OrganisationFactory",
        territory=factory.SelfAttribute("..event.territory"),
        kind="employeur",
    )
    company_name = factory.LazyAttribute(lambda e: e.organisation.name if e.organisation else "Entreprise")
    contact_name = "Dominique Recrutement"
    contact_email = "recrutement@entreprise.example"
    status = EventEmployer.Status.CONFIRMED


class EventCandidateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EventCandidate

    event = factory.SubFactory(RecruitmentEventFactory)
    follow_up = factory.SubFactory("tests.followup.factories.FollowUpFactory")
    organisation = factory.LazyAttribute(lambda c: c.follow_up.beneficiary.created_by_organisation)


class InterviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interview

    candidate = factory.SubFactory(EventCandidateFactory)
    employer = factory.SubFactory(EventEmployerFactory, event=factory.SelfAttribute("..candidate.event"))
