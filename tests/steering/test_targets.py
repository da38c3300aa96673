"""Targets of an action: actuals computed from the records through the registry, secrecy, manual
readings, the time before a target starts, and the writes of targets and readings."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from cite_emploi.core.models import AuditEntry
from cite_emploi.diagnostic import indicators
from cite_emploi.steering import services_targets as services
from cite_emploi.steering import targets
from cite_emploi.steering.models import IndicatorTarget, ManualReading
from cite_emploi.territory.models import QPV, Commune
from tests.accounts.factories import UserFactory
from tests.followup.factories import BeneficiaryFactory, FollowUpFactory
from tests.steering.factories import ActionFactory, IndicatorTargetFactory

pytestmark = pytest.mark.django_db

MONT_MESLY = "QN09405M"
CRETEIL, ALFORTVILLE = "94028", "94002"
YEAR_2024 = {"starts_on": date(2024, 1, 1), "ends_on": date(2024, 12, 31)}
TODAY = date(2024, 6, 30)


@pytest.fixture
def raw_counts(settings):
    settings.SECRECY_THRESHOLD = 1


@pytest.fixture
def default_secrecy(settings):
    settings.SECRECY_THRESHOLD = 5


def opened(on: date, commune: str = CRETEIL, qpv: str | None = MONT_MESLY):
    """A person of GPSEA whose follow-up opened on ``on``."""
    beneficiary = BeneficiaryFactory(
        commune=Commune.objects.get(code=commune),
        qpv=QPV.objects.get(code=qpv, geography_year=2024) if qpv else None,
    )
    return FollowUpFactory(beneficiary=beneficiary, opened_on=on)


def bound(action=None, **fields):
    fields = {"indicator": "entrees_suivi", "target": Decimal(12), **YEAR_2024, **fields}
    return IndicatorTargetFactory(action=action or ActionFactory(), **fields)


def manual(action=None, **fields):
    fields = {"indicator": "", "target": Decimal(50), **YEAR_2024, **fields}
    return IndicatorTargetFactory(action=action or ActionFactory(), **fields)


def reading(target, on: date, value):
    return ManualReading.objects.create(target=target, measured_on=on, value=Decimal(value))


# --- actuals -------------------------------------------------------------------------------------


def test_a_bound_target_counts_the_records_of_its_place_from_its_start_to_today(raw_counts):
    for day in (date(2024, 1, 1), date(2024, 2, 10), date(2024, 3, 3), date(2024, 5, 5), date(2024, 6, 30)):
        opened(day)
    opened(date(2024, 6, 1), commune=CRETEIL, qpv=None)  # Créteil, outside any quartier
    opened(date(2024, 4, 4), commune=ALFORTVILLE, qpv=None)  # another commune
    opened(date(2023, 12, 31))  # before the target's period
    opened(date(2024, 7, 1))  # after today
    target = bound(where_level="commune", where_code=CRETEIL)
    found = targets.progress(target, today=TODAY)
    assert (found.actual, found.hidden, found.label, found.source) == (Decimal(6), False, "6", "indicateur")
    assert found.rate == 0.5
    assert found.period == indicators.Period(date(2024, 1, 1), TODAY)
    assert found.detail == "Entrées dans le suivi"
    whole = targets.progress(bound(), today=TODAY)
    assert whole.actual == Decimal(7)
    quartier = targets.progress(
        bound(where_level="qpv", where_code=MONT_MESLY, target=Decimal(4)), today=TODAY
    )
    assert (quartier.actual, quartier.rate, quartier.reached) == (Decimal(5), 1.25, True)


def test_after_its_end_a_target_counts_its_whole_period(raw_counts):
    opened(date(2024, 12, 31))
    opened(date(2025, 1, 1))
    found = targets.progress(bound(), today=date(2025, 3, 1))
    assert found.actual == Decimal(1)
    assert found.period.end == date(2024, 12, 31)


def test_an_actual_under_the_secrecy_threshold_stays_secret(default_secrecy):
    for day in (date(2024, 2, 1), date(2024, 3, 1), date(2024, 4, 1)):
        opened(day)
    found = targets.progress(bound(), today=TODAY)
    assert (found.actual, found.hidden, found.label, found.rate, found.rate_label) == (
        None,
        True,
        "secret",
        None,
        "—",
    )
    for day in (date(2024, 5, 1), date(2024, 5, 2)):
        opened(day)
    # The cache keeps the figure a few minutes; once recomputed, five people are shown.
    from django.core.cache import cache

    cache.clear()
    found = targets.progress(bound(), today=TODAY)
    assert (found.actual, found.hidden, found.label) == (Decimal(5), False, "5")


def test_a_manual_target_reads_its_latest_reading_up_to_today():
    target = manual()
    assert targets.progress(target, today=TODAY).label == "aucun relevé"
    reading(target, date(2024, 3, 1), 10)
    reading(target, date(2024, 5, 1), 20)
    reading(target, date(2024, 5, 1), "25.5")  # the same day: the last recorded counts
    reading(target, date(2024, 7, 1), 40)  # after today
    found = targets.progress(target, today=TODAY)
    assert (found.actual, found.hidden, found.label, found.source) == (
        Decimal("25.5"),
        False,
        "25,5",
        "relevé manuel",
    )
    assert found.rate == pytest.approx(0.51)
    assert found.detail == "relevé du 01/05/2024"
    assert targets.progress(target, today=date(2024, 7, 1)).actual == Decimal(40)


def test_before_its_start_a_target_is_not_started(raw_counts):
    opened(date(2024, 1, 1))
    later = {"starts_on": date(2024, 9, 1), "ends_on": date(2024, 12, 31)}
    early = manual(**later)
    reading(early, date(2024, 6, 1), 3)  # a reading before the start does not count
    for target in (bound(**later), early):
        found = targets.progress(target, today=TODAY)
        assert (found.actual, found.label, found.rate, found.period) == (
            None,
            "pas encore commencé",
            None,
            None,
        )


def test_an_indicator_that_left_the_registry_reads_unavailable():
    found = targets.progress(bound(indicator="statistique_supprimee"), today=TODAY)
    assert (found.actual, found.label) == (None, "indicateur indisponible")


def test_plan_progress_computes_each_distinct_indicator_place_and_period_once(raw_counts, monkeypatch):
    first = ActionFactory()
    second = ActionFactory(plan=first.plan)
    ActionFactory(plan=first.plan)  # no target: an empty list
    bound(first)
    bound(first, label="le même calcul")
    bound(second)  # the same (indicator, place, period) again
    bound(second, where_level="commune", where_code=CRETEIL)
    bound(second, indicator="sorties")
    manual(second)
    calls = []
    real = indicators.compute

    def counting(code, territory, period, **options):
        calls.append((code, period, tuple(sorted((options.get("where") or {}).items()))))
        return real(code, territory, period, **options)

    monkeypatch.setattr(indicators, "compute", counting)
    found = targets.plan_progress(first.plan, today=TODAY)
    assert len(calls) == len(set(calls)) == 3
    assert [len(v) for v in found.values()] == [2, 4, 0]
    assert list(found) == list(first.plan.actions.order_by("number").values_list("pk", flat=True))


def test_plan_progress_queries_do_not_grow_with_the_records(raw_counts, django_assert_max_num_queries):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    action = ActionFactory()
    bound(action)
    target = manual(action)
    reading(target, date(2024, 2, 1), 1)
    opened(date(2024, 2, 1))

    def count() -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            targets.plan_progress(action.plan, today=TODAY)
        return len(queries)

    few = count()
    for day in range(30):
        opened(date(2024, 1, 2) + timedelta(days=day))
        reading(target, date(2024, 1, 2) + timedelta(days=day), day)
    assert count() == few


# --- writes --------------------------------------------------------------------------------------


@pytest.fixture
def coordinator():
    return UserFactory()


def fields(**changes):
    return {"label": "Personnes entrées dans le suivi", "target": "120", **YEAR_2024, **changes}


def test_create_a_bound_target_takes_the_indicator_unit_and_is_audited(coordinator):
    action = ActionFactory()
    target = services.create_target(
        action, by=coordinator, **fields(indicator="entrees_suivi", where_level="commune", where_code=CRETEIL)
    )
    assert (target.indicator, target.where_level, target.where_code, target.unit, target.target) == (
        "entrees_suivi",
        "commune",
        CRETEIL,
        "personnes",
        Decimal("120.00"),
    )
    entry = AuditEntry.objects.get(object_type="steering.indicatortarget", object_id=str(target.pk))
    assert (entry.action, entry.detail["event"], entry.actor) == ("create", services.CREATED, coordinator)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"indicator": "inconnu"}, "n'existe pas"),
        (
            {"indicator": "services_par_categorie", "where_level": "commune", "where_code": CRETEIL},
            "ne se calcule pas",
        ),
        (
            {"indicator": "entrees_suivi", "where_level": "commune", "where_code": "75056"},
            "n'est pas une commune",
        ),
        (
            {"indicator": "entrees_suivi", "where_level": "qpv", "where_code": "QN09401M"},
            "n'est pas un quartier",
        ),
        ({"indicator": "entrees_suivi", "where_level": "region", "where_code": "11"}, "Choisissez le lieu"),
        ({"indicator": "", "where_level": "commune", "where_code": CRETEIL}, "relevé manuel"),
        ({"target": "0"}, "supérieur à zéro"),
        ({"target": "beaucoup"}, "un nombre"),
        ({"label": "  "}, "intitulé"),
        ({"starts_on": date(2025, 1, 1)}, "commencer avant"),
    ],
)
def test_a_wrong_target_is_a_french_error_and_writes_nothing(coordinator, changes, message):
    action = ActionFactory()
    with pytest.raises(services.TargetError, match=message):
        services.create_target(action, by=coordinator, **fields(**changes))
    assert not IndicatorTarget.objects.exists()
    assert not AuditEntry.objects.filter(object_type="steering.indicatortarget").exists()


def test_update_and_delete_a_target(coordinator):
    target = services.create_target(ActionFactory(), by=coordinator, **fields(indicator="entrees_suivi"))
    services.update_target(
        target, by=coordinator, **fields(label="Nouvel intitulé", indicator="", target="30")
    )
    target.refresh_from_db()
    assert (target.label, target.indicator, target.target, target.is_manual) == (
        "Nouvel intitulé",
        "",
        Decimal(30),
        True,
    )
    entry = AuditEntry.objects.get(action="update", object_id=str(target.pk))
    assert set(entry.detail["changed"]) == {
        "label",
        "indicator",
        "target",
        "unit",
    }  # unit: the indicator's no more
    reading(target, date(2024, 2, 1), 3)
    pk = target.pk
    services.delete_target(target, by=coordinator)
    assert not IndicatorTarget.objects.filter(pk=pk).exists()
    assert AuditEntry.objects.get(action="delete", object_id=str(pk)).detail["readings"] == 1


def test_record_a_manual_reading(coordinator):
    target = manual()
    found = services.record_reading(target, by=coordinator, measured_on=date(2024, 3, 1), value="12.5")
    assert (found.value, found.recorded_by) == (Decimal("12.5"), coordinator)
    entry = AuditEntry.objects.get(object_type="steering.manualreading")
    assert (entry.action, entry.detail["event"], entry.detail["target_id"]) == (
        "create",
        services.READING,
        target.pk,
    )


@pytest.mark.parametrize(
    ("kind", "changes", "message"),
    [
        ("bound", {}, "calculé par un indicateur"),
        ("manual", {"measured_on": timezone.localdate() + timedelta(days=1)}, "futur"),
        ("manual", {"value": "-1"}, "négatif"),
    ],
)
def test_a_wrong_reading_is_refused(coordinator, kind, changes, message):
    target = bound() if kind == "bound" else manual()
    with pytest.raises(services.TargetError, match=message):
        services.record_reading(
            target, by=coordinator, **{"measured_on": date(2024, 3, 1), "value": "4", **changes}
        )
    assert not ManualReading.objects.exists()
