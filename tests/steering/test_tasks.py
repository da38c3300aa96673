"""The daily warm-up: after it, no dashboard, quarterly report or diagnostic overview of the day
computes a figure on a reader's request."""

import pytest
from django.core.cache import cache
from django.utils import timezone

from cite_emploi.diagnostic import content, indicators
from cite_emploi.diagnostic.places import commune_values
from cite_emploi.diagnostic.tasks import warm_overview
from cite_emploi.steering import dashboards, quarterly
from cite_emploi.steering.models import ActionPlan
from cite_emploi.steering.queries_plan import plan_actions
from cite_emploi.steering.tasks import warm_dashboards
from tests.steering.factories import ActionFactory, ActionPlanFactory, IndicatorTargetFactory
from tests.steering.test_dashboards import CHANTEREINE, CRETEIL, MONT_MESLY, person, qpv

pytestmark = pytest.mark.django_db


@pytest.fixture
def current_plan(gpsea):
    today = timezone.localdate()
    plan = ActionPlanFactory(
        territory=gpsea,
        starts_on=today.replace(month=1, day=1),
        ends_on=today.replace(year=today.year + 1, month=12, day=31),
        status=ActionPlan.Status.ADOPTED,
        adopted_on=today.replace(month=1, day=1),
    )
    action = ActionFactory(plan=plan, number=1, starts_on=plan.starts_on, ends_on=plan.ends_on)
    action.qpvs.set([qpv(MONT_MESLY)])
    ActionFactory(plan=plan, number=2, starts_on=plan.starts_on, ends_on=plan.ends_on)
    IndicatorTargetFactory(action=action)
    return plan


def no_computation(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("un chiffre a été calculé pendant la lecture")

    monkeypatch.setattr(indicators, "compute", refuse)


def test_after_the_warm_up_no_page_of_the_day_computes_a_figure(gpsea, current_plan, monkeypatch):
    today = timezone.localdate()
    for _ in range(3):
        person(CRETEIL, MONT_MESLY, today.replace(day=1))
    person("94002", CHANTEREINE, today.replace(day=1))
    cache.clear()

    warmed = warm_dashboards.call()
    communes = [code for code, _ in commune_values(gpsea)]
    assert warmed == 2 + len(communes) + 2
    assert warm_overview.call() >= 1

    no_computation(monkeypatch)
    found = dashboards.territory_dashboard(gpsea, today)
    assert found["key_figures"]
    for code in communes:
        dashboards.commune_dashboard(gpsea, code, today)
    for action in plan_actions(current_plan):
        dashboards.action_dashboard(action, today)
    assert quarterly.cached_quarterly_report(gpsea, today.year)["sections"]
    assert content.overview(gpsea, today)["key_figures"]


def test_the_warm_up_recomputes_stale_figures_before_the_readers(gpsea, current_plan, monkeypatch, settings):
    from cite_emploi.core import recent as recent_module

    settings.RECENT_REFRESH = "thread"
    settings.SECRECY_THRESHOLD = 1
    today = timezone.localdate()
    assert followed(dashboards.territory_dashboard(gpsea, today)) == 0
    for _ in range(2):
        person(CRETEIL, MONT_MESLY, today.replace(day=1))
    # Figures of the day computed earlier are stale after five minutes: the warm-up recomputes them.
    later = recent_module.time.time() + recent_module.FRESH_SECONDS + 1
    monkeypatch.setattr(recent_module.time, "time", lambda: later)
    warm_dashboards.call()
    assert not recent_module._running  # recomputed in the task itself, not behind it
    no_computation(monkeypatch)
    assert followed(dashboards.territory_dashboard(gpsea, today)) == 2


def followed(found: dict) -> int:
    return next(f["value"] for f in found["key_figures"] if f["code"] == "beneficiaires_suivis") or 0
