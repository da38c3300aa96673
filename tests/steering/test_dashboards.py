"""The steering dashboards: their figures on hand-computed data, who opens which, that no name ever
shows, that their queries do not grow with the data, and the pages that write targets and readings."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cite_emploi.followup.models import Outcome
from cite_emploi.steering import dashboards, money
from cite_emploi.steering.models import Action, ActionPlan, Axis, Decision, IndicatorTarget, ManualReading
from cite_emploi.territory.models import QPV, Commune
from tests.accounts.factories import member
from tests.followup.factories import BeneficiaryFactory, FollowUpFactory
from tests.steering.factories import (
    ActionFactory,
    ActionPlanFactory,
    BudgetLineFactory,
    CommitteeFactory,
    DecisionFactory,
    ExpenseFactory,
    FundingFactory,
    IndicatorTargetFactory,
    MeetingFactory,
)

pytestmark = pytest.mark.django_db

MONT_MESLY, CHANTEREINE = "QN09405M", "QN09404M"
CRETEIL, ALFORTVILLE = "94028", "94002"
AS_OF = date(2024, 6, 30)
NAME = "Zéphyrine Quasimodo-Tartempion"


@pytest.fixture
def raw_counts(settings):
    settings.SECRECY_THRESHOLD = 1


def person(commune: str, qpv: str | None, opened_on: date, **names):
    beneficiary = BeneficiaryFactory(
        commune=Commune.objects.get(code=commune),
        qpv=QPV.objects.get(code=qpv, geography_year=2024) if qpv else None,
        **names,
    )
    return FollowUpFactory(beneficiary=beneficiary, opened_on=opened_on)


def qpv(code):
    return QPV.objects.get(code=code, geography_year=2024)


@pytest.fixture
def people():
    """Three people of Créteil and two of Alfortville entered in 2024; one job outcome in Créteil."""
    created = [person(CRETEIL, MONT_MESLY, date(2024, 2, 1)) for _ in range(3)]
    created += [person(ALFORTVILLE, CHANTEREINE, date(2024, 3, 1)) for _ in range(2)]
    Outcome.objects.create(follow_up=created[0], kind=Outcome.Kind.LASTING_JOB, occurred_on=date(2024, 4, 1))
    return created


@pytest.fixture
def plan(gpsea):
    """The adopted 2024–2025 plan: one action in Créteil, one in Alfortville, one for the whole territory."""
    adopted = ActionPlanFactory(
        territory=gpsea,
        title="Plan d'actions de test",
        starts_on=date(2024, 1, 1),
        ends_on=date(2025, 12, 31),
        status=ActionPlan.Status.ADOPTED,
        adopted_on=date(2023, 12, 1),
    )
    common = {"plan": adopted, "starts_on": date(2024, 1, 1), "ends_on": date(2025, 12, 31)}
    creteil = ActionFactory(number=1, axis=Axis.RECRUITMENT, status=Action.Status.RUNNING, **common)
    creteil.qpvs.set([qpv(MONT_MESLY)])
    alfortville = ActionFactory(number=2, axis=Axis.BARRIERS, status=Action.Status.RUNNING, **common)
    alfortville.qpvs.set([qpv(CHANTEREINE)])
    ActionFactory(number=3, axis=Axis.CV, status=Action.Status.PLANNED, **common)
    IndicatorTargetFactory(
        action=creteil,
        label="Entrées dans le suivi à Créteil",
        indicator="entrees_suivi",
        where_level="commune",
        where_code=CRETEIL,
        target=Decimal(6),
        starts_on=date(2024, 1, 1),
        ends_on=date(2024, 12, 31),
    )
    manual = IndicatorTargetFactory(
        action=alfortville,
        label="Ateliers mobilité tenus",
        indicator="",
        target=Decimal(10),
        starts_on=date(2024, 1, 1),
        ends_on=date(2024, 12, 31),
    )
    ManualReading.objects.create(target=manual, measured_on=date(2024, 5, 1), value=Decimal(4))
    subsidy = FundingFactory(territory=gpsea)
    BudgetLineFactory(action=creteil, funding=subsidy, year=2024, amount=Decimal("30000"))
    BudgetLineFactory(action=alfortville, funding=subsidy, year=2024, amount=Decimal("20000"))
    BudgetLineFactory(action=alfortville, funding=subsidy, year=2025, amount=Decimal("20000"))
    ExpenseFactory(action=creteil, funding=subsidy, spent_on=date(2024, 3, 1), amount=Decimal("12000"))
    return adopted


@pytest.fixture
def decisions(gpsea, plan):
    meeting = MeetingFactory(committee=CommitteeFactory(territory=gpsea), held_on=date(2024, 3, 15))
    creteil, alfortville = plan.actions.order_by("number")[:2]
    due = {
        "soon": DecisionFactory(meeting=meeting, action=creteil, due_on=AS_OF + timedelta(days=10)),
        "late": DecisionFactory(meeting=meeting, action=alfortville, due_on=AS_OF - timedelta(days=3)),
        "far": DecisionFactory(meeting=meeting, action=creteil, due_on=AS_OF + timedelta(days=45)),
        "done": DecisionFactory(
            meeting=meeting, due_on=AS_OF, status=Decision.Status.DONE, done_on=date(2024, 6, 1)
        ),
        "undated": DecisionFactory(meeting=meeting, due_on=None),
    }
    return due


def by_code(found: dict) -> dict:
    return {figure["code"]: figure["value"] for figure in found["key_figures"]}


# --- figures ---------------------------------------------------------------------------------------


def test_the_territory_dashboard_figures_come_from_the_records(gpsea, raw_counts, people, plan, decisions):
    found = dashboards.territory_dashboard(gpsea, AS_OF)
    assert found["period"].start == date(2023, 7, 1)
    figures = by_code(found)
    assert (figures["beneficiaires_suivis"], figures["entrees_suivi"], figures["sorties"]) == (5, 5, 1)
    assert (
        figures["freins_leves"],
        figures["recrutements_operations"],
        figures["operations_recrutement"],
    ) == (
        0,
        0,
        0,
    )
    publics = {row["key"]: row["cells"][0]["value"] for row in found["publics"]["rows"]}
    assert (publics["jeunes"], publics["adultes"]) == (0, 5)  # born in 1995 (the factory): 29 at the end
    # The plan: actions by axis, targets, money, decisions due.
    assert found["plan"] == plan
    assert [(row["axis"], row["total"]) for row in found["axes"]] == [
        (Axis.RECRUITMENT, 1),
        (Axis.CV, 1),
        (Axis.BARRIERS, 1),
    ]
    progress = {item.target.label: item for entry in found["targets"] for item in entry["progress"]}
    assert progress["Entrées dans le suivi à Créteil"].actual == Decimal(3)
    assert progress["Entrées dans le suivi à Créteil"].rate == 0.5
    assert progress["Ateliers mobilité tenus"].actual == Decimal(4)
    assert found["target_summary"] == {"count": 2, "reached": 0, "hidden": 0}
    assert found["money"]["total"]["planned"] == money.format_euros(Decimal("70000"))
    assert found["money"]["total"]["spent"] == money.format_euros(Decimal("12000"))
    assert found["money"]["total"]["remaining"] == money.format_euros(Decimal("58000"))
    assert [row["year"] for row in found["money"]["years"]] == [2024, 2025]
    assert [row["decision"] for row in found["decisions"]["rows"]] == [decisions["late"], decisions["soon"]]
    assert (found["decisions"]["count"], found["decisions"]["overdue"]) == (2, 1)


def test_a_commune_dashboard_is_restricted_to_the_commune(gpsea, raw_counts, people, plan, decisions):
    creteil = dashboards.commune_dashboard(gpsea, CRETEIL, AS_OF)
    figures = by_code(creteil)
    assert (figures["beneficiaires_suivis"], figures["entrees_suivi"], figures["sorties"]) == (3, 3, 1)
    assert [a.number for a in creteil["actions"]] == [1]
    assert creteil["whole_territory_actions"] == 1
    assert [row["decision"] for row in creteil["decisions"]["rows"]] == [decisions["soon"]]
    assert [item.target.label for entry in creteil["targets"] for item in entry["progress"]] == [
        "Entrées dans le suivi à Créteil"
    ]
    assert "money" not in creteil
    alfortville = dashboards.commune_dashboard(gpsea, ALFORTVILLE, AS_OF)
    assert by_code(alfortville)["beneficiaires_suivis"] == 2
    assert [a.number for a in alfortville["actions"]] == [2]
    # A commune whose quartier no action targets: figures, and no action.
    assert dashboards.commune_dashboard(gpsea, "94071", AS_OF)["actions"] == []  # Sucy-en-Brie


def test_an_action_dashboard(gpsea, raw_counts, people, plan, decisions):
    action = plan.actions.get(number=1)
    found = dashboards.action_dashboard(action, AS_OF)
    assert [item.actual for item in found["progress"]] == [Decimal(3)]
    assert found["money"]["total"]["planned"] == money.format_euros(Decimal("30000"))
    assert found["money"]["total"]["spent"] == money.format_euros(Decimal("12000"))
    assert [row["decision"] for row in found["decisions"]] == [decisions["soon"], decisions["far"]]
    (row,) = found["places"]["rows"]
    assert row["code"] == MONT_MESLY
    assert [cell["value"] for cell in row["cells"]] == [3, 0]  # people followed, people met in aller-vers


def test_no_plan_yet(gpsea, raw_counts, people):
    found = dashboards.territory_dashboard(gpsea, AS_OF)
    assert found["plan"] is None and "money" not in found
    assert by_code(found)["entrees_suivi"] == 5


# --- pages and who opens them ------------------------------------------------------------------------


def elected_of(code: str):
    return member("elected", commune=Commune.objects.get(code=code))


def test_an_elected_member_opens_the_dashboards_of_their_communes_only(client, gpsea, plan):
    client.force_login(elected_of(CRETEIL))
    page = client.get(reverse("steering:dashboard"))
    assert page.status_code == 200
    assert reverse("steering:commune_dashboard", args=[CRETEIL]) in page.content.decode()
    assert reverse("steering:commune_dashboard", args=[ALFORTVILLE]) not in page.content.decode()
    assert client.get(reverse("steering:commune_dashboard", args=[CRETEIL])).status_code == 200
    assert client.get(reverse("steering:commune_dashboard", args=[ALFORTVILLE])).status_code == 403
    assert client.get(reverse("steering:commune_dashboard", args=["75056"])).status_code == 404
    assert client.get(reverse("steering:quarterly")).status_code == 403
    action = plan.actions.get(number=1)
    assert client.get(reverse("steering:action_dashboard", args=[action.pk])).status_code == 200
    assert client.get(reverse("steering:target_create", args=[action.pk])).status_code == 403


def test_the_state_reads_every_commune_and_the_coordination_every_page(client, gpsea, plan):
    client.force_login(member("funder"))
    assert client.get(reverse("steering:commune_dashboard", args=[ALFORTVILLE])).status_code == 200
    page = client.get(reverse("steering:dashboard")).content.decode()
    assert reverse("steering:commune_dashboard", args=[ALFORTVILLE]) in page
    client.force_login(member("counsellor"))
    assert client.get(reverse("steering:dashboard")).status_code == 403


def test_an_action_of_another_territory_is_not_found(client, other_territory):
    action = ActionFactory(plan=ActionPlanFactory(territory=other_territory))
    client.force_login(member("coordinator"))
    assert client.get(reverse("steering:action_dashboard", args=[action.pk])).status_code == 404


def crawl(client, plan) -> dict[str, str]:
    paths = [
        reverse("steering:dashboard"),
        reverse("steering:dashboard") + "?date=2024-06-30",
        reverse("steering:commune_dashboard", args=[CRETEIL]) + "?date=2024-06-30",
        reverse("steering:quarterly") + "?annee=2024",
        *(reverse("steering:action_dashboard", args=[a.pk]) + "?date=2024-06-30" for a in plan.actions.all()),
    ]
    return {path: client.get(path) for path in paths}


@pytest.mark.parametrize("role", ["elected", "funder", "coordinator"])
def test_no_dashboard_ever_shows_a_name(client, gpsea, raw_counts, plan, role):
    first, last = NAME.split(" ")
    follow_up = person(CRETEIL, MONT_MESLY, date(2024, 2, 1), first_name=first, last_name=last)
    Outcome.objects.create(follow_up=follow_up, kind=Outcome.Kind.TRAINING, occurred_on=date(2024, 3, 1))
    user = elected_of(CRETEIL) if role == "elected" else member(role)
    client.force_login(user)
    answers = crawl(client, plan)
    shown = [path for path, answer in answers.items() if answer.status_code == 200]
    assert len(shown) >= (5 if role == "elected" else 6)
    for path, answer in answers.items():
        text = answer.content.decode()
        assert first not in text and last not in text, path
    if role != "elected":
        workbook = client.get(reverse("steering:quarterly_xlsx") + "?annee=2024").content
        import io
        import zipfile

        with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
            for name in archive.namelist():
                assert last.encode() not in archive.read(name)


def test_dashboard_queries_do_not_grow_with_the_data(client, gpsea, raw_counts, plan, decisions):
    client.force_login(member("coordinator"))
    paths = [
        reverse("steering:dashboard"),
        reverse("steering:commune_dashboard", args=[CRETEIL]),
        reverse("steering:action_dashboard", args=[plan.actions.get(number=1).pk]),
    ]

    def count(path) -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path + "?date=2024-06-30").status_code == 200
        return len(queries)

    few = [count(path) for path in paths]
    for number in range(4, 12):
        extra = ActionFactory(
            plan=plan,
            number=number,
            axis=Axis.PRESENCE,
            starts_on=date(2024, 1, 1),
            ends_on=date(2024, 12, 31),
        )
        extra.qpvs.set([qpv(MONT_MESLY), qpv(CHANTEREINE)])
    for _ in range(15):
        person(CRETEIL, MONT_MESLY, date(2024, 2, 1))
    meeting = MeetingFactory(committee=CommitteeFactory(territory=gpsea), held_on=date(2024, 3, 15))
    for days in range(10):
        DecisionFactory(meeting=meeting, due_on=AS_OF + timedelta(days=days))
    assert [count(path) for path in paths] == few


# --- targets' pages ----------------------------------------------------------------------------------


def form_data(**changes):
    return {
        "label": "Personnes entrées dans le suivi",
        "indicator": "entrees_suivi",
        "place": f"commune:{CRETEIL}",
        "target": "40",
        "unit": "",
        "starts_on": "2024-01-01",
        "ends_on": "2024-12-31",
        **changes,
    }


def test_the_coordination_adds_edits_reads_and_deletes_a_target(client, gpsea, plan):
    action = plan.actions.get(number=1)
    client.force_login(member("coordinator"))
    assert client.get(reverse("steering:target_create", args=[action.pk])).status_code == 200
    answer = client.post(reverse("steering:target_create", args=[action.pk]), form_data())
    assert answer.status_code == 302
    target = IndicatorTarget.objects.get(action=action, label="Personnes entrées dans le suivi")
    assert (target.where_level, target.where_code, target.unit) == ("commune", CRETEIL, "personnes")
    answer = client.post(reverse("steering:target_edit", args=[target.pk]), form_data(indicator="", place=""))
    assert answer.status_code == 302
    target.refresh_from_db()
    assert target.is_manual
    answer = client.post(
        reverse("steering:target_reading", args=[target.pk]), {"measured_on": "2024-05-02", "value": "17"}
    )
    assert answer.status_code == 302
    assert target.readings.get().value == Decimal(17)
    assert client.get(reverse("steering:target_reading", args=[target.pk])).status_code == 200
    assert client.post(reverse("steering:target_delete", args=[target.pk])).status_code == 302
    assert not IndicatorTarget.objects.filter(pk=target.pk).exists()


def test_a_wrong_target_shows_a_french_error_and_keeps_nothing(client, gpsea, plan):
    action = plan.actions.get(number=1)
    client.force_login(member("coordinator"))
    before = IndicatorTarget.objects.count()
    answer = client.post(
        reverse("steering:target_create", args=[action.pk]),
        form_data(indicator="services_par_categorie"),
    )
    assert answer.status_code == 200
    assert "ne se calcule pas pour une commune" in answer.content.decode()
    answer = client.post(reverse("steering:target_create", args=[action.pk]), form_data(target="abc"))
    assert answer.status_code == 200
    assert IndicatorTarget.objects.count() == before


def test_only_the_coordination_writes_targets(client, gpsea, plan):
    action = plan.actions.get(number=1)
    target = action.targets.get()
    for role in ("elected", "funder"):
        client.force_login(member(role))
        assert (
            client.post(reverse("steering:target_create", args=[action.pk]), form_data()).status_code == 403
        )
        assert client.post(reverse("steering:target_delete", args=[target.pk])).status_code == 403
        assert client.get(reverse("steering:target_edit", args=[target.pk])).status_code == 403
    assert IndicatorTarget.objects.filter(pk=target.pk).exists()


def test_a_target_of_another_territory_is_not_found(client, other_territory):
    action = ActionFactory(plan=ActionPlanFactory(territory=other_territory))
    target = IndicatorTargetFactory(action=action)
    client.force_login(member("coordinator"))
    assert client.get(reverse("steering:target_edit", args=[target.pk])).status_code == 404
    assert client.post(reverse("steering:target_delete", args=[target.pk])).status_code == 404
