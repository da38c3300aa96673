"""Factories of the steering app: plans, actions, money, targets and committees.

Defaults describe GPSEA: a plan running from 1 January of this year to the end of next year, its
actions spanning the plan, the Cité de l'emploi subsidy as funding. Plans get a new version number
each time so that several default plans never collide on (territory, start, version).
``FundingFactory(annuities={2024: Decimal("100000")})`` also creates the funding's years.
"""

from datetime import date
from decimal import Decimal

import factory
from django.utils import timezone

from cite_emploi.steering.models import (
    Action,
    ActionPlan,
    Axis,
    BudgetLine,
    Committee,
    Decision,
    Expense,
    Funding,
    FundingYear,
    IndicatorTarget,
    Meeting,
    Milestone,
)
from cite_emploi.territory.models import Territory
from tests.partners.factories import OrganisationFactory


def _this_year() -> int:
    return timezone.localdate().year


class ActionPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionPlan

    territory = factory.LazyFunction(lambda: Territory.objects.get(slug="gpsea"))
    title = "Plan d'actions de la Cité de l'emploi"
    starts_on = factory.LazyFunction(lambda: date(_this_year(), 1, 1))
    ends_on = factory.LazyFunction(lambda: date(_this_year() + 1, 12, 31))
    version = factory.Sequence(lambda n: n + 1)
    status = ActionPlan.Status.DRAFT


class ActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Action
        skip_postgeneration_save = True

    plan = factory.SubFactory(ActionPlanFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Job dating dans les quartiers n° {n}")
    axis = Axis.RECRUITMENT
    description = "Des rencontres entre employeurs et habitants des quartiers, au pied des immeubles."
    lead_organisation = factory.SubFactory(
        OrganisationFactory, territory=factory.SelfAttribute("..plan.territory")
    )
    publics = factory.LazyFunction(lambda: ["jeunes"])
    starts_on = factory.LazyAttribute(lambda a: a.plan.starts_on)
    ends_on = factory.LazyAttribute(lambda a: a.plan.ends_on)
    status = Action.Status.RUNNING


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    action = factory.SubFactory(ActionFactory)
    title = "Première session"
    due_on = factory.LazyAttribute(lambda m: m.action.starts_on)


class FundingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Funding
        skip_postgeneration_save = True

    territory = factory.LazyFunction(lambda: Territory.objects.get(slug="gpsea"))
    title = factory.Sequence(lambda n: f"Subvention Cité de l'emploi {n}")
    kind = Funding.Kind.CITE_SUBSIDY
    funder = "État — ANCT"

    @factory.post_generation
    def annuities(obj, create, extracted, **kwargs):
        """``{year: amount}``: the funding's years, created with it."""
        if create and extracted:
            for year, amount in extracted.items():
                FundingYear.objects.create(funding=obj, year=year, amount=Decimal(amount))


class FundingYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FundingYear

    funding = factory.SubFactory(FundingFactory)
    year = factory.LazyFunction(_this_year)
    amount = Decimal("100000.00")


class BudgetLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BudgetLine

    action = factory.SubFactory(ActionFactory)
    funding = factory.SubFactory(FundingFactory, territory=factory.SelfAttribute("..action.plan.territory"))
    year = factory.LazyAttribute(lambda line: line.action.starts_on.year)
    amount = Decimal("10000.00")


class ExpenseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Expense

    action = factory.SubFactory(ActionFactory)
    funding = factory.SubFactory(FundingFactory, territory=factory.SelfAttribute("..action.plan.territory"))
    spent_on = factory.LazyAttribute(lambda expense: expense.action.starts_on)
    amount = Decimal("1000.00")
    label = "Location de salle"
    supplier = "Maison pour tous"


class IndicatorTargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IndicatorTarget

    action = factory.SubFactory(ActionFactory)
    label = "Entrées dans le suivi"
    indicator = "entrees_suivi"
    unit = "personnes"
    target = Decimal("50")
    starts_on = factory.LazyAttribute(lambda t: t.action.starts_on)
    ends_on = factory.LazyAttribute(lambda t: t.action.ends_on)


class CommitteeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Committee

    territory = factory.LazyFunction(lambda: Territory.objects.get(slug="gpsea"))
    kind = Committee.Kind.COPIL
    name = factory.Sequence(lambda n: f"Comité de pilotage {n}")
    chairs = "Le préfet et le président du territoire"


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    committee = factory.SubFactory(CommitteeFactory)
    held_on = factory.LazyFunction(timezone.localdate)
    place = "Hôtel de territoire, Créteil"
    attendees = "La coordination de la Cité, les maires des communes"
    agenda = "Avancement du plan d'actions"


class DecisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Decision

    meeting = factory.SubFactory(MeetingFactory)
    text = "Organiser un forum de l'emploi au printemps."
    owner = "Coordination de la Cité"
    due_on = factory.LazyAttribute(lambda d: d.meeting.held_on)
    status = Decision.Status.OPEN
