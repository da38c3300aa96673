"""The plan's indicators in the diagnostic's registry, on small hand-computed plans.

Each test is marked with the diagnostic's ``@covers(code)`` so that its guard
(``tests/diagnostic/test_indicators.py``) sees them; ``test_every_plan_indicator_has_a_test`` checks
the plan's own codes from here. The period is the second quarter of 2024 unless a test says otherwise.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from cite_emploi.diagnostic import indicators
from cite_emploi.diagnostic.indicators import Period, compute
from cite_emploi.outreach.models import RecruitmentEvent, RecruitmentKind
from cite_emploi.steering.indicators import PLAN_INDICATORS, register_plan_indicators
from cite_emploi.steering.models import Action, ActionPlan, Axis
from cite_emploi.territory.models import QPV, Commune
from tests.diagnostic.test_indicators import TESTED, covers
from tests.outreach.factories import RecruitmentEventFactory
from tests.partners.factories import OrganisationFactory
from tests.steering.factories import ActionFactory, ActionPlanFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
Q2 = Period.quarter(2024, 2)
MONT_MESLY = "QN09405M"  # Créteil only
HAIE_GRISELLE = "QN09403M"  # Boissy-Saint-Léger and Limeil-Brévannes
CHANTEREINE = "QN09404M"  # Alfortville only
CRETEIL, ALFORTVILLE, BOISSY, LIMEIL = "94028", "94002", "94004", "94044"


def qpv(code):
    return QPV.objects.get(code=code, geography_year=2024)


def values(table):
    """Cells keyed by the single breakdown's key (None: the total)."""
    return {key[0] if key else None: figure.value for key, figure in table.cells.items()}


def action(plan, number, axis, *, qpvs=(), starts=date(2024, 1, 1), ends=date(2024, 12, 31), **fields):
    found = ActionFactory(plan=plan, number=number, axis=axis, starts_on=starts, ends_on=ends, **fields)
    found.qpvs.set([qpv(code) for code in qpvs])
    return found


@pytest.fixture
def plan(gpsea):
    """The adopted 2024 plan: five actions, two of which do not run in the second quarter."""
    adopted = ActionPlanFactory(
        territory=gpsea,
        starts_on=date(2024, 1, 1),
        ends_on=date(2025, 12, 31),
        status=ActionPlan.Status.ADOPTED,
        adopted_on=date(2023, 12, 15),
    )
    lead, partner, other, dropped = (OrganisationFactory() for _ in range(4))
    action(adopted, 1, Axis.RECRUITMENT, qpvs=[MONT_MESLY], lead_organisation=lead)
    second = action(adopted, 2, Axis.BARRIERS, qpvs=[HAIE_GRISELLE], lead_organisation=other)
    second.partners.set([lead, partner])
    action(adopted, 3, Axis.BARRIERS, lead_organisation=lead)  # no quartier: the whole territory
    abandoned = action(adopted, 4, Axis.CV, qpvs=[MONT_MESLY], status=Action.Status.ABANDONED)
    abandoned.partners.set([dropped])
    action(adopted, 5, Axis.PRESENCE, qpvs=[CHANTEREINE], starts=date(2024, 7, 1))  # after the quarter
    # An older draft plan of the territory is not the current one.
    draft = ActionPlanFactory(
        territory=gpsea, starts_on=date(2022, 1, 1), ends_on=date(2023, 12, 31), version=1
    )
    action(draft, 1, Axis.OUTREACH, qpvs=[MONT_MESLY], starts=date(2022, 1, 1), ends=date(2025, 1, 1))
    return adopted


@covers("actions_plan_par_axe")
def test_actions_of_the_current_plan_running_in_the_period_by_axis_and_place(gpsea, plan):
    assert compute("actions_plan_par_axe", gpsea, Q2).total.value == 3
    by_axis = values(compute("actions_plan_par_axe", gpsea, Q2, by=("axis",)))
    assert (by_axis[Axis.RECRUITMENT], by_axis[Axis.BARRIERS], by_axis[Axis.CV], by_axis[None]) == (
        1,
        2,
        0,
        3,
    )
    by_qpv = values(compute("actions_plan_par_axe", gpsea, Q2, by=("qpv",)))
    assert (by_qpv[MONT_MESLY], by_qpv[HAIE_GRISELLE], by_qpv[CHANTEREINE], by_qpv[""], by_qpv[None]) == (
        1,
        1,
        0,
        1,
        3,
    )
    # One action in a quartier of two communes counts in both, and once in the total.
    by_commune = values(compute("actions_plan_par_axe", gpsea, Q2, by=("commune",)))
    assert (by_commune[CRETEIL], by_commune[BOISSY], by_commune[LIMEIL], by_commune[None]) == (1, 1, 1, 3)
    assert compute("actions_plan_par_axe", gpsea, Q2, where={"commune": BOISSY}).total.value == 1
    both = compute("actions_plan_par_axe", gpsea, Q2, by=("axis", "qpv"))
    assert both.get(Axis.BARRIERS, HAIE_GRISELLE).value == 1
    assert both.get(Axis.BARRIERS, None).value == 2
    assert not any(figure.hidden for figure in both.cells.values())  # things, not people


@covers("actions_plan_par_axe")
def test_the_third_quarter_sees_the_action_that_starts_in_july(gpsea, plan):
    q3 = Period.quarter(2024, 3)
    by_axis = values(compute("actions_plan_par_axe", gpsea, q3, by=("axis",)))
    assert (by_axis[Axis.PRESENCE], by_axis[None]) == (1, 4)


@covers("actions_plan_par_axe", "actions_freins", "partenaires_mobilises")
def test_no_plan_counts_nothing(gpsea):
    for code in ("actions_plan_par_axe", "actions_freins", "partenaires_mobilises"):
        assert compute(code, gpsea, Q2).total.value == 0


@covers("actions_freins")
def test_actions_on_barriers(gpsea, plan):
    assert compute("actions_freins", gpsea, Q2).total.value == 2
    assert compute("actions_freins", gpsea, Q2, where={"qpv": HAIE_GRISELLE}).total.value == 1
    assert compute("actions_freins", gpsea, Q2, where={"qpv": MONT_MESLY}).total.value == 0
    by_commune = values(compute("actions_freins", gpsea, Q2, by=("commune",)))
    assert (by_commune[LIMEIL], by_commune[CRETEIL], by_commune[""], by_commune[None]) == (1, 0, 1, 2)


@covers("partenaires_mobilises")
def test_distinct_organisations_leading_or_partnering_running_actions(gpsea, plan):
    # lead (A1, A2 partner, A3), other (A2), partner (A2); the abandoned action's partner is not counted.
    assert compute("partenaires_mobilises", gpsea, Q2).total.value == 3
    by_axis = values(compute("partenaires_mobilises", gpsea, Q2, by=("axis",)))
    assert (by_axis[Axis.RECRUITMENT], by_axis[Axis.BARRIERS], by_axis[None]) == (1, 3, 3)
    assert compute("partenaires_mobilises", gpsea, Q2, where={"qpv": MONT_MESLY}).total.value == 1


@covers("operations_recrutement")
def test_recruitment_events_held_in_the_period_at_their_place(gpsea, other_territory):
    done, planned = RecruitmentEvent.Status.DONE, RecruitmentEvent.Status.PLANNED
    for when, status, place in [
        (datetime(2024, 4, 1, 0, 0, tzinfo=PARIS), done, {"qpv": qpv(MONT_MESLY)}),  # Créteil by its QPV
        (
            datetime(2024, 6, 30, 23, 0, tzinfo=PARIS),
            done,
            {"commune": Commune.objects.get(code=ALFORTVILLE)},
        ),
        (datetime(2024, 5, 2, 9, 0, tzinfo=PARIS), planned, {"qpv": qpv(MONT_MESLY)}),
        (datetime(2024, 7, 1, 0, 0, tzinfo=PARIS), done, {"qpv": qpv(MONT_MESLY)}),
        (datetime(2024, 5, 2, 9, 0, tzinfo=PARIS), done, {}),  # not placed
    ]:
        RecruitmentEventFactory(starts_at=when, status=status, kind=RecruitmentKind.FORUM, **place)
    RecruitmentEventFactory(
        territory=other_territory, starts_at=datetime(2024, 5, 2, tzinfo=PARIS), status=done
    )
    by_commune = values(compute("operations_recrutement", gpsea, Q2, by=("commune",)))
    assert (by_commune[CRETEIL], by_commune[ALFORTVILLE], by_commune[""], by_commune[None]) == (1, 1, 1, 3)
    by_kind = values(compute("operations_recrutement", gpsea, Q2, by=("kind",)))
    assert (by_kind[RecruitmentKind.FORUM], by_kind[RecruitmentKind.JOB_DATING]) == (3, 0)
    assert compute("operations_recrutement", gpsea, Q2, where={"qpv": MONT_MESLY}).total.value == 1


def test_registering_twice_changes_nothing():
    before = [i.code for i in indicators.builtin()]
    register_plan_indicators()
    assert [i.code for i in indicators.builtin()] == before
    assert indicators.DIMENSION_LABELS["axis"] == "Axe du plan"


def test_every_plan_indicator_has_a_test():
    codes = {i.code for i in PLAN_INDICATORS}
    assert codes - TESTED == set(), "indicateurs du plan sans test : ajoutez un test marqué @covers(code)"
